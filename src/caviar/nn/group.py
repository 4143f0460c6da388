"""A sub-population: P members that share depth, batch size, activation and batch-norm setting,
trained as one batched tensor program with a hand-written backward pass.

Weights are ``[P, in, out]`` views into one flat buffer ``[P, N]`` (see layout.py); the forward
pass is ``torch.bmm``/``baddbmm`` over the member axis; batch norm keeps ``[P, features]``
statistics; the optimizer updates the flat buffer with ``[P, 1]`` hyperparameter columns. Every
operation is independent across the member axis, so one member's NaN never touches another, and
member i computes exactly what it would compute trained alone (up to float rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.profiler import record_function

from .batchnorm import BNCache, batch_norm_backward, batch_norm_eval, batch_norm_train
from .compiled import TickSpec, program
from .config import MemberConfig
from .cuda_graph import EpochProgram
from .functional import activation, activation_, activation_grad
from .layout import Layout, initial_state_dict, order_rng
from .optim import PopulationOptimizer
from .workspace import Workspace

EVAL_CHUNK_ELEMENTS = 1 << 24  # members per evaluation chunk: keep [p, N, H] below this size
#: with step="compiled", a tick runs as a compiled program when its shape recurs this often
#: per epoch (rarer ticks run eagerly; see docs/nn.md "The compiled step")
COMPILE_MIN_REPEATS = 4
STEP_MODES = ("eager", "compiled")


@dataclass
class DeviceData:
    X_train: Tensor
    y_train: Tensor
    X_val: Tensor
    y_val: Tensor
    n_classes: int


def batch_bounds(n: int, batch_size: int, batch_norm: bool) -> list[tuple[int, int]]:
    """Mini-batch [start, stop) bounds of one epoch; a last batch of one example is dropped when
    batch norm is on (its variance is undefined)."""
    bounds = [(a, min(a + batch_size, n)) for a in range(0, n, batch_size)]
    if batch_norm and bounds[-1][1] - bounds[-1][0] < 2:
        bounds.pop()
    return bounds


@dataclass
class RowViews:
    """Views of a contiguous run of member rows: what one batch-size class trains with."""

    W: list[Tensor]
    gW: list[Tensor]
    V: list[tuple[Tensor, Tensor | None]]
    gV: list[tuple[Tensor, Tensor | None]]
    out_b: Tensor
    g_out_b: Tensor
    bn_eps: Tensor
    bn_weight: Tensor
    masks: list[Tensor | None]
    off: list[Tensor | None]
    running: list[tuple[Tensor, Tensor]]


def _runs(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge touching [start, stop) row ranges (given in ascending order)."""
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _col(values: list[float], dtype: torch.dtype, device: torch.device, dims: int) -> Tensor:
    t = torch.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, device=device)
    return t.view(-1, *([1] * (dims - 1)))


