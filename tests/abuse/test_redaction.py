"""A provider key echoed back in another form never reaches a problem detail or tuning_jobs.error.

Before: redaction replaced the exact key only, so a proxy or provider that echoed it lowercased, split across
lines or quoted pieces, or partly masked (`sk-proj-****abcd`) got it through. Generated variants first
(hypothesis), then the whole path: a fake OpenAI at the SDK's transport echoing the key in each form, a
submitted tuning job, the problem it answers and the row it stores.
"""

from __future__ import annotations

import json
import random
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import select

from service.config import Settings
from service.main import create_app
from service.providers.openai import OpenAITuning
from service.providers.redaction import FRAGMENT, REDACTED, redact
from service.store.models import TuningJobRow
from tests.conftest import TODAY
from tests.service.tuning_jobs.fake_openai import FakeOpenAI
from tests.service.tuning_jobs.test_tuning_jobs import chat_line

PHRASES = [
    "Incorrect API key provided: ",
    ". You can find your API key at https://platform.openai.com/account/api-keys.",
    "upstream said: ",
    '{"error": {"message": "',
    '"}}',
    "\n",
    "request had Authorization: Bearer ",
    " (status 400)",
]
SEPARATORS = [" ", "\n", "\t", "-", '" + "', "\\n", "  ", ", "]
MASKS = ["*" * 20, "•" * 8, "...", "…", "#" * 6]


def folded(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def grams(text: str, size: int = FRAGMENT) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}


keys = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["sk-", "sk-proj-", "sk-svcacct-"]),
    st.text(string.ascii_letters + string.digits + "_-", min_size=24, max_size=64),
)
cases = st.sampled_from([str.lower, str.upper, str.swapcase, str])


@st.composite
def split(draw: st.DrawFn, key: str) -> str:
    """The key cut at a few places, with a separator a log line, a JSON escape or a concatenation would add."""
    cuts = sorted(draw(st.sets(st.integers(1, len(key) - 1), min_size=1, max_size=4)))
    pieces = [key[a:b] for a, b in zip([0, *cuts], [*cuts, len(key)], strict=True)]
    return "".join(piece + (draw(st.sampled_from(SEPARATORS)) if i < len(pieces) - 1 else "") for i, piece in enumerate(pieces))


def _context(draw: st.DrawFn, key: str) -> tuple[str, str]:
    before, after = draw(st.sampled_from(PHRASES)), draw(st.sampled_from(PHRASES))
    # A key that happens to spell a word of the surrounding text (or of "[redacted]") would make the check ambiguous.
    assume(not grams(folded(key)) & grams(folded(before + after + REDACTED)))
    return before, after


@given(key=keys, case=cases, data=st.data())
def test_the_key_in_any_case_and_split_anywhere_is_redacted(key: str, case: Callable[[str], str], data: st.DataObject) -> None:
    before, after = _context(data.draw, key)
    variant = data.draw(split(case(key))) if data.draw(st.booleans()) else case(key)
    out = redact(before + variant + after, key)
    assert not grams(folded(out)) & grams(folded(key)), out
    assert out.startswith(before.rstrip()[:10]) and REDACTED in out


@given(key=keys, data=st.data())
def test_a_partly_masked_key_is_redacted(key: str, data: st.DataObject) -> None:
    before, after = _context(data.draw, key)
    head = data.draw(st.integers(0, 10))
    tail = data.draw(st.integers(4, 6))
    mask = data.draw(st.sampled_from(MASKS))
    variant = key[:head] + mask + key[-tail:]
    assume(not any(c in mask for c in key[-tail:] + key[:head]))
    assume(folded(key[-tail:]) and folded(key[-tail:]) not in folded(before + after + REDACTED))
    # Two letters beside a mask (`****-_ab`) say nothing about a key; three or more shown are treated as a leak.
    assume(len(folded(key[:head] + key[-tail:])) >= 3)
    out = redact(before + variant + after, key)
    assert mask not in out and key[-tail:] not in out, out


