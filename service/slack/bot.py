"""The Bolt app: `/advise`, mentions, the questionnaire modal and the artifact button.

The route checks every request's signature before Bolt sees it (service/slack/verify.py), and Bolt
checks it again (a bad one or a timestamp over 5 minutes old is 401 and nothing runs). A request from
a workspace that is not configured stops before any listener. Listeners acknowledge first; Bolt
returns that acknowledgement to Slack while the listener goes on with the work
(``process_before_response=False``). Each delivery is claimed in the store before any work, so a
retried delivery (``X-Slack-Retry-Num``), even one that arrives while the first is still running,
posts nothing. A request that cannot succeed (a 4xx: text too long, a value refused) is answered with
the reason, never with "try again".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from service.advice.service import OnVerdict
from service.config import Clock, Settings
from service.errors import AdvisorError, NotFound
from service.intake import detect_lang
from service.intake.schemas import MAX_TEXT_CHARS
from service.slack import service as advise
from service.slack.blocks import advice_blocks, advice_text, artifact_blocks, label, parent_blocks, refusal, thread_of
from service.slack.modal import CALLBACK_ID, ModalContext, answers_from, questionnaire_view, revised_profile
from service.slack.service import Advised, Workspace
from service.store.db import Database
from service.worker.client import WorkerClient

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[BoltResponse]]
NO_AUTH_TYPES = {"url_verification", "ssl_check"}


class SlackBot:
    """One Bolt app serving every configured workspace, each with its own bot token and tenant."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        on_verdict: OnVerdict | None = None,
        worker: Callable[[], WorkerClient | None] = lambda: None,
    ) -> None:
        if settings.slack_signing_secret is None:
            raise ValueError("SlackBot needs ADVISOR_SLACK_SIGNING_SECRET")
        self.settings = settings
        self.database = database
        self.clock = clock
        self.on_verdict = on_verdict  # counts each stored advice, from the worker thread that stored it
        self.worker = worker  # the app's worker client, opened in its lifespan (after this bot is built)
        self.workspaces = advise.workspaces(settings)
        self.app = AsyncApp(
            name="tuning-advisor",
            logger=log,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            client=AsyncWebClient(base_url=settings.slack_api_url),
            before_authorize=self.known_team,
            authorize=self._authorizer(),  # from configuration: no auth.test call, at start or per request
            process_before_response=False,
            request_verification_enabled=True,
        )
        self.app.command("/advise")(self.on_advise)
        self.app.event("app_mention")(self.on_mention)
        self.app.action("open_questionnaire")(self.on_open_questionnaire)
        self.app.action("get_artifact")(self.on_get_artifact)
        self.app.view(CALLBACK_ID)(self.on_questionnaire_submitted)

    # --- who is asking ------------------------------------------------------------------

    async def known_team(self, body: dict[str, Any], context: dict[str, Any], next: Next) -> BoltResponse:
        """Stop a signed request from a workspace we hold no token for: logged, answered 200, nothing done."""
        if body.get("type") in NO_AUTH_TYPES or context.get("team_id") in self.workspaces:
            return await next()
        log.warning("slack request from unconfigured workspace %s ignored", context.get("team_id"))
        return BoltResponse(status=200, body="")

    def _authorizer(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Bolt's ``authorize`` from configuration (a plain function: Bolt passes arguments by parameter name)."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            # known_team() already stopped requests from other workspaces.
            workspace = self.workspaces[team_id or ""]
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, bot_token=workspace.bot_token, bot_user_id=workspace.bot_user_id
            )

        return authorize

    def workspace(self, context: dict[str, Any]) -> Workspace:
        return self.workspaces[context["team_id"]]

    async def _claim(self, key: str, workspace: Workspace) -> bool:
        claimed = await asyncio.to_thread(advise.claim, self.database, key, workspace)
        if not claimed:
            log.info("slack delivery %s already handled; retry ignored", key)
        return claimed

    async def _advise(self, workspace: Workspace, text: str) -> Advised:
        worker = self.worker()
        return await asyncio.to_thread(
            advise.advise_text, self.database, self.settings, worker, workspace, text, self.clock, self.on_verdict
        )

    async def _post_advice(self, client: AsyncWebClient, channel: str, thread_ts: str, advised: Advised) -> str:
        blocks = advice_blocks(advised.advice, advised.missing, advised.lang, self.settings.public_url)
        posted = await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=advice_text(advised.advice, advised.lang), blocks=blocks
        )
        return str(posted["ts"])

    # --- /advise and @mentions --------------------------------------------------------------

    async def on_advise(
        self, ack: Any, command: dict[str, Any], context: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        """Ack at once; then post the verdict in the channel and the details in that message's thread.

        A slash command is not a message, so it has no thread of its own: the parent message says who asked
        what and the strategy, and the reply in its thread holds the reasons, flags and buttons.
        """
        text = advise.clean_text(command.get("text", ""))
        lang = detect_lang(text)
        if not text:
            await ack(text=label(lang, "usage"))
            return
        if len(text) > MAX_TEXT_CHARS:  # permanent: saying "try again" would only repeat the failure
            await ack(text=label(lang, "too_long", count=len(text), limit=MAX_TEXT_CHARS))
            return
        await ack(text=label(lang, "thinking"))
        workspace = self.workspace(context)
        key = str(command["trigger_id"])
        if not await self._claim(key, workspace):
            return
        channel, user = command["channel_id"], command["user_id"]
        try:
            advised = await self._advise(workspace, text)
            parent = await client.chat_postMessage(
                channel=channel,
                text=advice_text(advised.advice, advised.lang),
                blocks=parent_blocks(advised.advice, text, user, advised.lang),
            )
            thread_ts = str(parent["ts"])
            await self._post_advice(client, channel, thread_ts, advised)
        except SlackApiError as error:
            # Typically not_in_channel: the bot was not invited. The command's response_url still reaches the user.
            reason = str(error.response.get("error"))
            log.warning("slack /advise could not post in channel %s of workspace %s: %s", channel, workspace.team_id, reason)
            await self._respond(respond, label(lang, "cannot_post", error=reason))
            return
        except AdvisorError as error:
            log.warning("slack /advise refused in workspace %s: %s", workspace.team_id, error.code)
            await self._respond(respond, refusal(lang, error))
            return
        except Exception:
            log.exception("slack /advise failed in workspace %s", workspace.team_id)
            await self._respond(respond, label(lang, "failed"))
            return
        await asyncio.to_thread(advise.record, self.database, key, workspace, advised.advice["id"], channel, thread_ts)

    async def _respond(self, respond: Any, text: str) -> None:
        """Tell the user privately through the command's response_url (works where the bot may not post)."""
        try:
            await respond(text=text, response_type="ephemeral")
        except Exception as error:  # the user is told nothing more; the log says why
            log.warning("slack response_url failed: %s", type(error).__name__)

    async def on_mention(
        self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Answer a mention in its thread (the thread it was in, or a new one under it)."""
        workspace = self.workspace(context)
        key = f"{workspace.team_id}:{body['event_id']}"
        if not await self._claim(key, workspace):
            return
        channel, thread_ts = event["channel"], event.get("thread_ts") or event["ts"]
        text = advise.clean_text(event.get("text", ""))
        lang = detect_lang(text)
        try:
            if not text or len(text) > MAX_TEXT_CHARS:
                usage = label(lang, "too_long", count=len(text), limit=MAX_TEXT_CHARS) if text else label(lang, "usage")
                await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=usage)
                return
            advised = await self._advise(workspace, text)
            await self._post_advice(client, channel, thread_ts, advised)
        except AdvisorError as error:
            log.warning("slack mention refused in workspace %s: %s", workspace.team_id, error.code)
            await self._tell_user(client, channel, event.get("user", ""), refusal(lang, error))
            return
        except Exception:
            log.exception("slack mention failed in workspace %s", workspace.team_id)
            await self._tell_user(client, channel, event.get("user", ""), label(lang, "failed"))
            return
        await asyncio.to_thread(advise.record, self.database, key, workspace, advised.advice["id"], channel, thread_ts)

    async def _tell_user(self, client: AsyncWebClient, channel: str, user: str, text: str) -> None:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as error:
            log.warning("slack could not tell the user about a failure: %s", error.response.get("error"))

    # --- buttons and the modal ----------------------------------------------------------

    async def _clicked(
        self, ack: Any, body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> tuple[str, dict[str, Any], str, str] | None:
        """A button on an advice message: ack, claim the click once, load the advice; None when there is nothing to do."""
        await ack()
        workspace = self.workspace(context)
        if not await self._claim(str(body["trigger_id"]), workspace):
            return None
        advice_id = str(body["actions"][0]["value"])
        channel, thread_ts = thread_of(body)
        try:
            stored = await asyncio.to_thread(advise.stored_advice, self.database, workspace, advice_id)
        except NotFound:
            await self._tell_user(client, channel, body["user"]["id"], label("en", "advice_gone"))
            return None
        return advice_id, stored, channel, thread_ts

    async def on_open_questionnaire(
        self, ack: Any, body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Open the questionnaire for what the text left unknown (views.open needs the trigger within 3 s)."""
        clicked = await self._clicked(ack, body, context, client)
        if clicked is None:
            return
        advice_id, stored, channel, thread_ts = clicked
        lang, missing = advise.still_missing(stored["profile"]["task"])
        view = questionnaire_view(missing, ModalContext(advice_id, channel, thread_ts, lang))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_questionnaire_submitted(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Check the answers (errors go back into the modal), then post a revised advice in the thread."""
        workspace = self.workspace(context)
        modal = ModalContext.load(view["private_metadata"])
        try:
            stored = await asyncio.to_thread(advise.stored_advice, self.database, workspace, modal.advice_id)
        except NotFound:
            await ack()
            return
        answers = answers_from(view["state"]["values"], modal.lang)
        profile, errors = revised_profile(stored["profile"], answers)
        if profile is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        key = str(body.get("trigger_id") or f"{view['id']}:{view.get('hash', '')}")
        if not await self._claim(key, workspace):
            return
        asked = [block["block_id"] for block in view.get("blocks", []) if block.get("type") == "input"]
        unanswered = [field for field in asked if field not in answers]
        advised = await asyncio.to_thread(
            advise.advise_answers,
            self.database,
            self.worker(),
            workspace,
            profile,
            self.clock,
            modal.lang,
            unanswered,
            self.on_verdict,
        )
        ts = await self._post_advice(client, modal.channel, modal.thread_ts, advised)
        await asyncio.to_thread(advise.record, self.database, key, workspace, advised.advice["id"], modal.channel, ts)

    async def on_get_artifact(self, ack: Any, body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient) -> None:
        """Post the artifact of an advice in its thread: its text in a code block and a link to all of it."""
        clicked = await self._clicked(ack, body, context, client)
        if clicked is None:
            return
        advice_id, stored, channel, thread_ts = clicked
        lang = detect_lang(stored["profile"]["task"])
        strategy, artifact = stored["strategy"], stored.get("artifact")
        blocks = artifact_blocks(advice_id, strategy, artifact, lang, self.settings.public_url)
        posted = await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=label(lang, "get_artifact"), blocks=blocks
        )
        key, workspace = str(body["trigger_id"]), self.workspace(context)
        await asyncio.to_thread(advise.record, self.database, key, workspace, advice_id, channel, str(posted["ts"]))
