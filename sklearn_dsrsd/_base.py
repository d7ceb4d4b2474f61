"""The estimator base shared by DSRSD and the baselines, and the two task mixins.

``MultimodalNetEstimator`` owns input handling (through :mod:`._inputs`), seeding,
building and training the skorch net, and inference. A concrete model
supplies its torch module through :meth:`MultimodalNetEstimator._module_spec`
and, optionally, auxiliary loss weights through
:meth:`MultimodalNetEstimator._loss_weights`. ``ClassifierTask`` and
``RegressorTask`` supply target encoding, the criterion and ``predict``.
"""

from __future__ import annotations

import copy
import os
import threading
from abc import ABCMeta, abstractmethod
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array, check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, check_is_fitted, column_or_1d
from skorch import NeuralNet
from skorch.callbacks import LRScheduler
from skorch.dataset import ValidSplit
from torch.utils.data import Subset

from ._inputs import (
    ModalityBatch,
    check_sample_weight,
    check_some_modality_present,
    fit_schema,
    overflow_safe_mean_std,
    scale_or_one,
)
from ._modules import NetworkAverage, block_key, use_generator
from ._training import (
    BestWeightsEarlyStopping,
    CosineFactor,
    DivergenceGuard,
    ModalityDataset,
    MultimodalNet,
    PlainPrintLog,
    ResumableLRScheduler,
    WeightAveraging,
    collate_batch,
)

__all__ = ["ClassifierTask", "MultimodalNetEstimator", "RegressorTask"]

# Large enough to amortise Python overhead, small enough that a chunk's activations stay in
# cache (measured on 2e5 rows in float64: 2048 rows 0.73 s, 4096 rows 0.99 s).
_PREDICT_BATCH_SIZE = 2048
_TORCH_PRECISION = {np.float32: torch.float32, np.float64: torch.float64}
# Training rows that modality_importances_ averages over, at most.
_IMPORTANCE_ROWS = 10_000
# early_stopping="auto" holds out validation data from this many training samples on (20
# validation samples at the default validation_fraction of 0.1). On subsets of the tuning
# data (benchmarks/results/tune_early_stopping.md) early stopping scored higher from 200
# training samples on; at 160 it lost on the synthetic regression design. Below, a tenth of
# the data is dear and its loss a noisy signal. (scikit-learn's HistGradientBoosting draws
# its line at 10,000 samples, for a model that fits far faster.)
_AUTO_EARLY_STOPPING_MIN_SAMPLES = 200

# Weight initialisation draws from torch's global generator, which every thread shares: fits
# running in threads take turns to seed it, draw their initial weights and restore it.
_GLOBAL_RNG_LOCK = threading.Lock()


def _set_missing_do_early_stopping(estimator: Any) -> None:
    """``do_early_stopping_`` of a model saved or pickled before the attribute existed.

    ``early_stopping`` was a bool then, so it says what that fit did.
    """
    estimator.do_early_stopping_ = estimator.early_stopping is True


def _load_members(average: NeuralNet, nets: list[NeuralNet], *, optimizer: bool = True) -> None:
    """Load the weights of one-network ``nets`` into the members of ``average``'s
    ``NetworkAverage``, in order; ``average`` takes the first net's history.

    With ``optimizer``, each net's optimiser state (moments, step counts and learning
    rate) also moves to its member's parameter group of ``average``'s optimiser, so that
    ``partial_fit`` continues each network's training as it would continue one network.
    """
    n_networks = len(nets)
    for member, net in zip(average.module_.members, nets, strict=True):
        member.load_state_dict(net.module_.state_dict())
    average.history = nets[0].history
    if not optimizer:
        return
    groups = average.optimizer_.param_groups
    for group, member, net in zip(groups, average.module_.members, nets, strict=True):
        (trained_group,) = net.optimizer_.param_groups
        # The average minimises the mean of its members' losses, so a member's gradients
        # are 1/n of its own: with its moments and Adam's eps scaled alike, Adam takes
        # the steps it would take alone.
        group.update({key: value for key, value in trained_group.items() if key != "params"})
        group["eps"] = trained_group["eps"] / n_networks
        trained = dict(net.module_.named_parameters())
        for name, parameter in member.named_parameters():
            state = net.optimizer_.state.get(trained[name])
            if not state:
                continue
            average.optimizer_.state[parameter] = {
                key: value / n_networks
                if key == "exp_avg"
                else value / n_networks**2
                if key in ("exp_avg_sq", "max_exp_avg_sq")
                else value.clone()
                for key, value in state.items()
            }


def _reshaping_changes(previous: NeuralNet, net: NeuralNet) -> str:
    """The module parameters of ``net`` that reshape ``previous``'s network, as
    ``"name old -> new"`` (empty when ``net`` can take over its weights)."""
    # Dropout rates can change; any other module parameter reshapes the network. A network
    # built without NetworkAverage has none of its parameters: it is one network.
    before = {"module__n_networks": 1, **previous.get_params()}
    current = {"module__n_networks": 1, **net.get_params()}
    return ", ".join(
        f"{key.removeprefix('module__')} {value!r} -> {current[key]!r}"
        for key, value in before.items()
        if key.startswith("module__")
        and key not in ("module__member", "module__average")
        and not key.endswith("dropout")
        and not _same(value, current[key])
    )


