# hedgecast: the two commands are `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test test-fast bench check notebooks lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## The main job: fit the baseline lens, forecast every scenario, write reports/turkiye-russia.html
report: $(STAMP)
	$(BIN)/hedgecast report

## The whole test suite (slow checks included when RUN_SLOW=1, as CI does)
test: $(STAMP)
	$(BIN)/python -m pytest $(if $(filter 1,$(RUN_SLOW)),--run-slow,)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -x -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

check: $(STAMP)
	$(BIN)/hedgecast check

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) .cache reports/*.html
