"""A retry resumes from the checkpoint of the trial it retries only when it runs with that
trial's stored params (real SQLite storage and artifacts): weights trained under other
params are never taken as its own."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import caviar  # noqa: E402
from caviar.adapters import torch_resume  # noqa: E402


def test_a_retry_resumes_only_from_a_trial_with_its_params(tmp_path):
    study = caviar.create_study("p", storage=f"sqlite:///{tmp_path / 'p.db'}", seed=0)
    old = study.ask()
    lr = old.suggest_float("lr", 1e-3, 1e-1, log=True)
    model = torch.nn.Linear(3, 2)
    state = {"state_dict": model.state_dict(), "optimizer": {"m": torch.zeros(2, 3)}}
    old.checkpoint(torch_resume.payload(state, 1, [0.5, 0.6], [1.0, 0.9]), step=1)
    study.tell(old, state="fail", error="worker lost", counted=False)

    retry = study.ask()  # the study gives the lost trial's params to a new trial
    assert retry.suggest_float("lr", 1e-3, 1e-1, log=True) == lr
    assert retry.system_attrs["retry_of_id"] == old.id
    found = torch_resume.find(study, retry)
    assert found is not None
    got, own = found
    assert not own and got["epochs"] == 2 and list(got["history"]) == [0.5, 0.6]
    torch.testing.assert_close(torch.as_tensor(got["state_dict"]["weight"]),
                               model.weight.detach(), rtol=0, atol=0)

    # a retry that runs with other params (its lost trial's were never stored, so it drew
    # fresh ones) trains from scratch: those weights are not its own
    retry.params["lr"] = lr / 2
    assert torch_resume.find(study, retry) is None
