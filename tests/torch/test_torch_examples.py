"""The caviar.torch examples run (tiny settings) and show what they claim."""

from __future__ import annotations

import pytest

from examplesupport import load_example

pytest.importorskip("torch")


def test_bn_mlp_on_digits_learns_and_reloads(tmp_path, capsys):
    study = load_example("torch_bn_mlp_digits").main(n_trials=8, population=8, epochs=3,
                                                     storage=f"sqlite:///{tmp_path}/e.db")
    assert sum(t.state == "complete" for t in study.trials) == 8
    assert study.best_value > 0.85
    out = capsys.readouterr().out
    assert "programs:" in out and f"(reloaded model: {study.best_value:.4f})" in out


def test_bn_cnn_on_mnist5k_learns(tmp_path):
    study = load_example("torch_cnn_mnist5k").main(n_trials=4, population=4, epochs=2,
                                                   storage=f"sqlite:///{tmp_path}/e.db",
                                                   n_train=800)
    assert sum(t.state == "complete" for t in study.trials) == 4
    assert study.best_value > 0.5


def test_dropout_layernorm_mlp_on_mnist1d_learns(tmp_path):
    study = load_example("torch_mlp_mnist1d").main(n_trials=6, population=6, epochs=3,
                                                   storage=f"sqlite:///{tmp_path}/e.db")
    assert sum(t.state == "complete" for t in study.trials) == 6
    assert study.best_value > 0.2  # 10 classes: above chance after 3 epochs


def test_one_at_a_time_per_member_order_and_epoch_checkpoints(tmp_path, capsys):
    study = load_example("torch_one_at_a_time").main(n_trials=3, population=3, epochs=2,
                                                     storage=f"sqlite:///{tmp_path}/e.db")
    assert sum(t.state == "complete" for t in study.trials) == 3
    assert study.best_value > 0.5
    out = capsys.readouterr().out
    assert "one at a time (torch.func cannot batch it)" in out
    assert "checkpoints after epochs [0, 1]" in out
