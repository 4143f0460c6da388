"""The built-in babysat target: one caviar.nn network (torch.nn modules and torch.optim from
``caviar.nn.reference``) trained epoch by epoch on a packaged data set.

Each epoch it reads its mutable params through ``trial.hyper`` and writes them into the
optimizer's ``param_groups`` in place (lr; Adam's betas; momentum; RMSprop's alpha), records
what the optimizer actually used in ``user_attrs['optimizer']``, reports the validation
accuracy (the step boundary where nudges land), and checkpoints the model's state dict and the
optimizer's state as arrays. The mini-batch order of epoch ``e`` depends only on
``(seed, e)``, so a run resumed or branched from a checkpoint sees the same batches an
uninterrupted run would.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from caviar.errors import UsageError
from caviar.space import Choice, Float, Int, Param

#: mutable params, by optimizer (what can change in param_groups without rebuilding anything)
MUTABLE: dict[str, tuple[str, ...]] = {
    "sgd": ("lr",), "momentum": ("lr", "momentum"), "rmsprop": ("lr", "beta2"),
    "adam": ("lr", "beta1", "beta2"),
}
#: definitions for params the study does not define yet (a study's own definitions win)
PARAM_DEFS: dict[str, Param] = {
    "lr": Float(1e-5, 1.0, scale="log"),
    "beta1": Float(0.5, 0.999, scale="reverse_log"),
    "beta2": Float(0.9, 0.99999, scale="reverse_log"),
    "momentum": Float(0.5, 0.999, scale="reverse_log"),
    "hidden": Int(4, 1024, scale="log"),
    "depth": Int(0, 4),
    "batch_size": Choice([16, 32, 64, 128, 256, 512]),
}
#: config keys that stay fixed for a run and are not params of the study
CONFIG_KEYS = ("optimizer", "activation", "batch_norm", "bn_beta", "bn_eps", "eps",
               "weight_decay", "seed")


class MLPTarget:
    """``MLPTarget(data='digits', epochs=20, config={...})(trial) -> validation accuracy``."""

    direction = "maximize"

    def __init__(self, data: str = "digits", *, epochs: int = 20,
                 config: Mapping[str, Any] | None = None, data_seed: int = 0,
                 threads: int = 1, dtype: str = "float64") -> None:
        from caviar import nn

        cfg = dict(config or {})
        bad = sorted(set(cfg) - set(CONFIG_KEYS))
        if bad:
            raise UsageError(f"babysit --mlp: {bad} are not fixed config keys; fixed keys: "
                             f"{', '.join(CONFIG_KEYS)}; params ({', '.join(PARAM_DEFS)}) go "
                             "with --param")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise UsageError(f"babysit --epochs: must be an integer >= 1, got {epochs!r}")
        if dtype not in ("float32", "float64"):
            raise UsageError(f"babysit dtype: must be float32 or float64, got {dtype!r}")
        nn.parse_config({**cfg, "epochs": epochs})  # bad input fails before any trial
        self.data, self.epochs, self.config = data, epochs, cfg
        self.data_seed, self.threads, self.dtype = data_seed, threads, dtype

    @property
    def optimizer(self) -> str:
        from caviar import nn

        return str(self.config.get("optimizer", nn.DEFAULTS["optimizer"]))

    def spec(self) -> dict[str, Any]:
        return {"target": "mlp", "data": self.data, "epochs": self.epochs,
                "config": dict(self.config), "data_seed": self.data_seed,
                "threads": self.threads, "dtype": self.dtype}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> MLPTarget:
        return cls(spec.get("data", "digits"), epochs=int(spec.get("epochs", 20)),
                   config=spec.get("config") or {}, data_seed=int(spec.get("data_seed", 0)),
                   threads=int(spec.get("threads", 1)), dtype=str(spec.get("dtype", "float64")))

    def param_names(self) -> tuple[str, ...]:
        return ("lr", *MUTABLE[self.optimizer][1:], "hidden", "depth", "batch_size")

    def default_params(self, study: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """The run's params: ``given``, else caviar.nn's defaults (inside the study's range,
        else the range's middle)."""
        from caviar import nn

        unknown = sorted(set(given) - set(self.param_names()))
        if unknown:
            raise UsageError(f"--param {unknown[0]}: not a param of the babysat network with "
                             f"optimizer {self.optimizer!r}; params: "
                             f"{', '.join(self.param_names())} (fixed settings such as "
                             f"optimizer go with --config)")
        out: dict[str, Any] = {}
        for name in self.param_names():
            p = study.param(name) or PARAM_DEFS[name]
            value = given.get(name, nn.DEFAULTS[name])
            try:
                out[name] = p.validate(value)
            except ValueError as e:
                if name in given:
                    raise UsageError(f"--param {name}={value!r}: {e}; fix: a value inside "
                                     "the range") from None
                out[name] = p.value(0.5)
        return out

    # ------------------------------------------------------------------ the run
    def __call__(self, trial: Any) -> float:
        import torch

        from caviar import nn

        study = trial._study
        for name in self.param_names():
            trial.suggest(name, study.param(name) or PARAM_DEFS[name])
        keys = set(nn.ALLOWED_KEYS)
        extra = sorted(k for k in trial.params if k not in keys)
        if extra:
            raise UsageError(f"study {study.name!r}: params {extra} are not caviar.nn "
                             f"hyperparameters; babysit the network in another study")
        raw = {**self.config, **trial.params, "epochs": self.epochs}
        cfg = nn.parse_config(raw)
        torch.set_num_threads(self.threads)
        data = nn.load_dataset(self.data, seed=self.data_seed)
        dtype = torch.float64 if self.dtype == "float64" else torch.float32
        model = nn.reference_module(cfg, data.n_features, data.n_classes, dtype=dtype)
        opt = nn.torch_optimizer(cfg, model)
        x, y = torch.as_tensor(data.X_train, dtype=dtype), torch.as_tensor(data.y_train)
        xv, yv = torch.as_tensor(data.X_val, dtype=dtype), torch.as_tensor(data.y_val)
        start = 0
        got = trial.restore()
        if got is not None:
            state, step = got
            load_state(model, opt, state)
            start = step + 1
            trial.system_attrs["restored"] = {"step": step}
        mutable = MUTABLE[cfg.optimizer]
        used: list[dict[str, Any]] = trial.user_attrs.setdefault("optimizer", [])
        curves: dict[str, list[float]] = trial.user_attrs.setdefault(
            "curves", {"train_loss": [], "val_loss": [], "val_acc": []})
        acc = float("nan")
        for epoch in range(start, cfg.epochs):
            apply_hypers(opt, cfg.optimizer, {n: trial.hyper(n) for n in mutable})
            used.append({"epoch": epoch, **read_hypers(opt, cfg.optimizer)})
            t0 = time.perf_counter()
            loss = train_epoch(model, opt, x, y, cfg, epoch)
            v_loss, acc = evaluate(model, xv, yv)
            for k, v in (("train_loss", loss), ("val_loss", v_loss), ("val_acc", acc)):
                curves[k].append(v)
            trial.set_user_attr("seconds_per_epoch", time.perf_counter() - t0)
            trial.report(acc, epoch)          # the boundary: nudges, pause, stop land here
            trial.checkpoint(state_of(model, opt), epoch)
        return acc


# ---------------------------------------------------------------------- building blocks
def apply_hypers(opt: Any, optimizer: str, hp: Mapping[str, Any]) -> None:
    """Write the lecture's hyperparameters into the optimizer's param_groups, in place."""
    for g in opt.param_groups:
        if optimizer == "momentum":
            m = float(hp.get("momentum", g["momentum"]))
            g["momentum"] = m
            g["lr"] = float(hp["lr"]) * (1.0 - m)  # torch's buffer is the lecture's / (1-beta)
        else:
            g["lr"] = float(hp["lr"])
        if optimizer == "adam":
            b1, b2 = g["betas"]
            g["betas"] = (float(hp.get("beta1", b1)), float(hp.get("beta2", b2)))
        elif optimizer == "rmsprop":
            g["alpha"] = float(hp.get("beta2", g["alpha"]))


def read_hypers(opt: Any, optimizer: str) -> dict[str, float]:
    """What the optimizer holds now, in the lecture's terms (read back from param_groups)."""
    g = opt.param_groups[0]
    if optimizer == "momentum":
        return {"lr": g["lr"] / (1.0 - g["momentum"]), "momentum": g["momentum"],
                "torch_lr": g["lr"]}
    out = {"lr": g["lr"]}
    if optimizer == "adam":
        out["beta1"], out["beta2"] = g["betas"]
    elif optimizer == "rmsprop":
        out["beta2"] = g["alpha"]
    return out


def batch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The permutation of epoch ``epoch``: a function of (seed, epoch) only."""
    return np.random.default_rng([seed, 1, epoch]).permutation(n)


def train_epoch(model: Any, opt: Any, x: Any, y: Any, cfg: Any, epoch: int) -> float:
    import torch

    from caviar.nn.group import batch_bounds

    model.train()
    perm = torch.from_numpy(batch_order(cfg.seed, epoch, len(x)))
    total, seen = 0.0, 0
    for a, b in batch_bounds(len(x), min(cfg.batch_size, len(x)), cfg.batch_norm):
        idx = perm[a:b]
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        total += float(loss.detach()) * (b - a)
        seen = b
    return total / max(seen, 1)


def evaluate(model: Any, xv: Any, yv: Any) -> tuple[float, float]:
    import torch

    model.eval()
    with torch.no_grad():
        out = model(xv)
        loss = float(torch.nn.functional.cross_entropy(out, yv))
        acc = float((out.argmax(1) == yv).double().mean())
    return loss, acc


def state_of(model: Any, opt: Any) -> dict[str, Any]:
    """The checkpoint: the model's state dict and the optimizer's per-parameter state (arrays;
    the hyperparameters come back from the trial's events, not from here)."""
    return {"model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": {int(k): {n: (v.detach().cpu() if hasattr(v, "detach") else v)
                                   for n, v in s.items()}
                          for k, s in opt.state_dict()["state"].items()}}


def load_state(model: Any, opt: Any, state: Mapping[str, Any]) -> None:
    import torch

    model.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in state["model"].items()})
    groups = opt.state_dict()["param_groups"]
    per = {int(k): {n: (torch.as_tensor(np.asarray(v)) if isinstance(v, np.ndarray) else v)
                    for n, v in s.items()} for k, s in (state.get("optimizer") or {}).items()}
    opt.load_state_dict({"state": per, "param_groups": groups})
