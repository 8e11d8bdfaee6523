# The two commands a learner needs (make lab, make test), and some for maintainers and instructors.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Learners get the course; `make test` adds the test tools on top (one .venv for both).
LAB_STAMP  := $(VENV)/.kmslab-lab
TEST_STAMP := $(VENV)/.kmslab-test
# WHEELHOUSE=path: install from a folder `make wheelhouse` filled, with no network at all.
PIP_FROM := $(if $(WHEELHOUSE),--no-index --find-links "$(WHEELHOUSE)")
# pip builds kmslab itself with these (pyproject.toml's [build-system] requires).
BUILD_REQUIRES := "setuptools>=77"
# What `make test` adds to the course: pytest and friends, and JupyterHub for the hub test.
TEST_EXTRAS := test,hub

.PHONY: lab test notebooks env wheelhouse docs docs-serve docs-test linkcheck

## lab: create .venv if needed and open the course in JupyterLab on lesson 00
# How JupyterLab runs the course lives in one place, kmslab.lab (see the README).
# Extra jupyter lab options: make lab LAB_ARGS="--port 8899 --no-browser"
lab: $(LAB_STAMP)
	$(BIN)/python -m kmslab lab $(LAB_ARGS)

## test: unit tests, strict nbval over every lesson and lab solution, and the browser tests
# On every core (pytest-xdist); each file, and so each notebook, stays whole on one worker.
# Without the browser tests: make test PYTEST_ARGS=--skip-browser
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

## notebooks: re-execute every lesson and lab solution in place, top to bottom
notebooks: $(LAB_STAMP)
	$(BIN)/python -m kmslab.notebooks run $(NOTEBOOKS)

env: $(TEST_STAMP)

## wheelhouse: every wheel the course and its tests need, for this platform and Python,
## in ./wheelhouse (or WHEELHOUSE=path); then `make lab WHEELHOUSE=path` needs no network.
wheelhouse: $(BIN)/python
	$(BIN)/python -m pip wheel --quiet --wheel-dir "$(or $(WHEELHOUSE),wheelhouse)" ".[$(TEST_EXTRAS)]" $(BUILD_REQUIRES)
	@rm -f "$(or $(WHEELHOUSE),wheelhouse)"/kmslab-*.whl  # the course itself installs from this folder
	@echo "$$(ls "$(or $(WHEELHOUSE),wheelhouse)" | wc -l) wheels in $(or $(WHEELHOUSE),wheelhouse)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "kmslab needs Python 3.10 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(if $(WHEELHOUSE),,$(BIN)/python -m pip install --quiet --upgrade pip)

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

$(DOCS_STAMP): $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet $(PIP_FROM) -e ".[$(TEST_EXTRAS),docs]"
	@touch $(DOCS_STAMP)

# Re-installs only when pyproject.toml changes; pip keeps what is already satisfied.
# --no-compile: a learner's .venv holds no bytecode up front (130 MB less); Python writes it for
# the modules the course imports, on first use.
$(LAB_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile $(PIP_FROM) -e .
	@touch $@

# The test suite starts hundreds of Python processes (kernels, servers, xdist workers), so it
# compiles everything once; -qq and `|| true`: a few packages ship files for other Pythons.
$(TEST_STAMP): $(LAB_STAMP)
	$(BIN)/python -m pip install --quiet $(PIP_FROM) -e ".[$(TEST_EXTRAS)]"
	@$(BIN)/python -m compileall -qq -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" || true
	@touch $@
