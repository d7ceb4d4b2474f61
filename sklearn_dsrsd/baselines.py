"""Baseline estimators to compare DSRSD-Net against.

Four families, each as a classifier and a regressor:

- :class:`SingleModalityClassifier` / :class:`SingleModalityRegressor`: one
  named modality only;
- :class:`EarlyFusionClassifier` / :class:`EarlyFusionRegressor`: all
  modalities concatenated (with presence indicators), then one model;
- :class:`LateFusionClassifier` / :class:`LateFusionRegressor`: one model per
  modality, predictions averaged over the modalities present;
- :class:`CoAttentionClassifier` / :class:`CoAttentionRegressor`: cross-modal
  multi-head attention over tokens of all modalities.

They share DSRSD's estimator base
(:class:`~sklearn_dsrsd._base.MultimodalNetEstimator`): the same input forms
and missing-modality semantics, the same optimiser (AdamW), epochs, batch
size, early stopping and seeding, under the same hyperparameter names and
defaults. A comparison between them and DSRSD therefore measures the
architecture, not the training budget.

The single-modality and early-fusion baselines can instead wrap any
scikit-learn estimator (``estimator=...``). The wrapped estimator is fitted on
features built by the same input handling as the networks: the standardised,
flattened blocks (absent values imputed with the training mean, i.e. 0), plus
the presence indicators for early fusion. On this path the fitted attribute
is ``estimator_``; on the neural path (``estimator=None``) it is ``net_``, never
both.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context, clone
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from ._base import (
    ClassifierTask,
    MultimodalNetEstimator,
    RegressorTask,
)
from ._inputs import ModalityBatch
from ._modules import (
    CoAttentionModule,
    EarlyFusionModule,
    LateFusionModule,
    SingleModalityModule,
    uniform_weights,
)

__all__ = [
    "CoAttentionClassifier",
    "CoAttentionRegressor",
    "EarlyFusionClassifier",
    "EarlyFusionRegressor",
    "LateFusionClassifier",
    "LateFusionRegressor",
    "SingleModalityClassifier",
    "SingleModalityRegressor",
]


class _BaselineBase(MultimodalNetEstimator):
    """Neural baselines: the training hyperparameters of the base plus encoder sizes."""

    def _common_kwargs(self) -> dict[str, Any]:
        return {"hidden_size": self.hidden_size, "dropout": self.dropout}


# -- the wrapped-estimator path ---------------------------------------------------------------


def _on_wrapped_path(estimator: Any) -> bool:
    """Whether the fitted model is a wrapped estimator (before fit: whether it will be).

    The fitted state decides, not the ``estimator`` parameter: as in scikit-learn, a
    parameter set after fit takes effect at the next fit, and the fitted model predicts.
    """
    if hasattr(estimator, "estimator_"):
        return True
    if hasattr(estimator, "net_"):
        return False
    return estimator.estimator is not None


def _wrapped_has(method: str):
    """``available_if`` check: the neural path has every method; a wrapped one only its own."""

    def check(self) -> bool:
        if not _on_wrapped_path(self):
            return True
        wrapped = getattr(self, "estimator_", self.estimator)
        return hasattr(wrapped, method)

    return check


def _neural_path(estimator: Any) -> bool:
    """``available_if`` check for methods only the network has (``partial_fit``)."""
    return not _on_wrapped_path(estimator)


class _WrappedEstimatorMixin:
    """Dispatch between the neural path and a wrapped scikit-learn estimator.

    Sits before the task mixin in the MRO. With ``estimator=None`` every public
    method defers to the neural implementation (``super()``); otherwise ``fit``
    fits ``clone(estimator)`` as ``estimator_`` on :meth:`_wrapped_features` of the
    standardised input and the prediction methods delegate to it. The family
    base (after this mixin in the MRO) supplies ``_prepare_wrapped()`` (run once
    the schema is fitted), ``_wrapped_features(batch)`` (the feature matrix) and
    ``_static_weights(mask)`` (the modality weights the family's network
    reports, computed from the presence mask alone).
    """

    _neural_attributes = ("net_", "loss_curve_", "validation_scores_", "do_early_stopping_")

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
            Non-negative weight of each sample in the input standardisation and
            in the task loss of the network, or passed to the wrapped estimator's
            ``fit``, which must accept it.
        groups : array-like of shape (n_samples,), default=None
            Group labels of the samples, such as the student of each response. When
            the network holds out validation data for early stopping, it holds out
            whole groups (``validation_fraction`` of them), so that early stopping
            keeps the epoch that predicts best for groups it has not trained on.
            Not used with a wrapped ``estimator``, whose ``fit`` does not receive it.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if self.estimator is None:
            self._forget(("estimator_",))
            return super().fit(X, y, sample_weight, groups)
        self._forget(self._neural_attributes)
        self._check_y_given(y)
        if sample_weight is not None and not has_fit_parameter(self.estimator, "sample_weight"):
            raise TypeError(
                f"sample_weight was given, but the wrapped estimator "
                f"{type(self.estimator).__name__} does not accept sample_weight in fit."
            )
        try:
            batch, sample_weight = self._fit_inputs(X, sample_weight)
            self._check_y_length(y, batch.n_samples)
            self._prepare_wrapped()
            fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
            self.estimator_ = clone(self.estimator).fit(
                self._features_for_wrapped(batch), y, **fit_params
            )
        except Exception:
            # As on the neural path: the new input schema must not serve the old estimator_.
            self._discard_fitted_state()
            raise
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        self.modality_importances_ = (
            self._static_weights(torch.from_numpy(batch.modality_mask)).numpy().mean(axis=0)
        )
        # The wrapped estimator's iterations (its largest, when it reports one per class or
        # target), or 1 for an estimator fitted in one pass, as scikit-learn's checks expect.
        n_iter = getattr(self.estimator_, "n_iter_", None)
        self.n_iter_ = 1 if n_iter is None else int(np.max(n_iter))
        return self

    def _forget(self, names: tuple[str, ...]) -> None:
        for name in names:
            if hasattr(self, name):
                delattr(self, name)

    def _features_for_wrapped(self, batch: ModalityBatch) -> np.ndarray:
        # float64, as scikit-learn estimators are fitted and predict (a float32 input makes
        # some of them predict in float32).
        return self._wrapped_features(batch).astype(np.float64)

    def _wrapped(self, method: str, X: Any) -> np.ndarray:
        """``method`` of the fitted wrapped estimator on ``X``; NotFittedError before fit."""
        check_is_fitted(self)
        features = self._features_for_wrapped(self._schema.batch(X, self))
        return getattr(self.estimator_, method)(features)

    def predict(self, X: Any) -> np.ndarray:
        """Predict targets (classes for a classifier).

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        if not _on_wrapped_path(self):
            return super().predict(X)
        return self._wrapped("predict", X)

    def modality_weights(self, X: Any) -> np.ndarray:
        """Per-sample weight of each modality in the prediction.

        0 for absent modalities; see the class description for how each
        baseline defines it. Columns follow ``modalities_``.

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
        if not _on_wrapped_path(self):
            return super().modality_weights(X)
        check_is_fitted(self)
        batch = self._schema.batch(X, self)  # the presence mask alone: no feature matrix
        return self._weights_output(
            X, self._static_weights(torch.from_numpy(batch.modality_mask)).numpy()
        )


class _WrappedRegressorMixin(_WrappedEstimatorMixin):
    """Adds ``partial_fit`` for regressors on the neural path."""

    @available_if(_neural_path)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train the network for one epoch (``estimator=None`` only).

        See :meth:`sklearn_dsrsd.DSRSDRegressor.partial_fit`.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the task loss.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return super().partial_fit(X, y, sample_weight)


class _WrappedClassifierMixin(_WrappedEstimatorMixin):
    """Adds ``predict_proba`` and ``decision_function`` delegation for classifiers."""

    @available_if(_neural_path)
    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> Any:
        """Train the network for one epoch (``estimator=None`` only).

        See :meth:`sklearn_dsrsd.DSRSDClassifier.partial_fit`.

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class label; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the task loss.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return super().partial_fit(X, y, classes, sample_weight)

    @available_if(_wrapped_has("predict_proba"))
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
        if not _on_wrapped_path(self):
            return super().predict_proba(X)
        return self._wrapped("predict_proba", X)

    @available_if(lambda self: _on_wrapped_path(self) and _wrapped_has("decision_function")(self))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function of the wrapped estimator (wrapped path only).

        Parameters
        ----------
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form used in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._wrapped("decision_function", X)


