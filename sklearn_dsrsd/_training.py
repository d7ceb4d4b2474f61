"""Training glue: the tensor dataset that skorch batches, and the skorch net subclass.

skorch is the training loop (epochs, shuffled batches, validation split,
callbacks, device handling, history). We override three of its hooks:
:meth:`MultimodalNet.get_loss` adds the weighted auxiliary terms of DSRSD-Net
(and, in :class:`DistillationNet`, the distillation terms) to the task loss,
which our own hook ``get_task_loss`` weights by sample; ``infer`` keeps the
sample weights out of the module's inputs; ``_set_training`` switches only the
modules whose mode changes, and never a frozen teacher.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from copy import deepcopy
from typing import Any

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, LRScheduler, PrintLog
from skorch.utils import to_tensor
from torch.utils.data import Dataset

from ._losses import (
    _zero_like_graph,
    alignment_loss,
    decorrelation_loss,
    orthogonality_loss,
    prototype_distillation,
    response_consistency_distillation,
    sample_contrastive_distillation,
)
from ._modules import block_key

__all__ = [
    "BestWeightsEarlyStopping",
    "CosineFactor",
    "DistillationNet",
    "DivergenceGuard",
    "ModalityDataset",
    "MultimodalNet",
    "PlainPrintLog",
    "ResumableLRScheduler",
    "WeightAveraging",
    "collate_batch",
]

_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def _float32_weights(sample_weight: Any) -> np.ndarray:
    """The weights divided by their largest, in float32.

    Every loss is a weighted mean, which a common factor leaves unchanged; without the
    division, weights such as 1e-50 (or 1e300) would round to 0 (or infinity) in float32.
    """
    weights = np.asarray(sample_weight, dtype=np.float64)
    largest = weights.max() if weights.size else 0.0
    return (weights / largest if largest > 0 else weights).astype(np.float32)


class ModalityDataset(Dataset):
    """Modality blocks, presence mask, targets and optional sample weights as tensors.

    ``__getitems__`` gathers a whole batch by tensor indexing (one call per batch,
    not one per sample); :func:`collate_batch` then passes it through unchanged.
    Sample weights travel with a batch's inputs under ``"sample_weight"`` (skorch's
    way of giving the loss per-sample data); :meth:`MultimodalNet.infer` keeps them
    from the module.
    """

    def __init__(
        self,
        blocks: Sequence[np.ndarray],
        modality_mask: np.ndarray,
        y: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
    ):
        self.blocks = [torch.from_numpy(np.ascontiguousarray(block)) for block in blocks]
        self.modality_mask = torch.from_numpy(np.ascontiguousarray(modality_mask))
        self.y = None if y is None else torch.from_numpy(np.ascontiguousarray(y))
        self.sample_weight = (
            None if sample_weight is None else torch.from_numpy(_float32_weights(sample_weight))
        )

    def subset(self, rows: np.ndarray) -> ModalityDataset:
        """The dataset of the selected rows (a boolean mask or indices)."""
        return ModalityDataset(
            [block[rows].numpy() for block in self.blocks],
            self.modality_mask[rows].numpy(),
            None if self.y is None else self.y[rows].numpy(),
            None if self.sample_weight is None else self.sample_weight[rows].numpy(),
        )

    def __len__(self) -> int:
        return self.modality_mask.shape[0]

    def __getitems__(self, indices: Sequence[int]) -> tuple[dict[str, torch.Tensor], Any]:
        rows = torch.as_tensor(indices, dtype=torch.long)
        inputs = {block_key(i): block[rows] for i, block in enumerate(self.blocks)}
        inputs["modality_mask"] = self.modality_mask[rows]
        if self.sample_weight is not None:
            inputs["sample_weight"] = self.sample_weight[rows]
        target = torch.zeros(len(rows)) if self.y is None else self.y[rows]
        return inputs, target

    def __getitem__(self, index: int) -> tuple[dict[str, torch.Tensor], Any]:
        inputs, target = self.__getitems__([index])
        return {key: value[0] for key, value in inputs.items()}, target[0]


def _members(y_pred: tuple[torch.Tensor, dict[str, Any]]) -> list[tuple[torch.Tensor, Any]]:
    """Each network's ``(task_output, codes)``: the members of a ``NetworkAverage``, else
    the one network's."""
    return y_pred[1].get("members") or [y_pred]


def _mean(values: list[torch.Tensor]) -> torch.Tensor:
    return values[0] if len(values) == 1 else torch.stack(values).mean(dim=0)


