# Tongcheng: `make run` installs and serves the demo; `make test` installs and runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
CHROMIUM ?= /usr/bin/chromium
export DJANGO_SETTINGS_MODULE ?= tongcheng.settings

# What mypy (with django-stubs) checks in `make lint` and `make test`: the kit, the services and the engine.
TYPED  := tongcheng/kit tongcheng/core/services tongcheng/cooperation/engine \
          tongcheng/cooperation/sharing/services.py tongcheng/cooperation/sharing/canonical.py \
          tongcheng/cooperation/sharing/imports.py tongcheng/cooperation/sharing/loader.py \
          tongcheng/cooperation/sharing/preview.py

.PHONY: run test test-fast install install-test messages migrate demo lint typecheck chromium bench bench-web bench-import bench-map clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

messages: $(VENV)/.installed
	$(BIN)/python tools/compile_messages.py

migrate: messages
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

# The web server, a background-job worker beside it and the periodic functions every minute (tools/run_dev.py
# stops them all on Ctrl-C).
run: demo
	@echo "Serving Tongcheng on http://$(HOST):$(PORT)/ with a job worker (Ctrl-C to stop)"
	$(BIN)/python tools/run_dev.py --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium; install it when missing and we may (root), else say how.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Chromium at $(CHROMIUM): run 'sudo apt-get install chromium' (or set CHROMIUM=/path)."; \
		exit 1; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(TYPED)

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy $(TYPED)

test: $(VENV)/.installed-test messages chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(TYPED)
	$(BIN)/python manage.py makemigrations --check --dry-run
	SECRET_KEY=check-deploy-$$(printf '%064d' 0) DJANGO_SETTINGS_MODULE=tongcheng.settings.production \
		$(BIN)/python manage.py check --deploy --fail-level WARNING
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -n 2 --dist loadgroup

# The suite without the browser (tests/e2e) and the fuzz tests (schemathesis): for the edit-test loop.
# `make test` runs everything before a merge.
test-fast: $(VENV)/.installed-test messages
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not e2e and not fuzz" --ignore=tests/e2e

bench: $(VENV)/.installed-test
	$(BIN)/python bench/settlement.py

# Cost per request under gunicorn (bench/web.py): SQLite in a temporary folder and PostgreSQL at
# 127.0.0.1:5432 (database bench_web, dropped and created again); BENCH_DB=sqlite skips PostgreSQL.
BENCH_DB ?= sqlite postgres
bench-web: messages
	$(BIN)/python bench/web.py --db $(BENCH_DB)

# A 1,000,000-row organisation import end to end on SQLite (bench/import_1m.py): the stored upload run by
# `manage.py db_worker --batch`, its wall time and peak memory beside a 10,000-row import's.
bench-import: messages
	$(BIN)/python bench/import_1m.py

# How soon the metro map and a zone map are drawn, cold and warm, in Chromium (bench/map_ready.py).
bench-map: messages chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/python bench/map_ready.py

clean:
	rm -rf $(VENV) db staticfiles
