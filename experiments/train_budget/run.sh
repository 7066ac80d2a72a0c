#!/usr/bin/env bash
# Default-data training budget, chosen on validation: each setting x seeds 0-2, two 1-thread jobs at once.
#   bash experiments/train_budget/run.sh OUTDIR SETTING...   (SETTING = name:override,override,...)
# e.g. bash experiments/train_budget/run.sh outputs/train_budget "base:" "cos15:train.epochs=15,train.lr_schedule=cosine"
# then: .venv/bin/python experiments/train_budget/summarise.py OUTDIR
set -euo pipefail
out=$1; shift
jobs=()
for setting in "$@"; do
  name=${setting%%:*}; overrides=${setting#*:}
  for seed in 0 1 2; do
    dir=$out/$name/seed$seed
    [ -f "$dir/summary.json" ] && continue
    jobs+=("$dir|seed=$seed ${overrides//,/ }")
  done
done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -I{} bash -c '
  dir=${1%%|*}; args=${1#*|}
  OMP_NUM_THREADS=1 .venv/bin/morec-pareto progress=false threads=1 $args hydra.run.dir=$dir > /dev/null 2>&1 \
    && echo "done $dir" || echo "FAILED $dir"' _ {}
