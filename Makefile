# make run | make check | make test | make bench  (see README.md)
# The venv needs Python >= 3.12 (llama-stack 0.7.3); scripts/find-python locates one.
VENV       := .venv
PY         := $(VENV)/bin/python
HOOK_STAMP := $(VENV)/.installed-hook
STAMP      := $(VENV)/.installed-test
# OGX 1.5.0 needs mcp>=2 and llama-stack 0.7.3 mcp<2: the OGX server line has a virtualenv of its
# own, used by the tests through subprocesses (data check, conformance, the OGX boot).
OGX_VENV   := .venv-ogx
OGX_STAMP  := $(OGX_VENV)/.installed
# llama-stack's vector_io loads tiktoken's cl100k_base at startup; the boot tests read it here.
export TIKTOKEN_CACHE_DIR := $(CURDIR)/$(VENV)/tiktoken-cache

.PHONY: venv venv-ogx run check test lint data golden crd bench fuzz soak clean

$(PY):
	"$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# The hook alone: what its image installs (no llama-stack, no test tools).
$(HOOK_STAMP): setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	@touch $(HOOK_STAMP)

# Everything the tests need: llama-stack and the providers the boots use, the starter's full
# dependencies (~7 GB, mostly torch with its CUDA libraries), linters.
$(STAMP): setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,starter]'
	$(PY) scripts/tiktoken_cache.py $(TIKTOKEN_CACHE_DIR)
	@touch $(STAMP) $(HOOK_STAMP)

venv: $(STAMP)

$(OGX_STAMP): requirements-ogx.txt
	@test -x $(OGX_VENV)/bin/python || "$$(scripts/find-python)" -m venv $(OGX_VENV)
	$(OGX_VENV)/bin/python -m pip install -q --upgrade pip
	$(OGX_VENV)/bin/python -m pip install -q -r requirements-ogx.txt
	@touch $(OGX_STAMP)

## The OGX 1.5.0 virtualenv (.venv-ogx; pip's cache is shared with .venv's install).
venv-ogx: $(OGX_STAMP)

## Start the hook on 127.0.0.1:8080 (gunicorn, 2 workers); installs only the hook's dependencies.
run: $(HOOK_STAMP)
	$(VENV)/bin/llsd-hook serve --bind 127.0.0.1:8080 --workers 2

## The fast path: lint, then every test that boots nothing and waits for nothing (markers boot, slow).
check: $(STAMP) $(OGX_STAMP) lint
	$(PY) -m pytest -q -m "not boot and not slow"

## Lint, then every test: generator, hooks, manifests, llama-stack and OGX conformance and boots, E2E.
test: $(STAMP) $(OGX_STAMP) lint
	$(PY) -m pytest -q

## ruff (rules in ruff.toml), the format check, and mypy --strict on generator/ and hooks/ (setup.cfg).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## Benchmark the hook under gunicorn with wrk (loopback only); prints the table, writes docs/bench.png.
bench: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.run

FUZZ_EXAMPLES ?= 5000
SOAK_SECONDS ?= 600

## Long property-based run over /sync and /customize (examples per property: FUZZ_EXAMPLES).
fuzz: $(STAMP)
	LLSD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/reliability/test_fuzz.py -q -p no:warnings --hypothesis-show-statistics

## Soak llsd-hook serve (2 workers, loopback, SOAK_SECONDS, default 10 min); report in bench-results/soak.json.
soak: $(STAMP)
	$(PY) -m bench.soak --seconds $(SOAK_SECONDS) --json bench-results/soak.json

## Regenerate the golden hook files (tests/golden/); review the diff like code.
golden: $(STAMP)
	$(PY) -m tests.hooks.golden --regen

## Regenerate the CRD from the hook's schema (manifests/crd/); review the diff.
crd: $(STAMP)
	$(PY) scripts/generate_crd.py

## Regenerate generator/data/<line>/ from each server line's installed wheel (review the diff).
data: $(STAMP) $(OGX_STAMP)
	$(PY) scripts/generate_data.py --line llama-stack
	$(OGX_VENV)/bin/python scripts/generate_data.py --line ogx

clean:
	rm -rf $(VENV) $(OGX_VENV) .pytest_cache .ruff_cache
