#!/usr/bin/env bash
# Set up (if needed), lint (ruff) and type-check (mypy, [tool.mypy] in pyproject.toml), then run the whole
# test suite, notebooks included. A lint or type error stops here, before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check morec_pareto tests experiments
.venv/bin/mypy
.venv/bin/python -m pytest -q -n 2 "$@"
