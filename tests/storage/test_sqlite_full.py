"""A SQLite database that cannot grow (a full disk, as SQLite reports it) fails the write with
a StorageError naming the storage and the cause; what was committed before stays."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from caviar import StorageError, get_storage


def test_a_full_database_fails_writes_with_a_storage_error(sqlite_url, tmp_path):
    store = get_storage(sqlite_url)
    sid = store.create_study("s", direction="minimize", sampler={}, space={}).id
    store.create_trials(sid, 2)
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    store.close()  # the connections opened from now on may not grow the file: SQLITE_FULL

    @event.listens_for(store.engine, "connect")
    def _cap(dbapi_conn, _rec):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    big = [{"blob": "x" * 200_000}]
    for write in (lambda: store.create_trials(sid, 1, params=big),
                  lambda: store.set_study_attr(sid, "notes", "x" * 200_000)):
        with pytest.raises(StorageError) as e:
            write()
        msg = str(e.value)
        assert f"storage {sqlite_url!r}" in msg and str(tmp_path / "c.db") in msg
        assert "the disk is full (database or disk is full)" in msg
        assert "free some space" in msg and "run the same command again" in msg
    assert [t.number for t in store.get_trials(sid)[0]] == [0, 1]
    store.close()
