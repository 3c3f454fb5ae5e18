"""The adaptive questionnaire: questions from the Profile, sessions that stop once the strategy is settled."""
