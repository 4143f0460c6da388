"""Exceptions raised by caviar.nn.

caviar.nn imports nothing else from caviar, so it keeps its own exception types here. Messages
follow one grammar: name the thing, the rule, the value, and the fix, e.g.
``lr: must be > 0, got -0.1; use a positive learning rate such as 1e-3``.
"""

from __future__ import annotations


class NNError(Exception):
    """Base class of every error raised by caviar.nn."""


class ConfigError(NNError, ValueError):
    """A hyperparameter configuration is invalid; raised before any training starts."""


class DataError(NNError, ValueError):
    """A data set is malformed (shapes, labels, NaN); raised before any training starts."""


class TrainingError(NNError, RuntimeError):
    """Training could not proceed (for example every member of a population failed)."""


def rule(thing: str, must: str, got: object, fix: str) -> str:
    """Format a message in the project's grammar: thing, rule, value, fix."""
    return f"{thing}: must {must}, got {got!r}; {fix}"
