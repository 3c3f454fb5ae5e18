"""The questionnaire as a Slack modal: questions in, a ``views.open`` view out; a submitted view back to answers.

Each question is one input block whose ``block_id`` is the question id (the Profile field), so Slack's
per-field error display (``response_action: errors``) points at the right input. Every input is
optional: a blank answer keeps what the advice assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from rules.facts import Profile
from service.questionnaire.questions import Question, questions
from service.slack.blocks import Block, Lang, cut, label

CALLBACK_ID = "advise_questionnaire"
ACTION_ID = "answer"
TITLE_LIMIT = 24  # a modal's title and buttons
LABEL_LIMIT = 2000
OPTION_TEXT_LIMIT = 75


@dataclass(frozen=True)
class ModalContext:
    """Where the revised advice goes, carried through Slack in the view's private_metadata."""

    advice_id: str
    channel: str
    thread_ts: str
    lang: Lang

    def dump(self) -> str:
        return json.dumps({"advice_id": self.advice_id, "channel": self.channel, "thread_ts": self.thread_ts, "lang": self.lang})

    @classmethod
    def load(cls, text: str) -> ModalContext:
        data = json.loads(text)
        lang: Lang = "he" if data.get("lang") == "he" else "en"
        return cls(advice_id=str(data["advice_id"]), channel=str(data["channel"]), thread_ts=str(data["thread_ts"]), lang=lang)


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def _option_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _element(question: Question) -> Block:
    if question.type in ("choice", "yes_no"):
        options = [
            {"text": _plain(choice.label, OPTION_TEXT_LIMIT), "value": _option_value(choice.value)}
            for choice in question.choices or []
        ]
        return {"type": "static_select", "action_id": ACTION_ID, "options": options}
    if question.type == "number":
        element: Block = {"type": "number_input", "action_id": ACTION_ID, "is_decimal_allowed": False}
        if question.minimum is not None:
            element["min_value"] = str(question.minimum)
        return element
    return {"type": "plain_text_input", "action_id": ACTION_ID, "multiline": question.id == "task"}


def _input(question: Question) -> Block:
    return {
        "type": "input",
        "block_id": question.id,
        "optional": True,
        "label": _plain(question.text, LABEL_LIMIT),
        "hint": _plain(question.help, LABEL_LIMIT),
        "element": _element(question),
    }


def questionnaire_view(missing: list[str], context: ModalContext) -> Block:
    """A modal asking the ``missing`` questions, in the questionnaire's order."""
    lang = context.lang
    asked = [question for question in questions(lang) if question.id in set(missing)]
    intro: Block = {"type": "context", "elements": [{"type": "mrkdwn", "text": label(lang, "modal_intro")}]}
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(label(lang, "modal_title"), TITLE_LIMIT),
        "submit": _plain(label(lang, "modal_submit"), TITLE_LIMIT),
        "private_metadata": context.dump(),
        "blocks": [intro, *(_input(question) for question in asked)],
    }


def _answer(question: Question, state: dict[str, Any]) -> tuple[bool, Any]:
    """(answered, value) of one input; Slack has already checked numbers are whole and above the minimum."""
    if question.type in ("choice", "yes_no"):
        selected = state.get("selected_option")
        if not selected:
            return False, None
        by_value = {_option_value(choice.value): choice.value for choice in question.choices or []}
        return selected["value"] in by_value, by_value.get(selected["value"])
    raw = state.get("value")
    if raw is None or not str(raw).strip():
        return False, None
    if question.type == "number":
        return True, int(str(raw))
    return True, str(raw).strip()


def answers_from(values: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """The answered questions of a submitted view (``view.state.values``), typed like the Profile."""
    answers: dict[str, Any] = {}
    for question in questions(lang):
        state = values.get(question.id, {}).get(ACTION_ID)
        if state is None:
            continue
        answered, value = _answer(question, state)
        if answered:
            answers[question.id] = value
    return answers


def revised_profile(profile: dict[str, Any], answers: dict[str, Any]) -> tuple[Profile | None, dict[str, str]]:
    """The stored profile with the answers on top, or the errors per question id for Slack to show."""
    try:
        return Profile.model_validate({**profile, **answers}), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            if field in answers:
                errors.setdefault(field, item["msg"])
        return None, errors or {next(iter(answers), "task"): str(error.errors()[0]["msg"])}
