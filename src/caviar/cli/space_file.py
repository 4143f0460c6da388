"""``--space FILE.json``: a study's space in the JSON form of ``caviar.space.Space``.

The format, one object per param (``to_json`` of Float, Int, Choice)::

    {"lr":     {"type": "float", "low": 1e-4, "high": 1.0, "scale": "log"},
     "layers": {"type": "int", "low": 1, "high": 4},
     "act":    {"type": "choice", "choices": ["relu", "tanh"]}}
"""

from __future__ import annotations

import json
from typing import Any

from caviar.errors import SpaceError, UsageError

EXAMPLE = '{"lr": {"type": "float", "low": 1e-4, "high": 1.0, "scale": "log"}}'
FIELDS = {"float": ({"low", "high"}, {"scale", "step"}),  # kind: (required, optional)
          "int": ({"low", "high"}, {"scale", "step"}),
          "choice": ({"choices"}, set())}


def load_space_file(path: str) -> Any:
    """The ``Space`` the JSON file at ``path`` holds; a UsageError naming the file otherwise."""
    from caviar.space import Space

    where = f"--space {path!r}"
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UsageError(f"{where}: the file does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{where}: cannot be read ({e}); give a UTF-8 JSON file") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{where}: not valid JSON ({e.msg} at line {e.lineno}, column "
                         f"{e.colno}); the format is {EXAMPLE}") from None
    if not isinstance(doc, dict) or not doc:
        raise UsageError(f"{where}: must hold a non-empty JSON object of param name to "
                         f"definition, got {type(doc).__name__}; e.g. {EXAMPLE}")
    for name, d in doc.items():
        kind = d.get("type") if isinstance(d, dict) else None
        if not isinstance(d, dict) or kind not in FIELDS:
            raise UsageError(f"{where}: param {name!r}: needs \"type\" one of {list(FIELDS)}, "
                             f"got {d!r}; e.g. {EXAMPLE}")
        required, optional = FIELDS[kind]
        missing, unknown = required - set(d), set(d) - required - optional - {"type"}
        if missing or unknown:
            raise UsageError(f"{where}: param {name!r} ({kind}): "
                             + (f"misses {sorted(missing)}" if missing else
                                f"unknown fields {sorted(unknown)}")
                             + f"; a {kind} takes {sorted(required | optional)}")
    try:
        return Space.from_json(doc)
    except (SpaceError, TypeError, ValueError) as e:
        raise UsageError(f"{where}: {e}") from None
