"""The one bridge between caviar.nn (the PyTorch engine) and the study."""

from caviar.adapters.population import MLP_FIXED, MLP_SPACE, tune_population

__all__ = ["MLP_FIXED", "MLP_SPACE", "tune_population"]
