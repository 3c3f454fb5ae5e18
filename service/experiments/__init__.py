"""Experiments: the candidate strategies piloted on the user's own evaluation set, with intervals."""
