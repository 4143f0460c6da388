"""A lost PostgreSQL connection does not abort the run: every storage call reconnects and runs
its transaction again; only a server that stays away raises a StorageError that says so.

Connections are cut for real: ``pg_terminate_backend`` on this test's own connections (they
carry the schema's name as application_name; other tests share the server), and a TCP relay
in front of the server that drops every connection and refuses new ones, as a restart does.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest

import caviar
import caviar.storage.sql.retry as retry
from caviar import StorageError, get_storage
from caviar.trial_record import COMPLETE, RUNNING, TrialUpdate

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    from pgsupport import POSTGRES_URL, postgres_schema

    with postgres_schema(POSTGRES_URL) as url:
        yield url


def cut(url: str) -> int:
    from pgsupport import terminate_backends

    return terminate_backends(url)


def test_every_call_survives_its_connections_being_terminated(pg_url, caplog):
    caplog.set_level(logging.WARNING)
    store = get_storage(pg_url)
    sid = store.create_study("s", direction="minimize", sampler={"name": "random"},
                             space={}).id
    first = store.create_trials(sid, 3, params=[{"x": i} for i in range(3)])
    store.add_reports([(first[0].id, 0, 1.0)])
    assert cut(pg_url) >= 1
    made = store.create_trials(sid, 2)
    assert cut(pg_url) >= 1
    assert store.finish_trials([TrialUpdate(first[0].id, COMPLETE, 0.5),
                                TrialUpdate(made[0].id, COMPLETE, 0.25)]) == [True, True]
    assert cut(pg_url) >= 1
    store.heartbeat([first[1].id], {first[1].id: {"x": 11}})
    assert cut(pg_url) >= 1
    applied, more = store.finish_and_create([TrialUpdate(first[2].id, COMPLETE, 2.0)], sid, 1)
    assert applied == [True] and [t.number for t in more] == [5]
    assert cut(pg_url) >= 1
    store.add_reports([(first[1].id, 0, 3.0)])
    assert cut(pg_url) >= 1
    assert store.claim(sid, "grid", 2) == 0
    assert cut(pg_url) >= 1
    ts, seq = store.get_trials(sid)
    assert cut(pg_url) >= 1
    assert store.get_study("s").sampler == {"name": "random"}
    assert cut(pg_url) >= 1
    assert [s.n_trials for s in store.list_studies()] == [6]
    assert cut(pg_url) >= 1
    assert store.get_reports(sid) == [(first[0].id, 0, 1.0), (first[1].id, 0, 3.0)]
    assert cut(pg_url) >= 1
    store.set_sampler(sid, {"name": "tpe"})
    assert [t.number for t in ts] == [0, 1, 2, 3, 4, 5] and seq > 0
    assert [t.state for t in ts] == [COMPLETE, RUNNING, COMPLETE, COMPLETE, RUNNING, RUNNING]
    assert [t.value for t in ts] == [0.5, None, 2.0, 0.25, None, None]
    assert ts[1].params == {"x": 11}
    assert store.claim(sid, "grid", 1) == 2
    store.close()
    # no tracebacks were logged (a dead connection is closed quietly; psycopg may warn in
    # one line that it dropped a pipeline it could not finish)
    assert [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR or r.exc_info] == []
    # and a fresh storage sees the same
    again = get_storage(pg_url)
    assert [t.state for t in again.get_trials(sid)[0]] == [t.state for t in ts]
    assert again.get_study("s").sampler == {"name": "tpe"}
    again.close()


def test_a_thread_of_its_own_reconnects_too(pg_url):
    store = get_storage(pg_url)
    sid = store.create_study("s", direction="minimize", sampler={}, space={}).id
    errors: list[BaseException] = []
    numbers: list[int] = []

    def worker() -> None:
        try:
            for _ in range(20):
                numbers.extend(t.number for t in store.create_trials(sid, 1))
                time.sleep(0.01)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    cuts = 0
    while any(t.is_alive() for t in threads):
        cuts += cut(pg_url) > 0
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert errors == []
    assert cuts >= 2
    assert sorted(numbers) == list(range(60))
    store.close()


def objective(trial: caviar.Trial) -> float:
    time.sleep(0.04)
    return trial.suggest_float("x", 0.0, 1.0)


def test_a_two_worker_run_survives_its_connections_being_terminated_again_and_again(pg_url):
    study = caviar.create_study("cut", storage=pg_url, seed=3)
    done = threading.Event()
    cuts: list[int] = []

    def cutter() -> None:
        time.sleep(0.3)
        while not done.is_set():
            cuts.append(cut(pg_url))
            done.wait(0.25)

    t = threading.Thread(target=cutter, daemon=True)
    t.start()
    try:
        study.optimize(objective, n_trials=40, workers=2)
    finally:
        done.set()
        t.join()
    assert sum(1 for c in cuts if c > 0) >= 3, cuts  # the run really lost connections
    store = get_storage(pg_url)
    ts, _ = store.get_trials(store.get_study("cut").id)
    counted = [x for x in ts if x.counted and x.state != RUNNING]
    assert len(counted) == 40
    assert [x for x in ts if x.state == RUNNING] == []
    assert len({x.number for x in ts}) == len(ts)
    store.close()


# --------------------------------------------------------------------------- a server that goes
class Relay:
    """A TCP relay to the PostgreSQL server. ``stop()`` drops every connection and refuses new
    ones, as a restarting server does; ``start()`` serves again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.generation = 0  # how many times it started
        self.accepted: list[int] = []  # the generation each connection was accepted in

    def start(self) -> None:
        self.generation += 1
        ln = socket.socket()
        ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ln.bind(("127.0.0.1", self.port))
        ln.listen(16)
        self._listener = ln
        threading.Thread(target=self._accept, args=(ln,), daemon=True).start()

    def _accept(self, ln: socket.socket) -> None:
        while True:
            try:
                client, _ = ln.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.accepted.append(self.generation)
            with self._lock:
                self._socks += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way
        self._listener.close()
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.fixture
def relayed(pg_url) -> Iterator[tuple[Relay, str]]:
    parts = urllib.parse.urlsplit(pg_url)
    relay = Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    relay.start()
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{relay.port}"
    url = parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host).geturl()
    yield relay, url
    relay.stop()


