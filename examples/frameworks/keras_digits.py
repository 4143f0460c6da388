"""The lecture's network in Keras 3, tuned by caviar through ``KerasPruningCallback``.

The backend is Keras's: ``--backend tensorflow`` (the lecture's TensorFlow; needs
tensorflow-cpu, see setup_envs.sh), ``--backend torch`` or ``--backend jax``. It is set
before Keras is first imported, as Keras requires.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BN_BETA, BN_EPS, N_CLASSES, quiet_logs, tune


def build(keras: Any, n_in: int, hidden: int) -> Any:
    layers = keras.layers

    def block() -> list[Any]:  # bias-free dense: batch norm's beta replaces it
        # Keras writes the running average with beta itself (momentum=0.9 is beta = 0.9)
        return [layers.Dense(hidden, use_bias=False),
                layers.BatchNormalization(momentum=BN_BETA, epsilon=BN_EPS),
                layers.Activation("relu")]

    return keras.Sequential([keras.Input((n_in,)), *block(), *block(),
                             layers.Dense(N_CLASSES, activation="softmax")])


def train(trial: Any, data: Any, *, epochs: int, seed: int) -> float:
    import keras

    from caviar.integrations.keras import KerasPruningCallback

    p = trial.params
    keras.utils.set_random_seed(seed)
    model = build(keras, data.X.shape[1], p["hidden"])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=p["lr"], momentum=p["momentum"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    n = len(data.y) - len(data.y) % p["batch_size"]  # whole batches only, as in common.py
    hist = model.fit(data.X[:n], data.y[:n], batch_size=p["batch_size"], epochs=epochs,
                     validation_data=(data.X_val, data.y_val), shuffle=True, verbose=0,
                     callbacks=[KerasPruningCallback(trial, monitor="val_accuracy")])
    return float(hist.history["val_accuracy"][-1])


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    backend = "tensorflow"
    if "--backend" in args:
        i = args.index("--backend")
        backend = args[i + 1]
        del args[i:i + 2]
    os.environ["KERAS_BACKEND"] = backend
    quiet_logs()
    import keras

    if backend == "tensorflow":
        import tensorflow as tf

        name, version = "tensorflow", f"{tf.__version__} (keras {keras.__version__})"
    else:
        name, version = f"keras-{backend}", keras.__version__
    tune(name, version, train, args)


if __name__ == "__main__":
    main()
