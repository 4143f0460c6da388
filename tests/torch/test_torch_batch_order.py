"""``batch_order="per_member"``: each member sees the data in its own order, and equals the
same config trained alone by plain torch in that order (its ``order_seed``), in float64,
with batch norm, a convolution, mixed optimizers and batch sizes that accumulate."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tests.torch.conftest import assert_same_state, train_alone  # noqa: E402
from tests.torch.test_torch_equivalence import cnn, mixed, mlp  # noqa: E402

import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402


@pytest.mark.parametrize("make,sizes", [(mlp, [32, 32, 64, 32, 128]), (cnn, [32] * 5)])
def test_each_member_in_its_own_order_equals_plain_torch_in_that_order(digits64, make, sizes):
    x, y, xv, yv = digits64
    members = mixed(make)
    for i, (m, b) in enumerate(zip(members, sizes, strict=True)):
        m.batch_size = b
        if make is mlp:  # no batch norm in a shared accumulating program: use LayerNorm only
            m.model[1] = torch.nn.Identity()
        m.order_seed = None if i == 0 else 100 + i  # member 0: its index, 0
    res = ct.train_population(members, (x, y), (xv, yv), epochs=2, dtype=torch.float64,
                              batch_order="per_member", seed=5)
    for i, (m, r) in enumerate(zip(members, res.members, strict=True)):
        alone = train_alone(m, x, y, epochs=2, seed=i if m.order_seed is None else m.order_seed)
        assert_same_state(r.state_dict, alone)
    shared = ct.train_population(mixed(make)[:2], (x, y), (xv, yv), epochs=1,
                                 dtype=torch.float64, seed=5)
    per = ct.train_population(mixed(make)[:2], (x, y), (xv, yv), epochs=1,
                              dtype=torch.float64, seed=5, batch_order="per_member")
    key = next(iter(shared.members[1].state_dict))
    assert not torch.equal(shared.members[1].state_dict[key], per.members[1].state_dict[key])


def test_a_bad_batch_order_is_refused():
    with pytest.raises(UsageError, match="batch_order: must be one of 'shared', 'per_member'"):
        ct.train_population([ct.Member(torch.nn.Linear(64, 10), batch_size=4)],
                            (torch.zeros(8, 64), torch.zeros(8, dtype=torch.long)),
                            (torch.zeros(8, 64), torch.zeros(8, dtype=torch.long)), epochs=1,
                            batch_order="random")
    with pytest.raises(UsageError, match="order_seed must be an int"):
        ct.Member(torch.nn.Linear(64, 10), order_seed=1.5)


def test_optimize_per_member_orders_each_trial_by_its_number(tmp_path, digits64):
    import caviar

    x, y, xv, yv = digits64

    def member(trial):
        return ct.Member(mlp(0), lr=trial.suggest_float("lr", 1e-3, 1e-2, log=True))

    study = caviar.create_study("o", storage=f"sqlite:///{tmp_path}/o.db",
                                direction="maximize", seed=0)
    ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=1, population=3,
                n_trials=3, dtype=torch.float64, batch_order="per_member")
    for t in study.trials:
        alone = train_alone(ct.Member(mlp(0), lr=t.params["lr"]), x, y, epochs=1,
                            seed=t.number)
        assert_same_state(ct.load_model(study, t.number, member).state_dict(), alone)
