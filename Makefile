# One entry point for people and CI. `make help` lists the targets.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: help install test lint format demo clean

help:
	@echo "make install  - system packages and the virtual environment (root)"
	@echo "make test     - the full test suite"
	@echo "make lint     - ruff, ruff format --check, mypy --strict on src/"
	@echo "make format   - apply ruff's formatting and safe fixes"
	@echo "make demo     - the built-in demo"

install:
	bash scripts/install.sh

test:
	$(PY) -m pytest $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/mypy

format:
	$(VENV)/bin/ruff format src tests bench scripts
	$(VENV)/bin/ruff check --fix src tests bench scripts

demo:
	bash scripts/demo.sh

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
