"""`make run`'s tuning time at two commits, one after the other on the same machine.

Each commit's ``src/`` is exported (``git archive``: nothing is written to the repository's
``.git``) into a folder under the system's temp dir, and the Makefile's ``run`` command is
run from each with the same venv: ``PYTHONPATH=<tree>/src <python> -m caviar tune-mlp --data
digits --trials 128 --population 64 --study digits-mlp --seed 0`` on a fresh SQLite file.
Nothing is installed. The tuning time is read from that file: from the study's creation to
its last finished trial (data loading and training; not the interpreter's start or the
imports); the whole command's wall time and CPU time (all its threads: on a shared, loaded
machine the work done, where wall time is mostly waiting for a core) are printed beside it.
Each commit runs ``--repeats`` times, alternating (A B A B ...), so a change in the
machine's load hits both sides alike.
Each side has its own torch.compile cache (``TORCHINDUCTOR_CACHE_DIR``), empty at its first
run, so run 1 is what a first `make run` costs and the median what a later one costs.
Prints each time, the medians and the ratio (old / new: how many times shorter the new
commit's tuning is), the best validation accuracy each found (parity), and the load average
before and after.

    python bench/make_run.py                       # 3fcc5d5 against HEAD, 3 repeats
    python bench/make_run.py --old 3fcc5d5 --new HEAD --repeats 5
    python bench/make_run.py --quick               # HEAD against HEAD, a tiny study (tests)
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the Makefile's `run` target, less the storage (a fresh SQLite file per run)
RUN_ARGS = ["tune-mlp", "--data", "digits", "--trials", "128", "--population", "64",
            "--study", "digits-mlp", "--seed", "0"]
QUICK_ARGS = ["tune-mlp", "--data", "digits", "--trials", "4", "--population", "2",
              "--epochs", "1", "--study", "digits-mlp", "--seed", "0"]


def export(commit: str, dest: Path, python: str) -> str:
    """``commit``'s ``src/`` under ``dest``, byte-compiled; returns the full commit hash."""
    full = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify",
                           commit + "^{commit}"], text=True, capture_output=True)
    if full.returncode:
        sys.exit(f"make_run: commit {commit!r} is not in {ROOT}'s history "
                 f"({full.stderr.strip()}); pass a commit git knows, e.g. --old HEAD~1")
    sha = full.stdout.strip()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", sha, "src"],
                         capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(dest, filter="data")
    # byte-compiled now, so neither side's first run pays for it inside the timed span
    subprocess.run([python, "-m", "compileall", "-q", str(dest / "src")], check=True)
    return sha


