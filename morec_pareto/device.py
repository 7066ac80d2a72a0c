"""The compute device named by the top-level `device` key: auto | cpu | cuda[:n]."""
from __future__ import annotations

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """torch device for `device` (auto = the first CUDA device when one is available, else the CPU)."""
    name = str(name).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device={name!r} but torch sees no CUDA device (torch {torch.__version__}); use device=cpu or auto")
        return torch.device(name)
    raise ValueError(f"device must be auto, cpu or cuda[:n], got {name!r}")


def model_device(module: torch.nn.Module) -> torch.device:
    """The device a module's parameters live on (the CPU for a module without parameters)."""
    return next((p.device for p in module.parameters()), torch.device("cpu"))
