"""train_population: many configurations trained as a few batched tensor programs.

Members are grouped into sub-populations by the planner (planner.py): never across what changes
the program's control flow (activation, batch norm on/off, the batch-norm inference rule), and
otherwise where a measured cost model says one padded program is cheaper than two (padding a
width-16 member to 256 costs more than a second program; two width-16 programs cost twice the
per-call overhead of one). Inside a sub-population members may differ in batch size (a member
with a batch k times the smallest steps on every k-th tick), in depth (a shallower member's
extra layers are masked identities), in hidden widths (padded to the widest, padded units stay
exactly zero) and in every scalar hyperparameter, the optimizer included (members are sorted by
batch size, then optimizer, so each optimizer updates contiguous rows). All sub-populations
advance one epoch at a time, then ``on_epoch`` sees every member's report and may stop members;
stopped, finished and failed (non-finite loss) members are compacted away so they cost nothing
more.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from .config import MemberConfig, optimizer_key, parse_configs
from .data import Dataset
from .errors import ConfigError, DataError, rule
from .exploit import PopulationControl
from .group import STEP_MODES, DeviceData, SubPopulation
from .planner import DEFAULT_COST, CostModel, plan
from .result import COMPLETE, FAILED, RUNNING, STOPPED, EpochReport, MemberResult, PopulationResult

OnEpoch = Callable[[int, list[EpochReport]], "set[int] | None"]
#: ``control(epoch, reports, population)``: a scheduler's hook (see exploit.py); epoch -1 first
Control = Callable[[int, list[EpochReport], PopulationControl], None]


def resolve_device(device: str | torch.device) -> torch.device:
    """'auto' picks CUDA when available; anything else is passed to torch.device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            rule("device", "name an available device", str(device), "use device='cpu' or 'auto'")
        )
    return dev


#: intra-op threads of a CPU population when train_population gets threads=None (docs/nn.md)
CPU_THREADS = 1


def to_device(data: Dataset, dtype: torch.dtype, device: torch.device) -> DeviceData:
    if not isinstance(data, Dataset):
        raise DataError(
            rule(
                "data",
                "be a caviar.nn Dataset",
                type(data).__name__,
                "build one with load_dataset(...)",
            )
        )
    if len(data.X_train) < 2:
        raise DataError(
            rule(
                "data.X_train",
                "hold at least 2 examples",
                len(data.X_train),
                "pass more training data",
            )
        )

    def t(a: Any, dt: torch.dtype) -> torch.Tensor:
        return torch.as_tensor(a).to(device=device, dtype=dt).contiguous()

    return DeviceData(
        t(data.X_train, dtype),
        t(data.y_train, torch.long),
        t(data.X_val, dtype),
        t(data.y_val, torch.long),
        data.n_classes,
    )


def make_groups(
    cfgs: Sequence[MemberConfig],
    data: DeviceData,
    max_group_size: int | None = None,
    cost: CostModel = DEFAULT_COST,
) -> list[SubPopulation]:
    """The planner's programs (planner.py), each split into parts of at most
    ``max_group_size`` members."""
    n, d = data.X_train.shape
    batches = {i: min(c.batch_size, n) for i, c in enumerate(cfgs)}
    groups = []
    for ids in plan(cfgs, n, d, data.n_classes, cost):
        # stable sort by batch size, then optimizer: contiguous batch classes and blocks
        ids = sorted(ids, key=lambda i: (batches[i], optimizer_key(cfgs[i])))
        size = max_group_size or len(ids)
        for a in range(0, len(ids), size):
            part = ids[a : a + size]
            groups.append(SubPopulation(part, [cfgs[i] for i in part], data))
    return groups