def _mean_terms(per_network: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Each named loss term averaged over the networks (every network has the same terms)."""
    return {name: _mean([terms[name] for terms in per_network]) for name in per_network[0]}


def collate_batch(batch: Any) -> Any:
    """Identity collate: :meth:`ModalityDataset.__getitems__` already built the batch."""
    return batch


class DivergenceGuard(Callback):
    """Stop training with a clear error as soon as an epoch's loss is not finite.

    Without it, a diverged fit "succeeds" and every later prediction is NaN.
    """

    def on_epoch_end(self, net: NeuralNet, **kwargs: Any) -> None:
        row = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            if key in row and not np.isfinite(row[key]):
                raise ValueError(
                    f"Training diverged: the {key.replace('_', ' ')} of epoch {row['epoch']} "
                    f"is {row[key]}. The learning rate (learning_rate_init={net.lr}) is "
                    "likely too large for this data, or a modality holds values so large "
                    "that they overflow once scaled; lower learning_rate_init or rescale "
                    "the input."
                )


class WeightAveraging(Callback):
    """Validate and keep an exponential moving average of the module's weights.

    A measured alternative, off by default (``MultimodalNet.weight_average_decay``).
    After every training batch the average moves toward the new weights. Validation
    batches run with the averaged weights in place, so early stopping monitors,
    snapshots and restores averaged weights; they stay in place until the next
    training batch, and a fit without validation ends with them. Each fit call
    starts a new average from the module's weights, so with ``partial_fit`` (one
    epoch per call) the average spans one epoch only.

    Parameters
    ----------
    decay : float, default=0.99
        Largest per-batch decay of the average. Early in a fit the decay is
        ``(1 + t) / (10 + t)`` after ``t`` batches when that is smaller, as in
        TensorFlow's ``ExponentialMovingAverage`` with ``num_updates``, so that the
        initial weights do not linger in the average.

    Attributes
    ----------
    average_ : list of torch.Tensor
        The averaged parameters, in ``module_.parameters()`` order; ``None`` after
        training.
    n_updates_ : int
        Training batches averaged in so far.
    """

    def __init__(self, decay: float = 0.99) -> None:
        self.decay = decay

    def on_train_begin(self, net: NeuralNet, **kwargs: Any) -> None:
        self.average_ = [p.detach().clone() for p in net.module_.parameters()]
        self.training_weights_: list[torch.Tensor] | None = None
        self.n_updates_ = 0

    def _copy_into_module(self, net: NeuralNet, weights: list[torch.Tensor]) -> None:
        # In place, so that the optimiser's references to the parameters stay valid.
        with torch.no_grad():
            for parameter, value in zip(net.module_.parameters(), weights, strict=True):
                parameter.copy_(value)

    def on_batch_begin(self, net: NeuralNet, training: bool = False, **kwargs: Any) -> None:
        if training and self.training_weights_ is not None:
            self._copy_into_module(net, self.training_weights_)
            self.training_weights_ = None
        elif not training and self.training_weights_ is None:
            self.training_weights_ = [p.detach().clone() for p in net.module_.parameters()]
            self._copy_into_module(net, self.average_)

    def on_batch_end(self, net: NeuralNet, training: bool = False, **kwargs: Any) -> None:
        if training:
            self.n_updates_ += 1
            decay = min(self.decay, (1 + self.n_updates_) / (10 + self.n_updates_))
            with torch.no_grad():
                for average, parameter in zip(
                    self.average_, net.module_.parameters(), strict=True
                ):
                    average.lerp_(parameter, 1.0 - decay)

    def on_train_end(self, net: NeuralNet, **kwargs: Any) -> None:
        if self.training_weights_ is None:  # no validation: end with the average
            self._copy_into_module(net, self.average_)
        # Not pickled with the net: the module now holds the weights that count.
        self.average_ = self.training_weights_ = None


class BestWeightsEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping``, keeping the weights of the epoch with the best score.

    skorch takes an epoch as the best, and keeps its weights, only when it beats the
    previous best by ``threshold``; an epoch that is better by less is never restored,
    though its score is the best. Here, as in scikit-learn's ``MLPClassifier``,
    ``threshold`` only decides when to stop; the weights restored with ``load_best`` are
    those of the epoch with the best score.
    """

    def on_train_begin(self, net: NeuralNet, **kwargs: Any) -> None:
        super().on_train_begin(net, **kwargs)
        self.best_score_ = np.inf if self.lower_is_better else -np.inf

    def on_epoch_end(self, net: NeuralNet, **kwargs: Any) -> None:
        score = net.history[-1, self.monitor]
        if score < self.best_score_ if self.lower_is_better else score > self.best_score_:
            self.best_score_ = score
            self.best_epoch_ = net.history[-1, "epoch"]
            if self.load_best:
                self.best_model_weights_ = deepcopy(net.module_.state_dict())
        # When to stop is skorch's rule: epochs that do not beat the threshold are misses.
        if self._is_score_improved(score):
            self.misses_ = 0
            self.dynamic_threshold_ = self._calc_new_threshold(score)
        else:
            self.misses_ += 1
        if self.misses_ == self.patience:
            if net.verbose:
                self._sink(
                    f"Stopping since {self.monitor} has not improved in the last "
                    f"{self.patience} epochs.",
                    verbose=net.verbose,
                )
            raise KeyboardInterrupt


