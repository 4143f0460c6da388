"""A scikit-learn style classifier on top of the population engine (a population of one).

``MLPClassifier(**hyperparameters).fit(X, y).predict(X)``; the constructor only stores its
arguments (the same keys as a population config, plus ``dtype``, ``device`` and ``threads``);
learned attributes end with ``_``. Labels may be any sortable values; features are standardised
with the training data's mean and standard deviation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .config import parse_config
from .data import Dataset
from .errors import TrainingError
from .population import train_population
from .predict import predict_logits

DTYPES = {"float32": torch.float32, "float64": torch.float64}


class MLPClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Multi-layer perceptron with batch norm and a softmax head, trained by caviar.nn."""

    def __init__(
        self,
        *,
        lr: float = 1e-3,
        optimizer: str = "adam",
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        lr_decay: str = "none",
        decay_rate: float | None = None,
        decay_steps: int = 10,
        hidden: int = 64,
        depth: int = 2,
        widths: list[int] | None = None,
        activation: str = "relu",
        batch_norm: bool = True,
        bn_beta: float = 0.9,
        bn_eps: float = 1e-5,
        bn_stats: str = "running",
        batch_size: int = 64,
        epochs: int = 20,
        seed: int = 0,
        dtype: str = "float32",
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        self.lr = lr
        self.optimizer = optimizer
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.lr_decay = lr_decay
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.hidden = hidden
        self.depth = depth
        self.widths = widths
        self.activation = activation
        self.batch_norm = batch_norm
        self.bn_beta = bn_beta
        self.bn_eps = bn_eps
        self.bn_stats = bn_stats
        self.batch_size = batch_size
        self.epochs = epochs
        self.seed = seed
        self.dtype = dtype
        self.device = device
        self.threads = threads

    def _config(self) -> dict[str, Any]:
        params: dict[str, Any] = dict(self.get_params())
        for key in ("dtype", "device", "threads"):
            params.pop(key)
        if params["widths"] is not None:
            params.pop("hidden")
            params.pop("depth")
            params["widths"] = list(params["widths"])
        else:
            params.pop("widths")
        return params

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        config = parse_config(self._config())  # bad hyperparameters fail before any work
        if self.dtype not in DTYPES:
            raise ValueError(
                f"dtype: must be one of {list(DTYPES)}, got {self.dtype!r}; use 'float32'"
            )
        X, y = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y: must hold at least 2 classes, got {len(self.classes_)} class; "
                "pass labeled data of two or more classes"
            )
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        Xs = (X - self.mean_) / self.scale_
        empty = np.empty((0, X.shape[1]))
        data = Dataset(
            Xs,
            y_enc.astype(np.int64),
            empty,
            np.empty(0, dtype=np.int64),
            len(self.classes_),
            "fit",
        )
        result = train_population(
            [self._config()],
            data,
            device=self.device,
            dtype=DTYPES[self.dtype],
            threads=self.threads,
        )
        member = result.members[0]
        if member.state == "failed":
            raise TrainingError(member.error or "training failed")
        self.config_ = config
        self.state_dict_ = member.state_dict()
        self.loss_curve_ = [h.train_loss for h in member.history]
        self.n_iter_ = member.epochs_trained
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "state_dict_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        dtype = next(iter(self.state_dict_.values())).dtype
        x = torch.as_tensor((X - self.mean_) / self.scale_, dtype=dtype)
        logits = predict_logits(self.config_, self.state_dict_, x)
        return torch.softmax(logits.double(), dim=-1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[np.argmax(proba, axis=1)])
