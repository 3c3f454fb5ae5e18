"""The HTTP API: routers.py assembles every domain's router; problems.py renders every error as problem+json."""
