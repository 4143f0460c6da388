"""Drive your own loop with ask / tell, with learning curves reported per step.

    python examples/ask_tell.py
"""

from __future__ import annotations

import caviar


def train(lr: float, momentum: float, steps: int, trial: caviar.Trial) -> float:
    """Gradient descent with momentum on f(w) = (w - 3)^2; reports the loss every step."""
    w, v = 0.0, 0.0
    loss = (w - 3) ** 2
    for step in range(steps):
        grad = 2 * (w - 3)
        v = momentum * v + (1 - momentum) * grad
        w -= lr * v
        loss = (w - 3) ** 2
        trial.report(loss, step)
    return loss


def main(n_trials: int = 30) -> caviar.Study:
    study = caviar.create_study(
        "ask-tell", seed=0,
        space={"lr": caviar.Float(1e-3, 1.0, scale="log"),
               "momentum": caviar.Float(0.5, 0.99, scale="reverse_log")})
    for _ in range(n_trials):
        trial = study.ask()                      # declared params are already drawn
        loss = train(trial.params["lr"], trial.params["momentum"], 20, trial)
        study.tell(trial, loss)
    best = study.best_trial
    curve = study.reports([best.id])[best.id]
    print(f"best loss {best.value:.3g} with {best.params}; its curve over {len(curve)} steps")
    return study


if __name__ == "__main__":
    main()
