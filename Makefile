# Every target is one call of the CLI (python -m builder ...), run from the project venv.
PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
PROFILE  ?= kaggle-2024
ARCHIVE  ?= submission.tar.gz
MODEL    ?=
RECIPE   ?=
EPISODES ?= 1
MODEL_ARG  := $(if $(MODEL),--model $(MODEL),)
RECIPE_ARG := $(if $(RECIPE),--recipe $(RECIPE),)

.PHONY: setup submission lock wheels verify test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(PY) -m pip install -q -e '.[test]' && touch $@

setup: $(VENV)/.installed

submission: setup
	$(PY) -m builder build --profile $(PROFILE) $(MODEL_ARG) $(RECIPE_ARG)

lock: setup
	$(PY) -m builder lock --profile $(PROFILE)

wheels: setup
	$(PY) -m builder wheels --profile $(PROFILE)

verify: setup
	$(PY) -m builder verify $(ARCHIVE) --profile $(PROFILE) --episodes $(EPISODES)

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check builder tests && $(PY) -m mypy

bench: setup
	$(PY) -m builder bench --profile $(PROFILE)

clean:
	rm -rf build $(ARCHIVE) submission.manifest.json
