"""Graders: is a model's output right for an item? Pure functions of (spec, output, expected).

One grader is chosen for the set and an item may name its own. Each returns a ``Grade`` that says which
grader scored it and, when the output is wrong for a reason worth reading, why. The embedding grader
takes the similarity function it needs (the worker passes the bundled model's), and the rubric grader the
judge it asks (the runner calls the judge model); nothing here does I/O.

To add a grader: a model in ``schemas.py`` (a ``type`` literal), a function here, and its entry in ``GRADERS``.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema

from service.experiments.schemas import (
    EmbeddingGrader,
    ExactGrader,
    GraderSpec,
    JsonSchemaGrader,
    LabelGrader,
    NumericGrader,
    RegexGrader,
    RubricGrader,
)

Similarity = Callable[[str, str], float]
Judge = Callable[[RubricGrader, str, str], str]  # (spec, output, expected) -> the judge model's answer

_SPACE = re.compile(r"\s+")
_TRAILING = ".!?;:,。"
_QUOTES = "\"'`“”‘’«»"
_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n?(.*?)\n?```$", re.S)
_NUMBER = re.compile(r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+−]?\.\d+")


@dataclass(frozen=True)
class Grade:
    correct: bool
    grader: str
    detail: str | None = None


def normalise(text: str) -> str:
    """Case-folded, Unicode NFKC, whitespace collapsed, surrounding quotes and trailing punctuation dropped."""
    value = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    previous = None
    while previous != value:
        previous = value
        value = value.strip(_QUOTES).rstrip(_TRAILING).strip()
    return value.casefold()


def exact(spec: ExactGrader, output: str, expected: str) -> Grade:
    return Grade(normalise(output) == normalise(expected), "exact")


def label(spec: LabelGrader, output: str, expected: str) -> Grade:
    """The output names one label of the set and it is the expected one.

    An answer that is a label (normalised) counts as that label; a longer answer counts as the one label
    it names as a whole word, and as no label when it names none or several.
    """
    labels = {normalise(name): name for name in spec.labels or []}
    said = normalise(output)
    if said not in labels:
        named = [key for key in labels if re.search(rf"(?<!\w){re.escape(key)}(?!\w)", said)]
        if len(named) != 1:
            return Grade(False, "label", "names no label of the set" if not named else "names several labels")
        said = named[0]
    return Grade(said == normalise(expected), "label")


def _json_text(output: str) -> str:
    stripped = output.strip()
    fenced = _FENCE.match(stripped)
    return fenced.group(1).strip() if fenced else stripped


def json_schema(spec: JsonSchemaGrader, output: str, expected: str) -> Grade:
    """The output is JSON (a fenced block counts) that validates against the schema; with ``match_expected``,
    it also equals the expected JSON."""
    try:
        data = json.loads(_json_text(output))
    except ValueError:
        return Grade(False, "json_schema", "not JSON")
    if spec.json_schema is not None:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(spec.json_schema).iter_errors(data))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            return Grade(False, "json_schema", f"{where}: {error.message}"[:300])
    if spec.match_expected:
        try:
            wanted: Any = json.loads(_json_text(expected))
        except ValueError:
            return Grade(False, "json_schema", "the expected value is not JSON")
        return Grade(data == wanted, "json_schema", None if data == wanted else "valid, but not the expected value")
    return Grade(True, "json_schema")


def regex(spec: RegexGrader, output: str, expected: str) -> Grade:
    """The pattern (the grader's, else the item's expected value) is found in the output."""
    pattern = spec.pattern if spec.pattern is not None else expected
    flags = re.I if spec.ignore_case else 0
    return Grade(re.search(pattern, output, flags) is not None, "regex")


def first_number(text: str) -> float | None:
    """The first number written in ``text`` (thousands separators and a Unicode minus allowed)."""
    found = _NUMBER.search(unicodedata.normalize("NFKC", text))
    if found is None:
        return None
    value = float(found.group().replace(",", "").replace("−", "-"))
    return value if math.isfinite(value) else None


def numeric(spec: NumericGrader, output: str, expected: str) -> Grade:
    """The first number of the output is within the tolerance of the expected number (relative: a fraction of it)."""
    got, wanted = first_number(output), first_number(expected)
    if wanted is None:
        return Grade(False, "numeric", "the expected value has no number")
    if got is None:
        return Grade(False, "numeric", "no number in the output")
    allowed = spec.tolerance * abs(wanted) if spec.relative else spec.tolerance
    return Grade(abs(got - wanted) <= allowed + 1e-12, "numeric")


def embedding(spec: EmbeddingGrader, output: str, expected: str, similarity: Similarity) -> Grade:
    """Cosine similarity of the two texts' embeddings at or above the threshold."""
    score = similarity(output, expected)
    return Grade(score >= spec.threshold, "embedding", f"similarity {score:.3f}")


