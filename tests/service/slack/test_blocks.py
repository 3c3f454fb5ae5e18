"""Block Kit rendering rules that the end-to-end tests do not reach: Hebrew, escaping, Slack's length limits."""

from __future__ import annotations

from typing import Any

from service.slack.blocks import advice_blocks, artifact_blocks, parent_blocks
from service.slack.service import clean_text

ADVICE: dict[str, Any] = {
    "id": "a-1",
    "strategy": "rag",
    "reasons": [{"title": "Facts <change>", "because": "Docs & data move.", "guide": "s3-new-knowledge"}],
    "flags": [],
    "artifact": None,
}


def test_hebrew_advice_has_hebrew_labels_and_guide_links() -> None:
    blocks = advice_blocks(ADVICE, ["examples"], "he", "https://advisor.example/")
    assert blocks[0]["text"]["text"] == "אסטרטגיה: אחזור (RAG)"
    reason = blocks[1]["text"]["text"]
    assert reason.startswith(
        "*Facts &lt;change&gt;*\nDocs &amp; data move.\n<https://advisor.example/guide/s3-new-knowledge?lang=he|"
    )
    # The question's Hebrew label, never the field name.
    assert blocks[2]["text"]["text"] == "*עדיין לא ידוע* (הונחו ברירות מחדל): דוגמאות מתויגות"
    # Without an artifact there is no artifact button; the questionnaire button stays.
    assert [button["action_id"] for button in blocks[3]["elements"]] == ["open_questionnaire"]


def test_nothing_unknown_and_no_artifact_means_no_buttons() -> None:
    blocks = advice_blocks(ADVICE, [], "en", "https://advisor.example")
    assert [block["type"] for block in blocks] == ["header", "section", "context"]


def test_the_task_is_escaped_and_cut_in_the_parent_message() -> None:
    task = "<!channel> & " + "x" * 400
    text = parent_blocks(ADVICE, task, "U1", "en")[0]["text"]["text"]
    assert text == "<@U1> asked: _&lt;!channel&gt; &amp; " + "x" * 286 + "…_"


def test_a_long_artifact_is_cut_to_fit_without_breaking_an_entity_or_the_fence() -> None:
    artifact = {"strategy": "fine_tuning", "parts": [{"kind": "tuning_spec", "snippet": "a<b" * 2000 + "```"}]}
    blocks = artifact_blocks("a-1", "fine_tuning", artifact, "en", "https://advisor.example")
    text = blocks[1]["text"]["text"]
    # 2,800 characters of code: the 14-character heading, 464 escaped "a<b" of 6 characters each, and one more "a".
    assert text == "```# tuning_spec\n" + "a&lt;b" * 464 + "a```\n… cut to fit Slack; the full text is behind the link below."
    assert len(text) <= 3000


def test_a_fence_inside_the_artifact_cannot_close_the_code_block() -> None:
    artifact = {"strategy": "prompting", "parts": [{"kind": "few_shot_needs_examples", "detail": "Send ```examples```."}]}
    text = artifact_blocks("a-1", "prompting", artifact, "en", "https://advisor.example")[1]["text"]["text"]
    assert text == "```# few_shot_needs_examples\nSend `\u200b``examples`\u200b``.```"


def test_mentions_are_stripped() -> None:
    assert clean_text("<@UBOT> <@U2|dana>  summarise tickets ") == "summarise tickets"
