"""Torch modules: encoders, the residual dual stream, alignment head, fusion, heads.

Every network module here takes its input as keyword tensors ``m0, m1, ...``
(one per modality, in schema order) plus ``modality_mask`` (bool, ``(n, M)``)
and returns ``(task_output, codes)`` where ``codes`` is a dict of tensors the
auxiliary losses read (empty for modules without auxiliary terms).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "DSRSDModule",
    "ModalityEncoder",
    "block_key",
    "drop_modalities",
    "masked_softmax",
]


def block_key(index: int) -> str:
    """Name of the keyword that carries modality ``index`` into a module's forward."""
    return f"m{index}"


def mlp(in_features: int, hidden_size: int, out_features: int, dropout: float) -> nn.Sequential:
    """Two-layer perceptron with ReLU and dropout after the hidden layer."""
    return nn.Sequential(
        nn.Linear(in_features, hidden_size),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_size, out_features),
    )


class TemporalConvEncoder(nn.Module):
    """1-D convolution over the steps of a ``(n, T, d)`` block, then mean and max pooling.

    A convolution rather than a GRU: it is several times faster on CPU, has no
    sequential dependency across steps, and the click-stream sequences we target
    are short (weeks), where a receptive field of a few steps suffices.
    """

    def __init__(self, in_features: int, hidden_size: int, out_features: int, dropout: float):
        super().__init__()
        self.convolutions = nn.Sequential(
            nn.Conv1d(in_features, hidden_size, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv1d(hidden_size, hidden_size, kernel_size=3, padding=1),
            nn.ReLU(),
        )
        self.projection = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(2 * hidden_size, out_features)
        )

    def forward(self, sequence: Tensor) -> Tensor:
        features = self.convolutions(sequence.transpose(1, 2))
        pooled = torch.cat([features.mean(dim=2), features.amax(dim=2)], dim=1)
        return self.projection(pooled)


class ModalityEncoder(nn.Module):
    """``h_m = f_m(x_m)``: an MLP for a 2-D block, a temporal encoder for a 3-D block."""

    def __init__(self, shape: Sequence[int], hidden_size: int, dropout: float):
        super().__init__()
        if len(shape) == 2:
            self.body = TemporalConvEncoder(shape[1], hidden_size, hidden_size, dropout)
        else:
            self.body = nn.Sequential(
                nn.Linear(shape[0], hidden_size),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(hidden_size, hidden_size),
                nn.ReLU(),
            )

    def forward(self, block: Tensor) -> Tensor:
        return self.body(block)


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """Softmax over the last axis restricted to ``mask``; masked entries get weight 0."""
    scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    # A row with nothing present would be NaN; inputs guarantee one modality per sample,
    # but modality dropout in training must never produce NaN either.
    return torch.nan_to_num(weights, nan=0.0)


def drop_modalities(modality_mask: Tensor, rate: float) -> Tensor:
    """Hide each present modality with probability ``rate``, never all of one sample's."""
    if rate <= 0:
        return modality_mask
    keep = torch.rand(modality_mask.shape, device=modality_mask.device) >= rate
    dropped = modality_mask & keep
    emptied = ~dropped.any(dim=1)
    if emptied.any():
        # Restore one present modality, chosen at random, for samples that lost them all.
        scores = torch.rand(modality_mask.shape, device=modality_mask.device)
        scores = scores.masked_fill(~modality_mask, -1.0)
        chosen = F.one_hot(scores.argmax(dim=1), modality_mask.shape[1]).bool()
        dropped = torch.where(emptied[:, None], chosen, dropped)
    return dropped


class DualStream(nn.Module):
    """Shared ``s = phi(h)``; private ``p = rho(h - psi(s))`` sees what ``s`` did not explain."""

    def __init__(self, hidden_size: int, code_size: int, dual_stream: bool):
        super().__init__()
        self.shared = nn.Linear(hidden_size, code_size)
        if dual_stream:
            self.back_projection = nn.Linear(code_size, hidden_size)
            self.private = nn.Linear(hidden_size, code_size)
        else:
            self.back_projection = self.private = None

    def forward(self, hidden: Tensor) -> tuple[Tensor, Tensor | None]:
        shared_code = self.shared(hidden)
        if self.private is None:
            return shared_code, None
        residual = hidden - self.back_projection(shared_code)
        return shared_code, self.private(residual)


