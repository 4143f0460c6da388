"""Every exception caviar raises, in one place.

Messages follow one grammar: name the thing, the rule, the value, and the fix, e.g.
``Float('lr'): scale='log' needs low > 0, got low=0.0; use a small positive low such as 1e-6``.
"""

from __future__ import annotations


class CaviarError(Exception):
    """Base class of every caviar error."""

    #: what the ``caviar`` command exits with: 2 for bad usage or input, 1 for a failed run
    exit_code = 2


class SpaceError(CaviarError, ValueError):
    """A param or search space is ill-defined (bad bounds, scale, step, choices)."""


class ParamConflictError(SpaceError):
    """A param was redeclared with a definition different from the one the study holds."""


class UsageError(CaviarError, ValueError):
    """An argument to a caviar call is out of its allowed range (n_trials, sampler, direction)."""


class StorageError(CaviarError):
    """The storage cannot be used: bad URL, not a caviar database, unreachable."""


class SchemaVersionError(StorageError):
    """The database was written by a newer caviar (or an unknown schema)."""


class WorkersFailedError(CaviarError):
    """A run stopped before its target: its workers could not use the storage, or kept dying."""

    exit_code = 1


class StudyNotFoundError(CaviarError, KeyError):
    """A study name that is not in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StudyConflictError(CaviarError, ValueError):
    """A study exists under this name with another direction."""


class TrialStateError(CaviarError, RuntimeError):
    """An operation that the trial's state does not allow (telling a finished trial)."""


class ObjectiveLoadError(CaviarError):
    """``FILE.py:FUNC`` names a file or function that does not exist."""


class TrialPruned(CaviarError):
    """Raise inside an objective to stop the trial early; it is recorded as pruned."""


class CaviarWarning(UserWarning):
    """Base class of every warning caviar gives (filter them with this class)."""


class ScaleWarning(CaviarWarning):
    """A param's range looks like it is on the wrong scale (e.g. a learning rate on linear)."""


class BoundaryWarning(CaviarWarning):
    """The best trials press against a boundary of a param's range: widen the range."""
