"""A Ray worker killed (SIGKILL) in the middle of a caviar.torch population, on a real local
Ray and real SQLite: the study still completes, the population's trials resume at the epoch
after their last checkpoint, and what is stored is whole: every trial once, every curve step
once, the final weights those of an uninterrupted run (float64, bit for bit).

The seam: the member's module, in the epoch ``HANG_EPOCH``, writes its process id to a flag
file (the first process to create it: one population dies, once) and sleeps; the test waits
for the file and kills that pid. Two routes are covered: Ray retries the task on the same
trials (``max_retries=1``), or, with Ray's retries spent (``max_retries=0``), the driver fails
the trials uncounted and the study retries them as new trials (``retry_of_id``).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from tests.conftest import wait_for  # noqa: E402

import caviar  # noqa: E402
import caviar.torch as ct  # noqa: E402
from caviar.executors.ray_backend import RayOptions  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]

EPOCHS, POPULATION, TRIALS = 4, 3, 6
STEPS = 320 // 32  # training steps per epoch (digits64: 320 examples, batch 32)
HANG_EPOCH = 2     # after the checkpoints of epochs 0 and 1


def make_member(flag: Path | None) -> Any:
    """The member function; with ``flag``, the first process to reach a step of epoch
    ``HANG_EPOCH`` records its pid there and hangs until it is killed."""
    steps = {"n": 0}  # per process: the one program's training steps (one forward each)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Linear(64, 16, bias=False), nn.BatchNorm1d(16),
                                      nn.ReLU(), nn.Linear(16, 10))

        def forward(self, x: Any) -> Any:
            if flag is not None and self.training and x.shape[0] == 32:
                steps["n"] += 1
                if steps["n"] == HANG_EPOCH * STEPS + 2:
                    try:
                        fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                    except FileExistsError:  # another process died here already
                        pass
                    else:
                        os.write(fd, str(os.getpid()).encode())
                        os.close(fd)
                        time.sleep(600)
            return self.body(x)

    def member(trial: Any) -> Any:
        return ct.Member(Net(), optimizer=trial.suggest_categorical("opt", ["adam", "sgd"]),
                         lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True), momentum=0.9,
                         batch_size=32, schedule=ct.cosine_lr(EPOCHS))

    return member


def run(study: Any, member: Any, data: Any, **kw: Any) -> None:
    x, y, xv, yv = data
    ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=EPOCHS,
                population=POPULATION, n_trials=TRIALS, dtype=torch.float64, seed=0, **kw)


def run_and_kill(study: Any, flag: Path, data: Any, retries: int) -> int:
    """Run the study on Ray in a thread; kill the process that writes ``flag``; its pid."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run(study, make_member(flag), data, backend="ray", workers=2,
                ray=RayOptions(cpus_per_trial=1, max_retries=retries), heartbeat=1.0,
                stale_after=30.0)
        except BaseException as e:
            errors.append(e)

    th = threading.Thread(target=target, daemon=True)
    th.start()
    wait_for(lambda: flag.exists() and flag.read_text(), timeout=300)
    pid = int(flag.read_text())
    assert pid != os.getpid()  # a Ray worker, not this driver
    os.kill(pid, signal.SIGKILL)
    th.join(timeout=400)
    assert not th.is_alive(), "the study did not finish after its worker was killed"
    if errors:
        raise errors[0]
    return pid


@pytest.fixture(scope="module")
def reference(digits64: Any, tmp_path_factory: Any) -> Any:
    """The same study trained in this process, nobody killed: curves and weights by number."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}"
    study = caviar.create_study("ref", storage=url, direction="maximize", seed=3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a Ray task with cpus_per_trial=1
    try:
        run(study, make_member(None), digits64)
    finally:
        torch.set_num_threads(threads)
    return study


def check_against_reference(study: Any, reference: Any, done: list[Any]) -> None:
    """``done``: the completed trials of ``study``; each equals the reference trial with its
    params (curve, value, every weight and buffer)."""
    ref = {tuple(sorted(t.params.items())): t for t in reference.trials}
    ref_curves, curves = reference.reports(), study.reports()
    member = make_member(None)
    for t in done:
        r = ref[tuple(sorted(t.params.items()))]
        assert sorted(curves[t.id]) == list(range(EPOCHS))  # each step once, none lost
        assert curves[t.id] == ref_curves[r.id] and t.value == r.value
        got = ct.load_model(study, t.number, member)
        want = ct.load_model(reference, r.number, member)
        assert int(got.body[1].num_batches_tracked) == EPOCHS * STEPS  # not 2 + 4 epochs
        for (k, a), b in zip(got.state_dict().items(), want.state_dict().values(),
                             strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


def test_a_killed_worker_is_retried_by_ray_on_the_same_trials_which_resume(
        ray_cluster, digits64, reference, tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    study = caviar.create_study("kill", storage=url, direction="maximize", seed=3)
    flag = tmp_path / "hung"
    pid = run_and_kill(study, flag, digits64, retries=1)

    trials = caviar.load_study("kill", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(TRIALS))  # none lost nor doubled
    assert [t.state for t in trials] == ["complete"] * TRIALS and all(t.counted
                                                                     for t in trials)
    resumed = [t for t in trials if "resumed_at_epoch" in t.system_attrs]
    # the killed population, and only it, resumed from its checkpoints of epochs 0 and 1
    assert len(resumed) == POPULATION
    assert all(t.system_attrs["resumed_at_epoch"] == HANG_EPOCH for t in resumed)
    assert all(t.system_attrs["ray_worker"] != f"{os.uname().nodename}:{pid}"
               for t in resumed)  # told by the retry's worker, not the dead one
    check_against_reference(study, reference, trials)


def test_with_rays_retries_spent_the_study_retries_the_trials_as_new_ones_which_resume(
        ray_cluster, digits64, reference, tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    study = caviar.create_study("lost", storage=url, direction="maximize", seed=3)
    run_and_kill(study, tmp_path / "hung", digits64, retries=0)

    trials = caviar.load_study("lost", storage=url).trials
    lost = [t for t in trials if t.state == "fail"]
    done = [t for t in trials if t.state == "complete"]
    assert len(lost) == POPULATION and not any(t.counted for t in lost)
    assert all("Ray worker lost 1 times" in (t.error or "") for t in lost)
    assert len(done) == TRIALS and all(t.counted for t in done)
    assert len(trials) == TRIALS + POPULATION  # one retry each: none lost, none doubled
    retries = [t for t in done if "retry_of_id" in t.system_attrs]
    assert sorted(t.system_attrs["retry_of_id"] for t in retries) == sorted(t.id for t in lost)
    by_id = {t.id: t for t in lost}
    curves = study.reports()
    for t in retries:
        first = by_id[t.system_attrs["retry_of_id"]]
        assert t.params == first.params
        assert t.system_attrs["resumed_at_epoch"] == HANG_EPOCH
        # the lost trial kept the epochs it finished; the retry continues its curve
        assert sorted(curves[first.id]) == list(range(HANG_EPOCH))
        assert [curves[t.id][s] for s in range(HANG_EPOCH)] == \
            [curves[first.id][s] for s in range(HANG_EPOCH)]
    check_against_reference(study, reference, done)
