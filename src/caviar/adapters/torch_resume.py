"""Per-member, per-epoch checkpoints of caviar.torch populations, and resuming from them.

After every epoch each member that trained in it is saved as its trial's checkpoint at step
``epoch`` (the study's artifacts: one ``.npz`` per member and epoch, NumPy arrays and JSON,
never pickled): its ``state_dict`` (weights and buffers, batch-norm statistics included),
its optimizer row (moments and step count), the number of epochs trained, its curve and
training losses. A trial retried after its worker died (the same trial again under Ray, or
a new trial with ``retry_of_id`` after a reap) finds the last of these, of itself or of the
trial it retries, and continues at the next epoch: the batch order and every lr schedule are
functions of the epoch, so nothing else is needed. A resumed trial gets its restored curve
(a new trial has it written again) and its state saved as its own checkpoint at once, so a
retry of the retry finds it too. A new trial resumes from the trial it retries only when it
runs with the params stored for that trial (one lost before its params were stored is retried
with fresh ones, and its weights are not theirs): otherwise it trains from epoch 0.
"""

from __future__ import annotations

import json
import os
from typing import Any

CHECKPOINT = "checkpoint"


def payload(state: dict[str, Any], epoch: int, history: list[float],
            train_loss: list[float]) -> dict[str, Any]:
    """What one member's checkpoint after ``epoch`` (0-based) holds."""
    sd = state["state_dict"]
    dt = next((str(v.dtype) for v in sd.values() if v.is_floating_point()), "torch.float32")
    opt = {k: v for k, v in state["optimizer"].items() if v is not None}
    return {"state_dict": sd, "optimizer": opt, "dtype": dt, "epochs": epoch + 1,
            "history": list(history), "train_loss": list(train_loss)}


def find(study: Any, trial: Any) -> tuple[dict[str, Any], bool] | None:
    """The last resumable checkpoint of ``trial``, else of the trial it retries:
    ``(state, own)`` (``own``: the trial's own, e.g. a Ray retry of the same trial)."""
    from caviar import artifacts

    for tid, own in ((trial.id, True), (trial.system_attrs.get("retry_of_id"), False)):
        if tid is None or not (own or _same_params(study, int(tid), trial.params)):
            continue
        marks = [e for e in study.storage.get_events(int(tid)) if e.kind == CHECKPOINT]
        marks.sort(key=lambda e: int(e.payload.get("step", 0)))
        for mark in reversed(marks):
            state = artifacts.load(os.path.join(study.artifacts_dir, mark.payload["path"]))
            if isinstance(state, dict) and "optimizer" in state and "epochs" in state:
                return state, own
    return None


def _same_params(study: Any, trial_id: int, params: dict[str, Any]) -> bool:
    """Were ``params`` stored for the trial ``trial_id``? A trial lost before its params
    were stored is retried with other ones, and its weights are not the retry's."""
    old = study.storage.get_trial(trial_id)
    return old is not None and json.dumps(old.params, sort_keys=True, default=str) == \
        json.dumps(params, sort_keys=True, default=str)


def adopt(trial: Any, state: dict[str, Any], own: bool) -> None:
    """Give a resumed trial its restored curve and (when it came from another trial) its
    own copy of the checkpoint."""
    history = [float(v) for v in state.get("history") or []]
    if own:  # already stored for this trial: known in memory only (the pruner reads it)
        trial.reports.update(dict(enumerate(history)))
    else:
        for step, v in enumerate(history):
            trial.report(v, step)
        trial.checkpoint(state, step=int(state["epochs"]) - 1)
    trial.system_attrs["resumed_at_epoch"] = int(state["epochs"])
