"""PBT's refusal of params an engine cannot change in place: one check, worded for each
engine (caviar.nn's check_scheduler, caviar.torch's check_members), raised before training."""

from __future__ import annotations

import pytest

from caviar.adapters.schedule import check_scheduler
from caviar.errors import UsageError
from caviar.schedulers import PBT
from caviar.space import Choice, Float, Int, Space

SPACE = Space({"lr": Float(1e-4, 1e-1, scale="log"), "width": Int(8, 64),
               "act": Choice(["relu", "tanh"])})


def test_caviar_nn_refuses_shape_params_naming_them_and_what_to_explore():
    with pytest.raises(UsageError) as e:
        check_scheduler(PBT(), SPACE, {"epochs": 4})
    msg = str(e.value)
    assert msg.startswith("PBT: params ['width', 'act'] shape the network or its program, so "
                          "a member cannot copy another's state across them; fix them "
                          "(fixed={...}) and explore only lr, beta1, beta2, eps, momentum,")
    assert "epochs" not in msg  # not a param PBT explores
    check_scheduler(PBT(), Space({"lr": SPACE["lr"]}), {"epochs": 4})  # lr alone: accepted


def test_caviar_torch_refuses_non_optimizer_params_naming_them_and_what_to_explore():
    pytest.importorskip("torch")
    from caviar.adapters.torch_schedule import check_members

    with pytest.raises(UsageError) as e:
        check_members([], [], SPACE)
    assert str(e.value) == (
        "PBT: params ['width', 'act'] are not optimizer hyperparameters a member can change "
        "in place, so a copied member would not be the network its params say; fix them in "
        "the member function and let PBT explore only lr, beta1, beta2, eps")
    check_members([], [], Space({"lr": SPACE["lr"]}))
