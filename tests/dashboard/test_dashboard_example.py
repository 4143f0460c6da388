"""examples/dashboard.py tunes a study into SQLite, serves the dashboard on a free port, reads
what the page reads first and stops, without blocking."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from examplesupport import load_example

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")


def test_the_example_serves_its_study_once_and_stops(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    module = load_example("dashboard")
    t0 = time.perf_counter()
    seen = module.main("sqlite:///" + str(tmp_path / "d.db"), once=True, n_trials=25)
    assert time.perf_counter() - t0 < 60
    assert '<script src="/static/dashboard.js">' in seen["page"]
    s = seen["summary"]
    assert s["n_trials"] == 25 and s["counts"] == {"complete": 25}
    assert set(s["space"]) == {"lr", "beta", "units"}
    rows = seen["table"]["rows"]
    values = [r["value"] for r in rows]
    assert values == sorted(values) and rows[0]["number"] == s["best"]["number"]
    drawn = {d["name"]: d for d in seen["history"]["data"]}
    assert len(drawn["complete"]["x"]) == 25
    out = capsys.readouterr().out
    assert "25 trials" in out and "stopped (--once)" in out
    # the server is stopped: nothing listens on its port after main() returns
    port = int(seen["url"].rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
