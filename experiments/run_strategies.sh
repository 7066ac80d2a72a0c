#!/usr/bin/env bash
# Every strategy x 10 seeds on the default synthetic data and on MovieLens-100k, then the report of each.
# Usage: bash experiments/run_strategies.sh ML100K_DIR [extra Hydra overrides, e.g. hydra/launcher=joblib]
# ML100K_DIR comes from ../shared/data/get-ml-100k ML100K_DIR (RecBole's atomic files; never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
ML100K=${1:?usage: bash experiments/run_strategies.sh ML100K_DIR [overrides...]}
shift
BIN=.venv/bin
"$BIN/morec-pareto" -m experiment=strategies hydra.sweep.dir=outputs/multirun/strategies progress=false "$@"
"$BIN/morec-pareto" -m experiment=strategies_ml100k "data.path=$ML100K" \
    hydra.sweep.dir=outputs/multirun/strategies_ml100k progress=false "$@"
"$BIN/morec-pareto-report" outputs/multirun/strategies --out outputs/report/strategies --control weighted
"$BIN/morec-pareto-report" outputs/multirun/strategies_ml100k --out outputs/report/strategies_ml100k --control weighted