class CosineFactor:
    """Factor ``(1 + cos(pi * epoch / n_epochs)) / 2`` of the initial learning rate: cosine
    annealing to 0 over ``n_epochs`` epochs, as torch's ``LambdaLR`` function.

    torch's ``CosineAnnealingLR`` computes each epoch's rate from the current one. A
    schedule rebuilt at epoch 0 on an optimiser whose rate a finished schedule left at 0
    (``partial_fit`` after ``fit``) would then stay at 0 and train nothing; this closed
    form starts again from the initial rate. A class, not a lambda, so that nets pickle.
    """

    def __init__(self, n_epochs: int):
        self.n_epochs = n_epochs

    def __call__(self, epoch: int) -> float:
        return 0.5 * (1.0 + math.cos(math.pi * epoch / self.n_epochs))


class ResumableLRScheduler(LRScheduler):
    """skorch's ``LRScheduler``, with one schedule over the net's fit loops.

    skorch builds a new torch scheduler at the start of every fit loop. A
    ``ReduceLROnPlateau`` rebuilt for each one-epoch ``partial_fit`` call forgets its
    count of epochs without improvement, so it never cuts the rate; this one keeps
    the schedule's state (a ``fit`` builds a new net, hence a new schedule). A net
    that was unpickled has a new optimiser: the schedule moves to it with its state.
    """

    def on_train_begin(self, net: NeuralNet, **kwargs: Any) -> None:
        kept = self.lr_scheduler_
        if kept is not None and kept.optimizer is net.optimizer_:
            return
        super().on_train_begin(net, **kwargs)
        if kept is not None:
            self.lr_scheduler_.load_state_dict(kept.state_dict())

    def restore(self, net: NeuralNet, state: dict[str, Any]) -> None:
        """Continue a saved schedule (``state_dict`` of the torch scheduler) on ``net``."""
        self.lr_scheduler_ = self._get_scheduler(net, self.policy_, **self.kwargs)
        self.lr_scheduler_.load_state_dict(state)


class PlainPrintLog(PrintLog):
    """skorch's per-epoch table (``verbose=1``), coloured only when stdout is a terminal.

    skorch colours the best value of each column with ANSI escape codes, which end up as
    noise in log files and CI output.
    """

    def format_row(self, row: Any, key: str, color: str) -> Any:
        value = super().format_row(row, key, color)
        if isinstance(value, str) and not sys.stdout.isatty():
            return _ANSI_CODE.sub("", value)
        return value


