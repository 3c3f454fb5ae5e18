"""The layout of a rules version's groups for the what-if search: who owns a field, what a group's signature reads.

Worked out once per rules version (rules/whatif_state.py uses it for every profile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from rules.counterfactuals import CANDIDATE_FIELDS
from rules.derived import DERIVED_BY_NAME, DerivedFact
from rules.loading import RuleSet
from rules.signatures import Group, group_facts, groups


@dataclass(frozen=True)
class Layout:
    """What a rules version's groups need, worked out once: who owns a field, what a signature reads."""

    groups: tuple[Group, ...]
    owner: dict[str, int]
    owned: list[list[DerivedFact]]  # per group: every derived fact of its fields (to realise a combination)
    tested: list[list[DerivedFact]]  # per group: only the derived facts its tests read
    raw_reads: list[list[str]]  # per group: the fields its tests read directly
    key_fields: list[tuple[str, ...]]  # per group: every field its signature depends on
    position: dict[str, int]  # a field's place in its group's signature key (absent: the signature ignores it)
    extra_fields: list[tuple[str, ...]]  # per group: its other fields (with the key, what its singles depend on)
    candidate_fields: list[tuple[tuple[int, str], ...]]  # per group: (place in CANDIDATE_FIELDS, field) it changes
    read_key: list[Callable[[dict[str, Any]], tuple[Any, ...]]]  # per group: the values of ``key_fields``
    read_extra: list[Callable[[dict[str, Any]], tuple[Any, ...]]]  # per group: the values of ``extra_fields``


def _reader(fields: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of ``fields`` as a tuple (``itemgetter`` gives a bare value for one field and fails for none)."""
    if len(fields) > 1:
        return itemgetter(*fields)
    return (lambda values: (values[fields[0]],)) if fields else (lambda values: ())


_LAYOUTS: dict[str, Layout] = {}


def layout(rules: RuleSet) -> Layout:
    """The groups' layout of ``rules``, worked out at first use."""
    found = _LAYOUTS.get(rules.version)
    if found is None:
        ruled = groups(rules)
        tested = [[DERIVED_BY_NAME[name] for name in group.reads if name in DERIVED_BY_NAME] for group in ruled]
        raw_reads = [[name for name in group.reads if name not in DERIVED_BY_NAME] for group in ruled]
        key_fields = [
            tuple(dict.fromkeys([*raw, *(name for fact in facts for name in fact.inputs)]))
            for raw, facts in zip(raw_reads, tested, strict=True)
        ]
        extra_fields = [
            tuple(name for name in group.fields if name not in fields) for group, fields in zip(ruled, key_fields, strict=True)
        ]
        found = _LAYOUTS[rules.version] = Layout(
            groups=ruled,
            owner={name: index for index, group in enumerate(ruled) for name in group.fields},
            owned=[[DERIVED_BY_NAME[name] for name in group_facts(group) if name in DERIVED_BY_NAME] for group in ruled],
            tested=tested,
            raw_reads=raw_reads,
            key_fields=key_fields,
            position={name: place + 1 for fields in key_fields for place, name in enumerate(fields)},
            extra_fields=extra_fields,
            candidate_fields=[
                tuple((listed, name) for listed, name in enumerate(CANDIDATE_FIELDS) if name in group.fields) for group in ruled
            ],
            read_key=[_reader(fields) for fields in key_fields],
            read_extra=[_reader(fields) for fields in extra_fields],
        )
    return found
