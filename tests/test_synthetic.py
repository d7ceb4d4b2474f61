"""Tests for the synthetic multimodal generators in sklearn_dsrsd.datasets._synthetic."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dsrsd import ModalityDict
from sklearn_dsrsd.datasets import build_next_step_features, collapse_multiskill_duplicates
from sklearn_dsrsd.datasets._synthetic import (
    make_knowledge_tracing_log,
    make_multimodal_classification,
    make_multimodal_regression,
)

GENERATORS = [make_multimodal_classification, make_multimodal_regression]


def _missing_rows(block):
    return np.isnan(block).all(axis=1)


def _abs_corr(block, y):
    """|Pearson correlation| of every column of ``block`` with ``y``."""
    bc = block - block.mean(axis=0)
    yc = y - y.mean()
    return np.abs(bc.T @ yc) / (np.linalg.norm(bc, axis=0) * np.linalg.norm(yc))


# ------------------------------------------------------------------------------------------
# shapes, dtypes, names
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_modalities", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("make", GENERATORS)
def test_shapes_and_dtypes(make, n_modalities):
    X, y = make(n_samples=40, n_modalities=n_modalities, random_state=0)
    assert isinstance(X, ModalityDict)
    assert list(X) == [f"m{m}" for m in range(n_modalities)]
    assert len(X) == 40
    for block in X.values():
        assert isinstance(block, np.ndarray)
        assert block.dtype == np.float64
        assert block.shape == (40, 8)
        assert np.isfinite(block).all()
    assert y.shape == (40,)
    if make is make_multimodal_classification:
        assert np.issubdtype(y.dtype, np.integer)
        assert set(np.unique(y)) == {0, 1}
    else:
        assert y.dtype == np.float64
        assert np.isfinite(y).all()


@pytest.mark.parametrize("make", GENERATORS)
def test_heterogeneous_n_features_and_names(make):
    X, y = make(
        n_samples=30,
        n_modalities=3,
        n_features=[3, 7, 12],
        n_shared=2,
        n_private=1,
        modality_names=["audio", "text", "image"],
        random_state=0,
    )
    assert list(X) == ["audio", "text", "image"]
    assert [X[name].shape for name in X] == [(30, 3), (30, 7), (30, 12)]
    # Rows can be selected like an array (what cross-validation relies on).
    assert X[:5]["image"].shape == (5, 12)


def test_multi_target_regression_shape():
    _, y1 = make_multimodal_regression(n_samples=25, n_targets=1, random_state=0)
    _, y3 = make_multimodal_regression(n_samples=25, n_targets=3, random_state=0)
    assert y1.shape == (25,)
    assert y3.shape == (25, 3)
    assert y3.dtype == np.float64
    # Every target has its own weights.
    corr = np.corrcoef(y3.T)
    assert np.all(np.abs(corr[np.triu_indices(3, 1)]) < 0.999)


# ------------------------------------------------------------------------------------------
# determinism
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
def test_deterministic_for_int_seed_and_different_between_seeds(make):
    kwargs = dict(n_samples=60, missing_rate=0.3)
    Xa, ya = make(**kwargs, random_state=7)
    Xb, yb = make(**kwargs, random_state=7)
    Xc, yc = make(**kwargs, random_state=8)
    for name in Xa:
        np.testing.assert_array_equal(Xa[name], Xb[name])  # NaNs compare equal here
        assert not np.array_equal(Xa[name], Xc[name], equal_nan=True)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(ya, yc)
    # A RandomState instance is accepted and consumed like the int seed.
    Xd, yd = make(**kwargs, random_state=np.random.RandomState(7))
    np.testing.assert_array_equal(Xd["m0"], Xa["m0"])
    np.testing.assert_array_equal(yd, ya)


# ------------------------------------------------------------------------------------------
# classes
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_balanced_classes(n_classes):
    _, y = make_multimodal_classification(n_samples=503, n_classes=n_classes, random_state=0)
    counts = np.bincount(y)
    assert len(counts) == n_classes
    assert counts.min() >= 503 // n_classes
    assert counts.max() - counts.min() <= 1


def test_class_sep_controls_separability():
    def train_accuracy(class_sep):
        X, y = make_multimodal_classification(n_samples=400, class_sep=class_sep, random_state=0)
        Z = np.hstack(list(X.values()))
        return LogisticRegression(solver="liblinear").fit(Z, y).score(Z, y)

    assert train_accuracy(20.0) > train_accuracy(0.1) + 0.15


# ------------------------------------------------------------------------------------------
# missing modalities
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
def test_missing_rate(make):
    rate, n_modalities, n = 0.3, 3, 4000
    X, y = make(n_samples=n, n_modalities=n_modalities, missing_rate=rate, random_state=0)
    missing = np.column_stack([_missing_rows(X[name]) for name in X])
    # One modality is kept when all were drawn missing.
    expected = rate - rate**n_modalities / n_modalities
    assert np.abs(missing.mean(axis=0) - expected).max() < 0.03
    assert not missing.all(axis=1).any()
    for m, name in enumerate(X):
        block = X[name]
        assert np.isnan(block[missing[:, m]]).all()  # missing rows entirely NaN
        assert not np.isnan(block[~missing[:, m]]).any()  # present rows have no NaN
    assert not np.isnan(y).any()

    # The present values and y do not depend on missing_rate.
    X0, y0 = make(n_samples=n, n_modalities=n_modalities, missing_rate=0.0, random_state=0)
    for m, name in enumerate(X):
        assert not np.isnan(X0[name]).any()
        np.testing.assert_array_equal(X[name][~missing[:, m]], X0[name][~missing[:, m]])
    np.testing.assert_array_equal(y, y0)


def test_single_modality_is_never_missing():
    X, _ = make_multimodal_classification(
        n_samples=200, n_modalities=1, missing_rate=0.9, random_state=0
    )
    assert not np.isnan(X["m0"]).any()


def test_high_missing_rate_keeps_one_modality_per_sample():
    X, _ = make_multimodal_regression(
        n_samples=500, n_modalities=2, missing_rate=0.95, random_state=0
    )
    missing = np.column_stack([_missing_rows(X[name]) for name in X])
    assert (missing.sum(axis=1) == 1).mean() > 0.8  # mostly exactly one left
    assert not missing.all(axis=1).any()


# ------------------------------------------------------------------------------------------
# modality_scale
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
def test_modality_scale_multiplies_std(make):
    scale = [1.0, 10.0, 0.1]
    X1, y1 = make(n_samples=300, random_state=0)
    Xs, ys = make(n_samples=300, modality_scale=scale, random_state=0)
    for s, name in zip(scale, X1, strict=True):
        ratio = Xs[name].std(axis=0) / X1[name].std(axis=0)
        np.testing.assert_allclose(ratio, s, rtol=1e-10)
    np.testing.assert_array_equal(ys, y1)
    # Without scaling, every modality (and every feature) has about the same spread.
    stds = np.concatenate([X1[name].std(axis=0) for name in X1])
    np.testing.assert_allclose(stds, np.sqrt(1 + 0.1**2), rtol=0.2)
    total = [Xs[name].std() for name in Xs]
    assert 8 < total[1] / total[0] < 12
    assert 0.08 < total[2] / total[0] < 0.12


# ------------------------------------------------------------------------------------------
# informative vs pure-noise features
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
def test_noise_features_are_uncorrelated_with_y(make):
    n_features, n_noise = 10, 4
    X, y = make(n_samples=2000, n_features=n_features, n_noise=n_noise, random_state=0)
    y = y.astype(np.float64)
    informative = np.concatenate([_abs_corr(X[k][:, : n_features - n_noise], y) for k in X])
    pure_noise = np.concatenate([_abs_corr(X[k][:, n_features - n_noise :], y) for k in X])
    # Null |corr| at n=2000 is about 0.018 on average; informative features carry signal.
    assert pure_noise.max() < 0.08
    assert pure_noise.mean() < 0.04
    assert informative.mean() > 0.12
    assert informative.mean() > 4 * pure_noise.mean()


def test_default_n_noise_is_what_is_left():
    # 8 features, 2 shared + 1 private factors -> 5 pure-noise columns per modality.
    X, y = make_multimodal_regression(
        n_samples=2000, n_features=8, n_shared=2, n_private=1, noise=0.0, random_state=0
    )
    for block in X.values():
        # Informative columns are mixtures of 3 factors: rank 3 without noise.
        assert np.linalg.matrix_rank(block[:, :3]) == 3
        assert _abs_corr(block[:, 3:], y).max() < 0.08
    # Explicit n_noise may leave more informative columns than factors (still rank 3).
    X, _ = make_multimodal_regression(
        n_samples=200,
        n_features=8,
        n_shared=2,
        n_private=1,
        n_noise=0,
        noise=0.0,
        random_state=0,
    )
    assert np.linalg.matrix_rank(X["m0"]) == 3


# ------------------------------------------------------------------------------------------
# every modality carries unique information: fusion beats every single modality
# ------------------------------------------------------------------------------------------


def test_fusion_beats_every_single_modality_classification():
    X, y = make_multimodal_classification(n_samples=600, random_state=0)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)

    def accuracy(Z):
        model = make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear"))
        return cross_val_score(model, Z, y, cv=cv).mean()

    fused = accuracy(np.hstack(list(X.values())))
    singles = [accuracy(block) for block in X.values()]
    assert fused > max(singles) + 0.03, (fused, singles)


def test_fusion_beats_every_single_modality_regression():
    X, y = make_multimodal_regression(n_samples=600, random_state=0)
    cv = KFold(n_splits=5, shuffle=True, random_state=0)

    def r2(Z):
        return cross_val_score(Ridge(alpha=1.0), Z, y, cv=cv).mean()

    fused = r2(np.hstack(list(X.values())))
    singles = [r2(block) for block in X.values()]
    assert fused > max(singles) + 0.1, (fused, singles)


def test_without_private_factors_fusion_gains_little():
    # Control for the test above: the gain comes from the private factors.
    X, y = make_multimodal_regression(
        n_samples=600, n_shared=4, n_private=0, noise=0.1, random_state=0
    )
    cv = KFold(n_splits=5, shuffle=True, random_state=0)
    fused = cross_val_score(Ridge(alpha=1.0), np.hstack(list(X.values())), y, cv=cv).mean()
    singles = [cross_val_score(Ridge(alpha=1.0), block, y, cv=cv).mean() for block in X.values()]
    assert fused - max(singles) < 0.05, (fused, singles)


# ------------------------------------------------------------------------------------------
# invalid parameters
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n_modalities=0), "n_modalities"),
        (dict(missing_rate=-0.1), "missing_rate"),
        (dict(missing_rate=1.0), "missing_rate"),
        (dict(modality_scale=[1.0, 2.0]), "modality_scale"),
        (dict(modality_scale=[1.0, -2.0, 1.0]), "modality_scale"),
        (dict(modality_names=["a", "b", "a"]), "modality_names"),
        (dict(modality_names=["a", "b"]), "modality_names"),
        (dict(n_features=[8, 8]), "n_features"),
        (dict(n_features=0), "n_features"),
        (dict(n_features=5, n_shared=4, n_private=2), "n_features"),
        (dict(n_noise=9), "n_noise"),
        (dict(n_noise=-1), "n_noise"),
        (dict(n_shared=0, n_private=0), "n_shared"),
        (dict(noise=-1.0), "noise"),
        (dict(n_samples=0), "n_samples"),
    ],
)
@pytest.mark.parametrize("make", GENERATORS)
def test_invalid_params_raise_value_error_naming_the_parameter(make, kwargs, name):
    with pytest.raises(ValueError, match=name):
        make(**kwargs)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n_classes=1), "n_classes"),
        (dict(class_sep=0.0), "class_sep"),
        (dict(n_samples=3, n_classes=4), "n_classes"),
    ],
)
def test_invalid_classification_params(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_multimodal_classification(**kwargs)


def test_invalid_n_targets():
    with pytest.raises(ValueError, match="n_targets"):
        make_multimodal_regression(n_targets=0)


def test_error_message_states_expected_and_received():
    with pytest.raises(ValueError, match=r"n_modalities=3.*length 2"):
        make_multimodal_classification(modality_scale=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"duplicated: \['a'\]"):
        make_multimodal_classification(modality_names=["a", "b", "a"])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(modality_names=["a", 1, "c"]), "modality_names"),
        (dict(n_features=[8, 8.5, 8]), "n_features"),
    ],
)
def test_wrong_types_raise_type_error(kwargs, name):
    with pytest.raises(TypeError, match=name):
        make_multimodal_classification(**kwargs)


# ------------------------------------------------------------------------------------------
# make_knowledge_tracing_log
# ------------------------------------------------------------------------------------------


def test_knowledge_tracing_log_layout_and_seed():
    design = dict(n_students=60, n_items=40, n_skills=8, multi_skill_fraction=0.3)
    log = make_knowledge_tracing_log(**design, random_state=0)
    assert list(log.columns) == ["orig_user_id", "step", "problem_idx", "skill_idx", "correct"]
    assert set(log["correct"].unique()) == {0, 1}
    assert log["orig_user_id"].nunique() == 60
    assert log["problem_idx"].between(0, 39).all() and log["skill_idx"].between(0, 7).all()
    # Sorted by student and step; each row its own step, numbered 0, 1, ... per student
    # without gaps, as the ASSISTments 2009 file numbers its rows.
    keys = log["orig_user_id"].to_numpy() * 10**6 + log["step"].to_numpy()
    assert np.all(np.diff(keys) > 0)
    steps = log.groupby("orig_user_id")["step"].agg(["min", "max", "size"])
    assert (steps["min"] == 0).all() and (steps["size"] == steps["max"] + 1).all()
    # A two-skill response is two consecutive rows with its item and answer, one per skill.
    responses = collapse_multiskill_duplicates(log)
    skills_per_response = responses["skill_idx"].map(len)
    assert set(skills_per_response.unique()) == {1, 2}
    assert skills_per_response.sum() == len(log)
    twins = responses.index[skills_per_response == 2]
    first, second = log.loc[twins], log.loc[twins + 1]
    for column in ("orig_user_id", "problem_idx", "correct"):
        assert (first[column].to_numpy() == second[column].to_numpy()).all()
    assert (first["skill_idx"].to_numpy() != second["skill_idx"].to_numpy()).all()
    # Every student has at least two responses.
    assert (responses.groupby("orig_user_id").size() >= 2).all()
    assert log.equals(make_knowledge_tracing_log(**design, random_state=0))
    assert not log.equals(make_knowledge_tracing_log(**design, random_state=1))


def test_knowledge_tracing_log_duplicates_collapse_to_responses():
    log = make_knowledge_tracing_log(n_students=80, multi_skill_fraction=0.5, random_state=0)
    collapsed = collapse_multiskill_duplicates(log)
    assert len(collapsed) < len(log)
    single = make_knowledge_tracing_log(n_students=80, multi_skill_fraction=0.0, random_state=0)
    assert len(collapse_multiskill_duplicates(single)) == len(single)
    # Kept apart, the twin rows are responses of their own, as in the real file (where
    # the second row is "predicted" from the first, which holds its label).
    leaky = build_next_step_features(log, collapse_duplicates=False)
    assert len(leaky.target) == len(log)
    assert len(build_next_step_features(log).target) == len(collapsed)


def test_knowledge_tracing_log_mean_responses():
    log = make_knowledge_tracing_log(n_students=400, mean_responses=30, random_state=0)
    per_student = collapse_multiskill_duplicates(log).groupby("orig_user_id").size()
    assert 25 < per_student.mean() < 35


def test_knowledge_tracing_log_students_learn_and_streaks_persist():
    """Practice raises correctness, and the previous answer says more than the success rate."""
    log = make_knowledge_tracing_log(n_students=600, multi_skill_fraction=0.0, random_state=0)
    task = build_next_step_features(log)
    history = task.data["history"]
    skill_attempts = history[:, list(task.feature_names["history"]).index("skill_attempts_mean")]
    y = task.target
    assert y[skill_attempts >= 6].mean() > y[skill_attempts == 0].mean() + 0.05
    # At a similar success rate, the previous answer still predicts the next one: a problem
    # set keeps to one skill and the student's engagement drifts slowly.
    recent = task.data["recent"].reshape(len(y), -1, 4)
    rate = history[:, list(task.feature_names["history"]).index("success_rate")]
    seen = recent[:, 0, 1] == 0
    band = seen & (rate > 0.55) & (rate < 0.75)
    previous = recent[band, 0, 0]
    assert y[band][previous == 1].mean() > y[band][previous == 0].mean() + 0.05


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n_students=0), "n_students"),
        (dict(n_items=5, n_skills=6), "n_items"),
        (dict(n_skills=1, multi_skill_fraction=0.1), "n_skills"),
        (dict(mean_responses=1.5), "mean_responses"),
        (dict(multi_skill_fraction=1.5), "multi_skill_fraction"),
    ],
)
def test_knowledge_tracing_log_invalid_params(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_knowledge_tracing_log(**kwargs)


def test_knowledge_tracing_log_one_skill():
    log = make_knowledge_tracing_log(
        n_students=5, n_items=3, n_skills=1, multi_skill_fraction=0.0, random_state=0
    )
    assert (log["skill_idx"] == 0).all()