class MultimodalNetEstimator(BaseEstimator, metaclass=ABCMeta):
    """Base of every estimator in the package; not for direct use.

    Subclasses declare their own ``__init__`` (scikit-learn reads parameters
    from its signature) and must keep the training parameters of
    ``_parameter_constraints`` below.
    """

    # Under metadata routing, fit's groups are not requested unless the user asks
    # (set_fit_request(groups=True)): a pipeline or search that routes groups to its
    # splitter or to an encoder keeps running as before, with rows held out at random.
    __metadata_request__fit = {"groups": False}

    _parameter_constraints: dict = {
        "modalities": [dict, None],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "adaptive", "cosine"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        modalities: dict | None = None,
        hidden_size: int = 64,
        dropout: float = 0.1,
        max_iter: int = 100,
        batch_size: int = 64,
        learning_rate_init: float = 1e-3,
        learning_rate: str = "constant",
        alpha: float = 1e-4,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        warm_start: bool = False,
        device: str = "cpu",
        random_state: Any = None,
        verbose: int = 0,
    ):
        # scikit-learn reads the parameters from the concrete class's signature, so each
        # concrete class repeats them and passes the shared ones here.
        self.modalities = modalities
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- hooks for concrete models ------------------------------------------------------
    @abstractmethod
    def _module_spec(
        self, modality_shapes: list[tuple[int, ...]], n_outputs: int
    ) -> tuple[type, dict[str, Any]]:
        """The torch module class and its keyword arguments."""

    def _loss_weights(self) -> dict[str, float]:
        """Keyword arguments of :class:`MultimodalNet` for auxiliary terms."""
        return {}

    def _net_class(self) -> type[MultimodalNet]:
        return MultimodalNet

    def _prepare_training(self, dataset: ModalityDataset, y: np.ndarray, seed: int) -> None:
        """Called once the net is initialised and before it trains (not on warm starts)."""

    def _continue_training(
        self, previous: MultimodalNet, dataset: ModalityDataset, y: np.ndarray, seed: int
    ) -> None:
        """Warm start: the freshly built ``net_`` takes over ``previous``'s weights and history.

        The net is rebuilt from the current parameters, as scikit-learn's MLP re-creates
        its optimiser, so that a changed learning rate, weight decay, epoch budget or loss
        weight takes effect; only the architecture must stay the same
        (:meth:`_check_same_architecture`, called before).
        """
        self.net_.module_.load_state_dict(previous.module_.state_dict())
        self.net_.history = previous.history

    @staticmethod
    def _check_same_architecture(previous: MultimodalNet, net: MultimodalNet) -> None:
        """Raise if ``net`` cannot take over the weights of ``previous`` (warm start)."""
        changes = _reshaping_changes(previous, net)
        if changes:
            raise ValueError(
                "warm_start=True continues training the fitted network, so the parameters "
                f"that shape it must not change between fits; got {changes}. Set "
                "warm_start=False to train a new network."
            )

    # -- task hooks (ClassifierTask / RegressorTask) -------------------------------------
    @abstractmethod
    def _encode_targets(
        self, y: Any, classes: Any = None, sample_weight: np.ndarray | None = None
    ) -> np.ndarray: ...

    @abstractmethod
    def _criterion(self) -> type: ...

    @abstractmethod
    def _n_outputs(self) -> int: ...

    def _criterion_options(self) -> dict[str, Any]:
        """Keyword arguments of the criterion (class weights for classifiers)."""
        return {}

    _stratify = False

    # -- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, groups: Any = None
    ) -> MultimodalNetEstimator:
        """Fit the model to modality blocks ``X`` and targets ``y``.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like of shape \
                (n_samples, n_features)
            Modality blocks of shape ``(n_samples, n_features)`` or
            ``(n_samples, n_steps, n_features)``, or a 2-D array / DataFrame split
            into modalities by the ``modalities`` parameter.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the task loss (each batch's loss
            is the weighted mean of its samples' losses) and in the standardisation
            statistics of the inputs (and of a regressor's targets). The auxiliary
            and distillation terms, statistics over a batch's codes, are not
            weighted. ``None`` weights every sample 1.
        groups : array-like of shape (n_samples,), default=None
            Group labels of the samples, such as the student of each response.
            When the fit holds out validation data for early stopping, it holds
            out whole groups: ``validation_fraction`` of the groups, drawn by
            :class:`~sklearn.model_selection.GroupShuffleSplit` (not
            stratified). Early stopping then keeps the epoch that predicts best
            for groups the network has not trained on, which is what a test set
            of other groups asks; with rows held out at random, a group's rows on
            both sides of the split reward memorising the groups. Ignored when
            the fit holds out nothing (``early_stopping=False``, or ``"auto"`` on
            too few samples or groups).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "net_")
        # A first fit rewrites the input schema before anything can fail; a warm start
        # only reads it until its data is validated.
        changed = not warm
        try:
            dataset, y_encoded = self._training_data(X, y, sample_weight, first=not warm)
            groups = _check_groups(groups, len(dataset))
            early_stopping = self._early_stopping_for(y_encoded, groups)
            seed = self._draw_seed()
            n_networks = self._n_networks_for(warm=warm)
            net = self._build_net(
                seed,
                early_stopping=early_stopping,
                n_networks=n_networks,
                validation_groups=groups if early_stopping else None,
            )
            self._initialize_seeded(net, seed)
            if warm:
                self._check_same_architecture(self.net_, net)
            changed = True
            self.do_early_stopping_ = early_stopping
            self._set_n_networks(n_networks)
            previous, self.net_ = (self.net_ if warm else None), net
            # A refit must not leave fitted attributes of an earlier configuration behind.
            for name in self._optional_fitted_attributes(warm):
                if hasattr(self, name):
                    delattr(self, name)
            if previous is not None:
                self._continue_training(previous, dataset, y_encoded, seed)
                self.net_.partial_fit(dataset, y_encoded)
            elif n_networks == 1:
                self._prepare_training(dataset, y_encoded, seed)
                self.net_.partial_fit(dataset, y_encoded)
            else:
                self._gather_networks(
                    self._fit_networks_apart(X, y, sample_weight, groups), y_encoded
                )
            self._record_training(dataset)
            self._forget_validation_groups()
        except Exception:
            if changed:
                self._discard_fitted_state()
            raise
        return self

    def _fit_networks_apart(
        self, X: Any, y: Any, sample_weight: Any, groups: np.ndarray | None
    ) -> list[Any]:
        """One-network copies of this estimator, each fitted on its own.

        Network ``k`` is what ``n_networks=1`` with ``random_state + k`` trains (an int
        ``random_state``; otherwise seeds drawn from it): its own initial weights,
        batches, validation split, early stopping and, with CorrKD, teacher. Apart,
        not side by side, because on small data the networks gain from holding out
        different validation rows and stopping at their own best epochs (docs/design.md,
        section 6a). ``n_jobs`` of them train at a time, each in a joblib worker.
        """
        n_networks = self.n_networks_
        if isinstance(self.random_state, Integral):
            seeds = [(self.random_state + k) % 2**32 for k in range(n_networks)]
        else:
            random_state = check_random_state(self.random_state)
            seeds = [int(random_state.randint(np.iinfo(np.int32).max)) for _ in range(n_networks)]
        networks = [
            clone(self).set_params(n_networks=1, n_jobs=None, random_state=seed, warm_start=False)
            for seed in seeds
        ]
        # A worker process runs torch with cpu_count // n_jobs threads (joblib limits its
        # workers' thread pools); the networks do not depend on it (a test compares them
        # with n_jobs=None's).
        return Parallel(n_jobs=self.n_jobs)(
            delayed(network.fit)(X, y, sample_weight=sample_weight, groups=groups)
            for network in networks
        )

    def _forget_validation_groups(self) -> None:
        """Drop the group labels that the trained nets' validation splits held."""
        for name in ("net_", "teacher_net_"):
            split = getattr(getattr(self, name, None), "train_split", None)
            if isinstance(split, _EarlyStoppingSplit):
                split.groups = None

    def _gather_networks(self, fitted: list[Any], y_encoded: np.ndarray) -> None:
        """Load the networks of ``fitted`` (one-network estimators) into ``net_``'s average.

        ``net_``'s history becomes the first network's, so that ``n_iter_``,
        ``loss_curve_`` and ``validation_scores_`` describe it.
        """
        _load_members(self.net_, [estimator.net_ for estimator in fitted])

    def _partial_fit(
        self, X: Any, y: Any, classes: Any, sample_weight: Any
    ) -> MultimodalNetEstimator:
        """One epoch over ``X``; the first call (before any fit) also builds the network.

        The first call fits the input standardisation (and, for regressors, the
        target scaling) on its data; later calls reuse them and continue with the
        optimiser's state, as scikit-learn's ``MLPClassifier.partial_fit`` does.
        """
        first = not hasattr(self, "net_")
        if not first and self.do_early_stopping_:
            raise ValueError(
                "partial_fit trains one epoch on the data it is given and holds out no "
                "validation data, but this estimator's last fit held out validation data "
                "for early stopping (do_early_stopping_=True); refit it with "
                "early_stopping=False to continue with partial_fit."
            )
        changed = first  # as in _fit: only a first call changes the state before training
        try:
            dataset, y_encoded = self._training_data(
                X, y, sample_weight, first=first, classes=classes
            )
            changed = True
            if first:
                seed = self._draw_seed()
                self.do_early_stopping_ = False
                n_networks = self._n_networks_for(incremental=True)
                self._set_n_networks(n_networks)
                self.net_ = self._build_net(seed, early_stopping=False, incremental=True)
                self._initialize_seeded(self.net_, seed)
            self.net_.partial_fit(dataset, y_encoded, epochs=1)
            self._record_training(dataset)
        except Exception:
            if changed:
                self._discard_fitted_state()
            raise
        return self

    def _discard_fitted_state(self) -> None:
        """Forget every fitted attribute: the estimator is unfitted again.

        Called when a training run fails after it changed the fitted state (a new input
        schema or target scaling, a half-trained network), so that ``predict`` raises
        ``NotFittedError`` instead of running a model that matches none of them.
        """
        for name in [key for key in vars(self) if key.endswith("_") and not key.startswith("__")]:
            delattr(self, name)
        self.__dict__.pop("_inference_modules", None)

    def _n_networks_for(self, *, warm: bool = False, incremental: bool = False) -> int:
        """How many networks a training run averages: one here; estimators with an
        ``n_networks`` parameter resolve it."""
        return 1

    def _set_n_networks(self, n_networks: int) -> None:
        """Record ``n_networks_``, for estimators that have the ``n_networks`` parameter."""
        if "n_networks" in self._parameter_constraints:
            self.n_networks_ = n_networks

    def _early_stopping_for(self, y_encoded: np.ndarray, groups: np.ndarray | None) -> bool:
        """Whether a fit on targets ``y_encoded`` holds out validation data (resolves "auto").

        "auto" holds out nothing where the split cannot be made (a class with one member):
        the user asked for no particular split, so the fit trains on everything rather
        than fail as an explicit ``early_stopping=True`` does.
        """
        if self.early_stopping == "auto":
            return len(y_encoded) >= _AUTO_EARLY_STOPPING_MIN_SAMPLES and self._can_hold_out(
                y_encoded, groups
            )
        return bool(self.early_stopping)

    def _can_hold_out(self, y_encoded: np.ndarray, groups: np.ndarray | None = None) -> bool:
        """Whether ``validation_fraction`` of these groups (when given, at least 2) or
        else of these targets' rows (:meth:`_can_hold_out_rows`) can be held out."""
        if groups is not None:
            return _enough_groups(groups)
        return self._can_hold_out_rows(y_encoded)

    def _can_hold_out_rows(self, y_encoded: np.ndarray) -> bool:
        """Regression can always hold out rows; :class:`ClassifierTask` checks its
        stratified split."""
        return True

    def _draw_seed(self) -> int:
        """The seed of one training run, drawn from ``random_state``."""
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _check_partial_fit_supported(self) -> bool:
        """``available_if`` check of ``partial_fit``: AttributeError says why it is absent."""
        if self.early_stopping != "auto" and self.early_stopping:
            raise AttributeError(
                "partial_fit trains one epoch on the data it is given and holds out no "
                "validation data, so early_stopping=True is not supported; set "
                "early_stopping=False or use fit."
            )
        return True

    def _training_data(
        self, X: Any, y: Any, sample_weight: Any, *, first: bool, classes: Any = None
    ) -> tuple[ModalityDataset, np.ndarray]:
        """Validated, standardised training data; the first training also fits the schema."""
        self._check_y_given(y)
        _check_device(_resolve_device(self.device))
        if first:
            batch, sample_weight = self._fit_inputs(X, sample_weight)
        else:
            self._schema.check_same_selectors(self.modalities, self)
            batch = self._schema.batch(X, self)
            sample_weight = check_sample_weight(sample_weight, batch.n_samples)
        self._check_y_length(y, batch.n_samples)
        y_encoded = (
            self._encode_targets(y, classes, sample_weight)
            if first
            else self._encode_targets_again(y)
        )
        return ModalityDataset(
            batch.blocks, batch.modality_mask, y_encoded, sample_weight
        ), y_encoded

    def _record_training(self, dataset: ModalityDataset) -> None:
        """Fitted attributes that follow each training run (fit or partial_fit)."""
        self._inference_modules: dict[torch.dtype, torch.nn.Module] = {}
        self.modality_importances_ = self._mean_modality_weights(dataset)
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(loss) for loss in history[:, "train_loss"]]
        if self.do_early_stopping_:
            self.validation_scores_ = [float(row.get("valid_loss", np.nan)) for row in history]
        elif hasattr(self, "validation_scores_"):
            del self.validation_scores_

    def _mean_modality_weights(self, dataset: ModalityDataset) -> np.ndarray:
        """Mean fusion weight of each modality over (a subsample of) the training rows."""
        n_samples = len(dataset)
        # Evenly spaced rows: a mean over 10,000 rows is precise enough and costs a
        # bounded share of fit, whatever the data size.
        rows = np.unique(
            np.linspace(0, n_samples - 1, min(n_samples, _IMPORTANCE_ROWS)).astype(np.int64)
        )
        total = np.zeros(dataset.modality_mask.shape[1])
        with torch.no_grad():
            for start in range(0, len(rows), _PREDICT_BATCH_SIZE):
                chunk = torch.from_numpy(rows[start : start + _PREDICT_BATCH_SIZE])
                # In the training blocks' float32: the float64 copy would cost a few per
                # cent of a fit for digits a mean of fusion weights does not need.
                codes = self._infer(
                    [block[chunk] for block in dataset.blocks],
                    dataset.modality_mask[chunk],
                    torch.float32,
                )[1]
                total += codes["modality_weights"].sum(dim=0).cpu().numpy()
        return total / len(rows)

    def _optional_fitted_attributes(self, warm: bool) -> list[str]:
        """Fitted attributes that only some configurations set, to clear before a fit."""
        return [] if self.do_early_stopping_ and warm else ["validation_scores_"]

    def _fit_inputs(
        self, X: Any, sample_weight: Any = None
    ) -> tuple[ModalityBatch, np.ndarray | None]:
        """Fit the input schema on training ``X``; set ``_schema`` and ``modalities_``.

        Shared by every path that learns from ``X`` (the network here, a wrapped
        scikit-learn estimator in :mod:`sklearn_dsrsd.baselines`). Returns the
        standardised batch and the validated sample weights.
        """
        schema, blocks, sample_weight = fit_schema(X, self.modalities, self, sample_weight)
        batch = schema.transform(blocks, next(iter(blocks.values())).shape[0])
        check_some_modality_present(batch)
        self._schema = schema
        self.modalities_ = {
            name: shape[0] if len(shape) == 1 else shape for name, shape in schema.shapes.items()
        }
        return batch, sample_weight

    def _check_y_given(self, y: Any) -> None:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )

    def _score_predictions(self, metric: Any, X: Any, y: Any, sample_weight: Any) -> float:
        """``metric(y, predict(X))``, with errors about ``y`` that name ``y``."""
        self._check_y_given(y)
        y_pred = self.predict(X)
        self._check_y_length(y, len(y_pred))
        return float(metric(y, y_pred, sample_weight=sample_weight))

    @staticmethod
    def _check_y_length(y: Any, n_samples: int) -> None:
        n_targets = _num_samples(y)
        if n_targets != n_samples:
            raise ValueError(f"y has {n_targets} samples, but X has {n_samples}; they must match.")

    def _initialize_seeded(self, net: MultimodalNet, seed: int) -> None:
        """Initialise ``net`` from ``seed`` and give it random generators of its own.

        The initial weights are drawn from torch's global generator, seeded and then
        restored under a lock; training draws its dropout and modality-dropout masks
        from a generator of the module's own and its shuffling from the data loader's
        (see :meth:`_build_net`), so fits running at the same time in several threads
        with the same seed give the same model, and torch's global state is untouched.
        """
        device = torch.device(net.device)
        devices = [device.index or 0] if device.type == "cuda" else []
        with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            net.initialize()
        generator = torch.Generator(device=device).manual_seed(seed)
        use_generator(net.module_, generator)

    def _build_net(
        self,
        seed: int,
        *,
        net_class: type[MultimodalNet] | None = None,
        module_overrides: dict[str, Any] | None = None,
        loss_weights: dict[str, Any] | None = None,
        early_stopping: bool,
        incremental: bool = False,
        n_networks: int | None = None,
        validation_groups: np.ndarray | None = None,
    ) -> MultimodalNet:
        """The skorch net of this estimator's parameters (not initialised).

        ``n_networks`` (default: the fitted ``n_networks_``, else 1) above 1 builds a
        :class:`~._modules.NetworkAverage` of that many networks of the module. With
        ``validation_groups`` (one label per training sample), early stopping holds out
        whole groups.
        """
        shapes = [tuple(shape) for shape in self._schema.shapes.values()]
        module, module_kwargs = self._module_spec(shapes, self._n_outputs())
        module_kwargs = {**module_kwargs, **(module_overrides or {})}
        if n_networks is None:
            n_networks = getattr(self, "n_networks_", 1)
        if n_networks > 1:
            module_kwargs = {
                "member": module,
                "n_networks": n_networks,
                "average": self._output_average,
                **module_kwargs,
            }
            module = NetworkAverage
        monitor = "valid_loss" if early_stopping else "train_loss"
        stopper = BestWeightsEarlyStopping(
            monitor=monitor,
            patience=self.n_iter_no_change,
            threshold=self.tol,
            threshold_mode="abs",
            load_best=early_stopping,
        )
        train_split = (
            _EarlyStoppingSplit(
                self.validation_fraction,
                stratified=self._stratify,
                random_state=seed,
                classes=getattr(self, "classes_", None),
                groups=validation_groups,
            )
            if early_stopping
            else None
        )
        callbacks = [("early_stopping", stopper), ("divergence_guard", DivergenceGuard())]
        net_class = net_class or self._net_class()
        if net_class.weight_average_decay:
            # Validation runs with the averaged weights: early stopping keeps the best average.
            callbacks.append(("weight_averaging", WeightAveraging(net_class.weight_average_decay)))
        if self.learning_rate == "adaptive":
            callbacks.append(
                (
                    "lr_scheduler",
                    ResumableLRScheduler(
                        "ReduceLROnPlateau",
                        monitor=monitor,
                        mode="min",
                        factor=0.2,
                        patience=2,
                        threshold=self.tol,
                        threshold_mode="abs",
                    ),
                )
            )
        elif self.learning_rate == "cosine":
            # A fit (warm or not) anneals over its own max_iter epochs; partial_fit calls
            # continue one schedule, which skorch resumes from the history's length. On a
            # net that fit built, each partial_fit call starts the schedule again.
            schedule = {} if incremental else {"last_epoch": -1}
            callbacks.append(
                (
                    "lr_scheduler",
                    LRScheduler("LambdaLR", lr_lambda=CosineFactor(self.max_iter), **schedule),
                )
            )
        return net_class(
            module,
            criterion=self._criterion(),
            criterion__reduction="none",  # MultimodalNet.get_task_loss weights the samples
            **{f"criterion__{key}": value for key, value in self._criterion_options().items()},
            optimizer=torch.optim.AdamW,
            lr=self.learning_rate_init,
            optimizer__weight_decay=self.alpha,
            optimizer__fused=True,
            **self._optimizer_groups(n_networks),
            max_epochs=self.max_iter,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            iterator_train__generator=torch.Generator().manual_seed(seed),
            # The validation loader draws a seed each epoch too; from a generator of its
            # own, not torch's global one (and not the training one: batches stay as they are).
            iterator_valid__generator=torch.Generator().manual_seed(seed),
            iterator_train__collate_fn=collate_batch,
            iterator_valid__collate_fn=collate_batch,
            train_split=train_split,
            callbacks=callbacks,
            callbacks__print_log=PlainPrintLog(),
            device=_resolve_device(self.device),
            verbose=self.verbose,
            **{f"module__{key}": value for key, value in module_kwargs.items()},
            **(self._loss_weights() if loss_weights is None else loss_weights),
        )

    @staticmethod
    def _optimizer_groups(n_networks: int) -> dict[str, Any]:
        """The net's optimiser parameter groups: one per network of an average, so that
        each keeps its own learning rate (an ``"adaptive"`` schedule cuts it at its own
        epochs when ``fit`` trains the networks apart; see :func:`_load_members`)."""
        if n_networks == 1:
            return {}
        return {
            "optimizer__param_groups": [(f"members.{index}.*", {}) for index in range(n_networks)]
        }

    # -- inference ----------------------------------------------------------------------
    def _forward(self, X: Any, *code_names: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Task outputs and the named codes (``"modality_weights"`` always), as float64 arrays.

        The network runs in the caller's precision (:class:`._inputs.ModalityBatch`):
        float32 when every block is float32, as scikit-learn's MLP computes, and
        float64 otherwise. In float64 a row's output is independent of the batch it is
        computed in to about 1e-16, so predictions are invariant to subsets and order;
        in float32 they are invariant to float32 rounding only (matrix products round a
        row differently by the batch's size and the row's place in it, by about 1e-7).
        Each copy is made once per training run (:meth:`_inference_module`).
        """
        check_is_fitted(self)
        names = ("modality_weights", *code_names)
        outputs: np.ndarray | None = None
        codes: dict[str, np.ndarray] = {}
        with torch.no_grad():
            # Standardised chunk by chunk, results written into arrays made once: memory
            # does not grow with the rows beyond the output (results kept chunk by chunk
            # would fragment the heap that the chunks' temporaries come from).
            for rows, n_samples, batch in self._schema.batches(X, self, _PREDICT_BATCH_SIZE):
                output, chunk_codes = self._infer(
                    [torch.from_numpy(block) for block in batch.blocks],
                    torch.from_numpy(batch.modality_mask),
                    _TORCH_PRECISION[batch.precision],
                )
                if outputs is None:
                    outputs = np.empty((n_samples, *output.shape[1:]))
                    codes = {
                        name: np.empty((n_samples, *chunk_codes[name].shape[1:])) for name in names
                    }
                outputs[rows] = output.cpu().numpy()
                for name in names:
                    codes[name][rows] = chunk_codes[name].cpu().numpy()
                self._check_finite(rows, outputs, codes, batch.precision)
        return outputs, codes

    def _check_finite(
        self, rows: slice, outputs: np.ndarray, codes: dict[str, np.ndarray], precision: type
    ) -> None:
        """Raise if a chunk's results overflowed: the input check lets through values that
        fit ``precision`` but not the arithmetic of the network (a NaN would be returned)."""
        bad = np.zeros(len(outputs[rows]), dtype=bool)
        for values in (outputs, *codes.values()):
            chunk = values[rows]
            bad |= ~np.isfinite(chunk.reshape(len(chunk), -1)).all(axis=1)
        if bad.any():
            first = int(np.flatnonzero(bad)[0]) + (rows.start or 0)
            raise ValueError(
                f"{type(self).__name__} computed non-finite results for {int(bad.sum())} "
                f"row(s), the first row {first}: their values lie too far from the training "
                f"data for the network's {np.dtype(precision).name} arithmetic. Check the "
                "units of the modalities, or rescale them."
            )

    def _infer(
        self,
        blocks: list[torch.Tensor],
        modality_mask: torch.Tensor,
        precision: torch.dtype = torch.float64,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The inference module of ``precision`` on standardised blocks (under ``no_grad``)."""
        device = self.net_.device
        inputs = {block_key(i): block.to(device, precision) for i, block in enumerate(blocks)}
        module = self._inference_module(precision)
        return module(modality_mask=modality_mask.to(device), **inputs)

    def _inference_module(self, precision: torch.dtype) -> torch.nn.Module:
        """The evaluation-mode copy of the fitted module in ``precision``.

        Made on first use after each training run (and after unpickling), then reused:
        copying the module costs more than predicting a few rows, and a ``partial_fit``
        loop that never predicts in float64 never pays for that copy. A copy, not
        ``net_.module_`` itself, which training may switch back to train mode.
        """
        module = self._inference_modules.get(precision)
        if module is None:
            module = copy.deepcopy(self.net_.module_).to(precision).eval()
            self._inference_modules[precision] = module
        return module

    def __getstate__(self) -> dict[str, Any]:
        # A copy: object.__getstate__ may return the instance's own __dict__.
        state = dict(super().__getstate__())
        state.pop("_inference_modules", None)  # copies of net_'s module: not stored again
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "net_" in state:
            self._inference_modules = {}
            if "do_early_stopping_" not in state:
                _set_missing_do_early_stopping(self)

    def save(self, path: str | os.PathLike) -> None:
        """Save the fitted estimator to ``path`` without pickle.

        The file holds the parameters and fitted attributes as JSON and every
        array and network weight as tensors, read back by :func:`sklearn_dsrsd.load`
        (or :meth:`load`) with ``torch.load(weights_only=True)``: loading never runs
        code from the file, unlike unpickling. A file saved on a GPU machine loads
        on a CPU one. Pickle and joblib keep working as well.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (conventionally ``*.dsrsd``).
        """
        from ._persistence import save_estimator

        save_estimator(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None) -> Any:
        """Load an estimator written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            A file written by :meth:`save`.
        device : str or None, default=None
            Device to place the network on; ``None`` keeps the saved ``device``
            parameter where this machine has it and uses ``"cpu"`` otherwise.

        Returns
        -------
        estimator : object
            The fitted estimator, an instance of this class.
        """
        from ._persistence import load_estimator

        estimator = load_estimator(path, device=device)
        if not isinstance(estimator, cls):
            raise TypeError(
                f"{path!s} holds a {type(estimator).__name__}, not a {cls.__name__}; use "
                "sklearn_dsrsd.load to load any estimator of the package."
            )
        return estimator

    def modality_weights(self, X: Any) -> np.ndarray:
        """Per-sample weight of each modality in the fused representation.

        The weights come from the model's fusion (the gates in DSRSD with a gated
        ``fusion``, uniform with ``"concat"``; see each baseline for its
        definition), are 0 for absent modalities and sum to 1
        over the present ones, except in a single-modality baseline, whose weights
        are all 0 for a sample that lacks its modality (it is predicted from the
        imputed block). Columns follow ``modalities_``.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        weights : ndarray or DataFrame of shape (n_samples, n_modalities)
            A DataFrame with one column per modality when pandas output is set
            (``set_output(transform="pandas")`` or scikit-learn's global
            ``transform_output``).
        """
        return self._weights_output(X, self._forward(X)[1]["modality_weights"])

    def _weights_output(self, X: Any, weights: np.ndarray) -> Any:
        """``weights`` as a DataFrame (columns ``modalities_``) when pandas output is set."""
        return self._output_frame(X, weights, list(self.modalities_))

    def _output_frame(self, X: Any, values: np.ndarray, columns: Any) -> Any:
        """``values`` as a DataFrame indexed as ``X`` when pandas output is set.

        scikit-learn's ``set_output`` keeps the index of a DataFrame input; a mapping of
        blocks is none, so the rows take the index of its first DataFrame block, in every
        pandas output of the estimator alike.
        """
        if _get_output_config("transform", self)["dense"] != "pandas":
            return values
        import pandas as pd

        def index_of(data: Any) -> pd.Index | None:
            # Lists, tuples and tensors have an ``index`` method, not a pandas Index.
            index = getattr(data, "index", None)
            return index if isinstance(index, pd.Index) else None

        index = index_of(X)
        if index is None and isinstance(X, Mapping):  # the first DataFrame block of a mapping
            index = next((i for i in map(index_of, X.values()) if i is not None), None)
        return pd.DataFrame(values, columns=columns, index=index)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _resolve_device(device: str) -> str:
    """``"auto"`` is CUDA when torch sees a CUDA GPU, else the CPU; other names pass through."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _check_device(device: str) -> None:
    """``device`` must name a torch device that this machine has; errors name ``device``."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device must be a torch device string such as 'cpu', 'cuda', 'cuda:1' or 'mps'; "
            f"got device={device!r}."
        ) from None
    if parsed.type == "cpu":
        return
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} asks for CUDA, but torch.cuda.is_available() is False (no "
                "CUDA GPU, or torch built without CUDA); use device='cpu'."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} asks for CUDA device {parsed.index}, but only "
                f"{torch.cuda.device_count()} CUDA device(s) are available."
            )
        return
    if parsed.type == "mps":
        available = torch.backends.mps.is_available()
    else:  # another accelerator with a torch.<type> module (xpu, ...)
        backend = getattr(torch, parsed.type, None)
        available = bool(getattr(backend, "is_available", lambda: False)())
    if not available:
        raise ValueError(
            f"device={device!r} is not available on this machine (torch reports no "
            f"{parsed.type!r} backend); use device='cpu'."
        )


