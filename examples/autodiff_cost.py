"""The lecture's framework lesson: minimize J(w) = w^2 - 10w + 25 = (w - 5)^2 with
automatic differentiation (PyTorch's autograd, as the lecture does with TensorFlow), reaching
w = 5, and let caviar tune the learning rate on a log scale.

    python examples/autodiff_cost.py
"""

from __future__ import annotations

import caviar


def descend(lr: float, steps: int = 100) -> float:
    import torch

    w = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        cost = w**2 - 10 * w + 25       # only the forward pass is written: autograd does the rest
        cost.backward()
        opt.step()
    return float(w.detach())


def objective(trial: caviar.Trial) -> float:
    w = descend(trial.suggest_float("lr", 1e-4, 1.5, log=True), steps=20)
    return abs(w - 5.0)


def main() -> dict[str, float]:
    w = descend(0.1)
    print(f"after 100 steps at lr=0.1: w = {w:.6f} (the minimum is w = 5)")
    study = caviar.create_study(seed=0)
    study.optimize(objective, n_trials=40)
    print(f"caviar's best lr for 20 steps: {study.best_params['lr']:.3g} "
          f"(|w - 5| = {study.best_value:.2e})")
    return {"w": w, "best_lr": study.best_params["lr"], "best_gap": study.best_value}


if __name__ == "__main__":
    main()