class SubPopulation:
    """Members with the same batch size, activation, batch norm and bn_stats; depths may differ
    (a shallower member's extra layers are masked identities, their parameters stay zero)."""

    def __init__(self, ids: list[int], cfgs: list[MemberConfig], data: DeviceData) -> None:
        self.data = data
        self.dtype, self.device = data.X_train.dtype, data.X_train.device
        c0 = cfgs[0]
        self.bn, self.act = c0.batch_norm, c0.activation
        self.depth = max(c.depth for c in cfgs)
        self.population_stats = c0.bn_stats == "population"
        n_train = data.X_train.shape[0]
        # batch sizes: ascending, each a multiple of the smallest (the planner forms such chains)
        self.batches = [min(c.batch_size, n_train) for c in cfgs]
        if self.batches != sorted(self.batches) or any(
            b % self.batches[0] for b in self.batches
        ):
            raise ValueError(f"batch sizes must ascend in multiples of the first: {self.batches}")
        if all(c.depth == self.depth for c in cfgs):
            widths = tuple(max(c.widths[layer] for c in cfgs) for layer in range(self.depth))
        else:  # mixed depths: masked identity layers need every hidden layer equally wide
            widths = (max(max(c.widths) for c in cfgs),) * self.depth
        self.layout = Layout(data.X_train.shape[1], widths, data.n_classes, self.bn)
        d, k = data.X_train.shape[1], data.n_classes
        lay = self.layout
        self.segments = [(seg.offset, seg.size) for seg in lay.weights]
        self.segments.append((lay.n_weights, lay.n_params - lay.n_weights))
        rows = np.stack([lay.pack(c, initial_state_dict(c, d, k)) for c in cfgs])
        storage = np.concatenate([rows[:, a : a + n].ravel() for a, n in self.segments])
        self.w = torch.tensor(storage, dtype=self.dtype, device=self.device)
        self.g = torch.zeros_like(self.w)
        self.opt = PopulationOptimizer(cfgs, self.w.numel(), self.dtype, self.device)
        p = len(cfgs)
        self.running = [
            (
                torch.zeros(p, h, dtype=self.dtype, device=self.device),
                torch.ones(p, h, dtype=self.dtype, device=self.device),
            )
            for h in widths
        ]
        self.pop_stats: list[tuple[Tensor, Tensor]] | None = None
        self.ids, self.cfgs = list(ids), list(cfgs)
        self.rngs = [order_rng(c.seed) for c in cfgs]
        self.member_steps = np.zeros(len(cfgs), dtype=np.int64)  # optimizer steps taken
        self.ws = Workspace(self.dtype, self.device)
        self.step_mode = "eager"  # or "compiled" (train_population's step=)
        #: None: plain epochs; "static": epochs on static inputs; "cuda": a captured CUDA graph
        self.graph_mode: str | None = None
        self._placeholder = torch.zeros(1, dtype=self.dtype, device=self.device)
        self._refresh()

    # ---------------------------------------------------------------- bookkeeping
    def _refresh(self) -> None:
        cfgs, dt, dev = self.cfgs, self.dtype, self.device
        self.ws.clear()
        self._program: EpochProgram | None = None  # its graph holds the old tensors
        self.bn_weight = _col([1.0 - c.bn_beta for c in cfgs], dt, dev, 2)  # lerp weight
        self.bn_eps = _col([c.bn_eps for c in cfgs], dt, dev, 3)
        # classes: rows [start, stop) sharing one batch size (members sorted by batch size)
        self.classes: list[tuple[int, int, int]] = []
        for row, b in enumerate(min(c.batch_size, self.data.X_train.shape[0]) for c in cfgs):
            if self.classes and self.classes[-1][2] == b:
                self.classes[-1] = (self.classes[-1][0], row + 1, b)
            else:
                self.classes.append((row, row + 1, b))
        self.masks: list[Tensor | None] = []
        # off[layer]: [P, 1, 1] True for members shallower than layer + 1 (identity there)
        self.off: list[Tensor | None] = []
        for layer in range(self.depth):
            off = [c.depth <= layer for c in cfgs]
            self.off.append(
                torch.tensor(off, device=dev).view(-1, 1, 1) if any(off) else None
            )
        for layer, h in enumerate(self.layout.sizes[1:-1]):
            narrow = [c.widths[layer] if layer < c.depth else h for c in cfgs]
            if self.act == "sigmoid" and min(narrow) < h:  # sigmoid(0) != 0: mask padded units
                m = (torch.arange(h)[None, :] < torch.tensor(narrow)[:, None]).to(dt).to(dev)
                self.masks.append(m[:, None, :])
            else:
                self.masks.append(None)
        self._views()

    def _segment(self, buf: Tensor, index: int) -> Tensor:
        """Segment ``index`` of a segment-major storage as a contiguous ``[P, k]`` view."""
        p = len(self.ids)
        a, n = self.segments[index]
        return buf[p * a : p * (a + n)].view(p, n)

    def _views(self) -> None:
        """Weights ``[P, in, out]`` (contiguous, so bmm writes gradients in place) and vectors
        ``[P, 1, h]`` as views into the storages; and the optimizer's segment list."""
        p, lay = len(self.ids), self.layout
        last = len(self.segments) - 1

        def mats(buf: Tensor) -> list[Tensor]:
            return [self._segment(buf, i).view(p, *s.shape) for i, s in enumerate(lay.weights)]

        def vec(buf: Tensor, off: int, h: int) -> Tensor:
            off -= lay.n_weights
            return self._segment(buf, last)[:, off : off + h].view(p, 1, h)

        self.W, self.gW = mats(self.w), mats(self.g)
        self.V: list[tuple[Tensor, Tensor | None]] = []
        self.gV: list[tuple[Tensor, Tensor | None]] = []
        for first, second in lay.vectors:
            h = first.shape[0]
            self.V.append(
                (vec(self.w, first.offset, h), vec(self.w, second.offset, h) if second else None)
            )
            self.gV.append(
                (vec(self.g, first.offset, h), vec(self.g, second.offset, h) if second else None)
            )
        k = lay.out_bias.shape[0]
        self.out_b = vec(self.w, lay.out_bias.offset, k)
        self.g_out_b = vec(self.g, lay.out_bias.offset, k)
        self.opt_segments = [
            (
                self._segment(self.w, i),
                self._segment(self.g, i),
                self._segment(self.opt.m, i),
                self._segment(self.opt.s, i),
                self._segment(self.opt.scratch, i),
                i < last,
            )
            for i in range(len(self.segments))
        ]
        self.opt.bind(self.opt_segments)
        self._row_views: dict[tuple[int, int], RowViews] = {}

    def _compact(self, buf: Tensor, rows: Tensor) -> Tensor:
        return torch.cat(
            [
                self._segment(buf, i).index_select(0, rows).reshape(-1)
                for i in range(len(self.segments))
            ]
        )

    def member_row(self, row: int) -> Tensor:
        """Member at local ``row`` as one member-major parameter vector (layout.unpack's input)."""
        return torch.cat([self._segment(self.w, i)[row] for i in range(len(self.segments))])

    def __len__(self) -> int:
        return len(self.ids)

    def keep(self, local_rows: list[int]) -> None:
        """Compact the population to ``local_rows``: removed members cost nothing from now on."""
        if not local_rows:
            self.ids, self.cfgs, self.rngs = [], [], []
            return
        rows = torch.tensor(local_rows, dtype=torch.long, device=self.device)
        w, m, v = (self._compact(b, rows) for b in (self.w, self.opt.m, self.opt.s))
        self.w, self.g = w, torch.zeros_like(w)
        self.ids = [self.ids[r] for r in local_rows]
        self.member_steps = self.member_steps[local_rows]
        self.cfgs = [self.cfgs[r] for r in local_rows]
        self.rngs = [self.rngs[r] for r in local_rows]
        self.opt.keep(m, v, self.cfgs)
        self.running = [(m.index_select(0, rows), v.index_select(0, rows)) for m, v in self.running]
        if self.pop_stats is not None:
            self.pop_stats = [
                (m.index_select(0, rows), v.index_select(0, rows)) for m, v in self.pop_stats
            ]
        self._refresh()

    def state_dict(self, row: int) -> dict[str, Tensor]:
        """Member at local ``row`` as a torch-layout state dict (CPU tensors)."""
        stats = self.pop_stats if self.population_stats and self.pop_stats else self.running
        return self.layout.unpack(
            self.cfgs[row],
            self.member_row(row),
            [(m[row], v[row]) for m, v in stats],
            int(self.member_steps[row]),
        )

    # ---------------------------------------------------------------- training
    def schedule(self) -> list[list[tuple[int, int, int]]]:
        """One epoch's ticks: per tick, the (class, start, stop) mini-batches that end in it.

        A tick is ``b0`` rows of the data, ``b0`` the smallest batch size; a member with a batch
        ``k`` times larger steps on every ``k``-th tick, on its whole batch (so batch norm sees
        the statistics of its own batch, exactly as trained alone)."""
        n = self.data.X_train.shape[0]
        b0 = self.classes[0][2]
        ticks: dict[int, list[tuple[int, int, int]]] = {}
        for ci, (_, _, b) in enumerate(self.classes):
            for a, e in batch_bounds(n, b, self.bn):
                ticks.setdefault(-(-e // b0) - 1, []).append((ci, a, e))
        return [ticks[t] for t in sorted(ticks)]

    def train_epoch(self, epoch: int) -> Tensor:
        """One epoch for every member, each in its own batch order; returns mean train loss [P]."""
        n, p = self.data.X_train.shape[0], len(self.ids)
        perms = np.stack([rng.permutation(n) for rng in self.rngs])
        ticks = self.schedule()
        active = np.zeros((len(ticks), p), dtype=np.int64)
        rows_seen = np.zeros(p)
        flat, offsets = [], [0]
        for t, batches in enumerate(ticks):
            for ci, a, e in batches:
                s0, s1, _ = self.classes[ci]
                active[t, s0:s1] = 1
                rows_seen[s0:s1] += e - a
                flat.append(perms[s0:s1, a:e].reshape(-1))
            offsets.append(offsets[-1] + sum(len(f) for f in flat[len(flat) - len(batches) :]))
        idx_all = torch.from_numpy(np.concatenate(flat)).to(self.device)
        steps = self.member_steps[None, :] + np.cumsum(active, axis=0)
        neg_step, inv_neg_step, inv_bc2 = self.opt.epoch_tables(epoch, steps)
        self.member_steps = steps[-1].copy()
        loss_sum = torch.zeros(p, dtype=self.dtype, device=self.device)
        tables = (neg_step, inv_neg_step, inv_bc2)
        if self.graph_mode is None:
            self._ticks(ticks, offsets, idx_all, tables, loss_sum)
        else:
            prog = self._program
            if prog is None:  # (re)built after every storage change (see _refresh)

                def body(i: Tensor, tb: tuple[Tensor, Tensor, Tensor], ls: Tensor) -> None:
                    self._ticks(ticks, offsets, i, tb, ls)  # the schedule is fixed until then

                prog = EpochProgram(body, capture=self.graph_mode == "cuda")
                self._program = prog
            prog.run(idx_all, tables, loss_sum)
        return loss_sum / torch.from_numpy(rows_seen).to(self.dtype).to(self.device)

    def _ticks(
        self,
        ticks: list[list[tuple[int, int, int]]],
        offsets: list[int],
        idx_all: Tensor,
        tables: tuple[Tensor, Tensor, Tensor],
        loss_sum: Tensor,
    ) -> None:
        """The ticks of one epoch on device tensors only (no host sync): ``idx_all`` holds every
        tick's example indices, ``tables`` the optimizer's [ticks, P, 1] tables; the loss sum
        of every member accumulates into ``loss_sum``. With a graph mode this runs on static
        tensors (cuda_graph.py)."""
        x_all, y_all = self.data.X_train, self.data.y_train
        d = x_all.shape[1]
        neg_step, inv_neg_step, inv_bc2 = tables
        fused = self._fused_ticks(ticks) if self.step_mode == "compiled" else {}
        for t, batches in enumerate(ticks):
            spec = fused.get(t)
            if spec is not None:
                with record_function("caviar.compiled_tick"):
                    self._compiled_tick(
                        spec,
                        idx_all[offsets[t] : offsets[t + 1]],
                        (neg_step[t], inv_neg_step[t], inv_bc2[t]),
                        loss_sum,
                    )
                continue
            with record_function("caviar.gather"):
                idx = idx_all[offsets[t] : offsets[t + 1]]
                x_t = torch.index_select(x_all, 0, idx, out=self.ws.get("x", (len(idx), d)))
                y_t = y_all.index_select(0, idx)
            off = 0
            for ci, a, e in batches:
                s0, s1, _ = self.classes[ci]
                cnt = (s1 - s0) * (e - a)
                x = x_t[off : off + cnt].view(s1 - s0, e - a, d)
                y = y_t[off : off + cnt].view(s1 - s0, e - a)
                off += cnt
                loss = self._forward_backward(x, y, slice(s0, s1))
                loss_sum[s0:s1].add_(loss, alpha=e - a)
            with record_function("caviar.optimizer"):
                for lo, hi in _runs([self.classes[ci][:2] for ci, _, _ in batches]):
                    self.opt.step(neg_step[t], inv_neg_step[t], inv_bc2[t], (lo, hi))

    # ---------------------------------------------------------------- the compiled step
    def _fused_ticks(self, ticks: list[list[tuple[int, int, int]]]) -> dict[int, TickSpec]:
        """Ticks that run as compiled programs: those whose spec recurs at least
        ``COMPILE_MIN_REPEATS`` times per epoch (a rare tick, such as the last partial batch,
        runs eagerly: compiling it would cost more than it saves)."""
        specs = [self._tick_spec(batches) for batches in ticks]
        count: dict[TickSpec, int] = {}
        for spec in specs:
            count[spec] = count.get(spec, 0) + 1
        return {t: s for t, s in enumerate(specs) if count[s] >= COMPILE_MIN_REPEATS}

    def _tick_spec(self, batches: list[tuple[int, int, int]]) -> TickSpec:
        lay = self.layout
        classes = tuple((*self.classes[ci][:2], e - a) for ci, a, e in batches)
        runs = []
        for lo, hi in _runs([c[:2] for c in classes]):
            runs.append(
                tuple(
                    (b.kind, max(b.start, lo), min(b.stop, hi))
                    for b in self.opt.blocks
                    if max(b.start, lo) < min(b.stop, hi)
                )
            )
        return TickSpec(
            p=len(self.ids),
            sizes=tuple(lay.sizes),
            segments=tuple(self.segments),
            vectors=tuple(
                (f.offset - lay.n_weights, sc.offset - lay.n_weights if sc else -1)
                for f, sc in lay.vectors
            ),
            out_bias=lay.out_bias.offset - lay.n_weights,
            bn=self.bn,
            act=self.act,
            masked=tuple(m is not None for m in self.masks),
            off=tuple(o is not None for o in self.off),
            classes=classes,
            runs=tuple(runs),
            decay=self.opt.wd is not None,
            dtype=str(self.dtype),
            device=str(self.device),
        )

    def _compiled_tick(
        self, spec: TickSpec, idx: Tensor, tables: tuple[Tensor, Tensor, Tensor], loss: Tensor
    ) -> None:
        opt, none = self.opt, self._placeholder
        program(spec)(
            self.w,
            opt.m,
            opt.s,
            self.data.X_train,
            self.data.y_train,
            idx,
            [t for pair in self.running for t in pair],
            [m if m is not None else none for m in self.masks],
            [o if o is not None else none for o in self.off],
            [self.bn_eps, self.bn_weight, opt.omb1, opt.omb2, opt.eps,
             opt.wd if opt.wd is not None else none],
            list(tables),
            loss,
        )

    @torch.no_grad()
    def _forward_backward(self, x: Tensor, y: Tensor, rows: slice) -> Tensor:
        """Forward ``x`` [p, B, D] of the members in ``rows``, write their gradients into
        ``self.g``; returns their loss [p].

        Intermediates live in the workspace (no allocation of batch-sized tensors per step).
        """
        v = self._rows(rows)
        with record_function("caviar.forward"):
            acts, caches = self._forward(x, v)
        with record_function("caviar.loss_and_backward"):
            return self._backward(acts, caches, y, v)

    def _rows(self, rows: slice) -> RowViews:
        key = (rows.start, rows.stop)
        got = self._row_views.get(key)
        if got is None:
            got = RowViews(
                [w[rows] for w in self.W],
                [g[rows] for g in self.gW],
                [(f[rows], sc[rows] if sc is not None else None) for f, sc in self.V],
                [(f[rows], sc[rows] if sc is not None else None) for f, sc in self.gV],
                self.out_b[rows],
                self.g_out_b[rows],
                self.bn_eps[rows],
                self.bn_weight[rows],
                [m[rows] if m is not None else None for m in self.masks],
                [o[rows] if o is not None else None for o in self.off],
                [(m[rows], var[rows]) for m, var in self.running],
            )
            self._row_views[key] = got
        return got

    def _forward(self, x: Tensor, v: RowViews) -> tuple[list[Tensor], list[BNCache]]:
        ws = self.ws
        p, batch = x.shape[0], x.shape[1]
        acts, caches = [x], []
        a = x
        for layer in range(self.depth):
            h = self.layout.sizes[layer + 1]
            z = torch.bmm(a, v.W[layer], out=ws.get(("z", layer), (p, batch, h)))
            first, second = v.V[layer]
            if self.bn:
                assert second is not None
                z, cache = batch_norm_train(z, first, second, v.bn_eps, ws=ws, key=layer)
                self._update_running(v, layer, cache, batch)
                caches.append(cache)
            else:
                z = z.add_(first)
            out = activation_(self.act, z)
            mask = v.masks[layer]
            if mask is not None:
                out = out.mul_(mask)
            off = v.off[layer]
            if off is not None:  # shallower members: this layer is the identity
                out = torch.where(off, a, out, out=ws.get(("a", layer), out.shape))
            a = out
            acts.append(a)
        return acts, caches

    def _backward(
        self, acts: list[Tensor], caches: list[BNCache], y: Tensor, v: RowViews
    ) -> Tensor:
        ws = self.ws
        a = acts[-1]
        p, batch = a.shape[0], a.shape[1]
        k = self.layout.sizes[-1]
        logits = torch.baddbmm(v.out_b, a, v.W[-1], out=ws.get("logits", (p, batch, k)))
        shifted = logits.sub_(logits.amax(dim=-1, keepdim=True))
        picked = shifted.gather(-1, y.unsqueeze(-1))
        e = shifted.exp_()
        total = e.sum(dim=-1, keepdim=True)
        loss = (total.log() - picked).mean(dim=(1, 2))
        grad = e.div_(total * batch)
        grad.scatter_add_(-1, y.unsqueeze(-1), torch.full_like(picked, -1.0 / batch))
        torch.bmm(acts[-1].transpose(1, 2), grad, out=v.gW[-1])
        torch.sum(grad, dim=1, keepdim=True, out=v.g_out_b)
        upstream = grad  # gradient wrt the pre-activation of the layer above
        w_next = v.W[-1]
        da_above: Tensor | None = None  # gradient wrt the output of the layer above
        for layer in reversed(range(self.depth)):
            h = self.layout.sizes[layer + 1]
            da = torch.bmm(
                upstream, w_next.transpose(1, 2), out=ws.get(("da", layer), (p, batch, h))
            )
            off_above = v.off[layer + 1] if layer + 1 < self.depth else None
            if off_above is not None:  # the layer above is an identity for some members
                assert da_above is not None
                da = torch.where(off_above, da_above, da, out=da)
            da_above = da
            dz = activation_grad(self.act, acts[layer + 1], da, ws.get("dz", (p, batch, h)))
            off = v.off[layer]
            if off is not None:  # identity here: no gradient for this layer's parameters
                dz = dz.masked_fill_(off, 0.0)
            first, _ = v.V[layer]
            g_first, g_second = v.gV[layer]
            if self.bn:
                assert g_second is not None
                dz, g_gamma, g_beta = batch_norm_backward(
                    dz, caches[layer], first, ws=ws, key=layer
                )
                g_first.copy_(g_gamma)
                g_second.copy_(g_beta)
            else:
                torch.sum(dz, dim=1, keepdim=True, out=g_first)
            torch.bmm(acts[layer].transpose(1, 2), dz, out=v.gW[layer])
            upstream, w_next = dz, v.W[layer]
        return loss

    def _update_running(self, v: RowViews, layer: int, cache: BNCache, batch: int) -> None:
        """``v = bn_beta * v + (1 - bn_beta) * x`` as ``v.lerp_(x, 1 - bn_beta)``; the variance
        averaged is the unbiased one (see batchnorm.py)."""
        mean, var = v.running[layer]
        mean.lerp_(cache.mean.squeeze(1), v.bn_weight)
        var.lerp_(cache.var.squeeze(1) * (batch / (batch - 1)), v.bn_weight)

    # ---------------------------------------------------------------- evaluation
    def _chunks(self, n_rows: int) -> list[slice]:
        per = max(1, EVAL_CHUNK_ELEMENTS // max(1, n_rows * max(self.layout.sizes[1:])))
        return [slice(a, a + per) for a in range(0, len(self.ids), per)]

    @torch.no_grad()
    def compute_population_stats(self) -> None:
        """Mean and unbiased variance of every BN input over the whole training set, layer by
        layer through the network normalised with the statistics already computed."""
        x = self.data.X_train
        out: list[list[tuple[Tensor, Tensor]]] = [[] for _ in range(self.depth)]
        for sl in self._chunks(x.shape[0]):
            a: Tensor = x
            for layer in range(self.depth):
                z = torch.matmul(a, self.W[layer][sl])
                mean, var = z.mean(dim=1), z.var(dim=1, unbiased=True)
                out[layer].append((mean, var))
                first, second = self.V[layer]
                assert second is not None
                z = batch_norm_eval(
                    z, mean[:, None], var[:, None], first[sl], second[sl], self.bn_eps[sl]
                )
                h_out = activation(self.act)(z)
                mask = self.masks[layer]
                if mask is not None:
                    h_out = h_out * mask[sl]
                off = self.off[layer]
                a = h_out if off is None else torch.where(off[sl], a, h_out)
        self.pop_stats = [(torch.cat([m for m, _ in o]), torch.cat([v for _, v in o])) for o in out]

    @torch.no_grad()
    def logits(self, x: Tensor, sl: slice) -> Tensor:
        """Eval-mode logits [p, N, C] of members ``sl`` on shared inputs ``x`` [N, D]."""
        stats = self.pop_stats if self.population_stats else self.running
        a = x
        for layer in range(self.depth):
            z = torch.matmul(a, self.W[layer][sl])
            first, second = self.V[layer]
            if self.bn:
                assert second is not None and stats is not None
                mean, var = stats[layer]
                z = batch_norm_eval(
                    z, mean[sl, None], var[sl, None], first[sl], second[sl], self.bn_eps[sl]
                )
            else:
                z = z + first[sl]
            out = activation(self.act)(z)
            mask = self.masks[layer]
            if mask is not None:
                out = out * mask[sl]
            off = self.off[layer]
            a = out if off is None else torch.where(off[sl], a, out)
        w_out = self.W[-1][sl]
        return torch.baddbmm(self.out_b[sl], a.expand(w_out.shape[0], *a.shape[-2:]), w_out)

    @torch.no_grad()
    def evaluate(self) -> tuple[Tensor, Tensor]:
        """Validation loss and accuracy [P] (NaN when there is no validation split)."""
        x, y = self.data.X_val, self.data.y_val
        p = len(self.ids)
        if self.population_stats and self.bn:
            self.compute_population_stats()
        if x.shape[0] == 0:
            nan = torch.full((p,), float("nan"), dtype=self.dtype, device=self.device)
            return nan, nan.clone()
        losses, accs = [], []
        for sl in self._chunks(x.shape[0]):
            z = self.logits(x, sl)
            logp = z - torch.logsumexp(z, dim=-1, keepdim=True)
            losses.append(-logp.gather(-1, y.expand(z.shape[0], -1).unsqueeze(-1)).mean(dim=(1, 2)))
            accs.append((z.argmax(dim=-1) == y).to(self.dtype).mean(dim=1))
        return torch.cat(losses), torch.cat(accs)
