from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from caviar.nn import ConfigError, MLPClassifier

# Checks that cannot apply, each with the reason (passed to parametrize_with_checks).
EXPECTED_FAILED: dict[str, str] = {}


@parametrize_with_checks(
    [MLPClassifier(epochs=10, lr=1e-2, hidden=16)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_predict_score_on_digits(digits):
    clf = MLPClassifier(epochs=10, lr=3e-3, seed=0, threads=1)
    assert clf.fit(digits.X_train, digits.y_train) is clf
    assert clf.score(digits.X_val, digits.y_val) > 0.9
    proba = clf.predict_proba(digits.X_val[:5])
    assert proba.shape == (5, 10) and np.allclose(proba.sum(1), 1)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10 and clf.loss_curve_[-1] < 0.5


def test_string_labels_and_bad_hyperparameters():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-2, 1, (40, 2)), rng.normal(2, 1, (40, 2))]
    y = np.array(["cat"] * 40 + ["dog"] * 40)
    clf = MLPClassifier(epochs=15, lr=1e-2, hidden=8, batch_size=16).fit(X, y)
    assert set(clf.predict(X)) <= {"cat", "dog"} and clf.score(X, y) > 0.9
    with pytest.raises(ConfigError, match="lr: must be > 0"):
        MLPClassifier(lr=-1.0).fit(X, y)