def span(db: Path) -> tuple[float, int, float]:
    """(seconds from the study's creation to its last finished trial, complete trials, best
    value), read straight from the SQLite file (the same columns at both commits)."""
    con = sqlite3.connect(db)
    try:
        created = con.execute("SELECT created_at FROM caviar_studies").fetchone()[0]
        last, n, best = con.execute(
            "SELECT MAX(finished_at), SUM(state = 'complete'), "
            "MAX(CASE WHEN state = 'complete' THEN value END) FROM caviar_trials").fetchone()
    finally:
        con.close()
    return float(last - created), int(n or 0), float("nan") if best is None else float(best)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(tree: Path, args: list[str], work: Path, python: str,
             threads: int | None) -> tuple[float, float, float, int, float]:
    """``python -m caviar ARGS`` with ``tree``'s source on a fresh db: (wall seconds, CPU
    seconds of the whole command, all threads, tuning seconds, complete trials, best value)."""
    db = work / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    # each side its own compile cache (torch.compile's kernels on disk), empty at its first run
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "NO_COLOR": "1",
           "TORCHINDUCTOR_CACHE_DIR": str(work / "inductor")}
    extra = ["--threads", str(threads)] if threads else []
    # `python -m caviar`, after checking that the caviar imported is the tree's
    cmd = [python, "-c", "import runpy, sys, caviar; "
           f"assert caviar.__file__.startswith({str(tree)!r}), caviar.__file__; "
           "sys.argv[0] = 'caviar'; runpy.run_module('caviar', run_name='__main__')",
           *args, *extra, "--storage", f"sqlite:///{db}", "--quiet"]
    c0, t0 = _children_cpu(), time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=work, text=True, capture_output=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if p.returncode:
        sys.exit(f"make_run: the command failed in {tree} (exit {p.returncode}):\n"
                 f"{p.stderr[-3000:]}")
    return (wall, cpu, *span(db))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", default="3fcc5d5", help="the commit before (default 3fcc5d5)")
    ap.add_argument("--new", default="HEAD", help="the commit after (default HEAD)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per commit, alternating")
    ap.add_argument("--threads", type=int, default=None,
                    help="pass --threads to both (default: none, as the Makefile)")
    ap.add_argument("--python", default=sys.executable, help="the venv's python for both")
    ap.add_argument("--quick", action="store_true", help="HEAD against HEAD, a tiny study")
    a = ap.parse_args(argv)
    if a.repeats < 1:
        sys.exit(f"make_run: --repeats must be >= 1, got {a.repeats}; e.g. --repeats 3")
    old, new = ("HEAD", "HEAD") if a.quick else (a.old, a.new)
    args = QUICK_ARGS if a.quick else RUN_ARGS
    repeats = 1 if a.quick else a.repeats
    base = Path(tempfile.mkdtemp(prefix="caviar-make-run-"))
    try:
        trees, shas = {}, {}
        for label, commit in (("old", old), ("new", new)):
            trees[label] = base / label
            shas[label] = export(commit, trees[label], a.python)
        tuning: dict[str, list[float]] = {"old": [], "new": []}
        wall: dict[str, list[float]] = {"old": [], "new": []}
        cpu: dict[str, list[float]] = {"old": [], "new": []}
        found: dict[str, tuple[int, float]] = {}
        out = [f"bench/make_run.py{' --quick' if a.quick else ''}: caviar {' '.join(args)}"
               f"{' --threads ' + str(a.threads) if a.threads else ''}, {repeats} run(s) per "
               f"commit alternating, {os.cpu_count()} CPUs, load average before {load()}"]
        for i in range(repeats):
            for label in ("old", "new"):
                work = base / f"work-{label}"
                work.mkdir(exist_ok=True)
                w, c, t, n, best = run_once(trees[label], args, work, a.python, a.threads)
                wall[label].append(w)
                cpu[label].append(c)
                tuning[label].append(t)
                found[label] = (n, best)
                print(f"  run {i + 1} {label} ({shas[label][:7]}): tuning {t:.2f} s, "
                      f"command {w:.2f} s, CPU {c:.2f} s", file=sys.stderr, flush=True)
        med = {k: statistics.median(v) for k, v in tuning.items()}
        for label, commit in (("old", old), ("new", new)):
            n, best = found[label]
            out.append(f"  {label} {commit} ({shas[label][:7]}): tuning median "
                       f"{med[label]:.2f} s (runs "
                       + " ".join(f"{t:.2f}" for t in tuning[label])
                       + f"), whole command median {statistics.median(wall[label]):.2f} s, "
                       f"CPU {statistics.median(cpu[label]):.2f} s; "
                       f"{n} complete trials, best validation accuracy {best:.4f}")
        out.append(f"  old/new = {med['old'] / med['new']:.2f}x shorter tuning at {new} than "
                   f"at {old} (study created to last trial finished); whole command "
                   f"{statistics.median(wall['old']) / statistics.median(wall['new']):.2f}x, "
                   f"its CPU time "
                   f"{statistics.median(cpu['old']) / statistics.median(cpu['new']):.2f}x; "
                   f"load average after {load()}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    text = "\n".join(out)
    print(text)
    return text


if __name__ == "__main__":
    main()
