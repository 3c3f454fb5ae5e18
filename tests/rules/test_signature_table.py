"""Every signature combination's strategy and every group's reach, from the bitset walk (rules/signature_table.py).

The table answers the what-if search for all 2^18 combinations of the bundled rules. It is compared here with the
generated per-combination rules on every combination, with their closures (``_evaluate_signatures``) on a sample, and
each group's reach with the brute force over the group's values. Rule sets whose run-fact tests use the other operators
of the condition language are built from edited copies of the bundled rule files and compared the same way, and a rule
set with more tests than the table takes is answered one by one, the same.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from rules.facts import STRATEGIES
from rules.loading import DATA_DIR, RuleSet, default_rules, load_rules
from rules.signature_rules import _evaluate_signatures, _signature_rules, coding
from rules.signature_table import OneByOne, StrategyTable, answers, build

RULES = default_rules()


def _every_code(ruleset: RuleSet) -> range:
    return range(1 << sum(coding(ruleset).sizes))


def _table(ruleset: RuleSet) -> StrategyTable:
    table = build(ruleset)
    assert isinstance(table, StrategyTable)
    return table


def _same_strategies(ruleset: RuleSet, table: StrategyTable) -> None:
    by_code = _signature_rules(ruleset).by_code
    wrong = [code for code in _every_code(ruleset) if table.strategy(code) != by_code(code)]
    assert not wrong, f"{len(wrong)} combinations differ, the first {wrong[:5]}"


def test_every_combination_has_the_strategy_the_rules_give() -> None:
    table = _table(RULES)
    assert len(table.strategies) == 1 << 18
    _same_strategies(RULES, table)
    codes = coding(RULES)
    for code in random.Random(7).sample(_every_code(RULES), 3000):
        assert table.strategy(code) == _evaluate_signatures(codes.decode(code), RULES)
    # Every strategy is the answer somewhere, so a table of one strategy would not pass.
    assert {table.strategy(code) for code in _every_code(RULES)} == set(STRATEGIES)


def test_every_group_reach_is_the_strategies_its_values_give() -> None:
    table = _table(RULES)
    codes = coding(RULES)
    for index, (offset, size) in enumerate(zip(codes.offsets, codes.sizes, strict=True)):
        seen_sizes = set()
        for code in _every_code(RULES):
            if code & codes.mask(index):
                continue  # each rest once: the group's own bits cleared
            expected = frozenset(table.strategy(code | value << offset) for value in range(1 << size))
            assert table.reach(index, code) == expected, (index, code)
            # The group's own bits do not change the answer.
            assert table.reach(index, code | codes.mask(index)) == expected
            seen_sizes.add(len(expected))
        assert len(seen_sizes) > 1, f"group {index}: every reach of one size"


@pytest.mark.parametrize(
    ("rule", "old", "new"),
    [
        ("readiness/prompting-first.yaml", "  fine_tuning_score:\n    gt: 0\n", "  fine_tuning_score:\n    in: [1, 3, 4]\n"),
        ("readiness/prompting-first.yaml", "  fine_tuning_score:\n    gt: 0\n", "  fine_tuning_score:\n    not_in: [0, 2]\n"),
        ("readiness/prompting-first.yaml", "  fine_tuning_score:\n    gt: 0\n", "  fine_tuning_score:\n    gte: 2\n    lte: 4\n"),
        ("readiness/prompting-already-works.yaml", "  fine_tuning_score:\n    gt: 0\n", "  fine_tuning_score:\n    ne: 1\n"),
        ("data/low-quality-data.yaml", "  fine_tuning_indicated: true\n", "  fine_tuning_indicated:\n    ne: false\n"),
        ("readiness/prompting-falls-short.yaml", "  rag_score: 0\n", "  rag_score:\n    lt: 3\n"),
        # Tuning indicated (a score, and no block from the readiness stage) now decides whether retrieval is blocked.
        ("data/too-little-data.yaml", "  block:\n  - fine_tuning\n", "  block:\n  - rag\n"),
    ],
)
def test_run_facts_read_with_every_operator(tmp_path: Path, rule: str, old: str, new: str) -> None:
    data = tmp_path / "rules"
    shutil.copytree(DATA_DIR, data)
    path = data / rule
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rule} no longer reads {old!r}: pick another rule to edit"
    path.write_text(text.replace(old, new), encoding="utf-8")
    edited = load_rules(data)
    assert edited.version != RULES.version
    _same_strategies(edited, _table(edited))


def test_more_tests_than_a_table_takes_are_answered_one_by_one() -> None:
    assert build(RULES, max_bits=17) is None
    one_by_one = OneByOne(RULES)
    table = _table(RULES)
    codes = coding(RULES)
    rng = random.Random(3)
    for _ in range(400):
        code, index = rng.randrange(1 << 18), rng.randrange(len(codes.sizes))
        assert one_by_one.strategy(code) == table.strategy(code)
        assert one_by_one.reach(index, code) == table.reach(index, code)
    assert answers(RULES) is answers(RULES)  # built once per rules version
