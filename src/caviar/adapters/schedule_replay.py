"""Replay a PBT member alone: one model trained through the schedule PBT found.

A member's final state is its last exploit source's state at that exploit (that source's own
replay up to the exploit), then its own epochs. So one model, started from the oldest
ancestor's initial weights, is trained segment by segment (``schedule_lineage.chain``): in each
segment it uses that trial's data order (seeded by its number, advanced to the segment's first
epoch) and that trial's params from its schedule. In float64 the replay reproduces the member's
curve to rounding, so the final accuracy is the same number; in float32 it agrees within noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from caviar.adapters.schedule_lineage import Segment, chain, params_at
from caviar.errors import UsageError
from caviar.trial_record import FrozenTrial


@dataclass(frozen=True)
class Replay:
    number: int
    segments: list[Segment]
    curve: list[float]  # validation accuracy per epoch
    stored: dict[int, float]  # the trial's own curve, for comparison

    @property
    def val_accuracy(self) -> float:
        return self.curve[-1]


def replay_schedule(study: Any, number: int, *, data: Any = None, dtype: Any = None,
                    threads: int | None = None, device: str = "cpu") -> Replay:
    """Train trial ``number``'s lineage alone (see the module doc); ``data`` and ``dtype``
    default to what the population used (stored on the trial)."""
    try:
        import torch

        from caviar import nn
        from caviar.nn.exploit import INPLACE_KEYS
    except ImportError:
        raise UsageError("replay_schedule needs PyTorch: pip install 'caviar[torch]'") from None
    trials: Sequence[FrozenTrial] = study.trials
    by_number = {t.number: t for t in trials}
    t = by_number.get(number)
    if t is None or "schedule" not in t.system_attrs:
        raise UsageError(f"replay-schedule: trial {number} of study {study.name!r} did not run "
                         "under a population scheduler; pick one from `caviar lineage "
                         f"{study.name}`")
    segments = chain(trials, number)
    root = by_number[segments[0].number]
    fixed = dict(t.system_attrs.get("fixed") or {})
    if data is None:
        spec = t.system_attrs.get("data") or {}
        if not spec.get("name"):
            raise UsageError(f"replay-schedule: trial {number} does not name its data set; "
                             "pass data=... (the Dataset the population trained on)")
        data = nn.load_dataset(str(spec["name"]), seed=int(spec.get("seed", 0)))
    elif not isinstance(data, nn.Dataset):
        data = nn.load_dataset(str(data))
    if dtype is None:
        dtype = getattr(torch, str(t.system_attrs.get("dtype", "float32")))
    first = {**fixed, **params_at(root, 0), "seed": root.number,
             "epochs": segments[-1].stop}
    starts = {s.start: s for s in segments}

    def control(epoch: int, reports: list[Any], pop: Any) -> None:
        if epoch < 0:
            return
        done = reports[0].epoch + 1 if reports else epoch + 1
        seg = starts.get(done)
        if seg is not None and seg.start > 0:
            pop.set_order(0, by_number[seg.number].number, done)
        current = next(s for s in segments if s.start <= done < s.stop) if done < \
            segments[-1].stop else None
        if current is not None:
            params = params_at(by_number[current.number], done)
            pop.set_params(0, {k: v for k, v in params.items() if k in INPLACE_KEYS})

    result = nn.train_population([first], data, dtype=dtype, control=control,
                                 threads=threads, device=device)
    curve = [h.val_accuracy for h in result.members[0].history]
    return Replay(number, segments, curve, study.reports([t.id]).get(t.id, {}))
