"""The SQL text of the hot paths, written once with ``:name`` parameters.

SQLite's driver takes ``:name`` as written; psycopg wants ``%(name)s``, which ``pyformat``
gives. The strings are module constants so each is prepared (and cached by the driver) once.
"""

from __future__ import annotations

import functools
import re

_NAMED = re.compile(r"(?<!:):(\w+)")


@functools.lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """``:name`` parameters as ``%(name)s`` (psycopg's paramstyle)."""
    return _NAMED.sub(r"%(\1)s", sql)


def as_written(sql: str) -> str:
    """SQLite's driver takes ``:name`` parameters as written."""
    return sql


STUDY_SEQ = "SELECT seq FROM caviar_studies WHERE id = :sid"
STUDY_COUNTS = (
    "SELECT seq, next_number, n_counted, n_lost FROM caviar_studies WHERE id = :sid")
STUDY_COUNTS_LOCK = STUDY_COUNTS + " FOR UPDATE"
STUDY_LOST = "SELECT n_lost FROM caviar_studies WHERE id = :sid"
STUDY_BUMP_SEQ = "UPDATE caviar_studies SET seq = seq + 1 WHERE id = :sid RETURNING seq"
CLAIM_ONE = (
    "UPDATE caviar_studies SET seq = seq + 1, next_number = next_number + 1, "
    "n_counted = n_counted + 1 WHERE id = :sid AND n_counted < :cap "
    "RETURNING seq, next_number - 1, n_lost")
BUMP_CREATE = (
    "UPDATE caviar_studies SET seq = :seq, next_number = :next, n_counted = :counted "
    "WHERE id = :sid")
INSERT_TRIAL = (
    "INSERT INTO caviar_trials (study_id, number, state, value, params, user_attrs, "
    "system_attrs, error, worker, counted, created_at, finished_at, heartbeat_at, seq) VALUES "
    "(:sid, :number, 'running', NULL, :params, '{}', :attrs, NULL, :worker, 1, :now, "
    "NULL, :now, :seq)")
INSERT_TRIAL_RETURNING = INSERT_TRIAL + " RETURNING id"
TRIAL_IDS = (
    "SELECT id FROM caviar_trials WHERE study_id = :sid AND number >= :first AND number < :end "
    "ORDER BY number")
TRIAL_STATES = "SELECT id, study_id, state FROM caviar_trials WHERE id IN ({marks})"
FINISH = (
    "UPDATE caviar_trials SET state = :state, value = :value, values_json = :values, "
    "error = :error, "
    "counted = :counted, finished_at = :now, seq = :seq, "
    "params = COALESCE(:params, params), user_attrs = COALESCE(:user_attrs, user_attrs), "
    "system_attrs = COALESCE(:system_attrs, system_attrs), "
    "parent_id = COALESCE(:parent_id, parent_id) "
    "WHERE id = :tid AND state = 'running'")
UNCOUNT = ("UPDATE caviar_studies SET n_counted = n_counted - :k, n_lost = n_lost + :k "
           "WHERE id = :sid")
DELETE_REPORT = "DELETE FROM caviar_reports WHERE trial_id = :tid AND step = :step"
INSERT_REPORT = (
    "INSERT INTO caviar_reports (trial_id, step, value, at) VALUES (:tid, :step, :value, :at)")
HEARTBEAT = (
    "UPDATE caviar_trials SET heartbeat_at = :now, params = COALESCE(:params, params) "
    "WHERE id = :tid AND state = 'running'")
SYSTEM_ATTRS = (
    "UPDATE caviar_trials SET system_attrs = :attrs WHERE id = :tid AND state = 'running'")
STALE = (
    "SELECT id FROM caviar_trials WHERE study_id = :sid AND state = 'running' "
    "AND heartbeat_at < :limit")
STALE_ANY = STALE + " LIMIT 1"
TRIAL_COLS = ("id, study_id, number, state, value, params, user_attrs, system_attrs, error, "
              "worker, counted, created_at, finished_at, heartbeat_at, seq, parent_id, "
              "values_json")
TRIALS = (f"SELECT {TRIAL_COLS} FROM caviar_trials WHERE study_id = :sid "
          "AND seq > :since ORDER BY number")
TRIAL = f"SELECT {TRIAL_COLS} FROM caviar_trials WHERE id = :tid"
COUNT_DONE = ("SELECT COUNT(*) FROM caviar_trials WHERE study_id = :sid AND counted = 1 "
              "AND state <> 'running'")
BEST = "SELECT {agg}(value) FROM caviar_trials WHERE study_id = :sid AND state = 'complete'"
COUNTER = "SELECT value FROM caviar_counters WHERE study_id = :sid AND name = :name"
COUNTER_INSERT = "INSERT INTO caviar_counters (study_id, name, value) VALUES (:sid, :name, :n)"
COUNTER_ADD = ("UPDATE caviar_counters SET value = value + :n "
               "WHERE study_id = :sid AND name = :name")
