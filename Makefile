# The two commands: `make run` (clean clone -> the main job on the embedded default data) and `make test`.
# Everything installs into .venv from the pinned versions in constraints.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

# No telemetry, ever: the machines have no internet and the data are about people.
export BENTOML_DO_NOT_TRACK := true
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1

# The embedded default register: simulated, so its truth is known.
PERSONS ?= 200000
SEED    ?= 20260630
AS_OF   ?= 2026-06-30
DATA    ?= data/register.parquet
HOST    ?= 127.0.0.1
PORT    ?= 3000

.PHONY: help install browser run test slow lint bench bench-gates bench-monitor bench-turning constraints clean

help:
	@echo "make run      install, simulate the default register into $(DATA) if absent, validate it, train, audit and release a version, serve it"
	@echo "make test     install and run the test suite but the long proofs (about 4 minutes on 2 cores)"
	@echo "make install  create .venv and install the project with its dev extras"
	@echo "make slow     the long proofs: the same model from 100,000 persons twice, minutes of mixed load, thousands of fuzzed requests"
	@echo "make lint     ruff and mypy"
	@echo "make bench    benchmarks (figures for the README)"
	@echo "make bench-gates  the release gates' error rates on 20 simulated registers (about 80 minutes)"
	@echo "make bench-monitor  monitoring's error rates on 20 simulated releases (about 25 minutes)"
	@echo "make bench-turning  calibration through a turning labour market on 3 seeds x 3 worlds (about 15 minutes)"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

$(DATA): | install
	$(BIN)/avstand synth --persons $(PERSONS) --seed $(SEED) --as-of $(AS_OF) --out $(DATA)

# Ends with the service in the foreground on http://$(HOST):$(PORT) (Ctrl-C stops it). A first run
# creates the API key of client "local" and prints it once.
run: install $(DATA)
	$(BIN)/avstand validate --data $(DATA) --as-of $(AS_OF)
	$(BIN)/avstand release --data $(DATA) --as-of $(AS_OF)
	@$(BIN)/avstand keys list | grep -Eq '^local +created .* active$$' \
	  && echo "API key of client 'local' made on an earlier run (revoked or lost: $(BIN)/avstand keys add NAME)" \
	  || { echo "API key of client 'local' (shown only now):"; $(BIN)/avstand keys add local; }
	$(BIN)/avstand serve --host $(HOST) --port $(PORT)

# The browser tests' Chromium: Debian's package (Playwright drives it and downloads no browser of its own),
# installed with apt where it is missing. Only the tests need it, so `make run` never asks for root.
browser:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium for the browser tests: $$(command -v chromium)"; else \
	  echo "installing Debian's chromium for the browser tests (apt-get, about a minute) ..."; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q chromium >/dev/null || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium >/dev/null; } \
	  || { echo "could not install chromium: install Debian's chromium package by hand"; exit 2; }; \
	  echo "chromium for the browser tests: $$(command -v chromium)"; fi

# Every test but the long proofs, in two processes (one per core); each test file runs in one of them.
test: install browser
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadfile

# The long proofs: the tests marked slow, then 5 minutes of mixed load and thousands of fuzzed requests
# against the real service.
slow: install
	$(BIN)/python -m pytest -m slow
	AVSTAND_LOAD_SECONDS=300 AVSTAND_FUZZ_EXAMPLES=3000 $(BIN)/python -m pytest -s tests/serving/test_load.py tests/serving/test_fuzz.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/synth_validate.py
	$(BIN)/python benchmarks/train.py
	$(BIN)/python benchmarks/score_stock.py
	$(BIN)/python benchmarks/serve.py   # needs a released version: `make run` first
	$(BIN)/python benchmarks/serve_parts.py  # likewise
	$(BIN)/python benchmarks/limits.py  # likewise
	$(BIN)/python benchmarks/monitor.py

# The gates' operating characteristics: two processes (one per core), each a half of the populations,
# results per register in benchmarks/results/gates/ (a rerun skips registers already done: delete them).
bench-gates: install
	$(BIN)/python benchmarks/gates.py --populations A D > /dev/null & \
	$(BIN)/python benchmarks/gates.py --populations B C > /dev/null; wait
	$(BIN)/python benchmarks/gates.py --report-only

# Monitoring's operating characteristics: healthy releases alarmed, planted faults caught (benchmarks/monitor_alarms.py).
bench-monitor: install
	$(BIN)/python benchmarks/monitor_alarms.py --replicates 20

# Re-pin after changing pyproject.toml: resolves afresh in a scratch venv and writes constraints.txt.
constraints:
	rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	.venv-pin/bin/python -m pip install --quiet -e '.[dev]'
	.venv-pin/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .venv-pin

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
	@echo "data/, mlflow.db, mlartifacts/, bentoml-store/ and avstand-log.db are kept: the registry, the served model and the assessment log are records; remove them by hand to start afresh"

# Calibration through a turning labour market, against the exact truth and the direct 6-month model.
bench-turning: install
	$(BIN)/python benchmarks/turning_market.py --seeds 20260630 7 11
