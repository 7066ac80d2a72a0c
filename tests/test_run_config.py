"""Config groups: every strategy preset selects the loss, ranking and search it names; mixes are named by all three."""
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from morec_pareto.__main__ import CONF_DIR
from morec_pareto.ranking.policies import ParetoLayerPolicy, WeightedPolicy
from morec_pareto.run_config import policy_from_run_config, register_resolvers, run_name, run_parts, trains_several_models
from morec_pareto.search.algorithms import WeightGridSearch
from morec_pareto.training.methods import MGDA, PerWeightModels

PRESETS = sorted(p.stem for p in (Path(CONF_DIR) / "strategy").glob("*.yaml"))


def _compose(*overrides: str):
    register_resolvers()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_selects_the_groups_it_names(preset):
    cfg = _compose(f"strategy={preset}")
    assert run_name(cfg) == preset
    assert f"_{preset}_seed0" in cfg.hydra.run.dir
    run_parts(cfg)  # every group option instantiates


def test_a_mix_of_group_choices_is_named_by_all_three():
    cfg = _compose("strategy=weighted", "search=grid")
    parts = run_parts(cfg)
    assert parts.name == "weighted_sum+weighted+grid" and isinstance(parts.search, WeightGridSearch)
    assert _compose("strategy=grid").strategy.name == "grid"
    parts = run_parts(_compose("strategy=non_weighted", "loss=mgda"))
    assert parts.name == "mgda+pareto_layers+auto" and isinstance(parts.loss, MGDA)
    assert isinstance(parts.policy(k=10, mask_seen=True), ParetoLayerPolicy)


def test_preset_parameters_reach_the_loss_method():
    loss = run_parts(_compose("strategy=train_weights_full")).loss
    assert isinstance(loss, PerWeightModels) and (loss.n_levels, loss.warm_epochs, loss.epochs_per_candidate) == (21, 8, 6)
    assert run_parts(_compose("strategy=conditioned", "loss.n_levels=5")).loss.n_levels == 5


def test_bad_group_values_fail_with_the_key():
    with pytest.raises(Exception, match="loss.parallel"):
        run_parts(_compose("strategy=train_weights", "loss.parallel=magic"))
    with pytest.raises(Exception, match="search.n_gen"):
        run_parts(_compose("search.n_gen=0"))


def test_finished_runs_of_the_earlier_layout_still_read():
    old = OmegaConf.create({"strategy": {"name": "non_weighted", "policy": "pareto_layers", "training": "weighted"}})
    assert isinstance(policy_from_run_config(old, 10, True), ParetoLayerPolicy) and not trains_several_models(old)
    assert trains_several_models(OmegaConf.create({"strategy": {"training": "retrain"}}))
    new = _compose("strategy=conditioned")
    assert isinstance(policy_from_run_config(new, 10, True), WeightedPolicy) and trains_several_models(new)
