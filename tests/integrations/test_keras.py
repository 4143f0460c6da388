from __future__ import annotations

import numpy as np
import pytest

import caviar

keras = pytest.importorskip("keras", reason="keras is in the 'frameworks' extra")
if keras.backend.backend() != "torch":  # pragma: no cover
    pytest.skip("these tests run Keras on its torch backend", allow_module_level=True)
from caviar.integrations.keras import KerasPruningCallback  # noqa: E402


def _data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 4)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype("int64")
    return X[:64], y[:64], X[64:], y[64:]


def _objective(epochs: int):  # type: ignore[no-untyped-def]
    X, y, Xv, yv = _data()

    def objective(trial: caviar.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-2, 0.5, log=True)
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(keras.optimizers.SGD(lr), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        h = model.fit(X, y, validation_data=(Xv, yv), epochs=epochs, batch_size=16, verbose=0,
                      callbacks=[KerasPruningCallback(trial, monitor="val_accuracy")])
        return float(h.history["val_accuracy"][-1])

    return objective


def test_reports_every_epoch() -> None:
    study = caviar.create_study(direction="maximize", seed=0)
    study.optimize(_objective(3), n_trials=2)
    assert study.counts() == {"complete": 2}
    curves = study.reports()
    assert all(sorted(c) == [0, 1, 2] for c in curves.values()) and len(curves) == 2
    best = study.best_trial
    assert curves[best.id][2] == pytest.approx(best.value)


def test_pruner_stops_fit(prune_after) -> None:  # type: ignore[no-untyped-def]
    study = caviar.create_study(direction="maximize", seed=0, pruner=prune_after(2))
    study.optimize(_objective(5), n_trials=2)
    assert study.counts() == {"pruned": 2}
    assert all(sorted(c) == [0, 1] for c in study.reports().values())


def test_without_a_trial_is_a_clear_error() -> None:
    with pytest.raises(caviar.UsageError, match="needs the caviar Trial"):
        KerasPruningCallback(None, monitor="val_loss")


def test_unknown_monitor_names_the_logged_metrics() -> None:
    X, y, _, _ = _data()
    study = caviar.create_study(direction="minimize")
    trial = study.ask()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    with pytest.raises(caviar.UsageError, match=r"'val_loss' is not among .*'loss'"):
        model.fit(X, np.eye(2)[y], epochs=1, verbose=0,
                  callbacks=[KerasPruningCallback(trial, monitor="val_loss")])


def test_loss_monitored_in_a_maximizing_study_warns() -> None:
    trial = caviar.create_study(direction="maximize").ask()
    with pytest.warns(caviar.errors.CaviarWarning, match="maximize"):
        KerasPruningCallback(trial, monitor="val_loss")
