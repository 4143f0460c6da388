"""Softmax with 2 classes is logistic regression: softmax([z0, z1])[1] = sigmoid(z1 - z0),
and a 2-class softmax classifier trained on breast_cancer matches scikit-learn's logistic
regression in accuracy.

    python examples/softmax_two_classes.py
"""

from __future__ import annotations

import torch


def main() -> dict[str, float]:
    from caviar import nn

    z = torch.randn(1000, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    gap = float((nn.softmax(z)[:, 1] - torch.sigmoid(z[:, 1] - z[:, 0])).abs().max())
    print(f"max |softmax([z0, z1])[1] - sigmoid(z1 - z0)| over 1000 draws: {gap:.1e}")

    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    X, y = load_breast_cancer(return_X_y=True)
    data = nn.load_dataset(X=X, y=y, seed=0)
    # no hidden layer: a linear softmax classifier (logistic regression with 2 classes)
    res = nn.train_population([{"widths": [], "batch_norm": False, "optimizer": "adam",
                                "lr": 1e-2, "epochs": 60, "batch_size": 64}], data, threads=1)
    lr = LogisticRegression(max_iter=5000).fit(data.X_train, data.y_train)
    ours, theirs = res.members[0].val_accuracy, float(lr.score(data.X_val, data.y_val))
    print(f"2-class softmax (caviar.nn): val acc {ours:.4f}; "
          f"scikit-learn LogisticRegression: {theirs:.4f}")
    return {"gap": gap, "softmax": ours, "logistic": theirs}


if __name__ == "__main__":
    main()
