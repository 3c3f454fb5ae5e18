"""GET /v1/rules and GET /v1/guide: the rules and the guide they cite."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from knowledge.loader import default_guide
from rules.loading import default_rules, load_cases
from rules.measured import COMPUTED_RULES
from rules.model import Rule
from service.api.problems import PROBLEM_RESPONSES
from service.errors import NotFound
from service.guide.schemas import GuideIndexOut, GuideSectionOut, RuleOut

router = APIRouter(responses=PROBLEM_RESPONSES)
Lang = Annotated[Literal["en", "he"], Query(description="Language of the texts")]


def _rule_out(rule: Rule, lang: str, cases: dict[str, list[dict[str, object]]] | None = None) -> RuleOut:
    return RuleOut(
        id=rule.id,
        title=rule.title.he if lang == "he" else rule.title.en,
        criterion=rule.criterion,
        stage=rule.stage,
        guide=rule.guide,
        because=rule.because.he if lang == "he" else rule.because.en,
        when=rule.when,
        then=rule.then.model_dump(exclude_defaults=True),
        evidence=rule.evidence,
        cases=cases,
    )


@router.get(
    "/v1/rules",
    tags=["rules"],
    response_model=list[RuleOut],
    summary="Every rule, in the order the engine runs them, then the reasons computed beside it (measured)",
)
def list_rules(lang: Lang = "en") -> list[RuleOut]:
    return [*(_rule_out(item.rule, lang) for item in default_rules().rules), *(_rule_out(r, lang) for r in COMPUTED_RULES)]


@router.get(
    "/v1/rules/{rule_id}", tags=["rules"], response_model=RuleOut, summary="One rule with its must-fire and must-not-fire cases"
)
def get_rule(rule_id: str, lang: Lang = "en") -> RuleOut:
    item = default_rules().get(rule_id)
    computed = next((rule for rule in COMPUTED_RULES if rule.id == rule_id), None)
    if computed is not None:
        return _rule_out(computed, lang)
    if item is None:
        raise NotFound(f"No rule {rule_id!r}; GET /v1/rules lists them.", code="rule_not_found")
    cases = load_cases().get(rule_id)
    return _rule_out(item.rule, lang, cases.model_dump(include={"must_fire", "must_not_fire"}) if cases else None)


@router.get("/v1/guide", tags=["guide"], response_model=GuideIndexOut, summary="The guide's sections")
def guide_index(lang: Lang = "en") -> GuideIndexOut:
    guide = default_guide(lang)
    sections = [{"anchor": s.anchor, "title": s.title} for s in guide.sections.values()]
    return GuideIndexOut(lang=lang, title=guide.title, sections=sections)


@router.get("/v1/guide/{section}", tags=["guide"], response_model=GuideSectionOut, summary="One section of the guide")
def guide_section(section: str, lang: Lang = "en") -> GuideSectionOut:
    found = default_guide(lang).sections.get(section)
    if found is None:
        raise NotFound(f"No guide section {section!r}; GET /v1/guide lists the anchors.", code="guide_section_not_found")
    return GuideSectionOut(anchor=found.anchor, lang=lang, title=found.title, body=found.body)
