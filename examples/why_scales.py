"""Why the scale matters: where 10,000 draws land on linear, log and reverse-log scales.

On [1e-4, 1] a linear scale spends 90% of its draws in [0.1, 1]; a log scale gives each
decade a quarter. For a momentum beta in [0.9, 0.999] the reverse-log scale (1 - beta
log-uniform) puts half of the draws above 0.99, where beta's effect changes fastest.

    python examples/why_scales.py
"""

from __future__ import annotations

import numpy as np

import caviar


def shares(param: caviar.Float, edges: list[float], n: int = 10_000, seed: int = 0) -> list[float]:
    u = np.random.default_rng(seed).random(n)
    x = param.from_unit(u)
    counts, _ = np.histogram(x, bins=edges)
    return [c / n for c in counts]


def main() -> dict[str, list[float]]:
    decades = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    out = {
        "lr linear": shares(caviar.Float(1e-4, 1.0), decades),
        "lr log": shares(caviar.Float(1e-4, 1.0, scale="log"), decades),
    }
    betas = [0.9, 0.99, 0.999]
    out["beta linear"] = shares(caviar.Float(0.9, 0.999), betas)
    out["beta reverse_log"] = shares(caviar.Float(0.9, 0.999, scale="reverse_log"), betas)
    print("share of draws per decade of lr in [1e-4, 1]:")
    for k in ("lr linear", "lr log"):
        print(f"  {k:18s} " + "  ".join(f"{s:5.1%}" for s in out[k]))
    print("share of beta draws in [0.9, 0.99) and [0.99, 0.999]:")
    for k in ("beta linear", "beta reverse_log"):
        print(f"  {k:18s} " + "  ".join(f"{s:5.1%}" for s in out[k]))
    return out


if __name__ == "__main__":
    main()
