"""Hydra entry point: `python -m morec_pareto` / `morec-pareto`."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from morec_pareto.pipeline import run
from morec_pareto.run_config import register_resolvers
from morec_pareto.run_folder import write_state

log = logging.getLogger("morec_pareto")

# An absolute path: a relative one is resolved against the calling module, which breaks when the
# `morec-pareto` console script imports this module through an editable install's import hook.
# An installed wheel ships the configs inside the package (`morec_pareto/conf/`, see pyproject.toml);
# a source checkout or editable install reads them from the repository root (`conf/`).
_PACKAGE_DIR = Path(__file__).resolve().parent
CONF_DIR = _PACKAGE_DIR / "conf" if (_PACKAGE_DIR / "conf" / "config.yaml").is_file() else _PACKAGE_DIR.parent / "conf"


# ${run_name:} in hydra.run.dir and hydra.sweep.subdir, resolved before the app runs; launcher workers (joblib, submitit,
# ray) import this module to unpickle `main` and also receive the resolver with Hydra's Singleton state
register_resolvers()
# conf/hydra/launcher/{joblib,submitit_local,submitit_slurm,ray}.yaml carry the plugins' own names, so `hydra/launcher=joblib`
# picks the project's settings; Hydra then merges each with the plugin's schema of that name (validating its keys) and warns
# that this matching is deprecated. The merge is what these files want: the warning is silenced for them only.
warnings.filterwarnings("ignore", message=r"\s*'hydra/launcher/[a-z_]+' is validated against ConfigStore schema",
                        category=UserWarning)


def warn_unpinned_threads(cfg: DictConfig) -> None:
    """A parallel launcher's jobs each start torch's default thread count (every core) unless `threads` pins it."""
    hydra_cfg = HydraConfig.get()
    launcher = hydra_cfg.runtime.choices.get("hydra/launcher") or "basic"
    if hydra_cfg.mode == RunMode.MULTIRUN and launcher != "basic" and cfg.get("threads") is None:
        log.warning("threads=null under hydra/launcher=%s: parallel jobs each use torch's default thread count; "
                    "set threads=cores/jobs (experiments/README.md, 'Parallel sweeps')", launcher)


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def main(cfg: DictConfig) -> float:
    """Run the pipeline; returns the validation hypervolume (what a sweeper would maximise)."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    warn_unpinned_threads(cfg)
    write_state(run_dir, "running")
    try:
        summary = run(cfg, run_dir)
    except Exception as err:  # recorded in the run folder, then raised as before
        write_state(run_dir, "failed", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        raise
    write_state(run_dir, "done")
    log.info(
        "hypervolume %.5g (test %.5g), %d front points, %d evaluations, %.1f s",
        summary["hypervolume"], summary["test_hypervolume"], summary["n_front"], summary["n_evals"], summary["runtime_s"],
    )
    print(f"run folder: {run_dir}\n  front: {run_dir / 'front.csv'}\n  figure: {run_dir / 'pareto.png'}")
    return float(summary["hypervolume"])


if __name__ == "__main__":
    # `python -m morec_pareto` runs this file as `__main__`; run the importable `morec_pareto.__main__.main` instead, as the
    # console script does. Launchers (joblib, submitit, ray) pickle the task function by reference then, so their workers
    # import this module (resolvers, the warning filter above) instead of receiving a by-value copy of `main` (same job
    # name `__main__`, same run folders).
    from morec_pareto.__main__ import main as app

    app()
