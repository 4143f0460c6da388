"""caviar.nn: the PyTorch engine (batch norm, softmax cross-entropy, population-trained MLPs).

It imports nothing else from caviar; ``caviar.adapters`` is the only bridge to the tuner.
"""

from .batchnorm import (
    BatchNorm,
    batch_norm_backward,
    batch_norm_eval,
    batch_norm_train,
    population_statistics,
)
from .config import ALLOWED_KEYS, DEFAULTS, MemberConfig, parse_config
from .data import Dataset, load_dataset
from .errors import ConfigError, DataError, NNError, TrainingError
from .functional import cross_entropy, cross_entropy_grad, log_softmax, softmax
from .layout import initial_state_dict
from .population import train_population
from .predict import predict_logits
from .reference import reference_module, torch_optimizer, train_reference
from .result import EpochReport, MemberResult, PopulationResult

__all__ = [
    "ALLOWED_KEYS",
    "DEFAULTS",
    "BatchNorm",
    "ConfigError",
    "DataError",
    "Dataset",
    "EpochReport",
    "MLPClassifier",
    "MemberConfig",
    "MemberResult",
    "NNError",
    "PopulationResult",
    "TrainingError",
    "batch_norm_backward",
    "batch_norm_eval",
    "batch_norm_train",
    "cross_entropy",
    "cross_entropy_grad",
    "initial_state_dict",
    "load_dataset",
    "log_softmax",
    "parse_config",
    "population_statistics",
    "predict_logits",
    "reference_module",
    "softmax",
    "torch_optimizer",
    "train_population",
    "train_reference",
]


def __getattr__(name: str) -> object:
    if name == "MLPClassifier":  # lazy: scikit-learn is imported only when asked for
        from .estimator import MLPClassifier

        return MLPClassifier
    raise AttributeError(name)
