"""The framework examples, where each one runs, and how to run one (tests and bench use this).

Frameworks that live in .venv (torch, lightning, keras on torch, jax, pytensor) run with the
current interpreter; tensorflow, paddlepaddle and mxnet run in their own venvs made by
setup_envs.sh. ``python_for(name)`` finds the interpreter or returns None.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@dataclass(frozen=True)
class Framework:
    name: str
    script: str
    args: tuple[str, ...] = ()
    venv: str | None = None  # a separate venv made by setup_envs.sh
    module: str = ""  # what must import


FRAMEWORKS = [
    Framework("pytorch", "torch_digits.py", module="torch"),
    Framework("lightning", "lightning_digits.py", module="lightning"),
    Framework("keras-torch", "keras_digits.py", ("--backend", "torch"), module="keras"),
    Framework("jax", "jax_digits.py", module="jax"),
    Framework("pytensor", "pytensor_digits.py", module="pytensor"),
    Framework("tensorflow", "keras_digits.py", ("--backend", "tensorflow"), ".venv-tf",
              "tensorflow"),
    Framework("paddlepaddle", "paddle_digits.py", venv=".venv-paddle", module="paddle"),
    Framework("mxnet", "mxnet_digits.py", venv=".venv-mxnet", module="mxnet"),
]
BY_NAME = {f.name: f for f in FRAMEWORKS}


def python_for(fw: Framework) -> str | None:
    """The interpreter that has ``fw``: its own venv, else this one if it imports it."""
    if fw.venv:
        py = ROOT / fw.venv / "bin" / "python"
        if py.exists():
            return str(py)
    if importlib.util.find_spec(fw.module) is not None:
        return sys.executable
    return None


def missing_reason(fw: Framework) -> str:
    if fw.venv:
        return (f"{fw.name}: {fw.venv} is missing; run `bash examples/frameworks/setup_envs.sh "
                f"{fw.venv.removeprefix('.venv-')}`")
    return f"{fw.name}: {fw.module} is not installed; pip install -e '.[frameworks]'"


def run(fw: Framework, extra: list[str], *, timeout: float = 600,
        env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``fw``'s example with ``--json``; return its result (raises with the output)."""
    py = python_for(fw)
    if py is None:
        raise RuntimeError(missing_reason(fw))
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    cmd = [py, str(HERE / fw.script), *fw.args, *extra, "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=ROOT)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out: dict[str, Any] = json.loads(line[len("RESULT "):])
            return out
    raise RuntimeError(f"{fw.name}: {' '.join(cmd)} exited {proc.returncode} without a result\n"
                       f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
