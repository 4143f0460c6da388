"""The population benchmark runs end to end in its --quick mode (speed is never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "population.py"


def run_bench(tmp_path: Path, *flags: str, timeout: int = 600) -> str:
    """The benchmark run with ``flags`` in a child process; the table it wrote."""
    out = tmp_path / "population-quick.txt"
    proc = subprocess.run([sys.executable, str(BENCH), *flags, "--out", str(out)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out.read_text()


def test_population_benchmark_quick(tmp_path):
    table = run_bench(tmp_path, "--quick")
    for row in (
        "(a) torch.nn",
        "(b) torch.nn, 2 processes",
        "(c) caviar population P=16",
        "(d) caviar, tuning space",
        "parity on 2 tuning-space configs",
        "(b') torch.nn, 2 warm processes x 1 thread",
        "(e) caviar, MLP_SPACE P=8",
        "(e) torch.nn, 2 warm processes x 1 thread, MLP_SPACE",
        "vs the warm peer on the same 8 MLP_SPACE configs",
    ):
        assert row in table, table
    parity = table.split("mean |diff|")[1].split()[0]
    assert float(parity) < 0.02, table  # same configs, same seeds: same accuracy as torch.nn


def test_population_benchmark_space_only_quick(tmp_path):
    """--space-only: the MLP_SPACE rows, the warm peer and the ratio naming it, written out."""
    table = run_bench(tmp_path, "--quick", "--space-only")
    assert "load average before/after" in table
    assert "(e) torch.nn, 2 warm processes x 1 thread, MLP_SPACE" in table
    assert "vs the warm peer on the same 8 MLP_SPACE configs" in table
    assert "(c) caviar" not in table


@pytest.mark.slow  # compiles one program: ~1-2 min with a cold inductor cache (8 min under load 14)
def test_population_benchmark_steps_quick(tmp_path):
    """--steps: eager and compiled rows, each with its ratio against the named warm peer."""
    table = run_bench(tmp_path, "--steps", "--quick", timeout=900)
    assert "peer (b') 2 warm processes x 1 thread" in table
    assert "first compiled call (incl. compile)" in table
    for step in ("eager", "compiled"):
        for threads in (1, 2):
            assert f"step={step:8s} threads={threads}" in table
    assert table.count("x the warm peer (b')") == 4
