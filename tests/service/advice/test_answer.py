"""The advice row's JSON columns, encoded once by pydantic (service/advice/answer.py), hold what ``model_dump`` gave,
and the response spliced from them is the JSON of ``stored``'s data, for verdicts of every shape.

test_response_bytes.py pins the bytes of the public profiles' answers; these are the varied profiles of
tests/rules/cold_cases.py (every provider and model, values around every threshold, fields left out, both languages),
whose verdicts hold what-ifs, economics, tuning plans, assumptions of any type and Hebrew text.
"""

from __future__ import annotations

import datetime as dt
import random

import orjson
import pytest

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Profile
from service.advice import answer
from service.advice.schemas import AdviceRequest
from service.store.db import Encoded, dumps
from tests.rules.cold_cases import case

CASES = [case(random.Random(31), index) for index in range(120)]
NOTES = ["The example count comes from dataset d-1 (12 records, 10 valid), not from the answers (which said 3)."]


@pytest.mark.parametrize("item", CASES, ids=[f"case{n}" for n in range(len(CASES))])
def test_columns_hold_what_model_dump_gives_and_the_body_is_the_stored_data(item: dict[str, object]) -> None:
    profile = Profile.model_validate(item["profile"])
    request = AdviceRequest(profile=profile, lang=item["lang"], artifact=False)
    verdict = decide(profile, default_catalog(), today=dt.date.fromisoformat(str(item["day"])), lang=request.lang)

    columns = answer.columns(profile, verdict, NOTES, request)

    assert columns["profile"].value() == profile.model_dump(mode="json")
    assert columns["verdict"].value() == {**verdict.model_dump(mode="json", by_alias=True), "notes": NOTES}
    assert columns["request"].value() == request.model_dump(mode="json", exclude={"profile", "examples"}, exclude_none=True)
    values = {
        "id": "0193a0f2-0000-7000-8000-000000000001",
        "created_at": dt.datetime(2026, 12, 7, 12, 30, 1, 250000, tzinfo=dt.UTC),
        "strategy": verdict.strategy,
        **columns,
        "artifact": None,
    }
    body = answer.stored_body(values, None)
    assert orjson.loads(body) == answer.stored(values, None)
    assert list(orjson.loads(body))[-4:] == ["id", "created_at", "profile", "artifact"]


def test_a_json_column_stores_encoded_text_as_it_is() -> None:
    text = '{"b":1,"a":"ש"}'  # not the order or spacing orjson would write: stored untouched
    assert dumps(Encoded(text.encode())) == text
    assert dumps({"b": 1, "a": "ש"}) == '{"b":1,"a":"ש"}'


def test_counted_once_whichever_answer_is_made() -> None:
    profile = Profile(task="classify support tickets")
    request = AdviceRequest(profile=profile)
    verdict = decide(profile, default_catalog(), today=dt.date(2026, 12, 7))
    values = {
        "id": "0193a0f2-0000-7000-8000-000000000002",
        "created_at": dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        "strategy": verdict.strategy,
        **answer.columns(profile, verdict, [], request),
        "artifact": {"kind": "prompt"},
    }
    counted: list[str] = []
    answer.stored_body(values, counted.append)
    answer.stored(values, counted.append)
    assert counted == [verdict.strategy, verdict.strategy]
    assert orjson.loads(answer.stored_body(values, None))["artifact"] == {"kind": "prompt"}
