# The two commands a learner needs (make lab, make test), and one for maintainers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kmslab-installed

.PHONY: lab test notebooks env

## lab: create .venv if needed and open the course in JupyterLab on lesson 00
# How JupyterLab runs the course lives in one place, kmslab.lab (see the README).
# Extra jupyter lab options: make lab LAB_ARGS="--port 8899 --no-browser"
lab: $(STAMP)
	$(BIN)/python -m kmslab lab $(LAB_ARGS)

## test: unit tests, strict nbval over every lesson and lab solution, and the browser tests
# On every core (pytest-xdist); each file, and so each notebook, stays whole on one worker.
# Without the browser tests: make test PYTEST_ARGS=--skip-browser
test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

## notebooks: re-execute every lesson and lab solution in place, top to bottom
notebooks: $(STAMP)
	$(BIN)/python -m kmslab.notebooks run $(NOTEBOOKS)

env: $(STAMP)

# Re-installs only when pyproject.toml changes; pip keeps what is already satisfied.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "kmslab needs Python 3.10 or newer; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)
