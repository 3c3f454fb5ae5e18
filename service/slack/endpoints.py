"""Slack bot backend: the Bolt app mounted on the FastAPI app at POST /slack/events.

One URL takes events (``app_mention``), the ``/advise`` slash command and interactivity (buttons,
modal submissions); Bolt tells them apart by their payload. The route checks Slack's signature on the raw
body before anything parses it (service/slack/verify.py), then hands the request to Bolt.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response

from service.config import Settings
from service.errors import Unauthorized

EVENTS_PATH = "/slack/events"


def install(app: FastAPI, settings: Settings) -> None:
    """Mount /slack/events when a signing secret is configured; nothing is fetched from Slack here."""
    if settings.slack_signing_secret is None:
        return
    # Bolt and aiohttp load only when Slack is on: a server without it starts ~0.2 s sooner.
    from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

    from service.slack.bot import SlackBot
    from service.slack.verify import parse_signed, verify_signature

    bot = SlackBot(
        settings,
        app.state.database,
        app.state.clock,
        app.state.metrics.count_verdict,
        worker=lambda: getattr(app.state, "worker", None),
    )
    app.state.slack_bot = bot
    secret = settings.slack_signing_secret.get_secret_value()
    handler = AsyncSlackRequestHandler(bot.app)
    router = APIRouter(tags=["slack"])

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        # The signature first, on the raw bytes; nothing is decoded or parsed for an unsigned request.
        body = await request.body()
        verify_signature(secret, body, request.headers)
        parse_signed(body, request.headers)  # a signed body Bolt could not parse is a 400, not Bolt's 500
        response = await handler.handle(request)
        if response.status_code == 401:
            # Bolt checks again (a second line of defence); same problem+json as every other error.
            raise Unauthorized(
                "The Slack signature or its timestamp is invalid (older than 5 minutes); check ADVISOR_SLACK_SIGNING_SECRET.",
                code="slack_signature_invalid",
            )
        return response

    app.include_router(router)
