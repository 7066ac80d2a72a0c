"""Notebooks run headless against a fresh run folder, so they cannot go stale."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_run_front_notebook_executes(tiny_run, monkeypatch):
    monkeypatch.setenv("MOREC_RUN_DIR", str(tiny_run))
    nb = nbformat.read(NOTEBOOKS / "01_run_front.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
