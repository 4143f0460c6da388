"""Every framework example tunes the lecture's network with caviar (3 trials, 2 epochs,
600 digits). Frameworks in their own venvs need `bash examples/frameworks/setup_envs.sh`;
without it these tests skip here and fail in CI (CI=true), where the venvs must exist."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "frameworks"))
import registry

pytestmark = pytest.mark.frameworks


@pytest.mark.parametrize("name", [f.name for f in registry.FRAMEWORKS])
def test_framework_example_is_tuned_by_caviar(name: str) -> None:
    fw = registry.BY_NAME[name]
    if registry.python_for(fw) is None:
        if os.environ.get("CI"):
            pytest.fail(registry.missing_reason(fw))
        pytest.skip(registry.missing_reason(fw))
    # PyTensor's C backend compiles for minutes on a cold cache; the Python one is enough here
    env = {"PYTENSOR_FLAGS": "mode=FAST_COMPILE", "OMP_NUM_THREADS": "1"}
    res = registry.run(fw, ["--quick"], timeout=600, env=env)
    assert res["framework"] == name
    assert res["trials"] == 3 and res["epochs"] == 2
    assert res["best_value"] > 0.3  # 10 classes: chance is 0.1
    assert set(res["best_params"]) == {"lr", "momentum", "hidden", "batch_size"}
