"""The fused step: one tick of a sub-population (gather, forward, closed-form backward, running
statistics, optimizer) as ONE function of tensors, compiled by ``torch.compile`` (inductor).

The eager step in group.py is the reference; this module writes the same arithmetic, in the
same order, as a pure tensor program whose structure (which batch-size classes step, their row
ranges and batch lengths, the layout, the optimizer blocks) is a hashable :class:`TickSpec`.
One compiled program exists per spec and process (``program``); inductor's FX graph cache keeps
the generated kernels on disk (``cache_dir``), so a later run with the same shapes skips code
generation. Parameters, moments, running statistics and the loss sum are updated in place.

The function never syncs with the host and allocates nothing that outlives it, so on CUDA the
same function runs inside a captured graph (see cuda_graph.py).
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch
from torch import Tensor

#: where inductor's on-disk caches live unless TORCHINDUCTOR_CACHE_DIR is set
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "caviar" / "inductor"
#: the output layer's columns are padded with zeros to a multiple of this inside the program
PAD_CLASSES = 16


@dataclass(frozen=True)
class TickSpec:
    """Everything static about one tick of one sub-population (the compiled program's key).

    ``segments``: (offset, size) per parameter segment in member-major units (weight matrices,
    then one segment of all vectors); ``vectors``: per hidden layer (first, second or -1) offsets
    inside the vector segment; ``classes``: (row start, row stop, batch rows) of every mini-batch
    of this tick; ``runs``: per contiguous run of stepping rows, its optimizer blocks
    (kind, row start, row stop)."""

    p: int
    sizes: tuple[int, ...]
    segments: tuple[tuple[int, int], ...]
    vectors: tuple[tuple[int, int], ...]
    out_bias: int
    bn: bool
    act: str
    masked: tuple[bool, ...]
    off: tuple[bool, ...]
    classes: tuple[tuple[int, int, int], ...]
    runs: tuple[tuple[tuple[str, int, int], ...], ...]
    decay: bool
    dtype: str
    device: str


def cache_dir() -> Path:
    """Point inductor's on-disk caches (FX graph cache, generated C++) at caviar's cache
    directory, unless the user set ``TORCHINDUCTOR_CACHE_DIR``; returns the directory used."""
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    chosen = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    # inductor writes its own default into the variable on first use: that is not the user's
    if chosen is None or os.path.abspath(chosen) == os.path.abspath(default_cache_dir()):
        chosen = str(DEFAULT_CACHE_DIR)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = chosen
    import torch._inductor.config as inductor_config

    inductor_config.fx_graph_cache = True
    return Path(chosen)


def _act(name: str, z: Tensor) -> Tensor:
    return {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[name](z)


def _act_grad(name: str, out: Tensor, g: Tensor) -> Tensor:
    aten = torch.ops.aten
    if name == "relu":
        got = aten.threshold_backward(g, out, 0)
    elif name == "tanh":
        got = aten.tanh_backward(g, out)
    else:
        got = aten.sigmoid_backward(g, out)
    return cast(Tensor, got)


def _rows(buf: Tensor, spec: TickSpec, seg: int, lo: int, hi: int) -> Tensor:
    """Rows [lo, hi) of segment ``seg`` of a segment-major storage, as a [hi - lo, n] view."""
    a, n = spec.segments[seg]
    return buf[spec.p * a + lo * n : spec.p * a + hi * n].view(hi - lo, n)


def tick(
    spec: TickSpec,
    w: Tensor,
    m: Tensor,
    s: Tensor,
    x_all: Tensor,
    y_all: Tensor,
    idx: Tensor,
    running: list[Tensor],
    masks: list[Tensor],
    offs: list[Tensor],
    cols: list[Tensor],
    tables: list[Tensor],
    loss_sum: Tensor,
) -> None:
    """One tick, in place. ``running``: [mean, var] per hidden layer; ``cols``: bn_eps [P,1,1],
    bn_weight, 1-beta1, 1-beta2, eps, weight decay [P,1]; ``tables``: this tick's signed step,
    its reciprocal and 1/(1-beta2^t) [P,1]; ``idx``: the tick's example indices, class after
    class, each [rows, batch] flattened."""
    bn_eps, bn_weight, omb1, omb2, eps, wd = cols
    neg_step, inv_neg_step, inv_bc2 = tables
    sizes, depth = spec.sizes, len(spec.sizes) - 2
    last = len(spec.segments) - 1
    x_t = x_all.index_select(0, idx)
    y_t = y_all.index_select(0, idx)
    grads: dict[int, list[Tensor]] = {}  # class row start -> gradient per segment [rows, n]
    off_at = 0
    for s0, s1, batch in spec.classes:
        pc = s1 - s0
        cnt = pc * batch
        x = x_t[off_at : off_at + cnt].view(pc, batch, sizes[0])
        y = y_t[off_at : off_at + cnt].view(pc, batch)
        off_at += cnt
        vec = _rows(w, spec, last, s0, s1)
        W = [_rows(w, spec, i, s0, s1).view(pc, sizes[i], sizes[i + 1]) for i in range(depth + 1)]
        acts, caches = [x], []
        a = x
        for layer in range(depth):
            h = sizes[layer + 1]
            f0, f1 = spec.vectors[layer]
            first = vec[:, f0 : f0 + h].view(pc, 1, h)
            z = torch.bmm(a, W[layer])
            if spec.bn:
                second = vec[:, f1 : f1 + h].view(pc, 1, h)
                mean = z.mean(dim=1, keepdim=True)
                centred = z - mean
                var = (centred * centred).mean(dim=1, keepdim=True)
                inv_std = torch.rsqrt(var + bn_eps[s0:s1])
                x_hat = centred * inv_std
                caches.append((x_hat, inv_std))
                z = torch.addcmul(second, x_hat, first)
                r_mean, r_var = running[2 * layer], running[2 * layer + 1]
                wt = bn_weight[s0:s1]
                r_mean[s0:s1].copy_(torch.lerp(r_mean[s0:s1], mean.squeeze(1), wt))
                unbiased = var.squeeze(1) * (batch / (batch - 1))
                r_var[s0:s1].copy_(torch.lerp(r_var[s0:s1], unbiased, wt))
            else:
                z = z + first
            out = _act(spec.act, z)
            if spec.masked[layer]:
                out = out * masks[layer][s0:s1]
            if spec.off[layer]:
                out = torch.where(offs[layer][s0:s1], a, out)
            a = out
            acts.append(a)
        k = sizes[-1]
        out_b = vec[:, spec.out_bias : spec.out_bias + k].view(pc, 1, k)
        pad = -k % PAD_CLASSES  # zero columns: MKL multiplies 16 columns ~3x faster than 10
        w_out = torch.nn.functional.pad(W[-1], (0, pad)) if pad else W[-1]
        logits = torch.bmm(a, w_out)[..., :k] + out_b if pad else torch.baddbmm(out_b, a, w_out)
        shifted = logits - logits.amax(dim=-1, keepdim=True)
        picked = shifted.gather(-1, y.unsqueeze(-1))
        e = shifted.exp()
        total = e.sum(dim=-1, keepdim=True)
        loss = (total.log() - picked).mean(dim=(1, 2))
        loss_sum[s0:s1].copy_(loss_sum[s0:s1] + loss * batch)
        grad = e / (total * batch)
        grad = grad.scatter_add(-1, y.unsqueeze(-1), torch.full_like(picked, -1.0 / batch))
        g_w: list[Tensor] = [grad] * (depth + 1)
        if pad:
            padded = torch.nn.functional.pad(grad, (0, pad))
            g_w[depth] = torch.bmm(acts[-1].transpose(1, 2), padded)[..., :k]
        else:
            g_w[depth] = torch.bmm(acts[-1].transpose(1, 2), grad)
        g_vec: list[Tensor] = []
        upstream, w_next = grad, W[-1]
        da_above = grad
        for layer in reversed(range(depth)):
            da = torch.bmm(upstream, w_next.transpose(1, 2))
            if layer + 1 < depth and spec.off[layer + 1]:
                da = torch.where(offs[layer + 1][s0:s1], da_above, da)
            da_above = da
            dz = _act_grad(spec.act, acts[layer + 1], da)
            if spec.off[layer]:
                dz = dz.masked_fill(offs[layer][s0:s1], 0.0)
            h = sizes[layer + 1]
            f0, _ = spec.vectors[layer]
            if spec.bn:
                x_hat, inv_std = caches[layer]
                g_beta = dz.sum(dim=1, keepdim=True)
                g_gamma = (dz * x_hat).sum(dim=1, keepdim=True)
                k1 = vec[:, f0 : f0 + h].view(pc, 1, h) * inv_std
                kk = k1 / -batch
                dz = torch.addcmul(g_beta * kk, x_hat, g_gamma * kk).addcmul(dz, k1)
                g_vec = [g_gamma, g_beta, *g_vec]
            else:
                g_vec = [dz.sum(dim=1, keepdim=True), *g_vec]
            g_w[layer] = torch.bmm(acts[layer].transpose(1, 2), dz)
            upstream, w_next = dz, W[layer]
        flat = [g.reshape(pc, -1) for g in g_w]
        flat.append(torch.cat([g.reshape(pc, -1) for g in [*g_vec, grad.sum(dim=1)]], dim=1))
        grads[s0] = flat
    _optimize(spec, w, m, s, grads, omb1, omb2, eps, wd, neg_step, inv_neg_step, inv_bc2)


def _optimize(
    spec: TickSpec,
    w: Tensor,
    m: Tensor,
    s: Tensor,
    grads: dict[int, list[Tensor]],
    omb1: Tensor,
    omb2: Tensor,
    eps: Tensor,
    wd: Tensor,
    neg_step: Tensor,
    inv_neg_step: Tensor,
    inv_bc2: Tensor,
) -> None:
    """The optimizer of optim.PopulationOptimizer.step, segment by segment, block by block.

    Each storage gets its new value as ONE concatenation written back with one ``copy_``
    (rows that do not step this tick are copied unchanged): writing segment slices one after
    the other would make inductor chain slice-scatters and recompute earlier ones."""
    starts = sorted(grads)
    last = len(spec.segments) - 1
    blocks = sorted((lo, hi, kind) for run in spec.runs for kind, lo, hi in run)
    uses_m = any(kind in ("momentum", "adam") for _, _, kind in blocks)
    uses_s = any(kind in ("rmsprop", "adam") for _, _, kind in blocks)
    new_w: list[Tensor] = []
    new_m: list[Tensor] = []
    new_s: list[Tensor] = []
    for seg in range(last + 1):
        row = 0
        for lo, hi, kind in [*blocks, (spec.p, spec.p, "")]:
            if row < lo:  # rows that do not step in this tick
                new_w.append(_rows(w, spec, seg, row, lo).reshape(-1))
                new_m.append(_rows(m, spec, seg, row, lo).reshape(-1))
                new_s.append(_rows(s, spec, seg, row, lo).reshape(-1))
            if lo >= hi:
                continue
            row = hi
            parts = []  # this block's gradient rows, gathered from the classes holding them
            for c0 in starts:
                c1 = c0 + grads[c0][seg].shape[0]
                a, b = max(lo, c0), min(hi, c1)
                if a < b:
                    parts.append(grads[c0][seg][a - c0 : b - c0])
            g = parts[0] if len(parts) == 1 else torch.cat(parts)
            w_r, m_r, s_r = (_rows(buf, spec, seg, lo, hi) for buf in (w, m, s))
            if spec.decay and seg < last:
                g = torch.addcmul(g, w_r, wd[lo:hi])
            m_new, s_new = m_r, s_r
            if kind == "sgd":
                w_new = torch.addcmul(w_r, g, neg_step[lo:hi])
            elif kind == "momentum":
                m_new = torch.lerp(m_r, g, omb1[lo:hi])
                w_new = torch.addcmul(w_r, m_new, neg_step[lo:hi])
            else:
                moment = g
                if kind == "adam":
                    m_new = moment = torch.lerp(m_r, g, omb1[lo:hi])
                s_new = torch.lerp(s_r, g * g, omb2[lo:hi])
                t = s_new * inv_bc2[lo:hi] if kind == "adam" else s_new
                inv = inv_neg_step[lo:hi]
                t = torch.sqrt(t) * inv + eps[lo:hi] * inv
                w_new = torch.addcdiv(w_r, moment, t)
            new_w.append(w_new.reshape(-1))
            new_m.append(m_new.reshape(-1))
            new_s.append(s_new.reshape(-1))
    w.copy_(torch.cat(new_w))
    if uses_m:
        m.copy_(torch.cat(new_m))
    if uses_s:
        s.copy_(torch.cat(new_s))


_PROGRAMS: dict[TickSpec, Callable[..., None]] = {}
MODE: str | None = None  # inductor mode: None (default) or e.g. "max-autotune-no-cudagraphs"


def program(spec: TickSpec) -> Callable[..., None]:
    """The compiled tick for ``spec``, built once per process. Each spec gets its own code
    object, so dynamo keeps one cache entry per program (no recompile limit across specs)."""
    got = _PROGRAMS.get(spec)
    if got is None:
        cache_dir()
        code = tick.__code__.replace(co_name=f"caviar_tick_{len(_PROGRAMS)}")
        fresh = types.FunctionType(code, tick.__globals__, code.co_name)

        def bound(*args: Tensor | list[Tensor]) -> None:
            fresh(spec, *args)

        unique = types.FunctionType(
            bound.__code__.replace(co_name=f"caviar_program_{len(_PROGRAMS)}"),
            bound.__globals__,
            f"caviar_program_{len(_PROGRAMS)}",
            None,
            bound.__closure__,
        )
        got = torch.compile(unique, dynamic=False, fullgraph=True, mode=MODE)
        _PROGRAMS[spec] = got
    return got
