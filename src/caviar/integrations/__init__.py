"""Bridges to the tools users already train with. Each module imports its framework on import,
so ``import caviar`` never does:

- ``caviar.integrations.keras``: ``KerasPruningCallback`` (Keras 3, any backend);
- ``caviar.integrations.lightning``: ``LightningPruningCallback`` (PyTorch Lightning 2);
- ``caviar.integrations.sklearn``: ``SearchCV`` (RandomizedSearchCV's conventions, trials in a
  caviar study); also importable as ``caviar.sklearn``.
"""

from caviar.integrations._common import check_trial, epoch_report

__all__ = ["check_trial", "epoch_report"]
