# The two commands: `make test` (set up from nothing, then lint, type-check and test)
# and `make run` (the whole product on this machine; see the README).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Lock files: each deployable unit's requirements.in compiled (`make lock`) into a requirements.txt
# with every transitive package pinned and hashed; the units are constrained by the dev lock so
# every unit runs exactly the versions the tests ran.
UNITS := src functions/api functions/api_call functions/dead_letter_recorder worker
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"
# The SAM CLI has its own virtualenv: it pins boto3/click versions that must not reach .venv.
# pip itself is pinned too, so a new pip release cannot change how the locks install.
PIP_VERSION := 26.3
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed-stamp

.PHONY: build-SharedLayer build-ApiFunction build-ApiCallFunction build-DeadLetterRecorderFunction lock test lint typecheck pytest fault-tools fmt clean sam sam-validate sam-build sam-local-check run demo

$(STAMP): requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# `make lock`: re-resolve every lock from the .in files (after editing one of them).
lock: $(STAMP)
	$(BIN)/uv pip compile $(LOCK_FLAGS) -o requirements-dev.txt requirements-dev.in
	for unit in $(UNITS); do \
		$(BIN)/uv pip compile $(LOCK_FLAGS) -c requirements-dev.txt -o $$unit/requirements.txt $$unit/requirements.in || exit 1; \
	done
	$(BIN)/uv pip compile $(LOCK_FLAGS) -o requirements-sam.txt requirements-sam.in

$(SAM_STAMP): requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet pip==$(PIP_VERSION)
	$(SAM_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-sam.txt
	touch $(SAM_STAMP)

sam: $(SAM_STAMP)

sam-validate: $(SAM_STAMP)
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint

# `sam build` needs a python3.13 on PATH; tests/template/python313.py finds one (PATH, then pyenv).
sam-build: $(SAM_STAMP) $(STAMP)
	py313_dir="$$($(BIN)/python -m tests.template.python313)" && \
		PATH="$$py313_dir:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

# `sam build` runs these four targets (template.yaml: `BuildMethod: makefile`, `ContextPath: .`)
# with the unit's folder (CodeUri / ContentUri, copied to a scratch folder) as the working
# directory and ARTIFACTS_DIR set. Each installs its hashed lock as `sam build`'s own python3.13
# builder would for x86_64 (wheels only, Lambda's cp313 ABI, manylinux platforms up to glibc
# 2.34), copies our sources without any stale __pycache__, and compiles every module, ours and
# the libraries', with python3.13 into unchecked hash-based .pyc (PEP 552). /var/task and /opt
# are read-only and `sam deploy` zips every file with the date 1980-01-01, so without these (or
# with pip's timestamp-based .pyc, stale after that zip) every cold start compiles everything.
# The same targets run inside the build image under `sam build --use-container` (it has make
# and python3.13); LAMBDA_PYTHON names another Python 3.13.
LAMBDA_PYTHON ?= python3.13
LAMBDA_PIP_TARGET := --only-binary=:all: --implementation cp --python-version 3.13 --abi cp313 \
	--platform manylinux_2_34_x86_64 --platform manylinux2014_x86_64
define lambda-unit
	test "$$($(LAMBDA_PYTHON) -c 'import sys; print(sys.version_info[:2] == (3, 13))')" = True || \
		{ echo "$(LAMBDA_PYTHON) is not Python 3.13 (set LAMBDA_PYTHON)" >&2; exit 1; }
	mkdir -p "$(ARTIFACTS_DIR)/$(1)"
	tar -c --exclude=__pycache__ --exclude='*.pyc' --exclude='requirements.*' -f - . | \
		tar -x -C "$(ARTIFACTS_DIR)/$(1)" -f -
	if grep -q '^[A-Za-z0-9]' requirements.txt; then \
		$(LAMBDA_PYTHON) -m pip install --quiet --disable-pip-version-check --no-input --no-compile \
			--require-hashes --no-deps $(LAMBDA_PIP_TARGET) \
			-r requirements.txt -t "$(ARTIFACTS_DIR)/$(1)" || exit 1; \
	fi
	rm -rf "$(ARTIFACTS_DIR)/$(1)/bin"
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)/$(1)"
endef

build-SharedLayer:
	$(call lambda-unit,python)

build-ApiFunction:
	$(call lambda-unit,)

build-ApiCallFunction:
	$(call lambda-unit,)

build-DeadLetterRecorderFunction:
	$(call lambda-unit,)

# `make sam-local-check`: the README's `sam local` commands for real (needs a Docker engine and
# the Lambda python3.13 base image or its offline stand-in); PASS/FAIL per case, non-zero exit
# on any failure. Not part of `make test`.
sam-local-check: sam-build
	PYTHONPATH=. $(BIN)/python -m tools.sam_local.check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The worker's fault tests start redis-server and move clocks with libfaketime (Debian
# packages redis-server, faketime): installed here only when missing.
FAKETIME_LIB := /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
fault-tools:
	@if [ ! -e $(FAKETIME_LIB) ] || ! command -v redis-server >/dev/null; then \
		apt-get install -y faketime redis-server || { apt-get update && apt-get install -y faketime redis-server; } || { echo "make test needs the Debian packages faketime and redis-server (apt-get install -y faketime redis-server, as root)" >&2; exit 1; }; \
	fi

pytest: $(STAMP) $(SAM_STAMP) fault-tools
	$(BIN)/pytest

test: lint typecheck pytest

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make run`: API (local scheduling backend) + batch worker here; Ctrl-C stops everything.
# `make demo` (while `make run` is going): a call due in 3 s, and its signed callback in the log.
LOCAL_PYTHONPATH := src:functions/api:functions/api_call:.
run: $(STAMP)
	PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m local.devserver.run $(RUN_ARGS)

demo: $(STAMP)
	PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m local.devserver.demo $(RUN_ARGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
