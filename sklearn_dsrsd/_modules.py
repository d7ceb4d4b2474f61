"""Torch modules: encoders, the residual dual stream, alignment head, fusion, heads.

Every network module here takes its input as keyword tensors ``m0, m1, ...``
(one per modality, in schema order) plus ``modality_mask`` (bool, ``(n, M)``)
and returns ``(task_output, codes)`` where ``codes`` is a dict of tensors the
auxiliary losses read (empty for modules without auxiliary terms).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "CoAttentionModule",
    "DSRSDModule",
    "EarlyFusionModule",
    "GroupedLinear",
    "LateFusionModule",
    "ModalityEncoder",
    "ModalityTokenizer",
    "NetworkAverage",
    "PeriodicEmbedding",
    "RandomDraws",
    "SeededDropout",
    "SingleModalityModule",
    "block_key",
    "drop_modalities",
    "first_network",
    "masked_softmax",
    "uniform_weights",
    "use_generator",
]


def block_key(index: int) -> str:
    """Name of the keyword that carries modality ``index`` into a module's forward."""
    return f"m{index}"


class RandomDraws:
    """A module that draws random numbers in training, from ``generator`` when one is set.

    Each fit gives its network a ``torch.Generator`` of its own (:func:`use_generator`), so
    that fits running at the same time in several threads with the same seed draw the same
    numbers: torch's global generator is shared by every thread of the process.
    """

    generator: torch.Generator | None = None


def use_generator(module: nn.Module, generator: torch.Generator | None) -> None:
    """Make every :class:`RandomDraws` part of ``module`` draw from ``generator``."""
    for part in module.modules():
        if isinstance(part, RandomDraws):
            part.generator = generator


