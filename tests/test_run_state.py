"""Run folders record their state; a multirun job that fails leaves its error, the others their results."""
import json
import subprocess
import sys

from conftest import ROOT


def test_a_failing_job_leaves_its_error_and_the_report_names_it(tmp_path):
    sweep = tmp_path / "sweep"
    # the first job diverges at run time (training), the second is fine
    done = subprocess.run([sys.executable, "-m", "morec_pareto", "-m", "debug=tiny", "threads=1", "train.lr=1e30,0.002",
                           f"hydra.sweep.dir={sweep}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "training diverged" in done.stderr
    failed, ok = sweep / "0_weighted_seed0", sweep / "1_weighted_seed0"
    state = json.loads((failed / "state.json").read_text())
    assert state["state"] == "failed" and state["error"].startswith("FloatingPointError: training diverged")
    assert "\n" not in state["error"] and not (failed / "front.csv").exists()
    assert json.loads((ok / "state.json").read_text()) == {"state": "done", "error": None}
    assert (ok / "front.csv").is_file() and (ok / "summary.json").is_file()
    report = subprocess.run([sys.executable, "-m", "morec_pareto.report", str(sweep), "--out", str(tmp_path / "r")],
                            cwd=ROOT, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert "report of 1 runs" in report.stdout
    assert f"not in the report (did not finish): {failed} (failed: FloatingPointError" in report.stdout
