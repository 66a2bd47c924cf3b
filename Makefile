# Developer entry points (GNU make):
#   make run    start the local stack (moto, chalice local, web/) until Ctrl-C
#   make demo   load a two-month history of 700 invented appeals into that stack
#   make test   run the tests; pass options with PYTEST_ARGS="-k stack -x"
#   make bench  measure DynamoDB requests, job scaling and cold start; see docs/benchmarks.md
#   make venv   create .venv and install requirements-dev.txt
#   make clean  delete caches and generated files
# Recipes use the virtual environment in .venv; infra/package.mk may use
# VENV_PYTHON and the venv target as well.

PYTHON ?= python3.11
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
# Touched after a successful install, so a change to either requirements
# file installs them again.
REQUIREMENTS_STAMP := $(VENV)/.requirements-dev.installed
PYTEST_ARGS ?=

.PHONY: run demo test bench venv clean

run: venv
	$(VENV_PYTHON) -m scripts.local_stack

demo: venv
	$(VENV_PYTHON) -m scripts.demo

test: venv
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

# Exits 1 when a target is missed. A full run takes 5 to 10 minutes, and
# `python -m bench.run --quick` under a minute.
bench: venv
	$(VENV_PYTHON) -m bench.run

venv: $(REQUIREMENTS_STAMP)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(REQUIREMENTS_STAMP): requirements-dev.txt requirements.txt | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Keeps .venv/ and the local stack's data in .local/; delete those by hand
# to start from scratch.
clean:
	rm -rf .pytest_cache .hypothesis test-artifacts dist web/config.js
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		-type d -name __pycache__ -exec rm -rf {} +

# Packaging and deployment targets, written separately.
-include infra/package.mk
