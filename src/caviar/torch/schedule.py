"""Learning-rate schedules, stepped once per epoch (as torch's schedulers are when
``scheduler.step()`` is called after each epoch). Each maps (base lr, epoch) to the lr of
that epoch in closed form; the engine evaluates it per member, so members of one program
may use different schedules and settings.

- ``step_lr(step_size, gamma)``: ``lr * gamma ** (epoch // step_size)`` (torch StepLR)
- ``exponential_lr(gamma)``: ``lr * gamma ** epoch`` (ExponentialLR)
- ``cosine_lr(t_max, eta_min=0)``: ``eta_min + (lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2``
  (CosineAnnealingLR)
- ``warmup_lr(epochs, start_factor)``: linear warm-up from ``start_factor * lr`` to ``lr`` over
  ``epochs`` epochs, then constant (LinearLR with end_factor=1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from caviar.errors import UsageError

KINDS = ("step", "exponential", "cosine", "warmup")


@dataclass(frozen=True)
class Schedule:
    kind: str
    step_size: int = 1
    gamma: float = 1.0
    t_max: int = 1
    eta_min: float = 0.0
    epochs: int = 1
    start_factor: float = 0.1

    def lr_at(self, lr: float, epoch: int) -> float:
        """The learning rate of ``epoch`` (0-based) for a base rate ``lr``."""
        if self.kind == "step":
            return lr * self.gamma ** (epoch // self.step_size)
        if self.kind == "exponential":
            return lr * self.gamma ** epoch
        if self.kind == "cosine":
            return self.eta_min + (lr - self.eta_min) * (
                1 + math.cos(math.pi * epoch / self.t_max)) / 2
        f = self.start_factor + (1.0 - self.start_factor) * min(epoch, self.epochs) / self.epochs
        return lr * f


def _pos_int(kind: str, name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise UsageError(f"schedule {kind!r}: {name} must be an integer >= 1 (epochs), got "
                         f"{name}={v!r}; use e.g. {name}=5")
    return v


def _factor(kind: str, name: str, v: Any, *, open_low: bool = True) -> float:
    f = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan
    if not (math.isfinite(f) and (f > 0 if open_low else f >= 0) and f <= 1):
        raise UsageError(f"schedule {kind!r}: {name} must be a number in "
                         f"{'(0' if open_low else '[0'}, 1], got {name}={v!r}; use e.g. 0.5")
    return f


def step_lr(step_size: int, gamma: float = 0.1) -> Schedule:
    return Schedule("step", step_size=_pos_int("step", "step_size", step_size),
                    gamma=_factor("step", "gamma", gamma))


def exponential_lr(gamma: float) -> Schedule:
    return Schedule("exponential", gamma=_factor("exponential", "gamma", gamma))


def cosine_lr(t_max: int, eta_min: float = 0.0) -> Schedule:
    e = float(eta_min) if isinstance(eta_min, int | float) else math.nan
    if not (math.isfinite(e) and e >= 0):
        raise UsageError(f"schedule 'cosine': eta_min must be a finite number >= 0, got "
                         f"eta_min={eta_min!r}; use 0")
    return Schedule("cosine", t_max=_pos_int("cosine", "t_max", t_max), eta_min=e)


def warmup_lr(epochs: int, start_factor: float = 0.1) -> Schedule:
    return Schedule("warmup", epochs=_pos_int("warmup", "epochs", epochs),
                    start_factor=_factor("warmup", "start_factor", start_factor))


_MAKERS: dict[str, Callable[..., Schedule]] = {
    "step": step_lr, "exponential": exponential_lr, "cosine": cosine_lr,
    "warmup": warmup_lr}


def as_schedule(s: Any) -> Schedule | None:
    """None, a Schedule, or a mapping ``{"name": kind, **settings}`` (handy define-by-run)."""
    if s is None or isinstance(s, Schedule):
        return s
    if isinstance(s, Mapping):
        kw = dict(s)
        kind = kw.pop("name", None)
        if kind not in _MAKERS:
            raise UsageError(f"schedule: name must be one of {', '.join(KINDS)}, got "
                             f"name={kind!r}; e.g. {{'name': 'step', 'step_size': 5}}")
        try:
            out: Schedule = _MAKERS[kind](**kw)
        except TypeError as e:
            raise UsageError(f"schedule {kind!r}: bad settings {kw}: {e}; see "
                             f"caviar.torch.{kind}_lr") from None
        return out
    raise UsageError(f"schedule: must be None, a caviar.torch Schedule (step_lr, "
                     f"exponential_lr, cosine_lr, warmup_lr) or a dict with 'name', got "
                     f"{s!r}; e.g. schedule=ct.cosine_lr(t_max=10)")
