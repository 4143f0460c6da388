"""What a population member reports besides its validation metric: its size, its compute and
its share of the training time, so a study can tune accuracy against them.

* ``n_params``: the member's trainable parameters (``sum(p.numel())``; batch-norm running
  statistics are buffers, not parameters).
* ``flops``: forward-pass FLOPs per example, counted the way ``torch.utils.flop_counter``
  counts them: ``2 * in * out`` for each matrix product (a multiply and an add), nothing for
  bias adds, batch norm or activations. For caviar.nn networks it comes in closed form from the
  layer shapes; for a caviar.torch module it is counted by ``FlopCounterMode`` on one example.
* ``train_seconds``: the population's training wall time split by each member's share of the
  compute (``flops * epochs trained``): members trained in one program have no wall time of
  their own, so this is an attribution, not a stopwatch.

``objectives=["val_accuracy", "n_params"]`` (tune-mlp) or ``["metric", "n_params"]``
(caviar.torch) makes each trial's values those numbers, in that order; the study must have
the matching directions (``directions_for`` says which).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from caviar.errors import UsageError
from caviar.trial_record import MAXIMIZE, MINIMIZE

#: the measures every member reports, and the direction each is tuned in
MEASURES: dict[str, str] = {"n_params": MINIMIZE, "flops": MINIMIZE, "train_seconds": MINIMIZE}
#: caviar.nn populations: the validation accuracy first
MLP_OBJECTIVES: dict[str, str] = {"val_accuracy": MAXIMIZE, **MEASURES}


def torch_objectives(metric_direction: str | None, study_directions: Sequence[str],
                     names: Sequence[str]) -> dict[str, str]:
    """caviar.torch: ``metric`` (the validation metric, in its own direction, or the study's
    for a metric callable) and the measures."""
    d = metric_direction
    if d is None and "metric" in names and len(study_directions) == len(names):
        d = study_directions[list(names).index("metric")]
    return {"metric": d or MAXIMIZE, **MEASURES}


def check_objectives(names: Sequence[str], allowed: Mapping[str, str]) -> tuple[str, ...]:
    """The objectives' directions; unknown or repeated names are refused."""
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) == 0:
        raise UsageError(f"objectives: must be a non-empty list of names from "
                         f"{', '.join(allowed)}, got {names!r}; e.g. "
                         f"objectives={[next(iter(allowed)), 'n_params']}")
    for n in names:
        if n not in allowed:
            raise UsageError(f"objectives: unknown objective {n!r}; pick from "
                             f"{', '.join(allowed)} (e.g. {next(iter(allowed))},n_params)")
    if len(set(names)) != len(names):
        raise UsageError(f"objectives: each objective once, got {list(names)}")
    return tuple(allowed[n] for n in names)


def check_study(study: Any, names: Sequence[str], directions: tuple[str, ...]) -> None:
    """The study must have one direction per objective, in the objectives' order."""
    if tuple(study.directions) != directions:
        want = list(directions)
        raise UsageError(
            f"study {study.name!r}: objectives {list(names)} are tuned in directions {want}, "
            f"the study has directions={list(study.directions)}; create it with "
            + (f"direction={want[0]!r}" if len(want) == 1 else f"directions={want}"))


def mlp_n_params(widths: Sequence[int], batch_norm: bool, n_features: int,
                 n_classes: int) -> int:
    """Trainable parameters of a caviar.nn MLP: hidden Linear layers (no bias with batch
    norm, whose gamma and beta replace it), then the output Linear with its bias."""
    total, prev = 0, n_features
    for h in widths:
        total += prev * h + 2 * h if batch_norm else prev * h + h
        prev = h
    return total + prev * n_classes + n_classes


def mlp_flops(widths: Sequence[int], n_features: int, n_classes: int) -> int:
    """Forward FLOPs per example of a caviar.nn MLP: ``2 * in * out`` per Linear layer."""
    total, prev = 0, n_features
    for h in (*widths, n_classes):
        total += 2 * prev * h
        prev = h
    return total


def module_n_params(module: Any) -> int:
    """Trainable parameters of a torch module (``requires_grad`` ones)."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))


def module_flops(module: Any, example: Any) -> int:
    """Forward FLOPs of ``module`` on one example (a batch of one), counted by
    ``torch.utils.flop_counter.FlopCounterMode`` in eval mode without gradients; the
    module's training mode is restored."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    was_training = module.training
    module.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            module(example)
    finally:
        module.train(was_training)
    return int(counter.get_total_flops())


def split_seconds(wall: float, work: Sequence[float]) -> list[float]:
    """``wall`` seconds attributed to members by their share of ``work``."""
    total = float(sum(work))
    if total <= 0:
        return [wall / max(1, len(work))] * len(work)
    return [wall * w / total for w in work]


def measures(n_params: int, flops: int, seconds: float) -> dict[str, float]:
    return {"n_params": n_params, "flops": flops, "train_seconds": seconds}


def member_measures(members: Sequence[Any], wall: float) -> list[dict[str, float]]:
    """n_params, flops and train_seconds of each caviar.nn member (``nn.MemberResult``) of a
    population that trained in ``wall`` seconds."""
    sizes = [(mlp_n_params(m.config.widths, m.config.batch_norm, m.n_features, m.n_classes),
              mlp_flops(m.config.widths, m.n_features, m.n_classes)) for m in members]
    seconds = split_seconds(wall, [f * m.epochs_trained for (_, f), m in
                                   zip(sizes, members, strict=True)])
    return [measures(n, f, s) for (n, f), s in zip(sizes, seconds, strict=True)]


def module_sizes(models: Sequence[Any], x: Any) -> list[tuple[int, int]]:
    """(n_params, forward FLOPs per example) of each caviar.torch member's module, counted on
    the first example of ``x`` (before training: the count depends on shapes only)."""
    import torch

    example = x[:1]
    out = []
    for model in models:
        p = next(iter(model.parameters()), None)
        xe = example.to(p.dtype) if p is not None and torch.is_floating_point(example) \
            else example
        out.append((module_n_params(model), module_flops(model, xe)))
    return out


def sized_measures(sizes: Sequence[tuple[int, int]], epochs: Sequence[int],
                   wall: float) -> list[dict[str, float]]:
    """n_params, flops and train_seconds per member from ``module_sizes`` and the epochs
    each trained in a population of ``wall`` seconds."""
    seconds = split_seconds(wall, [f * e for (_, f), e in zip(sizes, epochs, strict=True)])
    return [measures(n, f, s) for (n, f), s in zip(sizes, seconds, strict=True)]


def values_of(names: Sequence[str], metric_name: str, metric: float,
              measured: Mapping[str, float]) -> tuple[float, ...]:
    """The trial's values in the objectives' order."""
    return tuple(float(metric) if n == metric_name else float(measured[n]) for n in names)
