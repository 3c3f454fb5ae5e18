# Tuning Advisor API: `docker build -t tuning-advisor . && docker run -p 8000:8000 -v advisor-data:/data tuning-advisor`
# The SQLite store lives in /data; set ADVISOR_DATABASE_URL to use PostgreSQL instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ADVISOR_DATA_DIR=/data \
    ADVISOR_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 --user-group advisor \
    && mkdir /data \
    && chown advisor:advisor /data

WORKDIR /app

# torch first, in its own layer: it is the largest dependency and changes least.
# Plain PyPI serves a CUDA build of several GB on Linux x86_64. The CPU index's `2.13.0+cpu`
# satisfies the `torch==2.13.0` pin and, as a local version, sorts above PyPI's `2.13.0`, so pip takes it.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
    && python -c "import torch, sys; sys.exit('a CUDA torch was installed' if torch.version.cuda else 0)"

COPY pyproject.toml README.md ./
COPY rules ./rules
COPY knowledge ./knowledge
COPY service ./service
# The torch already installed satisfies the pin, so this step keeps it.
RUN pip install . \
    && pip check \
    && HF_HUB_OFFLINE=1 python -m service.embeddings.onnx_export

USER advisor
VOLUME /data
EXPOSE 8000

# slim has no curl: ask /healthz with the standard library (ADVISOR_PORT if it was changed).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('ADVISOR_PORT', '8000')}/healthz\", timeout=4)"]

CMD ["advisor", "serve"]