class _EarlyStoppingSplit(ValidSplit):
    """skorch's validation split, whose failure names ``early_stopping`` and, for a
    classifier, the labels (``classes``) of the classes too small to stratify: the split
    itself sees only their encoded indices.

    With ``groups`` (one label per sample of the dataset it splits), it holds out
    ``cv`` of the groups instead of the samples (:class:`GroupShuffleSplit`). The fit
    forgets them once it has trained (:meth:`MultimodalNetEstimator.fit`), so that a
    fitted estimator holds no copy of its caller's group labels.
    """

    def __init__(self, cv, stratified=False, random_state=None, classes=None, groups=None):
        super().__init__(cv, stratified=stratified, random_state=random_state)
        self.classes = classes
        self.groups = groups

    def __call__(self, dataset, y=None, groups=None):
        if self.groups is not None:
            return self._split_groups(dataset)
        try:
            return super().__call__(dataset, y, groups)
        except ValueError as exc:
            kind = "stratified " if self.stratified else ""
            reason = str(exc)
            if self.classes is not None and y is not None:
                counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(self.classes))
                single = np.asarray(self.classes)[counts == 1]
                if single.size:
                    reason = f"classes {single.tolist()} of y have a single sample"
            raise ValueError(
                f"early_stopping=True holds out validation_fraction={self.cv} of the "
                f"{len(dataset)} training samples for validation, but that {kind}split "
                f"fails ({reason}). Pass more training samples, change validation_fraction, or "
                "set early_stopping=False."
            ) from exc

    def _split_groups(self, dataset):
        if not _enough_groups(self.groups):
            n_groups = np.unique(self.groups).size
            raise ValueError(
                f"early_stopping=True holds out validation_fraction={self.cv} of the groups "
                f"for validation, but groups has {n_groups} distinct value; at least 2 are "
                "needed. Pass more groups, or set early_stopping=False."
            )
        splitter = GroupShuffleSplit(n_splits=1, test_size=self.cv, random_state=self.random_state)
        train, valid = next(splitter.split(self.groups, groups=self.groups))
        return Subset(dataset, train), Subset(dataset, valid)


