# Two commands matter: `make sandbox` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LEARN := $(VENV)/.learn-installed

.PHONY: sandbox test check lint coverage bench schemas screenshots clean services

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,report,dask,sign,detect,dp,load,replay]'
	touch $(STAMP)

# The `learn` extra pulls in torch: the pinned CPU build first, or pip would fetch a multi-GB CUDA one.
$(LEARN): $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[learn]'
	touch $(LEARN)

## Set up, then build every built-in recipe into ./sandboxes/ (each with its data card and report.html).
sandbox: $(STAMP)
	@mkdir -p sandboxes
	@for r in recipes/*.yaml; do \
	  name=$$(basename $$r .yaml); \
	  $(BIN)/sandbox build $$r --out sandboxes/$$name --overwrite || exit $$?; \
	  $(BIN)/sandbox report sandboxes/$$name || exit $$?; \
	done

## Set up, then run the fast suite (about 7 minutes on 2 cores).
test: $(STAMP) services
	$(BIN)/python -m pytest -q -m "not slow"

## The servers the tests start on loopback (PostgreSQL, mosquitto): Debian's packages, installed if missing.
services:
	@bash scripts/services

## Every issue's must-show checks at their stated scale, then the benchmark.
check: $(STAMP) $(LEARN) services
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/python bench/bench_build.py --check
	$(BIN)/python bench/bench_engines.py
	$(BIN)/python bench/bench_learn.py
	$(BIN)/python bench/bench_load.py --check

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

## The fast suite under coverage, subprocesses included (the figure README's Development section gives).
coverage: $(STAMP)
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest -q -m "not slow" -p no:cacheprovider
	$(BIN)/python -m coverage combine -q
	$(BIN)/python -m coverage report --sort=cover

bench: $(STAMP) $(LEARN)
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_anonymise.py
	$(BIN)/python bench/bench_engines.py
	$(BIN)/python bench/bench_learn.py
	$(BIN)/python bench/bench_load.py


## Regenerate schemas/*.json from the code that declares them.
schemas: $(STAMP)
	$(BIN)/sandbox schema recipe > schemas/recipe.schema.json
	$(BIN)/sandbox schema manifest > schemas/manifest.schema.json

## The report screenshots under docs/ (needs Debian's chromium).
screenshots: $(STAMP)
	$(BIN)/python examples/report_screenshots.py docs/

clean:
	rm -rf $(VENV) sandboxes .pytest_cache
