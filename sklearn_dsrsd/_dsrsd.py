"""``DSRSDClassifier`` and ``DSRSDRegressor``: thin task-specific faces of one base."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import (
    ClassifierTask,
    MultimodalNetEstimator,
    RegressorTask,
    _load_members,
)
from ._modules import NUMERICAL_EMBEDDINGS, TEMPORAL_ENCODERS, DSRSDModule, first_network
from ._training import DistillationNet, ModalityDataset, MultimodalNet

__all__ = ["DSRSDClassifier", "DSRSDRegressor"]

# n_networks="auto": networks averaged in a fit, at any size. The average scored higher than
# one network on every tuning task, the large ones included (benchmarks/tune_defaults.md).
_AUTO_N_NETWORKS = 5
# Target-quantile bins that stand in for classes in the prototype term of regression.
_N_TARGET_BINS = 5
_DSRSD_LOSS_KEYS = (
    "alignment_weight",
    "decorrelation_weight",
    "orthogonality_weight",
    "temperature",
)


class _DSRSDBase(TransformerMixin, MultimodalNetEstimator):
    _parameter_constraints: dict = {
        **MultimodalNetEstimator._parameter_constraints,
        "code_size": [Interval(Integral, 1, None, closed="left")],
        "dual_stream": ["boolean"],
        "fusion": [StrOptions({"auto", "gated", "gated_concat", "concat"})],
        "temporal_encoder": [StrOptions(set(TEMPORAL_ENCODERS))],
        "numerical_embedding": [StrOptions(set(NUMERICAL_EMBEDDINGS)), dict],
        "linear_path": ["boolean"],
        "n_networks": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_jobs": [Integral, None],
        "representation": [StrOptions({"codes", "fused"})],
        "alignment_weight": [Interval(Real, 0, None, closed="left")],
        "decorrelation_weight": [Interval(Real, 0, None, closed="left")],
        "orthogonality_weight": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "missing_strategy": [StrOptions({"none", "dropout", "distill"})],
        "missing_rate": [Interval(Real, 0, 1, closed="left")],
        "contrastive_distillation_weight": [Interval(Real, 0, None, closed="left")],
        "prototype_distillation_weight": [Interval(Real, 0, None, closed="left")],
        "response_distillation_weight": [Interval(Real, 0, None, closed="left")],
        "response_estimator": [StrOptions({"js", "kl"})],
    }

    def __init__(
        self,
        *,
        modalities: dict | None = None,
        hidden_size: int = 64,
        code_size: int = 32,
        dropout: float = 0.1,
        dual_stream: bool = True,
        fusion: str = "auto",
        temporal_encoder: str = "conv",
        numerical_embedding: str | dict = "periodic",
        linear_path: bool = False,
        n_networks: int | str = "auto",
        representation: str = "codes",
        alignment_weight: float = 0.3,
        decorrelation_weight: float = 0.03,
        orthogonality_weight: float = 0.3,
        temperature: float = 0.1,
        missing_strategy: str = "dropout",
        missing_rate: float = 0.3,
        contrastive_distillation_weight: float = 0.1,
        prototype_distillation_weight: float = 0.1,
        response_distillation_weight: float = 0.1,
        response_estimator: str = "kl",
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
        n_jobs: int | None = None,
        random_state: Any = None,
        verbose: int = 0,
    ):
        super().__init__(
            modalities=modalities,
            hidden_size=hidden_size,
            dropout=dropout,
            max_iter=max_iter,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            alpha=alpha,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.code_size = code_size
        self.dual_stream = dual_stream
        self.fusion = fusion
        self.temporal_encoder = temporal_encoder
        self.numerical_embedding = numerical_embedding
        self.linear_path = linear_path
        self.n_networks = n_networks
        self.n_jobs = n_jobs
        self.representation = representation
        self.alignment_weight = alignment_weight
        self.decorrelation_weight = decorrelation_weight
        self.orthogonality_weight = orthogonality_weight
        self.temperature = temperature
        self.missing_strategy = missing_strategy
        self.missing_rate = missing_rate
        self.contrastive_distillation_weight = contrastive_distillation_weight
        self.prototype_distillation_weight = prototype_distillation_weight
        self.response_distillation_weight = response_distillation_weight
        self.response_estimator = response_estimator

    def transform(self, X: Any) -> np.ndarray:
        """Codes of the trained network, as features for other models.

        With ``representation="codes"``: for each modality in ``modalities_``
        order, its ``code_size`` shared code ``s_m`` and then (with
        ``dual_stream=True``) its ``code_size`` private code ``p_m``. A modality
        absent from a sample is encoded from its imputed block (the training mean),
        as the network sees it; its fusion weight is 0 (see ``modality_weights``).
        With ``representation="fused"``: the fused representation the task head
        reads, in which absent modalities have no part. Computed by the trained
        network in evaluation mode, in float32 when every block is float32 and in
        float64 otherwise (as :meth:`predict`), and returned as float64.
        ``set_output(transform="pandas")`` returns a DataFrame with the columns of
        :meth:`get_feature_names_out`, indexed as :meth:`modality_weights` is (the
        index of the first DataFrame block of a mapping).

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_codes)
            ``n_codes = n_modalities * code_size``, doubled with ``dual_stream=True``;
            for ``"fused"``, the width of the fused representation (divided by
            ``n_modalities`` with ``fusion="gated"``).
        """
        if self.representation == "fused":
            codes = self._forward(X, "fused")[1]["fused"]
        else:
            names = self._code_streams()
            streams = self._forward(X, *names)[1]
            per_modality = np.concatenate([streams[name] for name in names], axis=2)
            codes = per_modality.reshape(len(per_modality), -1)
        return self._output_frame(X, codes, self.get_feature_names_out())

    def _code_streams(self) -> tuple[str, ...]:
        """The code streams of the fitted network (not of the current parameters)."""
        check_is_fitted(self)
        dual = self._first_network().streams.private is not None
        return ("shared", "private") if dual else ("shared",)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the columns of :meth:`transform`.

        Parameters
        ----------
        input_features : None
            Ignored; the names come from the modalities and the code size.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"<modality>__shared<j>"`` and ``"<modality>__private<j>"``; for
            ``representation="fused"``, ``"<modality>__fused<j>"`` (``"fused<j>"``
            with ``fusion="gated"``, which sums the modalities).
        """
        if self.representation == "fused":
            check_is_fitted(self)
            network = self._first_network()
            width = network.head[0].in_features
            if network.fusion == "gated":
                return np.asarray([f"fused{j}" for j in range(width)], dtype=object)
            per_modality = width // len(self.modalities_)
            return np.asarray(
                [
                    f"{modality}__fused{j}"
                    for modality in self.modalities_
                    for j in range(per_modality)
                ],
                dtype=object,
            )
        streams = self._code_streams()
        code_size = self._first_network().streams.shared.weight.shape[2]
        return np.asarray(
            [
                f"{modality}__{stream}{j}"
                for modality in self.modalities_
                for stream in streams
                for j in range(code_size)
            ],
            dtype=object,
        )

    def _first_network(self) -> DSRSDModule:
        """The fitted network, or the first of the networks the model averages."""
        return first_network(self.net_.module_)

    def _n_networks_for(self, *, warm: bool = False, incremental: bool = False) -> int:
        if self.n_networks != "auto":
            return self.n_networks
        if warm:  # continues the networks it has
            return getattr(self, "n_networks_", 1)
        if incremental:
            return 1
        return _AUTO_N_NETWORKS

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A model pickled before n_networks existed trained one network; one pickled
        # before linear_path existed has none (its default, too).
        state = {"n_networks": 1, "linear_path": False, **state}
        if "net_" in state:
            state.setdefault("n_networks_", 1)
        super().__setstate__(state)

    def _module_spec(self, modality_shapes, n_outputs):
        return DSRSDModule, {
            "modality_shapes": modality_shapes,
            "n_outputs": n_outputs,
            "hidden_size": self.hidden_size,
            "code_size": self.code_size,
            "dropout": self.dropout,
            "dual_stream": self.dual_stream,
            "fusion": self._resolved_fusion(),
            "modality_dropout": 0.0 if self.missing_strategy == "none" else self.missing_rate,
            "temporal_encoder": self.temporal_encoder,
            "numerical_embedding": self._numerical_embeddings(),
            "linear_path": self.linear_path,
        }

    def _numerical_embeddings(self) -> str | list[str]:
        """``numerical_embedding`` for the module: a str as is, a dict as a list by modality.

        A dict that gives every modality the same value is that value, so that the network,
        its random draws and a warm start from the str are those of the str.
        """
        if isinstance(self.numerical_embedding, str):
            return self.numerical_embedding
        names = self._schema.names
        unknown = [name for name in self.numerical_embedding if name not in names]
        if unknown:
            raise ValueError(
                f"numerical_embedding names {unknown}, which are not modalities of X: {names}."
            )
        for name, embedding in self.numerical_embedding.items():
            if embedding not in NUMERICAL_EMBEDDINGS:
                raise ValueError(
                    f"numerical_embedding[{name!r}] must be one of {NUMERICAL_EMBEDDINGS}; "
                    f"got {embedding!r}."
                )
        by_modality = [self.numerical_embedding.get(name, "periodic") for name in names]
        return by_modality[0] if len(set(by_modality)) == 1 else by_modality

    def _resolved_fusion(self) -> str:
        """The fusion the network is built with: ``fusion``, "auto" replaced by the task's."""
        return self._auto_fusion if self.fusion == "auto" else self.fusion

    def _loss_weights(self) -> dict[str, Any]:
        weights: dict[str, Any] = {
            "alignment_weight": self.alignment_weight,
            "decorrelation_weight": self.decorrelation_weight,
            "orthogonality_weight": self.orthogonality_weight,
            "temperature": self.temperature,
        }
        if self.missing_strategy == "distill":
            weights.update(
                contrastive_distillation_weight=self.contrastive_distillation_weight,
                prototype_distillation_weight=self.prototype_distillation_weight,
                response_distillation_weight=self.response_distillation_weight,
                response_estimator=self.response_estimator,
                **self._prototype_spec(),
            )
        return weights

    def _prototype_spec(self) -> dict[str, Any]:
        """Categories of the prototype term: the classes, or target-quantile bins."""
        if hasattr(self, "classes_"):
            return {"n_prototypes": len(self.classes_)}
        # Targets are standardised inside the net, so the bin edges are those of N(0, 1)
        # quantiles only approximately; exact edges are set in _prepare_training.
        return {"n_prototypes": _N_TARGET_BINS, "prototype_bin_edges": np.zeros(0)}

    def _net_class(self) -> type[MultimodalNet]:
        return DistillationNet if self.missing_strategy == "distill" else MultimodalNet

    def _check_partial_fit_supported(self) -> bool:
        if self.missing_strategy == "distill":
            raise AttributeError(
                "missing_strategy='distill' trains a teacher on every complete sample before "
                "the student, which partial_fit cannot do one part at a time; use fit, or "
                "missing_strategy='dropout' with partial_fit."
            )
        return super()._check_partial_fit_supported()

    def _optional_fitted_attributes(self, warm: bool) -> list[str]:
        stale = super()._optional_fitted_attributes(warm)
        return stale if self.missing_strategy == "distill" and warm else [*stale, "teacher_net_"]

    def _prepare_training(self, dataset: ModalityDataset, y: np.ndarray, seed: int) -> None:
        """CorrKD: train a teacher on complete rows, freeze it, start the student from it."""
        if self.missing_strategy != "distill":
            return
        self._set_prototype_bins(y)
        teacher = self._train_teacher(dataset, y, seed)
        self.net_.module_.load_state_dict(teacher.module_.state_dict())
        self.net_.set_teacher(teacher.module_)

    def _continue_training(
        self, previous: MultimodalNet, dataset: ModalityDataset, y: np.ndarray, seed: int
    ) -> None:
        super()._continue_training(previous, dataset, y, seed)
        if self.missing_strategy != "distill":
            return
        self._set_prototype_bins(y)
        # A warm start keeps its teacher; one that switches to distillation trains it now,
        # but the student keeps the weights it has.
        teacher = getattr(self, "teacher_net_", None) or self._train_teacher(dataset, y, seed)
        self.net_.set_teacher(teacher.module_)

    def _gather_networks(self, fitted: list[Any], y_encoded: np.ndarray) -> None:
        super()._gather_networks(fitted, y_encoded)
        if self.missing_strategy != "distill":
            return
        # Each network's own teacher, gathered likewise: a warm start goes on distilling
        # network k from teacher k.
        teacher = self._build_teacher_net(0)
        self._initialize_seeded(teacher, 0)
        _load_members(teacher, [estimator.teacher_net_ for estimator in fitted], optimizer=False)
        self.teacher_net_ = teacher
        self._set_prototype_bins(y_encoded)
        self.net_.set_teacher(teacher.module_)

    def _set_prototype_bins(self, y: np.ndarray) -> None:
        if not hasattr(self, "classes_"):
            quantiles = np.linspace(0, 1, _N_TARGET_BINS + 1)[1:-1]
            self.net_.prototype_bin_edges = np.quantile(y[:, 0], quantiles).astype(np.float32)

    def _build_teacher_net(
        self,
        seed: int,
        early_stopping: bool | None = None,
        validation_groups: np.ndarray | None = None,
    ) -> MultimodalNet:
        """CorrKD's teacher: the same network and DSRSD terms, no modality dropout.

        ``early_stopping=None`` is the student's choice (``do_early_stopping_``).
        """
        return self._build_net(
            seed,
            early_stopping=self.do_early_stopping_ if early_stopping is None else early_stopping,
            validation_groups=validation_groups,
            net_class=MultimodalNet,
            module_overrides={"modality_dropout": 0.0},
            loss_weights={
                key: value
                for key, value in self._loss_weights().items()
                if key in _DSRSD_LOSS_KEYS
            },
        )

    def _train_teacher(self, dataset: ModalityDataset, y: np.ndarray, seed: int) -> MultimodalNet:
        complete = dataset.modality_mask.all(dim=1).numpy()
        held_out = ""
        # With fit's groups, the student's split held out whole groups; so does the
        # teacher's, among the complete rows.
        groups = self.net_.train_split.groups if self.do_early_stopping_ else None
        if self.do_early_stopping_:
            # The student starts from the teacher's weights: the rows that validate the
            # student (the split its own fit draws, the same again here) must not train it.
            _, validation = self.net_.train_split(dataset, y)
            complete[validation.indices] = False
            held_out = " outside the validation split"
        if complete.sum() < 2:
            n_complete = int(complete.sum())
            raise ValueError(
                "missing_strategy='distill' trains its teacher on samples with every modality "
                f"present{held_out} and needs at least 2; found {n_complete} "
                f"sample{'' if n_complete == 1 else 's'} with every modality present{held_out}."
            )
        # "auto" trains on everything where the complete rows cannot be split (as the
        # student's fit does on all rows); an explicit True says why it cannot.
        early_stopping = self.do_early_stopping_ and (
            self.early_stopping != "auto"
            or self._can_hold_out(y[complete], None if groups is None else groups[complete])
        )
        teacher = self._build_teacher_net(
            seed,
            early_stopping,
            None if groups is None or not early_stopping else groups[complete],
        )
        self._initialize_seeded(teacher, seed)
        teacher.partial_fit(dataset.subset(complete), y[complete])
        self.teacher_net_ = teacher
        return teacher


