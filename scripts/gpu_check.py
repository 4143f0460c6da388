"""GPU check of the population engine through the tuner (run on a CUDA machine):

    PYTHONPATH=src python scripts/gpu_check.py
"""

from __future__ import annotations

import time

import torch

import caviar
from caviar.adapters import MLP_SPACE, tune_population

print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", flush=True)
for n, p in ((64, 64), (256, 256), (1024, 1024)):
    study = caviar.create_study(direction="maximize", space=MLP_SPACE, seed=0)
    t0 = time.perf_counter()
    tune_population(study, n_trials=n, population=p, device="cuda")
    dt = time.perf_counter() - t0
    c = study.counts()
    print(f"tune_population on cuda: {n} trials, population {p}: {dt:.1f} s, "
          f"{dt / n * 1e3:.1f} ms/trial, states {c}, best val acc {study.best_value:.4f}",
          flush=True)
