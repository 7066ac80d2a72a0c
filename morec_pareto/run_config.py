"""What a run is made of, read from its config: loss method, ranking policy, search method and run name.

The `loss`, `ranking` and `search` groups each instantiate one class (`_target_`); a `strategy=` preset
selects one option of each and names the combination. A run whose group choices are exactly its
preset's is named by the preset; any other mix by all three choices, `loss+ranking+search`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf

from morec_pareto.ranking.for_objectives import policy_for_objectives
from morec_pareto.ranking.policies import POLICIES, RankingPolicy
from morec_pareto.search.algorithms import SearchMethod
from morec_pareto.training.methods import LossMethod
from morec_pareto.types import StageData

PolicyFactory = Callable[..., RankingPolicy]  # (k=, mask_seen=[, objectives=, data=]) -> a policy


@dataclass(frozen=True)
class RunParts:
    """The three instantiated group choices and the name the run goes by."""

    loss: LossMethod
    policy: PolicyFactory
    search: SearchMethod
    name: str


def group_choice(node: DictConfig) -> str:
    """The option name of a `loss`, `ranking` or `search` config node, from the class it instantiates."""
    cls = get_class(node._target_)
    if issubclass(cls, RankingPolicy):
        return next(name for name, policy in POLICIES.items() if policy is cls)
    assert issubclass(cls, (LossMethod, SearchMethod)), f"{node._target_}: not a loss, ranking or search class"
    return str(cls.name)


def run_name(cfg: DictConfig) -> str:
    """The preset's name when the three group choices are the preset's, else `loss+ranking+search`."""
    chosen = [group_choice(cfg[group]) for group in ("loss", "ranking", "search")]
    preset = cfg.get("strategy") or {}
    if [preset.get(group) for group in ("loss", "ranking", "search")] == chosen and preset.get("name"):
        return str(preset["name"])
    return "+".join(chosen)


def config_dict(node: DictConfig) -> dict:
    """A config mapping as a plain dict, interpolations resolved."""
    container = OmegaConf.to_container(node, resolve=True)
    assert isinstance(container, dict), "a DictConfig converts to a dict"
    return container


def _without_target(node: DictConfig) -> dict:
    return {k: v for k, v in config_dict(node).items() if not str(k).startswith("_")}


def run_parts(cfg: DictConfig) -> RunParts:
    """Instantiate the run's loss method, policy factory and search method; a bad value is a one-line error."""
    return RunParts(loss=instantiate(cfg.loss), policy=policy_factory(cfg.ranking), search=instantiate(cfg.search),
                    name=run_name(cfg))


def policy_factory(ranking: DictConfig) -> PolicyFactory:
    """The `ranking` group's policy class with its configured options; K, masking and the run's objectives
    (with stage data for their per-item scores: `ranking.for_objectives`) come at run time."""
    return partial(policy_for_objectives, get_class(ranking._target_), **_without_target(ranking))


def policy_from_run_config(config: DictConfig, k: int, mask_seen: bool, data: StageData | None = None) -> RankingPolicy:
    """The ranking policy of a finished run's saved config (this layout, or the earlier `strategy.policy`).

    A run whose `objectives.names` hold per-item or list-level objectives (novelty, diversity) needs `data`,
    stage data of its split, for their item scores.
    """
    if "ranking" in config:
        names = OmegaConf.select(config, "objectives.names")
        return policy_factory(config.ranking)(k=k, mask_seen=mask_seen, objectives=tuple(names or ()), data=data)
    return POLICIES[str(config.strategy.policy)](k=k, mask_seen=mask_seen)


def trains_several_models(config: DictConfig) -> bool:
    """Whether a finished run's candidates come from several models (conditioned levels or per-weight models)."""
    if "loss" in config:
        return bool(config.loss.get("n_levels", 0))
    return OmegaConf.select(config, "strategy.training") in ("conditioned", "retrain")


def register_resolvers() -> None:
    """`${run_name:}` for hydra.run.dir and sweep subdirs: the run's name (see `run_name`)."""
    if not OmegaConf.has_resolver("run_name"):
        OmegaConf.register_new_resolver("run_name", lambda *, _root_: run_name(_root_))
