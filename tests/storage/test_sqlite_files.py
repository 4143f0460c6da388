"""SQLite specifics: WAL journal, foreign files, schema versions, URLs; nothing stored is lost."""

from __future__ import annotations

import sqlite3

import pytest

from caviar import SchemaVersionError, StorageError, create_study, get_storage, load_study
from caviar.storage.base import SCHEMA_VERSION


def make_study(url):
    study = create_study("kept", storage=url, seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    return [t.params for t in study.trials]


def assert_kept(url, params):
    study = load_study("kept", storage=url)
    assert [t.params for t in study.trials] == params
    assert study.counts() == {"complete": 3}


def test_database_is_in_wal_mode(sqlite_url, tmp_path):
    get_storage(sqlite_url)
    with sqlite3.connect(tmp_path / "c.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_text_file_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    with pytest.raises(StorageError) as e:
        get_storage(f"sqlite:///{path}")
    assert str(path) in str(e.value) and "not a database" in str(e.value)
    assert path.read_text() == "these are my notes, not a database\n" * 20


def foreign_db(path):
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO users (name) VALUES ('ada'), ('alan')")
    con.close()


def test_foreign_database_is_refused_untouched(tmp_path):
    path = tmp_path / "app.db"
    foreign_db(path)
    with pytest.raises(StorageError, match="is not a caviar database") as e:
        get_storage(f"sqlite:///{path}")
    assert str(path) in str(e.value) and "users" in str(e.value)
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert tables == ["users"]
        assert con.execute("SELECT name FROM users ORDER BY id").fetchall() == [("ada",),
                                                                               ("alan",)]
    con.close()


def test_foreign_database_journal_mode_is_unchanged(tmp_path):
    path = tmp_path / "app.db"
    foreign_db(path)
    with pytest.raises(StorageError):
        get_storage(f"sqlite:///{path}")
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_newer_schema_version_is_refused_and_data_kept(sqlite_url, tmp_path):
    params = make_study(sqlite_url)
    with sqlite3.connect(tmp_path / "c.db") as con:
        con.execute("UPDATE caviar_meta SET value='99' WHERE key='schema_version'")
    con.close()
    with pytest.raises(SchemaVersionError) as e:
        get_storage(sqlite_url)
    msg = str(e.value)
    assert "99" in msg and "newer caviar" in msg and "upgrade" in msg and "c.db" in msg
    with pytest.raises(SchemaVersionError):
        load_study("kept", storage=sqlite_url)
    with sqlite3.connect(tmp_path / "c.db") as con:
        con.execute("UPDATE caviar_meta SET value=? WHERE key='schema_version'",
                    (str(SCHEMA_VERSION),))
    con.close()
    assert_kept(sqlite_url, params)


@pytest.mark.parametrize("url, words", [
    ("sqlite:/x.db", ["'sqlite:/x.db'", "sqlite:///"]),
    ("sqlite://x.db", ["'sqlite://x.db'", "three slashes"]),
    ("foo://bar", ["'foo://bar'", "unknown scheme", "sqlite:///caviar.db"]),
    ("sqlite:///nonexistent_dir/x.db", ["nonexistent_dir", "does not exist", "create it"]),
    ("sqlite:///:memory:", ["'sqlite:///:memory:'", "PATH"]),
])
def test_malformed_urls(url, words, sqlite_url, tmp_path, monkeypatch):
    params = make_study(sqlite_url)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StorageError) as e:
        get_storage(url)
    for w in words:
        assert w in str(e.value)
    with pytest.raises(StorageError):
        create_study("kept", storage=url)
    assert {p.name for p in tmp_path.iterdir()} <= {"c.db", "c.db-shm", "c.db-wal"}
    assert_kept(sqlite_url, params)


def test_url_that_is_not_a_string():
    with pytest.raises(StorageError, match="must be a string, got 42"):
        get_storage(42)
