"""Slack bot backend: the Bolt app mounted on the FastAPI app at POST /slack/events.

One URL takes events (``app_mention``), the ``/advise`` slash command and interactivity (buttons,
modal submissions); Bolt tells them apart by their payload.
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

    bot = SlackBot(
        settings,
        app.state.database,
        app.state.clock,
        app.state.metrics.count_verdict,
        worker=lambda: getattr(app.state, "worker", None),
    )
    app.state.slack_bot = bot
    handler = AsyncSlackRequestHandler(bot.app)
    router = APIRouter(tags=["slack"])

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        response = await handler.handle(request)
        if response.status_code == 401:
            # Same problem+json as every other error; Slack only looks at the status.
            raise Unauthorized(
                "The Slack signature or its timestamp is invalid (older than 5 minutes); check ADVISOR_SLACK_SIGNING_SECRET.",
                code="slack_signature_invalid",
            )
        return response

    app.include_router(router)
