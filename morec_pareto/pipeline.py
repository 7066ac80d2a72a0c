"""The main job, stage by stage: data -> shared model -> score source -> search -> front re-scored on test -> run folder."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from morec_pareto.config_check import check_config
from morec_pareto.data.split import leave_one_out
from morec_pareto.device import resolve_device
from morec_pareto.objectives.task import define_task
from morec_pareto.run_config import config_dict, run_parts
from morec_pareto.run_folder import RunOutcome, write_run
from morec_pareto.scoring.factory import open_source
from morec_pareto.search.held_out import score_front
from morec_pareto.search.problem import PopulationEvaluator
from morec_pareto.search.run import run_search
from morec_pareto.search.selection import SelectionSettings, selection_criterion
from morec_pareto.training.shared import train_shared_model
from morec_pareto.types import Interactions

log = logging.getLogger(__name__)
DATASET_KEYS = ("reference_point",)  # data config keys read by the pipeline, not passed to the reader


def load_data(data_cfg: DictConfig) -> Interactions:
    """Instantiate the data config's reader; keys that describe the data set, not the reading, are left out.

    A reader's own error (one line naming the file and column) is raised as it is, not wrapped by Hydra.
    """
    try:
        return instantiate({key: value for key, value in data_cfg.items() if key not in DATASET_KEYS})
    except InstantiationException as err:
        if isinstance(err.__cause__, (ValueError, FileNotFoundError, ImportError)):
            raise err.__cause__ from None
        raise


def run(cfg: DictConfig, run_dir: Path) -> dict:
    """Run the whole pipeline for one config and write the run folder; returns the summary."""
    check_config(cfg)  # unknown keys, wrong types, out-of-range values: a one-line error before any work
    start, seed, device = time.perf_counter(), int(cfg.seed), resolve_device(cfg.get("device", "auto"))
    parts = run_parts(cfg)
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg.threads))
    torch.manual_seed(seed)
    np.random.seed(seed)
    split = leave_one_out(load_data(cfg.data))
    data = split.data
    log.info("data %s: %d users, %d items, %d events", data.name, data.n_users, data.n_items, data.n_events)
    task = define_task(cfg.objectives, cfg.data.get("reference_point"), split, seed)
    selection, train_cfg = SelectionSettings.split(config_dict(cfg.train))
    criterion = selection_criterion(selection, task, parts.policy, split, train_cfg["max_eval_users"], seed, device)
    trained = train_shared_model(parts.loss, config_dict(cfg.model), train_cfg, split, run_dir, seed, device,
                                 cfg.get("model_cache"), cfg.progress, criterion, selection.cache_key())
    with open_source(parts.loss, trained, split, task.users, run_dir, seed) as source:
        checkpoint = run_dir / "checkpoint.pkl" if parts.search.checkpoint else None
        policy = parts.policy(k=task.k, mask_seen=task.mask_seen, objectives=task.objectives, data=source.base[0])
        result = run_search(parts.search, policy, source, task.objectives, task.reference_point, seed, checkpoint,
                            cfg.progress, device, parts.name)
        evaluator = PopulationEvaluator(policy, task.objectives, device, parts.search.prune,  # test tables: own cache
                                        cache_size=max(4, source.n_levels + 1))
        held_out = score_front(result, evaluator, source, cfg.get("policy_point"))
    outcome = RunOutcome(parts.name, parts.loss.summary_name, seed, split, task, source, trained.fit, result,
                         held_out, str(device), parts.search.prune, time.perf_counter() - start)
    return write_run(run_dir, outcome)
