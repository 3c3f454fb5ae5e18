"""Block Kit for the advisor's Slack messages. Pure functions: data in, Slack JSON out.

Every text that comes from a user or from stored data is escaped for mrkdwn (``&``, ``<``, ``>``),
and every text is cut to the length Slack accepts for its block, so a long task or artifact
never makes ``chat.postMessage`` fail.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from knowledge.loader import default_guide
from rules.facts import Profile
from rules.texts import label as field_label
from rules.texts import strategy_name as shared_strategy_name
from service.errors import AdvisorError

Lang = Literal["en", "he"]
Block = dict[str, Any]

TOP_REASONS = 3
HEADER_LIMIT = 150  # characters in a header block
SECTION_LIMIT = 3000  # characters in a section's text
CONTEXT_ELEMENTS = 10  # elements in one context block
CODE_LIMIT = 2800  # characters of artifact text shown in a code block (the fences and a note fit in 3000)
TASK_QUOTE_LIMIT = 300

LABELS: dict[Lang, dict[str, str]] = {
    "en": {
        "strategy": "Strategy: {name}",
        "asked": "<@{user}> asked: _{task}_",
        "details": "Advice: *{name}*. Why, flags and next moves are in the thread.",
        "guide": "Guide: {title}",
        "more_reasons": "{count} more reason(s) in the <{url}|full advice>.",
        "unknown": "*Still unknown* (defaults assumed): {fields}",
        "tuning": "*Where to tune*\n{summary}",
        "open_questionnaire": "Answer the questionnaire",
        "get_artifact": "Get the artifact",
        "advice_link": "Advice `{id}` · <{url}|open the advice> · <{page}|questionnaire page>",
        "artifact_title": "*Artifact* for {name} (`{kinds}`)",
        "artifact_link": "<{url}|All the files, on the advice page>",
        "truncated": "… cut to fit Slack; the full text is behind the link below.",
        "no_artifact": "No artifact is built for {name} yet.",
        "modal_title": "Tuning advisor",
        "modal_submit": "Advise again",
        "modal_intro": "Answer what you know; a blank answer keeps what the advisor assumed.",
        "yes": "Yes",
        "no": "No",
        "usage": "Describe the use case: `/advise Answer policy questions in our brand voice; policies change monthly`",
        "thinking": "Thinking about it…",
        "revised": "Revised with your answers.",
        "advice_gone": "That advice is no longer available.",
        "failed": "Sorry, the advice could not be made; please try again.",
        "too_long": "The description has {count:,} characters; the advisor reads at most {limit:,}. "
        "Shorten it to the use case in a few sentences and ask again.",
        "rejected": "The advice could not be made: {reason}",
        "cannot_post": "I could not post the advice in this channel (`{error}`). "
        "Invite me with `/invite @advisor`, then ask again.",
    },
    "he": {
        "strategy": "אסטרטגיה: {name}",
        "asked": "<@{user}> שאל/ה: _{task}_",
        "details": "המלצה: *{name}*. הנימוקים, האזהרות והצעדים הבאים בשרשור.",
        "guide": "מדריך: {title}",
        "more_reasons": "עוד {count} נימוקים ב<{url}|המלצה המלאה>.",
        "unknown": "*עדיין לא ידוע* (הונחו ברירות מחדל): {fields}",
        "tuning": "*איפה לכוונן*\n{summary}",
        "open_questionnaire": "למענה על השאלון",
        "get_artifact": "לקבלת התוצר",
        "advice_link": "המלצה `{id}` · <{url}|לפתיחת ההמלצה> · <{page}|דף השאלון>",
        "artifact_title": "*תוצר* עבור {name} (`{kinds}`)",
        "artifact_link": "<{url}|כל הקבצים, בדף ההמלצה>",
        "truncated": "… קוצר כדי להתאים ל-Slack; הטקסט המלא בקישור למטה.",
        "no_artifact": "עדיין אין תוצר עבור {name}.",
        "modal_title": "יועץ הכוונון",
        "modal_submit": "ייעוץ מחדש",
        "modal_intro": "ענו על מה שידוע לכם; תשובה ריקה משאירה את מה שהיועץ הניח.",
        "yes": "כן",
        "no": "לא",
        "usage": "תארו את השימוש: `/advise לענות על שאלות מדיניות בקול המותג; המדיניות משתנה כל חודש`",
        "thinking": "חושב על זה…",
        "revised": "עודכן לפי התשובות שלכם.",
        "advice_gone": "ההמלצה הזאת כבר אינה זמינה.",
        "failed": "מצטערים, לא ניתן היה להכין המלצה; נסו שוב.",
        "too_long": "התיאור ארוך מדי: {count:,} תווים, והיועץ קורא עד {limit:,}. קצרו אותו לתיאור השימוש בכמה משפטים ושאלו שוב.",
        "rejected": "לא ניתן היה להכין המלצה: {reason}",
        "cannot_post": "לא הצלחתי לפרסם את ההמלצה בערוץ הזה (`{error}`). הזמינו אותי עם `/invite @advisor` ונסו שוב.",
    },
}


def label(lang: Lang, key: str, **values: Any) -> str:
    return LABELS[lang][key].format(**values)


def escape(text: str) -> str:
    """Slack mrkdwn treats ``&``, ``<`` and ``>`` as control characters; everything else is literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escaped_prefix(raw: str, limit: int) -> tuple[str, bool]:
    """The longest escaped prefix of ``raw`` within ``limit`` characters (never half an entity), and whether it is all of it."""
    if len(escape(raw)) <= limit:
        return escape(raw), True
    out: list[str] = []
    size = 0
    for char in raw:
        piece = escape(char)
        if size + len(piece) > limit:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out), False


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def strategy_name(strategy: str, lang: Lang) -> str:
    """One name per strategy and language, the same on the page, in Slack and in the CLI."""
    return shared_strategy_name(strategy, lang)


