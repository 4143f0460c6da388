"""Panda mode: babysit one model. Watch it train, nudge its hyperparameters while it runs,
pause, stop, roll back to a checkpoint, replay the schedule; all inside an ordinary study.

* ``babysit(study, objective, params=...)`` runs one trial with a live view; the objective
  reads mutable params each epoch with ``trial.hyper(name)`` and reports each epoch
  (``trial.report``), where control events land. ``caviar.adapters.babysit.MLPTarget`` is the
  built-in caviar.nn target.
* ``nudge``, ``command`` (pause / resume / stop) write control events from anywhere that
  reaches the storage; bad requests raise ``ControlError`` and write nothing.
* ``resume`` (after a crash), ``rewind`` (branch from a checkpoint), ``replay``.
"""

from caviar.panda.control import (
    Change,
    ControlError,
    check_changes,
    command,
    history_rows,
    locate,
    nudge,
    parse_changes,
    parse_params,
)
from caviar.panda.controller import Controller, StopRequested
from caviar.panda.runner import babysit, make_objective, replay, resume, rewind
from caviar.panda.view import sparkline

__all__ = [
    "Change", "ControlError", "Controller", "StopRequested", "babysit", "check_changes",
    "command", "history_rows", "locate", "make_objective", "nudge", "parse_changes",
    "parse_params", "replay", "resume", "rewind", "sparkline",
]
