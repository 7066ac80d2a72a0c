#!/usr/bin/env bash
# Set up (if needed) and run the main job on the embedded default (synthetic data); extra args go to Hydra.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/morec-pareto "$@"
