"""Score every (user, item) pair with a trained model, in batches, once per model and stage."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from morec_pareto.data.split import item_counts, padded_history, seen_matrix
from morec_pareto.device import model_device
from morec_pareto.models.recommender import Recommender
from morec_pareto.models.repeat import history_depths
from morec_pareto.types import PURCHASE, ScoreTable, Split, Stage, StageData, held_out_stage

# Stands in for a non-finite relevance logit: below any real logit, and exp((floor - max r) / tau) is 0, not NaN.
RELEVANCE_FLOOR = -1e30


def finite_scores(relevance: np.ndarray, purchase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(relevance, P(buy)), each (U, I), with non-finite entries replaced so that no user's list is poisoned.

    A NaN or infinite relevance becomes RELEVANCE_FLOOR, so the policies rank that item after every
    finite one (ties by id) while their exp(r - max r) stays finite; a non-finite P(buy) becomes 0, so
    log(max(b, 1e-12)) stays finite and the item adds no expected revenue. Finite inputs are returned as-is.
    """
    if not np.isfinite(relevance).all():
        relevance = np.where(np.isfinite(relevance), relevance, RELEVANCE_FLOOR).astype(relevance.dtype)
    if not np.isfinite(purchase).all():
        purchase = np.where(np.isfinite(purchase), purchase, 0.0).astype(purchase.dtype)
    return relevance, purchase


def _heads(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite (relevance, P(buy)) float32 (U, I) each from the two heads' float32 logits (2, U, I).

    P(buy) = 1 / (1 + exp(-logit)) is computed in place in the purchase logits (no (U, I) temporaries).
    """
    purchase = np.negative(logits[1], out=logits[1])
    np.exp(purchase, out=purchase)
    purchase += 1.0
    np.reciprocal(purchase, out=purchase)
    return finite_scores(logits[0], purchase)


def truth_matrix(prob, users: np.ndarray, chunk: int = 512) -> np.ndarray:
    """float32 (U, I) of a ground-truth probability function, in chunks of users (its float64 temporaries stay small)."""
    parts = [prob(users[start : start + chunk]).astype(np.float32) for start in range(0, len(users), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


@torch.no_grad()
def score_matrix(
    model: Recommender,
    split: Split,
    stage: str,
    users: np.ndarray | None = None,
    batch_size: int = 256,
    heads: tuple[int, ...] = (0, 1),
    preference: np.ndarray | None = None,
) -> np.ndarray:
    """Logits (len(heads), U, I) of each user's history at `stage` against every item.

    Runs on the model's device; the result is float32 on the CPU.
    """
    was_training = model.training
    model.eval()
    device = model_device(model)
    max_len = model.user_encoder.max_len
    users = np.arange(split.sequences.n_users) if users is None else np.asarray(users)
    n_items = split.data.n_items
    h_items = model.item_encoder(torch.arange(1, n_items + 1, device=device))  # (I, d)
    out = np.empty((len(heads), len(users), n_items), dtype=np.float32)
    for start in range(0, len(users), batch_size):
        chunk = users[start : start + batch_size]
        items, behaviours = padded_history(split, stage, max_len, chunk)
        items_t, behaviours_t = torch.as_tensor(items, device=device), torch.as_tensor(behaviours, device=device)
        h_u = model.user_encoder.encode(items_t, behaviours_t)
        pref = None
        if preference is not None:
            pref = torch.as_tensor(preference, dtype=torch.float32, device=device).expand(len(chunk), -1)
        depths = history_depths(items_t, behaviours_t, n_items) if model.repeat_bias is not None else None
        logits = model.score(h_u, h_items, pref, depths)  # (B, I, 2)
        out[:, start : start + len(chunk)] = logits[..., list(heads)].permute(2, 0, 1).float().cpu().numpy()
    model.train(was_training)
    return out


def score_table(
    model: Recommender, split: Split, stage: str, users: np.ndarray | None = None, preference: np.ndarray | None = None,
) -> ScoreTable:
    """The cached score table the search ranks from: relevance logits and P(buy) for every pair."""
    users = np.arange(split.sequences.n_users) if users is None else np.asarray(users)
    relevance, purchase = _heads(score_matrix(model, split, stage, users, preference=preference))
    return ScoreTable(
        stage=held_out_stage(stage), relevance=relevance, purchase=purchase,
        targets=split.targets(stage)[users], seen=seen_matrix(split, stage, users),
    )


def stage_data(
    model: Recommender, split: Split, stage: str, users: np.ndarray | None = None, preference: np.ndarray | None = None,
    truth_of: StageData | None = None,
) -> StageData:
    """The cached inputs of ranking and objectives for `stage`: score table plus ground truth when known.

    The ground truth of a user does not depend on the stage: pass another stage's data of the same
    users as `truth_of` to share its (U, I) matrices instead of computing a second copy.
    """
    users = np.arange(split.sequences.n_users) if users is None else np.asarray(users)
    table = score_table(model, split, stage, users, preference)
    end = split.target_rows(stage)[users]
    truth = split.data.truth
    if truth is None:
        true_click = true_buy = None
    elif truth_of is not None:
        true_click, true_buy = truth_of.true_click, truth_of.true_buy
    else:
        true_click, true_buy = truth_matrix(truth.click_prob, users), truth_matrix(truth.buy_prob, users)
    return StageData(
        relevance=table.relevance, purchase=table.purchase, seen=table.seen, targets=table.targets,
        target_bought=split.sequences.behaviours[end] == PURCHASE, price=split.data.item_price,
        true_click=true_click, true_buy=true_buy, item_category=split.data.item_category,
        item_popularity=item_counts(split),
    )


def rescore_stages(
    model: Recommender, split: Split, base: tuple[StageData, StageData], users: np.ndarray,
    preference: np.ndarray | None = None,
) -> tuple[StageData, StageData]:
    """(valid, test) stage data of another model (or preference) over the same users.

    Only the two heads' scores change; histories, targets and ground truth are shared with `base`.
    """
    pair = []
    for stage, data in zip((Stage.VALID, Stage.TEST), base):
        relevance, purchase = _heads(score_matrix(model, split, stage, users, preference=preference))
        pair.append(replace(data, relevance=relevance, purchase=purchase))
    return pair[0], pair[1]
