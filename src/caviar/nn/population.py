"""train_population: many configurations trained as a few batched tensor programs.

Members are grouped into sub-populations by what changes the program's control flow:
activation, batch norm on/off, the batch-norm inference rule, a chain of batch sizes that are
multiples of each other, and a width bucket (padding a width-16 member to 256 costs more than a
second program). Inside a sub-population members may differ in batch size (a member with a batch
k times the smallest steps on every k-th tick), in depth (a shallower member's extra layers are
masked identities), in hidden widths (padded to the widest, padded units stay exactly zero) and
in every scalar hyperparameter, the optimizer included (members are sorted by batch size, then
optimizer, so each optimizer updates contiguous rows). All sub-populations advance one epoch
at a time, then ``on_epoch`` sees every member's report and may stop members; stopped, finished
and failed (non-finite loss) members are compacted away so they cost nothing more.
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


#: members whose widest layer differs by more than this factor train in separate programs
#: (padding a narrow member to a wide one costs more than a second program; docs/nn.md)
WIDTH_BUCKET_RATIO = 2.0
#: below this width a step is overhead-bound: narrower members count as this wide
MIN_BUCKET_WIDTH = 16
#: members at most this wide share one program across depths (masked identity layers); wider
#: ones are FLOP-bound on CPU, where an identity layer's H x H product costs more than a split
DEPTH_MERGE_MAX_WIDTH = 32


def width_buckets(cfgs: Sequence[MemberConfig], ids: list[int]) -> list[list[int]]:
    """Split ``ids`` by the width of their widest hidden layer: sorted by width, a bucket takes
    members up to ``WIDTH_BUCKET_RATIO`` times as wide as its narrowest (or as
    ``MIN_BUCKET_WIDTH``); measured in docs/nn.md."""
    order = sorted(ids, key=lambda i: max(cfgs[i].widths, default=0))
    out: list[list[int]] = []
    floor = -1.0
    for i in order:
        w = max(cfgs[i].widths, default=0)
        if not out or w > floor * WIDTH_BUCKET_RATIO:
            out.append([])
            floor = max(w, MIN_BUCKET_WIDTH)
        out[-1].append(i)
    return [sorted(b) for b in out]


def batch_chains(batches: dict[int, int], ids: list[int]) -> list[list[int]]:
    """Split ``ids`` into chains of batch sizes where each size is a multiple of the smaller
    ones (32, 64, 128, 256 form one chain; 32 and 48 do not): one program steps every member
    on ticks of the smallest batch, so larger batches must be whole numbers of ticks."""
    chains: list[tuple[list[int], list[int]]] = []  # (sizes, ids)
    for i in sorted(ids, key=lambda i: batches[i]):
        b = batches[i]
        for sizes, members in chains:
            if b % sizes[-1] == 0 and all(b % s == 0 for s in sizes):
                if sizes[-1] != b:
                    sizes.append(b)
                members.append(i)
                break
        else:
            chains.append(([b], [i]))
    return [members for _, members in chains]


def group_key(cfg: MemberConfig) -> tuple[Any, ...]:
    """What forces separate programs: activation, batch norm and its inference rule (batch-size
    chains and width buckets split further, see ``batch_chains`` and ``width_buckets``), and
    depth for members wider than ``DEPTH_MERGE_MAX_WIDTH`` (narrower ones mask their extra
    layers). Batch sizes of one chain share a program. Measurements: docs/nn.md."""
    return (
        cfg.activation,
        cfg.batch_norm,
        cfg.bn_stats if cfg.batch_norm else "running",
        cfg.depth == 0,  # softmax regression has no hidden layer to mask: its own program
        cfg.depth if max(cfg.widths, default=0) > DEPTH_MERGE_MAX_WIDTH else -1,
    )


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
    cfgs: Sequence[MemberConfig], data: DeviceData, max_group_size: int | None = None
) -> list[SubPopulation]:
    buckets: dict[tuple[Any, ...], list[int]] = {}
    for i, c in enumerate(cfgs):
        buckets.setdefault(group_key(c), []).append(i)
    n = data.X_train.shape[0]
    batches = {i: min(c.batch_size, n) for i, c in enumerate(cfgs)}
    groups = []
    for key_ids in buckets.values():
        parts = [w for chain in batch_chains(batches, key_ids) for w in width_buckets(cfgs, chain)]
        for ids in parts:
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
) -> PopulationResult:
    """Train every config in ``configs`` on ``data`` as one population; see the module doc.

    ``on_epoch(epoch, reports)`` runs after every epoch with the reports of the members that
    trained in it and may return member indices to stop. ``threads`` sets torch's intra-op
    threads for the call. ``max_group_size`` splits large sub-populations (memory bound).
    ``control(epoch, reports, population)`` runs after ``on_epoch`` (and once before the first
    epoch with epoch -1) and may exploit, explore, pause, resume and stop members in place
    (caviar.nn.exploit.PopulationControl). Each report's epoch is the member's own count.
    ``step="compiled"`` runs every recurring tick as one ``torch.compile`` program (compiled
    once per shape and process, kernels cached on disk; docs/nn.md "The compiled step");
    ``"eager"`` (default) is the reference. ``cuda_graph=True`` (device="cuda" only) captures
    each group's epoch as one CUDA graph after a first eager epoch and replays it (cuda_graph.py;
    not yet measured on hardware).
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
    if threads is not None:
        torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # denormal floats (tiny Adam moments) are ~50x slower on x86
    try:
        start = time.perf_counter()
        results = [MemberResult(i, c, data.n_features, data.n_classes) for i, c in enumerate(cfgs)]
        groups = make_groups(cfgs, ddata, max_group_size)
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