def test_a_server_back_within_the_window_loses_nothing(relayed):
    relay, url = relayed
    store = get_storage(url)
    sid = store.create_study("s", direction="minimize", sampler={}, space={}).id
    store.create_trials(sid, 2)
    relay.stop()
    threading.Timer(0.6, relay.start).start()
    made = store.create_trials(sid, 3)  # waits for the server, then runs once
    assert relay.generation == 2 and relay.accepted[-1] == 2  # it ran on a new connection
    assert [t.number for t in made] == [2, 3, 4]
    assert [t.number for t in store.get_trials(sid)[0]] == [0, 1, 2, 3, 4]
    store.close()


def test_a_server_that_stays_away_raises_a_storage_error_and_nothing_is_lost(relayed,
                                                                          monkeypatch):
    relay, url = relayed
    store = get_storage(url)
    sid = store.create_study("s", direction="minimize", sampler={}, space={}).id
    ts = store.create_trials(sid, 2)
    relay.stop()
    monkeypatch.setattr(retry, "RECONNECT_WINDOW_S", 0.8)
    n_accepted = len(relay.accepted)
    with pytest.raises(StorageError) as e:
        store.finish_trials([TrialUpdate(ts[0].id, COMPLETE, 1.0)])
    msg = str(e.value)
    assert f"127.0.0.1:{relay.port}" in msg and "did not answer for 0.8 s" in msg
    assert "check that PostgreSQL is running" in msg and "run the same command again" in msg
    assert e.value.__cause__ is None and e.value.__suppress_context__
    assert len(relay.accepted) == n_accepted  # the server was really away
    relay.start()
    assert store.finish_trials([TrialUpdate(ts[0].id, COMPLETE, 1.0)]) == [True]
    assert [t.state for t in store.get_trials(sid)[0]] == [COMPLETE, RUNNING]
    store.close()


@pytest.mark.parametrize("userinfo", ["root", "root:s3cret"])
def test_an_unreachable_server_raises_a_clear_storage_error(userinfo, monkeypatch):
    monkeypatch.setattr(retry, "RECONNECT_WINDOW_S", 0.5)
    with pytest.raises(StorageError) as e:
        get_storage(f"postgresql://{userinfo}@127.0.0.1:1/test")
    msg = str(e.value)
    assert msg.startswith("storage postgresql://root")
    assert "127.0.0.1:1/test: the server did not answer for 0.5 s (connection refused)" in msg
    assert "check that PostgreSQL is running" in msg
    assert "then run the same command again to resume" in msg
    assert "s3cret" not in msg and "psycopg" not in msg and "Traceback" not in msg
    assert e.value.__cause__ is None and e.value.__suppress_context__
