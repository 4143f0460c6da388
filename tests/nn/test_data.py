from __future__ import annotations

import numpy as np
import pytest

from caviar.nn import DataError, load_dataset


def test_digits_split_is_stratified_seeded_and_standardised_on_train():
    a = load_dataset("digits", seed=0, val_fraction=0.2)
    b = load_dataset("digits", seed=0, val_fraction=0.2)
    c = load_dataset("digits", seed=1, val_fraction=0.2)
    assert np.array_equal(a.X_train, b.X_train) and not np.array_equal(a.X_train, c.X_train)
    assert len(a.X_train) + len(a.X_val) == 1797 and a.n_classes == 10 and a.n_features == 64
    train_frac = np.bincount(a.y_train) / len(a.y_train)
    val_frac = np.bincount(a.y_val) / len(a.y_val)
    assert np.abs(train_frac - val_frac).max() < 0.01
    assert np.allclose(a.X_train.mean(0), 0, atol=1e-12)
    nonconstant = a.X_train.std(0) > 0
    assert np.allclose(a.X_train.std(0)[nonconstant], 1)
    assert abs(a.X_val.mean()) > 1e-6  # validation data did not take part in the fit


def test_mnist5k_is_shuffled_real_mnist():
    d = load_dataset("mnist5k", seed=0, val_fraction=0.2)
    assert d.n_features == 784 and d.n_classes == 10 and len(d.X_train) == 4000
    assert len(set(d.y_train[:50].tolist())) > 5  # not sorted by class


@pytest.mark.slow
def test_mnist1d_is_generated_locally():
    d = load_dataset("mnist1d", seed=0)
    assert d.n_features == 40 and d.n_classes == 10 and len(d.X_train) + len(d.X_val) == 5000


def test_user_arrays_and_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.repeat([0, 1, 2], 20)
    d = load_dataset(X=X, y=y, seed=0, val_fraction=0.25)
    assert len(d.X_val) == 15 and np.bincount(d.y_val).tolist() == [5, 5, 5]
    path = tmp_path / "data.csv"
    rows = ["a,b,label,c"] + [f"{x[0]},{x[1]},{t},{x[2]}" for x, t in zip(X, y, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    e = load_dataset(path, label="label", seed=0, val_fraction=0.25)
    assert e.n_features == 3 and np.allclose(np.sort(e.X_train, axis=0), np.sort(d.X_train, axis=0))
    assert load_dataset(X=X, y=y, val_fraction=0.0).X_val.shape == (0, 3)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((5, 2)), np.zeros(4), "X and y: must have the same number of rows"),
        (np.zeros(5), np.zeros(5), "X: must be 2-D"),
        (np.array([[1.0], [np.nan], [0], [1]]), np.array([0, 1, 0, 1]), "X: must be finite"),
        (np.zeros((4, 1)), np.array([0, 1.5, 0, 1]), "y: must hold integer class labels"),
        (np.zeros((4, 1)), np.array(["a", "b", "a", "b"]), "y: must hold integer class labels"),
        (np.zeros((4, 1)), np.array([0, 2, 0, 2]), "y: must use every label 0..C-1"),
        (np.zeros((4, 1)), np.array([-1, 0, -1, 0]), "y: must use every label 0..C-1"),
        (np.zeros((4, 1)), np.zeros(4), "y: must hold at least 2 classes"),
        (np.zeros((4, 1)), np.zeros((4, 2)), "y: must be 1-D"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_error(X, y, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_dataset(X=X, y=y)


def test_unknown_source_and_missing_csv(tmp_path):
    with pytest.raises(DataError, match="data set: must be one of"):
        load_dataset("cifar")
    with pytest.raises(DataError, match="csv path: must name an existing file"):
        load_dataset(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="val_fraction"):
        load_dataset("digits", val_fraction=1.0)
