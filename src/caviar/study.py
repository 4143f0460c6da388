"""Study: ask / tell / optimize. The only writer to storage.

A study lives in a storage under a unique name. ``n_trials`` is the study's target: trials that
finished and count (complete, pruned, or failed by the objective) plus those running. A trial
whose worker died is reaped (failed, not counted) and its slot issued again, so running the
same command twice resumes a study up to its target rather than doubling it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from caviar.analysis.advisor import warn_scales
from caviar.curves import CurveBook
from caviar.errors import TrialStateError, UsageError
from caviar.pruners import make_pruner
from caviar.samplers import Claim, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Param, Space
from caviar.storage import Storage
from caviar.study_cache import HistoryCache
from caviar.study_values import (
    best_trials,
    check_names,
    default_names,
    feasible,
    has_constraints,
    is_sequence_value,
    one_direction_tuple,
    single_only,
    told_values,
)
from caviar.trial import Trial
from caviar.trial_record import (
    COMPLETE,
    FAIL,
    MAXIMIZE,
    PRUNED,
    FrozenTrial,
    StudyRecord,
    TrialUpdate,
    better,
)

#: seconds without a heartbeat after which a running trial counts as lost with its worker
DEFAULT_STALE_AFTER = 30.0


def _study_seed(record: StudyRecord, storage: Storage, sampler: Sampler) -> int:
    """The study's one seed: stored with it when it was created (drawn then when none was
    given), so every process draws the same params for trial k and walks the same grid.
    A study stored before seeds were kept gets one now."""
    stored = record.user_attrs.get("seed")
    if isinstance(stored, int) and not isinstance(stored, bool):
        return stored
    seed = record.sampler.get("seed") if record.sampler else None
    if not isinstance(seed, int) or isinstance(seed, bool):
        seed = sampler.seed if sampler.seed is not None else secrets.randbits(63)
    storage.set_study_attr(record.id, "seed", int(seed))
    return int(seed)


def _check_pruner(record: StudyRecord, pruner: Any) -> str:
    """The direction of the curve a pruner compares (what ``trial.report`` records): the
    study's direction, or the stored ``report_direction``. A pruner on a study with several
    directions needs that word: the reported curve is one curve, and caviar cannot guess which
    objective (or which other number) it follows."""
    held = record.user_attrs.get("report_direction")
    if held is not None:
        return str(held)
    if pruner is not None and len(record.directions) > 1:
        name = getattr(pruner, "name", None) or type(pruner).__name__
        raise UsageError(
            f"pruner {name!r} on study {record.name!r} with directions="
            f"{list(record.directions)}: a pruner compares the one curve trial.report "
            "records, and with several objectives caviar cannot tell whether that curve is to "
            "be minimized or maximized; pass report_direction='maximize' (or 'minimize') to "
            "create_study (caviar tune: --report-direction maximize), naming the direction of "
            "what you report, or drop the pruner")
    return record.direction


class Study:
    def __init__(self, record: StudyRecord, storage: Storage, sampler: Sampler,
                 pruner: Any = None) -> None:
        self.record = record
        self.storage = storage
        self.sampler = sampler
        self.pruner = make_pruner(pruner) if isinstance(pruner, str | dict) else pruner
        self.id = record.id
        self.name = record.name
        #: the single direction, or the first of several (``directions`` holds them all)
        self.direction = record.direction
        #: one direction per objective; more than one makes a multi-objective study
        self.directions: tuple[str, ...] = record.directions
        self.is_multi_objective = len(self.directions) > 1
        #: the direction of the curve trial.report records (what a pruner compares)
        self.report_direction = _check_pruner(record, self.pruner)
        self.space = Space.from_json(record.space)
        declared = record.user_attrs.get("declared", [])
        self.declared = Space({n: self.space[n] for n in declared if n in self.space})
        self.seed = _study_seed(record, storage, sampler)
        sampler.seed = self.seed  # grid, Sobol and the trials' streams use the one seed
        #: a running trial whose heartbeat is this old (seconds) was lost with its worker;
        #: a worker session sets it from its own setting
        self.stale_after = DEFAULT_STALE_AFTER
        self._suggest_cache: dict[tuple[Any, ...], Param] = {}
        self._known: dict[tuple[str, Param], Param] = {}
        self._history = HistoryCache(self)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._pending_reports: list[tuple[int, int, float]] = []
        self._live: dict[int, Trial] = {}
        self._retry_queue: list[FrozenTrial] = []
        self._retried: set[int] = set()
        self._lost_seen = 0
        #: the learning curves of this study's trials, as its pruner sees them
        self.curves = CurveBook(self)
        #: the sampler this study was stored with before ``create_study`` replaced it
        self.previous_sampler: str | None = None
        #: ``constraints(trial) -> [floats]`` (feasible when all <= 0), a Python callable
        #: given to create_study / load_study (not stored); its values are, per trial
        self.constraints: Callable[[FrozenTrial], Sequence[float]] | None = None
        self._n_constraints: int | None = None

    def __repr__(self) -> str:
        dirs = (f"directions={list(self.directions)!r}" if self.is_multi_objective
                else f"direction={self.direction!r}")
        return f"Study(name={self.name!r}, {dirs}, storage={self.storage.url!r})"

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store one JSON value on the study (kept in storage, shared by all workers)."""
        self.storage.set_study_attr(self.id, key, value)
        self.record = dataclasses.replace(self.record,
                                          user_attrs={**self.record.user_attrs, key: value})

    @property
    def objective_names(self) -> list[str]:
        """A name per objective: the stored ones (``set_objective_names``), else ``value``
        for one direction and ``values_0``, ``values_1``, ... for several."""
        held = self.record.user_attrs.get("objective_names")
        if isinstance(held, list) and len(held) == len(self.directions):
            return [str(n) for n in held]
        return default_names(len(self.directions))

    def set_objective_names(self, names: Sequence[str]) -> None:
        """Name the objectives (exports, ``caviar best``, plots): one distinct name each."""
        self.set_user_attr("objective_names", check_names(names, self.directions))

    @property
    def artifacts_dir(self) -> str:
        """Where checkpoints go: the study's stored ``artifacts`` attr, else beside the store."""
        from caviar.artifacts import default_root

        stored = self.record.user_attrs.get("artifacts")
        return str(stored) if stored else default_root(self.storage.url)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self.record.user_attrs)

    # ------------------------------------------------------------------ space
    def param(self, name: str) -> Param | None:
        return self.space.get(name)

    def declare(self, name: str, param: Param) -> Param:
        key = (name, param)
        hit = self._known.get(key)
        if hit is not None:
            return hit
        named = param.named(name) if param.name != name else param
        held = self.space.get(name)
        if held is None or held.to_json() != named.to_json():
            if held is None:  # a new param: say so now if its range is on the wrong scale
                warn_scales({name: named})
            merged = self.storage.register_params(self.id, {name: named.to_json()})
            self.space = Space.from_json(merged)
        self._known[key] = self.space[name]
        return self.space[name]

    # ------------------------------------------------------------------ ask / tell
    def _rng(self, number: int) -> Stream:
        return Stream(self.seed, number)

    def ask(self, n: int | None = None, *, cap: int | None = None,
            on_wait: Callable[[Sequence[FrozenTrial], float], None] | None = None) -> Any:
        """Start new trials: one Trial (``n=None``) or a list of up to ``n``.

        With ``cap``, never more than ``cap`` counted trials in the study (may return fewer,
        or none). Declared params are filled in at once (read them from ``trial.params``).
        When the sampler waits for trials running elsewhere (a coarse-to-fine round),
        ``on_wait(records, seconds_waited)`` is called between polls (a worker session keeps
        the new trials alive there and reaps the dead it waits for)."""
        count = 1 if n is None else n
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            raise UsageError(f"ask: n must be an integer >= 1, got n={n!r}")
        records = self.storage.create_trials(self.id, count, cap=cap, worker=self.worker)
        trials = self.start(records, on_wait=on_wait)
        if n is None:
            if not trials:
                raise UsageError(f"study {self.name!r}: no trial slot left under cap={cap}")
            return trials[0]
        return trials

    def ask_fixed(self, params: Mapping[str, Any], *,
                  system_attrs: Mapping[str, Any] | None = None) -> Trial:
        """Start one trial with the given ``params`` (a babysat run, a branch, a replay); the
        sampler draws only the declared params not given. Never takes a lost trial's retry."""
        records = self.storage.create_trials(self.id, 1, worker=self.worker,
                                             system_attrs=[dict(system_attrs or {})])
        rec = records[0]
        t = Trial(self, rec, dict(params), self._rng(rec.number))
        for name, p in self.declared.items():
            t.suggest(name, p)
        self._live[t.id] = t
        self._store_params([t])
        return t

    def adopt(self, record: FrozenTrial, proposed: Mapping[str, Any]) -> Trial:
        """The Trial for a running ``record`` started by another process of this study (a
        Ray driver starts trials, its tasks run them): same params, same random stream."""
        t = Trial(self, record, dict(proposed), self._rng(record.number))
        for name, p in self.declared.items():
            t.suggest(name, p)
        self._live[t.id] = t
        return t

    def hand_off(self, trial: Trial) -> None:
        """Forget a trial started here that another process will run and tell."""
        self._live.pop(trial.id, None)

    #: a trial lost with its worker (or interrupted) is retried with the same params this
    #: many times; a retry resumes from the lost trial's last checkpoint (trial.restore()).
    max_retries = 3

    def refresh_lost(self) -> None:
        """Queue lost trials (failed, not counted) for a retry by the next ask. A trial of a
        declared space lost with no params was lost before its proposal was stored (and
        claimed nothing: claimed points are stored with the claim): there is nothing to
        retry, its slot is issued again to a fresh proposal."""
        failed, _ = self.storage.get_trials(self.id, states=[FAIL])
        self._retry_queue = [t for t in failed if not t.counted
                             and int(t.system_attrs.get("attempt", 1)) <= self.max_retries
                             and t.id not in self._retried
                             and (t.params or not self.declared)]

    def _take_retries(self, records: Sequence[FrozenTrial]) -> list[Trial]:
        """Give lost configurations to new trials; claims make each retry happen once."""
        out: list[Trial] = []
        while self._retry_queue and len(out) < len(records):
            old = self._retry_queue.pop(0)
            self._retried.add(old.id)
            rec = records[len(out)]
            # the params go to the new trial with a won claim: a worker killed right after
            # taking the retry leaves them behind for the next one
            held = {rec.id: dict(old.params)}
            attrs = dict(rec.system_attrs)
            attrs.update({k: v for k, v in old.system_attrs.items()
                          if k not in ("traceback", "retry_of", "retry_of_id", "attempt")})
            attrs.update({"retry_of": old.number, "retry_of_id": old.id,
                          "attempt": int(old.system_attrs.get("attempt", 1)) + 1})
            # the lineage and the attempt are stored with the claim too: a retry killed in
            # turn is retried as attempt + 1 (so --max-retries holds), not as a first attempt
            if self.storage.claim(self.id, f"retry:{old.id}", 1,
                                  lambda won: held if won == 0 else {},  # noqa: B023
                                  system_attrs={rec.id: attrs}) != 0:
                continue  # another worker took it
            t = Trial(self, rec, dict(old.params), self._rng(old.number))
            t.system_attrs.update(attrs)
            for name, p in self.declared.items():
                t.suggest(name, p)
            self._live[t.id] = t
            out.append(t)
        return out

    def start(self, records: Sequence[FrozenTrial], *,
              on_wait: Callable[[Sequence[FrozenTrial], float], None] | None = None
              ) -> list[Trial]:
        """Trials for rows just created in storage (by ``ask`` or a grouped write): params
        proposed, retries of lost trials given out, and the params stored at once, so a trial
        lost with its worker is retried with the same params."""
        trials = self._start(records, on_wait)
        self._store_params(trials)
        return trials

    def _store_params(self, trials: Sequence[Trial]) -> None:
        if self.storage.shared_between_processes:
            known = {t.id: dict(t.params) for t in trials if t.params}
            if known:
                self.storage.heartbeat(list(known), known)

    def _start(self, records: Sequence[FrozenTrial],
               on_wait: Callable[[Sequence[FrozenTrial], float], None] | None
               ) -> list[Trial]:
        if not records:
            return []
        if self.storage.shared_between_processes:
            lost = self.storage.lost_count(self.id)
            if lost > self._lost_seen:  # a trial was lost since we last looked: retry it now
                self._lost_seen = lost
                self.refresh_lost()
        retried = self._take_retries(records) if self._retry_queue else []
        if retried:
            rest = (self._start(records[len(retried):], on_wait)
                    if len(retried) < len(records) else [])
            return retried + rest
        rngs = [self._rng(r.number) for r in records]
        proposal = self.sampler.propose(self.declared, self._history, records, rngs,
                                        self._claim(records))
        if proposal.status == "wait":  # e.g. a coarse-to-fine round barrier
            proposal, rngs = self._await_proposal(records, rngs, proposal, on_wait)
        out = []
        for i, rec in enumerate(records):
            if i >= len(proposal.params):  # sampler exhausted (e.g. grid done by other workers)
                self.storage.finish_trials([TrialUpdate(
                    rec.id, FAIL, error=f"sampler {self.sampler.name!r} has no point left",
                    counted=False)])
                continue
            t = Trial(self, rec, proposal.params[i], rngs[i])
            if proposal.attrs and i < len(proposal.attrs):
                t.system_attrs.update(proposal.attrs[i])
            for name, p in self.declared.items():  # a declared space is drawn in its order
                t.suggest(name, p)
            self._live[t.id] = t
            out.append(t)
        return out

    def _claim(self, records: Sequence[FrozenTrial]) -> Claim:
        """The sampler's ``claim`` for ``records``: the params it names for the claimed values
        are stored on those trials in the claim's own write."""
        def claim(counter: str, k: int,
                  params: Callable[[int], Sequence[dict[str, Any]]] | None = None) -> int:
            if params is None:
                return self.storage.claim(self.id, counter, k)
            return self.storage.claim(self.id, counter, k, lambda start: {
                r.id: dict(p) for r, p in zip(records, params(start), strict=False)})
        return claim

    #: how long a proposal may wait (seconds) for trials running elsewhere, e.g. a round
    wait_timeout = 600.0

    def _await_proposal(self, records: Sequence[FrozenTrial], rngs: list[Stream],
                        proposal: Any,
                        on_wait: Callable[[Sequence[FrozenTrial], float], None] | None
                        ) -> tuple[Any, list[Stream]]:
        """The sampler asked to wait for trials running elsewhere: poll the history until it
        is ready (or ``wait_timeout`` passes; then its fallback proposal is used), calling
        ``on_wait`` between polls (without one: keep the new trials alive and reap the dead
        after ``stale_after``). Never waits when this process itself holds other unfinished
        trials: they could not finish while it waits."""
        import time

        ids = {r.id for r in records}
        if not self.storage.shared_between_processes or any(i not in ids for i in self._live):
            return proposal, rngs
        start = last_beat = time.time()
        delay = 0.005
        while proposal.status == "wait" and time.time() - start < self.wait_timeout:
            time.sleep(delay)
            delay = min(2 * delay, 0.25)
            if time.time() - last_beat > 1.0:  # stay alive; reap the dead we wait for
                if on_wait is not None:
                    on_wait(records, time.time() - start)
                else:
                    self.storage.heartbeat(list(ids))
                    self.storage.reap_stale(self.id, self.stale_after)
                last_beat = time.time()
            rngs = [self._rng(r.number) for r in records]
            proposal = self.sampler.propose(
                self.declared, self._history, records, rngs, self._claim(records))
        return proposal, rngs

    def tell(self, trial: Trial | int, value: Any = None, *, state: str | None = None,
             error: str | None = None, counted: bool = True) -> FrozenTrial | None:
        """Finish a trial: a number means complete; NaN, inf or a non-number means failed.

        Returns the finished record, or None when the trial was no longer running (reaped
        after its heartbeat was lost: its result is not stored, its slot was re-issued)."""
        t = self._resolve(trial)
        u = self.outcome(t, value, state=state, error=error, counted=counted)
        if self._pending_reports:
            self.flush()
        ok = self.storage.finish_trials((u,))[0]
        self._live.pop(t.id, None)
        if not ok:
            return None
        return self._finished(t, u)

    def outcome(self, trial: Trial | int, value: Any = None, *, state: str | None = None,
                error: str | None = None, counted: bool = True) -> TrialUpdate:
        """The record update that finishes ``trial`` (checked now, written by ``finish``):
        the trial is done from here on. A worker session groups several into one write."""
        t = self._resolve(trial)
        u = self._outcome(t, value, state, error, counted)
        if self.constraints is not None and u.state == COMPLETE:
            self._constrain(t, u)  # a callable of the wrong shape raises: nothing written
        t._done = True
        return u

    def _constrain(self, t: Trial, u: TrialUpdate) -> None:
        """Store the constraint values of a trial finishing complete (caviar.constraints)."""
        from caviar import constraints as c

        assert self.constraints is not None
        if self._n_constraints is None:
            self._n_constraints = c.expected_length(self.trials)
        record = FrozenTrial.fast(t.id, self.id, t.number, u.state, u.value, t.params,
                                  t.user_attrs, dict(t.system_attrs), None, self.worker, True,
                                  t.record.created_at, None, None, 0, u.parent_id, u.values)
        cs = c.evaluate(self.constraints, record, self._n_constraints)
        self._n_constraints = len(cs)
        t.system_attrs[c.ATTR] = cs  # the update holds the trial's system_attrs dict

    def finish(self, told: Sequence[tuple[Trial, TrialUpdate]], *, start: int = 0,
               cap: int | None = None,
               on_wait: Callable[[Sequence[FrozenTrial], float], None] | None = None
               ) -> tuple[list[FrozenTrial | None], list[Trial]]:
        """Write the outcomes ``told`` (from ``outcome``) and start up to ``start`` new trials
        (never more than ``cap`` counted), in one transaction. Returns the finished records
        (None for a trial reaped meanwhile) and the new trials."""
        if self._pending_reports:
            self.flush()
        updates = [u for _, u in told]
        if start:
            applied, records = self.storage.finish_and_create(
                updates, self.id, start, cap=cap, worker=self.worker)
        else:
            applied, records = (self.storage.finish_trials(updates) if updates else []), []
        frozen: list[FrozenTrial | None] = []
        for (t, u), ok in zip(told, applied, strict=True):
            self._live.pop(t.id, None)
            frozen.append(self._finished(t, u) if ok else None)
        return frozen, self.start(records, on_wait=on_wait)

    def running_here(self) -> list[Trial]:
        """The trials this process started and has not finished."""
        return list(self._live.values())

    def _finished(self, t: Trial, u: TrialUpdate) -> FrozenTrial:
        """The record of a trial just finished by this process (built without a read)."""
        return FrozenTrial.fast(
            t.id, self.id, t.number, u.state, u.value, t.params, t.user_attrs, t.system_attrs,
            u.error, self.worker, u.counted, t.record.created_at, None, None, 0, u.parent_id,
            u.values)

    def discard(self, trials: Sequence[Trial]) -> None:
        """Forget trials started by ``ask`` in this process that never ran (in-memory only)."""
        discard = getattr(self.storage, "discard_unstarted", None)
        for t in trials:
            self._live.pop(t.id, None)
            self._history.forget(t.number)
            t._done = True
        if discard is not None:
            discard([t.id for t in trials])
        else:
            self.storage.finish_trials([TrialUpdate(t.id, FAIL, error="not run: the loop "
                                                    "stopped first", counted=False)
                                        for t in trials])

    def _resolve(self, trial: Trial | int) -> Trial:
        if type(trial) is Trial or isinstance(trial, Trial):
            if trial._done:
                raise TrialStateError(f"trial {trial.number}: already finished; ask a new trial")
            return trial
        for t in self._live.values():
            if t.number == trial:
                return t
        raise TrialStateError(f"trial number {trial!r}: is not a running trial asked in this "
                              "process; tell the Trial object returned by ask()")

    def _outcome(self, t: Trial, value: Any, state: str | None, error: str | None,
                 counted: bool) -> TrialUpdate:
        parent = t.system_attrs.get("retry_of_id") or t.system_attrs.get("parent_id")
        if state is None and type(value) is float and math.isfinite(value) \
                and not self.is_multi_objective:  # the common case
            return TrialUpdate(t.id, COMPLETE, value, t.params, t.user_attrs, t.system_attrs,
                               parent_id=parent)
        if self.is_multi_objective:
            return self._outcome_values(t, value, state, error, counted, parent)
        if state in (None, COMPLETE) and is_sequence_value(value):
            value = one_direction_tuple(t.number, value)
        if state == PRUNED:
            value, error = t.last_report, error
        elif state == FAIL:
            value, error = None, error or "failed"
        elif state not in (None, COMPLETE):
            raise UsageError(f"tell: state must be 'complete', 'pruned' or 'fail', "
                             f"got state={state!r}")
        else:
            if isinstance(value, np.generic):
                value = value.item()
            state, counted = COMPLETE, True
            if isinstance(value, bool) or not isinstance(value, int | float):
                state, error = FAIL, (f"objective returned {value!r} ({type(value).__name__}), "
                                      "not a number; return a float (the value to optimize)")
                value = None
            elif not math.isfinite(value):
                state, error = FAIL, (f"objective returned {value!r}; the value must be finite "
                                      "(check for divergence)")
                value = None
            else:
                value = float(value)
        return TrialUpdate(t.id, state, value, t.params, t.user_attrs, t.system_attrs, error,
                           counted, parent)

    def _outcome_values(self, t: Trial, value: Any, state: str | None, error: str | None,
                        counted: bool, parent: Any) -> TrialUpdate:
        """A trial of a study with several directions: ``value`` is None, ``values`` holds one
        number per objective (a pruned or failed trial has none)."""
        values = None
        if state == FAIL:
            error = error or "failed"
        elif state == PRUNED:
            pass
        elif state not in (None, COMPLETE):
            raise UsageError(f"tell: state must be 'complete', 'pruned' or 'fail', "
                             f"got state={state!r}")
        else:
            values, why = told_values(t.number, value, self.directions)
            state, counted = (COMPLETE, True) if values is not None else (FAIL, True)
            error = why
        return TrialUpdate(t.id, state, None, t.params, t.user_attrs, t.system_attrs, error,
                           counted, parent, values)

    # ------------------------------------------------------------------ reports and pruning
    def _report(self, trial: Trial, step: int, value: float) -> None:
        self._pending_reports.append((trial.id, step, value))
        if len(self._pending_reports) >= 64 or self.pruner is not None:
            self.flush()

    def flush(self) -> None:
        """Write the intermediate reports buffered in this process."""
        if self._pending_reports:
            rows, self._pending_reports = self._pending_reports, []
            self.storage.add_reports(rows)

    def _should_prune(self, trial: Trial) -> bool:
        if self.pruner is None:
            return False
        curve = dict(trial.reports)
        if not curve:
            return False
        self.flush()
        decision = self.pruner.decide_trial(trial.number, curve,
                                            self.curves.others(trial.id),
                                            self.report_direction != MAXIMIZE)
        prune = bool(getattr(decision, "prune", decision))  # a Decision, or a plain bool
        reason = getattr(decision, "reason", None)
        if prune and reason:
            trial.system_attrs["pruned_because"] = str(reason)
        return prune

    # ------------------------------------------------------------------ reading
    @property
    def trials(self) -> list[FrozenTrial]:
        return self._history.trials()

    def get_trials(self, states: Sequence[str] | None = None) -> list[FrozenTrial]:
        ts = self.trials
        return ts if states is None else [t for t in ts if t.state in states]

    @property
    def best_trial(self) -> FrozenTrial:
        """The best complete trial (feasible when trials carry constraint values); a study
        with several directions has no single best: read ``best_trials``."""
        return self._best_trial("best_trial")

    def _best_trial(self, what: str) -> FrozenTrial:
        if self.is_multi_objective:
            raise single_only(self.name, what, self.directions)
        best: FrozenTrial | None = None
        trials = self.trials
        check = has_constraints(trials)
        for t in trials:
            if t.state == COMPLETE and t.value is not None and (not check or feasible(t)) and (
                    best is None or better(self.direction, t.value, best.value or 0.0)):
                best = t
        if best is None:
            raise UsageError(f"study {self.name!r}: has no completed trial yet"
                             + (" that meets its constraints" if check else "")
                             + "; run optimize first, or look at study.trials for failures")
        return best

    @property
    def best_value(self) -> float:
        v = self._best_trial("best_value").value
        assert v is not None
        return v

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self._best_trial("best_params").params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The complete trials on the Pareto front (for one direction: every trial tied for
        the best value), in number order; with constraints, only feasible trials."""
        return best_trials(self.trials, self.directions)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.state] = out.get(t.state, 0) + 1
        return out

    def reports(self, trial_ids: Sequence[int] | None = None) -> dict[int, dict[int, float]]:
        """Learning curves: ``{trial_id: {step: value}}``."""
        self.flush()
        out: dict[int, dict[int, float]] = {}
        for tid, step, v in self.storage.get_reports(self.id, trial_ids):
            out.setdefault(tid, {})[step] = v
        return out

    # ------------------------------------------------------------------ running
    def optimize(self, objective: Any, n_trials: int | None = None, *,
                 timeout: float | None = None, workers: int = 1, stop_on_error: bool = False,
                 progress: bool = False, heartbeat: float = 5.0, stale_after: float = 30.0,
                 callbacks: Sequence[Any] = (), backend: str = "local",
                 ray: Any = None) -> Study:
        """Run ``objective(trial) -> value`` until the study holds ``n_trials`` trials that
        count, or ``timeout`` seconds pass. ``workers > 1`` runs a pool of processes sharing
        the study (needs SQLite or PostgreSQL storage). ``backend='ray'`` runs trials as Ray
        tasks, ``workers`` at a time (``ray=RayOptions(address=..., cpus_per_trial=...)``)."""
        from caviar.executors import run_study

        run_study(self, objective, n_trials=n_trials, timeout=timeout, workers=workers,
                  stop_on_error=stop_on_error, progress=progress, heartbeat=heartbeat,
                  stale_after=stale_after, callbacks=callbacks, backend=backend, ray=ray)
        return self

    # ------------------------------------------------------------------ export
    def to_dataframe(self) -> Any:
        from caviar.export import trials_dataframe

        return trials_dataframe(self)

    trials_dataframe = to_dataframe

    def to_csv(self, path: str | None = None) -> str:
        from caviar.export import to_csv

        return to_csv(self, path)

    def to_json(self, path: str | None = None) -> str:
        from caviar.export import to_json

        return to_json(self, path)


# create_study and load_study live in study_create.py (imported here, where they always were)
from caviar.study_create import create_study as create_study  # noqa: E402
from caviar.study_create import load_study as load_study  # noqa: E402