def guide_url(public_url: str, anchor: str, lang: Lang) -> str:
    """The guide section as a page people read (the JSON stays at /v1/guide)."""
    return f"{public_url.rstrip('/')}/guide/{quote(anchor)}?lang={lang}"


def advice_url(public_url: str, advice_id: str) -> str:
    """The stored advice on the questionnaire page: the verdict, its sections and its downloads."""
    return f"{public_url.rstrip('/')}/advice/{quote(advice_id)}"


def guide_title(anchor: str, lang: Lang) -> str:
    section = default_guide(lang).sections.get(anchor)
    return section.title if section else anchor


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _reason_block(reason: dict[str, Any], lang: Lang, public_url: str) -> Block:
    title = escape(label(lang, "guide", title=guide_title(reason["guide"], lang)))
    link = f"<{guide_url(public_url, reason['guide'], lang)}|{title}>"
    body = f"*{escape(reason['title'])}*\n{escape(reason['because'])}"
    return {"type": "section", "text": _mrkdwn(cut(body, SECTION_LIMIT - len(link) - 1) + "\n" + link)}


def _flags_block(flags: list[dict[str, Any]]) -> Block:
    elements = [_mrkdwn(cut(f":warning: {escape(flag['message'])}", SECTION_LIMIT)) for flag in flags]
    return {"type": "context", "elements": elements[:CONTEXT_ELEMENTS]}


def _actions_block(advice: dict[str, Any], missing: list[str], lang: Lang) -> Block | None:
    buttons: list[Block] = []
    if missing:
        buttons.append(
            {
                "type": "button",
                "action_id": "open_questionnaire",
                "text": _plain(label(lang, "open_questionnaire")),
                "style": "primary",
                "value": advice["id"],
            }
        )
    if advice.get("artifact") is not None:
        buttons.append(
            {"type": "button", "action_id": "get_artifact", "text": _plain(label(lang, "get_artifact")), "value": advice["id"]}
        )
    return {"type": "actions", "block_id": "advice_actions", "elements": buttons} if buttons else None


