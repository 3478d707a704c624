# Two entry points: `make run` and `make test`. The Dockerfile mirrors the install steps.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin

.PHONY: run test lint types unit system-deps axe install install-test bench clean

run: install
	$(BIN)/huongnghiep serve

test: install-test system-deps axe lint types unit

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

install-test: $(VENV)/.installed-test
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,train]'
	touch $(VENV)/.installed $@

# Chromium for the browser tests and a running PostgreSQL (Debian packages; nothing is
# downloaded at test time).
system-deps:
	@bash .ci/system-deps
	@bash .ci/postgres

# axe-core (accessibility rules) from the npm registry, for the browser tests to inject; pinned.
AXE_VERSION := 4.14.1
axe: .cache/npm/node_modules/axe-core/axe.min.js
.cache/npm/node_modules/axe-core/axe.min.js:
	npm install --no-save --no-audit --no-fund --prefix .cache/npm axe-core@$(AXE_VERSION)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types:
	$(BIN)/mypy

# pytest exits 5 when it collects no test; that must never pass silently, so it fails here.
# The suite runs against SQLite and against this PostgreSQL (tests make their own databases).
export TEST_DATABASE_URL ?= postgresql+asyncpg://huongnghiep:huongnghiep@127.0.0.1:5432/postgres
# --durations: CI's log names the slowest tests (the suite must stay well inside CI's 30 minutes).
# -n: one pytest worker per core (pytest-xdist); each test makes its own databases, servers and
# browser, so workers share nothing but PostgreSQL. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
unit:
	$(BIN)/pytest -q -n $(TEST_WORKERS) --durations=25

bench: install
	$(PY) bench/match.py
	$(PY) bench/chat.py
	$(PY) bench/export.py
	$(PY) bench/dashboard.py

clean:
	rm -rf $(VENV) var .cache .pytest_cache .mypy_cache .ruff_cache
