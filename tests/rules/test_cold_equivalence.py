"""A never-seen profile gets exactly the verdict the code gave before the cold path was optimised (issue 18).

tests/rules/data/cold_verdicts.jsonl.gz holds, for 450 varied cases (tests/rules/cold_cases.py), the full verdict
the unoptimised code returned: strategy, scores, reasons and their order, flags, next steps, every counterfactual
with its changes and texts, economics, tuning plan, assumptions. Each case is decided cold (per-profile caches
emptied), once with the shared strategy memo as earlier cases left it and once with it emptied too.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rules import signature_table, whatif
from rules.loading import default_rules
from rules.signature_rules import code_strategy, coding, signature_strategy
from rules.signatures import strategy_memo
from tests.rules.cold_cases import cases, recorded, verdict_of

RECORDED = recorded()


def test_the_recorded_cases_are_the_generated_ones() -> None:
    assert [item["case"] for item in RECORDED] == cases()


def _differences(got: Any, want: Any, path: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        keys = dict.fromkeys([*want, *got])
        return [line for key in keys for line in _differences(got.get(key), want.get(key), f"{path}.{key}")]
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [line for i, (g, w) in enumerate(zip(got, want, strict=True)) for line in _differences(g, w, f"{path}[{i}]")]
    return [] if got == want and type(got) is type(want) else [f"{path}: got {got!r}, recorded {want!r}"]


@pytest.mark.parametrize("cold_memo", [False, True], ids=["shared-memo", "empty-memo"])
def test_every_cold_verdict_is_the_recorded_one(cold_memo: bool) -> None:
    wrong = {}
    for index, item in enumerate(RECORDED):
        found = _differences(verdict_of(item["case"], cold_memo=cold_memo), item["verdict"])
        if found:
            wrong[index] = found[:5]
    assert not wrong, f"{len(wrong)} of {len(RECORDED)} verdicts differ, e.g. {list(wrong.items())[:3]}"


def test_cold_verdicts_answered_one_combination_at_a_time_are_the_recorded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule set too big for a strategy table (ADR 0032) is searched with each combination evaluated when asked, and
    a group not resolved yet taken as mattering: the same verdicts."""
    rules = default_rules()
    monkeypatch.setitem(signature_table._ANSWERS, rules.version, signature_table.OneByOne(rules))
    whatif._PAIRS.clear()  # the pair phase's kept hits were found with the table: found again here
    whatif._SEARCHES.clear()  # so were the kept searches
    wrong = [index for index, item in enumerate(RECORDED) if verdict_of(item["case"]) != item["verdict"]]
    assert not wrong, f"{len(wrong)} of {len(RECORDED)} verdicts differ"


def test_the_strategy_of_a_signature_combination_is_the_rules_strategy() -> None:
    """The what-if search skips changes by ``signature_strategy`` (the rules read through signatures alone): on every
    combination the recorded cases realise, it gives what running every rule on the facts gives."""
    rules = default_rules()
    memo = strategy_memo(rules)
    memo.clear()
    whatif._SEARCHES.clear()  # kept searches would find their changes without asking the memo
    whatif._PAIRS.clear()
    for item in RECORDED:
        verdict_of(item["case"])
    assert len(memo) > 500
    wrong = {key: found for key, found in memo.items() if signature_strategy(key, rules) != found}
    assert not wrong
    codes = coding(rules)
    assert all(code_strategy(codes.encode(key), rules) == found for key, found in memo.items())
    assert all(codes.decode(codes.encode(key)) == key for key in memo)


def test_cold_verdicts_decided_on_several_threads_are_the_recorded_ones() -> None:
    """The kept group singles and signatures are shared by every thread that decides (the caches emptied meanwhile)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            got = list(pool.map(lambda item: verdict_of(item["case"]), RECORDED))
    finally:
        sys.setswitchinterval(interval)
    wrong = [index for index, (verdict, item) in enumerate(zip(got, RECORDED, strict=True)) if verdict != item["verdict"]]
    assert not wrong


def test_a_verdict_whose_search_was_kept_for_another_profile_is_the_recorded_one() -> None:
    """Whole searches are kept by the combination and the values of the groups they built (ADR 0034): a profile
    that differs from one decided just before only in its traffic finds its changes there, and gets the verdict the
    unoptimised code recorded for it."""
    whatif._SEARCHES.clear()
    whatif._PAIRS.clear()
    answered_by_kept = 0
    wrong = []
    for index, item in enumerate(RECORDED):
        case = item["case"]
        traffic = case["profile"].get("requests_per_day", 1000)
        for other in (traffic + 1, traffic + 17):  # decided first: its search kept
            verdict_of({**case, "profile": {**case["profile"], "requests_per_day": other}})
        before = len(whatif._SEARCHES)
        if verdict_of(case) != item["verdict"]:
            wrong.append(index)
        answered_by_kept += len(whatif._SEARCHES) == before and case["with_counterfactuals"]
    assert not wrong, f"{len(wrong)} of {len(RECORDED)} verdicts differ, e.g. {wrong[:5]}"
    assert answered_by_kept > len(RECORDED) // 3  # the kept searches were used, not only kept
