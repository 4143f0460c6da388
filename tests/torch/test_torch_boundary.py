"""The caviar.torch engine knows nothing of studies: no module under src/caviar/torch imports
the study, storage, trial, executors, samplers, pruners or adapters (the bridge in
caviar.adapters.torch_population is the only place engine and study meet)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "caviar"
STUDY_SIDE = ("caviar.study", "caviar.storage", "caviar.trial", "caviar.trial_record",
              "caviar.executors", "caviar.samplers", "caviar.pruners", "caviar.adapters",
              "caviar.nn")


def test_engine_modules_import_no_study_code() -> None:
    bad = []
    files = sorted((SRC / "torch").rglob("*.py"))
    assert len(files) >= 10
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for n in names:
                if any(n == m or n.startswith(m + ".") for m in STUDY_SIDE):
                    bad.append(f"{f.relative_to(SRC)} imports {n}")
    assert not bad, bad
    assert "torch.py" not in {f.name for f in files}  # would shadow PyTorch
