"""Exports of a study's trials: a pandas DataFrame, CSV and JSON (plain values only).

A study with several directions exports one column per objective instead of ``value``:
``values_0``, ``values_1``, ... or ``values_<name>`` once the objectives are named
(``study.set_objective_names``); the JSON carries ``directions`` and each trial's ``values``."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caviar.study import Study

_BASE = ["number", "state", "value", "duration", "error"]


def value_keys(study: Study) -> list[str]:
    """The export's value columns: ``value``, or one per objective."""
    if not study.is_multi_objective:
        return ["value"]
    held = study.user_attrs.get("objective_names")
    return [f"values_{n}" for n in (study.objective_names if held else
                                    range(len(study.directions)))]


def rows(study: Study) -> tuple[list[str], list[dict[str, Any]]]:
    trials = study.trials
    keys = value_keys(study)
    names: list[str] = list(study.space)
    for t in trials:
        for k in t.params:
            if k not in names:
                names.append(k)
    attrs = sorted({k for t in trials for k in t.user_attrs})
    cols = (_BASE[:2] + keys + _BASE[3:] + [f"params_{n}" for n in names]
            + [f"user_attrs_{a}" for a in attrs])
    out = []
    multi = study.is_multi_objective
    for t in trials:
        r: dict[str, Any] = {"number": t.number, "state": t.state,
                             "duration": t.duration, "error": t.error}
        if multi:
            for i, k in enumerate(keys):
                r[k] = t.values[i] if t.values else None
        else:
            r["value"] = t.value
        for n in names:
            r[f"params_{n}"] = t.params.get(n)
        for a in attrs:
            r[f"user_attrs_{a}"] = t.user_attrs.get(a)
        out.append(r)
    return cols, out


def trials_dataframe(study: Study) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install 'caviar[export]'") from None
    cols, data = rows(study)
    return pd.DataFrame(data, columns=cols)


def to_csv(study: Study, path: str | None = None) -> str:
    cols, data = rows(study)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in data:
        w.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in r.items()})
    text = buf.getvalue()
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return text


def to_json(study: Study, path: str | None = None) -> str:
    doc = {
        "study": study.name, "direction": study.direction,
        "directions": list(study.directions), "objective_names": study.objective_names,
        "space": study.space.to_json(), "sampler": study.sampler.to_json(),
        "trials": [{
            "number": t.number, "state": t.state, "value": t.value,
            "values": None if t.values is None else list(t.values), "params": t.params,
            "user_attrs": t.user_attrs, "system_attrs": {
                k: v for k, v in t.system_attrs.items() if k != "traceback"},
            "error": t.error, "counted": t.counted, "created_at": t.created_at,
            "finished_at": t.finished_at,
        } for t in study.trials],
    }
    text = json.dumps(doc, indent=2)
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return text
