"""Hydra launchers on real engines, at debug=tiny with threads=1 everywhere (conf/hydra/launcher/).

A joblib multirun (2 workers) and a submitit-local multirun give byte-identical front.csv files to the
serial multirun of the same seeds, in the same run folders (`hydra.sweep.subdir`, whose `${run_name:}`
resolver reaches the workers with Hydra's Singleton state). strategy=train_weights with loss.parallel=process
(the default spawn pool) or loss.parallel=ray gives the front of loss.parallel=none; Ray runs on a local
2-CPU Ray instance started and shut down by the run (`LocalRay` in scoring/retrain.py), and inside a
`hydra/launcher=ray` job on the launcher's 2-CPU instance. Each test is skipped only when its optional
package is missing: `.[launchers]` (joblib, submitit; installed by scripts/setup.sh) or `.[ray]` (not
installed there).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

TINY = ("debug=tiny", "threads=1")
SWEEP = ("strategy=weighted", "seed=0,1")
SWEEP_RUNS = ["0_weighted_seed0", "1_weighted_seed1"]
TRAIN_WEIGHTS = ("strategy=train_weights", "loss.n_workers=2")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package
        return False


def needs(module: str, package: str, extra: str):
    return pytest.mark.skipif(not _installed(module), reason=f"{package} not installed (pip install -e .[{extra}])")


def cli(*overrides: str) -> subprocess.CompletedProcess:
    """`python -m morec_pareto` with one torch/OpenMP thread and no outside Ray cluster; fails the test on error."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.run([sys.executable, "-m", "morec_pareto", *overrides], cwd=ROOT, capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def fronts(sweep_dir: Path) -> dict[str, bytes]:
    """front.csv bytes of every run folder of a sweep, by folder name."""
    return {p.parent.name: p.read_bytes() for p in sorted(sweep_dir.glob("*/front.csv"))}


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> dict[str, bytes]:
    sweep = tmp_path_factory.mktemp("serial")
    cli("-m", *TINY, *SWEEP, f"hydra.sweep.dir={sweep}")
    result = fronts(sweep)
    assert list(result) == SWEEP_RUNS
    return result


@pytest.fixture(scope="module")
def train_weights_front(tmp_path_factory) -> bytes:
    run_dir = tmp_path_factory.mktemp("train_weights_none")
    cli(*TINY, *TRAIN_WEIGHTS, "loss.parallel=none", f"hydra.run.dir={run_dir}")
    return (run_dir / "front.csv").read_bytes()


PLUGINS = {"joblib": ("hydra_plugins.hydra_joblib_launcher", "hydra-joblib-launcher", "launchers"),
           "submitit_local": ("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher", "launchers"),
           "submitit_slurm": ("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher", "launchers"),
           "ray": ("hydra_plugins.hydra_ray_launcher", "hydra-ray-launcher", "ray")}


@pytest.mark.parametrize("launcher", list(PLUGINS))
def test_launcher_config_is_the_projects_and_composes_quietly(launcher):
    """conf/hydra/launcher/X.yaml shadows the plugin's X, merges with its schema (keys checked), and Hydra's
    same-name schema-matching deprecation warning is silenced; submitit_slurm is checked this far only (no cluster)."""
    module, package, extra = PLUGINS[launcher]
    if not _installed(module):
        pytest.skip(f"{package} not installed (pip install -e .[{extra}])")
    proc = cli(f"hydra/launcher={launcher}", *TINY, "--cfg", "hydra")
    ours = yaml.safe_load((ROOT / "conf" / "hydra" / "launcher" / f"{launcher}.yaml").read_text())
    assert yaml.safe_load(proc.stdout)["hydra"]["launcher"] == ours
    assert "ConfigStore schema" not in proc.stderr, proc.stderr


@needs("hydra_plugins.hydra_joblib_launcher", "hydra-joblib-launcher", "launchers")
def test_joblib_multirun_matches_serial(serial, tmp_path):
    cli("-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *TINY, *SWEEP, f"hydra.sweep.dir={tmp_path}")
    assert fronts(tmp_path) == serial  # same folder names (hydra.sweep.subdir) and byte-identical fronts


@needs("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher", "launchers")
def test_submitit_local_multirun_matches_serial(serial, tmp_path):
    cli("-m", "hydra/launcher=submitit_local", *TINY, *SWEEP, f"hydra.sweep.dir={tmp_path}")
    assert fronts(tmp_path) == serial
    assert (tmp_path / ".submitit").is_dir()  # the jobs went through submitit


@needs("ray", "ray", "ray")
def test_train_weights_on_a_local_ray_instance_matches_no_parallelism(train_weights_front, tmp_path):
    proc = cli(*TINY, *TRAIN_WEIGHTS, "loss.parallel=ray", f"hydra.run.dir={tmp_path}")
    assert "Started a local Ray instance" in proc.stdout + proc.stderr  # 2 CPUs (loss.n_workers), shut down by the run
    assert len(list((tmp_path / "trainings").glob("level_*.pt"))) > 1
    assert (tmp_path / "front.csv").read_bytes() == train_weights_front


@needs("hydra_plugins.hydra_ray_launcher", "hydra-ray-launcher", "ray")
def test_ray_launcher_job_with_ray_trainings_matches_no_parallelism(train_weights_front, tmp_path):
    # the job is a Ray task of the launcher's 2-CPU instance; its per-weight trainings are tasks of the same instance
    cli("-m", "hydra/launcher=ray", "hydra.launcher.ray.init.address=local", "hydra.launcher.ray.init.num_cpus=2", *TINY,
        *TRAIN_WEIGHTS, "loss.parallel=ray", "seed=0", f"hydra.sweep.dir={tmp_path}")
    assert fronts(tmp_path) == {"0_train_weights_seed0": train_weights_front}


def test_train_weights_in_a_process_pool_matches_no_parallelism(train_weights_front, tmp_path):
    """The default loss.parallel=process (a spawn pool of loss.n_workers) trains the same per-weight models."""
    cli(*TINY, *TRAIN_WEIGHTS, "loss.parallel=process", f"hydra.run.dir={tmp_path}")
    assert len(list((tmp_path / "trainings").glob("level_*.pt"))) > 1
    assert (tmp_path / "front.csv").read_bytes() == train_weights_front
