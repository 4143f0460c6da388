from __future__ import annotations

import pytest

from caviar.nn import ALLOWED_KEYS, ConfigError, parse_config


def test_defaults_and_widths():
    cfg = parse_config({})
    assert cfg.widths == (64, 64) and cfg.optimizer == "adam" and cfg.bn_beta == 0.9
    assert parse_config({"hidden": 16, "depth": 3}).widths == (16, 16, 16)
    assert parse_config({"widths": [64, 32]}).widths == (64, 32)
    assert parse_config({"widths": [64, 32], "depth": 2}).depth == 2
    assert parse_config({"depth": 0}).widths == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"lr": -0.1}, "lr: must be > 0, got -0.1; use a positive value such as 1e-3"),
        ({"lr": float("nan")}, "lr: must be finite"),
        ({"lr": "big"}, "lr: must be a number"),
        ({"beta1": 1.0}, "beta1: must be in [0, 1), got 1.0"),
        ({"beta2": -0.1}, "beta2: must be in [0, 1)"),
        ({"momentum": 1.5}, "momentum: must be in [0, 1)"),
        ({"bn_beta": 1}, "bn_beta: must be in [0, 1)"),
        ({"eps": 0}, "eps: must be > 0"),
        ({"hidden": 0}, "hidden: must be >= 1, got 0"),
        ({"widths": [8, 0]}, "widths: must be >= 1"),
        ({"widths": [8], "depth": 2}, "depth: must equal len(widths)=1"),
        ({"widths": [8], "hidden": 3}, "widths: must not be combined with hidden"),
        ({"optimizer": "adagrad"}, "optimizer: must be one of sgd, momentum, rmsprop, adam"),
        ({"activation": "gelu"}, "activation: must be one of relu, tanh, sigmoid"),
        ({"lr_decay": "cosine"}, "lr_decay: must be one of none, inverse, exponential, step"),
        ({"lr_decay": "exponential", "decay_rate": 1.5}, "decay_rate: must be in (0, 1]"),
        ({"weight_decay": -1}, "weight_decay: must be >= 0"),
        ({"batch_size": 1}, "batch_size: must be >= 2"),
        ({"batch_size": 2.5}, "batch_size: must be an integer"),
        ({"epochs": 0}, "epochs: must be >= 1"),
        ({"batch_norm": "yes"}, "batch_norm: must be True or False"),
        ({"seed": -1}, "seed: must be >= 0"),
        ({"learning_rate": 0.1}, "config key 'learning_rate': must be one of the known keys"),
    ],
)
def test_errors_name_thing_rule_value_fix(raw, message):
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    text = str(info.value)
    assert message in text
    assert "; " in text  # the fix follows the value


def test_unknown_key_lists_allowed_keys():
    with pytest.raises(ConfigError) as info:
        parse_config({"lrr": 1})
    assert all(k in str(info.value) for k in ALLOWED_KEYS)


def test_batch_of_one_is_allowed_without_batch_norm():
    assert parse_config({"batch_size": 1, "batch_norm": False}).batch_size == 1


def test_learning_rate_schedules():
    assert parse_config({"lr": 1.0, "lr_decay": "inverse", "decay_rate": 0.5}).lr_at(2) == 0.5
    assert parse_config({"lr": 1.0, "lr_decay": "exponential", "decay_rate": 0.5}).lr_at(3) == 0.125
    step = parse_config({"lr": 1.0, "lr_decay": "step", "decay_rate": 0.1, "decay_steps": 2})
    assert [step.lr_at(e) for e in range(5)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])
    assert parse_config({"lr": 0.3}).lr_at(100) == 0.3
