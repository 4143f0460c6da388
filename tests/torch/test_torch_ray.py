"""`caviar tune-torch --backend ray` end to end: a real local Ray cluster started by the
command, SQLite storage, one Ray task per population; every trial counted with its curve,
run in a Ray worker (not the driver), exit 0."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("torch")

from tests.torch.test_torch_cli import TRAIN_PY, caviar

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def test_tune_torch_backend_ray_trains_populations_as_ray_tasks(tmp_path):
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ray is not installed (CI=true: the Ray tests must run)")
        pytest.skip("ray is not installed")
    (tmp_path / "train.py").write_text(TRAIN_PY)
    db = f"sqlite:///{tmp_path}/r.db"
    p = caviar("tune-torch", "train.py:member", "--storage", db, "--study", "ray",
               "--epochs", "2", "--population", "3", "--trials", "6", "--seed", "1",
               "--backend", "ray", "--workers", "2", "--cpus-per-trial", "1", "-q",
               cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "validation accuracy =" in p.stdout
    import caviar as cv

    study = cv.load_study("ray", storage=db)
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 6 and all(t.counted for t in trials)
    curves = study.reports()
    assert all(sorted(curves[t.id]) == [0, 1] for t in trials)
    assert all(t.value == curves[t.id][1] for t in trials)
    # two populations of 3, each trained by a Ray worker process, not the driver
    runners = {t.system_attrs["ray_worker"] for t in trials}
    assert runners and all(t.system_attrs["population_size"] == 3 for t in trials)
    assert not any(r.endswith(f":{os.getpid()}") for r in runners)
    assert len({t.system_attrs["ray_worker"] for t in trials[:3]}) == 1
