# Every target is one call of the CLI (python -m builder ...), run from the project venv.
PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
PROFILE  ?=
ARCHIVE  ?=
MODEL    ?=
RECIPE   ?=
EPISODES ?= 1
MODEL_ARG  := $(if $(MODEL),--model $(MODEL),)
RECIPE_ARG := $(if $(RECIPE),--recipe $(RECIPE),)
# Unset: the recipe's profile (submission.toml, or RECIPE=), else kaggle-2024.
PROFILE_ARG := $(if $(PROFILE),--profile $(PROFILE),)

.PHONY: setup submission lock wheels verify inspect profile-capture test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(PY) -m pip install -q -e '.[test]' && touch $@

setup: $(VENV)/.installed

submission: setup
	$(PY) -m builder build $(PROFILE_ARG) $(MODEL_ARG) $(RECIPE_ARG)

lock: setup
	$(PY) -m builder lock $(PROFILE_ARG) $(RECIPE_ARG)

wheels: setup
	$(PY) -m builder wheels $(PROFILE_ARG) $(RECIPE_ARG)

verify: setup
	$(PY) -m builder verify $(ARCHIVE) $(PROFILE_ARG) $(RECIPE_ARG) --episodes $(EPISODES)

inspect: setup
	$(PY) -m builder inspect $(MODEL) $(PROFILE_ARG) $(RECIPE_ARG)

profile-capture: setup
	$(PY) -m builder profile capture

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check builder tests && $(PY) -m mypy

bench: setup
	$(PY) -m builder bench $(PROFILE_ARG)

clean:
	rm -rf build submission.tar.gz submission.manifest.json submission.report.json
