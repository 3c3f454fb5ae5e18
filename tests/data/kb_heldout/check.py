"""Sanity check of the held-out retrieval corpus: labels point at real files, counts, no duplicate files.

Run: python tests/data/kb_heldout/check.py   (stdlib only; exits 1 on any problem)
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
DOCS = HERE / "docs"
KINDS = {"paraphrase", "hard_negative", "lexical", "code", "table"}
LANGS = {"en", "he"}
MIN_WORDS, MAX_WORDS = 150, 900

# Near-duplicates that differ in the fact a question asks for; README.md lists the same groups.
HARD_NEGATIVE_GROUPS = {
    "rate limits per plan": ["rate-limits-free.md", "rate-limits-tier1.md", "rate-limits-tier2.md", "rate-limits-enterprise.md"],
    "API auth v2 / v3": ["api-auth-v2.md", "api-auth-v3.md"],
    "travel policy 2025 / 2026": ["travel-policy-2025.md", "travel-policy-2026.md"],
    "data retention EU / US": ["data-retention-runbook-eu.md", "data-retention-runbook-us.md"],
    "pricing US / EU": ["pricing-us.html", "pricing-eu.html"],
    "release notes 4.2 / 4.3 / 4.4": ["release-notes-4.2.md", "release-notes-4.3.md", "release-notes-4.4.md"],
    "SDK Python / Node": ["sdk-python-quickstart.md", "sdk-node-quickstart.md"],
    "secrets / certificate rotation": ["secrets-rotation-runbook.md", "tls-certificate-renewal-runbook.md"],
    "corporate card / out-of-pocket": ["expense-rules-corporate-card.md", "expense-rules-personal-reimbursement.md"],
    "holiday calendar NL / US": ["holiday-calendar-2026-nl.txt", "holiday-calendar-2026-us.txt"],
    "on-call platform / support (he)": ["oncall-platform-he.md", "oncall-support-he.md"],
    "warehouse handover Ashdod / Haifa (he)": ["warehouse-handover-ashdod-he.md", "warehouse-handover-haifa-he.md"],
}


def visible_words(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        # only what a reader sees: the <head> (title, style) is not part of the document text
        text = re.sub(r"<head[\s\S]*?</head>", " ", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return len(text.split())


def is_hebrew(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    letters = [c for c in text if c.isalpha()]
    return sum("\u0590" <= c <= "\u05ff" for c in letters) > len(letters) / 2


def main() -> int:
    problems: list[str] = []
    docs = sorted(p for p in DOCS.iterdir() if p.is_file())
    names = {p.name for p in docs}

    digests: dict[str, str] = {}
    for p in docs:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if digest in digests:
            problems.append(f"{p.name} is byte-identical to {digests[digest]}")
        digests[digest] = p.name
        words = visible_words(p)
        if not MIN_WORDS <= words <= MAX_WORDS:
            problems.append(f"{p.name}: {words} words, outside {MIN_WORDS}-{MAX_WORDS}")

    items = [json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    for n, item in enumerate(items, 1):
        if set(item) != {"q", "expected_doc", "lang", "kind"}:
            problems.append(f"questions.jsonl line {n}: keys {sorted(item)}")
        if item.get("expected_doc") not in names:
            problems.append(f"questions.jsonl line {n}: expected_doc {item.get('expected_doc')!r} does not exist")
        if item.get("lang") not in LANGS or item.get("kind") not in KINDS:
            problems.append(f"questions.jsonl line {n}: lang {item.get('lang')!r} / kind {item.get('kind')!r}")
    duplicates = [q for q, c in Counter(i["q"] for i in items).items() if c > 1]
    problems += [f"question asked twice: {q}" for q in duplicates]

    targeted = {i["expected_doc"] for i in items}
    for group, members in HARD_NEGATIVE_GROUPS.items():
        problems += [f"group {group!r}: {m} missing" for m in members if m not in names]
        if not targeted & set(members):
            problems.append(f"group {group!r}: no question targets any member")

    he_docs = sum(is_hebrew(p) for p in docs)
    formats = Counter(p.suffix for p in docs)
    langs = Counter(i["lang"] for i in items)
    print(f"docs: {len(docs)} ({len(docs) - he_docs} en, {he_docs} he); formats {dict(sorted(formats.items()))}")
    print(f"questions: {len(items)} {dict(sorted(langs.items()))}; he share {langs['he'] / len(items):.2f}")
    for lang in sorted(LANGS):
        kinds = Counter(i["kind"] for i in items if i["lang"] == lang)
        print(f"  {lang}: {dict(sorted(kinds.items()))}")
    print(f"  all: {dict(sorted(Counter(i['kind'] for i in items).items()))}")
    print(f"hard-negative groups: {len(HARD_NEGATIVE_GROUPS)}, docs in groups: {sum(map(len, HARD_NEGATIVE_GROUPS.values()))}")
    print(f"docs targeted by a question: {len(targeted)} of {len(docs)}")
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
