"""caviar.constraints: the checked evaluation of a constraints callable."""

from __future__ import annotations

import math

import numpy as np
import pytest

from caviar.constraints import check_callable, evaluate, expected_length
from caviar.errors import UsageError
from caviar.trial_record import COMPLETE, FrozenTrial


def rec(number: int = 3, **attrs) -> FrozenTrial:
    return FrozenTrial(id=number, study_id=1, number=number, state=COMPLETE, value=1.0,
                       params={"x": 0.5}, system_attrs=attrs)


def test_a_list_tuple_or_array_of_numbers_becomes_floats():
    assert evaluate(lambda t: [t.params["x"] - 1, 2], rec()) == [-0.5, 2.0]
    assert evaluate(lambda t: (np.float32(0.25),), rec()) == [0.25]
    assert evaluate(lambda t: np.array([1, -1]), rec(), expected=2) == [1.0, -1.0]


@pytest.mark.parametrize(("out", "needle"), [
    (0.5, r"got the single number 0.5; wrap it: return \[0.5\]"),
    ("bad", "must return a list of floats"),
    (None, "must return a list of floats"),
    ([], "returned an empty list"),
    ([1.0, "a"], "element 1 must be a number, got 'a'"),
    ([True], "element 0 must be a number"),
    ([0.0, math.nan], r"element 1 must be finite, got nan in \[0.0, nan\]"),
    ([math.inf], "element 0 must be finite"),
    (np.zeros((2, 2)), r"flat list of floats, got an array of shape \(2, 2\)"),
])
def test_wrong_shapes_and_non_finite_values_name_the_trial_and_the_fix(out, needle):
    with pytest.raises(UsageError, match=needle) as e:
        evaluate(lambda t: out, rec(7))
    assert "trial 7" in str(e.value)


def test_a_different_length_from_earlier_trials_is_refused():
    earlier = [rec(0, constraints=[0.1, -1.0]), rec(1)]
    assert expected_length(earlier) == 2 and expected_length([rec(0)]) is None
    with pytest.raises(UsageError, match=r"returned 1 values \[0.0\], earlier trials had 2"):
        evaluate(lambda t: [0.0], rec(), expected=expected_length(earlier))


def test_only_a_callable_or_none_is_accepted():
    assert check_callable(None) is None
    f = lambda t: [0.0]  # noqa: E731
    assert check_callable(f) is f
    with pytest.raises(UsageError, match=r"constraints: must be a callable .* got \[0.0\]"):
        check_callable([0.0])
