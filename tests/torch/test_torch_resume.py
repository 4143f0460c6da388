"""Per-member, per-epoch checkpoints and resuming from them.

The engine: training epochs 0..1, then resuming at epoch 2 from the states ``on_state`` gave
after epoch 1, equals training epochs 0..3 in one go, bit for bit in float64 (mixed
optimizers, schedules and batch sizes; batch-norm buffers and optimizer moments included).
The CLI: a `tune-torch` run killed with SIGKILL in epoch 2 is reaped by the next run, whose
retried trials resume at epoch 2 (their curves continue) and end with the same weights as
an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from tests.conftest import wait_for  # noqa: E402

import caviar  # noqa: E402
import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def members() -> list[ct.Member]:
    out = []
    for i in range(4):
        torch.manual_seed(i)
        model = nn.Sequential(nn.Linear(64, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
                              nn.Linear(16, 10))
        out.append(ct.Member(model, optimizer=["adam", "sgd", "adamw", "sgd_ewma"][i],
                             lr=0.01 * (i + 1), momentum=0.9, weight_decay=1e-3,
                             batch_size=[32, 64][i % 2],
                             schedule=[ct.cosine_lr(4), ct.step_lr(1, 0.5)][i % 2]))
    return out


def test_resuming_from_on_state_equals_training_in_one_go(digits64):
    x, y, xv, yv = digits64
    states: dict[int, dict] = {}
    full = ct.train_population(members(), (x, y), (xv, yv), epochs=4, dtype=torch.float64,
                               on_state=states.__setitem__)
    assert sorted(states) == [0, 1, 2, 3] and sorted(states[1]) == [0, 1, 2, 3]
    resume = [dict(states[1][i], history=full.members[i].history[:2]) for i in range(4)]
    part = ct.train_population(members(), (x, y), (xv, yv), epochs=4, dtype=torch.float64,
                               first_epoch=2, resume=resume)
    for a, b in zip(full.members, part.members, strict=True):
        assert b.history == a.history and b.epochs_trained == 4
        assert set(a.state_dict) == set(b.state_dict)
        for k, v in a.state_dict.items():
            assert torch.equal(v, b.state_dict[k]), k
    # a resumed member that is not the one trained: refused by shape, before training
    small = nn.Sequential(nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 10))
    with pytest.raises(UsageError, match=r"resume: saved tensor '0\.weight' has shape"):
        ct.train_population([ct.Member(small)], (x, y), (xv, yv), epochs=4,
                            dtype=torch.float64, first_epoch=2, resume=[resume[0]])
    with pytest.raises(UsageError, match="first_epoch=2: needs resume="):
        ct.train_population(members(), (x, y), (xv, yv), epochs=4, first_epoch=2)


TRAIN_PY = '''
import os, time
import torch, torch.nn as nn
import caviar.torch as ct
from sklearn.datasets import load_digits

_d = load_digits()
_x = torch.tensor(_d.data[:400] / 16.0)
_y = torch.tensor(_d.target[:400])
TRAIN = (_x[:300], _y[:300])
VAL = (_x[300:], _y[300:])
_HANG = int(os.environ.get("HANG_AT_STEP", "0"))  # hang at this training step (1-based)
_steps = 0


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
                                  nn.Linear(16, 10))

    def forward(self, x):
        global _steps
        if self.training and x.shape[0] == 32:  # one call per step of the whole program
            _steps += 1
            if _HANG and _steps == _HANG:
                open(os.environ["HANG_FLAG"], "w").write(str(os.getpid()))
                time.sleep(600)
        return self.body(x)


def member(trial):
    return ct.Member(Net(), optimizer=trial.suggest_categorical("opt", ["adam", "sgd"]),
                     lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True), momentum=0.9,
                     batch_size=32, schedule=ct.cosine_lr(4))
'''


def tune(tmp_path: Path, db: str, **env: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "caviar", "tune-torch", "train.py:member", "--storage", db,
            "--study", "r", "--epochs", "4", "--population", "4", "--trials", "4",
            "--seed", "2", "--dtype", "float64", "--threads", "1", "-q"]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    return subprocess.Popen(args, cwd=tmp_path, env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_a_killed_run_is_resumed_at_the_epoch_of_its_last_checkpoints(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN_PY)
    killed_db, clean_db = f"sqlite:///{tmp_path}/k.db", f"sqlite:///{tmp_path}/c.db"
    flag = tmp_path / "hung"
    # 300 examples / batch 32 = 9 steps per epoch: step 2*9+2 is inside epoch 2 (0-based),
    # after the checkpoints of epochs 0 and 1
    run = tune(tmp_path, killed_db, HANG_AT_STEP=str(2 * 9 + 2), HANG_FLAG=str(flag))
    clean = tune(tmp_path, clean_db)
    try:
        wait_for(flag.exists, timeout=240)
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    _, err = clean.communicate(timeout=300)
    assert clean.returncode == 0, err
    dead = caviar.load_study("r", storage=killed_db)
    assert [t.state for t in dead.trials] == ["running"] * 4
    assert all(sorted(c) == [0, 1] for c in dead.reports().values())
    time.sleep(8)  # the dead run's last heartbeat must be older than 1.5 heartbeats (5 s)
    again = tune(tmp_path, killed_db)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err

    study = caviar.load_study("r", storage=killed_db)
    clean_study = caviar.load_study("r", storage=clean_db)
    reference = {t.number: t for t in clean_study.trials}
    ref_curves = clean_study.reports()
    old = {t.id: t for t in study.trials[:4]}
    retries = study.trials[4:]
    assert [t.state for t in old.values()] == ["fail"] * 4
    assert not any(t.counted for t in old.values())
    assert [t.state for t in retries] == ["complete"] * 4
    curves = study.reports()
    for t in retries:
        first = old[t.system_attrs["retry_of_id"]]
        ref = reference[first.number]
        assert t.params == first.params == ref.params
        assert t.system_attrs["resumed_at_epoch"] == 2
        assert sorted(curves[t.id]) == [0, 1, 2, 3]  # the curve continues, not restarts
        assert [curves[t.id][s] for s in (0, 1)] == [curves[first.id][s] for s in (0, 1)]
        assert curves[t.id] == ref_curves[ref.id] and t.value == ref.value
        got = ct.load_model(study, t.number, _member_of(tmp_path))
        want = ct.load_model(clean_study, ref.number, _member_of(tmp_path))
        assert int(got.body[1].num_batches_tracked) == 4 * 9  # 4 epochs, not 2 + 4
        for (k, a), b in zip(got.state_dict().items(), want.state_dict().values(),
                             strict=True):
            assert a.dtype == (torch.int64 if k.endswith("num_batches_tracked") else
                               torch.float64)
            torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


def _member_of(tmp_path: Path):
    from caviar.objective_ref import ObjectiveRef

    return ObjectiveRef(f"{tmp_path}/train.py:member")
