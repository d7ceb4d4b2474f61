"""Transformers of modality blocks, for use at the head of a pipeline.

* :class:`ContentTargetEncoder` target-encodes one block (by default the ``"content"`` ids
  of :func:`~sklearn_dsrsd.datasets.build_next_step_features`) with cross fitting, so
  that, inside a pipeline, the encoding is learnt from the training folds only.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.preprocessing import TargetEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._modality_dict import ModalityDict

__all__ = ["ContentTargetEncoder"]


def _check_targets_given(y: Any) -> None:
    if y is None:
        raise ValueError("ContentTargetEncoder needs the targets y to be fitted; got y=None.")


def _target_encoder_takes_splitter() -> bool:
    """Whether ``TargetEncoder(cv=...)`` accepts a splitter (scikit-learn >= 1.9)."""
    return "cv_object" in str(TargetEncoder._parameter_constraints.get("cv", ""))


class ContentTargetEncoder(TransformerMixin, BaseEstimator):
    """Target-encode one modality (by default ``"content"``) of a ModalityDict.

    A thin wrapper around :class:`sklearn.preprocessing.TargetEncoder` that reads the
    block ``modality`` of a mapping of modality blocks, replaces it by its target
    encoding and passes every other block through untouched. Put it first in a
    :class:`~sklearn.pipeline.Pipeline` so that, under cross-validation, the encoding
    is learnt from the training folds only:

    - ``fit_transform(X, y)`` (what a pipeline calls on training rows) cross-fits: each
      row is encoded with the encoding learnt on the other inner folds, so no training
      row is encoded with its own target;
    - ``transform(X)`` (test rows) uses the encoding fitted on all the training rows;
      test targets are never seen. Unknown categories get the training target mean.

    Parameters
    ----------
    modality : str, default="content"
        The block to encode; each of its columns is one categorical feature.
    target_type : {"auto", "continuous", "binary", "multiclass"}, default="auto"
        Passed to ``TargetEncoder``.
    smooth : "auto" or float, default="auto"
        Passed to ``TargetEncoder``.
    cv : int, cross-validation splitter or iterable of (train, test) splits, default=5
        Inner folds of the cross fitting in ``fit_transform``. An int ``k`` means
        ``StratifiedKFold(k)`` for a binary or multiclass target and ``KFold(k)``
        otherwise, shuffled as ``shuffle`` and ``random_state`` say. A splitter that
        takes groups, such as :class:`~sklearn.model_selection.GroupKFold`, keeps the
        inner folds student-disjoint: pass the groups to ``fit_transform`` (in a
        pipeline, enable metadata routing and call ``set_fit_request(groups=True)``,
        or pass them as ``contenttargetencoder__groups``). Before scikit-learn 1.9,
        whose ``TargetEncoder`` takes an int ``cv`` only, the cross fitting with a
        splitter is done here, one encoder per inner fold, with the same result.
    shuffle : bool, default=True
        Shuffle the rows before the inner split (int ``cv`` only).
    random_state : int, RandomState instance or None, default=None
        Seed of that shuffle (int ``cv`` with ``shuffle=True`` only).

    Attributes
    ----------
    encoder_ : sklearn.preprocessing.TargetEncoder
        The encoder fitted on all the training rows of the block (what ``transform``
        uses).
    n_block_features_in_ : int
        Number of columns of the encoded block seen in ``fit``.

    See Also
    --------
    sklearn_dsrsd.datasets.build_next_step_features : Produces the ``"content"`` block.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GroupKFold
    >>> from sklearn_dsrsd import ModalityDict
    >>> from sklearn_dsrsd.preprocessing import ContentTargetEncoder
    >>> X = ModalityDict(history=np.zeros((6, 2)), content=np.array([[1], [1], [1], [2],
    ...                                                               [2], [2]]))
    >>> y = np.array([1, 1, 0, 0, 0, 1])
    >>> enc = ContentTargetEncoder(cv=2, random_state=0).fit(X, y)
    >>> Xt = enc.transform(X)
    >>> Xt["content"].shape, Xt["history"] is X["history"]
    ((6, 1), True)
    >>> # inner folds that keep each student's rows together
    >>> students = np.array([0, 0, 1, 1, 2, 2])
    >>> enc = ContentTargetEncoder(cv=GroupKFold(3))
    >>> enc.fit_transform(X, y, groups=students)["content"].shape
    (6, 1)
    """

    def __init__(
        self,
        modality: str = "content",
        *,
        target_type: str = "auto",
        smooth: str | float = "auto",
        cv: Any = 5,
        shuffle: bool = True,
        random_state: Any = None,
    ) -> None:
        self.modality = modality
        self.target_type = target_type
        self.smooth = smooth
        self.cv = cv
        self.shuffle = shuffle
        self.random_state = random_state

    def _block(self, X: Any) -> np.ndarray:
        if not isinstance(X, Mapping):
            raise TypeError(
                "ContentTargetEncoder expects a mapping of modality blocks (dict or "
                f"ModalityDict); got {type(X).__name__}."
            )
        if self.modality not in X or X[self.modality] is None:
            raise ValueError(
                f"Modality {self.modality!r} is not in X; available modalities: "
                f"{sorted(k for k in X if X[k] is not None)}."
            )
        block = np.asarray(X[self.modality])
        if block.ndim == 1:
            block = block.reshape(-1, 1)
        if block.ndim != 2:
            raise ValueError(
                f"Modality {self.modality!r} must be 2-D (n_samples, n_features); got "
                f"shape {block.shape}."
            )
        return block

    def _splitter(self, y: Any) -> Any:
        """The inner splitter, or ``None`` when ``TargetEncoder`` must build it itself
        (an int ``cv`` before scikit-learn 1.9)."""
        cv = self.cv
        if isinstance(cv, Integral) and not _target_encoder_takes_splitter():
            return None
        target_type = self.target_type
        if target_type == "auto":
            target_type = type_of_target(y, input_name="y")
        classifier = target_type in ("binary", "multiclass")
        if isinstance(cv, Integral):
            # Build the splitter here, as TargetEncoder did before 1.9: its own shuffle
            # and random_state are deprecated from 1.9 on.
            splitter = StratifiedKFold if classifier else KFold
            random_state = self.random_state if self.shuffle else None
            return splitter(n_splits=cv, shuffle=self.shuffle, random_state=random_state)
        return check_cv(cv, y, classifier=classifier)

    def _new_encoder(self, cv: Any) -> TargetEncoder:
        params = {"target_type": self.target_type, "smooth": self.smooth}
        if cv is None:  # scikit-learn < 1.9 with an int cv
            return TargetEncoder(
                cv=self.cv, shuffle=self.shuffle, random_state=self.random_state, **params
            )
        if not _target_encoder_takes_splitter():
            # Before 1.9 the encoder takes an int cv only; fit and transform ignore it.
            return TargetEncoder(**params)
        return TargetEncoder(cv=cv, **params)

    def _cross_fit(self, encoder: TargetEncoder, block: np.ndarray, y: Any, splits: list) -> Any:
        """Out-of-fold encoding of ``block`` over ``splits``, with ``encoder`` fitted on all
        rows; what ``TargetEncoder(cv=splits).fit_transform`` does from scikit-learn 1.9."""
        if _target_encoder_takes_splitter():
            # The splits need no routing; with routing switched on, TargetEncoder (1.9)
            # would look up a "groups" parameter it was not given and fail.
            with sklearn.config_context(enable_metadata_routing=False):
                return encoder.set_params(cv=splits).fit_transform(block, y)
        times_tested = np.zeros(len(block), dtype=int)
        for _, test in splits:
            np.add.at(times_tested, test, 1)
        if np.any(times_tested != 1):
            raise ValueError(
                f"ContentTargetEncoder(cv={self.cv!r}): the inner folds must hold every "
                f"training row in exactly one test fold; {np.sum(times_tested != 1)} of "
                f"{len(block)} rows are not."
            )
        encoder.fit(block, y)
        y = np.asarray(y)
        # A fold's own encoder would learn the fold's classes only (a class absent from it
        # would shift the others); TargetEncoder encodes each class's indicator among all
        # the rows' classes as a continuous target, and so do we, class after class.
        if encoder.target_type_ == "binary":
            targets = [y == encoder.classes_[1]]
        elif encoder.target_type_ == "multiclass":
            targets = [y == label for label in encoder.classes_]
        else:
            targets = [y]
        encoded = np.empty((len(block), block.shape[1] * len(targets)))
        for train, test in splits:
            for k, target in enumerate(targets):
                fold = TargetEncoder(target_type="continuous", smooth=self.smooth)
                fold.fit(block[train], target[train].astype(np.float64))
                # Columns are feature-major (feature 0's classes first), as TargetEncoder's.
                encoded[np.ix_(test, np.arange(k, encoded.shape[1], len(targets)))] = (
                    fold.transform(block[test])
                )
        return encoded

    def _replace(self, X: Mapping, encoded: np.ndarray) -> ModalityDict:
        out = ModalityDict(dict(X.items()))
        out[self.modality] = encoded
        return out

    def fit(self, X: Any, y: Any, groups: Any = None) -> ContentTargetEncoder:
        """Fit the target encoding of the block on the rows of ``X``.

        Parameters
        ----------
        X : mapping of str to array-like
            Modality blocks; only ``X[modality]`` is read.
        y : array-like of shape (n_samples,)
            Targets of the rows of ``X`` (training rows only).
        groups : array-like of shape (n_samples,), default=None
            Unused: ``fit`` learns one encoding from all the rows and does no cross
            fitting. Accepted so that ``fit`` and ``fit_transform`` take the same
            arguments (and the same metadata-routing request).

        Returns
        -------
        self : ContentTargetEncoder
            The fitted transformer.
        """
        _check_targets_given(y)
        block = self._block(X)
        self.encoder_ = self._new_encoder(self._splitter(y)).fit(block, y)
        self.n_block_features_in_ = block.shape[1]
        return self

    def fit_transform(self, X: Any, y: Any = None, groups: Any = None) -> ModalityDict:
        """Fit on ``X`` and return it encoded with cross fitting.

        Parameters
        ----------
        X : mapping of str to array-like
            Modality blocks of the training rows.
        y : array-like of shape (n_samples,)
            Their targets.
        groups : array-like of shape (n_samples,), default=None
            Group of each row (e.g. the student), passed to the ``split`` of a ``cv``
            splitter that takes groups, such as ``GroupKFold``; then no group's rows
            are encoded with that group's own targets. Ignored by an int ``cv``.

        Returns
        -------
        X_out : ModalityDict
            ``X`` with the block replaced by its out-of-fold target encoding.
        """
        _check_targets_given(y)
        block = self._block(X)
        splitter = self._splitter(y)
        encoder = self._new_encoder(splitter)
        if splitter is None:
            encoded = encoder.fit_transform(block, y)
        else:
            # TargetEncoder.fit_transform takes groups only under metadata routing, a
            # global setting; splitting here and handing it the (train, test) pairs
            # uses the groups whatever that setting is.
            try:
                splits = list(splitter.split(block, y, groups))
            except ValueError as exc:
                if groups is None and "groups" in str(exc):
                    raise ValueError(
                        f"ContentTargetEncoder(cv={self.cv!r}) splits by groups, but no "
                        "groups were given: call fit_transform(X, y, groups=...), or, in a "
                        "pipeline, enable metadata routing and call "
                        "set_fit_request(groups=True)."
                    ) from exc
                raise
            encoded = self._cross_fit(encoder, block, y, splits)
            # Keep the splitter in the fitted encoder (pickled with the pipeline), not
            # the index arrays of this fit's splits (an iterable cv holds its own arrays);
            # set_params leaves the fitted state alone.
            if _target_encoder_takes_splitter():
                encoder.set_params(cv=splitter)
        # The other blocks' lengths are checked before the encoder counts as fitted.
        transformed = self._replace(X, encoded)
        self.encoder_ = encoder
        self.n_block_features_in_ = block.shape[1]
        return transformed

    def transform(self, X: Any) -> ModalityDict:
        """Encode the block of ``X`` with the encoding fitted on the training rows.

        Parameters
        ----------
        X : mapping of str to array-like
            Modality blocks.

        Returns
        -------
        X_out : ModalityDict
            ``X`` with the block replaced by its target encoding; other blocks are the
            same objects as in ``X``.
        """
        check_is_fitted(self, "encoder_")
        block = self._block(X)
        if block.shape[1] != self.n_block_features_in_:
            raise ValueError(
                f"Modality {self.modality!r} has {block.shape[1]} columns; "
                f"{self.n_block_features_in_} were seen in fit."
            )
        return self._replace(X, self.encoder_.transform(block))
