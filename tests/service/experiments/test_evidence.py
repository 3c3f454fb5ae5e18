"""The measurement flows into the advice: prompting_status, the first reason, the first next step."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.experiments.fake_chat import FakeChat, serve
from tests.service.experiments.test_experiments import LABELS, SCRIPTS, api, body, few_shot_advice, run  # noqa: F401

PROFILE = {"task": "Label support tickets", "provider": "openai", "examples": 12, "prompting_status": "insufficient"}


def measured(api: TestClient) -> str:  # noqa: F811
    chat = FakeChat({k: list(v) for k, v in SCRIPTS.items()}, truth=LABELS)
    with serve(chat) as url:
        request = body(url, candidates=["zero_shot", "few_shot"], advice_id=few_shot_advice(api))
        experiment_id = str(api.post("/v1/experiments", json=request).json()["id"])
        assert run(api, experiment_id) == "succeeded"
    return experiment_id


def test_a_measurement_sets_prompting_status_and_leads_the_reasons(api: TestClient) -> None:  # noqa: F811
    experiment_id = measured(api)
    advice = api.post("/v1/advice", json={"profile": PROFILE, "experiment_id": experiment_id, "target_accuracy": 0.7})
    assert advice.status_code == 201, advice.text
    verdict = advice.json()
    assert verdict["profile"]["prompting_status"] == "works" and verdict["strategy"] == "prompting"
    first = verdict["reasons"][0]
    assert first["rule"] == "measured" and first["guide"] == "s6-evaluation"
    assert first["because"].startswith("measured: few-shot 1.00 [0.72, 1.00] vs zero-shot 0.70. The target accuracy is 0.70.")
    shipped = "Ship few-shot: it meets the target. Re-run the experiment on every prompt or model change."
    assert verdict["next_steps"][0] == shipped
    assert any(experiment_id in note for note in verdict["notes"])

    # The default target (0.8) is above few-shot's lower bound: inconclusive, the stated answer stands.
    stated = api.post("/v1/advice", json={"profile": PROFILE, "experiment_id": experiment_id, "lang": "he"}).json()
    assert stated["profile"]["prompting_status"] == "insufficient"
    assert "ברירת המחדל" in stated["reasons"][0]["because"] and "אינה חד-משמעית" in stated["reasons"][0]["because"]


def test_an_unknown_or_unfinished_experiment_is_refused(api: TestClient) -> None:  # noqa: F811
    missing = api.post("/v1/advice", json={"profile": PROFILE, "experiment_id": "nope"})
    assert missing.status_code == 404 and missing.json()["code"] == "experiment_not_found"
    queued = api.post("/v1/experiments", json=body("http://127.0.0.1:9/v1")).json()["id"]
    unfinished = api.post("/v1/advice", json={"profile": PROFILE, "experiment_id": queued})
    assert unfinished.status_code == 409 and unfinished.json()["code"] == "experiment_not_finished"


def test_below_the_target_the_advice_says_to_try_few_shot_next(api: TestClient) -> None:  # noqa: F811
    with serve(FakeChat({k: list(v) for k, v in SCRIPTS.items()})) as url:
        experiment_id = str(api.post("/v1/experiments", json=body(url)).json()["id"])
        assert run(api, experiment_id) == "succeeded"
    profile = {**PROFILE, "prompting_status": "works"}
    advice = api.post("/v1/advice", json={"profile": profile, "experiment_id": experiment_id, "target_accuracy": 0.95}).json()
    assert advice["profile"]["prompting_status"] == "insufficient"
    assert advice["reasons"][0]["rule"] == "measured" and "falls short" in advice["reasons"][0]["because"]
    assert advice["next_steps"][0].startswith("Try few-shot next: build a prompt from your examples")
    assert api.get(f"/v1/rules/{advice['reasons'][0]['rule']}").status_code == 200
