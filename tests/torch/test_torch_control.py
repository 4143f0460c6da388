"""``train_population(control=...)``: after each epoch the control is handed every training
member's (program, local row) and may rewrite rows in place; a member exploited into another
trains on identically (bit for bit, same hyperparameters and batch order)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tests.torch.test_torch_equivalence import mlp  # noqa: E402

import caviar.torch as ct  # noqa: E402
from caviar.torch.exploit import exploit  # noqa: E402


def test_control_sees_every_member_and_an_exploited_member_follows_its_source(digits64):
    x, y, xv, yv = digits64
    members = [ct.Member(mlp(s), optimizer="adam", lr=3e-3) for s in range(3)]
    seen: list[list[int]] = []

    def control(epoch, reports, where):
        seen.append(sorted(where))
        if epoch == 0:
            prog, dst = where[1]
            prog_src, src = where[0]
            assert prog is prog_src
            exploit(prog, dst, src)

    res = ct.train_population(members, (x, y), (xv, yv), epochs=3, dtype=torch.float64,
                              control=control)
    assert seen == [[0, 1, 2]] * 3
    a, b, c = (m.state_dict for m in res.members)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert not torch.equal(a["0.weight"], c["0.weight"])
    assert res.members[1].history[1:] == res.members[0].history[1:]
