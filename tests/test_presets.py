"""Smoke tests: every strategy preset and every experiment overlay runs end to end at `debug=tiny`.

The presets (conf/strategy/*.yaml) and overlays (conf/experiment/*.yaml) are found by globbing, so a
file added later is covered without editing this module. Each test composes the config the CLI would
(`morec-pareto debug=tiny strategy=NAME` / `experiment=NAME`) with Hydra's compose API and runs
`morec_pareto.pipeline.run` in this process: what `python -m morec_pareto` runs after composing, without
a fresh interpreter (about 3.5 s of imports) per job. The CLI itself is covered by test_end_to_end.py.

Sweep overlays (those that set hydra.sweeper.params) run as single jobs: the first and the last strategy
of their sweep list, seed 0, every other swept key at its first value; the last is skipped when it
composes to exactly the config of a preset's test (e.g. strategies' random, conditioned_vs_retrain's
train_weights_full, whose overlay value train.epochs debug=tiny replaces). Overlays that read a data set
from disk (data.path missing) get a tiny RecBole atomic data set written here once per session.
"""
from __future__ import annotations

import faulthandler
import json
import math
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
STRATEGIES = sorted(CONF.glob("strategy/*.yaml"))
EXPERIMENTS = sorted(CONF.glob("experiment/*.yaml"))
JOB_TIMEOUT_S = 300  # a job that hangs (e.g. a training pool that lost a worker) ends the test process instead


def sweep_jobs(overlay: Path) -> list[dict[str, str]]:
    """The single jobs run for an overlay: [{}] for a plain one; for a sweep, its first and last strategy.

    Every swept key is pinned to its first value (seed to 0), so no job depends on the sweeper.
    """
    params = OmegaConf.load(overlay).get("hydra", {}).get("sweeper", {}).get("params", {}) or {}
    parser = OverridesParser.create()
    values = {}
    for key, value in params.items():
        override = parser.parse_override(f"{key}={value}")
        values[key] = (list(override.sweep_string_iterator()) if override.is_sweep_override()
                       else [override.get_value_element_as_str()])
    base = {key: choices[0] for key, choices in values.items()}
    if "seed" in base:
        base["seed"] = "0"
    strategies = values.get("strategy", [None])
    picks = [strategies[0]] if len(strategies) == 1 or strategies[0] == strategies[-1] else [strategies[0], strategies[-1]]
    return [{**base, **({"strategy": s} if s is not None else {})} for s in picks]


