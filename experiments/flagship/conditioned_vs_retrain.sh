#!/usr/bin/env bash
# Issue 14, item 3: one preference-conditioned model (the fair contestant) vs one model per loss weight,
# paired seeds on the default synthetic data, through run.sh (resumable, two seeds at once, one thread each).
#
#   bash experiments/flagship/conditioned_vs_retrain.sh SEED...
#   .venv/bin/python experiments/conditioned_vs_retrain.py experiments/results/conditioned_vs_retrain_fair/default \
#       --out experiments/results/conditioned_vs_retrain_fair
#
# conditioned side: strategy=conditioned with train.selection=hypervolume (the kept epoch has the best validation
#   HV over preferences {0, .25, .5, .75, 1}; patience, 5 epochs, waits on it) and at most CONDITIONED_EPOCHS
#   epochs (default 13: the most within 1/10 of the retrain side's 134; chosen on validation, see
#   experiments/results/conditioned_budget_default/), label=conditioned_fair.
# retrain side: strategy=train_weights_full (21 loss weights, each a model warm-started from one 8-epoch model and
#   trained 6 more epochs: 8 + 21 x 6 = 134 epochs), trainings in-process (loss.parallel=none: run.sh already runs
#   two seeds at once).
set -euo pipefail
cd "$(dirname "$0")/../.."
export RUNS=${RUNS:-outputs/conditioned_vs_retrain_fair} KEEP=${KEEP:-experiments/results/conditioned_vs_retrain_fair}
epochs=${CONDITIONED_EPOCHS:-13} both=${EXTRA:-}  # EXTRA: more overrides for both sides; RETRAIN_EXTRA: retrain only
STRATEGIES=conditioned EXTRA="train.selection=hypervolume train.epochs=$epochs label=conditioned_fair $both" \
  bash experiments/flagship/run.sh default "$@"
STRATEGIES=train_weights_full EXTRA="loss.parallel=none $both ${RETRAIN_EXTRA:-}" bash experiments/flagship/run.sh default "$@"
