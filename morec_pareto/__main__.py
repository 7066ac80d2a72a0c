"""Hydra entry point: `python -m morec_pareto` / `morec-pareto`."""
from __future__ import annotations

import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
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


register_resolvers()  # ${run_name:} in hydra.run.dir, resolved before the app runs


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def main(cfg: DictConfig) -> float:
    """Run the pipeline; returns the validation hypervolume (what a sweeper would maximise)."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
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
    main()