# -- the four families -----------------------------------------------------------------------


class _SingleModalityBase(_BaselineBase):
    _parameter_constraints: dict = {
        **MultimodalNetEstimator._parameter_constraints,
        "modality": [str, None],
        "estimator": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(
        self,
        *,
        modality: str | None = None,
        estimator: Any = None,
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
        self.modality = modality
        self.estimator = estimator

    def _resolve_modality(self) -> int:
        """Index of the chosen modality in the fitted schema; sets ``modality_``."""
        names = self._schema.names
        if self.modality is None:
            index = 0
        elif self.modality in names:
            index = names.index(self.modality)
        else:
            raise ValueError(
                f"modality={self.modality!r} is not one of the modalities found in X: {names}."
            )
        self.modality_ = names[index]
        return index

    def _module_spec(self, modality_shapes, n_outputs):
        return SingleModalityModule, {
            "modality_shapes": modality_shapes,
            "n_outputs": n_outputs,
            "modality_index": self._resolve_modality(),
            **self._common_kwargs(),
        }

    def _prepare_wrapped(self) -> None:
        self._resolve_modality()

    def _wrapped_features(self, batch: ModalityBatch) -> np.ndarray:
        block = batch.blocks[self._schema.names.index(self.modality_)]
        return block.reshape(batch.n_samples, -1)

    def _static_weights(self, modality_mask: torch.Tensor) -> torch.Tensor:
        index = self._schema.names.index(self.modality_)
        weights = torch.zeros(modality_mask.shape, dtype=torch.float64)
        weights[:, index] = modality_mask[:, index].to(torch.float64)
        return weights


class _EarlyFusionBase(_BaselineBase):
    _parameter_constraints: dict = {
        **MultimodalNetEstimator._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(
        self,
        *,
        estimator: Any = None,
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
        self.estimator = estimator

    def _module_spec(self, modality_shapes, n_outputs):
        return EarlyFusionModule, {
            "modality_shapes": modality_shapes,
            "n_outputs": n_outputs,
            **self._common_kwargs(),
        }

    def _prepare_wrapped(self) -> None:
        pass

    def _wrapped_features(self, batch: ModalityBatch) -> np.ndarray:
        parts = [block.reshape(batch.n_samples, -1) for block in batch.blocks]
        return np.hstack([*parts, batch.modality_mask.astype(np.float32)])

    def _static_weights(self, modality_mask: torch.Tensor) -> torch.Tensor:
        return uniform_weights(modality_mask, torch.float64)


class _LateFusionBase(_BaselineBase):
    _parameter_constraints: dict = {**MultimodalNetEstimator._parameter_constraints}

    def _module_spec(self, modality_shapes, n_outputs):
        return LateFusionModule, {
            "modality_shapes": modality_shapes,
            "n_outputs": n_outputs,
            "task": "classification" if isinstance(self, ClassifierTask) else "regression",
            **self._common_kwargs(),
        }


class _CoAttentionBase(_BaselineBase):
    _parameter_constraints: dict = {
        **MultimodalNetEstimator._parameter_constraints,
        "n_tokens": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        n_tokens: int = 4,
        n_heads: int = 4,
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
        self.n_tokens = n_tokens
        self.n_heads = n_heads

    def _module_spec(self, modality_shapes, n_outputs):
        if self.hidden_size % self.n_heads:
            raise ValueError(
                f"hidden_size must be divisible by n_heads; got hidden_size={self.hidden_size} "
                f"and n_heads={self.n_heads}."
            )
        return CoAttentionModule, {
            "modality_shapes": modality_shapes,
            "n_outputs": n_outputs,
            "n_tokens": self.n_tokens,
            "n_heads": self.n_heads,
            **self._common_kwargs(),
        }


# -- public estimators ------------------------------------------------------------------------


class SingleModalityClassifier(
    _WrappedClassifierMixin, ClassifierTask, ClassifierMixin, _SingleModalityBase
):
    """Classification baseline that uses one modality only.

    With ``estimator=None``, the chosen modality is encoded like in DSRSD (an
    MLP for a 2-D block, a temporal convolution for a 3-D block) and an MLP
    head predicts. A sample that lacks the modality is predicted from its
    imputed block (the training mean). ``modality_weights`` is 1 on the chosen
    modality where it is present and 0 everywhere else (a row of zeros when
    the chosen modality is absent: no modality informs that prediction).

    Parameters
    ----------
    modality : str, default=None
        Name of the modality to use (a key of ``X`` or of ``modalities``, a
        ``ColumnTransformer`` prefix, or ``"X"`` for plain 2-D input). None
        uses the first modality.
    estimator : estimator object, default=None
        None trains the network described above. Otherwise a scikit-learn
        classifier is cloned and fitted on the flattened standardised block of
        ``modality``; ``predict``, ``predict_proba`` and ``decision_function``
        (where it has them) delegate to it. The features come from the same
        input handling as the network: each block standardised with training
        statistics, absent values imputed with the training mean (0), 3-D blocks
        flattened. ``warm_start`` and the network's training parameters do not
        apply to it.
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the encoder and of the head (neural path).
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        Mean of ``modality_weights`` over the training samples (on the neural
        path at most 10,000 of them, evenly spaced; on the wrapped path all of
        them), columns following ``modalities_``: how much each
        modality drives the predictions on the training data, absent modalities
        counting 0.
    n_features_in_ : int
        Number of features seen during fit, summed over modalities.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the per-epoch history. Only on the neural path
        (``estimator=None``).
    n_iter_ : int
        Number of epochs run (accumulated over warm starts). On the wrapped
        path: the wrapped estimator's ``n_iter_`` (its largest entry), or 1 when
        it reports none.
    loss_curve_ : list of float
        Training loss after each epoch. Only on the neural path
        (``estimator=None``).
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
        Only on the neural path (``estimator=None``).
    estimator_ : estimator object
        The fitted clone of ``estimator``. Only on the wrapped path.
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    See Also
    --------
    SingleModalityRegressor : The same baseline for regression.
    EarlyFusionClassifier : All modalities concatenated.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_dsrsd.baselines import SingleModalityClassifier
    >>> clf = SingleModalityClassifier(modality="a", max_iter=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (100, 2)
    >>> clf.modality_weights(X)[0]
    array([1., 0.])
    >>> wrapped = SingleModalityClassifier(modality="b", estimator=LogisticRegression())
    >>> wrapped.fit(X, y).estimator_.coef_.shape
    (1, 2)
    """


class SingleModalityRegressor(
    _WrappedRegressorMixin, RegressorTask, RegressorMixin, _SingleModalityBase
):
    """Regression baseline that uses one modality only.

    With ``estimator=None``, the chosen modality is encoded like in DSRSD (an
    MLP for a 2-D block, a temporal convolution for a 3-D block) and an MLP
    head predicts. A sample that lacks the modality is predicted from its
    imputed block (the training mean). ``modality_weights`` is 1 on the chosen
    modality where it is present and 0 everywhere else (a row of zeros when
    the chosen modality is absent: no modality informs that prediction).

    Parameters
    ----------
    modality : str, default=None
        Name of the modality to use (a key of ``X`` or of ``modalities``, a
        ``ColumnTransformer`` prefix, or ``"X"`` for plain 2-D input). None
        uses the first modality.
    estimator : estimator object, default=None
        None trains the network described above. Otherwise a scikit-learn
        regressor is cloned and fitted on the flattened standardised block of
        ``modality``; ``predict`` and ``score`` delegate to it. The features
        come from the same input handling as the network: each block
        standardised with training statistics, absent values imputed with the
        training mean (0), 3-D blocks flattened. ``warm_start`` and the
        network's training parameters do not apply to it.
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the encoder and of the head (neural path).
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        Mean of ``modality_weights`` over the training samples (on the neural
        path at most 10,000 of them, evenly spaced; on the wrapped path all of
        them), columns following ``modalities_``: how much each
        modality drives the predictions on the training data, absent modalities
        counting 0.
    n_features_in_ : int
        Number of features seen during fit, summed over modalities.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the per-epoch history. Only on the neural path
        (``estimator=None``).
    n_iter_ : int
        Number of epochs run (accumulated over warm starts). On the wrapped
        path: the wrapped estimator's ``n_iter_`` (its largest entry), or 1 when
        it reports none.
    loss_curve_ : list of float
        Training loss after each epoch. Only on the neural path
        (``estimator=None``).
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
        Only on the neural path (``estimator=None``).
    estimator_ : estimator object
        The fitted clone of ``estimator``. Only on the wrapped path.

    See Also
    --------
    SingleModalityClassifier : The same baseline for classification.
    EarlyFusionRegressor : All modalities concatenated.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn_dsrsd.baselines import SingleModalityRegressor
    >>> reg = SingleModalityRegressor(max_iter=20, random_state=0).fit(X, X["a"][:, 0])
    >>> reg.modality_
    'a'
    >>> reg.predict(X).shape
    (100,)
    """


class EarlyFusionClassifier(
    _WrappedClassifierMixin, ClassifierTask, ClassifierMixin, _EarlyFusionBase
):
    """Classification baseline that concatenates all modalities before one model.

    With ``estimator=None``, each block is flattened (a 3-D block
    ``(n, T, d)`` becomes ``T * d`` features: the raw inputs meet before any
    per-modality processing), the blocks and the ``modality_mask`` presence
    indicators are concatenated, and an MLP of the same depth as DSRSD's
    encoder plus head predicts. Absent modalities are imputed with the training
    mean (0 after standardisation); the indicators tell imputed from observed.
    ``modality_weights`` is uniform over the modalities present in a sample.

    Parameters
    ----------
    estimator : estimator object, default=None
        None trains the network described above. Otherwise a scikit-learn
        classifier is cloned and fitted on the concatenated flattened
        standardised blocks followed by one presence indicator per modality;
        ``predict``, ``predict_proba`` and ``decision_function`` (where it has
        them) delegate to it. The features come from the same input handling as
        the network: each block standardised with training statistics, absent
        values imputed with the training mean (0), 3-D blocks flattened.
        ``warm_start`` and the network's training parameters do not apply to it.
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the hidden layers of the MLP (neural path).
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        Mean of ``modality_weights`` over the training samples (on the neural
        path at most 10,000 of them, evenly spaced; on the wrapped path all of
        them), columns following ``modalities_``: how much each
        modality drives the predictions on the training data, absent modalities
        counting 0.
    n_features_in_ : int
        Number of features seen during fit, summed over modalities.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the per-epoch history. Only on the neural path
        (``estimator=None``).
    n_iter_ : int
        Number of epochs run (accumulated over warm starts). On the wrapped
        path: the wrapped estimator's ``n_iter_`` (its largest entry), or 1 when
        it reports none.
    loss_curve_ : list of float
        Training loss after each epoch. Only on the neural path
        (``estimator=None``).
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
        Only on the neural path (``estimator=None``).
    estimator_ : estimator object
        The fitted clone of ``estimator``. Only on the wrapped path.
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    See Also
    --------
    EarlyFusionRegressor : The same baseline for regression.
    LateFusionClassifier : One model per modality, predictions averaged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn_dsrsd.baselines import EarlyFusionClassifier
    >>> clf = EarlyFusionClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (100, 2)
    >>> clf.modality_weights(X)[0]
    array([0.5, 0.5])
    >>> gbm = EarlyFusionClassifier(estimator=HistGradientBoostingClassifier(max_iter=10))
    >>> gbm.fit(X, y).predict(X).shape
    (100,)
    """


class EarlyFusionRegressor(
    _WrappedRegressorMixin, RegressorTask, RegressorMixin, _EarlyFusionBase
):
    """Regression baseline that concatenates all modalities before one model.

    With ``estimator=None``, each block is flattened (a 3-D block
    ``(n, T, d)`` becomes ``T * d`` features: the raw inputs meet before any
    per-modality processing), the blocks and the ``modality_mask`` presence
    indicators are concatenated, and an MLP of the same depth as DSRSD's
    encoder plus head predicts. Absent modalities are imputed with the training
    mean (0 after standardisation); the indicators tell imputed from observed.
    ``modality_weights`` is uniform over the modalities present in a sample.

    Parameters
    ----------
    estimator : estimator object, default=None
        None trains the network described above. Otherwise a scikit-learn
        regressor is cloned and fitted on the concatenated flattened
        standardised blocks followed by one presence indicator per modality;
        ``predict`` and ``score`` delegate to it. The features come from the
        same input handling as the network: each block standardised with
        training statistics, absent values imputed with the training mean (0),
        3-D blocks flattened. ``warm_start`` and the network's training
        parameters do not apply to it.
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the hidden layers of the MLP (neural path).
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        Mean of ``modality_weights`` over the training samples (on the neural
        path at most 10,000 of them, evenly spaced; on the wrapped path all of
        them), columns following ``modalities_``: how much each
        modality drives the predictions on the training data, absent modalities
        counting 0.
    n_features_in_ : int
        Number of features seen during fit, summed over modalities.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the per-epoch history. Only on the neural path
        (``estimator=None``).
    n_iter_ : int
        Number of epochs run (accumulated over warm starts). On the wrapped
        path: the wrapped estimator's ``n_iter_`` (its largest entry), or 1 when
        it reports none.
    loss_curve_ : list of float
        Training loss after each epoch. Only on the neural path
        (``estimator=None``).
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
        Only on the neural path (``estimator=None``).
    estimator_ : estimator object
        The fitted clone of ``estimator``. Only on the wrapped path.

    See Also
    --------
    EarlyFusionClassifier : The same baseline for classification.
    LateFusionRegressor : One model per modality, predictions averaged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_dsrsd.baselines import EarlyFusionRegressor
    >>> target = X["a"][:, 0] + X["b"][:, 1]
    >>> reg = EarlyFusionRegressor(estimator=Ridge()).fit(X, target)
    >>> reg.estimator_.coef_.shape  # 3 + 2 features and 2 presence indicators
    (7,)
    >>> round(reg.score(X, target), 2)
    1.0
    """


class LateFusionClassifier(ClassifierTask, ClassifierMixin, _LateFusionBase):
    """Classification baseline with one model per modality, predictions averaged.

    Each modality has its own encoder (as in DSRSD: an MLP for a 2-D block, a
    temporal convolution for a 3-D block) and MLP head. For each sample the
    per-modality predictions are averaged over the modalities present in that
    sample: the class probabilities are averaged (the network's logits are the
    log of the average, so that the cross-entropy applies to it). All
    per-modality models are trained jointly on the loss of the averaged
    prediction. ``modality_weights`` is uniform over the modalities present in a
    sample (the averaging weights).

    Parameters
    ----------
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of each modality's encoder and head.
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        ``net_.history`` the per-epoch history.
    n_iter_ : int
        Number of epochs run (accumulated over warm starts).
    loss_curve_ : list of float
        Training loss after each epoch.
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    See Also
    --------
    LateFusionRegressor : The same baseline for regression.
    EarlyFusionClassifier : All modalities concatenated.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn_dsrsd.baselines import LateFusionClassifier
    >>> clf = LateFusionClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (100, 2)
    >>> X_missing = {"a": X["a"], "b": None}  # modality b absent at predict
    >>> clf.modality_weights(X_missing)[0]
    array([1., 0.])
    """


class LateFusionRegressor(RegressorTask, RegressorMixin, _LateFusionBase):
    """Regression baseline with one model per modality, predictions averaged.

    Each modality has its own encoder (as in DSRSD: an MLP for a 2-D block, a
    temporal convolution for a 3-D block) and MLP head. For each sample the
    per-modality predictions are averaged over the modalities present in that
    sample (the outputs are averaged). All per-modality models are trained
    jointly on the loss of the averaged prediction. ``modality_weights`` is
    uniform over the modalities present in a sample (the averaging weights).

    Parameters
    ----------
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of each modality's encoder and head.
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        ``net_.history`` the per-epoch history.
    n_iter_ : int
        Number of epochs run (accumulated over warm starts).
    loss_curve_ : list of float
        Training loss after each epoch.
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).

    See Also
    --------
    LateFusionClassifier : The same baseline for classification.
    EarlyFusionRegressor : All modalities concatenated.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn_dsrsd.baselines import LateFusionRegressor
    >>> reg = LateFusionRegressor(max_iter=20, random_state=0).fit(X, X["a"][:, 0])
    >>> reg.predict(X).shape
    (100,)
    """


class CoAttentionClassifier(ClassifierTask, ClassifierMixin, _CoAttentionBase):
    """Classification baseline with cross-modal multi-head attention over modality tokens.

    Each modality is turned into tokens of width ``hidden_size``: a 2-D block
    into ``n_tokens`` tokens by one linear projection, a 3-D block into one
    token per step; tokens carry learned modality (and step) embeddings. One
    transformer block -- ``torch.nn.MultiheadAttention`` with ``n_heads`` heads,
    residual connections, layer norms and a feed-forward layer -- lets every
    token attend to the tokens of all modalities present in the sample (absent
    modalities are masked out of the keys). The tokens of present modalities
    are mean-pooled and an MLP head predicts. ``modality_weights`` is the
    attention mass each modality receives, averaged over heads and over the
    query tokens of present modalities.

    Parameters
    ----------
    n_tokens : int, default=4
        Number of tokens a 2-D block is projected to (a 3-D block gives one
        token per step).
    n_heads : int, default=4
        Number of attention heads; must divide ``hidden_size``.
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the tokens (attention embedding) and of the head.
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        ``net_.history`` the per-epoch history.
    n_iter_ : int
        Number of epochs run (accumulated over warm starts).
    loss_curve_ : list of float
        Training loss after each epoch.
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    See Also
    --------
    CoAttentionRegressor : The same baseline for regression.
    LateFusionClassifier : One model per modality, predictions averaged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn_dsrsd.baselines import CoAttentionClassifier
    >>> clf = CoAttentionClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (100, 2)
    >>> bool(np.allclose(clf.modality_weights(X).sum(axis=1), 1.0))
    True
    """


class CoAttentionRegressor(RegressorTask, RegressorMixin, _CoAttentionBase):
    """Regression baseline with cross-modal multi-head attention over modality tokens.

    Each modality is turned into tokens of width ``hidden_size``: a 2-D block
    into ``n_tokens`` tokens by one linear projection, a 3-D block into one
    token per step; tokens carry learned modality (and step) embeddings. One
    transformer block -- ``torch.nn.MultiheadAttention`` with ``n_heads`` heads,
    residual connections, layer norms and a feed-forward layer -- lets every
    token attend to the tokens of all modalities present in the sample (absent
    modalities are masked out of the keys). The tokens of present modalities
    are mean-pooled and an MLP head predicts. ``modality_weights`` is the
    attention mass each modality receives, averaged over heads and over the
    query tokens of present modalities.

    Parameters
    ----------
    n_tokens : int, default=4
        Number of tokens a 2-D block is projected to (a 3-D block gives one
        token per step).
    n_heads : int, default=4
        Number of attention heads; must divide ``hidden_size``.
    modalities : dict of str to column selector, default=None
        For 2-D array or DataFrame input: modality name -> columns (list of
        names or indices, boolean mask or slice). With None, a DataFrame whose
        columns all look like ``name__feature`` (``ColumnTransformer`` output)
        is split by prefix and any other 2-D input is one modality ``"X"``.
        Must be None when ``X`` is a mapping of modalities.
    hidden_size : int, default=64
        Width of the tokens (attention embedding) and of the head.
    dropout : float, default=0.1
        Dropout probability inside the encoders and the head.
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
        ``net_.history`` the per-epoch history.
    n_iter_ : int
        Number of epochs run (accumulated over warm starts).
    loss_curve_ : list of float
        Training loss after each epoch.
    validation_scores_ : list of float
        Validation loss after each epoch (NaN for the epochs of earlier
        warm-started fits that held out nothing); only when the last fit
        held out validation data (``do_early_stopping_``).
    do_early_stopping_ : bool
        Whether the last ``fit`` held out validation data for early stopping
        (``early_stopping=True``, or ``"auto"`` as described under ``early_stopping``).

    See Also
    --------
    CoAttentionClassifier : The same baseline for classification.
    LateFusionRegressor : One model per modality, predictions averaged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 2))}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> from sklearn_dsrsd.baselines import CoAttentionRegressor
    >>> reg = CoAttentionRegressor(max_iter=20, random_state=0).fit(X, X["a"][:, 0])
    >>> reg.predict(X).shape
    (100,)
    """