class UnreadableJudge(ValueError):
    """The judge did not answer as asked: the item is not scored (an error), never guessed right or wrong."""


_PASS_FAIL = re.compile(r"^\s*(pass|fail)\s*$", re.I)
_SCORE = re.compile(r"^\s*(\d{1,2})\s*$")
JUDGE_SYSTEM = "You grade one answer against a rubric. Reply with exactly PASS or FAIL and nothing else."
JUDGE_SYSTEM_SCALE = "You grade one answer against a rubric. Reply with one whole number from 1 to {scale} and nothing else."


def judge_messages(spec: RubricGrader, item_input: str, output: str, expected: str) -> tuple[str, list[dict[str, str]]]:
    """(system, turns) the judge model is sent for one answer."""
    system = JUDGE_SYSTEM if spec.scale is None else JUDGE_SYSTEM_SCALE.format(scale=spec.scale)
    text = f"Rubric:\n{spec.rubric}\n\nInput:\n{item_input}\n\nExpected answer:\n{expected}\n\nAnswer to grade:\n{output}"
    return system, [{"role": "user", "content": text}]


def passing_score(spec: RubricGrader) -> int:
    return spec.passing if spec.passing is not None else math.ceil(0.8 * (spec.scale or 1))


def read_verdict(spec: RubricGrader, said: str) -> Grade:
    """The judge's answer, read strictly: PASS or FAIL alone (any case), or with a scale one whole number in it."""
    if spec.scale is None:
        found = _PASS_FAIL.match(said)
        if found is None:
            raise UnreadableJudge(f"the judge answered {said.strip()[:80]!r}, not PASS or FAIL")
        return Grade(found.group(1).lower() == "pass", "rubric")
    score = _SCORE.match(said)
    if score is None or not 1 <= int(score.group(1)) <= spec.scale:
        raise UnreadableJudge(f"the judge answered {said.strip()[:80]!r}, not a whole number from 1 to {spec.scale}")
    value = int(score.group(1))
    return Grade(value >= passing_score(spec), "rubric", f"score {value}/{spec.scale}")


def rubric(spec: RubricGrader, output: str, expected: str, judge: Judge) -> Grade:
    """What the judge model says of the output against the rubric; raises UnreadableJudge on any other answer."""
    return read_verdict(spec, judge(spec, output, expected))


GRADERS: dict[str, Callable[[Any, str, str], Grade]] = {
    "exact": exact,
    "label": label,
    "json_schema": json_schema,
    "regex": regex,
    "numeric": numeric,
}


def grade(
    spec: GraderSpec, output: str, expected: str, similarity: Similarity | None = None, judge: Judge | None = None
) -> Grade:
    """Score one output; ``similarity`` is needed by the embedding grader only, ``judge`` by the rubric grader."""
    if isinstance(spec, EmbeddingGrader):
        if similarity is None:
            raise ValueError("the embedding grader needs a similarity function")
        return embedding(spec, output, expected, similarity)
    if isinstance(spec, RubricGrader):
        if judge is None:
            raise ValueError("the rubric grader needs a judge")
        return rubric(spec, output, expected, judge)
    return GRADERS[spec.type](spec, output, expected)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
