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

__all__ = [
    "make_knowledge_tracing_log",
    "make_multimodal_classification",
    "make_multimodal_regression",
]

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


# --------------------------------------------------------------------------------------------
# knowledge tracing: a simulated interaction log
# --------------------------------------------------------------------------------------------

#: A skill-builder problem set ends after this many correct responses in a row ...
_MASTERY_STREAK = 3
#: ... or after this many responses, as in the ASSISTments skill builders.
_PROBLEM_SET_LIMIT = 10
#: Most that practice can add to a skill's logit (a saturating learning curve).
_MAX_LEARNING_GAIN = 2.0
#: Practice from an incorrect response counts this much of a correct one.
_INCORRECT_PRACTICE = 0.5
#: Responses after which half of a skill's practice is forgotten.
_FORGETTING_HALF_LIFE = 70.0
#: Fraction of multiple-choice items, and the chance of guessing one right.
_MULTIPLE_CHOICE_FRACTION = 0.3
_GUESS = 0.25
#: Autocorrelation (per response) and standard deviation of a student's engagement.
_ENGAGEMENT_PERSISTENCE = 0.9
_ENGAGEMENT_STD = 0.8


@validate_params(
    {
        "n_students": [Interval(Integral, 1, None, closed="left")],
        "n_items": [Interval(Integral, 1, None, closed="left")],
        "n_skills": [Interval(Integral, 1, None, closed="left")],
        "mean_responses": [Interval(Real, 2, None, closed="left")],
        "multi_skill_fraction": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_knowledge_tracing_log(
    n_students: int = 500,
    *,
    n_items: int = 300,
    n_skills: int = 20,
    mean_responses: float = 60.0,
    multi_skill_fraction: float = 0.15,
    random_state: int | np.random.RandomState | None = None,
):
    """Simulate the interaction log of students working through skill-builder problem sets.

    A log to try next-response prediction on (:func:`build_next_step_features`) when no
    real log can be spared for it, for example to choose settings without touching the data
    a benchmark evaluates on. The generative model is ours, a logistic item-response model
    with learning, forgetting and a drifting engagement, in the spirit of the additive and
    performance factors models of the knowledge-tracing literature; it is not fitted to any
    real log, and a setting that works on it need not work on one.

    Each student ``s`` has an ability ``theta_s ~ N(0, 1)``, a prior knowledge
    ``kappa_sk ~ N(0, 0.5**2)`` of each skill and a learning rate
    ``rate_s = 0.3 * exp(N(0, 0.4**2))``. Each item has one skill, or two with probability
    ``multi_skill_fraction``, and a difficulty ``b_i`` = the mean difficulty of its skills
    (``N(0, 0.7**2)`` each) plus ``N(0, 0.7**2)``; 30 % of the items are multiple choice,
    guessed right with probability ``g_i = 0.25`` (``g_i = 0`` for the others). A response of
    ``s`` to ``i`` is correct with probability
    ``g_i + (1 - g_i) * sigmoid(theta_s + mean_k K_sk - b_i + e_st)``, where

    - ``K_sk = kappa_sk + 2 * (1 - exp(-rate_s * P_sk))`` is the knowledge of skill ``k``
      and ``P_sk`` its practice: each earlier response involving ``k`` adds 1 (correct) or
      0.5 (incorrect), and practice halves every 70 responses of the student (forgetting);
    - ``e_st`` is the student's engagement, an AR(1) process over their responses
      (autocorrelation 0.9, standard deviation 0.8) that no feature of the log shows, so
      that the latest responses say more than the counts do.

    Students work in problem sets: a skill drawn at random, then items of that skill (drawn
    at random among the items whose first skill it is) until three correct in a row or ten
    responses, as in the ASSISTments skill builders. A student's number of responses is
    geometric with mean ``mean_responses`` (at least 2).

    A response to a two-skill item is written as two consecutive rows, one per skill, with
    the same item and answer, as in the ASSISTments 2009 file; that is what
    :func:`collapse_multiskill_duplicates` undoes.

    Parameters
    ----------
    n_students : int, default=500
        Number of students.

    n_items : int, default=300
        Number of items; at least ``n_skills``, so that every skill has an item.

    n_skills : int, default=20
        Number of skills; at least 2 when ``multi_skill_fraction > 0``.

    mean_responses : float, default=60.0
        Mean number of responses per student, at least 2.

    multi_skill_fraction : float in [0, 1], default=0.15
        Probability that an item has a second skill.

    random_state : int, RandomState instance or None, default=None
        Seed of the generator. Pass an int for reproducible output.

    Returns
    -------
    log : pandas.DataFrame
        One row per (response, skill), sorted by student and step, with the columns that
        :func:`build_next_step_features` reads by default: ``orig_user_id`` (int student
        id), ``step`` (position of the row in the student's rows, from 0: the two rows
        of a two-skill response are consecutive steps),
        ``problem_idx`` (item id), ``skill_idx`` (skill id) and ``correct`` (0 or 1).

    See Also
    --------
    build_next_step_features : Turn such a log into a next-response prediction task.

    Examples
    --------
    >>> from sklearn_dsrsd.datasets import (
    ...     build_next_step_features, make_knowledge_tracing_log)
    >>> log = make_knowledge_tracing_log(n_students=50, random_state=0)
    >>> list(log.columns)
    ['orig_user_id', 'step', 'problem_idx', 'skill_idx', 'correct']
    >>> task = build_next_step_features(log)
    >>> sorted(task.data), int(task.groups.max()) < 50
    (['content', 'history', 'recent'], True)
    """
    import pandas as pd

    if n_items < n_skills:
        raise ValueError(
            f"n_items must be >= n_skills so that every skill has an item; got "
            f"n_items={n_items} and n_skills={n_skills}."
        )
    if multi_skill_fraction > 0 and n_skills < 2:
        raise ValueError(
            f"multi_skill_fraction > 0 needs n_skills >= 2 (a second, different skill); got "
            f"multi_skill_fraction={multi_skill_fraction} and n_skills={n_skills}."
        )
    rng = check_random_state(random_state)

    first_skill = rng.permutation(np.arange(n_items) % n_skills)
    has_second = rng.random_sample(n_items) < multi_skill_fraction
    offset = rng.randint(1, max(n_skills, 2), size=n_items)
    second_skill = np.where(has_second, (first_skill + offset) % n_skills, first_skill)
    skill_difficulty = 0.7 * rng.standard_normal(n_skills)
    item_difficulty = (
        skill_difficulty[first_skill] + skill_difficulty[second_skill]
    ) / 2 + 0.7 * rng.standard_normal(n_items)
    guess = np.where(rng.random_sample(n_items) < _MULTIPLE_CHOICE_FRACTION, _GUESS, 0.0)
    items_by_skill = np.argsort(first_skill, kind="stable")
    pool_start = np.searchsorted(first_skill[items_by_skill], np.arange(n_skills))
    pool_size = np.bincount(first_skill, minlength=n_skills)

    ability = rng.standard_normal(n_students)
    prior = 0.5 * rng.standard_normal((n_students, n_skills))
    rate = 0.3 * np.exp(0.4 * rng.standard_normal(n_students))
    n_responses = np.maximum(rng.geometric(1.0 / mean_responses, size=n_students), 2)

    practice = np.zeros((n_students, n_skills))
    last_step = np.zeros((n_students, n_skills))
    engagement = _ENGAGEMENT_STD * rng.standard_normal(n_students)
    innovation = _ENGAGEMENT_STD * np.sqrt(1 - _ENGAGEMENT_PERSISTENCE**2)
    skill = np.zeros(n_students, dtype=np.int64)
    streak = np.zeros(n_students, dtype=np.int64)
    set_length = np.full(n_students, _PROBLEM_SET_LIMIT)  # every student starts a set
    decay = np.log(2) / _FORGETTING_HALF_LIFE

    def held(who: np.ndarray, item_skill: np.ndarray, step: int) -> np.ndarray:
        """Practice of each (student, skill) pair left at ``step`` after forgetting."""
        return practice[who, item_skill] * np.exp(-decay * (step - last_step[who, item_skill]))

    columns: dict[str, list] = {"student": [], "step": [], "item": [], "correct": []}
    for step in range(int(n_responses.max())):
        active = np.flatnonzero(n_responses > step)
        new_set = (streak[active] >= _MASTERY_STREAK) | (set_length[active] >= _PROBLEM_SET_LIMIT)
        renew = active[new_set]
        skill[renew] = rng.randint(n_skills, size=renew.size)
        streak[renew] = 0
        set_length[renew] = 0
        k = skill[active]
        drawn = (rng.random_sample(active.size) * pool_size[k]).astype(np.int64)
        item = items_by_skill[pool_start[k] + drawn]
        # Mean knowledge over the item's two skills (one skill twice for a one-skill item).
        knowledge = 0.0
        for item_skill in (first_skill[item], second_skill[item]):
            learnt = 1 - np.exp(-rate[active] * held(active, item_skill, step))
            knowledge = knowledge + prior[active, item_skill] + _MAX_LEARNING_GAIN * learnt
        logit = ability[active] + knowledge / 2 - item_difficulty[item] + engagement[active]
        p_correct = guess[item] + (1 - guess[item]) / (1 + np.exp(-logit))
        correct = rng.random_sample(active.size) < p_correct
        gain = np.where(correct, 1.0, _INCORRECT_PRACTICE)
        two = has_second[item]
        for who, item_skill, added in (
            (active, first_skill[item], gain),
            (active[two], second_skill[item[two]], gain[two]),
        ):
            practice[who, item_skill] = held(who, item_skill, step) + added
            last_step[who, item_skill] = step
        streak[active] = np.where(correct, streak[active] + 1, 0)
        set_length[active] += 1
        shock = innovation * rng.standard_normal(active.size)
        engagement[active] = _ENGAGEMENT_PERSISTENCE * engagement[active] + shock
        columns["student"].append(active)
        columns["step"].append(np.full(active.size, step))
        columns["item"].append(item)
        columns["correct"].append(correct.astype(np.int64))

    student, step_of, item, correct = (np.concatenate(columns[c]) for c in columns)
    # One row per (response, skill): the second skill's row right after the first's.
    two = has_second[item]
    rows = np.concatenate([np.arange(item.size), np.flatnonzero(two)])
    skill_of = np.concatenate([first_skill[item], second_skill[item[two]]])
    rank = np.concatenate([np.zeros(item.size, np.int64), np.ones(int(two.sum()), np.int64)])
    order = np.lexsort((rank, step_of[rows], student[rows]))
    rows, skill_of = rows[order], skill_of[order]
    # Each row its own step, numbered from 0 per student, as the file numbers its rows: the
    # two rows of a two-skill response are distinct, consecutive steps.
    first_row = np.searchsorted(student[rows], student[rows])
    return pd.DataFrame(
        {
            "orig_user_id": student[rows],
            "step": np.arange(rows.size) - first_row,
            "problem_idx": item[rows],
            "skill_idx": skill_of,
            "correct": correct[rows],
        }
    )
