"""`caviar db upgrade` brings stored databases of every earlier schema (v1, v2) to the current
one, losing nothing; on SQLite (golden files made by those versions) and PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import caviar
from caviar.storage.base import SCHEMA_VERSION
from caviar.storage.sql.migrations import current_version, upgrade

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "schema_v1.db"
GOLDEN_V2 = GOLDEN.with_name("schema_v2.db")  # made by caviar at 55c916f (make_schema_v2.py)
SRC = str(Path(caviar.__file__).resolve().parents[1])


@pytest.fixture
def v1(tmp_path: Path) -> str:
    shutil.copy(GOLDEN, tmp_path / "old.db")
    return f"sqlite:///{tmp_path / 'old.db'}"


@pytest.fixture
def v2(tmp_path: Path) -> str:
    shutil.copy(GOLDEN_V2, tmp_path / "v2.db")
    return f"sqlite:///{tmp_path / 'v2.db'}"


def test_opening_a_v1_database_is_refused_with_the_fix_and_writes_nothing(v1: str) -> None:
    before = Path(v1[len("sqlite:///"):]).read_bytes()
    with pytest.raises(caviar.SchemaVersionError, match="caviar db upgrade"):
        caviar.get_storage(v1)
    assert Path(v1[len("sqlite:///"):]).read_bytes() == before


def test_upgrade_keeps_every_trial_and_backfills_lineage(v1: str) -> None:
    assert current_version(v1) == 1
    assert upgrade(v1) == (1, SCHEMA_VERSION)
    study = caviar.load_study("golden-v1", storage=v1)
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 5 + ["fail", "complete"]
    assert trials[6].parent_id == trials[5].id  # the retry's lineage, from v1's system_attrs
    assert study.direction == "maximize" and set(study.space) == {"lr", "act"}
    curves = study.reports()
    assert all(len(c) == 3 for c in curves.values())
    # and the study goes on
    study.optimize(lambda t: t.params["lr"], n_trials=9)
    assert sum(t.state == "complete" for t in study.trials) == 9
    assert upgrade(v1) == (SCHEMA_VERSION, SCHEMA_VERSION)  # idempotent


def test_v1_reads_as_one_direction_after_upgrade(v1: str) -> None:
    upgrade(v1)
    study = caviar.load_study("golden-v1", storage=v1)
    assert study.directions == ("maximize",) and not study.is_multi_objective
    done = [t for t in study.trials if t.state == "complete"]
    assert all(t.values == (t.value,) for t in done)
    assert study.best_trials == [study.best_trial]


def test_opening_a_v2_database_is_refused_with_the_fix_and_writes_nothing(v2: str) -> None:
    before = Path(v2[len("sqlite:///"):]).read_bytes()
    with pytest.raises(caviar.SchemaVersionError, match=r"version 2 is older.*caviar db upgrade"):
        caviar.get_storage(v2)
    assert Path(v2[len("sqlite:///"):]).read_bytes() == before


def test_upgrade_v2_keeps_every_study_trial_report_and_lineage(v2: str) -> None:
    import sqlite3

    path = v2[len("sqlite:///"):]
    con = sqlite3.connect(path)
    old = con.execute("SELECT id, number, state, value, params, user_attrs, system_attrs, "
                      "error, counted, parent_id FROM caviar_trials ORDER BY id").fetchall()
    old_reports = con.execute("SELECT * FROM caviar_reports ORDER BY trial_id, step").fetchall()
    con.close()
    assert current_version(v2) == 2
    assert upgrade(v2) == (2, SCHEMA_VERSION)
    con = sqlite3.connect(path)
    new = con.execute("SELECT id, number, state, value, params, user_attrs, system_attrs, "
                      "error, counted, parent_id FROM caviar_trials ORDER BY id").fetchall()
    assert new == old and len(old) == 12
    assert con.execute("SELECT * FROM caviar_reports ORDER BY trial_id, step").fetchall() \
        == old_reports
    assert con.execute("SELECT name, directions FROM caviar_studies ORDER BY id").fetchall() \
        == [("golden-v2", '["maximize"]'), ("golden-v2-min", '["minimize"]')]
    con.close()
    study = caviar.load_study("golden-v2", storage=v2)
    assert study.direction == "maximize" and study.directions == ("maximize",)
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 5 + ["pruned", "fail", "fail", "complete"]
    assert trials[8].parent_id == trials[7].id and not trials[7].counted
    assert trials[5].values == (0.01,) and trials[6].values is None
    assert all(t.values == (t.value,) for t in trials if t.value is not None)
    assert study.best_value == max(t.value for t in trials if t.state == "complete")
    assert trials[0].user_attrs["act_used"] in ("relu", "tanh")
    assert caviar.load_study("golden-v2-min", storage=v2).best_trial.number in (0, 1, 2)
    # and both kinds of study go on: the old one, and a new one with several directions
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1.0, log=True), n_trials=10)
    assert sum(t.state == "complete" for t in study.trials) == 8
    mo = caviar.create_study("new-mo", storage=v2, directions=["maximize", "minimize"], seed=0)
    mo.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=4)
    again = caviar.load_study("new-mo", storage=v2)
    assert again.directions == ("maximize", "minimize")
    assert [t.values for t in again.trials] == [t.values for t in mo.trials]
    assert all(len(t.values or ()) == 2 for t in again.trials)
    assert upgrade(v2) == (SCHEMA_VERSION, SCHEMA_VERSION)  # idempotent


def test_cli_upgrade_v2(v2: str) -> None:
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "caviar", "db", "upgrade", v2], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "upgraded schema 2 -> 3" in out.stdout and "upgraded from 2" in out.stdout


def test_cli_upgrade(v1: str) -> None:
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "caviar", "db", "upgrade", v1], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "upgraded from 1" in out.stdout
    ver = subprocess.run([sys.executable, "-m", "caviar", "db", "version", v1], env=env,
                         capture_output=True, text=True, timeout=60).stdout
    assert f"database schema {SCHEMA_VERSION}" in ver


def _make_old(url: str, version: int) -> None:
    """Turn a current database into one an older caviar left (columns it did not have)."""
    import sqlalchemy as sa

    from caviar.storage import normalize_url

    eng = sa.create_engine(normalize_url(url))
    with eng.begin() as conn:
        conn.execute(sa.text("ALTER TABLE caviar_trials DROP COLUMN values_json"))
        conn.execute(sa.text("ALTER TABLE caviar_studies DROP COLUMN directions"))
        if version < 2:
            conn.execute(sa.text("DROP INDEX ix_caviar_trials_parent"))
            conn.execute(sa.text("ALTER TABLE caviar_trials DROP COLUMN parent_id"))
            conn.execute(sa.text("ALTER TABLE caviar_studies DROP COLUMN n_lost"))
        conn.execute(sa.text("UPDATE caviar_meta SET value = :v WHERE key = 'schema_version'"),
                     {"v": str(version)})
    eng.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("version", [1, 2])
def test_upgrade_on_postgresql(version: int) -> None:
    from pgsupport import POSTGRES_URL, postgres_schema

    with postgres_schema(POSTGRES_URL) as url:
        store = caviar.get_storage(url)
        study = caviar.create_study("pg-old", storage=store, seed=1, direction="maximize")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        before = [(t.number, t.state, t.value, t.params) for t in study.trials]
        store.close()
        _make_old(url, version)
        with pytest.raises(caviar.SchemaVersionError):
            caviar.get_storage(url)
        assert upgrade(url) == (version, SCHEMA_VERSION)
        loaded = caviar.load_study("pg-old", storage=url)
        assert [(t.number, t.state, t.value, t.params) for t in loaded.trials] == before
        assert loaded.directions == ("maximize",)
        assert all(t.values == (t.value,) for t in loaded.trials)
        mo = caviar.create_study("pg-mo", storage=url, directions=["minimize", "maximize"])
        mo.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0), n_trials=2)
        assert [len(t.values or ()) for t in caviar.load_study("pg-mo", storage=url).trials] \
            == [2, 2]
        assert upgrade(url) == (SCHEMA_VERSION, SCHEMA_VERSION)
