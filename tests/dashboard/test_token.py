"""Controls reachable beyond loopback need a token: the real app (TestClient) and the real
`caviar dashboard` command serving over uvicorn."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

import httpx
from starlette.testclient import TestClient

import caviar
from caviar.dashboard import create_app
from caviar.errors import UsageError

TOKEN = "t0ken-of-at-least-16-chars"
CONTROL = {"X-Caviar-Control": "1"}


@pytest.fixture
def running(tmp_path: Path) -> tuple[caviar.Study, Any]:
    s = caviar.create_study("s", storage="sqlite:///" + str(tmp_path / "d.db"), seed=0)
    s.optimize(lambda t: t.suggest_float("lr", 1e-4, 1, log=True), n_trials=3)
    t = s.ask()
    s.storage.heartbeat([t.id])
    return s, t


def events(study: caviar.Study, trial: Any) -> list[str]:
    return [e.kind for e in study.storage.get_events(trial.id)]


def test_a_control_without_the_token_is_refused_and_changes_nothing(running: Any) -> None:
    study, t = running
    c = TestClient(create_app(study.storage, allow_control=True, token=TOKEN))
    body = {"study": "s", "number": t.number, "action": "stop"}
    r = c.post("/api/control", json=body, headers=CONTROL)
    assert r.status_code == 401 and "token" in r.json()["error"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    for wrong in ({"Authorization": "Bearer " + TOKEN[:-1] + "x"},
                  {"X-Caviar-Token": TOKEN + "x"}, {"Authorization": TOKEN}):
        r = c.post("/api/control", json=body, headers={**CONTROL, **wrong})
        assert r.status_code in (401, 403), wrong
    assert events(study, t) == []  # nothing recorded
    ok = c.post("/api/control", json=body, headers={**CONTROL, "Authorization": "Bearer " + TOKEN})
    assert ok.status_code == 200 and ok.json()["action"] == "stop"
    ok = c.post("/api/control", json={**body, "action": "pause"},
                headers={**CONTROL, "X-Caviar-Token": TOKEN})
    assert ok.status_code == 200
    assert events(study, t) == ["stop", "pause"]
    # reads stay open, and tell the page a token is needed
    page = c.get("/api/trial", params={"study": "s", "number": t.number}).json()
    assert page["allow_control"] is True and page["needs_token"] is True


def test_loopback_without_controls_is_unchanged(running: Any) -> None:
    study, t = running
    c = TestClient(create_app(study.storage, allowed_hosts=["127.0.0.1", "localhost"]),
                   base_url="http://127.0.0.1")
    body = {"study": "s", "number": t.number, "action": "stop"}
    assert c.post("/api/control", json=body, headers=CONTROL).status_code == 403
    assert c.get("/api/studies").json()["needs_token"] is False
    evil = TestClient(create_app(study.storage, allowed_hosts=["127.0.0.1", "localhost"]),
                      base_url="http://evil.example")
    assert evil.get("/api/studies").status_code == 400  # the Host check is on
    assert events(study, t) == []


def test_a_short_token_is_refused(running: Any) -> None:
    with pytest.raises(UsageError, match="16"):
        create_app(running[0].storage, allow_control=True, token="short")


def start(*args: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    """Run `caviar dashboard ARGS` and return it once it printed where it listens (and, with
    --allow-control beyond loopback, the token)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    p = subprocess.Popen([sys.executable, "-m", "caviar", "dashboard", "--port", "0", *args],
                         cwd=cwd, env=env, text=True, stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL)
    lines: list[str] = []
    assert p.stderr is not None
    threading.Thread(target=lambda: lines.extend(p.stderr), daemon=True).start()  # type: ignore
    deadline = time.monotonic() + 60
    while not ("Ctrl-C" in "".join(lines) and "open: " in "".join(lines)):
        if p.poll() is not None or time.monotonic() > deadline:
            stop(p)
            raise AssertionError("the dashboard did not print its token: " + "".join(lines))
        time.sleep(0.05)
    return p, "".join(lines)


def stop(p: subprocess.Popen[str]) -> None:
    p.send_signal(signal.SIGTERM)  # uvicorn shuts down on it (SIGINT may be ignored here)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def test_caviar_dashboard_on_every_interface_prints_and_requires_a_token(
        running: Any, tmp_path: Path) -> None:
    study, t = running
    p, said = start("--storage", study.storage.url, "--host", "0.0.0.0", "--allow-control",
                    cwd=tmp_path)
    try:
        assert "warning: controls are reachable from the network" in said
        port = re.search(r"on http://0\.0\.0\.0:(\d+)/", said).group(1)  # type: ignore[union-attr]
        token = re.search(r"token: (\S+)", said).group(1)  # type: ignore[union-attr]
        assert len(token) >= 32 and f":{port}/#token={token}" in said
        url = f"http://127.0.0.1:{port}/api/control"
        body = {"study": "s", "number": t.number, "action": "stop"}
        # another Host name is fine beyond loopback: the token is the protection
        r = httpx.post(url, json=body, headers={**CONTROL, "Host": "tuning-box.lan"})
        assert r.status_code == 401
        assert events(study, t) == []
        r = httpx.post(url, json=body, headers={**CONTROL, "Host": "tuning-box.lan",
                                                "Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and events(study, t) == ["stop"]
    finally:
        stop(p)


def test_caviar_dashboard_with_an_explicit_token(running: Any, tmp_path: Path) -> None:
    study, t = running
    p, said = start("--storage", study.storage.url, "--host", "0.0.0.0", "--allow-control",
                    "--token", TOKEN, cwd=tmp_path)
    try:
        port = re.search(r"on http://0\.0\.0\.0:(\d+)/", said).group(1)  # type: ignore[union-attr]
        assert f"token: {TOKEN}" in said
        url = f"http://127.0.0.1:{port}/api/control"
        body = {"study": "s", "number": t.number, "action": "pause"}
        assert httpx.post(url, json=body, headers={**CONTROL, "X-Caviar-Token": "x" * 20}
                          ).status_code == 403
        assert httpx.post(url, json=body, headers={**CONTROL, "X-Caviar-Token": TOKEN}
                          ).status_code == 200
        assert events(study, t) == ["pause"]
    finally:
        stop(p)


def test_token_without_controls_is_a_usage_error(running: Any, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    r = subprocess.run([sys.executable, "-m", "caviar", "dashboard", "--storage",
                        running[0].storage.url, "--token", TOKEN], cwd=tmp_path, env=env,
                       text=True, capture_output=True, timeout=60)
    assert r.returncode == 2 and "--allow-control" in r.stderr and "Traceback" not in r.stderr
