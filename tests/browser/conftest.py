"""Headless Debian Chromium driven by Playwright for Python (never a downloaded browser), and a
live dashboard served by uvicorn in a thread. Locally the tests skip without /usr/bin/chromium;
under CI=true they fail instead (`make test` installs chromium with apt-get)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import unavailable

CHROMIUM = os.environ.get("CAVIAR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: pip install playwright (never run "
                    "`playwright install`: the tests use Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Served:
    def __init__(self, url: str, server: Any, thread: threading.Thread) -> None:
        self.url, self.server, self.thread = url, server, thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def serve_dashboard(storage_url: str, **kw: Any) -> Served:
    import uvicorn

    from caviar.dashboard import bind, create_app
    from caviar.storage import get_storage

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(get_storage(storage_url), **kw)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           access_log=False))
    th = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    assert server.started, "the dashboard did not start"
    return Served(f"http://127.0.0.1:{port}", server, th)


@pytest.fixture
def dashboard_at() -> Iterator[Any]:
    served: list[Served] = []

    def start(storage_url: str, **kw: Any) -> str:
        s = serve_dashboard(storage_url, **kw)
        served.append(s)
        return s.url

    yield start
    for s in served:
        s.stop()
