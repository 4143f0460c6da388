"""The dashboard in a real browser: a live study's trial count rises, a click opens a trial,
screenshots are taken; hostile names show as text and run nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import start_python

import caviar

pytestmark = pytest.mark.browser

LIVE = """
import sys, time, caviar
def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    beta = trial.suggest_float("beta", 0.9, 0.999, scale="reverse_log")
    for s in range(5):
        trial.report(abs(lr - 0.01) * (5 - s) + (1 - beta), s)
    time.sleep(0.15)
    return abs(lr - 0.01) + (1 - beta)
study = caviar.create_study("live", storage=sys.argv[1], seed=0)
study.optimize(objective, n_trials=2000, timeout=120)
"""

XSS = "<img src=x onerror=alert(1)>"


def _count(page: Any) -> int:
    text = page.text_content("#trial-count") or "0"
    return int(text) if text.isdigit() else 0


def test_live_study_count_rises_and_trial_opens(browser: Any, dashboard_at: Any,
                                                tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "live.db")
    proc = start_python(LIVE, url)
    try:
        caviar.create_study("live", storage=url)  # so the page has a study from the start
        base = dashboard_at(url)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/")
        page.wait_for_selector("a.study-link")
        page.click("a.study-link")
        page.wait_for_function("Number(document.querySelector('#trial-count')"
                               " && document.querySelector('#trial-count').textContent) > 0",
                               timeout=30000)
        first = _count(page)
        page.wait_for_function(f"Number(document.querySelector('#trial-count').textContent)"
                               f" > {first + 2}", timeout=30000)
        assert _count(page) > first  # the study runs and the page follows it live
        page.wait_for_selector("#fig-history .main-svg", timeout=20000)
        page.wait_for_selector("#trials tr.row", timeout=20000)
        page.screenshot(path=str(tmp_path / "study.png"), full_page=True)
        page.click("#trials tr.row")  # the table moves on live: read the number it opened
        page.wait_for_selector("#trial-title", timeout=20000)
        number = page.url.rsplit("/", 1)[1]
        assert re.fullmatch(rf"Trial {number} of live", page.text_content("#trial-title") or "")
        page.wait_for_selector("#fig-trial .main-svg", timeout=20000)
        page.screenshot(path=str(tmp_path / "trial.png"), full_page=True)
        assert (tmp_path / "trial.png").stat().st_size > 10_000
        assert not errors, errors
    finally:
        proc.kill()
        proc.wait(10)


def test_hostile_names_show_as_text_and_run_nothing(browser: Any, dashboard_at: Any,
                                                    tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "xss.db")
    name = "<script>alert(2)</script>"
    study = caviar.create_study(name, storage=url, seed=0)

    def objective(trial: Any) -> float:
        x = trial.suggest_float(XSS, 0.0, 1.0)
        trial.suggest_categorical("act", [XSS, "relu"])
        trial.report(x, 0)
        if trial.number == 3:
            raise ValueError("bad <img src=x onerror=alert(3)>")
        return x

    study.optimize(objective, n_trials=12)
    trial_id = study.trials[0].id
    study.storage.add_event(trial_id, "nudge", {"param": XSS, "factor": 0.5, "step": 0})
    base = dashboard_at(url, allow_control=True)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + "/")
    page.wait_for_selector("a.study-link")
    assert page.text_content("a.study-link") == name
    page.click("a.study-link")
    page.wait_for_selector("#trials tr.row")
    page.wait_for_selector("#fig-param-0 .main-svg")
    header = page.text_content("#trials tr") or ""
    assert XSS in header  # the param name, shown as text
    assert "bad <img src=x onerror=alert(3)>" in (page.text_content("#trials") or "")
    page.select_option("#state-filter", "fail")
    page.wait_for_function("document.querySelectorAll('#trials tr.row').length === 1")
    page.goto(base + f"/#/study/{page.evaluate('n => encodeURIComponent(n)', name)}/trial/0")
    page.wait_for_selector("#trial-title")
    page.wait_for_selector("#fig-trial .main-svg")
    assert XSS in (page.text_content("#params") or "")
    assert XSS in (page.text_content("#events") or "")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('#view script').length") == 0
