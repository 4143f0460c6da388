"""``SearchCV``: scikit-learn's RandomizedSearchCV conventions, with its trials in a caviar study.

::

    from scipy.stats import loguniform
    import caviar
    from caviar.sklearn import SearchCV

    search = SearchCV(LogisticRegression(max_iter=500),
                      {"C": caviar.Float(1e-3, 1e3, scale="log"),   # a caviar param
                       "tol": loguniform(1e-5, 1e-2),               # a scipy.stats distribution
                       "fit_intercept": [True, False]},             # a list: a Choice
                      n_iter=30, cv=5, n_jobs=2, random_state=0,
                      storage="sqlite:///caviar.db", study_name="logreg")
    search.fit(X, y)
    search.best_params_, search.best_score_, search.best_estimator_, search.cv_results_

It is a ``BaseSearchCV``, so ``fit``, ``refit``, ``scoring`` (one or many metrics), ``cv``,
``error_score``, ``return_train_score``, ``cv_results_``, ``best_*_``, ``predict`` and friends
behave as in RandomizedSearchCV. What caviar adds: every candidate is a trial of
``search.study_`` (in ``storage``, resumable and inspectable with ``caviar trials``), its value
the mean test score of the refit metric, each fold's test score reported as step ``k``;
caviar params draw on their scales (log, reverse_log); a failed fit is a failed trial.

The ``n_iter`` candidates are asked from the study at once and their folds fitted in parallel
by joblib (``n_jobs`` workers), as RandomizedSearchCV does (so a failed fit warns, and only
all fits failing raises, as there). A trial is all of its folds: pruning does not apply.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np

from caviar.errors import UsageError
from caviar.space import Choice, Param

try:
    from sklearn.model_selection._search import BaseSearchCV
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("caviar.sklearn needs scikit-learn: pip install scikit-learn") from e

__all__ = ["SearchCV"]


def _kind(name: str, spec: Any) -> str:
    if isinstance(spec, Param):
        return "param"
    if hasattr(spec, "rvs"):
        return "rvs"
    if isinstance(spec, list | tuple) and len(spec) > 0:
        return "choice"
    raise UsageError(
        f"SearchCV: param_distributions[{name!r}] must be a caviar param (Float, Int, Choice), "
        f"a scipy.stats distribution (with .rvs) or a non-empty list, got {spec!r}; "
        "e.g. caviar.Float(1e-3, 1e3, scale='log') or scipy.stats.loguniform(1e-3, 1e3)")


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


class SearchCV(BaseSearchCV):  # type: ignore[misc]
    """Random search over ``param_distributions`` by cross-validation, run as a caviar study.

    Parameters as RandomizedSearchCV's, plus ``storage`` (a URL or Storage; default in memory),
    ``study_name`` (default: a fresh name) and ``sampler`` (``'random'``, ``'sobol'``, ... for
    the caviar params). ``random_state`` (an int) seeds the study and the scipy draws.
    """

    def __init__(self, estimator: Any, param_distributions: Mapping[str, Any], *,
                 n_iter: int = 10, scoring: Any = None, n_jobs: int | None = None,
                 refit: Any = True, cv: Any = None, verbose: int = 0,
                 pre_dispatch: Any = "2*n_jobs", random_state: int | None = None,
                 error_score: Any = np.nan, return_train_score: bool = False,
                 storage: Any = None, study_name: str | None = None,
                 sampler: Any = None) -> None:
        super().__init__(estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit,
                         cv=cv, verbose=verbose, pre_dispatch=pre_dispatch,
                         error_score=error_score, return_train_score=return_train_score)
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state
        self.storage = storage
        self.study_name = study_name
        self.sampler = sampler

    # ------------------------------------------------------------------ checks
    def _checked(self) -> dict[str, tuple[str, Any]]:
        dists = self.param_distributions
        if not isinstance(dists, Mapping) or not dists:
            raise UsageError(f"SearchCV: param_distributions must be a non-empty dict of "
                             f"name -> distribution, got {dists!r}")
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, int) or self.n_iter < 1:
            raise UsageError(f"SearchCV: n_iter must be an int >= 1, got {self.n_iter!r}")
        rs = self.random_state
        if rs is not None and (isinstance(rs, bool) or not isinstance(rs, int) or rs < 0):
            raise UsageError(f"SearchCV: random_state must be None or an int >= 0, got {rs!r} "
                             "(caviar seeds each trial from one int)")
        known = self.estimator.get_params(deep=True)
        unknown = [n for n in dists if n not in known]
        if unknown:
            raise UsageError(
                f"SearchCV: {type(self.estimator).__name__} has no param(s) {unknown}; it has "
                f"{sorted(known)}; name nested params as step__param (e.g. clf__C)")
        return {n: (_kind(n, s), s) for n, s in dists.items()}

    def _value_key(self, results: Mapping[str, Any]) -> str:
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return f"mean_test_{self.refit}"
        if "mean_test_score" in results:
            return "mean_test_score"
        return next(k for k in results if k.startswith("mean_test_"))

    # ------------------------------------------------------------------ the search
    def _run_search(self, evaluate_candidates: Any) -> None:
        import caviar

        specs = self._checked()
        study = caviar.create_study(self.study_name, storage=self.storage,
                                    direction="maximize", sampler=self.sampler,
                                    seed=self.random_state)
        self.__dict__.pop("study_", None)  # joblib pickles the search with every task
        base = self.random_state if self.random_state is not None else secrets.randbits(63)
        done = 0
        while done < self.n_iter:
            trials = study.ask(self.n_iter - done)
            candidates = []
            for t in trials:
                rng = np.random.default_rng([base, t.number])  # trial k: same draws anywhere
                params: dict[str, Any] = {}
                for name, (kind, spec) in specs.items():
                    if kind == "param":
                        params[name] = t.suggest(name, spec)
                    elif kind == "choice":
                        params[name] = t.suggest(name, Choice(tuple(spec), name=name))
                    else:
                        params[name] = _plain(spec.rvs(random_state=rng))
                        t.params[name] = params[name]
                candidates.append(params)
            try:
                results = evaluate_candidates(candidates)
            except BaseException as e:
                for t in trials:
                    study.tell(t, state="fail", error=f"{type(e).__name__}: {e}")
                self.study_ = study
                raise
            key = self._value_key(results)
            n_splits = self.n_splits_
            first = len(results[key]) - len(trials)
            split_key = key.replace("mean_", "")
            for i, t in enumerate(trials):
                row = first + i
                for k in range(n_splits):
                    v = results.get(f"split{k}_{split_key}")
                    if v is not None and math.isfinite(float(v[row])):
                        t.report(float(v[row]), k)
                study.tell(t, float(results[key][row]))
            done += len(trials)
        self.study_ = study

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without ``study_`` (it holds a storage connection); reload the study by
        name from its storage."""
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("study_", None)
        return state
