"""The import contract: the core never imports torch, ray or web libraries; caviar.nn imports
nothing else from caviar. Checked on the source (AST) and in a fresh interpreter."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "caviar"
CORE = ["errors.py", "space", "samplers", "pruners", "trial.py", "trial_record.py", "study.py",
        "storage", "executors", "export.py"]
FORBIDDEN_IN_CORE = {"torch", "ray", "starlette", "uvicorn", "plotly", "caviar.nn"}
# the Ray executor is the one place Ray is used; it is imported only for backend="ray"
EXEMPT = {"executors/ray_backend.py"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def files(entry: str) -> list[Path]:
    p = SRC / entry
    return sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.exists() else []


def test_core_sources_import_no_heavy_library() -> None:
    bad = []
    for entry in CORE:
        for f in files(entry):
            if str(f.relative_to(SRC)) in EXEMPT:
                continue
            for name in imports_of(f):
                if any(name == m or name.startswith(m + ".") for m in FORBIDDEN_IN_CORE):
                    bad.append(f"{f.relative_to(SRC)} imports {name}")
    assert not bad, bad


def test_nn_imports_nothing_else_from_caviar() -> None:
    bad = []
    for f in files("nn"):
        for name in imports_of(f):
            if name.startswith("caviar") and not name.startswith("caviar.nn"):
                bad.append(f"{f.relative_to(SRC)} imports {name}")
    assert not bad, bad


def test_importing_caviar_loads_no_torch() -> None:
    code = ("import sys, caviar, caviar.cli.main; "
            "print(sorted(m for m in ('torch', 'ray', 'starlette', 'plotly') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(SRC.parent)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
