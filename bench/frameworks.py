"""The lecture's "running speed" criterion, measured: the same network (two hidden layers with
batch norm, softmax, momentum SGD) tuned by caviar on digits in every framework, in one run.

For each framework: seconds per trial (import excluded; JIT compiles included, that is what a
user waits for) and the best validation accuracy, all with the same space, seed, trials and
epochs; beside them caviar.nn's population engine training the same configurations as one
batched program. Frameworks in their own venvs need `bash examples/frameworks/setup_envs.sh`;
a missing one is listed as such.

    python bench/frameworks.py            # 12 trials, 8 epochs, all of digits
    python bench/frameworks.py --quick    # 3 trials, 2 epochs, 600 digits

Writes bench/results/frameworks.txt (frameworks-quick.txt with --quick).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "examples" / "frameworks"))
sys.path.insert(0, str(ROOT / "src"))
import registry  # noqa: E402


def population_row(trials: int, epochs: int, subset: int | None) -> dict[str, Any]:
    """caviar.nn: the same configurations (the random sampler's first ``trials`` draws of the
    same space and seed) trained as one population."""
    try:
        from caviar.nn import load_dataset, train_population
    except ImportError as e:
        return {"framework": "caviar.nn (population)", "error": f"caviar.nn: {e}"}
    from common import SPACE, load_data

    import caviar

    study = caviar.create_study(direction="maximize", space=SPACE, seed=0)
    trials_ = study.ask(trials)
    data = load_data(subset, seed=0)
    ds = load_dataset(X=__import__("numpy").concatenate([data.X, data.X_val]),
                      y=__import__("numpy").concatenate([data.y, data.y_val]), seed=0,
                      val_fraction=len(data.y_val) / (len(data.y) + len(data.y_val)))
    configs = [{"lr": t.params["lr"], "optimizer": "momentum", "momentum": t.params["momentum"],
                "hidden": t.params["hidden"], "depth": 2, "batch_norm": True, "bn_beta": 0.9,
                "batch_size": t.params["batch_size"], "epochs": epochs, "seed": t.number}
               for t in trials_]
    start = time.perf_counter()
    res = train_population(configs, ds, threads=1)
    seconds = time.perf_counter() - start
    best = max(max(r.val_accuracy for r in m.history) for m in res.members)
    import torch

    return {"framework": "caviar.nn (population)", "version": torch.__version__,
            "trials": trials, "seconds_per_trial": seconds / trials, "best_value": best}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*", help="framework names (default: all)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    trials, epochs, subset = (3, 2, 600) if args.quick else (12, 8, None)
    extra = ["--trials", str(trials), "--epochs", str(epochs), "--seed", "0"]
    if subset:
        extra += ["--subset", str(subset)]
    rows: list[dict[str, Any]] = []
    for fw in registry.FRAMEWORKS:
        if args.only and fw.name not in args.only:
            continue
        print(f"running {fw.name} ...", flush=True)
        try:
            rows.append(registry.run(fw, extra, env={"OMP_NUM_THREADS": "1"}))
        except Exception as e:  # missing venv or a crash: say so in the table
            rows.append({"framework": fw.name, "error": str(e).splitlines()[0][:90]})
    if not args.only or "caviar.nn" in args.only:
        rows.append(population_row(trials, epochs, subset))
    lines = [f"frameworks: {trials} trials x {epochs} epochs on "
             f"{'600' if subset else 'all 1797'} digits, seed 0; {platform.machine()}, "
             f"{os.cpu_count()} cores, OMP_NUM_THREADS=1",
             f"{'framework':<24} {'version':<34} {'s/trial':>8} {'best val acc':>12}"]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['framework']:<24} not run: {r['error']}")
        else:
            lines.append(f"{r['framework']:<24} {str(r['version'])[:34]:<34} "
                         f"{r['seconds_per_trial']:>8.2f} {r['best_value']:>12.3f}")
    text = "\n".join(lines)
    print(text)
    out = args.out or HERE / "results" / ("frameworks-quick.txt" if args.quick else
                                          "frameworks.txt")
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
