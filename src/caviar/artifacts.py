"""Checkpoints as files in an artifact directory beside the store, referenced from it.

A checkpoint is a (nested) mapping of arrays and JSON values. It is written as one ``.npz``
file (arrays; ``allow_pickle=False`` both ways) with the JSON structure inside, atomically
(temp file, then rename); the database keeps only an event pointing at the file. Nothing is
pickled. Tensors are accepted by duck typing (``.detach().cpu().numpy()``) and come back as
NumPy arrays.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from caviar.errors import UsageError

_META = "__caviar_meta__"


def default_root(storage_url: str) -> str:
    """``sqlite:///dir/x.db`` keeps artifacts in ``dir/x-artifacts``; otherwise
    ``$CAVIAR_ARTIFACTS`` or ``./caviar-artifacts``."""
    env = os.environ.get("CAVIAR_ARTIFACTS")
    if env:
        return os.path.abspath(env)
    if storage_url.startswith("sqlite:///"):
        path = os.path.abspath(storage_url[len("sqlite:///"):])
        return os.path.splitext(path)[0] + "-artifacts"
    return os.path.abspath("caviar-artifacts")


def _flatten(state: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    if hasattr(state, "detach") and hasattr(state, "cpu"):
        state = state.detach().cpu().numpy()
    if isinstance(state, np.ndarray):
        if state.dtype == object:
            raise UsageError(f"checkpoint: {path or 'state'} is an object array; store numbers")
        key = f"a{len(arrays)}"
        arrays[key] = state
        return {"__array__": key}
    if isinstance(state, np.generic):
        return state.item()
    if isinstance(state, Mapping):
        out = {}
        for k, v in state.items():
            if not isinstance(k, str | int):
                raise UsageError(f"checkpoint: keys must be str or int, got {k!r} at {path!r}")
            out[str(k)] = _flatten(v, f"{path}/{k}", arrays)
        kinds = {type(k).__name__ for k in state}
        return {"__dict__": out, "__keys__": "int" if kinds == {"int"} else "str"}
    if isinstance(state, list | tuple):
        return {"__list__": [_flatten(v, f"{path}/{i}", arrays) for i, v in enumerate(state)]}
    if state is None or isinstance(state, bool | int | float | str):
        return state
    raise UsageError(
        f"checkpoint: {path or 'state'} has type {type(state).__name__}; a checkpoint holds "
        "arrays, tensors, numbers, strings, lists and dicts (never pickled objects)")


def _unflatten(node: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__dict__" in node:
            conv = int if node.get("__keys__") == "int" else str
            return {conv(k): _unflatten(v, arrays) for k, v in node["__dict__"].items()}
        if "__list__" in node:
            return [_unflatten(v, arrays) for v in node["__list__"]]
    return node


def save(path: str, state: Any) -> None:
    arrays: dict[str, np.ndarray] = {}
    tree = _flatten(state, "", arrays)
    buf = io.BytesIO()
    meta = np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8)
    members: dict[str, Any] = {**arrays, _META: meta}
    np.savez(buf, **members)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: str) -> Any:
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != _META}
        tree = json.loads(bytes(z[_META]).decode())
    return _unflatten(tree, arrays)
