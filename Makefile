# Each target sets up .venv by itself. torch is pinned to 2.13.0 (a CPU wheel on local disk)
# before anything else is installed, so no resolver ever pulls a CUDA build.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
STORAGE ?= sqlite:///caviar.db

.PHONY: run test check lint typecheck bench clean

# what `make run` needs: the core and the PyTorch engine
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[torch,export]"
	touch $(RUN_STAMP)

# what `make test` needs: everything, Debian's chromium for the browser tests included
$(STAMP): $(RUN_STAMP)
	$(BIN)/pip install -q -e ".[torch,export,postgres,ray,viz,dashboard,frameworks,dev]"
	bash examples/frameworks/setup_envs.sh
	if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver; fi
	touch $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/caviar tune-mlp --data digits --trials 128 --population 64 --storage $(STORAGE) --study digits-mlp --seed 0

test: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

check: test

bench: $(STAMP)
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
