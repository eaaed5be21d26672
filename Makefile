# Kabuto: the two commands a newcomer needs are `make demo` and `make test`.
# Each sets up what it needs first (.venv from PyPI, node_modules from npm), so a fresh clone
# with only Python 3.11+ and Node 20+ works with nothing installed by hand.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FORGE  := node_modules/@foundry-rs/forge-linux-amd64/bin/forge

VENV_STAMP := $(VENV)/.kabuto-installed
NODE_STAMP := node_modules/.kabuto-installed
EDR_STAMP  := tools/edr/node_modules/.kabuto-installed

.PHONY: setup demo demo-full test test-edr lint format compile bench clean

setup: $(VENV_STAMP) $(NODE_STAMP)

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# Install scripts are skipped on purpose: the Anvil and forge binaries arrive as npm optional
# dependencies, and their postinstall fallback would try to download from elsewhere.
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# `make demo` tells each story briefly, for a live audience; `make demo-full` with every detail
# (gas, events, intermediate tables, timelines).
demo: setup
	$(PY) scripts/demos/foundation.py
	$(PY) scripts/demos/margin_calls.py
	$(PY) scripts/demos/default.py
	$(PY) scripts/demos/substitution.py
	$(PY) scripts/demos/jdr.py
	$(PY) scripts/demos/delivery.py
	$(PY) scripts/demos/etf_clearing.py

demo-full: setup
	$(PY) scripts/demos/foundation.py --full
	$(PY) scripts/demos/margin_calls.py --full
	$(PY) scripts/demos/default.py --full
	$(PY) scripts/demos/substitution.py --full
	$(PY) scripts/demos/jdr.py --full
	$(PY) scripts/demos/delivery.py --full
	$(PY) scripts/demos/etf_clearing.py --full

test: setup
	$(PY) -m pytest

# The same suite on a second node implementation, Hardhat's EDR from npm (tests/nodes.py): what
# needs Anvil itself is skipped with its reason. Installed here only; `make test` stays on Anvil.
test-edr: setup $(EDR_STAMP)
	KABUTO_TEST_NODE=edr $(PY) -m pytest

$(EDR_STAMP): tools/edr/package.json tools/edr/package-lock.json
	cd tools/edr && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# Slither analyses the contracts as forge builds them (foundry.toml: the npm solc shim, offline;
# what it may skip and why is in slither.config.json); the ERC-20 check reads that same build.
lint: setup
	$(VENV)/bin/ruff check pyclient scripts tests tools
	$(VENV)/bin/ruff format --check pyclient scripts tests tools
	$(FORGE) fmt --check
	PATH="$(CURDIR)/$(dir $(FORGE)):$$PATH" $(VENV)/bin/slither .
	PATH="$(CURDIR)/$(dir $(FORGE)):$$PATH" $(PY) tools/erc20_conformance.py

format: setup
	$(VENV)/bin/ruff check --fix pyclient scripts tests tools
	$(VENV)/bin/ruff format pyclient scripts tests tools
	$(FORGE) fmt

# After changing a contract: refresh pyclient/artifacts and docs/access.md (a test fails while
# they are stale).
compile: setup
	$(PY) tools/compile.py

bench: setup
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) node_modules tools/edr/node_modules .pytest_cache .hypothesis .kabuto *.egg-info
