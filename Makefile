# Grassroots: the two commands are `make run` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: run test lint types imports deploy-check unit component integration browser bench docs fuzz sync uv clean

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || { \
	  echo "[grassroots] installing uv"; \
	  python3 -m pip install --quiet uv 2>/dev/null || python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet --break-system-packages --user uv; }

sync: uv
	@uv sync --frozen --quiet

run: sync
	@uv run --frozen python scripts/run.py

lint: sync
	uv run --frozen ruff check .
	uv run --frozen ruff format --check .

types: sync
	uv run --frozen mypy libs services scripts bench tests

imports: sync
	uv run --frozen lint-imports

deploy-check: sync
	uv run --frozen python scripts/deploy_check.py

# Browser tests run in a pytest process of their own: Playwright's sync API keeps an event
# loop running in the main thread, which the asyncio tests must not share.
test: lint types imports deploy-check
	uv run --frozen pytest -m "not slow and not browser"
	uv run --frozen pytest -m "browser and not slow" tests/browser

browser: sync
	uv run --frozen pytest -m "browser and not slow" tests/browser

unit: sync
	uv run --frozen pytest -m "not component and not integration and not slow"

# Schemathesis over every operation of the four services, with many more examples than make test.
fuzz: sync
	GR_FUZZ_EXAMPLES=$${GR_FUZZ_EXAMPLES:-100} uv run --frozen pytest tests/contracts/test_fuzz.py -p no:logging

bench: sync
	uv run --frozen python -m bench

docs: sync
	uv run --frozen python -m grassroots.contracts.schemas write libs/contracts/schemas
	uv run --frozen python -m grassroots.contracts.asyncapi > docs/asyncapi.json
	@echo "[grassroots] schemas and docs/asyncapi.json regenerated"

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache
