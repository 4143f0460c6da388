"""`caviar db upgrade` brings a stored v1 database to the current schema, losing nothing."""

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
SRC = str(Path(caviar.__file__).resolve().parents[1])


@pytest.fixture
def v1(tmp_path: Path) -> str:
    shutil.copy(GOLDEN, tmp_path / "old.db")
    return f"sqlite:///{tmp_path / 'old.db'}"


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


def test_cli_upgrade(v1: str) -> None:
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "caviar", "db", "upgrade", v1], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "upgraded from 1" in out.stdout
    ver = subprocess.run([sys.executable, "-m", "caviar", "db", "version", v1], env=env,
                         capture_output=True, text=True, timeout=60).stdout
    assert f"database schema {SCHEMA_VERSION}" in ver


@pytest.mark.postgres
def test_upgrade_on_postgresql() -> None:
    from pgsupport import POSTGRES_URL, postgres_schema

    with postgres_schema(POSTGRES_URL) as url:
        store = caviar.get_storage(url)
        study = caviar.create_study("pg-old", storage=store, seed=1)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        store.close()
        # make it a v1 database, as an older caviar left it
        import sqlalchemy as sa

        from caviar.storage import normalize_url

        eng = sa.create_engine(normalize_url(url))
        with eng.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_caviar_trials_parent"))
            conn.execute(sa.text("ALTER TABLE caviar_trials DROP COLUMN parent_id"))
            conn.execute(sa.text("ALTER TABLE caviar_studies DROP COLUMN n_lost"))
            conn.execute(sa.text("UPDATE caviar_meta SET value = '1' "
                                 "WHERE key = 'schema_version'"))
        eng.dispose()
        with pytest.raises(caviar.SchemaVersionError):
            caviar.get_storage(url)
        assert upgrade(url) == (1, SCHEMA_VERSION)
        assert len(caviar.load_study("pg-old", storage=url).trials) == 3
