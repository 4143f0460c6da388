"""The control token in a real browser: the page takes it from the URL once, keeps it in
sessionStorage, sends it with every control; a tab without it is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import caviar

pytestmark = pytest.mark.browser

TOKEN = "browser-token-0123456789"


def test_the_page_sends_the_token_it_was_opened_with(browser: Any, dashboard_at: Any,
                                                     tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "t.db")
    study = caviar.create_study("s", storage=url, seed=0)
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1, log=True), n_trials=2)
    running = study.ask()
    study.storage.heartbeat([running.id])
    base = dashboard_at(url, allow_control=True, token=TOKEN)
    trial_page = f"{base}/#/study/s/trial/{running.number}"

    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{base}/#token={TOKEN}")
    page.wait_for_selector("a.study-link")
    assert "token" not in page.url  # taken out of the address bar
    assert page.evaluate("sessionStorage.getItem('caviar-token')") == TOKEN
    page.goto(trial_page)
    page.wait_for_selector("#ctl-stop")
    assert page.query_selector("#token-missing") is None
    page.click("#ctl-stop")
    page.wait_for_function("document.querySelector('#control-msg').textContent !== ''")
    assert page.text_content("#control-msg") == "recorded: stop"
    assert [e.kind for e in study.storage.get_events(running.id)] == ["stop"]
    ctx.close()

    other = browser.new_context()  # a tab that never saw the token
    page = other.new_page()
    page.goto(trial_page)
    page.wait_for_selector("#ctl-pause")
    assert "token" in (page.text_content("#token-missing") or "")
    page.click("#ctl-pause")
    page.wait_for_function("document.querySelector('#control-msg').textContent !== ''")
    assert "needs this dashboard's token" in (page.text_content("#control-msg") or "")
    assert [e.kind for e in study.storage.get_events(running.id)] == ["stop"]
    other.close()
