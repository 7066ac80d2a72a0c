"""`model_cache`: strategies that train identically share one training and give the fronts they give alone."""
import json

from conftest import run_cli


def test_reused_model_gives_the_same_front_as_training_it(tmp_path):
    cache = tmp_path / "models"
    run_cli("-m", "debug=tiny", "search.n_gen=3", "strategy=weighted,non_weighted", f"model_cache={cache}",
            f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert len(list(cache.glob("model_*.pt"))) == 1  # one training for both strategies
    weighted = json.loads((tmp_path / "sweep" / "0_weighted_seed0" / "summary.json").read_text())
    reused = json.loads((tmp_path / "sweep" / "1_non_weighted_seed0" / "summary.json").read_text())
    assert weighted["training"]["reused_from"] is None
    assert reused["training"]["reused_from"] == str(next(cache.glob("model_*.pt")))
    assert reused["train_epochs"] == weighted["train_epochs"]  # the compute that made the model still counts
    run_cli("debug=tiny", "search.n_gen=3", "strategy=non_weighted", f"hydra.run.dir={tmp_path / 'alone'}")
    alone = (tmp_path / "alone" / "front.csv").read_bytes()
    assert (tmp_path / "sweep" / "1_non_weighted_seed0" / "front.csv").read_bytes() == alone
