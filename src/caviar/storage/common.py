"""Messages and checks every storage backend shares."""

from __future__ import annotations

from typing import Any

from caviar.errors import StudyConflictError, UsageError
from caviar.trial_record import StudyRecord

MAX_STUDY_NAME = 512  # characters; the width of caviar_studies.name on PostgreSQL

REAPED = "worker lost: no heartbeat for {:g} s (process killed or machine gone); slot re-issued"


def check_existing(rec: StudyRecord, direction: str, load_if_exists: bool,
                   directions: tuple[str, ...] | None = None) -> None:
    if not load_if_exists:
        raise StudyConflictError(
            f"study {rec.name!r}: already exists; load it (load_if_exists=True) or pick a new name"
        )
    asked = directions or (direction,)
    if rec.directions != asked and (len(asked) > 1 or rec.is_multi_objective):
        raise StudyConflictError(
            f"study {rec.name!r}: exists with directions={list(rec.directions)}, got "
            f"directions={list(asked)}; use directions={list(rec.directions)} or a new "
            "study name")
    if rec.direction != direction:
        raise StudyConflictError(
            f"study {rec.name!r}: exists with direction={rec.direction!r}, got "
            f"direction={direction!r}; use direction={rec.direction!r} or a new study name"
        )


def not_found(name: str, known: list[str]) -> str:
    hint = f"known studies: {', '.join(sorted(known)[:10])}" if known else "the storage is empty"
    return (f"study {name!r}: does not exist in this storage ({hint}); "
            "check the name, or create it with create_study / caviar tune")


def conflict(name: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    return (f"param {name!r}: a study keeps one definition per param, it holds {old} but got "
            f"{new}; rename the new param or use a new study")


def check_study_name(name: str) -> None:
    """Refuse a study name no backend can hold, before anything is written (every backend
    keeps PostgreSQL's limit, so a study moves between them)."""
    if not isinstance(name, str):
        raise UsageError(f"study name must be a string, got {name!r}; pass a short text name")
    if len(name) > MAX_STUDY_NAME:
        raise UsageError(
            f"study name {name[:32] + '...'!r}: a study name has at most {MAX_STUDY_NAME} "
            f"characters, got {len(name)}; use a shorter name")