def _enough_groups(groups: np.ndarray) -> bool:
    # GroupShuffleSplit holds out ceil(fraction * n_groups) >= 1 groups and needs one left.
    return np.unique(groups).size >= 2


def _check_groups(groups: Any, n_samples: int) -> np.ndarray | None:
    """``fit``'s ``groups`` as a 1-D array of ``n_samples`` labels (None stays None)."""
    if groups is None:
        return None
    groups = check_array(groups, ensure_2d=False, dtype=None, input_name="groups")
    if groups.ndim != 1:
        raise ValueError(f"groups must be 1-D, one label per sample; got shape {groups.shape}.")
    if groups.shape[0] != n_samples:
        raise ValueError(
            f"groups has {groups.shape[0]} labels, but X has {n_samples} samples; they must match."
        )
    return groups


def _same(a: Any, b: Any) -> bool:
    # Element by element: array_equal is False for ragged lists such as the shapes of a
    # 2-D and a 3-D modality.
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


class ClassifierTask:
    """Target handling, criterion and prediction for classifiers."""

    _stratify = True

    def _can_hold_out_rows(self, y_encoded: np.ndarray) -> bool:
        # The conditions of StratifiedShuffleSplit, which skorch's ValidSplit uses: two
        # members of every class, and room for every class on both sides.
        counts = np.bincount(np.asarray(y_encoded, dtype=np.int64))
        counts = counts[counts > 0]
        n_valid = int(np.ceil(self.validation_fraction * len(y_encoded)))
        n_train = len(y_encoded) - n_valid
        return bool(counts.min() >= 2 and min(n_valid, n_train) >= counts.size)

    def _classification_targets(self, y: Any) -> np.ndarray:
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=None, input_name="y")
        if y.ndim > 2:
            raise ValueError(
                f"{type(self).__name__} needs y of shape (n_samples,); got y of shape {y.shape}."
            )
        return column_or_1d(y, warn=True)

    def _encode_targets(
        self, y: Any, classes: Any = None, sample_weight: np.ndarray | None = None
    ) -> np.ndarray:
        y = self._classification_targets(y)
        check_classification_targets(y)
        if classes is not None:
            classes = self._checked_classes(classes)
        self._label_encoder = LabelEncoder().fit(y if classes is None else classes)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            source = (
                "samples of at least 2 classes in y"
                if classes is None
                else ("at least 2 classes in classes")
            )
            raise ValueError(
                f"{type(self).__name__} needs {source}; got 1 class: {self.classes_.tolist()}."
            )
        if classes is not None:
            self._check_known_classes(y, "in classes")
        return self._encoded_with_class_weights(y)

    def _checked_classes(self, classes: Any) -> np.ndarray:
        """``partial_fit``'s ``classes`` as a 1-D array of labels; errors name ``classes``."""
        array = np.asarray(classes)
        if array.ndim != 1:
            raise ValueError(
                "classes must be a 1-D array-like of all the labels partial_fit will see; "
                f"got an array of shape {array.shape}."
            )
        if array.dtype.kind == "f" and np.isnan(array).any():
            raise ValueError(f"classes must not hold NaN; got {array.tolist()}.")
        return array

    def _check_known_classes(self, y: np.ndarray, where: str) -> None:
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y holds classes {unseen.tolist()} not {where} (classes_ = "
                f"{self.classes_.tolist()}); the network's outputs are fixed by then."
            )

    def _encoded_with_class_weights(self, y: np.ndarray) -> np.ndarray:
        encoded = self._label_encoder.transform(y).astype(np.int64)
        class_weight = getattr(self, "class_weight", None)
        if isinstance(class_weight, dict):
            unknown = [label for label in class_weight if label not in set(self.classes_)]
            if unknown:
                raise ValueError(
                    f"class_weight names labels {unknown} that are not classes of y "
                    f"(classes_ = {self.classes_.tolist()}); use the labels of y as keys."
                )
        if isinstance(class_weight, str):
            absent = np.setdiff1d(self.classes_, y).tolist()
            if absent:
                # Only a warm start gets here: a first fit takes its classes from y.
                raise ValueError(
                    f"class_weight={class_weight!r} weights each class by its frequency in "
                    f"y, but y has no samples of the classes {absent}, which the fitted "
                    f"model keeps from its first fit (warm_start=True; classes_ = "
                    f"{self.classes_.tolist()}). Pass class weights as a dict, or set "
                    "warm_start=False to fit the classes of this y."
                )
        self._class_weights = (
            None
            if class_weight is None
            else compute_class_weight(class_weight, classes=self.classes_, y=y).astype(np.float32)
        )
        return encoded

    def _criterion_options(self) -> dict[str, Any]:
        if getattr(self, "_class_weights", None) is None:
            return {}
        return {"weight": torch.from_numpy(self._class_weights)}

    def _encode_targets_again(self, y: Any) -> np.ndarray:
        y = self._classification_targets(y)
        self._check_known_classes(y, "seen in the first fit")
        return self._encoded_with_class_weights(y)

    @available_if(lambda self: self._check_partial_fit_supported())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> Any:
        """Train for one epoch on ``X`` and ``y``, for data that arrives in parts.

        The first call (before any ``fit``) builds the network and fits the input
        standardisation on its data, and needs ``classes``, every class the
        estimator will ever see. Later calls continue training, with the
        optimiser's state, as scikit-learn's ``MLPClassifier.partial_fit`` does.
        ``early_stopping=True``, ``class_weight="balanced"`` (its weights need
        every sample) and ``missing_strategy="distill"`` (its teacher needs a
        complete pass) are not supported here. ``early_stopping="auto"`` holds
        out nothing here; a model whose ``fit`` held out validation data for early
        stopping (``do_early_stopping_``) cannot continue with ``partial_fit``.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit`` (for the first call, any form
            ``fit`` accepts).
        y : array-like of shape (n_samples,)
            Class labels, each one of ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class label. Required on the first call; later calls may omit it
            or must pass the same classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the task loss; see ``fit``.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        if not hasattr(self, "net_"):
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: the network's "
                    "outputs are fixed then, one per class; got classes=None."
                )
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differs from the classes of the first "
                f"call, classes_={self.classes_.tolist()}; partial_fit cannot change them."
            )
        if isinstance(getattr(self, "class_weight", None), str):
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: it needs the class "
                "counts of all the data. Pass class_weight as a dict, or use fit."
            )
        return self._partial_fit(X, y, classes, sample_weight)

    # How a NetworkAverage combines its members: their mean class probabilities.
    _output_average = "probabilities"

    def _criterion(self) -> type:
        return torch.nn.CrossEntropyLoss

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on ``X`` and ``y``.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``predict(X)`` against ``y``.
        """
        return self._score_predictions(accuracy_score, X, y, sample_weight)

    def decision_function(self, X: Any) -> np.ndarray:
        """Confidence scores: the network's class logits.

        ``softmax`` of the scores gives :meth:`predict_proba`, and the class with
        the largest score is :meth:`predict`'s.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes, the log-odds of ``classes_[1]`` (positive: predicted
            ``classes_[1]``), as scikit-learn's binary classifiers return;
            otherwise one logit per class, columns following ``classes_``.
        """
        logits = self._forward(X)[0]
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        return softmax(self._forward(X)[0], axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class for each sample.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        logits = self._forward(X)[0]
        return self.classes_[np.argmax(logits, axis=1)]


class RegressorTask:
    """Target handling (standardised internally), criterion and prediction for regressors."""

    def _regression_targets(self, y: Any) -> np.ndarray:
        y = check_array(
            y, ensure_2d=False, allow_nd=True, dtype=None, ensure_all_finite=False, input_name="y"
        )
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{type(self).__name__} needs numeric targets y; got y of dtype {y.dtype} "
                    f"that cannot be converted to float ({exc}). For class labels use a "
                    "classifier."
                ) from exc
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=np.float64, input_name="y")
        if y.ndim > 2:
            raise ValueError(
                f"{type(self).__name__} needs y of shape (n_samples,) or (n_samples, "
                f"n_outputs); got y of shape {y.shape}."
            )
        return y

    def _encode_targets(
        self, y: Any, classes: Any = None, sample_weight: np.ndarray | None = None
    ) -> np.ndarray:
        y = self._regression_targets(y)
        self._y_shape = y.shape[1:]
        y2d = y.reshape(len(y), -1)
        self._y_mean, scale = overflow_safe_mean_std(y2d, (0,), sample_weight=sample_weight)
        self._y_scale = scale_or_one(self._y_mean, scale, len(y2d))
        return self._scale_targets(y2d)

    def _encode_targets_again(self, y: Any) -> np.ndarray:
        y = self._regression_targets(y)
        if y.shape[1:] != self._y_shape:
            raise ValueError(
                f"y has shape {y.shape[1:]} per sample; the first fit had {self._y_shape}."
            )
        return self._scale_targets(y.reshape(len(y), -1))

    @available_if(lambda self: self._check_partial_fit_supported())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train for one epoch on ``X`` and ``y``, for data that arrives in parts.

        The first call (before any ``fit``) builds the network and fits the input
        standardisation and the target scaling on its data; later calls continue
        training, with the optimiser's state, as scikit-learn's
        ``MLPRegressor.partial_fit`` does. ``early_stopping=True`` and
        ``missing_strategy="distill"`` (its teacher needs a complete pass) are not
        supported here. ``early_stopping="auto"`` holds out nothing here; a model
        whose ``fit`` held out validation data (``do_early_stopping_``) cannot continue with
        ``partial_fit``.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit`` (for the first call, any form
            ``fit`` accepts).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, of the shape of the first call's.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the task loss; see ``fit``.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._partial_fit(X, y, None, sample_weight)

    def _scale_targets(self, y2d: np.ndarray) -> np.ndarray:
        return ((y2d - self._y_mean) / self._y_scale).astype(np.float32)

    _output_average = "values"

    def _criterion(self) -> type:
        return torch.nn.MSELoss

    def _n_outputs(self) -> int:
        return int(np.prod(self._y_shape)) if self._y_shape else 1

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        output = self._forward(X)[0] * self._y_scale + self._y_mean
        return output.reshape(-1, *self._y_shape)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Coefficient of determination R² on ``X`` and ``y``.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R² of ``predict(X)`` against ``y`` (averaged uniformly over outputs).
        """
        return self._score_predictions(r2_score, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
