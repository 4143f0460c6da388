from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import loguniform

import caviar

pytest.importorskip("sklearn")
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_set_params,
)

from caviar.sklearn import SearchCV


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


def _search(**kw) -> SearchCV:  # type: ignore[no-untyped-def]
    space = {"C": caviar.Float(1e-3, 1e2, scale="log"), "tol": loguniform(1e-5, 1e-2),
             "fit_intercept": [True, False]}
    return SearchCV(LogisticRegression(max_iter=200), space, **{"n_iter": 4, "cv": 3,
                                                                "random_state": 0, **kw})


def test_randomized_search_conventions(digits) -> None:  # type: ignore[no-untyped-def]
    X, y = digits
    s = _search().fit(X, y)
    assert len(s.cv_results_["params"]) == 4
    assert set(s.best_params_) == {"C", "tol", "fit_intercept"}
    assert s.best_score_ == pytest.approx(max(s.cv_results_["mean_test_score"]))
    assert pytest.approx(s.best_params_["C"]) == s.best_estimator_.C
    assert s.predict(X[:5]).shape == (5,) and 0 <= s.score(X, y) <= 1
    # every candidate is a caviar trial, its folds reported as steps
    assert s.study_.counts() == {"complete": 4}
    assert s.study_.best_value == pytest.approx(s.best_score_)
    assert all(sorted(c) == [0, 1, 2] for c in s.study_.reports().values())


def test_same_scores_as_randomized_search_for_the_same_candidates(digits) -> None:  # type: ignore[no-untyped-def]
    X, y = digits
    s = _search().fit(X, y)
    # RandomizedSearchCV on the same data with caviar's candidates gives the same scores
    grid = [{k: [v] for k, v in p.items()} for p in s.cv_results_["params"]]
    ref = RandomizedSearchCV(LogisticRegression(max_iter=200), grid, n_iter=1, cv=3)
    for g, ours in zip(grid, s.cv_results_["mean_test_score"], strict=True):
        ref.set_params(param_distributions=g).fit(X, y)
        assert ref.best_score_ == pytest.approx(ours)
    # and random search with the same budget lands in the same range
    ref = RandomizedSearchCV(LogisticRegression(max_iter=200),
                             {"C": loguniform(1e-3, 1e2)}, n_iter=4, cv=3, random_state=0)
    assert abs(ref.fit(X, y).best_score_ - s.best_score_) < 0.1


def test_seeded_searches_repeat(digits) -> None:  # type: ignore[no-untyped-def]
    X, y = digits
    a = _search(n_iter=2).fit(X, y).cv_results_["params"]
    b = _search(n_iter=2).fit(X, y).cv_results_["params"]
    assert a == b


def test_pipeline_params_parallel_jobs_and_sqlite(digits, tmp_path) -> None:  # type: ignore[no-untyped-def]
    X, y = digits
    url = f"sqlite:///{tmp_path}/s.db"
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))
    s = SearchCV(pipe, {"logisticregression__C": caviar.Float(1e-2, 10, scale="log")},
                 n_iter=4, cv=2, n_jobs=2, random_state=1, storage=url, study_name="pipe",
                 scoring=["accuracy", "f1_macro"], refit="f1_macro").fit(X, y)
    stored = caviar.load_study("pipe", storage=url)
    assert stored.counts() == {"complete": 4}
    assert stored.best_value == pytest.approx(s.best_score_)
    assert "mean_test_accuracy" in s.cv_results_


def test_sklearn_param_checks() -> None:
    s = _search()
    check_get_params_invariance("SearchCV", s)
    check_set_params("SearchCV", s)
    assert clone(s).get_params()["n_iter"] == 4


def test_unknown_param_is_a_clear_error_before_any_fit(digits) -> None:  # type: ignore[no-untyped-def]
    X, y = digits
    s = SearchCV(LogisticRegression(), {"alpha": loguniform(1e-3, 1)}, n_iter=2)
    with pytest.raises(caviar.UsageError, match=r"LogisticRegression has no param"):
        s.fit(X, y)
    with pytest.raises(caviar.UsageError, match=r"scipy\.stats distribution"):
        SearchCV(LogisticRegression(), {"C": 3.0}).fit(X, y)


def test_failed_fits_are_failed_trials(digits) -> None:  # type: ignore[no-untyped-def]
    from sklearn.exceptions import FitFailedWarning

    X, y = digits
    s = SearchCV(LogisticRegression(max_iter=50), {"C": [-1.0, 1.0]}, n_iter=6, cv=2,
                 random_state=0)
    with pytest.warns(FitFailedWarning):
        s.fit(X, y)
    failed = s.study_.get_trials(["fail"])
    assert failed and len(failed) < 6
    assert all(t.params["C"] == -1.0 and "finite" in (t.error or "") for t in failed)
    assert s.best_params_ == {"C": 1.0}
