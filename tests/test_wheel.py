"""The package as a wheel, not editable: it ships the Hydra configs and its console script runs from anywhere.

Builds the wheel offline from a copy of the sources, installs it into a fresh virtual environment whose only
link to this one is a `.pth` line naming this interpreter's site-packages (for the dependencies; lines of a
`.pth` file are plain path entries, so this environment's editable-install hook is not run there), then runs
`morec-pareto debug=tiny` from a folder outside the repository.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# top-level folders of a checkout that a wheel build never needs (and that may be large or in use)
NOT_COPIED = {".git", ".venv", "build", "dist", "outputs", "multirun", "data", "docs", "experiments", "notebooks",
              "tests", "scripts", ".pytest_cache", ".hypothesis", ".cache"}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env["OMP_NUM_THREADS"] = "1"
    return env


def _run(cmd: list, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _ignore(folder: str, names: list[str]) -> set[str]:
    """What copytree skips: checkout-only top-level folders, build metadata and byte code."""
    skip = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
    if Path(folder).resolve() == ROOT:
        skip |= NOT_COPIED & set(names)
    return skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built offline from a copy of the sources (no `build/` or `*.egg-info` written into the
    checkout, and no stale `build/lib` files from earlier builds in the wheel)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    _run([sys.executable, "-m", "pip", "wheel", src, "--no-deps", "--no-build-isolation", "--no-index",
          "-w", tmp / "dist"], cwd=tmp)
    (built,) = (tmp / "dist").glob("morec_pareto-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; the dependencies come from this environment."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # this pip installs into the fresh environment (`--python`), which needs no pip of its own
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel], cwd=env_dir)
    fresh_site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           cwd=env_dir).stdout.strip())
    (fresh_site / "_morec_test_deps.pth").write_text("".join(f"{p}\n" for p in site.getsitepackages()))
    return env_dir


def test_wheel_ships_every_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = sorted((ROOT / "conf").rglob("*.yaml"))  # config.yaml, every conf/*/*.yaml, and deeper ones
    assert ROOT / "conf" / "config.yaml" in configs and len(configs) > 10
    missing = [str(p.relative_to(ROOT)) for p in configs
               if f"morec_pareto/{p.relative_to(ROOT).as_posix()}" not in names]
    assert not missing, f"configs not in the wheel: {missing}"
    with zipfile.ZipFile(wheel) as z:
        assert yaml.safe_load(z.read("morec_pareto/conf/config.yaml")) == \
            yaml.safe_load((ROOT / "conf" / "config.yaml").read_text())


def test_wheel_ships_every_module(wheel):
    """pyproject.toml lists the packages explicitly (for the `conf/` mapping): a new subpackage must be added."""
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "morec_pareto").rglob("*.py")
               if "__pycache__" not in p.parts]
    missing = [m for m in modules if m not in names]
    assert not missing, f"modules not in the wheel (add their package to [tool.setuptools] packages): {missing}"


def test_installed_wheel_runs_outside_the_checkout(installed, tmp_path):
    python, script = installed / "bin" / "python", installed / "bin" / "morec-pareto"
    probe = ("import json, morec_pareto, morec_pareto.__main__ as m; "
             "print(json.dumps([morec_pareto.__file__, str(m.CONF_DIR)]))")
    module_file, conf_dir = json.loads(_run([python, "-c", probe], cwd=tmp_path).stdout.strip().splitlines()[-1])
    assert Path(module_file).resolve().is_relative_to(installed.resolve()), module_file
    assert Path(conf_dir).is_relative_to(installed.resolve()) and (Path(conf_dir) / "config.yaml").is_file(), conf_dir

    run_dir = tmp_path / "run"
    _run([script, "debug=tiny", f"hydra.run.dir={run_dir}"], cwd=tmp_path)
    assert (run_dir / "front.csv").is_file()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["n_front"] >= 1
    # Hydra read its primary config from the installed package, not from the repository
    hydra_cfg = yaml.safe_load((run_dir / ".hydra" / "hydra.yaml").read_text())
    (main_source,) = [s for s in hydra_cfg["hydra"]["runtime"]["config_sources"] if s["provider"] == "main"]
    assert Path(main_source["path"]).is_relative_to(installed.resolve()), main_source
