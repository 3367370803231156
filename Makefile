# Two commands do everything on a fresh machine:
#   make run   - set up and serve the product with demo data on 127.0.0.1:8000 (SQLite, eager Celery;
#                another port: make run PORT=8080)
#   make test  - set up and run ruff and the whole test suite
# Set DATABASE_URL / REDIS_URL in the environment to use PostgreSQL and Redis instead.

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format messages worker beat bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The demo's printed logins keep working: runserver has no forced password change
# (PASSWORD_CHANGE_REQUIRED=0, see README "Passwords").
run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo --if-empty
	DEBUG=1 PASSWORD_CHANGE_REQUIRED=0 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the translation catalogue after changing user-facing strings, then fill in
# the new msgstr entries in locale/zh_Hans/LC_MESSAGES/django.po and run this again.
messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*'
	DEBUG=1 $(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv'

# A real worker and beat against REDIS_URL (see README, "PostgreSQL and Redis"). More workers
# (README "More workers"): make worker WORKER_NAME=w2 CONCURRENCY=2 in another terminal or host.
WORKER_NAME ?= celery
worker: $(STAMP)
	$(BIN)/celery -A config worker --loglevel=INFO -n $(WORKER_NAME)@%h $(if $(CONCURRENCY),--concurrency=$(CONCURRENCY))

beat: $(STAMP)
	$(BIN)/celery -A config beat --loglevel=INFO

# The benchmark harness (issue #12, README "Performance"): creates the PostgreSQL database
# bench_$(SCALE) next to DATABASE_URL's (default postgres://postgres@127.0.0.1:5432/), seeds
# DOMAIN.md's city or province, runs every monthly job, the pages and the visit POST, prints
# one table and drops the database (BENCH_ARGS=--keep keeps it).
SCALE ?= city
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
