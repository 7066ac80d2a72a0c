"""Hash every strategy preset's and experiment overlay's front.csv at debug=tiny: same hashes, same fronts.

    python experiments/front_hashes.py [--repo DIR] [--ml100k DIR] [--out FILE] [--only SUBSTRING ...]
                                       [--ignore COLUMN ...]

For refactors that must not change results: run it on the commit you start from and on the result
(`--repo` a checkout of either; the package is imported from it), then compare the two JSON files.
Every run is seed 0 with one torch thread (thread counts change float sums); sweep overlays run one job
of one of their strategies; ml-100k overlays need `--ml100k DIR` from ../shared/data/get-ml-100k DIR.
Columns added to front.csv after the hashes in the notes were taken (`--ignore`, default
`test_coverage`) are cut out of the file's text before hashing, so those hashes still compare.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PRESETS = ["weighted", "tchebycheff", "non_weighted", "epsilon_constraint", "mgda", "conditioned", "train_weights",
           "train_weights_full", "grid", "random"]
OVERLAYS = {
    "experiment=strategies strategy=weighted": ["experiment=strategies", "strategy=weighted"],
    "experiment=conditioned_vs_retrain strategy=conditioned": ["experiment=conditioned_vs_retrain", "strategy=conditioned"],
    "experiment=large": ["experiment=large"],
}
ML100K_OVERLAYS = {
    "experiment=ml100k_accuracy": ["experiment=ml100k_accuracy"],
    "experiment=strategies_ml100k strategy=weighted": ["experiment=strategies_ml100k", "strategy=weighted"],
}


def without_columns(text: bytes, ignore: list[str]) -> bytes:
    """The CSV text with the named columns cut out of every line (other bytes unchanged)."""
    lines = text.split(b"\n")
    header = lines[0].split(b",")
    drop = {i for i, name in enumerate(header) if name.decode() in ignore}
    if not drop:
        return text
    return b"\n".join(b",".join(f for i, f in enumerate(line.split(b",")) if i not in drop) if line else line
                      for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--ml100k", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--ignore", nargs="*", default=["test_coverage"], help="front.csv columns left out of the hash")
    args = parser.parse_args()
    runs = {f"strategy={p}": [f"strategy={p}"] for p in PRESETS} | OVERLAYS
    if args.ml100k:
        runs |= {name: [*ov, f"data.path={args.ml100k}"] for name, ov in ML100K_OVERLAYS.items()}
    if args.only:
        runs = {name: ov for name, ov in runs.items() if any(o in name for o in args.only)}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(args.repo.resolve())}
    hashes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, overrides in runs.items():
            run_dir = Path(tmp) / name.replace(" ", "__").replace("=", "-")
            done = subprocess.run([sys.executable, "-m", "morec_pareto", "debug=tiny", "seed=0", *overrides,
                                   f"hydra.run.dir={run_dir}"], env=env, cwd=args.repo, capture_output=True, text=True)
            front = run_dir / "front.csv"
            hashes[name] = (hashlib.sha256(without_columns(front.read_bytes(), args.ignore)).hexdigest()[:16]
                            if front.exists()
                            else "FAILED: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200])
            print(f"{name:<60} {hashes[name]}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(hashes, indent=1) + "\n")


if __name__ == "__main__":
    main()
