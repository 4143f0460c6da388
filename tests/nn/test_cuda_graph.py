"""The epoch program behind train_population(cuda_graph=True) (caviar/nn/cuda_graph.py).

No GPU on the development machine: the CPU tests run the same static-input path with
``capture=False`` (everything but the ``torch.cuda.graph`` capture call) and require it to be
bit-identical to plain epochs, also across a compaction (members finished early); the CUDA test
runs where a GPU is present."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from caviar.nn import ConfigError, Dataset, train_population
from caviar.nn.config import parse_configs
from caviar.nn.cuda_graph import EpochProgram
from caviar.nn.planner import ONE_PROGRAM
from caviar.nn.population import make_groups, to_device

CONFIGS: list[dict[str, Any]] = [
    {"optimizer": "adam", "hidden": 8, "depth": 2, "batch_size": 16, "seed": 1},
    {"optimizer": "sgd", "lr": 0.05, "hidden": 6, "depth": 1, "batch_size": 32, "seed": 2},
    {"optimizer": "momentum", "hidden": 8, "depth": 2, "batch_size": 16, "seed": 3},
]


def _run(data: Dataset, mode: str | None, epochs: int = 4) -> tuple[list[Any], Any]:
    groups = make_groups(
        parse_configs([{**c, "epochs": epochs} for c in CONFIGS]),
        to_device(data, torch.float64, torch.device("cpu")),
        cost=ONE_PROGRAM,
    )
    (g,) = groups
    g.graph_mode = mode
    losses = []
    for epoch in range(epochs):
        losses.append(g.train_epoch(epoch))
        if epoch == 1:
            g.keep([0, 2])  # compaction: the program holds old tensors and must be rebuilt
    return losses, g


def test_static_epochs_equal_plain_epochs_bit_for_bit(tiny: Dataset) -> None:
    plain, g_plain = _run(tiny, None)
    static, g_static = _run(tiny, "static")
    for a, b in zip(plain, static, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(g_plain.w, g_static.w)
    assert torch.equal(g_plain.opt.m, g_static.opt.m)
    assert torch.equal(g_plain.opt.s, g_static.opt.s)
    for (m1, v1), (m2, v2) in zip(g_plain.running, g_static.running, strict=True):
        assert torch.equal(m1, m2) and torch.equal(v1, v2)
    assert g_static._program is not None and g_static._program.runs == 2  # rebuilt at keep()


def test_program_copies_new_inputs_every_epoch() -> None:
    """The body sees each epoch's values through the same static tensors, and the loss is
    reset between epochs."""
    seen: list[tuple[int, float]] = []

    def body(idx: torch.Tensor, tables: tuple[torch.Tensor, ...], loss: torch.Tensor) -> None:
        seen.append((idx.data_ptr(), float(tables[0].sum())))
        loss.add_(idx.double())

    prog = EpochProgram(body, capture=False)
    out = []
    for epoch in range(3):
        idx = torch.full((4,), epoch, dtype=torch.long)
        tables = tuple(torch.full((2, 4, 1), float(epoch + k)) for k in range(3))
        loss = torch.zeros(4, dtype=torch.float64)
        prog.run(idx, tables, loss)  # type: ignore[arg-type]
        out.append(loss.tolist())
    assert out == [[0.0] * 4, [1.0] * 4, [2.0] * 4]
    assert [s for _, s in seen] == [0.0, 8.0, 16.0]
    assert len({p for p, _ in seen}) == 1  # one static index buffer, reused


def test_cuda_graph_needs_cuda(tiny: Dataset) -> None:
    with pytest.raises(ConfigError, match=r"cuda_graph: must run on a CUDA device, got 'cpu'"):
        train_population([{"epochs": 1}], tiny, cuda_graph=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_equals_plain_on_cuda(tiny: Dataset) -> None:
    cfgs = [{**c, "epochs": 4} for c in CONFIGS]
    plain = train_population(cfgs, tiny, device="cuda", dtype=torch.float64)
    graph = train_population(cfgs, tiny, device="cuda", dtype=torch.float64, cuda_graph=True)
    for a, b in zip(plain.members, graph.members, strict=True):
        sa, sb = a.state_dict(), b.state_dict()
        assert max(float((sa[k].double() - sb[k].double()).abs().max()) for k in sa) <= 1e-12
        assert [r.train_loss for r in a.history] == pytest.approx(
            [r.train_loss for r in b.history], abs=1e-12
        )
