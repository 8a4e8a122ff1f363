# Kehu: `make run` sets everything up and serves the demo; `make test` runs the whole suite.
# Needs only Python 3.11+ and make. The virtualenv in .venv is made once and reused; it is
# reinstalled when pyproject.toml changes. `make run` installs Kehu alone; `make test` (and
# `make install`, for developers) adds the test tools (pytest, Playwright, import-linter).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KEHU := $(VENV)/bin/kehu
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo serves with DEBUG off, so a wrong address shows Kehu's own (translated) error
# pages; `make run KEHU_DEBUG=1` serves Django's debug pages instead.
KEHU_DEBUG ?= 0
# The demo database (config/settings.py: KEHU_SQLITE_PATH, else KEHU_VAR_DIR/kehu.sqlite3).
SQLITE ?= $(or $(KEHU_SQLITE_PATH),$(or $(KEHU_VAR_DIR),var)/kehu.sqlite3)

.PHONY: run install messages migrate demo reset test lint clean bench

# Kehu and what it needs to run.
$(VENV)/.installed-app: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kehu needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# ... plus the test tools.
$(VENV)/.installed-test: $(VENV)/.installed-app pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed-test

messages: $(VENV)/.installed-app
	$(PY) -m kehu.core.i18n

migrate: messages
	$(KEHU) migrate --noinput

demo: migrate
	$(KEHU) demo --url http://$(HOST):$(PORT)/

# The background worker (`kehu worker`: webhook deliveries, …) runs beside the server; Ctrl+C
# reaches both (one process group), and the trap stops the worker whenever the server ends.
run: demo
	@echo "Kehu is at http://$(HOST):$(PORT)/  (Ctrl+C stops it and its background worker)"
	@KEHU_DEBUG=$(KEHU_DEBUG) $(KEHU) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	KEHU_DEBUG=$(KEHU_DEBUG) $(KEHU) runserver $(HOST):$(PORT)

# Starts again from scratch: deletes the SQLite demo database (stop `make run` first) and
# loads the demo company into a new one. Never touches a DATABASE_URL database.
reset: $(VENV)/.installed-app
	@test -z "$$DATABASE_URL" || { echo "make reset only deletes the SQLite demo database, and DATABASE_URL is set" >&2; exit 1; }
	rm -f $(SQLITE) $(SQLITE)-wal $(SQLITE)-shm
	$(MAKE) demo

test: messages $(VENV)/.installed-test
	$(VENV)/bin/pytest -q
	$(VENV)/bin/lint-imports

lint: $(VENV)/.installed-test
	$(VENV)/bin/lint-imports

# Removes what `make` built; the database in var/ is data and stays (`make reset` deletes it).
clean:
	rm -rf $(VENV) staticfiles kehu.egg-info

# The pages and jobs at scale on SQLite (var/bench-$(SIZE).sqlite3, seeded once by `kehu seed` and
# reused) and on PostgreSQL when KEHU_BENCH_DATABASE_URL (or DATABASE_URL) names a database for it:
# one table (docs/performance.md, "make bench"). SIZE=small checks the harness in a minute or two.
# Not part of `make test` or CI.
SIZE ?= full
bench: messages $(VENV)/.installed-app
	$(PY) -m benchmarks.bench --size $(SIZE)