class MultimodalNet(NeuralNet):
    """skorch ``NeuralNet`` whose loss adds DSRSD-Net's weighted auxiliary terms.

    The module returns ``(task_output, codes)``; the criterion scores
    ``task_output`` and each auxiliary term with a non-zero weight reads
    ``codes``. Each term's batch value is recorded in the history under its
    name (``"alignment"``, ...) so that it can be inspected after training.
    """

    def __init__(
        self,
        *args: Any,
        alignment_weight: float = 0.0,
        decorrelation_weight: float = 0.0,
        orthogonality_weight: float = 0.0,
        temperature: float = 0.1,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.alignment_weight = alignment_weight
        self.decorrelation_weight = decorrelation_weight
        self.orthogonality_weight = orthogonality_weight
        self.temperature = temperature

    # Two measured alternatives, off by default (docs/design.md). They are class state that
    # benchmarks/tune_defaults.py patches for the duration of its fits, not estimator
    # parameters: they travel neither with clone nor with pickle.
    # Whether the validation loss (early stopping's monitor) is the task loss alone.
    validate_on_task_loss = False
    # Largest decay of WeightAveraging (0: no weight averaging).
    weight_average_decay = 0.0

    # Modules that stay in evaluation mode while the net trains.
    _frozen_modules: tuple[str, ...] = ()

    def _set_training(self, training: bool = True) -> None:
        # skorch sets the mode before every batch; walking every submodule each time costs
        # as much as the arithmetic of a small batch, so only modules in the other mode move.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if (
                isinstance(module, torch.nn.Module)
                and name not in self._frozen_modules
                and module.training != training
            ):
                module.train(training)

    def get_auxiliary_losses(self, codes: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Unweighted auxiliary terms whose weight is non-zero and whose codes exist."""
        terms: dict[str, torch.Tensor] = {}
        if "shared" not in codes:
            return terms
        mask = codes["modality_mask"]
        shared, private = codes["shared"], codes["private"]
        # Each term takes every modality (or modality pair) at once: (n, M, d) codes.
        if self.alignment_weight and shared.shape[1] > 1:
            terms["alignment"] = alignment_loss(codes["aligned"], mask, self.temperature)
        if self.decorrelation_weight:
            terms["decorrelation"] = decorrelation_loss(shared, mask)
        if self.orthogonality_weight and private is not None:
            terms["orthogonality"] = orthogonality_loss(shared, private, mask)
        return terms

    def _add_weighted(
        self, loss: torch.Tensor, terms: dict[str, torch.Tensor], training: bool
    ) -> torch.Tensor:
        """``loss`` plus each term times its ``<name>_weight``; terms logged when training."""
        if not terms:
            return loss
        for name, value in terms.items():
            loss = loss + getattr(self, f"{name}_weight") * value
        if training:
            # One transfer to the host per batch for all terms, not one per term.
            values = torch.stack([value.detach() for value in terms.values()]).tolist()
            for name, value in zip(terms, values, strict=True):
                self.history.record_batch(name, value)
        return loss

    def infer(self, x: Any, **fit_params: Any) -> Any:
        # Sample weights ride along with the inputs for get_loss; the module never sees them.
        if isinstance(x, Mapping) and "sample_weight" in x:
            x = {key: value for key, value in x.items() if key != "sample_weight"}
        return super().infer(x, **fit_params)

    def get_task_loss(
        self, output: torch.Tensor, y_true: torch.Tensor, X: Any = None
    ) -> torch.Tensor:
        """The criterion's per-sample losses, averaged with the samples' weights.

        The criterion is built with ``reduction="none"``. Each sample counts with its
        ``sample_weight`` (1 without), and with its class's weight when the criterion
        has class weights, as in torch's weighted ``"mean"`` reduction: without sample
        weights the value is torch's default reduction, and a weight of 2 counts like a
        repeated sample within a batch.
        """
        y_true = to_tensor(y_true, device=self.device)
        per_sample = self.criterion_(output, y_true)
        if per_sample.ndim > 1:  # (n, n_outputs) for regression: one loss per sample
            per_sample = per_sample.flatten(1).mean(dim=1)
        sample_weight = X.get("sample_weight") if isinstance(X, Mapping) else None
        # skorch hands get_loss the batch as loaded (on the CPU); only infer moved it.
        if sample_weight is None:
            sample_weight = torch.ones_like(per_sample)
        else:
            sample_weight = to_tensor(sample_weight, device=self.device)
        class_weight = getattr(self.criterion_, "weight", None)
        # Per-sample losses already carry the class weights; the normaliser must too.
        norm = sample_weight if class_weight is None else sample_weight * class_weight[y_true]
        # A batch whose weights are all 0 contributes nothing (not 0 / 0).
        return (sample_weight * per_sample).sum() / norm.sum().clamp_min(1e-12)

    def get_loss(
        self, y_pred: Any, y_true: torch.Tensor, X: Any = None, training: bool = False
    ) -> torch.Tensor:
        """Task loss plus the weighted auxiliary terms.

        For a :class:`~sklearn_dsrsd._modules.NetworkAverage`, training minimises the
        mean of the members' own losses (each member learns as it would alone);
        validation scores the averaged prediction, the model that is returned, so
        that early stopping keeps the epoch where the average is best. The auxiliary
        terms are the members' means in both.
        """
        output, codes = y_pred
        members = _members(y_pred)
        if training:
            loss = _mean([self.get_task_loss(out, y_true, X) for out, _ in members])
        else:
            loss = self.get_task_loss(output, y_true, X)
        if not training and self.validate_on_task_loss:
            return loss
        terms = _mean_terms([self.get_auxiliary_losses(codes) for _, codes in members])
        return self._add_weighted(loss, terms, training)


class DistillationNet(MultimodalNet):
    """Student net of CorrKD: task and DSRSD terms plus distillation from a frozen teacher.

    The teacher (``teacher_module_``, set by the estimator after it trained the
    teacher on complete rows) sees the batch with every modality the data has;
    the student module hides modalities at random inside its own forward pass.
    Distillation acts on the fused representation (``codes["fused"]``) and on the
    outputs: the logits for classification, the predictions for regression.

    ``prototype_labels`` maps a batch's targets to the category ids of the
    prototype term: the classes for classification, target-quantile bins for
    regression.

    The distillation terms only use the rows of a batch that have every
    modality in the data (before the student's random hiding): the teacher was
    trained on such rows only, so its codes for a row that lacks a modality in
    the data are out of distribution and no target worth copying.
    """

    def __init__(
        self,
        *args: Any,
        contrastive_distillation_weight: float = 0.0,
        prototype_distillation_weight: float = 0.0,
        response_distillation_weight: float = 0.0,
        response_estimator: str = "kl",
        distillation_margin: float = 0.5,
        n_prototypes: int = 2,
        prototype_bin_edges: np.ndarray | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.contrastive_distillation_weight = contrastive_distillation_weight
        self.prototype_distillation_weight = prototype_distillation_weight
        self.response_distillation_weight = response_distillation_weight
        self.response_estimator = response_estimator
        self.distillation_margin = distillation_margin
        self.n_prototypes = n_prototypes
        self.prototype_bin_edges = prototype_bin_edges

    _frozen_modules = ("teacher_module",)  # no dropout, whatever the student does

    def set_teacher(self, teacher: torch.nn.Module) -> None:
        """Freeze ``teacher`` and distil from it."""
        teacher.eval()
        for parameter in teacher.parameters():
            parameter.requires_grad_(False)
            parameter.grad = None
        # Registered like skorch's own modules, so that device moves and pickling cover it;
        # the optimiser was built before, so it never holds the teacher's parameters.
        with self._current_init_context("module"):
            self.teacher_module_ = teacher

    def prototype_labels(self, y_true: torch.Tensor) -> torch.Tensor:
        if self.prototype_bin_edges is None:
            return y_true.long()
        edges = torch.as_tensor(self.prototype_bin_edges, dtype=y_true.dtype, device=y_true.device)
        return torch.bucketize(y_true[:, 0].contiguous(), edges)

    def get_distillation_losses(
        self,
        output: torch.Tensor,
        codes: dict[str, Any],
        X: dict[str, torch.Tensor],
        y_true: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """The unweighted distillation terms of a batch (the members' means for a
        ``NetworkAverage``, whose member ``k`` learns from the teacher's member ``k``)."""
        X, y_true = to_tensor(X, self.device), to_tensor(y_true, self.device)
        complete = X["modality_mask"].bool().all(dim=1)
        X = {key: value[complete] for key, value in X.items() if key != "sample_weight"}
        y_true = y_true[complete]
        with torch.no_grad():
            teachers = _members(self.teacher_module_(**X))
        students = _members((output, codes))
        return _mean_terms(
            [
                self._distillation_terms(
                    student_output[complete],
                    student_codes["fused"][complete],
                    teacher_output,
                    teacher_codes["fused"],
                    y_true,
                )
                for (student_output, student_codes), (teacher_output, teacher_codes) in zip(
                    students, teachers, strict=True
                )
            ]
        )

    def _distillation_terms(
        self,
        output: torch.Tensor,
        student: torch.Tensor,
        teacher_output: torch.Tensor,
        teacher: torch.Tensor,
        y_true: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """One student network's terms against its teacher, on the complete rows."""
        terms = {}
        if self.contrastive_distillation_weight:
            positive, negative = sample_contrastive_distillation(
                student, teacher, self.distillation_margin
            )
            terms["contrastive_distillation"] = positive + negative
        if self.prototype_distillation_weight:
            terms["prototype_distillation"] = prototype_distillation(
                student, teacher, self.prototype_labels(y_true), self.n_prototypes
            )
        if self.response_distillation_weight:
            if self.prototype_bin_edges is None:
                terms["response_distillation"] = response_consistency_distillation(
                    output, teacher_output, y_true.long(), self.response_estimator
                )
            else:
                # Regression has no class distribution to decouple: match the predictions
                # (a batch without a complete row has none to match; the mean of none is NaN).
                terms["response_distillation"] = (
                    torch.nn.functional.mse_loss(output, teacher_output)
                    if len(output)
                    else _zero_like_graph(output)
                )
        return terms

    def get_loss(
        self, y_pred: Any, y_true: torch.Tensor, X: Any = None, training: bool = False
    ) -> torch.Tensor:
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if not training:
            return loss
        output, codes = y_pred
        return self._add_weighted(
            loss, self.get_distillation_losses(output, codes, X, y_true), training
        )