def compose_job(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def write_tiny_recbole(folder: Path, name: str, n_users: int = 40, n_items: int = 30, seed: int = 0) -> Path:
    """MovieLens-like atomic files: 6-14 rated items per user with increasing timestamps, 1-3 genres per item."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    genres = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi"]
    popularity = rng.dirichlet(np.full(n_items, 0.7))
    rows = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    for user in range(n_users):
        n = int(rng.integers(6, 15))
        items = rng.choice(n_items, size=n, replace=False, p=popularity)
        times = 874_965_478 + np.sort(rng.integers(0, 10_000_000, size=n))
        rows += [f"{user + 1}\t{item + 1}\t{int(rng.integers(1, 6))}\t{t}" for item, t in zip(items, times)]
    (folder / f"{name}.inter").write_text("\n".join(rows) + "\n", encoding="utf-8")
    items = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
    for item in range(n_items):
        tags = rng.choice(genres, size=int(rng.integers(1, 4)), replace=False)
        items.append(f"{item + 1}\tFilm {item + 1}\t{1980 + item}\t{' '.join(tags)}")
    (folder / f"{name}.item").write_text("\n".join(items) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def preset_dirs(tmp_path_factory) -> dict[str, Path]:
    """Session folders: tiny RecBole data sets (one per data.name) and the caches (readers, reference points)."""
    base = tmp_path_factory.mktemp("presets")
    return {"data": base / "data", "cache": base / "cache"}


@pytest.fixture
def run_job(preset_dirs, tmp_path, monkeypatch):
    """Compose `debug=tiny` + overrides, run the pipeline into a fresh folder; returns (run_dir, cfg, summary)."""
    # reader and reference-point caches of this session only ($XDG_CACHE_HOME is read at call time)
    monkeypatch.setenv("XDG_CACHE_HOME", str(preset_dirs["cache"]))

    def run_job(*overrides: str, expect: str | None = None):
        """`expect`: the strategy name summary.json must carry (default: the composed strategy.name)."""
        from morec_pareto.pipeline import run

        overrides = ["debug=tiny", *overrides]
        cfg = compose_job(overrides)
        if OmegaConf.is_missing(cfg.data, "path"):
            assert cfg.data._target_.endswith("load_recbole"), f"no tiny data set for {cfg.data._target_}"
            folder = preset_dirs["data"] / cfg.data.name
            if not folder.exists():
                write_tiny_recbole(folder, cfg.data.name)
            cfg = compose_job([*overrides, f"data.path={folder}"])
        run_dir = tmp_path / "_".join(o.replace("/", "-").replace("=", "-") for o in overrides[1:])
        run_dir.mkdir()
        before = set(multiprocessing.active_children())
        faulthandler.dump_traceback_later(JOB_TIMEOUT_S, exit=True, file=sys.__stderr__)
        try:
            summary = run(cfg, run_dir)
        finally:
            faulthandler.cancel_dump_traceback_later()
        # training pools (strategy.parallel=process) are closed by the run: their workers exit
        deadline = time.monotonic() + 60
        while (left := set(multiprocessing.active_children()) - before) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"worker processes left running: {left}"
        check_run_folder(run_dir, expect or cfg.strategy.name)
        return run_dir, cfg, summary

    return run_job


def check_run_folder(run_dir: Path, strategy: str) -> None:
    front = pd.read_csv(run_dir / "front.csv")
    assert len(front) > 0 and {"satisfaction", "revenue", "test_satisfaction", "test_revenue"} <= set(front.columns)
    values = front.to_numpy(dtype=float)
    assert np.isfinite(values).all(), front
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["strategy"] == strategy
    assert math.isfinite(summary["hypervolume"]) and summary["hypervolume"] >= 0
    assert summary["n_front"] == len(front)
    assert (run_dir / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_overlays_become_single_jobs(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("hydra:\n  sweeper:\n    params:\n      seed: range(3,6)\n      strategy: a,b,c\n      train.lr: 0.1,0.2\n")
    assert sweep_jobs(sweep) == [{"seed": "0", "strategy": "a", "train.lr": "0.1"},
                                 {"seed": "0", "strategy": "c", "train.lr": "0.1"}]
    sweep.write_text("hydra:\n  sweeper:\n    params:\n      strategy: a\n")
    assert sweep_jobs(sweep) == [{"strategy": "a"}]
    sweep.write_text("data:\n  size: tiny\n")
    assert sweep_jobs(sweep) == [{}]
    assert STRATEGIES and EXPERIMENTS
    for overlay in EXPERIMENTS:  # every swept strategy is a preset
        assert all((CONF / "strategy" / f"{job['strategy']}.yaml").is_file() for job in sweep_jobs(overlay) if "strategy" in job)


@pytest.mark.parametrize("preset", STRATEGIES, ids=[p.stem for p in STRATEGIES])
def test_strategy_preset_runs_at_debug_tiny(run_job, preset):
    _, _, summary = run_job(f"strategy={preset.stem}", expect=preset.stem)
    assert summary["n_evals"] > 0 and summary["train_epochs"] > 0


@pytest.mark.parametrize("overlay", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_experiment_overlay_runs_at_debug_tiny(run_job, overlay):
    for i, job in enumerate(sweep_jobs(overlay)):
        overrides = [f"experiment={overlay.stem}", *(f"{k}={v}" for k, v in job.items())]
        if i > 0 and compose_job(["debug=tiny", *overrides]) == compose_job(["debug=tiny", f"strategy={job['strategy']}"]):
            continue  # the last job composes to exactly a preset's job, run by test_strategy_preset_runs_at_debug_tiny
        _, _, summary = run_job(*overrides, expect=job.get("strategy"))
        assert summary["seed"] == 0
