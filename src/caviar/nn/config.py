"""One member's hyperparameters: plain dict keys with defaults, validated before training.

``parse_config(dict) -> MemberConfig`` fills defaults, checks every value and raises
:class:`ConfigError` with the project's grammar (thing, rule, value, fix) on the first problem.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ConfigError, rule
from .functional import ACTIVATIONS

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
LR_DECAYS = ("none", "inverse", "exponential", "step")
BN_STATS = ("running", "population")
DEFAULT_DECAY_RATE = {"none": 0.0, "inverse": 1.0, "exponential": 0.95, "step": 0.5}

DEFAULTS: dict[str, Any] = {
    "lr": 1e-3,
    "optimizer": "adam",
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "momentum": 0.9,
    "weight_decay": 0.0,
    "lr_decay": "none",
    "decay_rate": None,
    "decay_steps": 10,
    "hidden": 64,
    "depth": 2,
    "widths": None,
    "activation": "relu",
    "batch_norm": True,
    "bn_beta": 0.9,
    "bn_eps": 1e-5,
    "bn_stats": "running",
    "batch_size": 64,
    "epochs": 20,
    "seed": 0,
}
ALLOWED_KEYS = tuple(DEFAULTS)


@dataclass(frozen=True)
class MemberConfig:
    """A validated configuration. ``widths`` holds the hidden layer widths (depth = len)."""

    lr: float
    optimizer: str
    beta1: float
    beta2: float
    eps: float
    momentum: float
    weight_decay: float
    lr_decay: str
    decay_rate: float
    decay_steps: int
    widths: tuple[int, ...]
    activation: str
    batch_norm: bool
    bn_beta: float
    bn_eps: float
    bn_stats: str
    batch_size: int
    epochs: int
    seed: int

    @property
    def depth(self) -> int:
        return len(self.widths)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    def lr_at(self, epoch: int) -> float:
        """Learning rate for ``epoch`` (0-based) under the configured decay."""
        if self.lr_decay == "inverse":
            return self.lr / (1.0 + self.decay_rate * epoch)
        if self.lr_decay == "exponential":
            return self.lr * self.decay_rate**epoch
        if self.lr_decay == "step":
            return self.lr * self.decay_rate ** (epoch // self.decay_steps)
        return self.lr


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(rule(name, "be a number", value, f"give {name} as a float"))
    if not math.isfinite(value):
        raise ConfigError(rule(name, "be finite", value, f"give {name} a finite value"))
    return float(value)


def _integer(name: str, value: Any, low: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ConfigError(rule(name, "be an integer", value, fix))
    if value < low:
        raise ConfigError(rule(name, f"be >= {low}", value, fix))
    return int(value)


def _beta(name: str, value: Any, example: str) -> float:
    v = _number(name, value)
    if not 0.0 <= v < 1.0:
        raise ConfigError(rule(name, "be in [0, 1)", value, f"use a value such as {example}"))
    return v


def _positive(name: str, value: Any, example: str) -> float:
    v = _number(name, value)
    if not v > 0.0:
        raise ConfigError(rule(name, "be > 0", value, f"use a positive value such as {example}"))
    return v


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ConfigError(
            rule(name, f"be one of {', '.join(allowed)}", value, f"pick one of {list(allowed)}")
        )
    return value.lower()


def _widths(raw: Mapping[str, Any]) -> tuple[int, ...]:
    if raw.get("widths") is not None:
        if raw.get("hidden") is not None:
            raise ConfigError(
                rule(
                    "widths",
                    "not be combined with hidden",
                    raw["widths"],
                    "give either widths=[...] or hidden and depth",
                )
            )
        widths = raw["widths"]
        if isinstance(widths, int | str) or not hasattr(widths, "__iter__"):
            raise ConfigError(
                rule("widths", "be a list of layer widths", widths, "use e.g. widths=[64, 32]")
            )
        out = tuple(_integer("widths", w, 1, "every hidden width must be >= 1") for w in widths)
        if raw.get("depth") is not None and raw["depth"] != len(out):
            raise ConfigError(
                rule(
                    "depth",
                    f"equal len(widths)={len(out)}",
                    raw["depth"],
                    "drop depth or make it match widths",
                )
            )
        return out
    hidden = _integer(
        "hidden", raw.get("hidden", DEFAULTS["hidden"]), 1, "use a positive width such as 64"
    )
    depth = _integer(
        "depth",
        raw.get("depth", DEFAULTS["depth"]),
        0,
        "use 0 (softmax regression) or more hidden layers",
    )
    return (hidden,) * depth


def parse_config(raw: Mapping[str, Any]) -> MemberConfig:
    """Fill defaults and validate; raises :class:`ConfigError` naming the first bad key."""
    if not isinstance(raw, Mapping):
        raise ConfigError(
            rule("config", "be a dict of hyperparameters", raw, "pass e.g. {'lr': 1e-3}")
        )
    unknown = sorted(set(raw) - set(ALLOWED_KEYS))
    if unknown:
        raise ConfigError(
            rule(
                f"config key {unknown[0]!r}",
                "be one of the known keys",
                unknown[0],
                f"use only {', '.join(ALLOWED_KEYS)}",
            )
        )
    c = {**DEFAULTS, **raw}
    lr = _positive("lr", c["lr"], "1e-3")
    lr_decay = _choice("lr_decay", c["lr_decay"], LR_DECAYS)
    rate = DEFAULT_DECAY_RATE[lr_decay] if c["decay_rate"] is None else c["decay_rate"]
    decay_rate = _number("decay_rate", rate)
    if lr_decay == "inverse" and decay_rate < 0:
        raise ConfigError(
            rule(
                "decay_rate",
                "be >= 0 for lr_decay='inverse'",
                rate,
                "use e.g. 1.0 (lr / (1 + rate * epoch))",
            )
        )
    if lr_decay in ("exponential", "step") and not 0 < decay_rate <= 1:
        raise ConfigError(
            rule(
                "decay_rate",
                f"be in (0, 1] for lr_decay={lr_decay!r}",
                rate,
                "use a multiplier such as 0.95",
            )
        )
    batch_norm = c["batch_norm"]
    if not isinstance(batch_norm, bool):
        raise ConfigError(rule("batch_norm", "be True or False", batch_norm, "pass a bool"))
    seed = c["seed"]
    return MemberConfig(
        lr=lr,
        optimizer=_choice("optimizer", c["optimizer"], OPTIMIZERS),
        beta1=_beta("beta1", c["beta1"], "0.9"),
        beta2=_beta("beta2", c["beta2"], "0.999"),
        eps=_positive("eps", c["eps"], "1e-8"),
        momentum=_beta("momentum", c["momentum"], "0.9"),
        weight_decay=_nonnegative("weight_decay", c["weight_decay"], "use 0 or e.g. 1e-4"),
        lr_decay=lr_decay,
        decay_rate=decay_rate,
        decay_steps=_integer("decay_steps", c["decay_steps"], 1, "use e.g. 10 epochs per step"),
        widths=_widths(raw),
        activation=_choice("activation", c["activation"], ACTIVATIONS),
        batch_norm=batch_norm,
        bn_beta=_beta("bn_beta", c["bn_beta"], "0.9"),
        bn_eps=_positive("bn_eps", c["bn_eps"], "1e-5"),
        bn_stats=_choice("bn_stats", c["bn_stats"], BN_STATS),
        batch_size=_integer(
            "batch_size",
            c["batch_size"],
            2 if batch_norm else 1,
            "use a mini-batch size such as 64",
        ),
        epochs=_integer("epochs", c["epochs"], 1, "train for at least one epoch"),
        seed=_integer("seed", seed, 0, "use a non-negative integer seed"),
    )


def _nonnegative(name: str, value: Any, fix: str) -> float:
    v = _number(name, value)
    if v < 0:
        raise ConfigError(rule(name, "be >= 0", value, fix))
    return v


def optimizer_key(cfg: MemberConfig) -> int:
    """Sort key that puts members with the same optimizer next to each other."""
    return OPTIMIZERS.index(cfg.optimizer)


def parse_configs(raws: list[Mapping[str, Any]]) -> list[MemberConfig]:
    """Validate every config; the message names the member index of the first bad one."""
    if len(raws) == 0:
        raise ConfigError(
            rule("configs", "hold at least one config", raws, "pass a list of hyperparameter dicts")
        )
    out = []
    for i, raw in enumerate(raws):
        try:
            out.append(parse_config(raw))
        except ConfigError as exc:
            raise ConfigError(f"member {i}: {exc}") from None
    return out
