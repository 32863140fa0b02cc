# The two promises of the README: `make run` and `make test`, on a machine with nothing but Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi
# Where `make run` serves the demo; the demo's SMS links, posters and QR codes follow BASE_URL.
HOST ?= 127.0.0.1
PORT ?= 5000
BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint translations extract-messages bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Compiled catalogs are build products (.gitignore'd); the .po files are the source.
translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d app/translations 2>&1 | tail -1

## make run [HOST=… PORT=… BASE_URL=…]: migrate, seed the demo city and serve it (default http://127.0.0.1:5000)
run: translations
	$(BIN)/flask db upgrade
	PUBLIC_BASE_URL=$(BASE_URL) $(BIN)/flask demo
	PUBLIC_BASE_URL=$(BASE_URL) $(BIN)/flask run --host $(HOST) --port $(PORT)

## make lint: the layer contract of docs/ARCHITECTURE.md (.importlinter)
lint: $(STAMP)
	$(BIN)/lint-imports --no-cache

## make test: the layer contract, then the whole suite (TEST_DATABASE_URL=postgresql+psycopg://… for PostgreSQL)
test: lint translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make extract-messages: refresh the catalogs after changing user-facing text
extract-messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k N_ -o app/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i app/translations/messages.pot -d app/translations -l zh

clean:
	rm -rf $(VENV) .pytest_cache
