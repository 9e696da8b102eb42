# Task runner. `make run` and `make test` each set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test chat bench bench-money bench-notifications catalogs clean

setup: $(STAMP) catalogs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

catalogs: $(STAMP)
	@if [ -d locales ] && ls locales/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile --use-fuzzy -d locales -D messages --statistics; fi

# Another port: make run PORT=8001 (the links the bot sends follow it unless PUBLIC_URL is set).
run: setup
	$(BIN)/connect-energy serve $(if $(PORT),--port $(PORT))

chat: setup
	$(BIN)/connect-energy chat

# Throughput on throwaway databases (docs/performance.md); e.g. make bench BENCH="--runs 5".
bench: setup
	$(BIN)/python -m bench.engine_throughput $(BENCH)

# The money path: signing, PicPay callbacks, the periodic check (docs/performance.md, "The
# money path"); under a minute a backend, e.g. make bench-money BENCH="--runs 3".
bench-money: setup
	$(BIN)/python -m bench.money $(BENCH)

# Notifications: notify(), the push and e-mail senders draining to local fakes, an outage
# (docs/performance.md, "Notifications"); under a minute a backend, e.g.
# make bench-notifications BENCH="--people 2000 --runs 3".
bench-notifications: setup
	$(BIN)/python -m bench.notifications $(BENCH)

test: setup
	scripts/test

clean:
	rm -rf $(VENV) connect_energy.db connect_energy.db.secret .pytest_cache .mypy_cache .ruff_cache
