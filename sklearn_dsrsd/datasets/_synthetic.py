"""Synthetic multimodal data sets with shared and private latent factors.

``make_multimodal_classification`` and ``make_multimodal_regression`` draw several modalities
(blocks of features) from one latent model:

* ``n_shared`` standard-normal factors are common to every modality;
* each modality has ``n_private`` standard-normal factors of its own;
* the first ``n_features_m - n_noise_m`` columns ("informative" features) of modality ``m`` are
  random unit-norm linear mixtures of the shared factors and the private factors of ``m``, plus
  Gaussian noise of standard deviation ``noise``; the last ``n_noise_m`` columns are pure noise
  with the same variance as the informative ones;
* the target depends on the shared factors *and* on the private factors of every modality, so
  each modality carries information that no other modality has and fusing them beats any single
  one.

Missing modalities follow the package convention: a sample lacks modality ``m`` when all of its
values in ``m`` are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from .._modality_dict import ModalityDict

__all__ = ["make_multimodal_classification", "make_multimodal_regression"]

#: Coefficient of the product of the first two latent factors in the target signal.
_INTERACTION = 0.5

#: Standard deviation of the Gaussian label noise added to ``class_sep * signal``.
_LABEL_NOISE = 0.5

_COMMON_CONSTRAINTS: dict = {
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "n_modalities": [Interval(Integral, 1, None, closed="left")],
    "n_features": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "n_shared": [Interval(Integral, 0, None, closed="left")],
    "n_private": [Interval(Integral, 0, None, closed="left")],
    "n_noise": [None, Interval(Integral, 0, None, closed="left"), "array-like"],
    "modality_scale": [None, "array-like"],
    "missing_rate": [Interval(Real, 0, 1, closed="left")],
    "noise": [Interval(Real, 0, None, closed="left")],
    "modality_names": [None, "array-like"],
    "random_state": ["random_state"],
}


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _per_modality_ints(value, name: str, n_modalities: int, low: int) -> np.ndarray:
    """An int or a sequence of ``n_modalities`` ints (each ``>= low``) -> int array."""
    if _is_int(value):
        values = [int(value)] * n_modalities
    else:
        values = list(value)
        if len(values) != n_modalities:
            raise ValueError(
                f"{name} must be an int or a sequence of n_modalities={n_modalities} ints "
                f"(one per modality); got a sequence of length {len(values)}: {value!r}."
            )
        for item in values:
            if not _is_int(item):
                raise TypeError(
                    f"{name} must contain ints; got {item!r} of type {type(item).__name__} "
                    f"in {value!r}."
                )
    if any(v < low for v in values):
        raise ValueError(f"Every entry of {name} must be >= {low}; got {value!r}.")
    return np.asarray(values, dtype=np.intp)


def _check_params(
    n_samples,
    n_modalities,
    n_features,
    n_shared,
    n_private,
    n_noise,
    modality_scale,
    modality_names,
):
    """Check what the decorator cannot; return per-modality features, noise, scale and names."""
    if n_shared + n_private < 1:
        raise ValueError(
            "n_shared + n_private must be >= 1 (the target needs at least one latent factor); "
            f"got n_shared={n_shared} and n_private={n_private}."
        )
    features = _per_modality_ints(n_features, "n_features", n_modalities, 1)
    n_factors = n_shared + n_private
    if n_noise is None:
        short = features < n_factors
        if short.any():
            m = int(np.flatnonzero(short)[0])
            raise ValueError(
                "With n_noise=None every modality needs n_features >= n_shared + n_private "
                f"= {n_factors} (one informative feature per latent factor); got "
                f"n_features={n_features!r} ({int(features[m])} for modality {m}). Lower "
                "n_shared or n_private, raise n_features, or pass n_noise explicitly."
            )
        noise_features = features - n_factors
    else:
        noise_features = _per_modality_ints(n_noise, "n_noise", n_modalities, 0)
        too_many = noise_features > features
        if too_many.any():
            m = int(np.flatnonzero(too_many)[0])
            raise ValueError(
                f"n_noise cannot exceed n_features; got n_noise={n_noise!r} and "
                f"n_features={n_features!r} ({int(noise_features[m])} > {int(features[m])} "
                f"for modality {m})."
            )

    if modality_scale is None:
        scale = np.ones(n_modalities)
    else:
        try:
            scale = np.asarray(modality_scale, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"modality_scale must be None or a sequence of {n_modalities} positive floats; "
                f"got {modality_scale!r}."
            ) from exc
        if scale.ndim != 1 or scale.shape[0] != n_modalities:
            got = f"length {scale.shape[0]}" if scale.ndim == 1 else f"shape {scale.shape}"
            raise ValueError(
                f"modality_scale must be None or a sequence of n_modalities={n_modalities} "
                f"positive floats; got a sequence of {got}: {modality_scale!r}."
            )
        if not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError(
                f"Every entry of modality_scale must be a finite float > 0; got "
                f"{modality_scale!r}."
            )

    if modality_names is None:
        names = [f"m{m}" for m in range(n_modalities)]
    else:
        names = list(modality_names)
        if len(names) != n_modalities:
            raise ValueError(
                f"modality_names must be None or a sequence of n_modalities={n_modalities} "
                f"unique str; got {len(names)} names: {modality_names!r}."
            )
        for name in names:
            if not isinstance(name, str):
                raise TypeError(
                    f"modality_names must contain str; got {name!r} of type {type(name).__name__}."
                )
        if len(set(names)) != len(names):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            raise ValueError(
                f"modality_names must be unique; got {modality_names!r} "
                f"(duplicated: {duplicates})."
            )
    return features, noise_features, scale, names


# --------------------------------------------------------------------------------------------
# the latent model
# --------------------------------------------------------------------------------------------


def _latent_blocks(rng, n_samples, features, noise_features, n_shared, n_private, noise):
    """Draw the factors and the unscaled blocks.

    Returns the list of blocks and the latent matrix ``F = [shared, private_0, private_1, ...]``
    of shape ``(n_samples, n_shared + n_modalities * n_private)``.
    """
    n_modalities = len(features)
    shared = rng.standard_normal((n_samples, n_shared))
    private = [rng.standard_normal((n_samples, n_private)) for _ in range(n_modalities)]
    feature_std = np.sqrt(1.0 + noise**2)
    blocks = []
    for m in range(n_modalities):
        n_informative = int(features[m] - noise_features[m])
        factors = np.hstack([shared, private[m]])
        mixing = rng.standard_normal((factors.shape[1], n_informative))
        mixing /= np.linalg.norm(mixing, axis=0, keepdims=True)
        informative = factors @ mixing + noise * rng.standard_normal((n_samples, n_informative))
        pure_noise = feature_std * rng.standard_normal((n_samples, int(noise_features[m])))
        blocks.append(np.hstack([informative, pure_noise]))
    return blocks, np.hstack([shared, *private])


def _signal(rng, latent, n_shared, n_private, n_modalities):
    """Linear score over the factors plus the product of the first two factors.

    The linear part has unit variance, split half / half between the shared factors and the
    private factors (each modality's private block ``0.5 / n_modalities``) when both kinds
    exist; the product term has coefficient ``_INTERACTION``.
    """
    if n_shared and n_private:
        shared_var, private_var = 0.5, 0.5 / n_modalities
    elif n_shared:
        shared_var, private_var = 1.0, 0.0
    else:
        shared_var, private_var = 0.0, 1.0 / n_modalities
    parts = []
    if n_shared:
        parts.append(_unit_weights(rng, n_shared, shared_var))
    if n_private:
        parts.extend(_unit_weights(rng, n_private, private_var) for _ in range(n_modalities))
    score = latent @ np.concatenate(parts)
    if latent.shape[1] >= 2:
        score = score + _INTERACTION * latent[:, 0] * latent[:, 1]
    return score


def _unit_weights(rng, size, variance):
    weights = rng.standard_normal(size)
    return weights * (np.sqrt(variance) / np.linalg.norm(weights))


def _finish(rng, blocks, scale, names, missing_rate):
    """Scale every block, blank whole modality rows, wrap as a ModalityDict."""
    n_samples = blocks[0].shape[0]
    n_modalities = len(blocks)
    # Always drawn, so that the present values do not depend on missing_rate.
    missing = rng.uniform(size=(n_samples, n_modalities)) < missing_rate
    keep = rng.randint(n_modalities, size=n_samples)
    all_missing = missing.all(axis=1)
    missing[all_missing, keep[all_missing]] = False
    out = {}
    for m, (name, block) in enumerate(zip(names, blocks, strict=True)):
        block = np.ascontiguousarray(block * scale[m], dtype=np.float64)
        block[missing[:, m]] = np.nan
        out[name] = block
    return ModalityDict(out)


# --------------------------------------------------------------------------------------------
# public generators
# --------------------------------------------------------------------------------------------


@validate_params(
    {
        **_COMMON_CONSTRAINTS,
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "class_sep": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def make_multimodal_classification(
    n_samples: int = 500,
    *,
    n_modalities: int = 3,
    n_features: int | Sequence[int] = 8,
    n_classes: int = 2,
    n_shared: int = 4,
    n_private: int = 2,
    n_noise: int | Sequence[int] | None = None,
    modality_scale: Sequence[float] | None = None,
    missing_rate: float = 0.0,
    class_sep: float = 1.0,
    noise: float = 0.1,
    modality_names: Sequence[str] | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[ModalityDict, np.ndarray]:
    """Generate a multimodal classification problem with shared and private factors.

    Every modality observes the ``n_shared`` shared latent factors and its own ``n_private``
    private factors through random linear mixtures plus noise. The class depends on all the
    factors, so each modality carries information that no other one has and a model that fuses
    the modalities beats any single-modality model.

    The latent signal is ``s = w_s . shared + sum_m w_m . private_m + 0.5 * f_0 * f_1``: the
    random weights give the shared part variance 0.5 and the private parts variance 0.5 in
    total (``0.5 / n_modalities`` each; all the variance goes to the one kind when the other
    is absent), and ``f_0 * f_1`` is the product of the first two latent factors (shared
    factors first, then each modality's private factors in order), a mild nonlinearity. Classes
    are the empirical quantiles of ``class_sep * s + e`` with ``e ~ N(0, 0.5**2)`` label noise
    (the median for two classes), so the classes are balanced (their sizes differ by at most
    one) and ordered along the score.

    Parameters
    ----------
    n_samples : int, default=500
        Number of samples; at least ``n_classes``.

    n_modalities : int, default=3
        Number of modalities (blocks of features).

    n_features : int or sequence of int, default=8
        Number of features of each modality: one int for all modalities, or one per modality.

    n_classes : int, default=2
        Number of classes, at least 2.

    n_shared : int, default=4
        Number of latent factors shared by all modalities.

    n_private : int, default=2
        Number of latent factors private to each modality. ``n_shared + n_private`` must be at
        least 1.

    n_noise : int, sequence of int or None, default=None
        Number of pure-noise features of each modality (the last ``n_noise`` columns). The other
        ``n_features - n_noise`` columns are informative: random linear mixtures of the shared
        factors and the modality's private factors. ``None`` means one informative feature per
        latent factor, ``n_noise = n_features - n_shared - n_private``, which must then be
        ``>= 0`` for every modality. An explicit value only needs
        ``0 <= n_noise <= n_features``: informative features are mixtures, so there may be
        fewer or more of them than latent factors (``n_noise == n_features`` makes a modality
        pure noise).

    modality_scale : sequence of float or None, default=None
        Positive factor multiplying each modality's features, e.g. to make one modality
        numerically dominant. ``None`` means 1 for every modality.

    missing_rate : float in [0, 1), default=0.0
        Probability, per sample and per modality, that the whole modality row is set to NaN.
        A sample never loses all its modalities: when every modality was drawn missing, one
        chosen at random is kept, so the expected fraction of missing rows is
        ``missing_rate - missing_rate**n_modalities / n_modalities`` (0 with one modality).
        The present values and ``y`` do not depend on ``missing_rate``.
    class_sep : float, default=1.0
        Multiplies the latent signal before the label noise is added: larger values make the
        classes easier to separate.

    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each informative feature.

    modality_names : sequence of str or None, default=None
        Unique names of the modalities; ``None`` means ``"m0", "m1", ...``.

    random_state : int, RandomState instance or None, default=None
        Seed of the generator. Pass an int for reproducible output.

    Returns
    -------
    X : ModalityDict
        ``{name: ndarray of shape (n_samples, n_features_m), dtype float64}``, in the order of
        ``modality_names``. Rows of missing modalities are all NaN.

    y : ndarray of shape (n_samples,), dtype int
        Class labels in ``0, ..., n_classes - 1``.

    See Also
    --------
    make_multimodal_regression : The same latent model with a continuous target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dsrsd.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(
    ...     n_samples=100, n_features=[6, 8, 10], missing_rate=0.2, random_state=0)
    >>> sorted(X), len(X), X["m2"].shape
    (['m0', 'm1', 'm2'], 100, (100, 10))
    >>> [int(n) for n in np.bincount(y)]
    [50, 50]
    """
    features, noise_features, scale, names = _check_params(
        n_samples,
        n_modalities,
        n_features,
        n_shared,
        n_private,
        n_noise,
        modality_scale,
        modality_names,
    )
    if n_samples < n_classes:
        raise ValueError(
            f"n_samples must be >= n_classes so that every class has a sample; got "
            f"n_samples={n_samples} and n_classes={n_classes}."
        )
    rng = check_random_state(random_state)
    blocks, latent = _latent_blocks(
        rng, n_samples, features, noise_features, n_shared, n_private, noise
    )
    score = class_sep * _signal(rng, latent, n_shared, n_private, n_modalities)
    score = score + _LABEL_NOISE * rng.standard_normal(n_samples)
    y = np.empty(n_samples, dtype=np.int64)
    y[np.argsort(score, kind="stable")] = (np.arange(n_samples) * n_classes) // n_samples
    return _finish(rng, blocks, scale, names, missing_rate), y


@validate_params(
    {
        **_COMMON_CONSTRAINTS,
        "n_targets": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def make_multimodal_regression(
    n_samples: int = 500,
    *,
    n_modalities: int = 3,
    n_features: int | Sequence[int] = 8,
    n_targets: int = 1,
    n_shared: int = 4,
    n_private: int = 2,
    n_noise: int | Sequence[int] | None = None,
    modality_scale: Sequence[float] | None = None,
    missing_rate: float = 0.0,
    noise: float = 0.1,
    modality_names: Sequence[str] | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[ModalityDict, np.ndarray]:
    """Generate a multimodal regression problem with shared and private factors.

    Every modality observes the ``n_shared`` shared latent factors and its own ``n_private``
    private factors through random linear mixtures plus noise. The target depends on all the
    factors, so each modality carries information that no other one has and a model that fuses
    the modalities beats any single-modality model.

    Each target is ``w_s . shared + sum_m w_m . private_m + 0.5 * f_0 * f_1 + noise * e`` with
    ``e ~ N(0, 1)``: the random weights (drawn anew for every target) give the shared part
    variance 0.5 and the private parts variance 0.5 in total (``0.5 / n_modalities`` each; all
    the variance goes to the one kind when the other is absent), and ``f_0 * f_1`` is the
    product of the first two latent factors (shared factors first, then each modality's private
    factors in order), a mild nonlinearity.

    Parameters
    ----------
    n_samples : int, default=500
        Number of samples.

    n_modalities : int, default=3
        Number of modalities (blocks of features).

    n_features : int or sequence of int, default=8
        Number of features of each modality: one int for all modalities, or one per modality.

    n_targets : int, default=1
        Number of targets; ``y`` is 2-D when it is more than 1.

    n_shared : int, default=4
        Number of latent factors shared by all modalities.

    n_private : int, default=2
        Number of latent factors private to each modality. ``n_shared + n_private`` must be at
        least 1.

    n_noise : int, sequence of int or None, default=None
        Number of pure-noise features of each modality (the last ``n_noise`` columns). The other
        ``n_features - n_noise`` columns are informative: random linear mixtures of the shared
        factors and the modality's private factors. ``None`` means one informative feature per
        latent factor, ``n_noise = n_features - n_shared - n_private``, which must then be
        ``>= 0`` for every modality. An explicit value only needs
        ``0 <= n_noise <= n_features``: informative features are mixtures, so there may be
        fewer or more of them than latent factors (``n_noise == n_features`` makes a modality
        pure noise).

    modality_scale : sequence of float or None, default=None
        Positive factor multiplying each modality's features, e.g. to make one modality
        numerically dominant. ``None`` means 1 for every modality.

    missing_rate : float in [0, 1), default=0.0
        Probability, per sample and per modality, that the whole modality row is set to NaN.
        A sample never loses all its modalities: when every modality was drawn missing, one
        chosen at random is kept, so the expected fraction of missing rows is
        ``missing_rate - missing_rate**n_modalities / n_modalities`` (0 with one modality).
        The present values and ``y`` do not depend on ``missing_rate``.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each informative feature and to the
        target.

    modality_names : sequence of str or None, default=None
        Unique names of the modalities; ``None`` means ``"m0", "m1", ...``.

    random_state : int, RandomState instance or None, default=None
        Seed of the generator. Pass an int for reproducible output.

    Returns
    -------
    X : ModalityDict
        ``{name: ndarray of shape (n_samples, n_features_m), dtype float64}``, in the order of
        ``modality_names``. Rows of missing modalities are all NaN.

    y : ndarray of shape (n_samples,) or (n_samples, n_targets), dtype float64
        The target; one-dimensional when ``n_targets == 1``.

    See Also
    --------
    make_multimodal_classification : The same latent model with class labels.

    Examples
    --------
    >>> from sklearn_dsrsd.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(
    ...     n_samples=50, n_modalities=2, n_targets=3, modality_names=["eeg", "video"],
    ...     random_state=0)
    >>> sorted(X), X["eeg"].shape, y.shape, y.dtype
    (['eeg', 'video'], (50, 8), (50, 3), dtype('float64'))
    """
    features, noise_features, scale, names = _check_params(
        n_samples,
        n_modalities,
        n_features,
        n_shared,
        n_private,
        n_noise,
        modality_scale,
        modality_names,
    )
    rng = check_random_state(random_state)
    blocks, latent = _latent_blocks(
        rng, n_samples, features, noise_features, n_shared, n_private, noise
    )
    y = np.column_stack(
        [_signal(rng, latent, n_shared, n_private, n_modalities) for _ in range(n_targets)]
    )
    y = y + noise * rng.standard_normal(y.shape)
    if n_targets == 1:
        y = y[:, 0]
    return _finish(rng, blocks, scale, names, missing_rate), np.ascontiguousarray(y)
