# Two commands matter: `make sandbox` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: sandbox test check lint bench schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Set up, then build every built-in recipe into ./sandboxes/ and print a summary.
sandbox: $(STAMP)
	@mkdir -p sandboxes
	@for r in recipes/*.yaml; do \
	  name=$$(basename $$r .yaml); \
	  $(BIN)/sandbox build $$r --out sandboxes/$$name --overwrite || exit $$?; \
	done

## Set up, then run the fast suite (under 5 minutes on 2 cores).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

## Every issue's must-show checks at their stated scale, then the benchmark.
check: $(STAMP)
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/python bench/bench_build.py --check

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_anonymise.py


## Regenerate schemas/*.json from the code that declares them.
schemas: $(STAMP)
	$(BIN)/sandbox schema recipe > schemas/recipe.schema.json
	$(BIN)/sandbox schema manifest > schemas/manifest.schema.json

clean:
	rm -rf $(VENV) sandboxes .pytest_cache
