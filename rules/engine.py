"""decide(profile, catalog) -> Verdict: run the rules (rules/evaluation.py), search the what-ifs, explain."""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from cachetools import LRUCache

from knowledge.loader import Catalog
from rules import explain, explain_economics, explain_kept, whatif
from rules.bounded import SeenMarks
from rules.context import context_for
from rules.derived import DERIVED_BY_NAME
from rules.evaluation import run_rules
from rules.facts import PROFILE_FIELDS, Lang, Profile, Strategy
from rules.loading import RuleSet, default_rules
from rules.model import Counterfactual, Verdict
from rules.texts import localized_facts
from rules.validation import check_model

# Economics are shown when the instruction block is big or costs real money.
ECONOMICS_MIN_PROMPT_TOKENS = 1000
ECONOMICS_MIN_MONTHLY_USD = 100.0


def _strategy_scores(scores: dict[str, int], blocked: dict[str, list[str]]) -> dict[Strategy, int]:
    rag = scores["rag"] if "rag" not in blocked else 0
    tuning = scores["fine_tuning"] if "fine_tuning" not in blocked else 0
    return {
        "prompting": scores["prompting"],
        "rag": rag,
        "fine_tuning": tuning,
        "rag_and_fine_tuning": rag + tuning if rag > 0 and tuning > 0 else 0,
    }


# A profile's values but the free text, in field order: what the verdict and what-ifs are kept by.
_DECIDING = operator.itemgetter(*(name for name in PROFILE_FIELDS if name != "task"))
_ALL_FIELDS = frozenset(PROFILE_FIELDS)

# A kept verdict and its what-ifs hold ~8 KiB (their models, lists and key; tracemalloc, profiles new in every field):
# 1,024 of each hold ~8 MiB where 4,096 grew towards ~31 MiB through a long run. Profiles come back within minutes
# (a resumed questionnaire, a retry): in the soak ~30 a minute were kept, so 1,024 reach back half an hour.
WHATIF_CACHE_SIZE = 1024
# Whole verdicts, for a profile seen again (a questionnaire resumed, a retried request): frozen, so shared safely.
_VERDICTS: LRUCache[tuple[Any, ...], Verdict] = LRUCache(maxsize=WHATIF_CACHE_SIZE)
_WHATIF_CACHE: LRUCache[tuple[Any, ...], list[Counterfactual]] = LRUCache(maxsize=WHATIF_CACHE_SIZE)
# Admission: a result is kept from the second time its key is asked for. A profile sent once (most of them) then
# leaves nothing behind for the garbage collector to walk, only its key's hash in a fixed table (256 KiB).
SEEN_LIMIT = 32_768
_SEEN = SeenMarks(SEEN_LIMIT)


def _admit(key: tuple[Any, ...]) -> bool:
    """Whether ``key`` was asked for before (then its result is worth keeping); remembers it otherwise."""
    return _SEEN.offer(key)


def _counterfactuals(
    values: dict[str, Any], facts: dict[str, Any], strategy: Strategy, catalog: Catalog, rules: RuleSet, day: dt.date, lang: Lang
) -> list[Counterfactual]:
    """Counterfactuals, memoized on everything they depend on (the task text does not count)."""
    key = (rules.version, catalog.version, day, lang, *_DECIDING(values))
    found = _WHATIF_CACHE.get(key)
    if found is None:

        def allowed(changed: dict[str, Any], outcome: Strategy) -> bool:
            # Moving to a provider is only a plan if that provider can do the work.
            tuned = outcome in ("fine_tuning", "rag_and_fine_tuning")
            moved = changed["provider"] != values["provider"]
            return not (tuned and moved) or bool(_CAN_TUNE.compute(changed, context_for(catalog, day)))

        found = whatif.search(values, facts, strategy, catalog, day, rules, allowed, lang, kept_as="engine")
        if _admit(key):
            _WHATIF_CACHE[key] = found
    return found


def decide(
    profile: Profile,
    catalog: Catalog,
    *,
    ruleset: RuleSet | None = None,
    today: dt.date | None = None,
    with_counterfactuals: bool = True,
    lang: Lang = "en",
) -> Verdict:
    """The strategy for ``profile``, with the rules that fired, flags, next steps, what-ifs, economics and where to tune.

    Raises ``ProfileError`` for a profile the catalog contradicts (a model of another provider).
    """
    rules = ruleset or default_rules()
    day = today or dt.date.today()
    check_model(profile, catalog)
    values = profile.model_dump()
    unanswered = _ALL_FIELDS - profile.model_fields_set
    # The verdict depends on everything but the free text, and on which fields were given (assumptions).
    key = (
        rules.version,
        catalog.version,
        day,
        lang,
        with_counterfactuals,
        unanswered,
        *_DECIDING(values),
    )
    found = _VERDICTS.get(key)
    if found is None:
        found = _decide(values, unanswered, catalog, rules, day, lang, with_counterfactuals)
        if _admit(key):
            _VERDICTS[key] = found
    return found


_AS_OF: dict[str, str] = {}
_CAN_TUNE = DERIVED_BY_NAME["provider_can_fine_tune"]  # the one derived fact the what-ifs' veto reads


def _as_of(catalog: Catalog) -> str:
    """The catalog's ``as_of`` as the verdict shows it, per catalog version (its content)."""
    found = _AS_OF.get(catalog.version)
    if found is None:
        if len(_AS_OF) >= 64:
            _AS_OF.clear()
        found = _AS_OF[catalog.version] = catalog.as_of.isoformat()
    return found


def _decide(
    values: dict[str, Any],
    unanswered: frozenset[str],
    catalog: Catalog,
    rules: RuleSet,
    day: dt.date,
    lang: Lang,
    with_counterfactuals: bool,
) -> Verdict:
    run = run_rules(values, catalog, rules, day)
    facts = run.facts
    shown = localized_facts(facts, lang)
    reasons, outweighed, flags, steps = explain_kept.rule_texts(rules, run.fired, shown, run.strategy, unanswered, lang)
    now = None
    show_economics = values["prompt_tokens"] >= ECONOMICS_MIN_PROMPT_TOKENS or run.strategy in (
        "fine_tuning",
        "rag_and_fine_tuning",
    )
    if not show_economics:
        now = explain_economics.cost_today(values, catalog, day)
        show_economics = (now.total or 0.0) >= ECONOMICS_MIN_MONTHLY_USD
    economics = explain_economics.economics(values, facts, catalog, day, lang, unanswered, now) if show_economics else None
    whatifs = _counterfactuals(values, facts, run.strategy, catalog, rules, day, lang) if with_counterfactuals else []
    return Verdict(
        strategy=run.strategy,
        lang=lang,
        scores=_strategy_scores(run.scores, run.blocked),
        reasons=reasons,
        outweighed=outweighed,
        flags=flags,
        blocked=run.blocked,
        next_steps=steps,
        counterfactuals=whatifs,
        economics=economics,
        tuning=explain.tuning_plan(facts, catalog, day, lang) if facts["fine_tuning_indicated"] else None,
        assumptions=explain_kept.assumptions(values, unanswered, rules, show_economics, lang),
        rules_version=rules.version,
        catalog_as_of=_as_of(catalog),
    )