@given(key=keys, words=st.lists(st.sampled_from(PHRASES), min_size=1, max_size=6))
def test_text_without_the_key_is_left_alone(key: str, words: list[str]) -> None:
    text = "".join(words)
    assume(not grams(folded(key)) & grams(folded(text)))
    assert redact(text, key) == text


# --- the whole path: provider -> problem detail and tuning_jobs.error -------------------------------------------


def _lower(key: str) -> str:
    return key.lower()


def _split(key: str) -> str:
    return f'{key[:9]}" +\n"{key[9:20]}\n{key[20:]}'


def _masked(key: str) -> str:
    return f"{key[:8]}{'*' * 24}{key[-4:]}"


def _upper_spaced(key: str) -> str:
    return " ".join(key.upper()[i : i + 5] for i in range(0, len(key), 5))


FORMS = {"lower": _lower, "split": _split, "masked": _masked, "upper-spaced": _upper_spaced}


@dataclass
class EchoingForms(FakeOpenAI):
    """A provider whose errors quote the caller's key in one of FORMS."""

    form: Callable[[str], str] = _lower
    status: int = 400
    key: str = ""

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        creating = request.method == "POST" and request.url.path.endswith("/fine_tuning/jobs")
        echoed = f"Incorrect API key provided: {self.form(self.key)}. Check your proxy."
        if creating and self.status:
            return httpx2.Response(self.status, json={"error": {"message": echoed, "type": "invalid_request_error"}})
        response = super().handler(request)
        if request.method == "GET" and "/fine_tuning/jobs/" in request.url.path:
            job = json.loads(response.content)
            job.update(status="failed", error={"code": "invalid_file", "message": echoed, "param": None})
            return httpx2.Response(200, json=job)
        return response


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("status", [400, 500, 0])  # 0: accepted, then the job fails with the key in its message
def test_a_provider_echo_in_another_form_never_reaches_the_answer_or_the_row(tmp_path: Path, form: str, status: int) -> None:
    # The tail is what a masked echo leaves visible, and the check below looks for it in the answer: letters that are not
    # hex digits, so it cannot turn up by chance in an id, a timestamp or "[redacted]" (a tail "edac" once did).
    tail = "".join(random.choice("GHJKLMNPQRSTUVWXYZ") for _ in range(4))
    key = f"sk-proj-{uuid.uuid4().hex}{uuid.uuid4().hex[:4]}{tail}"
    fake = EchoingForms(form=FORMS[form], status=status, key=key)
    app = create_app(Settings(data_dir=tmp_path / "data"), clock=lambda: TODAY)
    app.state.tuning_clients = lambda provider: (
        OpenAITuning(key, base_url="https://fake.openai.test/v1", http_client=fake.client(), max_retries=0, timeout=5)
        if provider == "openai"
        else None
    )
    with TestClient(app) as client:
        lines = ("\n".join(chat_line(i) for i in range(20)) + "\n").encode()
        dataset = client.post("/v1/datasets", files={"file": ("train.jsonl", lines)}, data={"provider": "openai"}).json()["id"]
        submitted = client.post("/v1/tuning-jobs", json={"provider": "openai", "dataset_id": dataset, "submit": True})
        answers = [submitted.text]
        if submitted.status_code == 201:
            answers.append(client.get(f"/v1/tuning-jobs/{submitted.json()['id']}").text)
        with app.state.database.session() as session:
            errors = [json.dumps(row.error) for row in session.scalars(select(TuningJobRow))]
    app.state.database.dispose()
    assert submitted.status_code == {400: 422, 500: 502, 0: 201}[status], submitted.text
    assert any("Incorrect API key provided" in text for text in answers + errors)  # the message itself got through
    secret = grams(folded(key))
    for text in answers + errors:
        assert not grams(folded(text)) & secret, text
        assert key[-4:] not in text and "*" * 24 not in text
