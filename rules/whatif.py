"""The what-if search, on signatures: the same answers as re-running the rules for every change, at a fraction of it.

A candidate change (rules/counterfactuals.py) can only move the strategy through the signature of the group that
holds its field (rules/signatures.py); a field in no group never can. So a change costs the derived facts its group's
tests read and those few tests, and the strategy of a signature combination is a dict lookup once anybody has seen
it (the rules run only on a combination nobody has seen, with the full facts then derived). Two changes in different
groups combine signatures already computed, and only the best-ranked change per (group, new signature) needs pairing,
since the outcome depends on the signatures alone and ranks add up. Two changes in one group are derived together.
Hits are taken in the order of the plain search: one change before two, less effort first, nearer values first.

What a cold profile costs (ADR 0015): a group's signature is kept across profiles by the fields it reads, so only
changes nobody has tried on those fields derive anything; and a pair within a group is skipped, underived, when no
signature the group could take gives a strategy still missing (``signature_strategy`` answers that for any
combination, from the rules alone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import combinations
from operator import attrgetter
from typing import Any

from knowledge.loader import Catalog
from rules.bounded import Bounded, SeenMarks
from rules.counterfactuals import Candidate, result
from rules.facts import STRATEGIES, Lang, Strategy
from rules.loading import RuleSet
from rules.model import Counterfactual
from rules.signatures import Signature
from rules.whatif_state import Single, WhatIf
from rules.whatif_traffic import Plan, free_key, plan, span

Allowed = Callable[[dict[str, Any], Strategy], bool]
# The pair phase's hits, kept by what it reads (``search``'s ``kept_as``): a cold profile whose groups in play are
# ones other profiles had (typically all but the traffic's group, which no pair could use) ranks and tries nothing.
PAIRS_CACHE_LIMIT = 1024
_PAIRS: Bounded[tuple[Any, ...], tuple[tuple[Strategy, tuple[Candidate, ...]], ...]] = Bounded(PAIRS_CACHE_LIMIT)
# Whole searches, kept by what they read: the profile's signature combination and the values of the groups whose
# singles were built (a group left out by ``WhatIf.singles`` and never built cannot change what is found, ADR 0034).
# ``_READ`` lists, per combination, the sets of groups the kept searches read (a few: which groups a search builds
# depends on what earlier profiles had); ``_SEARCHES`` holds what each found.
SEARCHES_CACHE_LIMIT = 2048
READ_SETS_LIMIT = 8  # per combination
_Found = tuple[tuple[Strategy, tuple[Candidate, ...]], ...]
_READ: Bounded[tuple[Any, ...], tuple[tuple[int, ...], ...]] = Bounded(SEARCHES_CACHE_LIMIT)
_SEARCHES: Bounded[tuple[Any, ...], _Found] = Bounded(SEARCHES_CACHE_LIMIT)
# Searches kept for a span of traffic values (ADR 0037): keyed like ``_SEARCHES`` with the traffic left out of its
# group's key; per key a few spans (lowest, highest traffic, what was found). A span is worked out the second time its
# key comes (``_SPAN_SEEN``): a profile whose other values are all new rarely comes back, and would only pay for it.
SPANS_PER_KEY = 8
_SPANS: Bounded[tuple[Any, ...], tuple[tuple[int, int, _Found], ...]] = Bounded(SEARCHES_CACHE_LIMIT)
_SPAN_SEEN = SeenMarks(SEARCHES_CACHE_LIMIT)
_by_rank = attrgetter("effort", "distance")


# A pair in rank order: (effort, distance, insertion order, first, second, same group). The insertion order keeps
# equal ranks in the order the plain search takes them (best cross-group pairs first, then pairs within a group).
_Pair = tuple[int, float, int, Single, Single, bool]


def _pairs(whatif: WhatIf, paired: tuple[list[Single], dict[int, tuple[Single, ...]]], missing: set[Strategy]) -> list[_Pair]:
    """The pairs that could give a strategy still ``missing``, best rank first: the best change per (group, new
    signature) across groups, whose combined signatures give such a strategy; all pairs within a group whose
    signatures could give one. The rest could only give a strategy already found (or none wanted): never derived."""
    singles, by_group = paired
    best: dict[tuple[int, Signature], Single] = {}
    own = whatif.signatures
    for single in singles:
        sig = single.signature  # all derived by now
        if sig is None:
            sig = whatif.derived(single)
        if sig != own[single.group]:
            best.setdefault((single.group, sig), single)
    ranked: list[_Pair] = []
    chosen = list(best.values())
    coding = whatif.coding
    code, table = whatif.code, whatif.table
    masks = [code & ~coding.mask(index) for index in range(len(whatif.groups))]
    # Per group: the chosen changes of a later group, in the order ``chosen`` has them (the pairs' insertion order).
    later = {group: [b for b in chosen if b.group > group] for group in {a.group for a in chosen}}
    for a in chosen:
        mask_a, bits_a, ca = masks[a.group], a.bits, a.candidate
        for b in later[a.group]:
            combined = mask_a & masks[b.group] | bits_a | b.bits
            outcome = table.strategy(combined)
            if outcome in missing:
                cb = b.candidate
                ranked.append((ca.effort + cb.effort, ca.distance + cb.distance, len(ranked), a, b, False))
    for index, members in by_group.items():
        if not whatif.own[index] & missing:
            continue
        for a, b in combinations(members, 2):
            ca, cb = a.candidate, b.candidate
            if ca.field != cb.field:
                ranked.append((ca.effort + cb.effort, ca.distance + cb.distance, len(ranked), a, b, True))
    ranked.sort()  # (effort, distance, insertion order): the third is unique, so the rest is never compared
    return ranked


def _ordered(first: Candidate, second: Candidate) -> tuple[Candidate, ...]:
    """The changes of a pair as people read them: the less effort, then the nearer, first (as the plain search)."""
    return tuple(sorted((first, second), key=_by_rank))


def search(
    values: dict[str, Any],
    facts: dict[str, Any],
    current: Strategy,
    catalog: Catalog,
    today: dt.date,
    rules: RuleSet,
    allowed: Allowed,
    lang: Lang,
    kept_as: str | None = None,
) -> list[Counterfactual]:
    """One counterfactual per other strategy, least effort first; ``reachable`` is false when none is found.

    ``kept_as`` names ``allowed`` for the memo of the pair phase (None: never kept): the caller vouches that what
    ``allowed`` answers for a pair depends only on the values of the groups the pair changes (the engine's veto reads
    the provider side, group 0, and only when a change moves the provider)."""
    wanted = [s for s in STRATEGIES if s != current]
    whatif = WhatIf(values, facts, catalog, today, rules)
    if kept_as is None:
        return result(values, wanted, _found(whatif, wanted, allowed, None), lang)
    base = (kept_as, rules.version, catalog.version, today, whatif.code)
    kept_keys = whatif.group_keys()
    traffic = plan(rules)
    for read in _READ.get(base, ()):
        hit = _SEARCHES.get((base, read, *(kept_keys[index] for index in read)))
        if hit is None and traffic is not None and traffic.group in read and _SPANS:
            hit = _spanned(_span_key(traffic, base, read, kept_keys), values[traffic.field])
        if hit is not None:
            return result(values, wanted, dict(hit), lang)
    found = _found(whatif, wanted, allowed, base)
    read = whatif.read_groups()
    sets = _READ.get(base, ())
    if read not in sets:
        _READ.put(base, (read, *sets[: READ_SETS_LIMIT - 1]))
    _SEARCHES.put((base, read, *(kept_keys[index] for index in read)), tuple(found.items()))
    if traffic is not None and traffic.group in read:
        _keep_span(whatif, traffic, _span_key(traffic, base, read, kept_keys), tuple(found.items()))
    return result(values, wanted, found, lang)


def _span_key(traffic: Plan, base: tuple[Any, ...], read: tuple[int, ...], kept_keys: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return (base, read, *(free_key(traffic, kept_keys[index]) if index == traffic.group else kept_keys[index] for index in read))


def _spanned(key: tuple[Any, ...], value: int) -> _Found | None:
    """What a search kept for a span holding ``value`` found, if one is kept under ``key``."""
    return next((found for low, high, found in _SPANS.get(key, ()) if low <= value <= high), None)


def _keep_span(whatif: WhatIf, traffic: Plan, key: tuple[Any, ...], found: _Found) -> None:
    """Keep ``found`` for the span of traffic values around the profile's where the search would find it again."""
    if not _SPAN_SEEN.offer(key):
        return
    group, place, value = traffic.group, traffic.place, whatif.values[traffic.field]
    keys = (whatif.keys[group], *(single.key for single in whatif.members.get(group, ())), *whatif.asked)
    bounds = span(whatif, traffic, [k for k in keys if k[0] == group and k[place] == value])
    if bounds is not None:
        spans = ((*bounds, found), *_SPANS.get(key, ())[: SPANS_PER_KEY - 1])
        if key in _SPANS:
            _SPANS[key] = spans
        else:
            _SPANS.put(key, spans)


