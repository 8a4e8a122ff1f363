# Kehu: `make run` sets everything up and serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KEHU := $(VENV)/bin/kehu
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install messages migrate demo test test-postgres lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

messages: install
	$(PY) -m kehu.core.i18n

migrate: messages
	$(KEHU) migrate --noinput

demo: migrate
	$(KEHU) demo

run: demo
	@echo "Kehu is at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(KEHU) runserver $(HOST):$(PORT)

test: messages
	$(VENV)/bin/pytest -q
	$(VENV)/bin/lint-imports

lint: install
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var staticfiles
