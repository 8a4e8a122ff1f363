# Kehu: `make run` sets everything up and serves the demo; `make test` runs the whole suite.
# Needs only Python 3.11+ and make. The virtualenv in .venv is made once and reused; it is
# reinstalled when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KEHU := $(VENV)/bin/kehu
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install messages migrate demo test lint clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kehu needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

messages: install
	$(PY) -m kehu.core.i18n

migrate: messages
	$(KEHU) migrate --noinput

demo: migrate
	$(KEHU) demo --url http://$(HOST):$(PORT)/

run: demo
	@echo "Kehu is at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(KEHU) runserver $(HOST):$(PORT)

test: messages
	$(VENV)/bin/pytest -q
	$(VENV)/bin/lint-imports

lint: install
	$(VENV)/bin/lint-imports

# Removes what `make` built; the database in var/ is data and stays.
clean:
	rm -rf $(VENV) staticfiles kehu.egg-info
