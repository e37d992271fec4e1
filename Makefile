# Planner: `make run` starts the app on embedded defaults, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/uvenv/bin/uv
NODE_BIN := $(CURDIR)/.tools/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: run test setup lint bench chromium clean test-tools bench-tools

$(UV):
	$(PYTHON) -m venv .tools/uvenv
	.tools/uvenv/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

$(NODE_BIN)/node $(NODE_BIN)/bun:
	npm install --prefix .tools --no-audit --no-fund node@22 bun@1.4.5

setup: .venv/.synced $(NODE_BIN)/node

# npm tools the tests and benchmarks drive (not part of the app): axe-core is injected into
# e2e pages, Lighthouse runs in `python -m bench booking_page`. Pinned, into the git-ignored .tools/.
AXE_VERSION := 4.14.1
LIGHTHOUSE_VERSION := 12.8.2
.tools/node_modules/axe-core/axe.min.js: | $(NODE_BIN)/node
	npm install --prefix .tools --no-audit --no-fund axe-core@$(AXE_VERSION)
	touch $@

$(NODE_BIN)/lighthouse: | $(NODE_BIN)/node
	npm install --prefix .tools --no-audit --no-fund lighthouse@$(LIGHTHOUSE_VERSION)

test-tools: .tools/node_modules/axe-core/axe.min.js

bench-tools: $(NODE_BIN)/lighthouse

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

run: setup
	.venv/bin/python -m planner.launcher

test: setup chromium test-tools
	.venv/bin/python -m pytest $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .


bench: setup chromium bench-tools
	.venv/bin/python -m bench

clean:
	rm -rf .web .states var
