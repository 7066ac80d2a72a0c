"""Compute settings through the CLI: pruning never changes a front, the large overlay runs, device errors are clear."""
import json
import subprocess
import sys

import pandas as pd
import pytest
import torch
from conftest import ROOT, run_cli

from morec_pareto.device import resolve_device


def test_pruned_and_dense_search_write_the_same_front_on_the_large_overlay(tmp_path):
    # experiment=large at debug=tiny: the overlay's training settings on tiny data (debug sets the size)
    for prune in ("true", "false"):
        run_cli("experiment=large", "debug=tiny", f"search.prune={prune}", "device=cpu", f"hydra.run.dir={tmp_path / prune}")
    pruned, dense = (pd.read_csv(tmp_path / p / "front.csv") for p in ("true", "false"))
    pd.testing.assert_frame_equal(pruned, dense)
    summary = json.loads((tmp_path / "true" / "summary.json").read_text())
    assert summary["device"] == "cpu" and summary["prune"] is True
    assert summary["cpu_capability"] == torch.backends.cpu.get_cpu_capability()  # e.g. AVX2, AVX512
    assert 0 <= summary["search_table_seconds"] <= summary["search_seconds"]
    assert json.loads((tmp_path / "false" / "summary.json").read_text())["prune"] is False


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where torch sees no GPU")
def test_cuda_without_a_gpu_is_a_one_line_error_naming_the_key(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "morec_pareto", "debug=tiny", "device=cuda", f"hydra.run.dir={tmp_path}"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "device='cuda' but torch sees no CUDA device" in proc.stderr
    assert not (tmp_path / "summary.json").exists()


def test_device_names():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be auto, cpu or cuda"):
        resolve_device("tpu")
