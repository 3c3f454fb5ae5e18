"""How texts are cut into model calls: by padded word pieces on the int8 export (ADR 0036), 32 a call on PyTorch.

int8 activations share one scale per call, so the same texts embedded in different calls give slightly different
vectors: what an embedder returns shows how it cut them (real model, no fakes).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from service.config import get_settings
from service.embeddings.model import ENCODE_BATCH, ONNX_MOST_TEXTS, Embedder, batching, load_model
from service.embeddings.onnx_model import SPINNING, OnnxSentenceModel, groups

# Lengths from one word to a few hundred word pieces, so calls pad differently and carry different scales.
TEXTS = [
    "refunds",
    "Who approves a purchase from a new supplier?",
    "The on-call engineer acknowledges a page within fifteen minutes, day or night. " * 4,
    "מה התקציב לכיסא ולמסך לעבודה מהבית?",
    "Every pull request needs one approving review before it is merged into the main branch. " * 9,
    "Travel receipts go to the finance portal within thirty days of the trip.",
    "VPN",
    "Customer data stays in the EU region; backups too. " * 15,
    "How long do we keep access logs?",
]


@pytest.fixture
def onnx_model(embedder: Embedder) -> OnnxSentenceModel:
    model = embedder.model
    if not isinstance(model, OnnxSentenceModel):
        pytest.skip("the int8 export could not be built here: the embedder runs on PyTorch")
    return model


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.delenv("ADVISOR_EMBEDDING_BATCH_TOKENS", raising=False)
    get_settings.cache_clear()


def test_calls_are_cut_longest_first_by_padded_word_pieces() -> None:
    lengths = [10, 256, 40, 12, 130, 256, 9, 40, 11]
    # A call's size is set by its first, longest text: 1,024 // 256 = 4 texts, then 1,024 // 40 = 25 (5 left).
    assert groups(lengths, 64, 1024) == [[1, 5, 4, 2], [7, 3, 8, 0, 6]]
    assert groups(lengths, 64, 300) == [[1], [5], [4, 2], [7, 3, 8, 0, 6]]
    assert groups(lengths, 3, 1024) == [[1, 5, 4], [2, 7, 3], [8, 0, 6]]
    assert groups(lengths, 4, None) == [[1, 5, 4, 2], [7, 3, 8, 0], [6]]
    assert groups([600], 64, 100) == [[0]]
    assert groups([5, 9], 0, None) == groups([5, 9], 0, 1024) == [[1], [0]]  # nonsense sizes still take every text
    assert groups([], 64, 1024) == []
    every = groups(lengths, 64, 512)
    assert sorted(i for call in every for i in call) == list(range(len(lengths)))
    assert all(len(call) * max(lengths[i] for i in call) <= 512 or len(call) == 1 for call in every)


def test_each_backend_gets_its_own_cut_unless_the_setting_turns_it_off(
    onnx_model: OnnxSentenceModel, setting: pytest.MonkeyPatch
) -> None:
    torch_model = object.__new__(SentenceTransformer)  # only its type is read: no second model loaded
    assert batching(onnx_model) == (ONNX_MOST_TEXTS, 1024) == (64, 1024)
    assert batching(torch_model) == (ENCODE_BATCH, None) == (32, None)
    setting.setenv("ADVISOR_EMBEDDING_BATCH_TOKENS", "0")
    get_settings.cache_clear()
    assert batching(onnx_model) == batching(torch_model) == (32, None)


def test_the_embedder_cuts_the_exports_calls_by_word_pieces(embedder: Embedder, onnx_model: OnnxSentenceModel) -> None:
    by_pieces = onnx_model.encode(TEXTS, batch_size=64, batch_tokens=300)
    all_at_once = onnx_model.encode(TEXTS, batch_size=64)
    # The cut shows in the vectors (else this test could not tell the two apart) ...
    assert np.abs(by_pieces - all_at_once).max() > 1e-4
    # ... and only a little: the same texts, the same neighbours.
    assert np.sum(by_pieces * all_at_once, axis=1).min() > 0.97
    # A text of more than half the budget (155 of 300 pieces) goes alone in its call, and embeds as it does alone.
    np.testing.assert_allclose(by_pieces[4], onnx_model.encode(TEXTS[4]), atol=1e-6)
    defaults = onnx_model.encode(TEXTS, batch_size=64, batch_tokens=1024)
    got = embedder.encode_array(TEXTS)
    np.testing.assert_allclose(got, defaults, atol=1e-6)
    assert got.shape == (len(TEXTS), 384)


def test_the_setting_changes_how_the_embedder_cuts(
    embedder: Embedder, onnx_model: OnnxSentenceModel, setting: pytest.MonkeyPatch
) -> None:
    setting.setenv("ADVISOR_EMBEDDING_BATCH_TOKENS", "300")
    get_settings.cache_clear()
    np.testing.assert_allclose(embedder.encode_array(TEXTS), onnx_model.encode(TEXTS, batch_tokens=300), atol=1e-6)
    setting.setenv("ADVISOR_EMBEDDING_BATCH_TOKENS", "0")
    get_settings.cache_clear()
    np.testing.assert_allclose(embedder.encode_array(TEXTS), onnx_model.encode(TEXTS, batch_size=32), atol=1e-6)


def test_a_setting_out_of_range_is_refused(setting: pytest.MonkeyPatch) -> None:
    setting.setenv("ADVISOR_EMBEDDING_BATCH_TOKENS", "-1")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="embedding_batch_tokens"):
        get_settings()


def test_the_ingestion_lanes_pool_sleeps_and_the_questions_lane_keeps_onnx_runtimes_default(
    onnx_model: OnnxSentenceModel,
) -> None:
    ingest = load_model(lane="ingest")
    assert isinstance(ingest, OnnxSentenceModel) and ingest is not onnx_model
    assert ingest.session.get_session_options().get_session_config_entry(SPINNING) == "0"
    with pytest.raises(RuntimeError, match="does not have configuration"):  # never set: ONNX Runtime's own default
        onnx_model.session.get_session_options().get_session_config_entry(SPINNING)
    np.testing.assert_allclose(ingest.encode(TEXTS[:3]), onnx_model.encode(TEXTS[:3]), atol=1e-6)
