# wmp-analysis: the two set-up-and-go commands are `make briefing` and `make test`.
# Both create .venv if absent, install the pinned environment and register the
# Jupyter kernel; neither needs conda or network access beyond PyPI.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
KERNEL := wmp-analysis
CONFIG ?= configs/sample.yaml
STAMP  := $(VENV)/.installed

.PHONY: briefing test lint venv kernel sample ingest lab lock bench clean-reports browser

briefing: $(STAMP) browser  ## run the whole suite: real public files + the synthetic sample where none is public (and print briefing.pdf)
	$(BIN)/wmp-analysis run --config $(CONFIG)

test: $(STAMP) browser lint  ## run the test suite (after the lint hooks)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## the pre-commit hooks (ruff check, ruff format, nbstripout) over every file
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pre-commit run --all-files --show-diff-on-failure

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip check
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (wmp-analysis)"
	touch $(STAMP)

kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (wmp-analysis)"

# Headless Chromium: prints briefing.pdf and runs the browser test (Debian package; needs root or sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and no root: install it (apt-get install chromium) for briefing.pdf and the browser test, or set runner: {pdf: false} in the config"; fi; }

sample: $(STAMP)  ## (re)generate the synthetic sample
	$(BIN)/wmp-analysis sample --config $(CONFIG)

ingest: $(STAMP)
	$(BIN)/wmp-analysis ingest --config $(CONFIG)

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_suite.py

lock:  ## refresh requirements.lock from the current venv
	{ grep '^#' requirements.lock; $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock.new && mv requirements.lock.new requirements.lock

clean-reports:
	rm -rf reports/
