"""``caviar.sklearn.SearchCV``: see :mod:`caviar.integrations.sklearn` (needs scikit-learn)."""

from caviar.integrations.sklearn import SearchCV

__all__ = ["SearchCV"]
