"""The SQL schema, version 3 (migrations.py): v1, plus trial lineage and a lost-trial count
(v2), plus the directions of a study and the values of a trial with several objectives (v3).

JSON lives in TEXT columns; nothing is ever pickled. ``caviar_trials.values_json`` is a JSON
array (one number per objective) for studies with several directions and NULL otherwise (the
trial's values are then ``(value,)``); ``caviar_studies.directions`` is a JSON array of
'minimize'/'maximize' (NULL in no row written by caviar, read as ``(direction,)``)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from caviar.storage.common import MAX_STUDY_NAME

metadata = MetaData()

meta = Table(
    "caviar_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

studies = Table(
    "caviar_studies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(MAX_STUDY_NAME), nullable=False, unique=True),
    Column("direction", String(16), nullable=False),
    Column("sampler", Text, nullable=False),
    Column("space", Text, nullable=False),
    Column("user_attrs", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("seq", Integer, nullable=False),          # bumped by every write to its trials
    Column("next_number", Integer, nullable=False),  # the next trial number
    Column("n_counted", Integer, nullable=False),    # running + finished-and-counted trials
    Column("n_lost", Integer, nullable=False, server_default="0"),  # v2: trials uncounted
    Column("directions", Text, nullable=True),       # v3: JSON array, one per objective
)

trials = Table(
    "caviar_trials", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("caviar_studies.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("value", Float, nullable=True),
    Column("params", Text, nullable=False),
    Column("user_attrs", Text, nullable=False),
    Column("system_attrs", Text, nullable=False),
    Column("error", Text, nullable=True),
    Column("worker", String(256), nullable=True),
    Column("counted", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    Column("heartbeat_at", Float, nullable=True),
    Column("seq", Integer, nullable=False),
    Column("parent_id", Integer, nullable=True),     # v2: lineage (retry or branch of)
    Column("values_json", Text, nullable=True),      # v3: JSON array with several directions
    UniqueConstraint("study_id", "number", name="uq_caviar_trial_number"),
)
Index("ix_caviar_trials_study_seq", trials.c.study_id, trials.c.seq)
Index("ix_caviar_trials_study_state", trials.c.study_id, trials.c.state)
Index("ix_caviar_trials_parent", trials.c.parent_id)

reports = Table(
    "caviar_reports", metadata,
    Column("trial_id", Integer, ForeignKey("caviar_trials.id"), primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("value", Float, nullable=False),
    Column("at", Float, nullable=False),
)

counters = Table(
    "caviar_counters", metadata,
    Column("study_id", Integer, ForeignKey("caviar_studies.id"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("value", Integer, nullable=False),
)

events = Table(
    "caviar_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trial_id", Integer, ForeignKey("caviar_trials.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("applied_step", Integer, nullable=True),
)
Index("ix_caviar_events_trial", events.c.trial_id, events.c.id)
