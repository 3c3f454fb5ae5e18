"""Sentence embeddings (platform): the bundled model, its int8 ONNX export and its token counts."""
