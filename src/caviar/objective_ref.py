"""``FILE.py:FUNC`` as a picklable callable that loads the function where it runs.

The file may also declare the study's space at module level, ``SPACE = {"lr": Float(...),
...}`` (caviar.space params), which ``space()`` returns; `caviar tune` declares it, so
``--sampler grid`` works from the command line."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from typing import Any

from caviar.errors import ObjectiveLoadError, SpaceError
from caviar.space import Space


class ObjectiveRef:
    def __init__(self, spec: str) -> None:
        path, sep, func = spec.rpartition(":")
        if not sep or not path or not func:
            raise ObjectiveLoadError(
                f"objective {spec!r}: must be FILE.py:FUNC, e.g. train.py:objective")
        self.spec = spec
        self.path = os.path.abspath(path)
        self.func = func
        self._fn: Any = None
        self._module: Any = None
        self.load()  # fail fast, before any trial runs

    def space(self) -> Space | None:
        """The module's ``SPACE`` as a ``caviar.space.Space``, or None when it declares none."""
        self.load()
        declared = getattr(self._module, "SPACE", None)
        if declared is None:
            return None
        if not isinstance(declared, Mapping):
            raise SpaceError(
                f"{self.path!r}: SPACE must be a dict of param name to Float(...), Int(...) or "
                f"Choice(...) (caviar.space), got {type(declared).__name__}; e.g. SPACE = "
                '{"lr": Float(1e-4, 1.0, scale="log")}')
        try:
            return Space(declared)
        except SpaceError as e:
            raise SpaceError(f"{self.path!r}: SPACE: {e}") from None

    def load(self) -> Any:
        if self._fn is not None:
            return self._fn
        if not os.path.isfile(self.path):
            raise ObjectiveLoadError(
                f"objective {self.spec!r}: file {self.path!r} does not exist; check the path")
        name = "caviar_objective_" + os.path.splitext(os.path.basename(self.path))[0]
        module = sys.modules.get(name)
        if module is None or getattr(module, "__file__", None) != self.path:
            loader = importlib.util.spec_from_file_location(name, self.path)
            if loader is None or loader.loader is None:
                raise ObjectiveLoadError(f"objective {self.spec!r}: cannot import {self.path!r}")
            module = importlib.util.module_from_spec(loader)
            sys.path.insert(0, os.path.dirname(self.path))
            sys.modules[name] = module
            try:
                loader.loader.exec_module(module)
            except Exception as e:
                del sys.modules[name]
                raise ObjectiveLoadError(
                    f"objective {self.spec!r}: importing {self.path!r} failed: "
                    f"{type(e).__name__}: {e}") from e
        fn = getattr(module, self.func, None)
        if fn is None or not callable(fn):
            found = sorted(k for k, v in vars(module).items()
                           if callable(v) and not k.startswith("_"))[:10]
            raise ObjectiveLoadError(
                f"objective {self.spec!r}: {self.path!r} has no function {self.func!r}; "
                f"callables there: {', '.join(found) or 'none'}")
        self._fn, self._module = fn, module
        return fn

    def __call__(self, trial: Any) -> Any:
        return self.load()(trial)

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "path": self.path, "func": self.func, "_fn": None,
                "_module": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
