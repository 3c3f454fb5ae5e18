"""Retrieval quality side by side: dense vs lexical vs hybrid, per corpus, split and language, with the
real ingestion (chunking, Chroma, BM25) and the bundled all-MiniLM-L6-v2.

Corpora: the bundled one (tests/service/knowledge_bases/corpus, fusion and relevance are chosen on it)
and the held-out one (tests/data/kb_heldout). The held-out questions are split by line: even 0-based
lines are "dev" (used, with the bundled corpus, to fit the relevance model), odd lines are "check"
(never used to choose anything). Unanswerable questions (unanswerable.jsonl next to each corpus) measure
the no-good-match flag; only the bundled ones are used in fitting.

Also reports the relevance score's calibration on the top 5 hybrid hits (expected calibration error,
Brier score) and the no-good-match flag (answerable questions flagged, unanswerable ones let through).

Usage: .venv/bin/python bench/retrieval.py [--fit] [--chunk-tokens 254] [--overlap 38] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/http.py must not shadow the stdlib module
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

CORPORA = {
    "bundled": (ROOT / "tests/service/knowledge_bases/corpus", ROOT / "tests/service/knowledge_bases/corpus"),
    "heldout": (ROOT / "tests/data/kb_heldout/docs", ROOT / "tests/data/kb_heldout"),
}
MODES = ("dense", "lexical", "hybrid")
TOP = 5


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(name: str, client: Any, embedder: Any, chunk_tokens: int, overlap: int) -> Any:
    from service.knowledge_bases.chunking import chunk_document
    from service.knowledge_bases.index import KnowledgeBaseIndex
    from service.knowledge_bases.parsers import parse_file

    index = KnowledgeBaseIndex(client, name, embedder)
    items = []
    for path in sorted(CORPORA[name][0].iterdir()):
        if path.suffix in (".md", ".txt", ".html"):
            for doc in parse_file(path.read_bytes(), path.name):
                items.append((doc, chunk_document(doc, chunk_tokens, overlap, model=embedder.model_name)))
    index.upsert_documents(items)
    index.refresh()
    return index


def split_of(name: str, line: int) -> str:
    if name == "bundled":
        return "bundled"
    return "dev" if line % 2 == 0 else "check"


def features(index: Any, embedder: Any, q: str, hits: list[Any]) -> list[tuple[float, float, float]]:
    """(cosine, coverage, dense weight) of each hit, computed as search.py computes them."""
    from service.knowledge_bases.fusion import dense_weight
    from service.knowledge_bases.search import lexical_text

    if not hits:
        return []
    vector = np.asarray(embedder.encode_query(q), dtype=np.float32)
    texts = [f"{hit.heading}\n{hit.text}" if hit.heading else hit.text for hit in hits]
    cosines = embedder.encode_array(texts) @ vector
    coverage = index._snapshot().lexical.coverage(q, [lexical_text(hit.text, {"heading": hit.heading}) for hit in hits])
    weight = dense_weight(q, embedder.tokenizer)
    return [(float(c), float(v), weight) for c, v in zip(cosines, coverage, strict=True)]


def run(chunk_tokens: int, overlap: int) -> dict[str, Any]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from service.embeddings.model import Embedder
    from service.knowledge_bases.evaluate import language_of, metrics, rank_of, ranked_documents

    embedder = Embedder(None)
    report: dict[str, Any] = {"quality": {}, "hits": []}
    with tempfile.TemporaryDirectory() as folder:
        client = chromadb.PersistentClient(path=folder, settings=ChromaSettings(anonymized_telemetry=False))
        for name in CORPORA:
            index = build(name, client, embedder, chunk_tokens, overlap)
            answerable = read_jsonl(CORPORA[name][1] / "questions.jsonl")
            unanswerable = read_jsonl(CORPORA[name][1] / "unanswerable.jsonl")
            ranks: dict[tuple[str, str, str], list[int | None]] = {}
            for line, item in enumerate(answerable):
                lang, split = language_of(item), split_of(name, line)
                for mode in MODES:
                    hits = index.query(item["q"], 30, mode)
                    rank = rank_of(item["expected_doc"], ranked_documents(hits))
                    for group in (split, f"{name}:all"):
                        for language in (lang, "all"):
                            ranks.setdefault((group, mode, language), []).append(rank)
                    if mode == "hybrid":
                        top = hits[:TOP]
                        labels = [float(item["expected_doc"] in (hit.doc, hit.doc_id)) for hit in top]
                        report["hits"].append(
                            {"split": split, "lang": lang, "answerable": True, "labels": labels,
                             "relevance": [hit.relevance for hit in top], "features": features(index, embedder, item["q"], top)}
                        )  # fmt: skip
            for item in unanswerable:
                top = index.query(item["q"], TOP, "hybrid")
                report["hits"].append(
                    {"split": "bundled" if name == "bundled" else "check", "lang": language_of(item), "answerable": False,
                     "labels": [0.0] * len(top), "relevance": [hit.relevance for hit in top],
                     "features": features(index, embedder, item["q"], top)}
                )  # fmt: skip
            for (group, mode, language), values in ranks.items():
                report["quality"].setdefault(group, {}).setdefault(mode, {})[language] = metrics(values)
    return report


def fit(rows: list[dict[str, Any]], l2: float = 1.0) -> dict[str, float]:
    """Logistic regression (Newton steps) of hit labels on the relevance features, as fusion.relevance uses them."""
    x, y = [], []
    for row in rows:
        for (cosine, coverage, weight), label in zip(row["features"], row["labels"], strict=True):
            x.append([1.0, weight * cosine, (1 - weight) * cosine, weight * coverage, (1 - weight) * coverage])
            y.append(label)
    features, labels = np.asarray(x), np.asarray(y)
    beta = np.zeros(features.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-features @ beta))
        hessian = features.T @ (features * (p * (1 - p))[:, None]) + l2 * np.eye(len(beta))
        beta -= np.linalg.solve(hessian, features.T @ (p - labels) + l2 * beta)
    names = ("bias", "cosine_read", "cosine_unread", "coverage_read", "coverage_unread")
    return {name: round(float(value), 2) for name, value in zip(names, beta, strict=True)}


def calibration(rows: list[dict[str, Any]], bins: int = 10) -> dict[str, float]:
    pairs = [(p, y) for row in rows for p, y in zip(row["relevance"], row["labels"], strict=True) if p is not None]
    if not pairs:
        return {}
    ece = 0.0
    for b in range(bins):
        chosen = [(p, y) for p, y in pairs if b / bins <= p < (b + 1) / bins or (b == bins - 1 and p == 1.0)]
        if chosen:
            ece += (
                len(chosen) / len(pairs) * abs(sum(p for p, _ in chosen) / len(chosen) - sum(y for _, y in chosen) / len(chosen))
            )
    brier = sum((p - y) ** 2 for p, y in pairs) / len(pairs)
    return {"ece": round(ece, 3), "brier": round(brier, 3), "hits": len(pairs)}


def no_match(rows: list[dict[str, Any]]) -> dict[str, str]:
    from service.knowledge_bases.fusion import no_good_match

    out = {}
    for lang in sorted({row["lang"] for row in rows}):
        mine = [row for row in rows if row["lang"] == lang]
        flagged = [no_good_match(row["relevance"]) for row in mine]
        good = [f for f, row in zip(flagged, mine, strict=True) if row["answerable"]]
        bad = [f for f, row in zip(flagged, mine, strict=True) if not row["answerable"]]
        out[lang] = f"answerable flagged {sum(good)}/{len(good)}, unanswerable flagged {sum(bad)}/{len(bad)}"
    return out


def show(report: dict[str, Any]) -> None:
    print("| corpus / split | language | n | dense hit@1 / hit@3 / MRR | lexical | hybrid |")
    print("|---|---|---:|---|---|---|")
    for group in ("bundled:all", "heldout:all", "dev", "check"):
        table = report["quality"][group]
        for language in ("all", "en", "he"):
            cells = [table[mode][language] for mode in MODES]
            text = [f"{c['hit@1']:.3f} / {c['hit@3']:.3f} / {c['mrr']:.3f}" for c in cells]
            print(f"| {group} | {language} | {cells[0]['n']} | " + " | ".join(text) + " |")
    for split in ("bundled", "dev", "check"):
        rows = [row for row in report["hits"] if row["split"] == split]
        print(f"{split}: relevance of top-{TOP} hybrid hits {calibration(rows)}; no-good-match {no_match(rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fit", action="store_true", help="refit the relevance weights on bundled + dev and print them")
    parser.add_argument("--chunk-tokens", type=int, default=254)
    parser.add_argument("--overlap", type=int, default=38)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    report = run(args.chunk_tokens, args.overlap)
    show(report)
    if args.fit:
        training = [row for row in report["hits"] if row["split"] in ("bundled", "dev")]
        print("fitted RELEVANCE_WEIGHTS =", fit(training), f"(on {sum(len(r['labels']) for r in training)} hits)")
        for threshold in (0.3, 0.35, 0.4, 0.45, 0.5):
            wrong = sum((max(row["relevance"], default=0) < threshold) == row["answerable"] for row in training)
            print(f"  NO_MATCH_BELOW {threshold}: {wrong} of {len(training)} bundled + dev questions flagged wrongly")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
