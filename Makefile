# hedgecast: the two commands are `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test test-fast bench check notebooks lint clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## The main job: fit the baseline lens, forecast every scenario, write reports/turkiye-russia.html
report: $(STAMP)
	$(BIN)/hedgecast report

## The whole test suite. Slow checks (full fits, SBC) run too when CI=true or RUN_SLOW=1.
## Headless Chromium (for the report-rendering test) is installed from Debian if missing.
test: $(STAMP) browser
	$(BIN)/python -m pytest $(if $(or $(filter true,$(CI)),$(filter 1,$(RUN_SLOW))),--run-slow,)

browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: the browser test will be skipped"; }

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
