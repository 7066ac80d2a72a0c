"""Experiment scripts that read run folders: pairing, ratios and refusals, on summaries written here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

from conditioned_vs_retrain import paired_table  # noqa: E402


def _summary(folder: Path, strategy: str, seed: int, hv: float, epochs: int, seconds: float, ref=(0.0, 0.0)) -> None:
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({
        "strategy": strategy, "seed": seed, "test_hypervolume": hv, "train_epochs": epochs,
        "train_seconds": seconds, "reference_point": list(ref),
    }))


def test_pairs_by_seed_and_computes_ratios(tmp_path):
    _summary(tmp_path / "0_c", "conditioned", 0, 9.8, 12, 240.0)
    _summary(tmp_path / "1_r", "train_weights_full", 0, 10.0, 134, 2600.0)
    _summary(tmp_path / "2_c", "conditioned", 1, 9.0, 10, 200.0)  # seed 1 has no retrain run: not paired
    _summary(tmp_path / "3_w", "weighted", 0, 8.0, 12, 240.0)  # other strategies are ignored
    table = paired_table([str(tmp_path)], "conditioned", "train_weights_full")
    assert list(table.index) == [0]
    assert table.loc[0, "HV ratio"] == pytest.approx(0.98)
    assert table.loc[0, "epochs ratio"] == pytest.approx(12 / 134)
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "conditioned_vs_retrain.py"), str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    assert "bar met" in out and "only 1 of 5 seeds" in out


def test_refuses_runs_with_different_reference_points(tmp_path):
    _summary(tmp_path / "a", "conditioned", 0, 9.8, 12, 240.0)
    _summary(tmp_path / "b", "train_weights_full", 0, 10.0, 134, 2600.0, ref=(0.1, 0.0))
    with pytest.raises(SystemExit, match="reference points"):
        paired_table([str(tmp_path)], "conditioned", "train_weights_full")
