from __future__ import annotations

import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

import caviar
from caviar.cli.main import cli
from caviar.retest import retest, retest_study_name, trial_seed


def objective(trial: caviar.Trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    noise = np.random.default_rng(trial_seed(trial)).normal(scale=0.01)
    return (x - 1.0) ** 2 + noise


def test_retest_reruns_the_best_over_new_seeds_linked_to_their_originals() -> None:
    study = caviar.create_study("s", seed=0)
    study.optimize(objective, n_trials=12)
    report = retest(study, objective, top=3, seeds=4)
    best3 = sorted(study.get_trials(["complete"]), key=lambda t: t.value)[:3]
    assert [r.number for r in report.rows] == [t.number for t in best3]
    for row in report.rows:
        assert len(row.values) == 4 and row.std > 0
        assert row.mean == pytest.approx(row.original, abs=0.05)
    sibling = caviar.load_study(retest_study_name("s"), storage=study.storage)
    runs = sibling.get_trials(["complete"])
    assert len(runs) == 12
    originals = {t.number: t for t in study.trials}
    for t in runs:
        assert t.system_attrs["retest"] is True and t.system_attrs["retest_of_study"] == "s"
        orig = originals[t.system_attrs["retest_of"]]
        assert t.system_attrs["retest_of_id"] == orig.id and t.params == orig.params
    assert len({t.system_attrs["seed"] for t in runs}) == 4
    # the original study is untouched
    assert len(study.trials) == 12
    assert "ranking holds" in report.text() and "± std" in report.text()


def test_ranking_verdicts() -> None:
    study = caviar.create_study(seed=1)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=6)
    stale = retest(study, lambda t: -t.params["x"], top=3, seeds=2)  # the order flips
    assert not stale.ranking_holds and not stale.winner_holds
    assert stale.new_order == [3, 2, 1]
    holds = retest(study, lambda t: t.params["x"], top=3, seeds=2)
    assert holds.ranking_holds and holds.winner_holds


def test_trial_seed_outside_a_retest_is_the_trial_number() -> None:
    trial = caviar.create_study().ask()
    assert trial_seed(trial) == trial.number and trial_seed(trial, 7) == 7


def test_too_few_completed_trials_is_a_clear_error() -> None:
    study = caviar.create_study()
    study.optimize(objective, n_trials=2)
    with pytest.raises(caviar.UsageError, match=r"2 completed trial\(s\), fewer than top=5"):
        retest(study, objective, top=5)
    with pytest.raises(caviar.UsageError, match="seeds must be an int >= 1"):
        retest(study, objective, top=1, seeds=0)


def test_cli_retest_uses_the_stored_objective(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "obj.py").write_text(textwrap.dedent("""
        import numpy as np
        from caviar.retest import trial_seed

        def objective(trial):
            x = trial.suggest_float("x", -3.0, 3.0)
            return (x - 1.0) ** 2 + np.random.default_rng(trial_seed(trial)).normal(scale=0.01)
    """))
    db = f"sqlite:///{tmp_path}/c.db"
    runner = CliRunner()
    r = runner.invoke(cli, ["tune", "obj.py:objective", "--trials", "8", "--study", "q",
                            "--storage", db, "--seed", "0", "--quiet"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["retest", "q", "--top", "3", "--seeds", "2", "--storage", db])
    assert r.exit_code == 0, r.output
    assert "retest of 'q': top 3" in r.output and "ranking holds:" in r.output
    r = runner.invoke(cli, ["retest", "q", "--top", "20", "--storage", db])
    assert isinstance(r.exception, caviar.UsageError) and "fewer than top=20" in str(r.exception)
