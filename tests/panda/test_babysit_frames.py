"""The babysat run's last frame says how it ended; `caviar babysit --mlp` runs long enough to
watch by default (60 epochs of at least 0.5 s) and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from rich.console import Console
from tests.panda.test_control import make_objective

import caviar
from caviar import panda
from caviar.cli.main import cli


def test_the_last_frame_says_the_final_state(tmp_path: Path) -> None:
    study = caviar.create_study("p", storage="sqlite:///" + str(tmp_path / "p.db"))
    out = Console(record=True, force_terminal=True, width=100)
    frozen = panda.babysit(study, make_objective(epochs=4), params={"lr": 0.1, "width": 2},
                           console=out)
    assert frozen.state == "complete"
    text = out.export_text()
    last = text[text.rindex("babysitting trial"):]  # the final frame of the live panel
    assert f"complete, value {frozen.value:.4g}" in last
    assert "running" not in last.split("\n")[1]


def test_mlp_default_is_long_enough_to_watch(tmp_path: Path, monkeypatch: Any) -> None:
    """The CLI's defaults reach the babysitter; the training itself is replaced by a loop over
    the epochs it was given (the real MLP run is tested in test_babysit_e2e)."""
    from caviar.adapters.babysit import MLPTarget

    seen: dict[str, Any] = {}

    def train(self: MLPTarget, trial: Any) -> float:
        ctrl = trial._panda
        seen["min_epoch_seconds"], ctrl.min_epoch_seconds = ctrl.min_epoch_seconds, 0.0
        trial.suggest_float("lr", 1e-5, 1.0, log=True)
        for epoch in range(self.epochs):
            trial.report(0.5 + epoch / 1000 * trial.hyper("lr"), epoch)
        return 0.5
    monkeypatch.setattr(MLPTarget, "__call__", train)
    url = "sqlite:///" + str(tmp_path / "b.db")
    r = CliRunner().invoke(cli, ["babysit", "--mlp", "--data", "digits", "--storage", url])
    assert r.exit_code == 0, r.output
    assert "runs 60 epochs of caviar.nn's batch-norm MLP on digits, each at least 0.5 s " \
        "(about 30 s" in " ".join(r.output.split())
    assert seen["min_epoch_seconds"] == 0.5
    t = caviar.load_study("babysit", storage=url).trials[0]
    assert t.system_attrs["babysit"]["epochs"] == 60 and len(t.user_attrs["schedule"]) == 60
    help_text = CliRunner().invoke(cli, ["babysit", "--help"]).output
    assert "60 epochs of at least 0.5 s each" in " ".join(help_text.split())
