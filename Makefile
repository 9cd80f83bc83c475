# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app.py
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test screenshots lint translations system-packages postgres test-sqlite test-postgresql messages

# Links in mail point where this desk listens, unless HELPDESK_DESK_URL says otherwise. A
# development desk catches its outgoing mail at /dev/mail and takes mail in on port 2525.
run: export HELPDESK_DESK_URL ?= http://$(HOST):$(PORT)
run: export HELPDESK_ENVIRONMENT ?= development
run: export HELPDESK_MAIL_IN_PORT ?= 2525
run: $(VENV)/.installed-app translations  ## Start the desk (web, worker, mail intake) on SQLite with demo data
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	@echo
	@echo "helpdesk runs at http://$(HOST):$(PORT)/  (staff: /sign-in, customers: /portal/sign-in)"
	@echo "Write to the desk: $(BIN)/flask mail send-demo --from eva@acme.example --subject 'Export fails'"
	@echo
# Web and worker (which runs the mail intake) start together; when either stops, or on
# Ctrl-C, both stop.
	@$(BIN)/flask worker & worker=$$!; \
	$(BIN)/flask run --host $(HOST) --port $(PORT) & web=$$!; \
	trap 'kill $$worker $$web 2>/dev/null; wait 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	wait -n $$worker $$web

# Both suites run at once, each on TEST_WORKERS pytest-xdist workers (every worker has its own
# database, ports and folders); each prints its outcome, and make test fails if either fails.
# PYTEST_ARGS adds options, e.g. make test-sqlite PYTEST_ARGS="--durations=30".
TEST_WORKERS ?= 2

test: $(VENV)/.installed-dev translations system-packages postgres lint  ## The whole suite, on SQLite and PostgreSQL
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgresql

test-sqlite test-postgresql: test-%:
	@HELPDESK_TEST_DATABASE=$* $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS); \
	status=$$?; \
	if [ $$status = 0 ]; then echo "$@: passed"; else echo "$@: FAILED (pytest exit $$status)"; fi; \
	exit $$status

# Refresh the README's screenshots in docs/screenshots from the browser tests.
screenshots: $(VENV)/.installed-dev translations system-packages
	HELPDESK_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m browser

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-app: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.installed-app $@

translations: $(VENV)/.installed-app
	@$(BIN)/pybabel compile -d helpdesk/translations >/dev/null

# Refresh the catalogue after adding strings: make messages, then translate the .po file.
# Refusal messages are extracted too: agents and customers read them translated.
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k Refusal -k NotFound -k UploadRejected -k ReadOnly -k ExportLinkGone -o helpdesk/translations/messages.pot .
	$(BIN)/pybabel update -i helpdesk/translations/messages.pot -d helpdesk/translations

# Real servers the tests talk to: Dovecot (IMAP) and Chromium (browser tests).
system-packages:
	@missing=""; \
	command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "Starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | tail -n 1) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
