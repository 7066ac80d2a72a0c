"""Check a composed config before any work: unknown keys, wrong types and out-of-range values.

Every group that instantiates a class or function (`_target_`: data readers, loss, ranking, search)
is checked against that callable's signature and type hints; `model` against `build_recommender`,
`train` against `training.fit`; `objectives` and the top level against the schemas below. Ranges
that no type expresses are in RANGES. Each problem is a one-line ValueError naming the key and what
is allowed, raised before any data is read. The `train.selection*` keys are `SelectionSettings`' fields.
"""
from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from hydra import compose
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from hydra.utils import get_method
from omegaconf import DictConfig, OmegaConf

from morec_pareto.models.recommender import build_recommender
from morec_pareto.search.selection import SelectionSettings
from morec_pareto.training.fit import fit

TOP_LEVEL = {"device": str, "seed": int, "threads": int | None, "progress": bool, "model_cache": str | None,
             "label": Any, "policy_point": dict | None}
GROUPS = ("data", "model", "train", "objectives", "loss", "ranking", "search", "strategy")
OBJECTIVES = {"names": list | None, "k": int, "mask_seen": bool | None, "repeat_threshold": float,
              "reference_point": list | None, "max_users": int}
NOT_CONFIGURED = {"model": {"data"}, "train": {"model", "split", "seed", "progress", "checkpoint", "method", "criterion"},
                  "data": set()}
POSITIVE = "> 0"
RANGES: dict[str, tuple[float | None, float | None, bool]] = {  # key: (low, high, low is exclusive)
    "seed": (0, None, False), "threads": (1, None, False),
    "train.epochs": (1, None, False), "train.batch_size": (1, None, False), "train.lr": (0, None, True),
    "train.weight_decay": (0, None, False), "train.n_negatives": (1, None, False), "train.patience": (0, None, False),
    "train.max_eval_users": (1, None, False), "train.dirichlet_alpha": (0, None, True),
    "train.selection_grid": (0, None, False), "train.selection_random": (0, None, False),
    "model.max_len": (1, None, False), "model.d_model": (1, None, False), "model.user_layers": (1, None, False),
    "model.item_layers": (0, None, False), "model.n_heads": (1, None, False), "model.dropout": (0, 1, False),
    "model.n_price_buckets": (1, None, False),
    "objectives.k": (1, None, False), "objectives.max_users": (1, None, False),
    "objectives.repeat_threshold": (0, 1, False),
    "search.pop_size": (1, None, False), "search.n_gen": (1, None, False),
}
CHOICES = {"train.precision": ("fp32", "bf16"), "train.lr_schedule": ("constant", "cosine"),
           "train.selection": ("ndcg", "hypervolume"),
           "model.scorer": ("mlp", "dot"), "model.text_encoder": (None, "minilm")}


def check_config(cfg: DictConfig) -> None:
    """Raise a one-line ValueError for the first unknown key, wrong type or out-of-range value of `cfg`."""
    data = OmegaConf.to_container(OmegaConf.masked_copy(cfg, [str(k) for k in cfg.keys() if k != "hydra"]), resolve=True)
    assert isinstance(data, dict)
    _check_keys("", {k: v for k, v in data.items() if k not in GROUPS and k != "hydra"}, TOP_LEVEL)
    _check_keys("objectives", data.get("objectives", {}), OBJECTIVES)
    _check_keys("model", data.get("model", {}), _hints(build_recommender, NOT_CONFIGURED["model"]))
    train = dict(data.get("train", {}))
    _check_keys("train", train, _hints(fit, NOT_CONFIGURED["train"]) | _hints(SelectionSettings, set()))
    for group in ("data", "loss", "ranking", "search"):
        node = data.get(group)
        if isinstance(node, dict) and "_target_" in node:
            target = get_method(node["_target_"])
            allowed = _hints(target, NOT_CONFIGURED.get(group, set()) | {"k", "mask_seen"})
            if not _takes_any_keyword(target):
                extra = {"reference_point": Any} if group == "data" else {}
                _check_keys(group, {k: v for k, v in node.items() if not k.startswith("_")}, {**allowed, **extra})
    for key, choices in CHOICES.items():
        value = OmegaConf.select(cfg, key, default=_UNSET)
        if value is not _UNSET and value not in choices:
            raise ValueError(f"config: {key}={value!r} is not allowed; choose one of {list(choices)}")
    for key, (low, high, exclusive) in RANGES.items():
        value = OmegaConf.select(cfg, key, default=None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if low is not None and (value <= low if exclusive else value < low) or high is not None and value > high:
                bounds = f"{'>' if exclusive else '>='} {low}" + (f" and <= {high}" if high is not None else "")
                raise ValueError(f"config: {key}={value!r} is out of range; it must be {bounds}")
    try:
        SelectionSettings.split(train)  # what no range expresses: preferences in [0, 1], at least one candidate
    except ValueError as err:
        raise ValueError(f"config: {err}") from None


_UNSET = object()


def _hints(fn: Callable, excluded: set[str]) -> dict[str, Any]:
    """Configurable parameters of a callable and their types (Any where unannotated)."""
    params = inspect.signature(fn).parameters
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # a hint that does not resolve: check the keys only
        hints = {}
    return {name: hints.get(name, Any) for name, p in params.items()
            if name not in excluded and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _takes_any_keyword(fn: Callable) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())


def _check_keys(group: str, node: dict, schema: dict[str, Any]) -> None:
    prefix = f"{group}." if group else ""
    for key, value in node.items():
        if key not in schema:
            raise ValueError(f"config: unknown key {prefix}{key}; allowed: {', '.join(sorted(schema))}")
        if not _fits(value, schema[key]):
            raise ValueError(f"config: {prefix}{key}={value!r} has the wrong type; expected {_name(schema[key])}")


def _fits(value: Any, hint: Any) -> bool:
    """Whether a YAML value fits a type hint (int counts as float; bool never counts as a number)."""
    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple) or hint in (list, tuple):
        return isinstance(value, (list, tuple))
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # Literal, Path, callables...: not checked here


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


class SweepCheck(Callback):
    """A Hydra callback: before a `-m` sweep starts, compose every job's config and check it.

    A bad value in any job (e.g. `train.lr=0.002,-1`) stops the whole sweep with the one-line message
    before any job runs; the jobs are expanded as Hydra's basic sweeper does (its `params`, then the
    command line).
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        params = OmegaConf.select(config, "hydra.sweeper.params") or {}
        arguments = [f"{key}={value}" for key, value in params.items()] + list(config.hydra.overrides.task)
        jobs = BasicSweeper.split_arguments(OverridesParser.create().parse_overrides(arguments), None)
        for batch in jobs:
            for overrides in batch:
                try:
                    check_config(compose(config_name=config.hydra.job.config_name, overrides=list(overrides)))
                except ValueError as err:  # Hydra turns a callback's exceptions into warnings: exit instead
                    raise SystemExit(f"{err} (job: {' '.join(overrides)}); no job of this sweep was started") from None
