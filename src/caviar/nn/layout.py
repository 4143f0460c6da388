"""Where each parameter of a member lives, in torch's layout and in a population's flat buffer.

A member is ``Linear(bias=not batch_norm) -> [BatchNorm] -> activation`` per hidden layer, then
``Linear`` to the classes. Its state dict uses the keys of the equivalent ``torch.nn.Sequential``
(see ``reference.reference_module``), so trained weights load straight into plain PyTorch.

A sub-population stores all parameters of its P members in one flat buffer ``[P, N]``: first every
weight matrix (stored ``[in, out]`` so a batched forward is ``x @ W``), then every vector
(batch-norm gamma and beta, or biases). Hidden widths are padded to the widest member; padded
entries are zero and stay zero. A member shallower than the layout keeps its hidden layers in the
first segments and its output layer in the last; the segments in between stay zero (the layers
are masked identities, see group.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .config import MemberConfig


def init_rng(seed: int) -> np.random.Generator:
    """The generator of a member's initial weights (independent of its data-order generator)."""
    return np.random.default_rng([seed, 0])


def order_rng(seed: int) -> np.random.Generator:
    """The generator of a member's mini-batch order, one permutation per epoch."""
    return np.random.default_rng([seed, 1])


def sequential_keys(cfg: MemberConfig) -> list[tuple[str, int]]:
    """(kind, index in the Sequential) for each layer: kind is 'linear' or 'bn'."""
    out, i = [], 0
    for _ in cfg.widths:
        out.append(("linear", i))
        i += 1
        if cfg.batch_norm:
            out.append(("bn", i))
            i += 1
        i += 1  # activation
    out.append(("linear", i))
    return out


def initial_state_dict(
    cfg: MemberConfig, n_features: int, n_classes: int, dtype: torch.dtype = torch.float64
) -> dict[str, torch.Tensor]:
    """The member's initial weights as a state dict for ``reference.reference_module``.

    Linear layers draw weight ``[out, in]`` then bias from ``U(-1/sqrt(in), 1/sqrt(in))``
    (PyTorch's default bounds) with the member's seed; batch norm starts at gamma=1, beta=0.
    """
    rng = init_rng(cfg.seed)
    sizes = [n_features, *cfg.widths, n_classes]
    state: dict[str, torch.Tensor] = {}
    layer = 0
    for kind, i in sequential_keys(cfg):
        if kind == "bn":
            h = sizes[layer]
            state[f"{i}.weight"] = torch.ones(h, dtype=dtype)
            state[f"{i}.bias"] = torch.zeros(h, dtype=dtype)
            state[f"{i}.running_mean"] = torch.zeros(h, dtype=dtype)
            state[f"{i}.running_var"] = torch.ones(h, dtype=dtype)
            state[f"{i}.num_batches_tracked"] = torch.tensor(0)
            continue
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, size=(fan_out, fan_in))
        state[f"{i}.weight"] = torch.from_numpy(w).to(dtype)
        if layer == len(cfg.widths) or not cfg.batch_norm:
            state[f"{i}.bias"] = torch.from_numpy(rng.uniform(-bound, bound, size=fan_out)).to(
                dtype
            )
        layer += 1
    return state


@dataclass(frozen=True)
class Segment:
    offset: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