class SeededDropout(RandomDraws, nn.Module):
    """``nn.Dropout`` whose masks come from the module's own generator when it has one."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        if self.generator is None:
            return F.dropout(x, self.p, training=True)
        keep = torch.rand(x.shape, generator=self.generator, device=x.device, dtype=x.dtype)
        return x * (keep >= self.p) / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def mlp(in_features: int, hidden_size: int, out_features: int, dropout: float) -> nn.Sequential:
    """Two-layer perceptron with ReLU and dropout after the hidden layer."""
    return nn.Sequential(
        nn.Linear(in_features, hidden_size),
        nn.ReLU(inplace=True),
        SeededDropout(dropout),
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
            nn.ReLU(inplace=True),
            nn.Conv1d(hidden_size, hidden_size, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.projection = nn.Sequential(
            SeededDropout(dropout), nn.Linear(2 * hidden_size, out_features)
        )

    def forward(self, sequence: Tensor) -> Tensor:
        features = self.convolutions(sequence.transpose(1, 2))
        pooled = torch.cat([features.mean(dim=2), features.amax(dim=2)], dim=1)
        return self.projection(pooled)


class TemporalGRUEncoder(nn.Module):
    """A GRU over the steps of a ``(n, T, d)`` block; its last state and mean state, projected.

    For histories whose order matters over many steps (a student's raw responses), where
    a convolution's few-step receptive field falls short.
    """

    def __init__(self, in_features: int, hidden_size: int, out_features: int, dropout: float):
        super().__init__()
        self.gru = nn.GRU(in_features, hidden_size, batch_first=True)
        self.projection = nn.Sequential(
            SeededDropout(dropout), nn.Linear(2 * hidden_size, out_features)
        )

    def forward(self, sequence: Tensor) -> Tensor:
        states, last = self.gru(sequence)
        return self.projection(torch.cat([last[0], states.mean(dim=1)], dim=1))


class TemporalAttentionEncoder(nn.Module):
    """One Transformer encoder layer over the steps (learned positions), mean and max pooled."""

    def __init__(
        self,
        in_features: int,
        hidden_size: int,
        out_features: int,
        dropout: float,
        n_steps: int,
        n_heads: int = 4,
    ):
        super().__init__()
        heads = n_heads if hidden_size % n_heads == 0 else 1
        self.embedding = nn.Linear(in_features, hidden_size)
        self.positions = nn.Parameter(torch.zeros(1, n_steps, hidden_size))
        nn.init.normal_(self.positions, std=0.02)
        # torch's layer would draw its dropout from the global generator (see RandomDraws):
        # it gets none, and the steps get seeded dropout before it instead.
        self.step_dropout = SeededDropout(dropout)
        self.layer = nn.TransformerEncoderLayer(
            hidden_size,
            heads,
            dim_feedforward=2 * hidden_size,
            dropout=0.0,
            batch_first=True,
        )
        self.projection = nn.Sequential(
            SeededDropout(dropout), nn.Linear(2 * hidden_size, out_features)
        )

    def forward(self, sequence: Tensor) -> Tensor:
        steps = self.layer(self.step_dropout(self.embedding(sequence) + self.positions))
        return self.projection(torch.cat([steps.mean(dim=1), steps.amax(dim=1)], dim=1))


TEMPORAL_ENCODERS = ("conv", "gru", "attention")
NUMERICAL_EMBEDDINGS = ("none", "periodic")


class PeriodicEmbedding(nn.Module):
    """Each feature ``x_j`` of a 2-D block as ``[x_j, ReLU(W_j [cos(2 pi c_j x_j); sin(...)])]``.

    The periodic embedding of Gorishniy et al. (2022, "On Embeddings for Numerical Features
    in Tabular Deep Learning", their PLR form): ``n_frequencies`` trainable frequencies
    ``c_j`` per feature, initialised from ``N(0, frequency_scale^2)``, and an affine map
    ``W_j`` of its own per feature to ``width`` outputs. Keeping ``x_j`` itself beside its
    embedding is this package's choice: with small initial frequencies the embedding starts
    close to linear, and the raw value keeps a plain linear path for features whose effect
    is linear (in prototype runs on the tuning tasks it beat the embedding alone on the
    synthetic regression and classification designs and trailed it slightly on the other two).

    Input ``(n, d)``; output ``(n, d * (1 + width))``.
    """

    def __init__(
        self,
        n_features: int,
        n_frequencies: int = 16,
        width: int = 8,
        frequency_scale: float = 0.01,
    ):
        super().__init__()
        self.frequencies = nn.Parameter(
            torch.randn(n_features, 1, n_frequencies) * frequency_scale
        )
        self.maps = GroupedLinear(n_features, 2 * n_frequencies, width)
        self.out_features = n_features * (1 + width)

    def forward(self, block: Tensor) -> Tensor:
        # Feature-major (d, n, k): one batched product maps every feature's embedding.
        angles = (2 * math.pi) * block.T.unsqueeze(2) * self.frequencies
        embedded = torch.relu(self.maps(torch.cat([torch.cos(angles), torch.sin(angles)], dim=2)))
        return torch.cat([block, embedded.transpose(0, 1).flatten(1)], dim=1)


class ModalityEncoder(nn.Module):
    """``h_m = f_m(x_m)``: an MLP for a 2-D block, a temporal encoder for a 3-D block.

    ``temporal_encoder`` picks the sequence encoder: ``"conv"``
    (:class:`TemporalConvEncoder`), ``"gru"`` (:class:`TemporalGRUEncoder`) or
    ``"attention"`` (:class:`TemporalAttentionEncoder`). ``numerical_embedding="periodic"``
    puts a :class:`PeriodicEmbedding` of the features before a 2-D block's MLP.
    """

    def __init__(
        self,
        shape: Sequence[int],
        hidden_size: int,
        dropout: float,
        temporal_encoder: str = "conv",
        numerical_embedding: str = "none",
    ):
        super().__init__()
        if numerical_embedding not in NUMERICAL_EMBEDDINGS:
            raise ValueError(
                f"numerical_embedding must be one of {NUMERICAL_EMBEDDINGS}; got "
                f"{numerical_embedding!r}."
            )
        if len(shape) == 2:
            n_steps, n_features = shape
            if temporal_encoder == "gru":
                self.body = TemporalGRUEncoder(n_features, hidden_size, hidden_size, dropout)
            elif temporal_encoder == "attention":
                self.body = TemporalAttentionEncoder(
                    n_features, hidden_size, hidden_size, dropout, n_steps
                )
            elif temporal_encoder == "conv":
                self.body = TemporalConvEncoder(n_features, hidden_size, hidden_size, dropout)
            else:
                raise ValueError(
                    f"temporal_encoder must be one of {TEMPORAL_ENCODERS}; got "
                    f"{temporal_encoder!r}."
                )
        else:
            embedding = [PeriodicEmbedding(shape[0])] if numerical_embedding == "periodic" else []
            in_features = embedding[0].out_features if embedding else shape[0]
            self.body = nn.Sequential(
                *embedding,
                nn.Linear(in_features, hidden_size),
                nn.ReLU(inplace=True),
                SeededDropout(dropout),
                nn.Linear(hidden_size, hidden_size),
                nn.ReLU(inplace=True),
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


def drop_modalities(
    modality_mask: Tensor, rate: float, generator: torch.Generator | None = None
) -> Tensor:
    """Hide each present modality with probability ``rate``, never all of one sample's."""
    if rate <= 0:
        return modality_mask
    keep = (
        torch.rand(modality_mask.shape, generator=generator, device=modality_mask.device) >= rate
    )
    dropped = modality_mask & keep
    emptied = ~dropped.any(dim=1)
    # Restore one present modality, chosen at random, for samples that lost them all. Computed
    # for every batch (it is cheap) rather than behind `if emptied.any()`, a host sync.
    scores = torch.rand(modality_mask.shape, generator=generator, device=modality_mask.device)
    scores = scores.masked_fill(~modality_mask, -1.0)
    chosen = F.one_hot(scores.argmax(dim=1), modality_mask.shape[1]).bool()
    return torch.where(emptied[:, None], chosen, dropped)


class GroupedLinear(nn.Module):
    """One affine map per group, applied to ``(G, n, in)`` inputs in a single batched product.

    Equivalent to ``G`` separate ``nn.Linear`` layers (with their default initialisation,
    uniform in ``+-1/sqrt(in_features)``), but one operation instead of ``G`` in the forward
    and backward pass: the per-modality layers of DSRSD-Net all have the same shape.
    """

    def __init__(self, n_groups: int, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        self.weight = nn.Parameter(
            torch.empty(n_groups, in_features, out_features).uniform_(-bound, bound)
        )
        self.bias = (
            nn.Parameter(torch.empty(n_groups, 1, out_features).uniform_(-bound, bound))
            if bias
            else None
        )

    def forward(self, grouped: Tensor) -> Tensor:
        if self.bias is None:
            return torch.bmm(grouped, self.weight)
        return torch.baddbmm(self.bias, grouped, self.weight)


class DualStream(nn.Module):
    """Shared ``s = phi(h)``; private ``p = rho(h - psi(s))`` sees what ``s`` did not explain.

    Inputs and codes are modality-major, ``(M, n, width)``: one map per modality.
    """

    def __init__(self, n_modalities: int, hidden_size: int, code_size: int, dual_stream: bool):
        super().__init__()
        self.shared = GroupedLinear(n_modalities, hidden_size, code_size)
        if dual_stream:
            self.back_projection = GroupedLinear(n_modalities, code_size, hidden_size)
            self.private = GroupedLinear(n_modalities, hidden_size, code_size)
        else:
            self.back_projection = self.private = None

    def forward(self, hidden: Tensor) -> tuple[Tensor, Tensor | None]:
        shared_code = self.shared(hidden)
        if self.private is None:
            return shared_code, None
        residual = hidden - self.back_projection(shared_code)
        return shared_code, self.private(residual)


class ResidualAlignmentHead(nn.Module):
    """``u = W s + g(s)``: a modality's shared code in the space common to all modalities.

    The alignment loss compares ``z = normalize(u)`` across modalities; the fusion
    combines ``u`` itself (side by side, or summed with ``fusion="gated"``), which keeps
    the magnitude the normalisation would discard. Modality-major
    ``(M, n, code_size)`` codes, one ``W`` and ``g`` per modality.
    """

    def __init__(self, n_modalities: int, code_size: int, hidden_size: int):
        super().__init__()
        self.linear = GroupedLinear(n_modalities, code_size, code_size, bias=False)
        self.residual = nn.Sequential(
            GroupedLinear(n_modalities, code_size, hidden_size),
            nn.ReLU(inplace=True),
            GroupedLinear(n_modalities, hidden_size, code_size),
        )

    def forward(self, shared_code: Tensor) -> Tensor:
        return self.linear(shared_code) + self.residual(shared_code)


class DSRSDModule(RandomDraws, nn.Module):
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
    fusion : {"gated", "gated_concat", "concat"}
        ``"gated"``: the fusion inputs weighted by per-sample gates renormalised
        over the present modalities, and summed. ``"gated_concat"``: the same
        gate-weighted inputs concatenated instead of summed, so that the head sees
        each modality's contribution apart. ``"concat"``: concatenation of the
        fusion inputs with absent modalities zeroed and no gates (ablation).
    modality_dropout : float
        Training-time probability of hiding each present modality of a sample.
    temporal_encoder : {"conv", "gru", "attention"}
        Encoder of the 3-D (sequence) modalities; see :class:`ModalityEncoder`.
    numerical_embedding : {"none", "periodic"} or sequence of them
        ``"periodic"``: a :class:`PeriodicEmbedding` before the MLP of each 2-D modality;
        a sequence gives each modality's, in the order of ``modality_shapes``.
    linear_path : bool
        Add a linear map of each present 2-D modality's standardised input (no bias, zero
        at initialisation) to the task output, beside the network.

    Notes
    -----
    What is fused. Each modality contributes ``[u_m; V_m p_m]``: its shared code
    mapped into the common space by the alignment head (``u_m``, whose
    normalisation the alignment loss pulls together across modalities) and its
    private code through a projection of its own (``V_m``) into one private
    space. Raw shared codes ``s_m = phi_m(h_m)`` are *not* summed: each modality
    has its own ``phi_m``, so coordinate ``j`` of ``s_a`` and of ``s_b`` need not
    mean the same thing, and a weighted sum of them would mix unrelated
    features. The gates read the raw ``[s_m; p_m]``.
    """

    # gated_concat with the weights multiplied by the number of present modalities (so that
    # they average 1): measured, not adopted (docs/design.md, section 5). A class-level
    # switch, off in the package, that benchmarks/tune_defaults.py turns on to measure it.
    rescale_gate_weights = False

    def __init__(
        self,
        modality_shapes: Sequence[Sequence[int]],
        n_outputs: int,
        hidden_size: int = 64,
        code_size: int = 32,
        dropout: float = 0.1,
        dual_stream: bool = True,
        fusion: str = "gated_concat",
        modality_dropout: float = 0.0,
        temporal_encoder: str = "conv",
        numerical_embedding: str | Sequence[str] = "none",
        linear_path: bool = False,
    ):
        super().__init__()
        self.n_modalities = len(modality_shapes)
        if isinstance(numerical_embedding, str):
            numerical_embedding = [numerical_embedding] * self.n_modalities
        self.fusion = fusion
        self.modality_dropout = modality_dropout
        self.encoders = nn.ModuleList(
            ModalityEncoder(shape, hidden_size, dropout, temporal_encoder, embedding)
            for shape, embedding in zip(modality_shapes, numerical_embedding, strict=True)
        )
        n_modalities = self.n_modalities
        self.streams = DualStream(n_modalities, hidden_size, code_size, dual_stream)
        self.alignment_heads = ResidualAlignmentHead(n_modalities, code_size, hidden_size)
        self.private_projections = (
            GroupedLinear(n_modalities, code_size, code_size) if dual_stream else None
        )
        code_width = code_size * (2 if dual_stream else 1)
        self.gates = GroupedLinear(n_modalities, code_width, 1) if fusion != "concat" else None
        fused_width = code_width * (1 if fusion == "gated" else self.n_modalities)
        self.head = mlp(fused_width, hidden_size, n_outputs, dropout)
        self.linear_terms = (
            nn.ParameterList(
                nn.Parameter(torch.zeros(shape[0], n_outputs)) if len(shape) == 1 else None
                for shape in modality_shapes
            )
            if linear_path
            else None
        )

    def forward(self, modality_mask: Tensor, **blocks: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        modality_mask = modality_mask.bool()
        if self.training:
            modality_mask = drop_modalities(modality_mask, self.modality_dropout, self.generator)
        # Modality-major (M, n, width) from here: each per-modality layer is one batched
        # product over all modalities. Codes are returned sample-major, (n, M, width).
        hidden = torch.stack(
            [encoder(blocks[block_key(index)]) for index, encoder in enumerate(self.encoders)]
        )
        shared_major, private_major = self.streams(hidden)
        common_major = self.alignment_heads(shared_major)
        shared, common = shared_major.transpose(0, 1), common_major.transpose(0, 1)
        if private_major is None:
            private = None
            codes_major = shared_major
            codes, fusion_inputs = shared, common
        else:
            private = private_major.transpose(0, 1)
            codes_major = torch.cat([shared_major, private_major], dim=2)
            codes = codes_major.transpose(0, 1)
            projected = self.private_projections(private_major)
            fusion_inputs = torch.cat([common_major, projected], dim=2).transpose(0, 1)
        present = modality_mask.to(codes.dtype)
        if self.gates is None:
            fused = (fusion_inputs * present.unsqueeze(2)).flatten(1)
            modality_weights = uniform_weights(modality_mask, codes.dtype)
        else:
            gate_scores = self.gates(codes_major)[:, :, 0].T
            modality_weights = masked_softmax(gate_scores, modality_mask)
            weighted = modality_weights.unsqueeze(2) * fusion_inputs
            if self.fusion == "gated":
                fused = weighted.sum(dim=1)
            elif self.rescale_gate_weights:
                # Weights rescaled to average 1 over the present modalities: equal gates
                # give the plain concatenation, instead of contributions shrunk by 1 / M
                # that the head must first learn to scale back up.
                fused = (weighted * present.sum(dim=1)[:, None, None]).flatten(1)
            else:
                fused = weighted.flatten(1)
        output = self.head(fused)
        if self.linear_terms is not None:
            for index, weight in enumerate(self.linear_terms):
                if weight is not None:
                    block = blocks[block_key(index)]
                    output = output + present[:, index : index + 1] * (
                        block.to(weight.dtype) @ weight
                    )
        return output, {
            "fused": fused,
            "shared": shared,
            "private": private,
            "aligned": F.normalize(common, dim=-1),
            "fusion_inputs": fusion_inputs,
            "modality_mask": modality_mask,
            "modality_weights": modality_weights,
        }


class NetworkAverage(nn.Module):
    """``n_networks`` networks of one architecture side by side; their predictions averaged.

    The members are built one after the other from the same keyword arguments, so
    they start from different initial weights (drawn in turn from the generator
    that the fit seeded; the first member's are those of a lone network of the
    same seed), and draw their own dropout and modality-dropout masks. Training
    minimises the mean of the members' own losses (:meth:`MultimodalNet.get_loss`),
    so each member learns as it would alone, on the same batches: a deep ensemble
    of one architecture, whose members differ by their random draws only.

    Parameters
    ----------
    member : type
        The network class of each member (a module returning ``(task_output, codes)``).
    n_networks : int
        Number of members.
    average : {"probabilities", "values"}
        ``"probabilities"``: the output is the log of the members' mean class
        probabilities (a logit vector that ``softmax`` maps back to the mean);
        ``"values"``: the mean of the members' outputs (regression).
    **member_kwargs
        Keyword arguments of every member.

    Notes
    -----
    The codes returned are the first member's, except ``modality_weights``, the
    members' mean, and ``"members"``: every member's ``(task_output, codes)``, which
    the losses read. Codes of different members live in different spaces, so no
    mean of them would mean anything.
    """

    def __init__(self, member: type[nn.Module], n_networks: int, average: str, **member_kwargs):
        super().__init__()
        if average not in ("probabilities", "values"):
            raise ValueError(f"average must be 'probabilities' or 'values', got {average!r}")
        self.average = average
        self.members = nn.ModuleList(member(**member_kwargs) for _ in range(n_networks))

    def forward(self, modality_mask: Tensor, **blocks: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        results = [member(modality_mask=modality_mask, **blocks) for member in self.members]
        outputs = torch.stack([output for output, _ in results])
        if self.average == "probabilities":
            output = torch.logsumexp(outputs.log_softmax(dim=-1), dim=0) - math.log(len(results))
        else:
            output = outputs.mean(dim=0)
        weights = torch.stack([codes["modality_weights"] for _, codes in results]).mean(dim=0)
        return output, {**results[0][1], "modality_weights": weights, "members": results}


def first_network(module: nn.Module) -> nn.Module:
    """The module itself, or the first member of a :class:`NetworkAverage`."""
    return module.members[0] if isinstance(module, NetworkAverage) else module


# -- baseline modules (sklearn_dsrsd.baselines) ----------------------------------------------
# Each takes the same keyword inputs as DSRSDModule and returns ``(task_output, codes)`` with
# codes ``{"modality_mask", "modality_weights"}`` only: no "shared" code, hence no auxiliary
# loss terms in MultimodalNet.get_loss.


def uniform_weights(modality_mask: Tensor, dtype: torch.dtype) -> Tensor:
    """Equal weight for each modality present in a sample, 0 for absent ones."""
    present = modality_mask.to(dtype)
    return present / present.sum(dim=1, keepdim=True).clamp_min(1.0)


class SingleModalityModule(nn.Module):
    """Encoder of one modality (``ModalityEncoder``) and an MLP head; other inputs unused.

    A sample that lacks the modality is predicted from its imputed block (the
    training mean). ``modality_weights`` is 1 on the modality where it is
    present and 0 elsewhere: the prediction uses no other modality.
    """

    def __init__(
        self,
        modality_shapes: Sequence[Sequence[int]],
        n_outputs: int,
        modality_index: int = 0,
        hidden_size: int = 64,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.modality_index = modality_index
        self.encoder = ModalityEncoder(modality_shapes[modality_index], hidden_size, dropout)
        self.head = mlp(hidden_size, hidden_size, n_outputs, dropout)

    def forward(self, modality_mask: Tensor, **blocks: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        modality_mask = modality_mask.bool()
        block = blocks[block_key(self.modality_index)]
        output = self.head(self.encoder(block))
        weights = torch.zeros(modality_mask.shape, dtype=output.dtype, device=output.device)
        weights[:, self.modality_index] = modality_mask[:, self.modality_index].to(output.dtype)
        return output, {"modality_mask": modality_mask, "modality_weights": weights}


class EarlyFusionModule(nn.Module):
    """Concatenate every flattened block and the presence indicators, then an MLP.

    A 3-D block ``(n, T, d)`` is flattened to ``T * d`` features (early fusion
    means the raw inputs meet before any per-modality processing). Absent
    modalities arrive imputed (0 = training mean after standardisation); the
    appended ``modality_mask`` lets the network tell imputed from observed.
    """

    def __init__(
        self,
        modality_shapes: Sequence[Sequence[int]],
        n_outputs: int,
        hidden_size: int = 64,
        dropout: float = 0.1,
    ):
        super().__init__()
        n_modalities = len(modality_shapes)
        width = sum(math.prod(shape) for shape in modality_shapes)
        self.n_modalities = n_modalities
        self.encoder = ModalityEncoder((width + n_modalities,), hidden_size, dropout)
        self.head = mlp(hidden_size, hidden_size, n_outputs, dropout)

    def forward(self, modality_mask: Tensor, **blocks: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        modality_mask = modality_mask.bool()
        parts = [blocks[block_key(index)].flatten(1) for index in range(self.n_modalities)]
        dtype = parts[0].dtype
        features = torch.cat([*parts, modality_mask.to(dtype)], dim=1)
        output = self.head(self.encoder(features))
        return output, {
            "modality_mask": modality_mask,
            "modality_weights": uniform_weights(modality_mask, dtype),
        }


class LateFusionModule(nn.Module):
    """One encoder and head per modality; predictions averaged over present modalities.

    ``task="classification"``: the per-modality class probabilities are averaged
    and the log of the average is returned as logits (so ``CrossEntropyLoss``
    applies and softmax recovers the average). ``task="regression"``: the
    outputs are averaged. All per-modality models are trained jointly on the
    loss of the averaged prediction.
    """

    def __init__(
        self,
        modality_shapes: Sequence[Sequence[int]],
        n_outputs: int,
        task: str = "classification",
        hidden_size: int = 64,
        dropout: float = 0.1,
    ):
        super().__init__()
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}.")
        self.task = task
        self.models = nn.ModuleList(
            nn.Sequential(
                ModalityEncoder(shape, hidden_size, dropout),
                mlp(hidden_size, hidden_size, n_outputs, dropout),
            )
            for shape in modality_shapes
        )

    def forward(self, modality_mask: Tensor, **blocks: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        modality_mask = modality_mask.bool()
        outputs = torch.stack(
            [model(blocks[block_key(index)]) for index, model in enumerate(self.models)], dim=1
        )  # (n, M, n_outputs)
        weights = uniform_weights(modality_mask, outputs.dtype)
        if self.task == "classification":
            # log(sum_m w_m softmax(l_m)) computed stably; absent modalities get log 0 = -inf.
            log_proba = torch.log_softmax(outputs, dim=2) + torch.log(weights).unsqueeze(2)
            output = torch.logsumexp(log_proba, dim=1)
        else:
            output = (weights.unsqueeze(2) * outputs).sum(dim=1)
        return output, {"modality_mask": modality_mask, "modality_weights": weights}


class ModalityTokenizer(nn.Module):
    """A 2-D block to ``n_tokens`` tokens; a 3-D block to one token per step.

    Tokens have width ``hidden_size`` and carry a learned modality embedding
    (and, for a 3-D block, a learned embedding of the step).
    """

    def __init__(self, shape: Sequence[int], hidden_size: int, n_tokens: int):
        super().__init__()
        self.hidden_size = hidden_size
        if len(shape) == 2:
            self.n_tokens = int(shape[0])
            self.projection = nn.Linear(shape[1], hidden_size)
        else:
            self.n_tokens = n_tokens
            self.projection = nn.Linear(shape[0], n_tokens * hidden_size)
        self.position = nn.Parameter(torch.zeros(self.n_tokens, hidden_size))
        self.modality = nn.Parameter(torch.zeros(hidden_size))
        nn.init.normal_(self.position, std=0.02)
        nn.init.normal_(self.modality, std=0.02)

    def forward(self, block: Tensor) -> Tensor:
        tokens = self.projection(block).reshape(block.shape[0], self.n_tokens, self.hidden_size)
        return tokens + self.position + self.modality


class CoAttentionModule(nn.Module):
    """Cross-modal multi-head attention over the tokens of all modalities.

    Every modality is tokenised (:class:`ModalityTokenizer`); one transformer
    block (``nn.MultiheadAttention`` with residual connections, layer norms and
    a feed-forward layer) lets every token attend to the tokens of every
    modality present in the sample -- absent modalities are excluded through
    ``key_padding_mask``. The tokens of present modalities are mean-pooled and an
    MLP head predicts. ``modality_weights`` is the attention mass each modality
    receives, averaged over heads and over the query tokens of present
    modalities; it is 0 for absent modalities and sums to 1.
    """

    def __init__(
        self,
        modality_shapes: Sequence[Sequence[int]],
        n_outputs: int,
        hidden_size: int = 64,
        n_tokens: int = 4,
        n_heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__()
        if hidden_size % n_heads:
            raise ValueError(
                f"hidden_size ({hidden_size}) must be divisible by n_heads ({n_heads})."
            )
        self.tokenizers = nn.ModuleList(
            ModalityTokenizer(shape, hidden_size, n_tokens) for shape in modality_shapes
        )
        # Modality of each token, in concatenation order.
        owner = torch.cat(
            [torch.full((t.n_tokens,), m, dtype=torch.long) for m, t in enumerate(self.tokenizers)]
        )
        self.register_buffer("token_modality", owner, persistent=False)
        # No dropout on the attention weights: torch would draw it from the global generator
        # (see RandomDraws). The attended tokens get seeded dropout below.
        self.attention = nn.MultiheadAttention(hidden_size, n_heads, batch_first=True)
        self.norm1 = nn.LayerNorm(hidden_size)
        self.norm2 = nn.LayerNorm(hidden_size)
        self.feed_forward = mlp(hidden_size, 2 * hidden_size, hidden_size, dropout)
        self.dropout = SeededDropout(dropout)
        self.head = mlp(hidden_size, hidden_size, n_outputs, dropout)

    def forward(self, modality_mask: Tensor, **blocks: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        modality_mask = modality_mask.bool()
        tokens = torch.cat(
            [tok(blocks[block_key(m)]) for m, tok in enumerate(self.tokenizers)], dim=1
        )  # (n, L, hidden)
        token_present = modality_mask[:, self.token_modality]  # (n, L)
        attended, attention = self.attention(
            tokens,
            tokens,
            tokens,
            key_padding_mask=~token_present,
            need_weights=True,
            average_attn_weights=True,
        )  # attention: (n, L, L), rows sum to 1 over present keys
        tokens = self.norm1(tokens + self.dropout(attended))
        tokens = self.norm2(tokens + self.dropout(self.feed_forward(tokens)))
        present = token_present.to(tokens.dtype)
        count = present.sum(dim=1, keepdim=True).clamp_min(1.0)
        pooled = (tokens * present.unsqueeze(2)).sum(dim=1) / count
        output = self.head(pooled)
        # Attention mass per key modality, averaged over present query tokens.
        mass_per_key = (attention * present.unsqueeze(2)).sum(dim=1) / count  # (n, L)
        one_hot = F.one_hot(self.token_modality, modality_mask.shape[1]).to(tokens.dtype)
        weights = mass_per_key @ one_hot
        return output, {"modality_mask": modality_mask, "modality_weights": weights}
