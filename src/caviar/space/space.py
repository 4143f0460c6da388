"""A search space: named params in a fixed order, with unit-cube and JSON codecs."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping
from typing import Any

import numpy as np

from caviar.errors import ParamConflictError, SpaceError
from caviar.space.params import Choice, Param, param_from_json


def as_param(name: str, spec: Any) -> Param:
    """Accept a Param or shorthand: a list/tuple of values means a Choice."""
    if isinstance(spec, list | tuple):
        return Choice(tuple(spec), name=name)
    if hasattr(spec, "named") and hasattr(spec, "to_json"):
        return spec.named(name)  # type: ignore[no-any-return]
    raise SpaceError(
        f"param {name!r}: expected Float(...), Int(...), Choice(...) or a list of choices, "
        f"got {spec!r}; e.g. Float(1e-4, 1, scale='log')"
    )


class Space(Mapping[str, Param]):
    """An ordered mapping from param name to definition."""

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        self._params: dict[str, Param] = {}
        for name, spec in (params or {}).items():
            if not isinstance(name, str) or not name:
                raise SpaceError(f"param names must be non-empty strings, got {name!r}")
            self._params[name] = as_param(name, spec)

    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def items(self) -> ItemsView[str, Param]:  # the dict's own view: Mapping's is slow
        return self._params.items()

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __repr__(self) -> str:
        return f"Space({self._params!r})"

    def add(self, name: str, param: Param) -> Param:
        """Add a param, or check it matches the definition already held."""
        old = self._params.get(name)
        if old is None:
            self._params[name] = param
            return param
        if old.to_json() != param.to_json():
            raise ParamConflictError(
                f"param {name!r}: a study keeps one definition per param, it holds "
                f"{old.to_json()} but got {param.to_json()}; rename the new param or use a "
                "new study"
            )
        return old

    def merged(self, other: Mapping[str, Param]) -> Space:
        out = Space(self)
        for name, p in other.items():
            out.add(name, p)
        return out

    # unit cube codec
    def from_unit(self, u: np.ndarray) -> list[dict[str, Any]]:
        """Rows of a ``[n, d]`` unit-cube array become params dicts (native Python values)."""
        cols = {}
        for j, (name, p) in enumerate(self._params.items()):
            v = p.from_unit(u[:, j])
            if isinstance(p, Choice):
                cols[name] = [p.choices[int(i)] for i in v]
            else:
                cols[name] = v.tolist()
        n = u.shape[0]
        return [{name: cols[name][i] for name in self._params} for i in range(n)]

    def to_unit(self, params: Mapping[str, Any]) -> np.ndarray:
        """A params dict becomes a unit-cube vector; missing (conditional) params become NaN."""
        out = np.full(len(self._params), np.nan)
        for j, (name, p) in enumerate(self._params.items()):
            if name in params:
                out[j] = float(p.to_unit(params[name]))
        return out

    # JSON codec
    def to_json(self) -> dict[str, Any]:
        return {name: p.to_json() for name, p in self._params.items()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Space:
        s = cls()
        for name, pd in d.items():
            s._params[name] = param_from_json(pd, name)
        return s
