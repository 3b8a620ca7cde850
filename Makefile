# Every target is one call of a command (python -m builder ..., pytest, ruff, mypy), run
# from the project venv.  The venv is installed with --require-hashes from the developer
# lock of the Python that makes it (requirements/dev-pyXY.txt), never from the machine's
# pip configuration.
PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
PIP      := env PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip
DEV_LOCK := requirements/dev-py$(shell $(PYTHON) -c 'import sys; print("%d%d" % sys.version_info[:2])').txt
PROFILE  ?=
ARCHIVE  ?=
MODEL    ?=
RECIPE   ?=
BACKEND  ?=
EPISODES ?=
STRICT   ?=
PYTEST_ARGS ?=
MODEL_ARG   := $(if $(MODEL),--model $(MODEL),)
RECIPE_ARG  := $(if $(RECIPE),--recipe $(RECIPE),)
BACKEND_ARG := $(if $(BACKEND),--backend $(BACKEND),)
# Unset: verify's own default (builder/verify/lineups.py); STRICT=1: gaps exit non-zero.
VERIFY_ARGS := $(if $(EPISODES),--episodes $(EPISODES),) $(if $(STRICT),--strict,)
# Unset: the recipe's profile (submission.toml, or RECIPE=), else kaggle-2024.
PROFILE_ARG := $(if $(PROFILE),--profile $(PROFILE),)
# Runtime code for the target's Python 3.10, linted on its own: the agent template and
# the program verify runs in the target interpreter.
TEMPLATE := template
CHILD    := builder/verify/child

.PHONY: setup submission lock wheels verify inspect profile-capture test lint bench clean

$(VENV)/.installed: pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV) && $(PIP) install -q --require-hashes -r $(DEV_LOCK) && $(PIP) install -q --no-deps --no-build-isolation -e . && touch $@

setup: $(VENV)/.installed

submission: setup
	$(PY) -m builder build $(PROFILE_ARG) $(MODEL_ARG) $(RECIPE_ARG) $(BACKEND_ARG)

lock: setup
	$(PY) -m builder lock $(PROFILE_ARG) $(RECIPE_ARG)

wheels: setup
	$(PY) -m builder wheels $(PROFILE_ARG) $(RECIPE_ARG) $(BACKEND_ARG)

verify: setup
	$(PY) -m builder verify $(ARCHIVE) $(PROFILE_ARG) $(RECIPE_ARG) $(VERIFY_ARGS)

inspect: setup
	$(PY) -m builder inspect $(MODEL) $(PROFILE_ARG) $(RECIPE_ARG)

profile-capture: setup
	$(PY) -m builder profile capture

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check builder tests bench && $(PY) -m ruff check --target-version py310 $(TEMPLATE) $(CHILD) && $(PY) -m mypy && MYPYPATH=$(TEMPLATE) $(PY) -m mypy --python-version 3.10 --explicit-package-bases $(TEMPLATE)/main.py $(TEMPLATE)/agent20q/*.py && MYPYPATH=$(CHILD) $(PY) -m mypy --python-version 3.10 --explicit-package-bases $(CHILD)/*.py

bench: setup
	$(PY) -m bench $(PROFILE_ARG)

clean:
	rm -rf build submission.tar.gz submission.manifest.json submission.report.json
