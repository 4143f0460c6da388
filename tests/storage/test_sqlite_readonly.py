"""Read-only and missing SQLite databases: reading works, writing and creating are refused
with a StorageError naming the file, nothing stored is touched.

File permissions do not stop root, so when the suite runs as root each scenario runs in a
child process without the capabilities that override them (CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH dropped from its bounding set): a real process that may not write.
"""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from caviar import StorageError, get_storage
from caviar.storage.sql import SQLStorage
from caviar.storage.sql.migrations import current_version
from caviar.trial_record import COMPLETE, TrialUpdate

SRC = str(Path(__file__).resolve().parents[2] / "src")
_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


def _drop_file_powers() -> None:
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed: the test cannot "
                          "make a process that file permissions stop")


def as_reader(code: str, *args: str, stdin: str | None = None) -> Any:
    """Run ``code`` in a process that file permissions apply to; its last stdout line, as
    JSON."""
    res = subprocess.run([sys.executable, "-c", code, *args], preexec_fn=_drop_file_powers,
                         env={**os.environ, "PYTHONPATH": SRC}, input=stdin, text=True,
                         capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def fill(url: str) -> tuple[int, list[int]]:
    store = get_storage(url)
    sid = store.create_study("kept", direction="minimize", sampler={"name": "random"},
                             space={}).id
    ts = store.create_trials(sid, 3, params=[{"x": i} for i in range(3)])
    store.add_reports([(ts[0].id, 0, 0.5), (ts[0].id, 1, 0.25)])
    store.finish_trials([TrialUpdate(ts[0].id, COMPLETE, 0.25)])
    store.close()
    return sid, [t.id for t in ts]


READ_THEN_WRITE = """
import json, sys
from caviar import StorageError, get_storage
store = get_storage(sys.argv[1], create=False)
rec = store.get_study("kept")
out = {"studies": [s.name for s in store.list_studies()],
       "states": [t.state for t in store.get_trials(rec.id)[0]],
       "reports": store.get_reports(rec.id), "version": store.schema_version}
for name, write in [("create", lambda: store.create_trials(rec.id, 1)),
                    ("finish", lambda: store.finish_trials([])),
                    ("attr", lambda: store.set_study_attr(rec.id, "k", 1)),
                    ("study", lambda: store.create_study("new", direction="minimize",
                                                         sampler={}, space={}))]:
    try:
        write()
        out[name] = "written" if name != "finish" else "nothing to write"
    except StorageError as e:
        out[name] = str(e)
print(json.dumps(out))
"""


def check_read_then_write(got: dict, refused: str) -> None:
    assert got["studies"] == ["kept"]
    assert got["states"] == ["complete", "running", "running"]
    assert [tuple(r) for r in got["reports"]] == [(got["reports"][0][0], 0, 0.5),
                                                   (got["reports"][0][0], 1, 0.25)]
    assert got["version"] >= 2
    assert got["finish"] == "nothing to write"
    for name in ("create", "attr", "study"):
        assert refused in got[name] and "read-only" in got[name], got[name]
        assert "cannot write" in got[name] and "Traceback" not in got[name]


def test_a_read_only_file_is_read_and_a_write_names_it(sqlite_url, tmp_path):
    fill(sqlite_url)
    db = tmp_path / "c.db"
    db.chmod(0o444)
    before = db.read_bytes()
    got = as_reader(READ_THEN_WRITE, sqlite_url)
    check_read_then_write(got, f"the file {db} is read-only")
    assert db.read_bytes() == before


def test_a_read_only_folder_is_read_and_a_write_names_it(sqlite_url, tmp_path):
    fill(sqlite_url)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.db"]  # closed cleanly: no WAL
    tmp_path.chmod(0o555)
    try:
        got = as_reader(READ_THEN_WRITE, sqlite_url)
    finally:
        tmp_path.chmod(0o755)
    check_read_then_write(got, f"its folder {tmp_path} is read-only")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.db"]


def test_a_read_only_folder_with_commits_still_in_the_wal_reads_them(sqlite_url, tmp_path):
    fill(sqlite_url)
    writer = get_storage(sqlite_url)  # stays open: the next commit stays in c.db-wal
    sid = writer.get_study("kept").id
    writer.create_trials(sid, 2)
    assert (tmp_path / "c.db-wal").stat().st_size > 0
    tmp_path.chmod(0o555)
    (tmp_path / "c.db").chmod(0o444)
    try:
        got = as_reader(READ_THEN_WRITE, sqlite_url)
    finally:
        tmp_path.chmod(0o755)
        writer.close()
    assert got["states"] == ["complete"] + ["running"] * 4
    assert "read-only" in got["create"]


MID_WAY = """
import json, sys, threading
from caviar import StorageError, get_storage
store = get_storage(sys.argv[1])
sid = store.get_study("kept").id
store.create_trials(sid, 1)
print("ready", flush=True)
sys.stdin.readline()  # the parent makes the file read-only now
store.engine.dispose()  # the pool's connections were opened before: new ones see the mode
out = {}
def in_a_new_thread():
    try:
        store.create_trials(sid, 1)
        out["thread"] = "written"
    except StorageError as e:
        out["thread"] = str(e)
t = threading.Thread(target=in_a_new_thread)
t.start(); t.join()
try:
    store.set_study_attr(sid, "k", 1)
    out["core"] = "written"
except StorageError as e:
    out["core"] = str(e)
out["count"] = len(get_storage(sys.argv[1]).get_trials(sid)[0])
print(json.dumps(out))
"""


def test_a_file_made_read_only_mid_way_fails_writes_with_a_storage_error(sqlite_url, tmp_path):
    fill(sqlite_url)
    db = tmp_path / "c.db"
    proc = subprocess.Popen([sys.executable, "-c", MID_WAY, sqlite_url],
                            preexec_fn=_drop_file_powers, env={**os.environ, "PYTHONPATH": SRC},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready"
        db.chmod(0o444)
        out, err = proc.communicate("go\n", timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    got = json.loads(out.strip().splitlines()[-1])
    for where in ("thread", "core"):
        assert f"storage {sqlite_url!r}" in got[where], got[where]
        assert f"the file {db} is read-only" in got[where]
        assert "attempt to write a readonly database" in got[where]
    assert got["count"] == 4  # the three of fill() and the one before the chmod


def test_create_false_refuses_a_missing_file_and_creates_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    for opener in (lambda: get_storage(url, create=False), lambda: SQLStorage(url, create=False)):
        with pytest.raises(StorageError) as e:
            opener()
        assert f"no database at '{tmp_path / 'typo.db'}'" in str(e.value)
        assert "check the path or run caviar tune first" in str(e.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StorageError, match="no database at"):
        current_version(url)
    assert list(tmp_path.iterdir()) == []


def test_create_false_refuses_an_empty_file_and_leaves_it_empty(tmp_path):
    (tmp_path / "empty.db").touch()
    with pytest.raises(StorageError, match=r"no database at '.*empty\.db' \(the file is empty\)"):
        get_storage(f"sqlite:///{tmp_path / 'empty.db'}", create=False)
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_create_false_names_a_relative_path_as_written_and_where_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StorageError) as e:
        get_storage("sqlite:///caviar.db", create=False)
    assert f"no database at 'caviar.db' ({tmp_path / 'caviar.db'})" in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_create_false_opens_an_existing_database(sqlite_url):
    sid, _ = fill(sqlite_url)
    store = get_storage(sqlite_url, create=False)
    assert store.get_study("kept").id == sid
    store.create_trials(sid, 1)  # a writable file: create=False only stops creating it
    assert len(store.get_trials(sid)[0]) == 4


def test_db_version_on_a_text_file_names_it(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    with pytest.raises(StorageError) as e:
        current_version(f"sqlite:///{path}")
    assert str(path) in str(e.value) and "not a SQLite database" in str(e.value)
    assert path.read_text() == "not a database\n" * 100
    res = subprocess.run([sys.executable, "-m", "caviar", "db", "version", f"sqlite:///{path}"],
                         env={**os.environ, "PYTHONPATH": SRC}, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode != 0
    assert str(path) in res.stderr and "Traceback" not in res.stderr


def test_db_version_reads_a_read_only_file(sqlite_url, tmp_path):
    fill(sqlite_url)
    (tmp_path / "c.db").chmod(0o444)
    got = as_reader("import json, sys\nfrom caviar.storage.sql.migrations import "
                    "current_version\nprint(json.dumps(current_version(sys.argv[1])))",
                    sqlite_url)
    with sqlite3.connect(tmp_path / "c.db") as con:
        stored = int(con.execute("SELECT value FROM caviar_meta "
                                 "WHERE key = 'schema_version'").fetchone()[0])
    con.close()
    assert got == stored
