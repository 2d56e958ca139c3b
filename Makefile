# One task runner. `make run` starts the product, `make test` runs the whole test suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench index eval

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,local]'
	touch $(STAMP)

index: setup
	$(BIN)/gazette-assistant ingest --if-needed

run: index
	$(BIN)/streamlit run app.py --server.headless true --browser.gatherUsageStats false

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: index
	$(BIN)/python bench/bench_ingest.py && $(BIN)/python bench/bench_ask.py

eval: index
	$(BIN)/gazette-assistant eval --dataset eval/dataset.jsonl --split report --out var/reports/report || true
	$(BIN)/gazette-assistant eval --dataset eval/dataset.jsonl --split calib --out var/reports/latest