class DSRSDClassifier(ClassifierTask, ClassifierMixin, _DSRSDBase):
    """Dual-stream residual semantic decorrelation network for classification.

    Each modality is encoded, split into a shared and a private code by
    residual projection, aligned across modalities, and fused with per-sample
    gates over the modalities present; a head predicts the class. See the user
    guide for what comes from the DSRSD-Net paper and what is this package's
    choice.

    Parameters
    ----------
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the per-modality encoders, the alignment head and the task head.
    code_size : int, default=32
        Size of each modality's shared code and private code.
    dropout : float, default=0.1
        Dropout probability inside the encoders and the task head.
    dual_stream : bool, default=True
        Learn a private stream beside the shared one. False keeps the shared
        stream only (ablation).
    fusion : {"auto", "gated_concat", "gated", "concat"}, default="auto"
        How the modalities' codes meet. ``"auto"`` is ``"gated_concat"`` here
        (:class:`DSRSDRegressor` uses ``"concat"``). ``"gated_concat"``:
        per-sample gates computed from each modality's codes weight it,
        renormalised over the modalities present (``modality_weights`` returns
        them), and the weighted contributions are concatenated, so the head sees
        each modality apart (it scored at least as well as ``"gated"`` on both
        tuning tasks it was measured on, and plain ``"concat"`` was mixed on the
        classification tuning tasks, see ``benchmarks/tune_defaults.md``).
        ``"gated"``: the weighted contributions are summed. ``"concat"``:
        concatenation without gates, absent modalities zeroed; its weights are
        uniform over the present modalities, so they say nothing about which
        modality drives a prediction.
    temporal_encoder : {"conv", "gru", "attention"}, default="conv"
        Encoder of sequence modalities (3-D blocks ``(n_samples, n_steps,
        n_features)``): a two-layer 1-D convolution with mean and max pooling
        (fast, a few steps of context), a GRU (its last and mean states), or one
        Transformer encoder layer with learned step positions. 2-D blocks always
        use an MLP.
    numerical_embedding : {"periodic", "none"} or dict, default="periodic"
        ``"periodic"``: each feature of a 2-D modality enters its MLP as itself
        and as a learned periodic embedding (16 trainable frequencies initialised
        from ``N(0, 0.01^2)``, their cosines and sines mapped to 8 ReLU outputs;
        Gorishniy et al., 2022). It lets the network fit sharp, non-monotone
        effects of single features, where gradient-boosted trees often beat
        plain MLPs. ``"none"``: the raw features only, several times faster to
        fit and to predict (the cosines and sines dominate the cost). A dict
        maps modality names to ``"periodic"`` or ``"none"``; modalities it does
        not name get ``"periodic"``. Sequence (3-D) modalities are never
        embedded. Leaving a wide block of sparse counts out of the embedding
        scored higher on ASSISTments 2009 but not on the tuning response logs
        (see the user guide).
    linear_path : bool, default=False
        Add a linear map of each present 2-D modality's standardised input to
        the network's output: a "wide" path beside the deep one, without bias,
        zero at initialisation and trained with the network. Our addition, not
        part of DSRSD-Net, and not the default: with one network it scored
        higher on 13 of 14 tuning tasks, but with the default five networks
        it was mixed on the real (OULAD) tuning tasks, lower on every real
        benchmark and higher only on synthetic designs
        (``benchmarks/results/candidate-linear-path/``). The gates, and so
        :meth:`modality_weights`, describe the network only. Sequence (3-D)
        modalities have no linear path.
    n_networks : int or "auto", default="auto"
        Number of networks whose class probabilities are averaged (soft
        voting). ``fit`` trains network ``k`` apart, as ``n_networks=1`` with
        ``random_state + k`` would (an int ``random_state``): its own initial
        weights, batches, validation split, early stopping and, with
        ``"distill"``, teacher; a warm start and ``partial_fit`` continue the
        networks together. The average scored higher than one network on all
        twelve tuning tasks, most on small data
        (``benchmarks/tune_defaults.md``), at ``n_networks`` times the cost.
        ``"auto"``: 5 in a ``fit``, 1 in a ``partial_fit`` that starts the
        model; ``n_networks_`` records the choice. Set 1 for the fastest fit,
        as in a grid search over many candidates; ``n_jobs`` trains the
        networks in parallel. :meth:`transform` returns the first network's
        codes; :meth:`modality_weights` averages the networks' weights.
    representation : {"codes", "fused"}, default="codes"
        What :meth:`transform` returns: ``"codes"``, the shared and private
        code of every modality; ``"fused"``, the fused representation the task
        head reads (gate-weighted, absent modalities excluded).
    alignment_weight : float, default=0.3
        Weight of the cross-modal alignment term (symmetric InfoNCE plus squared
        distance between aligned codes of the same sample). 0 switches it off.
    decorrelation_weight : float, default=0.03
        Weight of the decorrelation term on the shared codes (squared
        off-diagonal correlations plus a variance floor). 0 switches it off.
    orthogonality_weight : float, default=0.3
        Weight of the shared/private orthogonality term. 0 switches it off.
        The three weights were chosen together on OULAD presentations no
        benchmark evaluates on (``benchmarks/tune_defaults.md``): scaling the
        earlier 0.1/0.01/0.1 by 2 or 3 scored higher in every fold, by 5 in
        two of three, by 10 lower.
    temperature : float, default=0.1
        Temperature of the InfoNCE alignment term.
    missing_strategy : {"none", "dropout", "distill"}, default="dropout"
        How training prepares the model for missing modalities. ``"none"``:
        train on the data as given. ``"dropout"``: hide each present modality of
        a training sample with probability ``missing_rate`` (never all of a
        sample's); the default because it also regularises when nothing is
        missing (chosen on OULAD presentations no benchmark evaluates on, see
        ``benchmarks/tune_defaults.py``). ``"distill"`` (CorrKD): train
        a teacher on the samples with every modality present (outside the
        student's validation split with ``early_stopping``), freeze it, then
        train a student of the same architecture, initialised from the teacher,
        on randomly incomplete inputs (rate ``missing_rate``) with the task loss
        plus the three distillation terms below. Only the student predicts.
    missing_rate : float, default=0.3
        Per-sample probability of hiding each modality for ``"dropout"`` and
        ``"distill"``; unused with ``"none"``.
    contrastive_distillation_weight : float, default=0.1
        Weight of sample-level contrastive distillation between student and
        teacher fused codes (``"distill"`` only).
    prototype_distillation_weight : float, default=0.1
        Weight of category-guided prototype distillation; regression uses 5
        target-quantile bins as categories (``"distill"`` only).
    response_distillation_weight : float, default=0.1
        Weight of response-disentangled consistency distillation of the logits
        (classification); regression matches the teacher's predictions with a
        squared error instead (``"distill"`` only).
    response_estimator : {"js", "kl"}, default="kl"
        KL divergence between the decoupled teacher and student responses, or
        the Jensen-Shannon mutual-information estimator named by CorrKD (whose
        gradient is about an order of magnitude weaker).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the cross-entropy, ``{label: weight}``;
        ``"balanced"`` weights each class by ``n_samples / (n_classes * count)``
        of the training data, which counters a network's tendency to
        under-predict rare classes. None weighs every sample equally.
    max_iter : int, default=100
        Maximum number of epochs (passes over the training data).
    batch_size : int, default=64
        Number of samples per minibatch.
    learning_rate_init : float, default=1e-3
        Initial learning rate of the AdamW optimiser.
    learning_rate : {"constant", "adaptive", "cosine"}, default="constant"
        Learning-rate schedule over the epochs. ``"constant"`` keeps
        ``learning_rate_init``. ``"adaptive"`` divides it by 5 each time the
        monitored loss (the validation loss with ``early_stopping``, else the
        training loss) has not improved by ``tol`` for 3 epochs in a
        row (``ReduceLROnPlateau(patience=2)``), an adaptive schedule like
        scikit-learn's ``MLPClassifier``'s. ``"cosine"`` anneals it to 0 over
        ``max_iter`` epochs (of a fit, or of ``partial_fit`` calls from the
        first; calls after a ``fit`` each start again at ``learning_rate_init``).
    alpha : float, default=1e-4
        Weight decay (decoupled L2 penalty) of AdamW.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the training data (stratified for
        classification), stop when the validation loss has not improved by
        ``tol`` for ``n_iter_no_change`` epochs and restore the best weights.
        When False, training stops when the training loss stalls likewise.
        ``"auto"``: True in a ``fit`` on at least 200 samples whose
        stratified split exists (two members or more in every class and
        room for every class on both sides), False otherwise and in
        ``partial_fit``; ``do_early_stopping_`` records the choice.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement of at least ``tol`` before stopping.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss that counts as improvement.
    warm_start : bool, default=False
        Reuse the fitted network and input scaling and continue training.
    device : str, default="cpu"
        Torch device to train on: ``"cpu"``, ``"cuda"``, ``"cuda:N"``,
        ``"mps"``, or ``"auto"`` (CUDA when torch sees a CUDA GPU, else the
        CPU). ``fit`` raises a ValueError naming ``device`` when torch cannot
        parse it or this machine does not have that device.
    n_jobs : int, default=None
        Number of networks of the average that ``fit`` trains at a time, each
        in a joblib worker process with ``cpu_count // n_jobs`` torch threads;
        the networks are the same whatever the value. ``None`` means 1 unless
        in a :obj:`joblib.parallel_backend` context; ``-1`` means all
        processors. A warm start and ``partial_fit`` train the networks in one
        process.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch shuffling, dropout and the validation
        split. With an int, two fits give identical predictions on CPU. Torch's
        global random state is left unchanged.
    verbose : int, default=0
        Print a line of training statistics per epoch when positive.

    Attributes
    ----------
    modalities_ : dict of str to int or tuple
        Modality name -> number of features, or ``(n_steps, n_features)`` for a
        sequence modality, in the order the network uses.
    modality_importances_ : ndarray of shape (n_modalities,)
        Mean of ``modality_weights`` over the training samples (at most 10,000
        of them, evenly spaced), columns following ``modalities_``: how much each
        modality drives the predictions on the training data, absent modalities
        counting 0.
    n_features_in_ : int
        Number of features seen during fit, summed over modalities.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the training history: per-epoch losses and, per batch,
        the unweighted auxiliary terms (``history[:, "batches", :, "alignment"]``).
    n_iter_ : int
        Number of epochs run (accumulated over warm starts).
    loss_curve_ : list of float
        Training loss (task plus weighted auxiliary terms) after each epoch.
    validation_scores_ : list of float
        Validation loss (task plus weighted auxiliary terms, as the training loss;
        without CorrKD's distillation terms) after each epoch (NaN for the
        epochs of earlier warm-started fits that held out nothing); only when
        the last fit held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
    n_networks_ : int
        Number of networks the model averages (``n_networks``, "auto" resolved).
    teacher_net_ : skorch.NeuralNet
        The frozen teacher; only with ``missing_strategy="distill"``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    See Also
    --------
    DSRSDRegressor : The same network for regression.

    Examples
    --------
    >>> from sklearn_dsrsd import DSRSDClassifier
    >>> from sklearn_dsrsd.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=200, random_state=0)
    >>> clf = DSRSDClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (200, 2)
    >>> clf.modality_weights(X).shape
    (200, 3)
    """

    _parameter_constraints: dict = {
        **_DSRSDBase._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }
    _auto_fusion = "gated_concat"

    def __init__(
        self,
        *,
        modalities: dict | None = None,
        hidden_size: int = 64,
        code_size: int = 32,
        dropout: float = 0.1,
        dual_stream: bool = True,
        fusion: str = "auto",
        temporal_encoder: str = "conv",
        numerical_embedding: str | dict = "periodic",
        linear_path: bool = False,
        n_networks: int | str = "auto",
        representation: str = "codes",
        alignment_weight: float = 0.3,
        decorrelation_weight: float = 0.03,
        orthogonality_weight: float = 0.3,
        temperature: float = 0.1,
        missing_strategy: str = "dropout",
        missing_rate: float = 0.3,
        contrastive_distillation_weight: float = 0.1,
        prototype_distillation_weight: float = 0.1,
        response_distillation_weight: float = 0.1,
        response_estimator: str = "kl",
        class_weight: dict | str | None = None,
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
        n_jobs: int | None = None,
        random_state: Any = None,
        verbose: int = 0,
    ):
        # The classifier's signature adds class_weight; scikit-learn reads parameters from
        # the concrete class's signature, so the shared ones are listed again.
        super().__init__(
            modalities=modalities,
            hidden_size=hidden_size,
            code_size=code_size,
            dropout=dropout,
            dual_stream=dual_stream,
            fusion=fusion,
            temporal_encoder=temporal_encoder,
            numerical_embedding=numerical_embedding,
            linear_path=linear_path,
            n_networks=n_networks,
            representation=representation,
            alignment_weight=alignment_weight,
            decorrelation_weight=decorrelation_weight,
            orthogonality_weight=orthogonality_weight,
            temperature=temperature,
            missing_strategy=missing_strategy,
            missing_rate=missing_rate,
            contrastive_distillation_weight=contrastive_distillation_weight,
            prototype_distillation_weight=prototype_distillation_weight,
            response_distillation_weight=response_distillation_weight,
            response_estimator=response_estimator,
            max_iter=max_iter,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            alpha=alpha,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            device=device,
            n_jobs=n_jobs,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight


class DSRSDRegressor(RegressorTask, RegressorMixin, _DSRSDBase):
    """Dual-stream residual semantic decorrelation network for regression.

    The network of :class:`DSRSDClassifier` with a regression head trained on
    standardised targets (mean squared error); ``y`` may be 1-D or 2-D. One
    difference by default: ``fusion="auto"`` concatenates the modalities' codes
    without gates here, so ``modality_weights`` are uniform over the present
    modalities unless ``fusion="gated_concat"`` is chosen.

    Parameters
    ----------
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the per-modality encoders, the alignment head and the task head.
    code_size : int, default=32
        Size of each modality's shared code and private code.
    dropout : float, default=0.1
        Dropout probability inside the encoders and the task head.
    dual_stream : bool, default=True
        Learn a private stream beside the shared one. False keeps the shared
        stream only (ablation).
    fusion : {"auto", "gated_concat", "gated", "concat"}, default="auto"
        How the modalities' codes meet. ``"auto"`` is ``"concat"`` here
        (:class:`DSRSDClassifier` uses ``"gated_concat"``): concatenation
        without gates, absent modalities zeroed. It scored higher than
        ``"gated_concat"`` on the three regression tuning tasks (R² +0.044 in
        every fold of a synthetic design, +0.0065 in 4 of 6 folds of an OULAD
        score task, +0.0039 in 6 of 9 folds of an OULAD exam score task,
        ``benchmarks/tune_defaults.md``), but its ``modality_weights`` are
        uniform over the present modalities, so they say nothing about which
        modality drives a prediction. ``"gated_concat"``: per-sample gates
        computed from each modality's codes weight it, renormalised over the
        modalities present (``modality_weights`` returns them), and the
        weighted contributions are concatenated; choose it for those weights.
        ``"gated"``: the weighted contributions are summed.
    temporal_encoder : {"conv", "gru", "attention"}, default="conv"
        Encoder of sequence modalities (3-D blocks ``(n_samples, n_steps,
        n_features)``): a two-layer 1-D convolution with mean and max pooling
        (fast, a few steps of context), a GRU (its last and mean states), or one
        Transformer encoder layer with learned step positions. 2-D blocks always
        use an MLP.
    numerical_embedding : {"periodic", "none"} or dict, default="periodic"
        ``"periodic"``: each feature of a 2-D modality enters its MLP as itself
        and as a learned periodic embedding (16 trainable frequencies initialised
        from ``N(0, 0.01^2)``, their cosines and sines mapped to 8 ReLU outputs;
        Gorishniy et al., 2022). It lets the network fit sharp, non-monotone
        effects of single features, where gradient-boosted trees often beat
        plain MLPs. ``"none"``: the raw features only, several times faster to
        fit and to predict (the cosines and sines dominate the cost). A dict
        maps modality names to ``"periodic"`` or ``"none"``; modalities it does
        not name get ``"periodic"``. Sequence (3-D) modalities are never
        embedded. Leaving a wide block of sparse counts out of the embedding
        scored higher on ASSISTments 2009 but not on the tuning response logs
        (see the user guide).
    linear_path : bool, default=False
        Add a linear map of each present 2-D modality's standardised input to
        the network's output: a "wide" path beside the deep one, without bias,
        zero at initialisation and trained with the network. Our addition, not
        part of DSRSD-Net, and not the default: with one network it scored
        higher on 13 of 14 tuning tasks, but with the default five networks
        it was mixed on the real (OULAD) tuning tasks, lower on every real
        benchmark and higher only on synthetic designs
        (``benchmarks/results/candidate-linear-path/``). The gates, and so
        :meth:`modality_weights`, describe the network only. Sequence (3-D)
        modalities have no linear path.
    n_networks : int or "auto", default="auto"
        Number of networks whose predictions are averaged. ``fit`` trains
        network ``k`` apart, as ``n_networks=1`` with ``random_state + k``
        would (an int ``random_state``): its own initial weights, batches,
        validation split, early stopping and, with ``"distill"``, teacher; a
        warm start and ``partial_fit`` continue the networks together. The
        average scored higher than one network on all twelve tuning tasks, most
        on small data (``benchmarks/tune_defaults.md``), at ``n_networks``
        times the cost.
        ``"auto"``: 5 in a ``fit``, 1 in a ``partial_fit`` that starts the
        model; ``n_networks_`` records the choice. Set 1 for the fastest fit,
        as in a grid search over many candidates; ``n_jobs`` trains the
        networks in parallel. :meth:`transform` returns the first network's
        codes; :meth:`modality_weights` averages the networks' weights.
    representation : {"codes", "fused"}, default="codes"
        What :meth:`transform` returns: ``"codes"``, the shared and private
        code of every modality; ``"fused"``, the fused representation the task
        head reads (gate-weighted with a gated ``fusion``, absent modalities
        zeroed).
    alignment_weight : float, default=0.3
        Weight of the cross-modal alignment term (symmetric InfoNCE plus squared
        distance between aligned codes of the same sample). 0 switches it off.
    decorrelation_weight : float, default=0.03
        Weight of the decorrelation term on the shared codes (squared
        off-diagonal correlations plus a variance floor). 0 switches it off.
    orthogonality_weight : float, default=0.3
        Weight of the shared/private orthogonality term. 0 switches it off.
        The three weights were chosen together on OULAD presentations no
        benchmark evaluates on (``benchmarks/tune_defaults.md``): scaling the
        earlier 0.1/0.01/0.1 by 2 or 3 scored higher in every fold, by 5 in
        two of three, by 10 lower.
    temperature : float, default=0.1
        Temperature of the InfoNCE alignment term.
    missing_strategy : {"none", "dropout", "distill"}, default="dropout"
        How training prepares the model for missing modalities. ``"none"``:
        train on the data as given. ``"dropout"``: hide each present modality of
        a training sample with probability ``missing_rate`` (never all of a
        sample's); the default because it also regularises when nothing is
        missing (chosen on OULAD presentations no benchmark evaluates on, see
        ``benchmarks/tune_defaults.py``). ``"distill"`` (CorrKD): train
        a teacher on the samples with every modality present (outside the
        student's validation split with ``early_stopping``), freeze it, then
        train a student of the same architecture, initialised from the teacher,
        on randomly incomplete inputs (rate ``missing_rate``) with the task loss
        plus the three distillation terms below. Only the student predicts.
    missing_rate : float, default=0.3
        Per-sample probability of hiding each modality for ``"dropout"`` and
        ``"distill"``; unused with ``"none"``.
    contrastive_distillation_weight : float, default=0.1
        Weight of sample-level contrastive distillation between student and
        teacher fused codes (``"distill"`` only).
    prototype_distillation_weight : float, default=0.1
        Weight of category-guided prototype distillation; regression uses 5
        target-quantile bins as categories (``"distill"`` only).
    response_distillation_weight : float, default=0.1
        Weight of response-disentangled consistency distillation of the logits
        (classification); regression matches the teacher's predictions with a
        squared error instead (``"distill"`` only).
    response_estimator : {"js", "kl"}, default="kl"
        KL divergence between the decoupled teacher and student responses, or
        the Jensen-Shannon mutual-information estimator named by CorrKD (whose
        gradient is about an order of magnitude weaker).
    max_iter : int, default=100
        Maximum number of epochs (passes over the training data).
    batch_size : int, default=64
        Number of samples per minibatch.
    learning_rate_init : float, default=1e-3
        Initial learning rate of the AdamW optimiser.
    learning_rate : {"constant", "adaptive", "cosine"}, default="constant"
        Learning-rate schedule over the epochs. ``"constant"`` keeps
        ``learning_rate_init``. ``"adaptive"`` divides it by 5 each time the
        monitored loss (the validation loss with ``early_stopping``, else the
        training loss) has not improved by ``tol`` for 3 epochs in a
        row (``ReduceLROnPlateau(patience=2)``), an adaptive schedule like
        scikit-learn's ``MLPClassifier``'s. ``"cosine"`` anneals it to 0 over
        ``max_iter`` epochs (of a fit, or of ``partial_fit`` calls from the
        first; calls after a ``fit`` each start again at ``learning_rate_init``).
    alpha : float, default=1e-4
        Weight decay (decoupled L2 penalty) of AdamW.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the training data (stratified for
        classification), stop when the validation loss has not improved by
        ``tol`` for ``n_iter_no_change`` epochs and restore the best weights.
        When False, training stops when the training loss stalls likewise.
        ``"auto"``: True in a ``fit`` on at least 200 samples, False on fewer
        and in ``partial_fit``; ``do_early_stopping_`` records the choice.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement of at least ``tol`` before stopping.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss that counts as improvement.
    warm_start : bool, default=False
        Reuse the fitted network and input scaling and continue training.
    device : str, default="cpu"
        Torch device to train on: ``"cpu"``, ``"cuda"``, ``"cuda:N"``,
        ``"mps"``, or ``"auto"`` (CUDA when torch sees a CUDA GPU, else the
        CPU). ``fit`` raises a ValueError naming ``device`` when torch cannot
        parse it or this machine does not have that device.
    n_jobs : int, default=None
        Number of networks of the average that ``fit`` trains at a time, each
        in a joblib worker process with ``cpu_count // n_jobs`` torch threads;
        the networks are the same whatever the value. ``None`` means 1 unless
        in a :obj:`joblib.parallel_backend` context; ``-1`` means all
        processors. A warm start and ``partial_fit`` train the networks in one
        process.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch shuffling, dropout and the validation
        split. With an int, two fits give identical predictions on CPU. Torch's
        global random state is left unchanged.
    verbose : int, default=0
        Print a line of training statistics per epoch when positive.

    Attributes
    ----------
    modalities_ : dict of str to int or tuple
        Modality name -> number of features, or ``(n_steps, n_features)`` for a
        sequence modality, in the order the network uses.
    modality_importances_ : ndarray of shape (n_modalities,)
        Mean of ``modality_weights`` over the training samples (at most 10,000
        of them, evenly spaced), columns following ``modalities_``: with a gated
        ``fusion``, how much each modality drives the predictions on the training
        data, absent modalities counting 0; with the default concatenation, only
        how often each modality is present.
    n_features_in_ : int
        Number of features seen during fit, summed over modalities.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the training history: per-epoch losses and, per batch,
        the unweighted auxiliary terms (``history[:, "batches", :, "alignment"]``).
    n_iter_ : int
        Number of epochs run (accumulated over warm starts).
    loss_curve_ : list of float
        Training loss (task plus weighted auxiliary terms) after each epoch.
    validation_scores_ : list of float
        Validation loss (task plus weighted auxiliary terms, as the training loss;
        without CorrKD's distillation terms) after each epoch (NaN for the
        epochs of earlier warm-started fits that held out nothing); only when
        the last fit held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
    n_networks_ : int
        Number of networks the model averages (``n_networks``, "auto" resolved).
    teacher_net_ : skorch.NeuralNet
        The frozen teacher; only with ``missing_strategy="distill"``.

    See Also
    --------
    DSRSDClassifier : The same network for classification.

    Examples
    --------
    >>> from sklearn_dsrsd import DSRSDRegressor
    >>> from sklearn_dsrsd.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(n_samples=200, random_state=0)
    >>> reg = DSRSDRegressor(max_iter=20, random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (200,)
    """

    # fusion="auto": plain concatenation scored higher than the gated fusion on both
    # regression tuning tasks and was mixed on the classification ones (tune_defaults.md).
    _auto_fusion = "concat"
