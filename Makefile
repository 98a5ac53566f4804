# Two entry points: `make run` and `make test`. Both build .venv/ from the lock file first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install bench clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "uv==0.13.9" \
	  || $(BIN)/python -m pip install -q --disable-pip-version-check "pip>=24"
	if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python requirements.lock && \
	  $(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . ; \
	else \
	  $(BIN)/python -m pip install -q --compile -r requirements.lock && \
	  $(BIN)/python -m pip install -q --no-deps -e . ; \
	fi
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/govinfo run

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) data/warehouse.duckdb data/lake data/prefect data/raw
