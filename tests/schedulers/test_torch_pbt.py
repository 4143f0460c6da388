"""PBT in caviar.torch (ct.optimize(scheduler=PBT(...)), caviar tune-torch --scheduler pbt):
members of one program exploit each other, the copy equals its source (float64), the study
stores the same schedule/exploits/parent_id lineage as caviar.nn, and bad input is refused
before any trial."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tests.torch.test_torch_cli import caviar as caviar_cli  # noqa: E402

import caviar  # noqa: E402
import caviar.torch as ct  # noqa: E402
from caviar.adapters import torch_schedule  # noqa: E402
from caviar.adapters.schedule_lineage import lineage_text  # noqa: E402
from caviar.errors import UsageError  # noqa: E402
from caviar.schedulers import ASHA, PBT  # noqa: E402


class BNMLP(torch.nn.Module):
    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(64, width, bias=False)
        self.bn = torch.nn.BatchNorm1d(width)
        self.fc2 = torch.nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def member(trial):
    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    beta1 = trial.suggest_float("beta1", 0.5, 0.99, scale="reverse_log")
    return ct.Member(BNMLP(), optimizer="adam", lr=lr, betas=(beta1, 0.999), batch_size=32)


def data():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data[:400] / 16.0, dtype=torch.float64)
    y = torch.tensor(d.target[:400])
    return (x[:300], y[:300]), (x[300:], y[300:])


def _rows(prog, local):
    from caviar.torch.exploit import OPT_ROWS

    sd = prog.state_dict(local)
    opt = {n: getattr(prog.opt, n)[local].clone() for n in OPT_ROWS
           if getattr(prog.opt, n).numel()}
    return sd, opt


def test_optimize_with_pbt_exploits_copies_and_stores_lineage(monkeypatch):
    checked = []
    real = torch_schedule.TorchPopulation.exploit

    def exploit_and_compare(self, dst, src):  # the real exploit, then the copy is compared
        real(self, dst, src)
        (prog, d), (_, s) = self.where[dst], self.where[src]
        (sd_d, o_d), (sd_s, o_s) = _rows(prog, d), _rows(prog, s)
        assert all(torch.equal(sd_d[k], sd_s[k]) for k in sd_s)
        assert all(torch.equal(o_d[k], o_s[k]) for k in o_s)
        checked.append((dst, src))

    monkeypatch.setattr(torch_schedule.TorchPopulation, "exploit", exploit_and_compare)
    train, val = data()
    study = caviar.create_study(direction="maximize", seed=0)
    ct.optimize(study, member, train=train, val=val, epochs=3, population=4, n_trials=4,
                dtype=torch.float64, scheduler=PBT(interval=1, quantile=0.25, seed=0))
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 4
    # interval 1, 3 epochs: one exploit after epoch 0 and one after epoch 1 (none after the
    # last epoch); quantile 0.25 of 4 members: one member copies each time
    exploits = [(t.number, e) for t in trials for e in t.system_attrs.get("exploits", [])]
    assert sorted(e["epoch"] for _, e in exploits) == [0, 1]
    assert len(checked) == 2
    for number, e in exploits:
        t = trials[number]
        src = trials[e["from_trial"]]
        assert e["from_trial_id"] == src.id and e["from_trial"] != number
        starts = [s for s, _ in t.system_attrs["schedule"]]
        assert e["epoch"] + 1 in starts  # the schedule changes at the interval
        new = dict(t.system_attrs["schedule"][starts.index(e["epoch"] + 1)][1])
        assert new == e["after"] and new != e["before"]
    reports = study.reports()
    for number, e in exploits:  # truncation selection: the source ranked above the copy
        src = trials[e["from_trial"]]
        assert reports[src.id][e["epoch"]] >= reports[trials[number].id][e["epoch"]]
    last = {n: e for n, e in exploits}
    for number, e in last.items():
        assert trials[number].parent_id == e["from_trial_id"]
    for t in trials:
        assert t.system_attrs["scheduler"]["name"] == "pbt"
        assert t.system_attrs["schedule"][0] == [0, t.params]
        assert len(study.reports([t.id])[t.id]) == 3
    text = lineage_text(trials)
    assert "copied #" in text and "<- #" in text


def test_pbt_on_the_loss_copies_the_lower_loss():
    train, val = data()
    study = caviar.create_study(direction="minimize", seed=1)
    ct.optimize(study, member, train=train, val=val, metric="loss", epochs=2, population=4,
                n_trials=4, dtype=torch.float64, scheduler=PBT(interval=1, seed=1))
    reports = study.reports()
    by_number = {t.number: t for t in study.trials}
    exploits = [(t, e) for t in study.trials for e in t.system_attrs.get("exploits", [])]
    assert len(exploits) == 1
    for t, e in exploits:
        src = by_number[e["from_trial"]]
        losses = sorted(reports[u.id][0] for u in study.trials)
        assert reports[src.id][0] == losses[0] and reports[t.id][0] == losses[-1]


def test_pbt_refuses_what_torch_cannot_copy_before_any_trial():
    train, val = data()

    def shaped(trial):
        width = trial.suggest_int("width", 8, 32)
        return ct.Member(BNMLP(width), lr=trial.suggest_float("lr", 1e-3, 1e-1, log=True))

    study = caviar.create_study(direction="maximize", seed=0)
    with pytest.raises(UsageError, match=r"PBT: params \['width'\].*explore only lr"):
        ct.optimize(study, shaped, train=train, val=val, epochs=2, population=2, n_trials=2,
                    scheduler=PBT())
    assert [t.counted for t in study.trials] == [False, False]  # the slots are freed

    def hidden(trial):  # the lr reaches the member changed, PBT could not set it
        return ct.Member(BNMLP(), lr=2 * trial.suggest_float("lr", 1e-3, 1e-1, log=True))

    with pytest.raises(UsageError, match=r"pass the suggested value straight to ct\.Member"):
        ct.optimize(caviar.create_study(direction="maximize"), hidden, train=train, val=val,
                    epochs=2, population=2, n_trials=2, scheduler=PBT())
    for bad, match in ((ASHA(max_budget=2), "caviar.torch runs PBT only"),
                       ("pbt", "must be caviar.schedulers.PBT")):
        s = caviar.create_study(direction="maximize")
        with pytest.raises(UsageError, match=match):
            ct.optimize(s, member, train=train, val=val, epochs=2, scheduler=bad)
        assert s.trials == []
    s = caviar.create_study(direction="maximize")
    with pytest.raises(UsageError, match="backend='local'"):
        ct.optimize(s, member, train=train, val=val, epochs=2, scheduler=PBT(), backend="ray")
    assert s.trials == []


TRAIN_PY = '''
import torch, torch.nn as nn
import caviar.torch as ct
from sklearn.datasets import load_digits

_d = load_digits()
_x = torch.tensor(_d.data[:300] / 16.0, dtype=torch.float32)
_y = torch.tensor(_d.target[:300])
TRAIN = (_x[:200], _y[:200])
VAL = (_x[200:], _y[200:])

def member(trial):
    model = nn.Sequential(nn.Linear(64, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
                          nn.Linear(16, 10))
    return ct.Member(model, lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True), batch_size=32)
'''


def test_tune_torch_scheduler_pbt_runs_and_refuses_bad_options(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN_PY)
    db = f"sqlite:///{tmp_path}/c.db"
    base = ["tune-torch", "train.py:member", "--storage", db, "--epochs", "2",
            "--population", "4", "--trials", "4", "--seed", "0", "--scheduler", "pbt"]
    for extra, words in ((["--pbt-interval", "0"], "interval must be an integer >= 1"),
                         (["--pbt-quantile", "0.9"], "quantile must lie in (0, 0.5]"),
                         (["--pruner", "median"], "cannot run with --pruner median"),
                         (["--backend", "ray"], "backend='local'"),
                         (["--scheduler", "asha"], "use tune-mlp")):
        p = caviar_cli(*base, "--study", "bad", *extra, cwd=tmp_path)
        assert p.returncode == 2, (extra, p.stderr)
        assert words in p.stderr and "Traceback" not in p.stderr, (extra, p.stderr)
    assert not (tmp_path / "c.db").exists()  # refused before any storage or trial
    p = caviar_cli(*base, "--study", "pbt", "--pbt-interval", "1", "--pbt-quantile", "0.5",
                   cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "scheduler pbt" in p.stdout
    study = caviar.load_study("pbt", storage=db)
    assert sum(len(t.system_attrs.get("exploits", [])) for t in study.trials) == 2
    p = caviar_cli("lineage", "pbt", "--storage", db, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "copied #" in p.stdout
    out = tmp_path / "lineage.html"
    p = caviar_cli("plot", "pbt", "lineage", "--storage", db, "-o", str(out), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "exploit (copy)" in out.read_text()


def test_torch_pbt_example(capsys):
    from examplesupport import load_example

    out = load_example("torch_pbt_digits").main(population=8, epochs=4)
    pbt = out["pbt"]
    # interval 2, 4 epochs: one exploit round (after epoch 1), 2 of 8 members copy
    assert sum(len(t.system_attrs.get("exploits") or []) for t in pbt.trials) == 2
    assert pbt.best_value > 0.8 and out["random"].best_value > 0.5
    text = capsys.readouterr().out
    assert "pbt: best validation accuracy" in text and "<- #" in text
