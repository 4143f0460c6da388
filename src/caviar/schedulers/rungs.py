"""Rung budgets shared by promotion ASHA and synchronous halving."""

from __future__ import annotations

import math

from caviar.errors import UsageError


def rung_budgets(owner: str, eta: int, min_budget: int, max_budget: int) -> list[int]:
    """Budgets ``min_budget * eta**k`` (epochs) below ``max_budget``, then ``max_budget``."""
    if isinstance(eta, bool) or not isinstance(eta, int) or eta < 2:
        raise UsageError(f"{owner}: eta must be an integer >= 2 (the reduction factor), got "
                         f"eta={eta!r}; use eta=3")
    if isinstance(min_budget, bool) or not isinstance(min_budget, int) or min_budget < 1:
        raise UsageError(f"{owner}: min_budget must be an integer >= 1 (epochs), got "
                         f"min_budget={min_budget!r}; use min_budget=1")
    if isinstance(max_budget, bool) or not isinstance(max_budget, int) or \
            max_budget < min_budget:
        raise UsageError(f"{owner}: max_budget must be an integer >= min_budget="
                         f"{min_budget} (epochs), got max_budget={max_budget!r}; use the "
                         "members' epochs")
    out = []
    k = 0
    while min_budget * eta**k < max_budget:
        out.append(min_budget * eta**k)
        k += 1
    out.append(max_budget)
    assert len(out) == 1 + (math.ceil(math.log(max_budget / min_budget, eta) - 1e-12)
                            if max_budget > min_budget else 0)
    return out