class ResidualAlignmentHead(nn.Module):
    """``z = normalize(W s + g(s))``: a common space in which modalities are aligned."""

    def __init__(self, code_size: int, hidden_size: int):
        super().__init__()
        self.linear = nn.Linear(code_size, code_size, bias=False)
        self.residual = nn.Sequential(
            nn.Linear(code_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, code_size)
        )

    def forward(self, shared_code: Tensor) -> Tensor:
        return F.normalize(self.linear(shared_code) + self.residual(shared_code), dim=-1)


class DSRSDModule(nn.Module):
    """DSRSD-Net: encoders, residual dual stream, alignment head, gated fusion, task head.

    Parameters
    ----------
    modality_shapes : list of tuple
        Per-sample shape of each modality: ``(d,)`` or ``(T, d)``.
    n_outputs : int
        Logits (classification) or target columns (regression).
    hidden_size, code_size : int
        Width of encoders and heads; size of the shared and private codes.
    dropout : float
        Dropout inside encoders and the task head.
    dual_stream : bool
        False keeps only the shared stream (ablation).
    fusion : {"gated", "concat"}
        Gated fusion renormalised over present modalities, or concatenation of the
        codes with absent modalities zeroed (ablation).
    modality_dropout : float
        Training-time probability of hiding each present modality of a sample.
    """

    def __init__(
        self,
        modality_shapes: Sequence[Sequence[int]],
        n_outputs: int,
        hidden_size: int = 64,
        code_size: int = 32,
        dropout: float = 0.1,
        dual_stream: bool = True,
        fusion: str = "gated",
        modality_dropout: float = 0.0,
    ):
        super().__init__()
        self.n_modalities = len(modality_shapes)
        self.fusion = fusion
        self.modality_dropout = modality_dropout
        self.encoders = nn.ModuleList(
            ModalityEncoder(shape, hidden_size, dropout) for shape in modality_shapes
        )
        self.streams = nn.ModuleList(
            DualStream(hidden_size, code_size, dual_stream) for _ in modality_shapes
        )
        self.alignment_heads = nn.ModuleList(
            ResidualAlignmentHead(code_size, hidden_size) for _ in modality_shapes
        )
        code_width = code_size * (2 if dual_stream else 1)
        self.gates = (
            nn.ModuleList(nn.Linear(code_width, 1) for _ in modality_shapes)
            if fusion == "gated"
            else None
        )
        fused_width = code_width * (self.n_modalities if fusion == "concat" else 1)
        self.head = mlp(fused_width, hidden_size, n_outputs, dropout)

    def forward(self, modality_mask: Tensor, **blocks: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        modality_mask = modality_mask.bool()
        if self.training:
            modality_mask = drop_modalities(modality_mask, self.modality_dropout)
        shared_codes, private_codes, aligned_codes = [], [], []
        for index, (encoder, stream, align) in enumerate(
            zip(self.encoders, self.streams, self.alignment_heads, strict=True)
        ):
            shared_code, private_code = stream(encoder(blocks[block_key(index)]))
            shared_codes.append(shared_code)
            private_codes.append(private_code)
            aligned_codes.append(align(shared_code))
        shared = torch.stack(shared_codes, dim=1)
        private = None if private_codes[0] is None else torch.stack(private_codes, dim=1)
        codes = shared if private is None else torch.cat([shared, private], dim=2)
        present = modality_mask.to(codes.dtype)
        if self.gates is None:
            fused = (codes * present.unsqueeze(2)).flatten(1)
            modality_weights = present / present.sum(dim=1, keepdim=True).clamp_min(1.0)
        else:
            gate_scores = torch.cat(
                [gate(codes[:, index]) for index, gate in enumerate(self.gates)], dim=1
            )
            modality_weights = masked_softmax(gate_scores, modality_mask)
            fused = (modality_weights.unsqueeze(2) * codes).sum(dim=1)
        output = self.head(fused)
        return output, {
            "shared": shared,
            "private": private,
            "aligned": torch.stack(aligned_codes, dim=1),
            "modality_mask": modality_mask,
            "modality_weights": modality_weights,
        }
