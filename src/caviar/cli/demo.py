"""The built-in demo objective: a softmax (multinomial logistic) classifier trained with
mini-batch SGD on scikit-learn's bundled digits, tuned on the lecture's scales."""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

from caviar.space import Choice, Float, Int

SPACE = {
    "lr": Float(1e-4, 1.0, scale="log"),          # learning rate: log scale
    "alpha": Float(1e-7, 1e-1, scale="log"),      # L2 regularization: log scale
    "batch_size": Choice([16, 32, 64, 128]),
    "epochs": Int(5, 30),
}


@lru_cache(maxsize=1)
def _data() -> Any:
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        raise ImportError("the demo needs scikit-learn: pip install 'caviar[torch]'") from None
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), ytr, scaler.transform(Xva), yva


def objective(trial: Any) -> float:
    """Validation accuracy of a softmax classifier trained by mini-batch SGD."""
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    Xtr, ytr, Xva, yva = _data()
    p = trial.params
    clf = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=p["lr"],
                        alpha=p["alpha"], random_state=trial.number)
    rng = np.random.default_rng(trial.number)
    classes = np.unique(ytr)
    bs = int(p["batch_size"])
    for epoch in range(int(p["epochs"])):
        order = rng.permutation(len(ytr))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(0, len(order), bs):
                idx = order[i:i + bs]
                clf.partial_fit(Xtr[idx], ytr[idx], classes=classes)
        trial.report(float(clf.score(Xva, yva)), epoch)
    return float(clf.score(Xva, yva))
