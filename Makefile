# The two commands: `make test` (set up from nothing, then lint, type-check and test)
# and `make run` (the whole product on this machine; see the README).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
REQS := requirements-dev.txt src/requirements.txt functions/api/requirements.txt
# The SAM CLI has its own virtualenv: it pins boto3/click versions that must not reach .venv.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed-stamp

.PHONY: test lint typecheck pytest fmt clean sam sam-validate sam-build run demo

$(STAMP): $(REQS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

$(SAM_STAMP): requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $(SAM_STAMP)

sam: $(SAM_STAMP)

sam-validate: $(SAM_STAMP)
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint

# `sam build` needs a python3.13 on PATH; tests/template/python313.py finds one (PATH, then pyenv).
sam-build: $(SAM_STAMP) $(STAMP)
	py313_dir="$$($(BIN)/python -m tests.template.python313)" && \
		PATH="$$py313_dir:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(SAM_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make run`: API (local scheduling backend) + batch worker here; Ctrl-C stops everything.
# `make demo` (while `make run` is going): a call due in 3 s, and its signed callback in the log.
LOCAL_PYTHONPATH := src:functions/api:functions/api_call:.
run: $(STAMP)
	PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m shared.scheduling.local.run $(RUN_ARGS)

demo: $(STAMP)
	PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m shared.scheduling.local.demo $(RUN_ARGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
