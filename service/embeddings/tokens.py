"""The embedding model's own token counts: what a chunk budget is measured in, and the window it must fit."""

from __future__ import annotations

import re
import threading
from typing import Any

_WORD = re.compile(r"\S+")


class ModelTokens:
    """Counts an embedding model's tokens, and knows how many it reads (its window without special tokens)."""

    def __init__(self, tokenizer: Any, window: int) -> None:
        self.tokenizer = tokenizer
        self.window = window

    @classmethod
    def of(cls, model: Any) -> ModelTokens:
        """From a loaded sentence-transformers model."""
        tokenizer = model.tokenizer
        special = int(tokenizer.num_special_tokens_to_add(pair=False)) if hasattr(tokenizer, "num_special_tokens_to_add") else 2
        return cls(tokenizer, max(1, int(model.max_seq_length) - special))

    def count(self, text: str) -> int:
        return len(self.starts(text)) if text else 0

    def starts(self, text: str) -> list[int]:
        """Start offset of each token of ``text`` (one tokenizer pass; spans are then counted by bisection)."""
        if hasattr(self.tokenizer, "token_starts"):  # the ONNX export's tokenizer (onnx_model.py)
            return list(self.tokenizer.token_starts(text))
        if getattr(self.tokenizer, "is_fast", False):
            encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
            return [start for start, end in encoded["offset_mapping"] if end > start]
        # A slow tokenizer has no offsets: count word by word (wordpieces never cross whitespace).
        starts: list[int] = []
        for match in _WORD.finditer(text):
            starts.extend([match.start()] * len(self.tokenizer.tokenize(match.group())))
        return starts


_cache: dict[str, ModelTokens] = {}
_lock = threading.Lock()


def tokens_for(model: str | None) -> ModelTokens:
    """The token counter of an embedding model by name (None or "" is the bundled one), once per process."""
    from service.embeddings.model import load_model, model_name

    name = model_name(model or None)
    with _lock:
        if name not in _cache:
            _cache[name] = ModelTokens.of(load_model(name))
        return _cache[name]
