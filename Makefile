# Two commands do all set-up on a fresh machine with python3 and make: `make demo`, `make test`.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --locked --no-sync

export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export RUNTIME__DLTHUB_TELEMETRY := false

.PHONY: install browser demo test test-fast soak bench lint format dev sandbox-up sandbox-down clean

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv) pyproject.toml uv.lock
	$(UV) sync --locked
	@touch $@

install: .venv/.synced  ## create .venv from uv.lock

demo: install  ## start the sandbox and run the demo
	$(RUN) ledgerlink demo

# The console's browser test drives Debian's Chromium (never a browser downloaded by a tool):
# installed with apt where it is missing and apt can be used; elsewhere that one test is skipped.
APT_GET := $(if $(filter 0,$(shell id -u)),apt-get,$(if $(shell command -v sudo 2>/dev/null),sudo -n apt-get))
browser:  ## Debian's chromium for the console's browser test
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ -n "$(APT_GET)" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the console's browser test ..."; \
	  ( $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium >/dev/null ) \
	    || echo "chromium could not be installed: the browser test will be skipped"; \
	else echo "no /usr/bin/chromium and no apt-get to install it: the browser test will be skipped"; fi

test: install browser  ## the whole test suite (unit, integration, end to end) on the sandbox
	$(RUN) pytest -q -n auto --dist loadfile --no-loadscope-reorder --durations=25

test-fast: install  ## unit tests only
	$(RUN) pytest -q tests/unit

soak: install  ## long trials: the ledger's property test (LEDGERLINK_SOAK_EXAMPLES=200), chaos over 1,000+ records, 20 killed pushes
	LEDGERLINK_SOAK=1 $(RUN) pytest -q tests/e2e/test_ledger_properties.py tests/e2e/test_chaos.py tests/e2e/test_crash_safety.py

bench: install  ## benchmarks: print figures (never asserted in tests)
	@for b in bench/bench_*.py; do echo "== $$b"; $(RUN) python $$b || exit 1; done

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

DAGSTER_HOME_DIR := $(CURDIR)/.ledgerlink/dagster

# The receiver and Dagster start as background jobs with job control on (`set -m`, off again
# at once so bash prints no job notices), each in its own process group: Ctrl-C reaches this
# shell and not them, and the shell stops them by pid (Dagster then shuts its webserver, daemon
# and code server down in order instead of each dying of the same SIGINT), then whatever is
# left in Dagster's group (a run it launched), then the sandbox.
# Ctrl-C ends the target successfully; Dagster ending on its own ends it with its exit code.
# `dg dev` reads the code location from pyproject.toml ([tool.dg]); warnings and errors only,
# without the daemon's line per sensor tick.
dev: install  ## sandbox + webhook receiver + Dagster UI on http://127.0.0.1:3000 (Ctrl-C stops all)
	$(RUN) ledgerlink sandbox up
	@mkdir -p $(DAGSTER_HOME_DIR) && cp dagster.yaml $(DAGSTER_HOME_DIR)/dagster.yaml
	@receiver=; dagster=; \
	stop() { trap '' INT TERM; echo "stopping the receiver, Dagster and the sandbox ..."; \
	  kill -TERM $$dagster $$receiver 2>/dev/null; wait; \
	  [ -z "$$dagster" ] || kill -TERM -- -$$dagster 2>/dev/null; \
	  $(RUN) ledgerlink sandbox down; exit $$1; }; \
	trap 'stop 0' INT TERM; \
	set -m; $(RUN) ledgerlink webhooks serve & receiver=$$!; set +m; \
	sleep 2; $(RUN) ledgerlink auth freshbooks --headless && \
	$(RUN) ledgerlink webhooks register --url http://127.0.0.1:8780; \
	echo "Dagster UI on http://127.0.0.1:3000 (Ctrl-C stops all)"; \
	set -m; DAGSTER_HOME=$(DAGSTER_HOME_DIR) $(RUN) dg dev --log-level warning & \
	dagster=$$!; set +m; \
	wait $$dagster; stop $$?

sandbox-up: install
	$(RUN) ledgerlink sandbox up

sandbox-down: install
	$(RUN) ledgerlink sandbox down

clean:
	-$(RUN) ledgerlink sandbox down
	rm -rf .ledgerlink .pytest_cache .ruff_cache
