#!/usr/bin/env bash
# Issue 14's comparison, a few seeds at a time: every strategy of experiment=strategies(_ml100k) per seed,
# resumable (a run whose summary.json exists is skipped), two seeds at once with one torch thread each.
#
#   bash experiments/flagship/run.sh default SEED...             # experiment=strategies (synthetic default)
#   bash experiments/flagship/run.sh ml100k SEED...              # experiment=strategies_ml100k, data/ml100k
#
# Runs go to outputs/flagship/<data>/<strategy>_seed<S>/ (models shared through outputs/flagship/model_cache:
# strategies that train the same model, same seed, reuse one training). Each finished run's small
# files (summary.json, front.csv, history.csv, training_history.csv, evaluations.csv gzipped, .hydra/) are copied to
# experiments/results/flagship/<data>/<strategy>_seed<S>/, which the report reads:
#   .venv/bin/morec-pareto-report experiments/results/flagship/default --out OUT --control weighted
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: run.sh default|ml100k SEED...}; shift
case $data in
  default) overlay=(experiment=strategies) ;;
  ml100k) overlay=(experiment=strategies_ml100k data.path=${ML100K:-data/ml100k}) ;;
  *) echo "run.sh: data must be default or ml100k, not $data" >&2; exit 2 ;;
esac
STRATEGIES=${STRATEGIES:-"weighted tchebycheff non_weighted epsilon_constraint grid random mgda conditioned train_weights"}
RUNS=${RUNS:-outputs/flagship} KEEP=${KEEP:-experiments/results/flagship} EXTRA=${EXTRA:-}  # EXTRA: more overrides
export OVERLAY="${overlay[*]}" DATA=$data STRATEGIES RUNS KEEP EXTRA
one_seed() {
  local seed=$1 strategy run keep
  for strategy in $STRATEGIES; do
    run=$RUNS/$DATA/${strategy}_seed$seed
    keep=$KEEP/$DATA/${strategy}_seed$seed
    if [ ! -f "$run/summary.json" ]; then
      OMP_NUM_THREADS=1 .venv/bin/morec-pareto $OVERLAY strategy=$strategy seed=$seed threads=1 progress=false \
        model_cache=$RUNS/model_cache $EXTRA hydra.run.dir=$run > /dev/null 2> "$run.log" || { echo "FAILED $run (see $run.log)"; continue; }
    fi
    mkdir -p "$keep/.hydra"
    cp "$run/summary.json" "$run/front.csv" "$run/history.csv" "$keep/"
    if [ -f "$run/training_history.csv" ]; then cp "$run/training_history.csv" "$keep/"; fi
    gzip -9 -n -c "$run/evaluations.csv" > "$keep/evaluations.csv.gz"
    cp "$run/.hydra/config.yaml" "$run/.hydra/overrides.yaml" "$keep/.hydra/"
    echo "done $run $(date +%H:%M:%S)"
  done
}
export -f one_seed
mkdir -p "$RUNS/$data"
printf '%s\n' "$@" | xargs -P 2 -I{} bash -c 'one_seed {}'
