"""Slack: the Bolt app on POST /slack/events (endpoints.py), answering /advise and mentions."""
