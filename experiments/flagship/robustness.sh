#!/usr/bin/env bash
# Issue 14: the flagship reports again at the two other reference points, tables only (the README quotes them).
#
#   bash experiments/flagship/robustness.sh [OUT]    # default OUT: experiments/results/flagship/robustness
#
# FLAGSHIP (default experiments/results/flagship) holds the kept runs, <data>/<strategy>_seed<S>/; a data set
# without a folder there is skipped with a message.
# For each data set / test revenue (default; ml100k; ml100k ranked on realised revenue) and each point:
#   popularity: --runs-reference-point (the data set's popularity point the runs were configured with)
#   union_nadir: --nadir-of reference_front (the nadir of the best known front; runs below it score 0)
# the report is written to a temporary folder and its tables (summary.md/.csv, tests.csv, reference_point.json)
# are kept in OUT/<data>_<point>/; the figures are left out (the main reports have them).
set -euo pipefail
cd "$(dirname "$0")/../.."
flagship=${FLAGSHIP:-experiments/results/flagship}
out=${1:-$flagship/robustness}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
report() {  # NAME RUNS EXTRA...
  local name=$1 runs=$2; shift 2
  if [ ! -d "$runs" ]; then echo "robustness.sh: no runs in $runs, $name skipped"; return; fi
  .venv/bin/morec-pareto-report "$runs" --out "$work/$name" --control weighted "$@" > /dev/null
  mkdir -p "$out/$name"
  cp "$work/$name"/{summary.md,summary.csv,tests.csv,reference_point.json} "$out/$name/"
  echo "$out/$name"
}
for point in popularity union_nadir; do
  case $point in
    popularity) flag=(--runs-reference-point) ;;
    union_nadir) flag=(--nadir-of reference_front) ;;
  esac
  report "default_$point" "$flagship/default" "${flag[@]}"
  report "ml100k_$point" "$flagship/ml100k" "${flag[@]}"
  report "ml100k_realised_$point" "$flagship/ml100k" "${flag[@]}" --test-revenue test_realised_revenue
done
