# The two commands a learner needs (make lab, make test), and one for maintainers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kmslab-installed

.PHONY: lab test notebooks env docs docs-serve docs-test linkcheck

## lab: create .venv if needed and open JupyterLab on lesson 00
# .venv/bin comes first on PATH so that JupyterLab's terminals find python -m kmslab and aws.
lab: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_start_here.ipynb

## test: unit tests plus strict nbval over every lesson and lab solution
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## notebooks: re-execute every lesson and lab solution in place, top to bottom
notebooks: $(STAMP)
	$(BIN)/python -m kmslab.notebooks run $(NOTEBOOKS)

env: $(STAMP)

## docs: build the static site from the committed notebooks (never re-executed) into build/site/
DOCS_OUT   := build/site
DOCS_STAMP := $(VENV)/.kmslab-docs-installed
SPHINX     := $(BIN)/python -m sphinx -c site -d build/doctrees .
docs: $(DOCS_STAMP)
	rm -rf $(DOCS_OUT) build/doctrees build/jupyter_execute
	$(SPHINX) $(DOCS_OUT) -b html -W --keep-going -q
	@echo "The site is in $(DOCS_OUT)/: open $(DOCS_OUT)/index.html, or run make docs-serve"

## docs-serve: build the site, then serve it on http://127.0.0.1:$(DOCS_PORT)/ (Ctrl-C stops it)
DOCS_PORT ?= 8000
docs-serve: docs
	$(BIN)/python -m http.server $(DOCS_PORT) --bind 127.0.0.1 --directory $(DOCS_OUT)

## docs-test: open the built site in Chromium (run make docs first)
docs-test: $(DOCS_STAMP)
	$(BIN)/python -m pytest -m docs tests $(PYTEST_ARGS)

## linkcheck: check the site's external links; needs internet (offline it says so and exits 0)
linkcheck: $(DOCS_STAMP)
	@if $(BIN)/python -c 'import urllib.request as u; u.urlopen("https://docs.aws.amazon.com/", timeout=10)' 2>/dev/null; \
	then $(SPHINX) build/linkcheck -b linkcheck -q; \
	else echo "make linkcheck: https://docs.aws.amazon.com/ is unreachable (no internet here), so external links cannot be checked"; fi

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	@touch $(DOCS_STAMP)

# Re-installs only when pyproject.toml changes; pip keeps what is already satisfied.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "kmslab needs Python 3.10 or newer; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)
