# Planner: `make run` starts the app on embedded defaults, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/uvenv/bin/uv
NODE_BIN := $(CURDIR)/.tools/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: run test setup lint bench chromium clean

$(UV):
	$(PYTHON) -m venv .tools/uvenv
	.tools/uvenv/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

$(NODE_BIN)/node $(NODE_BIN)/bun:
	npm install --prefix .tools --no-audit --no-fund node@22 bun@1.4.5

setup: .venv/.synced $(NODE_BIN)/node

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

run: setup
	.venv/bin/python -m planner.launcher

test: setup chromium
	.venv/bin/python -m pytest $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .


bench: setup
	.venv/bin/python -m bench

clean:
	rm -rf .web .states var