def train_population(
    configs: Sequence[Mapping[str, Any]],
    data: Dataset,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    on_epoch: OnEpoch | None = None,
    threads: int | None = None,
    max_group_size: int | None = None,
    control: Control | None = None,
    step: str = "eager",
    cuda_graph: bool = False,
    cost_model: CostModel | None = None,
) -> PopulationResult:
    """Train every config in ``configs`` on ``data`` as one population; see the module doc.

    ``on_epoch(epoch, reports)`` runs after every epoch with the reports of the members that
    trained in it and may return member indices to stop. ``threads`` sets torch's intra-op
    threads for the call; None means ``CPU_THREADS`` (1) on a CPU and torch's setting on a GPU
    (measured in docs/nn.md: a population's operators are small, and a second OpenMP thread
    made MLP_SPACE populations 3x slower on a 2-core machine with any other load).
    ``max_group_size`` splits large sub-populations (memory bound).
    ``control(epoch, reports, population)`` runs after ``on_epoch`` (and once before the first
    epoch with epoch -1) and may exploit, explore, pause, resume and stop members in place
    (caviar.nn.exploit.PopulationControl). Each report's epoch is the member's own count.
    ``step="compiled"`` runs every recurring tick as one ``torch.compile`` program (compiled
    once per shape and process, kernels cached on disk; docs/nn.md "The compiled step");
    ``"eager"`` (default) is the reference. ``cuda_graph=True`` (device="cuda" only) captures
    each group's epoch as one CUDA graph after a first eager epoch and replays it (cuda_graph.py;
    not yet measured on hardware). ``cost_model``: the planner's (planner.py; default
    ``DEFAULT_COST``, measured; ``planner.ONE_PROGRAM`` merges everything that may share a
    program).
    """
    cfgs = parse_configs(list(configs))
    if dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        raise ConfigError(
            rule("dtype", "be a floating torch dtype", dtype, "use torch.float32 or torch.float64")
        )
    if step not in STEP_MODES:
        raise ConfigError(
            rule("step", f"be one of {', '.join(STEP_MODES)}", step, "use 'eager' or 'compiled'")
        )
    dev = resolve_device(device)
    if cuda_graph and dev.type != "cuda":
        raise ConfigError(
            rule("cuda_graph", "run on a CUDA device", str(dev), "pass device='cuda' or drop it")
        )
    if threads is not None and threads < 1:
        raise ConfigError(rule("threads", "be >= 1", threads, "use e.g. 1 or 2"))
    ddata = to_device(data, dtype, dev)
    old_threads = torch.get_num_threads()
    if threads is None and dev.type == "cpu":
        threads = CPU_THREADS
    if threads is not None:
        torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # denormal floats (tiny Adam moments) are ~50x slower on x86
    try:
        start = time.perf_counter()
        results = [MemberResult(i, c, data.n_features, data.n_classes) for i, c in enumerate(cfgs)]
        groups = make_groups(cfgs, ddata, max_group_size, cost_model or DEFAULT_COST)
        for g in groups:
            g.step_mode = step
            g.graph_mode = "cuda" if cuda_graph else None
        layout = [list(g.ids) for g in groups]
        _run(groups, results, on_epoch, control)
        return PopulationResult(results, time.perf_counter() - start, layout)
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(old_threads)


def _run(
    groups: list[SubPopulation],
    results: list[MemberResult],
    on_epoch: OnEpoch | None,
    control: Control | None = None,
) -> None:
    pop = PopulationControl(groups, results) if control is not None else None
    if control is not None and pop is not None:
        control(-1, [], pop)
        pop.flush()
    epoch = 0
    while any(len(g) for g in groups):
        reports: list[EpochReport] = []
        for g in groups:
            if not len(g):
                continue
            train = g.train_epoch(epoch)
            val_loss, val_acc = g.evaluate()
            rows = torch.stack([train, val_loss, val_acc]).double().cpu().tolist()
            for r, member in enumerate(g.ids):
                t_loss, v_loss, v_acc = rows[0][r], rows[1][r], rows[2][r]
                res = results[member]
                failed = not math.isfinite(t_loss)
                if failed:
                    res.state = FAILED
                    res.error = (
                        f"member {member}: train loss must stay finite, got {t_loss} at "
                        f"epoch {epoch}; lower lr (now {res.config.lr:g}) or add batch norm"
                    )
                own = len(res.history)  # the member's own epoch (a paused member waits)
                alive = not failed and own + 1 < res.config.epochs
                report = EpochReport(member, own, t_loss, v_loss, v_acc, alive)
                res.history.append(report)
                reports.append(report)
        stop = set(on_epoch(epoch, reports) or ()) if on_epoch is not None else set()
        if control is not None and pop is not None:
            control(epoch, reports, pop)
            pop.flush()
        for g in groups:
            if not len(g):
                continue
            keep = []
            for r, member in enumerate(g.ids):
                res = results[member]
                if res.state == RUNNING and member in stop:
                    res.state = STOPPED
                elif res.state == RUNNING and len(res.history) >= res.config.epochs:
                    res.state = COMPLETE
                if res.state == RUNNING:
                    keep.append(r)
                else:
                    res._state_dict = g.state_dict(r)
            if len(keep) < len(g):
                g.keep(keep)
        epoch += 1
    if pop is not None:
        pop.finish()
