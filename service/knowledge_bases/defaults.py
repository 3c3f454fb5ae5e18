"""The knowledge-base domain's public names and defaults, import-light (no Chroma, no model): what artifacts and
schemas quote about a knowledge base without reaching into its internals."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Chunks are counted in the bundled model's tokens: a default chunk fills its 256-wordpiece window less [CLS] and
# [SEP] (the heading path embedded with it comes out of the same budget), with 15% overlap.
DEFAULT_CHUNK_TOKENS = 254
DEFAULT_CHUNK_OVERLAP = 38
RRF_K = 60  # the constant from Cormack et al.; 20, 60 and 100 measured the same on our test corpus
NO_MATCH_BELOW = 0.4  # below this for every hit, the question is taken as not answered by the knowledge base
SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl")


def collection_name(kb_name: str) -> str:
    """A valid, stable Chroma collection name for any KB name (3-512 chars of [a-z0-9-])."""
    ascii_name = unicodedata.normalize("NFKD", kb_name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:48].strip("-")
    # The digest keeps distinct names distinct ("Q&A" vs "Q-A", or two Hebrew names with empty slugs).
    digest = hashlib.sha256(kb_name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"kb-{slug}-{digest}" if slug else f"kb-{digest}"
