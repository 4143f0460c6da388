"""``precision="bf16"``: CUDA bf16 autocast. On a CPU it is refused before any work with the
measured reason (torch's CPU autocast does not reach inside vmap); float64 is refused too.
The CUDA run needs a GPU (none in CI: there it is skipped, and the path is untested on
hardware in this project so far)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from tests.torch.test_torch_equivalence import mlp  # noqa: E402

import caviar  # noqa: E402
import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402


def test_bf16_is_refused_on_cpu_and_with_float64_before_any_trial(digits64):
    x, y, xv, yv = digits64
    m = [ct.Member(nn.Linear(64, 10))]
    with pytest.raises(UsageError, match="bf16 autocast is offered on CUDA only, got "
                       "device='cpu'"):
        ct.train_population(m, (x.float(), y), (xv.float(), yv), epochs=1, precision="bf16")
    with pytest.raises(UsageError, match="precision: must be one of 'fp32', 'bf16'"):
        ct.train_population(m, (x, y), (xv, yv), epochs=1, precision="fp16")
    study = caviar.create_study(direction="maximize")
    with pytest.raises(UsageError, match="on CUDA only"):
        ct.optimize(study, lambda t: ct.Member(nn.Linear(64, 10)), train=(x, y),
                    val=(xv, yv), epochs=1, precision="bf16")
    assert not study.trials  # refused before any trial was asked


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_bf16_on_cuda_trains_close_to_fp32(digits64):  # pragma: no cover - GPU only
    x, y, xv, yv = digits64
    with pytest.raises(UsageError, match="autocast needs float32 parameters"):
        ct.train_population([ct.Member(mlp(0))], (x, y), (xv, yv), epochs=1,
                            device="cuda", dtype=torch.float64, precision="bf16")
    members = [ct.Member(mlp(s).float(), lr=3e-3) for s in range(4)]
    full = ct.train_population(members, (x.float(), y), (xv.float(), yv), epochs=3,
                               device="cuda")
    half = ct.train_population(members, (x.float(), y), (xv.float(), yv), epochs=3,
                               device="cuda", precision="bf16")
    for a, b in zip(full.members, half.members, strict=True):
        assert b.state == "complete" and abs(a.metric - b.metric) < 0.1
        assert not torch.equal(a.state_dict["0.weight"], b.state_dict["0.weight"])
