"""Fault drills on real processes, signals and databases; prints, for each fault, the trials
expected, found (complete), duplicated params, left running, and the exit code(s).

    .venv/bin/python scripts/faults.py            # SQLite drills (and the disk-full drill as root)
    .venv/bin/python scripts/faults.py --postgres # also the dropped-connection drill

Each drill runs `caviar tune` on a grid with no seed (every point exactly once is the promise),
breaks it, then runs the same command again to resume.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
OBJECTIVE = """
import time
from caviar import Int
SPACE = {"x": Int(0, %d)}
def objective(trial):
    time.sleep(0.15)
    return float(trial.params["x"])
"""
CHILD = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
from caviar.cli.main import main
main(sys.argv[1:])
"""
N = 60


def caviar(args: list[str], **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, "-c", CHILD, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]


def trials(url: str) -> list[object]:
    from caviar import get_storage

    try:
        store = get_storage(url)
        return list(store.get_trials(store.get_study("drill").id)[0])
    except Exception:
        return []


def wait_complete(url: str, k: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sum(t.state == "complete" for t in trials(url)) >= k:  # type: ignore[attr-defined]
            return
        time.sleep(0.05)
    raise SystemExit(f"drill: fewer than {k} trials completed in {timeout} s")


def summary(url: str) -> str:
    ts = trials(url)
    done = [t.params.get("x") for t in ts if t.state == "complete"]  # type: ignore[attr-defined]
    running = sum(t.state == "running" for t in ts)  # type: ignore[attr-defined]
    return (f"expected {N}, found {len(done)}, duplicated {len(done) - len(set(done))}, "
            f"left running {running}")


def drill(name: str, url: str, workdir: Path, brk: Callable[[subprocess.Popen[str]], None],
          mend: Callable[[], None] = lambda: None) -> None:
    obj = workdir / "obj.py"
    obj.write_text(OBJECTIVE % (N - 1))
    args = ["tune", f"{obj}:objective", "--sampler", "grid", "--storage", url, "--study",
            "drill", "--trials", str(N), "--workers", "2", "--quiet"]
    proc = caviar(args, start_new_session=True)
    wait_complete(url, 6)
    brk(proc)
    proc.communicate(timeout=180)
    first = proc.returncode
    after = summary(url)
    mend()
    again = caviar(args)
    _, err2 = again.communicate(timeout=300)
    print(f"{name:34s} exit {first:>3}  after the fault: {after}", flush=True)
    print(f"{'':34s} resume exit {again.returncode:>3}: {summary(url)}", flush=True)
    if again.returncode != 0:
        print(err2[-800:], file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--postgres", default=None, nargs="?", const="postgresql://root@127.0.0.1/test")
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="caviar-faults-"))

    def kill9(proc: subprocess.Popen[str]) -> None:
        killed: set[int] = set()
        for _ in range(3):
            for t in trials(url):
                pid = int(t.worker.rsplit(":", 1)[1])  # type: ignore[attr-defined]
                if t.state == "running" and pid not in killed and pid != proc.pid:  # type: ignore[attr-defined]
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                    break
            time.sleep(0.5)

    for name, brk in (("kill -9 of workers (x3)", kill9),
                      ("SIGTERM to the main process", lambda p: os.kill(p.pid, signal.SIGTERM)),
                      ("SIGTERM to the process group", lambda p: os.killpg(p.pid, signal.SIGTERM)),
                      ("Ctrl-C (SIGINT to the group)", lambda p: os.killpg(p.pid, signal.SIGINT))):
        d = root / name.split()[0].strip("-")
        d.mkdir(exist_ok=True)
        url = f"sqlite:///{d / (str(abs(hash(name))) + '.db')}"
        drill(name, url, d, brk)

    if os.geteuid() == 0:
        disk = root / "disk"
        disk.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=True)
        try:
            url = f"sqlite:///{disk / 'c.db'}"

            def fill(_: subprocess.Popen[str]) -> None:
                with open(disk / "filler", "wb") as f, contextlib.suppress(OSError):
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()

            drill("disk full (4 MiB tmpfs filled)", url, root,
                  fill, lambda: (disk / "filler").unlink(missing_ok=True))
        finally:
            subprocess.run(["umount", "-l", str(disk)])

    if a.postgres:
        import psycopg

        schema = f"drill_{os.getpid()}"
        with psycopg.connect(a.postgres, autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {schema}")
        url = a.postgres + f"?options=-csearch_path%3D{schema}&application_name={schema}"

        def terminate(_: subprocess.Popen[str]) -> None:
            def loop() -> None:
                cut = 0
                for _ in range(5):
                    with psycopg.connect(a.postgres, autocommit=True) as c:
                        cut += len(c.execute("SELECT pg_terminate_backend(pid) FROM "
                                             "pg_stat_activity WHERE application_name = %s",
                                             (schema,)).fetchall())
                    time.sleep(0.7)
                print(f"  (the drill cut {cut} connections of the run)", flush=True)
            threading.Thread(target=loop, daemon=True).start()
            time.sleep(4)

        try:
            drill("pg_terminate_backend (x5)", url, root, terminate)
        finally:
            with psycopg.connect(a.postgres, autocommit=True) as c:
                c.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