class Layout:
    """Offsets of every parameter of a sub-population's members in a flat ``[P, N]`` buffer."""

    def __init__(
        self, n_features: int, widths: tuple[int, ...], n_classes: int, batch_norm: bool
    ) -> None:
        self.sizes = [n_features, *widths, n_classes]
        self.depth = len(widths)
        self.batch_norm = batch_norm
        offset = 0
        self.weights: list[Segment] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            self.weights.append(Segment(offset, (fan_in, fan_out)))
            offset += fan_in * fan_out
        self.n_weights = offset
        # per hidden layer: (gamma, beta) with batch norm, else (bias, None); then the output bias
        self.vectors: list[tuple[Segment, Segment | None]] = []
        for h in widths:
            first = Segment(offset, (h,))
            offset += h
            second = None
            if batch_norm:
                second = Segment(offset, (h,))
                offset += h
            self.vectors.append((first, second))
        self.out_bias = Segment(offset, (n_classes,))
        self.n_params = offset + n_classes

    def segment_of(self, cfg: MemberConfig, layer: int) -> int:
        """Weight segment of the member's ``layer``-th linear layer: hidden layers fill the first
        ``cfg.depth`` segments, the output layer is always the last one (a shallower member's
        layers in between are masked identities, their entries stay zero)."""
        if cfg.depth > self.depth:
            raise ValueError(f"member depth {cfg.depth} exceeds the layout's depth {self.depth}")
        return layer if layer < cfg.depth else self.depth

    def pack(self, cfg: MemberConfig, state: dict[str, torch.Tensor]) -> np.ndarray:
        """A member's torch-layout state dict -> one padded float64 row of the flat buffer."""
        row = np.zeros(self.n_params)
        keys = sequential_keys(cfg)
        linears = [i for kind, i in keys if kind == "linear"]
        bns = [i for kind, i in keys if kind == "bn"]
        for layer, i in enumerate(linears):
            w = state[f"{i}.weight"].detach().double().numpy().T  # [in, out]
            seg = self.weights[self.segment_of(cfg, layer)]
            block = row[seg.offset : seg.offset + seg.size].reshape(seg.shape)
            block[: w.shape[0], : w.shape[1]] = w
            if layer < cfg.depth and not self.batch_norm:
                b = state[f"{i}.bias"].detach().double().numpy()
                row[self.vectors[layer][0].offset :][: b.size] = b
        for layer, i in enumerate(bns):
            gamma_seg, beta_seg = self.vectors[layer]
            g = state[f"{i}.weight"].detach().double().numpy()
            row[gamma_seg.offset :][: g.size] = g
            assert beta_seg is not None
            row[beta_seg.offset :][: g.size] = state[f"{i}.bias"].detach().double().numpy()
        b = state[f"{linears[-1]}.bias"].detach().double().numpy()
        row[self.out_bias.offset :][: b.size] = b
        return row

    def unpack(
        self,
        cfg: MemberConfig,
        row: torch.Tensor,
        running: list[tuple[torch.Tensor, torch.Tensor]],
        steps: int,
    ) -> dict[str, torch.Tensor]:
        """One member's flat row (+ its running statistics) -> a torch-layout state dict."""
        sizes = [self.sizes[0], *cfg.widths, self.sizes[-1]]
        row = row.detach().cpu()
        state: dict[str, torch.Tensor] = {}
        keys = sequential_keys(cfg)
        linears = [i for kind, i in keys if kind == "linear"]
        bns = [i for kind, i in keys if kind == "bn"]
        for layer, i in enumerate(linears):
            seg = self.weights[self.segment_of(cfg, layer)]
            w = row[seg.offset : seg.offset + seg.size].view(seg.shape)
            state[f"{i}.weight"] = w[: sizes[layer], : sizes[layer + 1]].T.clone()
            if layer < cfg.depth and not self.batch_norm:
                off = self.vectors[layer][0].offset
                state[f"{i}.bias"] = row[off : off + sizes[layer + 1]].clone()
        for layer, i in enumerate(bns):
            h = sizes[layer + 1]
            gamma_seg, beta_seg = self.vectors[layer]
            assert beta_seg is not None
            state[f"{i}.weight"] = row[gamma_seg.offset : gamma_seg.offset + h].clone()
            state[f"{i}.bias"] = row[beta_seg.offset : beta_seg.offset + h].clone()
            state[f"{i}.running_mean"] = running[layer][0].detach().cpu()[:h].clone()
            state[f"{i}.running_var"] = running[layer][1].detach().cpu()[:h].clone()
            state[f"{i}.num_batches_tracked"] = torch.tensor(steps)
        off = self.out_bias.offset
        state[f"{linears[-1]}.bias"] = row[off : off + self.sizes[-1]].clone()
        return dict(sorted(state.items(), key=lambda kv: (int(kv[0].split(".")[0]), kv[0])))