def _found(
    whatif: WhatIf, wanted: list[Strategy], allowed: Allowed, base: tuple[Any, ...] | None
) -> dict[Strategy, tuple[Candidate, ...]]:
    """The changes found per strategy (``search``'s work before the texts); ``base`` (None: nothing kept) starts the
    key of the pair phase's memo: ``allowed``'s name, the rules, catalog and day, and the profile's combination."""
    values = whatif.values
    missing = set(wanted)
    found: dict[Strategy, tuple[Candidate, ...]] = {}

    def consider(outcome: Strategy, picked: tuple[Candidate, ...]) -> bool:
        """Take ``outcome`` if it is still missing and allowed; true once every wanted strategy is found."""
        if outcome in missing and allowed({**values, **{c.field: c.value for c in picked}}, outcome):
            found[outcome] = picked
            missing.discard(outcome)
        return not missing

    singles = whatif.singles(missing)
    own = whatif.own  # what each group alone could give
    for single in singles:
        if not own[single.group] & missing:
            continue  # this group cannot give a strategy still missing: not derived
        sig = single.signature
        if sig is None:
            sig = whatif.derived(single)
        if sig == whatif.signatures[single.group]:
            continue  # the profile's own strategy
        alone: tuple[Candidate, ...] = (single.candidate,)
        if consider(whatif.outcome({single.group: sig}, alone), alone):
            return found
    paired = whatif.paired(singles, missing)
    key: tuple[Any, ...] | None = None
    if base is not None:
        # What the pair phase reads: the groups in play (their singles and signatures follow from their values), the
        # profile's signatures, what is still missing, and the rules, catalog and day the signatures are for.
        key = (*base, frozenset(missing), *((index, whatif.kept_keys[index]) for index in paired[1]))
        kept = _PAIRS.get(key)
        if kept is not None:
            whatif.ranked = None  # not ranked here: no span can be worked out
            for outcome, picked in kept:
                found[outcome] = picked
                missing.discard(outcome)
            return found
    taken: list[tuple[Strategy, tuple[Candidate, ...]]] = []
    ranked = whatif.ranked = _pairs(whatif, paired, missing)
    outcomes = whatif.outcomes
    for _, _, _, a, b, same_group in ranked:
        if same_group and not own[a.group] & missing:
            outcomes.append(None)
            continue  # nothing this group's signatures give is still missing: not derived
        picked = _ordered(a.candidate, b.candidate)
        if same_group:
            changed = {a.group: whatif.signature(a.group, a.candidate, b.candidate)}
        else:
            changed = {a.group: whatif.derived(a), b.group: whatif.derived(b)}
        outcome = whatif.outcome(changed, picked)
        outcomes.append(outcome)
        done = consider(outcome, picked)
        if found.get(outcome) is picked:
            taken.append((outcome, picked))
            whatif.hits[outcome] = len(outcomes) - 1
        if done:
            break
    if key is not None:
        _PAIRS.put(key, tuple(taken))
    return found
