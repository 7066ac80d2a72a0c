"""Read run folders back: summary, front, evaluations, history and the resolved config."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf


@dataclass(frozen=True)
class RunRecord:
    """One run folder's outputs."""

    path: Path
    summary: dict
    front: pd.DataFrame
    evaluations: pd.DataFrame
    history: pd.DataFrame
    config: DictConfig | None


def load_run(path: str | Path) -> RunRecord:
    """Load a run folder written by `morec-pareto`; errors name the missing file."""
    path = Path(path)
    # evaluations.csv may be stored gzipped (results committed to the repository keep it small)
    evaluations = next((path / n for n in ("evaluations.csv", "evaluations.csv.gz") if (path / n).is_file()), None)
    missing = [n for n in ("summary.json", "front.csv", "history.csv") if not (path / n).is_file()]
    missing += [] if evaluations is not None else ["evaluations.csv"]
    if missing:
        raise FileNotFoundError(f"{path}: not a complete run folder, missing {', '.join(missing)}")
    config_file = path / ".hydra" / "config.yaml"
    return RunRecord(
        path=path,
        summary=json.loads((path / "summary.json").read_text()),
        front=pd.read_csv(path / "front.csv"),
        evaluations=pd.read_csv(evaluations),
        history=pd.read_csv(path / "history.csv"),
        config=_load_config(config_file) if config_file.is_file() else None,
    )


def _load_config(config_file: Path) -> DictConfig:
    """The run's resolved Hydra config (always a mapping at the top level)."""
    config = OmegaConf.load(config_file)
    assert isinstance(config, DictConfig), f"{config_file}: not a mapping"
    return config


def unfinished_runs(paths: list[str | Path]) -> list[tuple[Path, str]]:
    """Run folders under `paths` that did not finish: (folder, "running" | "failed: <error>"), from state.json."""
    out = []
    for p in map(Path, paths):
        for state_file in sorted([p / "state.json"] if (p / "state.json").is_file() else p.rglob("state.json")):
            state = json.loads(state_file.read_text())
            if state.get("state") != "done":
                error = state.get("error")
                out.append((state_file.parent, state["state"] + (f": {error}" if error else "")))
    return out


def find_runs(paths: list[str | Path]) -> list[Path]:
    """Run folders under each path (a run folder itself, or a multirun folder holding many)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if (p / "summary.json").is_file():
            found.append(p)
        else:
            found.extend(sorted(s.parent for s in p.rglob("summary.json")))
    return found
