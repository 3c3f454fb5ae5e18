# Two commands from a fresh clone: `make run` and `make test`. Everything else installs itself.
# The machine's own CPython 3.11 when it has one: Debian builds it with PGO and LTO (so is the Docker image's
# python:3.11-slim); a pyenv build without them costs ~20 % more server CPU per advice (ADR 0039).
# `make PYTHON=python3.12 install` picks another; an existing .venv keeps the interpreter it was made with.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes: one per core (pytest-xdist); `make test TEST_PROCESSES=0` runs the suite in this process.
TEST_PROCESSES ?= auto
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lint bench clean

install: $(STAMP)

# pip, not uv: only pip takes the CPU torch wheel that lies on this machine's disk.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The int8 ONNX export of the bundled embedding model, built here once (ADR 0014); PyTorch is the fallback.
	$(BIN)/python -m service.embeddings.onnx_export
	touch $(STAMP)

run: install
	$(BIN)/advisor serve

# Two API processes (8001, 8002), a worker and `chroma run` on local PostgreSQL + Redis; see docs/deployment.md.
.PHONY: run-scaled
run-scaled: install
	$(BIN)/python scripts/run_scaled.py

test: install
	@# The page's tests need Chromium. As root with apt-get (a CI container) it is installed, and said so; CHROMIUM=skip never installs.
	-@test -x /usr/bin/chromium || { test "$(CHROMIUM)" != skip && test "$$(id -u)" = 0 && command -v apt-get >/dev/null && echo "make test: installing chromium with apt-get for the browser tests (CHROMIUM=skip to not)" && apt-get update -qq && apt-get install -y -qq chromium; } || echo "make test: chromium not installed: the browser tests will skip"
	# Not strict: a date coming near never turns the run red; it is printed for the reader (`--strict` fails on it).
	$(BIN)/advisor knowledge check
	$(BIN)/python -m pytest -q -n $(TEST_PROCESSES)

lint: install
	$(BIN)/ruff check rules knowledge service tests bench
	$(BIN)/ruff format --check rules knowledge service tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/decide.py
	$(BIN)/python bench/http.py
	$(BIN)/python bench/interfaces.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
