"""Broken rule files are refused with the file and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.loading import RuleFileError, load_rules

GOOD = """id: {id}
title: {{en: t, he: ת}}
criterion: {criterion}
stage: {stage}
guide: s2-style
when: {when}
then: {then}
because: {{en: b, he: ב}}
"""


def write(
    root: Path,
    rule_id: str,
    *,
    criterion: str = "style",
    stage: str = "signal",
    when: str = "{custom_style: true}",
    then: str = "{score: {fine_tuning: 1}}",
) -> Path:
    folder = root / criterion
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rule_id}.yaml"
    path.write_text(GOOD.format(id=rule_id, criterion=criterion, stage=stage, when=when, then=then), encoding="utf-8")
    return path


def test_a_valid_rule_loads(tmp_path: Path) -> None:
    write(tmp_path, "ok-rule")
    assert [item.rule.id for item in load_rules(tmp_path).rules] == ["ok-rule"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"when": "{colour: red}"}, "unknown fact 'colour'"),
        ({"when": "{task: x}"}, "unknown fact 'task'"),
        ({"when": "{examples: {about: 3}}"}, "unknown operator 'about'"),
        ({"when": "{examples: {in: 3}}"}, "takes a list"),
        ({"when": "{fired: no-such-rule}"}, "no rule 'no-such-rule'"),
        ({"stage": "advice", "when": "{strategy: rag}"}, "cannot score or block"),
        ({"stage": "signal", "when": "{strategy: rag}", "then": "{}"}, "unknown fact 'strategy'"),
        ({"then": "{score: {magic: 1}}"}, "magic"),
        # every people-facing text in English and Hebrew
        ({"then": "{flag: {code: low_quality_training_data, message: {en: only English}}}"}, "he"),
        ({"then": "{next_steps: [{order: 1, text: plain words}]}"}, "text"),
    ],
)
def test_broken_rules_are_refused(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    path = write(tmp_path, "bad-rule", **kwargs)
    with pytest.raises(RuleFileError) as error:
        load_rules(tmp_path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "right-name")
    path.rename(path.with_name("wrong-name.yaml"))
    with pytest.raises(RuleFileError, match="must match the file name"):
        load_rules(tmp_path)


def test_fired_must_name_an_earlier_rule(tmp_path: Path) -> None:
    write(tmp_path, "a-first", when="{fired: b-second}")
    write(tmp_path, "b-second")
    with pytest.raises(RuleFileError, match="runs later"):
        load_rules(tmp_path)


def test_version_changes_with_content(tmp_path: Path) -> None:
    path = write(tmp_path, "ok-rule")
    before = load_rules(tmp_path).version
    path.write_text(path.read_text().replace("en: b,", "en: c,"))
    assert load_rules(tmp_path).version != before


def test_a_rule_without_hebrew_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "en-only")
    path.write_text(path.read_text().replace("because: {en: b, he: ב}", "because: {en: b}"), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"because\.he"):
        load_rules(tmp_path)