def advice_blocks(advice: dict[str, Any], missing: list[str], lang: Lang, public_url: str) -> list[Block]:
    """The advice itself: strategy, top reasons with guide links, flags, what is unknown, and the buttons."""
    name = strategy_name(advice["strategy"], lang)
    blocks: list[Block] = [{"type": "header", "text": _plain(cut(label(lang, "strategy", name=name), HEADER_LIMIT))}]
    reasons = advice.get("reasons", [])
    blocks += [_reason_block(reason, lang, public_url) for reason in reasons[:TOP_REASONS]]
    if len(reasons) > TOP_REASONS:
        more = label(lang, "more_reasons", count=len(reasons) - TOP_REASONS, url=advice_url(public_url, advice["id"]))
        blocks.append({"type": "context", "elements": [_mrkdwn(more)]})
    if advice.get("flags"):
        blocks.append(_flags_block(advice["flags"]))
    if advice.get("tuning"):
        summary = label(lang, "tuning", summary=escape(advice["tuning"]["summary"]))
        blocks.append({"type": "section", "text": _mrkdwn(cut(summary, SECTION_LIMIT))})
    if missing:
        # People read the questions' labels, never field names.
        fields = ", ".join(escape(field_label(field, lang)) for field in missing if field in Profile.model_fields)
        blocks.append({"type": "section", "text": _mrkdwn(cut(label(lang, "unknown", fields=fields), SECTION_LIMIT))})
    actions = _actions_block(advice, missing, lang)
    if actions:
        blocks.append(actions)
    page = public_url.rstrip("/") + "/"
    link = label(lang, "advice_link", id=advice["id"], url=advice_url(public_url, advice["id"]), page=page)
    blocks.append({"type": "context", "elements": [_mrkdwn(link)]})
    return blocks


def advice_text(advice: dict[str, Any], lang: Lang) -> str:
    """The notification text that goes with the blocks (shown where blocks cannot be)."""
    return label(lang, "strategy", name=strategy_name(advice["strategy"], lang))


def parent_blocks(advice: dict[str, Any], task: str, user: str, lang: Lang) -> list[Block]:
    """The channel message a slash command leaves: who asked what, and the verdict in one line."""
    name = strategy_name(advice["strategy"], lang)
    asked = label(lang, "asked", user=user, task=escape(cut(task, TASK_QUOTE_LIMIT)))
    return [
        {"type": "section", "text": _mrkdwn(asked)},
        {"type": "context", "elements": [_mrkdwn(label(lang, "details", name=name))]},
    ]


def artifact_text(artifact: dict[str, Any]) -> str:
    """What a person reads of each part: its snippet or prompt, else its explanation."""
    texts = []
    for part in artifact.get("parts", []):
        text = part.get("snippet") or part.get("system") or part.get("detail") or ""
        texts.append(f"# {part.get('kind', 'artifact')}\n{text}".rstrip())
    return "\n\n".join(texts)


def artifact_blocks(advice_id: str, strategy: str, artifact: dict[str, Any] | None, lang: Lang, public_url: str) -> list[Block]:
    """The artifact in a code block, cut to Slack's limit, with a link to all of it."""
    name = strategy_name(strategy, lang)
    if artifact is None:
        return [{"type": "section", "text": _mrkdwn(label(lang, "no_artifact", name=name))}]
    kinds = ", ".join(part.get("kind", "?") for part in artifact.get("parts", []))
    raw = artifact_text(artifact).replace("```", "`\u200b``")  # a fence inside would end the code block
    shown, complete = escaped_prefix(raw, CODE_LIMIT)
    code = f"```{shown}```" + ("" if complete else "\n" + label(lang, "truncated"))
    url = advice_url(public_url, advice_id) + "#downloads"
    return [
        {"type": "section", "text": _mrkdwn(label(lang, "artifact_title", name=name, kinds=escape(kinds)))},
        {"type": "section", "text": _mrkdwn(code)},
        {"type": "context", "elements": [_mrkdwn(label(lang, "artifact_link", url=url))]},
    ]


def refusal(lang: Lang, error: AdvisorError) -> str:
    """What to tell the user when the request itself is refused: why, never "try again" for a 4xx."""
    if error.status < 500:
        return label(lang, "rejected", reason=error.message)
    return label(lang, "failed")


def thread_of(body: dict[str, Any]) -> tuple[str, str]:
    """The channel and thread of the message a button was clicked in."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    return channel, message.get("thread_ts") or message.get("ts", "")
