"""SQLStorage: the Storage contract on SQLite (the embedded default) and PostgreSQL.

It composes the parts in this package, one concern each:

* precheck.py: before opening, is the file there, caviar's, writable, of which schema version;
* engine.py: the SQLAlchemy engine (SQLite pragmas, read-only modes; PostgreSQL's pool);
* queries.py: the study-level calls, on SQLAlchemy Core;
* hotpath.py: the trial calls, on raw DBAPI connections with prepared SQL (statements.py);
* retry.py: every call below is one transaction run again after a lost PostgreSQL connection
  or a serialization failure; failures.py says which failure is which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from caviar.storage.base import Event, Storage, StudySummary
from caviar.storage.common import check_study_name
from caviar.storage.sql.engine import READ_WRITE, make_engine
from caviar.storage.sql.hotpath import HotPaths
from caviar.storage.sql.precheck import check_version, inspect_sqlite
from caviar.storage.sql.queries import CoreQueries
from caviar.storage.sql.retry import retrying
from caviar.trial_record import FrozenTrial, StudyRecord, TrialUpdate


class SQLStorage(Storage):
    """``create=False`` opens only an existing caviar database (StorageError "no database
    at ..." otherwise), for callers that only read; a SQLite file this process may not write
    is opened read-only, and a write to it raises StorageError naming the file."""

    def __init__(self, url: str, *, engine: Engine | None = None, create: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        mode = READ_WRITE
        if self.is_sqlite and engine is None:
            mode, version = inspect_sqlite(url, create=create)
            if version is not None:
                check_version(url, version)  # before anything (WAL mode included) is written
        self.read_only = mode != READ_WRITE
        self.engine = engine or make_engine(url, mode)
        self._core = CoreQueries(self.engine, url, self.is_sqlite)
        self._hot = HotPaths(self.engine, url, self.is_sqlite)
        self._open_schema(create)

    @retrying
    def _open_schema(self, create: bool) -> None:
        self._core.open_schema(create)

    def drop_connection(self) -> None:
        """Forget this thread's connection after it was lost (retry.py reconnects)."""
        self._hot.drop()

    @property
    def schema_version(self) -> int:
        return self._schema_version()

    @retrying
    def _schema_version(self) -> int:
        return self._core.schema_version()

    def close(self) -> None:
        self._hot.close()
        self.engine.dispose()

    # ---------------------------------------------------------------- studies
    @retrying
    def create_study(self, name: str, *, direction: str, sampler: dict[str, Any],
                     space: dict[str, Any], load_if_exists: bool = True,
                     user_attrs: dict[str, Any] | None = None,
                     directions: Sequence[str] | None = None) -> StudyRecord:
        check_study_name(name)
        return self._core.create_study(name, direction, sampler, space, load_if_exists,
                                       user_attrs, directions)

    @retrying
    def get_study(self, name: str) -> StudyRecord:
        return self._core.get_study(name)

    @retrying
    def list_studies(self) -> list[StudySummary]:
        return self._core.list_studies()

    @retrying
    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        self._core.set_study_attr(study_id, key, value)

    @retrying
    def set_sampler(self, study_id: int, sampler: dict[str, Any]) -> None:
        self._core.set_sampler(study_id, sampler)

    @retrying
    def delete_study(self, name: str) -> None:
        self._core.delete_study(name)

    @retrying
    def register_params(self, study_id: int, defs: dict[str, dict[str, Any]]
                        ) -> dict[str, dict[str, Any]]:
        return self._core.register_params(study_id, defs)

    # ---------------------------------------------------------------- trials (hot paths)
    @retrying
    def create_trials(self, study_id: int, n: int, *, cap: int | None = None,
                      worker: str | None = None,
                      params: Sequence[dict[str, Any]] | None = None,
                      system_attrs: Sequence[dict[str, Any]] | None = None) -> list[FrozenTrial]:
        return self._hot.create_trials(study_id, n, cap, worker, params, system_attrs)

    @retrying
    def finish_and_create(self, updates: Sequence[TrialUpdate], study_id: int, n: int, *,
                          cap: int | None = None, worker: str | None = None
                          ) -> tuple[list[bool], list[FrozenTrial]]:
        return self._hot.finish_and_create(updates, study_id, n, cap, worker)

    @retrying
    def finish_trials(self, updates: Sequence[TrialUpdate]) -> list[bool]:
        return self._hot.finish_trials(updates)

    @retrying
    def add_reports(self, rows: Iterable[tuple[int, int, float]]) -> None:
        self._hot.add_reports(list(rows))  # a list: a retry must see the rows again

    @retrying
    def heartbeat(self, trial_ids: Sequence[int],
                  params: dict[int, dict[str, Any]] | None = None) -> None:
        self._hot.heartbeat(trial_ids, params)

    @retrying
    def reap_stale(self, study_id: int, older_than: float) -> list[int]:
        return self._hot.reap_stale(study_id, older_than)

    @retrying
    def get_trials(self, study_id: int, *, since: int = 0,
                   states: Sequence[str] | None = None) -> tuple[list[FrozenTrial], int]:
        return self._hot.get_trials(study_id, since, states)

    @retrying
    def progress(self, study_id: int, direction: str) -> tuple[int, float | None]:
        return self._hot.progress(study_id, direction)

    @retrying
    def lost_count(self, study_id: int) -> int:
        return self._hot.lost_count(study_id)

    @retrying
    def get_trial(self, trial_id: int) -> FrozenTrial | None:
        return self._hot.get_trial(trial_id)

    @retrying
    def get_reports(self, study_id: int, trial_ids: Sequence[int] | None = None
                    ) -> list[tuple[int, int, float]]:
        return self._core.get_reports(study_id, trial_ids)

    @retrying
    def claim(self, study_id: int, counter: str, n: int = 1,
              params: Callable[[int], Mapping[int, dict[str, Any]]] | None = None,
              system_attrs: Mapping[int, dict[str, Any]] | None = None) -> int:
        return self._hot.claim(study_id, counter, n, params, system_attrs)

    # ---------------------------------------------------------------- events
    @retrying
    def add_event(self, trial_id: int, kind: str, payload: dict[str, Any]) -> int:
        return self._core.add_event(trial_id, kind, payload)

    @retrying
    def get_events(self, trial_id: int, *, after: int = 0) -> list[Event]:
        return self._core.get_events(trial_id, after)
