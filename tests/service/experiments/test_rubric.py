"""The model-graded rubric grader: the judge's answer read strictly, its calls on a real loopback server, its
cost in the estimate and in cost_usd, its key checked like the target's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from service.experiments.graders import UnreadableJudge, grade, read_verdict
from service.experiments.schemas import RubricGrader
from tests.service.experiments.fake_chat import FakeChat, serve
from tests.service.experiments.test_experiments import LABELS, SCRIPTS, api, body, run  # noqa: F401

RUBRIC = "The answer names the team that handles the ticket."
# The judge's verdict per ticket (the judge is asked about the candidate's answer to that ticket).
VERDICTS = {text: ["PASS"] for text in LABELS} | {
    "ticket 8": ["FAIL"],
    "ticket 9": [" fail\n"],
    "ticket 10": ["I think it passes"],  # not PASS or FAIL: not scored
    "ticket 4": ["status:500", "Pass"],  # retried like any call
}


@pytest.mark.parametrize(
    ("said", "correct"), [("PASS", True), ("pass", True), ("  Pass\n", True), ("FAIL", False), ("fail ", False)]
)
def test_pass_or_fail_alone_is_read(said: str, correct: bool) -> None:
    assert read_verdict(RubricGrader(rubric=RUBRIC), said).correct is correct


@pytest.mark.parametrize("said", ["PASS.", "PASS: it names billing", "Yes", "", "PASSFAIL", "FAIL PASS", "**PASS**"])
def test_anything_else_is_not_scored(said: str) -> None:
    with pytest.raises(UnreadableJudge, match="not PASS or FAIL"):
        read_verdict(RubricGrader(rubric=RUBRIC), said)


@pytest.mark.parametrize(("said", "correct"), [("5", True), ("4", True), (" 3 ", False), ("1", False)])
def test_a_score_passes_at_the_passing_mark(said: str, correct: bool) -> None:
    graded = read_verdict(RubricGrader(rubric=RUBRIC, scale=5), said)  # passing: 80% of 5 = 4
    assert graded.correct is correct and graded.detail == f"score {said.strip()}/5"
    assert read_verdict(RubricGrader(rubric=RUBRIC, scale=5, passing=3), said).correct is (int(said) >= 3)


@pytest.mark.parametrize("said", ["0", "6", "4/5", "four", "4.5", "-1"])
def test_a_score_outside_the_scale_is_not_scored(said: str) -> None:
    with pytest.raises(UnreadableJudge, match="not a whole number from 1 to 5"):
        read_verdict(RubricGrader(rubric=RUBRIC, scale=5), said)


@given(st.text(max_size=40))
def test_only_the_two_words_are_ever_read_as_a_verdict(said: str) -> None:
    try:
        graded = read_verdict(RubricGrader(rubric=RUBRIC), said)
    except UnreadableJudge:
        assert said.strip().lower() not in ("pass", "fail")
    else:
        assert said.strip().lower() == ("pass" if graded.correct else "fail")


def test_the_grader_asks_the_judge_it_is_given() -> None:
    asked: list[tuple[str, str]] = []

    def judge(spec: RubricGrader, output: str, expected: str) -> str:
        asked.append((output, expected))
        return "FAIL"

    graded = grade(RubricGrader(rubric=RUBRIC), "billing", "shipping", judge=judge)
    assert (graded.correct, graded.grader, asked) == (False, "rubric", [("billing", "shipping")])
    with pytest.raises(ValueError, match="needs a judge"):
        grade(RubricGrader(rubric=RUBRIC), "billing", "shipping")


def test_a_judge_on_its_own_server_grades_and_is_paid_for(api: TestClient) -> None:  # noqa: F811
    candidate, judge = FakeChat({k: list(v) for k, v in SCRIPTS.items()}), FakeChat(VERDICTS)
    with serve(candidate) as url, serve(judge) as judge_url:
        priced = {
            "provider": "openai_compatible",
            "base_url": judge_url,
            "model": "judge-7b",
            "input_per_mtok": 1000,
            "output_per_mtok": 1000,
        }
        grader = {"type": "rubric", "rubric": RUBRIC, "judge": priced}
        unpriced = api.post(
            "/v1/experiments",
            json=body(url, grader={**grader, "judge": {**priced, "input_per_mtok": None, "output_per_mtok": None}}),
        )
        assert unpriced.status_code == 202 and unpriced.json()["estimate_usd"] == 0.0
        accepted = api.post("/v1/experiments", json=body(url, grader=grader))
        assert accepted.status_code == 202, accepted.text
        # The target is free: the estimate is the judge's, ten reads of the rubric, the ticket, its label and an answer.
        assert accepted.json()["estimate_usd"] > 0
        assert run(api, accepted.json()["id"]) == "succeeded"
    report = api.get(f"/v1/experiments/{accepted.json()['id']}").json()
    (scored,) = report["candidates"]
    assert (scored["n"], scored["correct"], scored["errors"], scored["graders"]) == (9, 7, 1, {"rubric": 9})
    by_input = {r["input"]: r for r in scored["results"]}
    assert by_input["ticket 10"]["error"] == "the judge answered 'I think it passes', not PASS or FAIL"
    assert by_input["ticket 10"]["output"] == "billing" and by_input["ticket 8"]["correct"] is False
    assert by_input["ticket 9"]["correct"] is False and by_input["ticket 4"]["correct"] is True
    # The judge's reported tokens, at its prices: 20 prompt + 2 answer tokens a call (the fake's usage), ten calls.
    assert scored["cost_usd"] == pytest.approx(10 * (20 * 1000 + 2 * 1000) / 1e6)
    asked = judge.bodies[0]["messages"]
    assert asked[0]["content"].endswith("Reply with exactly PASS or FAIL and nothing else.")
    assert asked[1]["content"].startswith(f"Rubric:\n{RUBRIC}\n\nInput:\nticket ")
    assert sum(judge.answered.values()) == 10 and sum(candidate.answered.values()) == 10


def test_the_judge_is_the_target_unless_named_and_its_key_comes_from_the_environment(api: TestClient) -> None:  # noqa: F811
    # The rubric is the longest script text in the judge's question, so the judge's calls get "PASS".
    chat = FakeChat({k: list(v) for k, v in SCRIPTS.items()} | {f"Rubric:\n{RUBRIC}": ["PASS"]})
    with serve(chat) as url:
        experiment_id = api.post(
            "/v1/experiments", json=body(url, grader={"type": "rubric", "rubric": RUBRIC, "scale": 5})
        ).json()["id"]
        assert run(api, experiment_id) == "succeeded"
    scored = api.get(f"/v1/experiments/{experiment_id}").json()["candidates"][0]
    # The same server judged: "PASS" is no score on a scale, so no answer was scored.
    assert (scored["n"], scored["errors"]) == (0, 10)
    assert scored["results"][0]["error"] == "the judge answered 'PASS', not a whole number from 1 to 5"
    hosted = {"type": "rubric", "rubric": RUBRIC, "judge": {"provider": "anthropic", "model": "claude-haiku-4-5"}}
    refused = api.post("/v1/experiments", json=body(url, grader=hosted))
    assert refused.status_code == 409 and refused.json()["code"] == "provider_key_missing"
    assert "ANTHROPIC_API_KEY" in refused.json()["detail"] and refused.json()["field"] == "grader.judge.provider"
    bad = api.post("/v1/experiments", json=body(url, grader={"type": "rubric", "rubric": RUBRIC, "passing": 3}))
    assert bad.status_code == 422
