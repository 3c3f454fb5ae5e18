"""What the bot does, without Slack: workspaces from settings, delivery claims, and advice from text or answers.

These functions are synchronous (database, intake, rules) and run in a worker thread, off the event loop
that acknowledges Slack.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from rules.facts import Profile
from service.advice import service as advice
from service.advice.schemas import AdviceRequest
from service.advice.service import OnVerdict
from service.config import Clock, Settings
from service.intake import IntakeResult, extract, extract_rules
from service.intake.schemas import TASK_MAX_CHARS
from service.slack.blocks import Lang
from service.slack.repository import SlackDeliveryRepository
from service.store.db import Database
from service.store.models import SlackDeliveryRow
from service.worker.client import WorkerClient

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")


@dataclass(frozen=True)
class Workspace:
    """One Slack workspace the bot serves: its bot token and the tenant its advice belongs to."""

    team_id: str
    bot_token: str
    tenant: str
    bot_user_id: str | None = None


def workspaces(settings: Settings) -> dict[str, Workspace]:
    """The configured workspaces by team id; an entry without a bot token is left out (and logged)."""
    found: dict[str, Workspace] = {}
    for team_id, entry in settings.slack_workspaces.items():
        token = entry.get("bot_token")
        if not token:
            log.warning("slack workspace %s has no bot_token; requests from it are ignored", team_id)
            continue
        tenant = entry.get("tenant") or settings.default_tenant
        found[team_id] = Workspace(team_id, token, tenant, entry.get("bot_user_id"))
    return found


@dataclass(frozen=True)
class Advised:
    """A stored advice (the same JSON as POST /v1/advice returns) and what the text left unknown."""

    advice: dict[str, Any]
    missing: list[str]
    lang: Lang
    task: str


def claim(database: Database, key: str, workspace: Workspace) -> bool:
    """Record that ``key`` is being handled; False when it already was (a retry), so nothing is done twice.

    The insert comes first and the primary key decides: of two concurrent deliveries only one commits.
    """
    with database.session() as session:
        SlackDeliveryRepository(session, workspace.tenant).add(SlackDeliveryRow(key=key, team_id=workspace.team_id))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def record(
    database: Database, key: str, workspace: Workspace, advice_id: str | None, channel: str, message_ts: str | None
) -> None:
    """Note what a delivery produced, for support and for tracing a message back to its advice."""
    with database.session() as session:
        SlackDeliveryRepository(session, workspace.tenant).note(key, advice_id=advice_id, channel=channel, message_ts=message_ts)
        session.commit()


def clean_text(text: str) -> str:
    """The words of a command or a mention, without ``<@U…>`` mentions and surrounding space."""
    return _MENTION.sub("", text).strip()


def profile_from(task: str, draft: dict[str, Any]) -> Profile:
    """The intake's draft with the text as the task; a draft field the Profile rejects falls back to its default."""
    values = {**draft, "task": task[:TASK_MAX_CHARS]}
    try:
        return Profile.model_validate(values)
    except ValidationError as error:
        rejected = {str(item["loc"][0]) for item in error.errors() if item["loc"]} - {"task"}
        log.warning("slack intake draft fields rejected by the profile: %s", sorted(rejected))
        return Profile.model_validate({key: value for key, value in values.items() if key not in rejected})


def _store(
    database: Database,
    worker: WorkerClient | None,
    tenant: str,
    profile: Profile,
    clock: Clock,
    on_verdict: OnVerdict | None,
    lang: Lang,
) -> dict[str, Any]:
    # Artifacts are always built, so the "Get the artifact" button has something to fetch.
    embed = worker.embedder_if_up() if worker is not None else None
    with database.session() as session:
        request = AdviceRequest(profile=profile, artifact=True, lang=lang)
        return advice.create_advice(session, tenant, request, clock, embed, on_verdict)


def _lang(result: IntakeResult) -> Lang:
    return "he" if result.lang == "he" else "en"


def advise_text(
    database: Database,
    settings: Settings,
    worker: WorkerClient | None,
    workspace: Workspace,
    text: str,
    clock: Clock,
    on_verdict: OnVerdict | None = None,
) -> Advised:
    """Free text -> intake -> Profile -> stored advice, like POST /v1/intake then POST /v1/advice."""
    result = extract(text, None, settings)
    profile = profile_from(text, result.profile)
    stored = _store(database, worker, workspace.tenant, profile, clock, on_verdict, _lang(result))
    return Advised(stored, list(result.missing), _lang(result), text)


def stored_advice(database: Database, workspace: Workspace, advice_id: str) -> dict[str, Any]:
    """A stored advice of the workspace's tenant as JSON; another tenant's id is NotFound like a missing one."""
    with database.session() as session:
        return advice.get_advice(session, workspace.tenant, advice_id).model_dump(mode="json", by_alias=True)


def still_missing(task: str) -> tuple[Lang, list[str]]:
    """The language of a task and the questions its text leaves open, by the offline rule-based reading.

    The button that opens the questionnaire must answer within Slack's 3 s trigger window, so it uses the
    rules (fast, deterministic) even when the first advice came from an LLM; a question the LLM had
    answered is asked again, and a blank answer keeps its value.
    """
    result = extract_rules(task, None)
    return _lang(result), list(result.missing)


def advise_answers(
    database: Database,
    worker: WorkerClient | None,
    workspace: Workspace,
    profile: Profile,
    clock: Clock,
    lang: Lang,
    unanswered: list[str],
    on_verdict: OnVerdict | None = None,
) -> Advised:
    """A new stored advice for a profile revised in the modal; the questions left blank stay unknown."""
    stored = _store(database, worker, workspace.tenant, profile, clock, on_verdict, lang)
    return Advised(stored, unanswered, lang, profile.task)
