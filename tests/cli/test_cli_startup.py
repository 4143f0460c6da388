"""`caviar --help` starts light: the heavy libraries load only inside the commands using them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEAVY = {"numpy", "scipy", "torch", "plotly", "ray", "pandas", "sqlalchemy", "starlette", "uvicorn",
         "rich", "sklearn", "kaleido", "psycopg"}
PROBE = f"""
import sys
from caviar.cli.main import main
try:
    main(["--help"])
except SystemExit:
    pass
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({sorted(HEAVY)!r})))
"""


def test_help_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    p = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, text=True,
                       capture_output=True, timeout=120, check=True)
    assert "Usage: caviar" in p.stdout
    assert p.stdout.strip().splitlines()[-1] == "[]", p.stdout
