"""A verdict's rule texts and assumptions kept by the values they read (ADR 0021).

The reasons, flags and next steps of a verdict are a function of the rules that fired (a rules version and their
ids), the strategy, the language, which of the fields the fired rules assert were not answered, and the values of
the facts their texts name (with their types: 1, 1.0 and True read differently). Those are few, and most profiles
share them, so the four lists are kept by exactly that key: a profile nobody sent before builds one key instead of
rendering every text. Texts that read more than plain names (a format spec, an attribute) are never kept.
Assumptions likewise: by the unanswered fields that count and their values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rules import explain
from rules.bounded import Bounded
from rules.context import SAVING_INPUTS
from rules.facts import Lang, Profile, Strategy
from rules.loading import CompiledRule, RuleSet
from rules.model import Assumption, Flag, Reason, Text
from rules.texts import LocalizedFacts

TEXTS_LIMIT = 1024
_ABSENT = object()
Told = tuple[list[Reason], list[Reason], list[Flag], list[str]]
# Per (rules version, fired ids): the facts the fired rules' texts name and the fields they assert (None: not kept).
_READS: Bounded[tuple[str, tuple[str, ...]], tuple[tuple[str, ...], frozenset[str]] | None] = Bounded(TEXTS_LIMIT)
_TOLD: Bounded[tuple[Any, ...], Told] = Bounded(TEXTS_LIMIT)
# Per (rules version, rule id): the facts that rule's texts name (None: not kept). Fired sets are many (a profile new
# in every field often fires a set nobody fired before); the rules are few.
_RULE_READS: Bounded[tuple[str, str], tuple[str, ...] | None] = Bounded(TEXTS_LIMIT)


def _texts(item: CompiledRule) -> list[Text]:
    rule = item.rule
    found = [rule.because, *(step.text for step in rule.then.next_steps)]
    if rule.then.flag is not None:
        found.append(rule.then.flag.message)
    return found


def _rule_reads(version: str, item: CompiledRule) -> tuple[str, ...] | None:
    """The facts one rule's texts name, in order (None: a text reads more than plain names), once per rule."""
    key = (version, item.rule.id)
    if key in _RULE_READS:
        return _RULE_READS[key]
    names: dict[str, None] = {}
    for text in _texts(item):
        for template in (text.en, text.he):
            read = explain.placeholders(template)
            if read is None:
                return _RULE_READS.put(key, None)
            names.update(dict.fromkeys(read))
    return _RULE_READS.put(key, tuple(names))


def _read_names(version: str, fired: Sequence[CompiledRule]) -> tuple[tuple[str, ...], frozenset[str]] | None:
    names: dict[str, None] = {}
    asserted: set[str] = set()
    for item in fired:
        read = _rule_reads(version, item)
        if read is None:
            return None
        asserted.update(item.rule.asserts)
        names.update(dict.fromkeys(read))
    return tuple(dict.fromkeys([*names, *sorted(asserted)])), frozenset(asserted)


def _reads(rules: RuleSet, fired: Sequence[CompiledRule], ids: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The facts the fired rules' texts name and the fields they assert, once per (rules version, fired ids)."""
    key = (rules.version, ids)
    if key in _READS:
        return _READS[key]
    return _READS.put(key, _read_names(rules.version, fired))


def _told(
    fired: Sequence[CompiledRule], shown: LocalizedFacts, strategy: Strategy, unanswered: frozenset[str], lang: Lang
) -> Told:
    reasons, outweighed = explain.reasons(fired, shown, strategy, unanswered, lang)
    return reasons, outweighed, explain.flags(fired, shown, lang), explain.next_steps(fired, shown, lang)


def rule_texts(
    rules: RuleSet,
    fired: Sequence[CompiledRule],
    shown: LocalizedFacts,
    strategy: Strategy,
    unanswered: frozenset[str],
    lang: Lang,
) -> Told:
    """(reasons, outweighed reasons, flags, next steps) as ``explain`` gives them, kept by the values they read."""
    ids = tuple(item.rule.id for item in fired)
    reads = _reads(rules, fired, ids)
    if reads is None:
        return _told(fired, shown, strategy, unanswered, lang)
    names, asserted = reads
    facts = shown.facts
    key: tuple[Any, ...] = (rules.version, lang, strategy, ids, asserted & unanswered)
    for name in names:
        value = facts.get(name, _ABSENT)
        key += (type(value).__name__, value)
    found = _TOLD.get(key)
    if found is None:
        found = _TOLD.put(key, _told(fired, shown, strategy, unanswered, lang))
    reasons, outweighed, flags, steps = found
    return list(reasons), list(outweighed), list(flags), list(steps)


_NAMES: Bounded[tuple[str, frozenset[str], bool], tuple[str, ...]] = Bounded(TEXTS_LIMIT)
_ASSUMED: Bounded[tuple[Any, ...], list[Assumption]] = Bounded(TEXTS_LIMIT)


_RELEVANT: dict[tuple[str, bool], tuple[str, ...]] = {}


def _relevant(rules: RuleSet, with_economics: bool) -> tuple[str, ...]:
    """The fields an assumption may name, in the profile's order: those the rules read (and the traffic's, with the
    economics shown), but the model (once per rules version)."""
    key = (rules.version, with_economics)
    found = _RELEVANT.get(key)
    if found is None:
        if len(_RELEVANT) >= 64:
            _RELEVANT.clear()
        read = set(explain.fields_read(rules)) | (set(SAVING_INPUTS) if with_economics else set())
        found = _RELEVANT[key] = tuple(name for name in Profile.model_fields if name in read and name != "model")
    return found


def assumptions(
    values: dict[str, Any], unanswered: frozenset[str], rules: RuleSet, with_economics: bool, lang: Lang
) -> list[Assumption]:
    """``explain.assumptions``, kept by the unanswered fields that count and their values (with their types)."""
    names_key = (rules.version, unanswered, with_economics)
    names = _NAMES.get(names_key)
    if names is None:
        names = _NAMES.put(names_key, tuple(name for name in _relevant(rules, with_economics) if name in unanswered))
    key: tuple[Any, ...] = (names, lang)
    for name in names:
        value = values[name]
        key += (type(value).__name__, value)
    found = _ASSUMED.get(key)
    if found is None:
        found = _ASSUMED.put(key, explain.assumptions(values, unanswered, rules, with_economics, lang))
    return list(found)
