from __future__ import annotations

import pytest

from service.embeddings.model import Embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The bundled MiniLM through the configured backend, loaded once for the session."""
    model = Embedder(None)
    model.encode(["warm up"])
    return model
