# First Line: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FIRSTLINE_MODE ?= demo

.PHONY: run test install lint typecheck bench clean ci messages

$(STAMP): pyproject.toml src/firstline/audit/_native.c
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate the SQLite database under var/, load the demo data, serve on :8000
## (FIRSTLINE_BIND=127.0.0.1:8765 make run listens elsewhere; the printed links follow it)
run: export FIRSTLINE_SITE_URL ?= http://$(or $(FIRSTLINE_BIND),127.0.0.1:8000)
run: install
	mkdir -p var
	$(BIN)/firstline migrate --no-input
	$(BIN)/firstline demo
	$(BIN)/firstline serve

## make test: install and run the whole suite (SQLite unless FIRSTLINE_DATABASE_URL is set)
## (extra pytest options in PYTEST_ARGS, e.g. make test PYTEST_ARGS=--create-db)
test: install
	$(BIN)/pytest -n 2 --dist loadfile -p no:cacheprovider $(PYTEST_ARGS)

## make ci: what CI runs (lint, types, migrations, SQLite and PostgreSQL suites, browser tests)
ci:
	bash .ci/run

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	FIRSTLINE_MODE=test $(BIN)/mypy

## make bench: run the benchmarks and write docs/benchmarks.md
bench: install
	$(BIN)/python -m bench

## make messages: extract interface text into the catalogues, regenerate fallbacks, compile
messages: install
	mkdir -p src/firstline/locale
	cd src/firstline && FIRSTLINE_MODE=test ../../$(BIN)/firstline makemessages -l sq -l sr_Latn -l mk --ignore='migrations/*' --no-obsolete
	FIRSTLINE_MODE=test $(BIN)/python -m firstline.core.i18n

clean:
	rm -rf $(VENV) var/*.sqlite3*
