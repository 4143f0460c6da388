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
        "storage", "executors", "export.py", "schedulers", "pareto.py", "study_values.py",
        "hypervolume.py", "constraints.py", "study_create.py", "study_cache.py"]
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


# ---------------------------------------------------------------------- layering
#: what each layer may import from caviar (docs/architecture.md, "Boundaries")
LAYERS: dict[str, tuple[str, ...]] = {
    # pure decisions: a pruner is handed curves, a sampler a history; neither reads storage
    "pruners": ("caviar.errors", "caviar.trial_record", "caviar.pruners"),
    "samplers": ("caviar.errors", "caviar.trial_record", "caviar.samplers", "caviar.space",
                 "caviar.pareto", "caviar.hypervolume"),
    # hypervolume and constraints: pure functions (samplers, the study and viz use them)
    "hypervolume.py": ("caviar.errors",),
    "constraints.py": ("caviar.errors", "caviar.trial_record"),
    # Pareto dominance: pure functions over arrays (samplers and the study use it)
    "pareto.py": ("caviar.trial_record",),
    "space": ("caviar.errors", "caviar.space"),
    # population schedulers: pure decisions over reports; no storage, no study, no engine
    "schedulers": ("caviar.errors", "caviar.schedulers", "caviar.space"),
    # figures: pure data and specs over records; the study object is handed in, never imported
    "viz": ("caviar.errors", "caviar.space", "caviar.trial_record", "caviar.viz",
            "caviar.analysis", "caviar.pareto", "caviar.hypervolume", "caviar.study_values",
            "caviar.panda.control"),
    # storage knows records, not studies, loops or samplers
    "storage": ("caviar.errors", "caviar.trial_record", "caviar.storage"),
}
#: only these may import an engine (caviar.nn); the core never does
ENGINE_BRIDGES = ("adapters",)
#: nothing in the library imports the command line (the cli imports the library)
NO_CLI = ["errors.py", "space", "samplers", "pruners", "schedulers", "trial.py", "study.py",
          "storage", "executors", "panda", "adapters", "analysis", "viz", "dashboard", "nn",
          "torch"]


def _caviar_imports(f: Path) -> set[str]:
    return {n for n in imports_of(f) if n == "caviar" or n.startswith("caviar.")}


def test_each_layer_imports_only_what_it_may() -> None:
    bad = []
    for layer, allowed in LAYERS.items():
        for f in files(layer):
            for name in _caviar_imports(f):
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    bad.append(f"{f.relative_to(SRC)} imports {name}")
    assert not bad, bad


def test_only_the_adapters_import_an_engine() -> None:
    bad = []
    for f in sorted(SRC.rglob("*.py")):
        rel = f.relative_to(SRC)
        if rel.parts[0] in ("nn", *ENGINE_BRIDGES):
            continue
        for name in imports_of(f):
            if name == "caviar.nn" or name.startswith("caviar.nn."):
                bad.append(f"{rel} imports {name}")
    assert not bad, bad


def test_the_library_never_imports_the_cli() -> None:
    bad = []
    for entry in NO_CLI:
        for f in files(entry):
            for name in _caviar_imports(f):
                if name == "caviar.cli" or name.startswith("caviar.cli."):
                    bad.append(f"{f.relative_to(SRC)} imports {name}")
    assert not bad, bad


def test_no_loop_reaches_into_the_study_private_state() -> None:
    """Loops go through the worker session and the study's public API: no ``study._x``."""
    bad = []
    for entry in ("executors", "adapters", "panda", "torch", "pruners", "samplers"):
        for f in files(entry):
            for node in ast.walk(ast.parse(f.read_text())):
                if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                        and not node.attr.startswith("__")):
                    owner = node.value
                    name = owner.attr if isinstance(owner, ast.Attribute) else getattr(
                        owner, "id", "")
                    if name in ("study", "_study"):
                        bad.append(f"{f.relative_to(SRC)}:{node.lineno} study.{node.attr}")
    assert not bad, bad
