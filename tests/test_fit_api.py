"""sample_weight (with metadata routing), partial_fit and device="auto"."""

from unittest import mock

import numpy as np
import pytest
import torch
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor, ModalityDict
from sklearn_dsrsd._base import MultimodalNetEstimator, _resolve_device
from sklearn_dsrsd._inputs import overflow_safe_mean_std
from sklearn_dsrsd.baselines import (
    CoAttentionClassifier,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionRegressor,
    SingleModalityClassifier,
)

# One network: these tests follow the training data and weights through one training run.
SMALL = dict(hidden_size=8, code_size=4, max_iter=3, batch_size=16, random_state=0, n_networks=1)


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = {"a": rng.normal(size=(n, 4)), "b": rng.normal(size=(n, 3))}
    y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    return X, y


# -- sample_weight ----------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [DSRSDClassifier, DSRSDRegressor])
def test_unit_sample_weights_equal_no_weights(Estimator):
    X, y = _data()
    plain = Estimator(**SMALL).fit(X, y)
    ones = Estimator(**SMALL).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(plain.predict(X), ones.predict(X))
    assert plain.loss_curve_ == ones.loss_curve_


@pytest.mark.parametrize("Estimator", [DSRSDClassifier, DSRSDRegressor])
def test_constant_sample_weights_of_any_scale_equal_no_weights(Estimator):
    # Every loss is a weighted mean: a common factor changes nothing, even one that float32
    # alone would round to 0 or to infinity.
    X, y = _data()
    plain = Estimator(**SMALL).fit(X, y)
    for scale in (1e-50, 3.0, 1e300, 1e307):  # 1e307 * n overflows a sum of the weights
        scaled = Estimator(**SMALL).fit(X, y, sample_weight=np.full(len(y), scale))
        np.testing.assert_allclose(scaled.loss_curve_, plain.loss_curve_, rtol=1e-5)
        np.testing.assert_allclose(_outputs(scaled, X), _outputs(plain, X), atol=1e-5)


def _outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


def test_sample_weight_changes_the_fit():
    X, y = _data()
    weights = np.where(y == 1, 5.0, 0.2)
    plain = DSRSDClassifier(**SMALL).fit(X, y)
    weighted = DSRSDClassifier(**SMALL).fit(X, y, sample_weight=weights)
    # Up-weighting class 1 raises its predicted probability on average.
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


def test_weighted_task_loss_equals_repeated_rows():
    """A weight of k counts like the sample repeated k times, within a batch."""
    X, y = _data(n=12)
    weights = np.array([0, 1, 2, 3, 1, 0, 2, 1, 1, 3, 2, 1], dtype=float)
    estimator = DSRSDClassifier(
        **SMALL,
        alignment_weight=0.0,
        decorrelation_weight=0.0,
        orthogonality_weight=0.0,
        class_weight={0: 1.0, 1: 3.0},
    )
    estimator.fit(X, y)
    net = estimator.net_
    output = torch.randn(len(y), 2, generator=torch.Generator().manual_seed(0))
    target = torch.as_tensor(y)
    weighted = net.get_task_loss(
        output, target, {"sample_weight": torch.as_tensor(weights, dtype=torch.float32)}
    )
    rows = np.repeat(np.arange(len(y)), weights.astype(int))
    repeated = net.get_task_loss(output[rows], target[rows], {})
    torch.testing.assert_close(weighted, repeated)
    # Without weights: torch's own class-weighted mean.
    reference = torch.nn.functional.cross_entropy(output, target, weight=torch.tensor([1.0, 3.0]))
    torch.testing.assert_close(net.get_task_loss(output, target, {}), reference)


def test_all_zero_batch_weights_give_zero_loss_not_nan():
    X, y = _data(n=8)
    net = DSRSDRegressor(**SMALL).fit(X, y.astype(float)).net_
    loss = net.get_task_loss(
        torch.zeros(8, 1), torch.ones(8, 1), {"sample_weight": torch.zeros(8)}
    )
    assert loss.item() == 0.0


def test_weighted_standardisation_equals_repeated_rows():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(20, 3, 2)) * 1e3
    values[3, 1, 0] = np.nan
    weights = rng.integers(0, 4, size=20).astype(float)
    mean, std = overflow_safe_mean_std(values, (0, 1), sample_weight=weights)
    repeated = np.repeat(values, weights.astype(int), axis=0)
    mean_r, std_r = overflow_safe_mean_std(repeated, (0, 1))
    np.testing.assert_allclose(mean, mean_r, rtol=1e-12)
    np.testing.assert_allclose(std, std_r, rtol=1e-12)


@pytest.mark.parametrize(
    "Wrapped, estimator",
    [
        (EarlyFusionClassifier, LogisticRegression()),
        (SingleModalityClassifier, LogisticRegression()),
    ],
)
def test_wrapped_estimator_gets_sample_weight(Wrapped, estimator):
    X, y = _data()
    weights = np.linspace(0.1, 2, len(y))
    with mock.patch.object(
        LogisticRegression, "fit", autospec=True, side_effect=LogisticRegression.fit
    ) as fit:
        Wrapped(estimator=estimator).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(fit.call_args.kwargs["sample_weight"], weights)


def test_wrapped_estimator_without_sample_weight_is_refused():
    X, y = _data()
    with pytest.raises(TypeError, match="KNeighborsClassifier does not accept sample_weight"):
        EarlyFusionClassifier(estimator=KNeighborsClassifier()).fit(
            X, y, sample_weight=np.ones(len(y))
        )


@pytest.mark.parametrize(
    "weights, match",
    [
        (np.ones(5), r"sample_weight.shape == \(5,\), expected \(60,\)"),
        (-np.ones(60), "Negative values in data passed to `sample_weight`"),
        (np.zeros(60), "Sample weights must contain at least one non-zero number"),
    ],
)
def test_bad_sample_weight(weights, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        DSRSDClassifier(**SMALL).fit(X, y, sample_weight=weights)


def test_sample_weight_is_not_modified():
    X, y = _data()
    weights = np.linspace(0.5, 1.5, len(y))
    before = weights.copy()
    DSRSDClassifier(**SMALL).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(weights, before)


def test_sample_weight_reaches_the_teacher_of_distillation():
    X, y = _data()
    X["b"][:10] = np.nan
    weights = np.arange(1, len(y) + 1, dtype=float)
    seen = []
    original = MultimodalNetEstimator._build_net

    def spy(self, seed, **kwargs):
        net = original(self, seed, **kwargs)
        fit = net.partial_fit

        def recording(dataset, y, **fit_kwargs):
            seen.append(dataset.sample_weight.numpy().copy())
            return fit(dataset, y, **fit_kwargs)

        net.partial_fit = recording
        return net

    with mock.patch.object(MultimodalNetEstimator, "_build_net", spy):
        DSRSDClassifier(**SMALL, missing_strategy="distill").fit(X, y, sample_weight=weights)
    teacher, student = seen
    # The complete rows only; weights are held divided by their largest (a weighted mean
    # does not change).
    np.testing.assert_allclose(teacher, weights[10:] / weights.max(), rtol=1e-7)
    np.testing.assert_allclose(student, weights / weights.max(), rtol=1e-7)


def _recorded_weights():
    """Patch the training-data step to record the sample weights each fit receives."""
    received = []
    original = MultimodalNetEstimator._training_data

    def spy(self, X, y, sample_weight, **kwargs):
        received.append(None if sample_weight is None else np.asarray(sample_weight).copy())
        return original(self, X, y, sample_weight, **kwargs)

    return received, mock.patch.object(MultimodalNetEstimator, "_training_data", spy)


def test_sample_weight_routed_through_grid_search():
    X, y = _data()
    weights = np.arange(1, len(y) + 1, dtype=float)
    received, patch = _recorded_weights()
    with config_context(enable_metadata_routing=True), patch:
        estimator = (
            DSRSDClassifier(**SMALL)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=False)
        )
        search = GridSearchCV(estimator, {"alpha": [1e-4, 1e-2]}, cv=2)
        search.fit(ModalityDict(X), y, sample_weight=weights)
    assert len(received) == 2 * 2 + 1  # candidates x folds, then the refit
    for fold_weights in received[:-1]:
        assert len(fold_weights) == len(y) // 2
        assert np.isin(fold_weights, weights).all()
    np.testing.assert_array_equal(received[-1], weights)


def test_sample_weight_not_requested_is_not_passed():
    X, y = _data()
    received, patch = _recorded_weights()
    with config_context(enable_metadata_routing=True), patch:
        # Requested by score only: fit must not receive it.
        estimator = (
            DSRSDClassifier(**SMALL)
            .set_fit_request(sample_weight=False)
            .set_score_request(sample_weight=True)
        )
        GridSearchCV(estimator, {"alpha": [1e-4]}, cv=2).fit(
            ModalityDict(X), y, sample_weight=np.ones(60)
        )
    assert received == [None, None, None]


def test_sample_weight_routed_through_pipeline():
    X, y = _data()
    array = np.hstack([X["a"], X["b"]])
    weights = np.arange(1, len(y) + 1, dtype=float)
    received, patch = _recorded_weights()
    with config_context(enable_metadata_routing=True), patch:
        pipeline = Pipeline(
            [
                ("scale", StandardScaler().set_fit_request(sample_weight=False)),
                (
                    "model",
                    DSRSDClassifier(
                        **SMALL, modalities={"a": [0, 1, 2, 3], "b": [4, 5, 6]}
                    ).set_fit_request(sample_weight=True),
                ),
            ]
        )
        pipeline.fit(array, y, sample_weight=weights)
    np.testing.assert_array_equal(received[0], weights)
    # Without routing, scikit-learn's step__param form reaches the model too.
    received.clear()
    with patch:
        Pipeline([("model", DSRSDClassifier(**SMALL, modalities={"a": [0, 1], "b": [2]}))]).fit(
            array[:, :3], y, model__sample_weight=weights
        )
    np.testing.assert_array_equal(received[0], weights)


# -- groups: early stopping holds out whole groups -----------------------------------------------


def _recorded_splits(monkeypatch):
    """Record, for each early-stopping split, the dataset's size and the split's indices."""
    from sklearn_dsrsd import _base

    splits = []
    split = _base._EarlyStoppingSplit.__call__

    def recording(self, dataset, y=None, groups=None):
        train, validation = split(self, dataset, y, groups)
        splits.append((len(dataset), np.asarray(train.indices), np.asarray(validation.indices)))
        return train, validation

    monkeypatch.setattr(_base._EarlyStoppingSplit, "__call__", recording)
    return splits


def _grouped_data(n_groups=12, per_group=10):
    X, y = _data(n=n_groups * per_group)
    groups = np.repeat([f"student {k}" for k in range(n_groups)], per_group)
    return X, y, groups


@pytest.mark.parametrize(
    "Estimator", [DSRSDClassifier, DSRSDRegressor, EarlyFusionClassifier, LateFusionRegressor]
)
def test_groups_hold_out_whole_groups_for_early_stopping(Estimator, monkeypatch):
    X, y, groups = _grouped_data()
    splits = _recorded_splits(monkeypatch)
    params = {k: v for k, v in SMALL.items() if k in Estimator().get_params()}
    before = groups.copy()
    model = Estimator(**params, early_stopping=True).fit(X, y, groups=groups)
    ((n, train, validation),) = splits
    assert n == len(y)
    assert np.intersect1d(groups[train], groups[validation]).size == 0
    # validation_fraction=0.1 of 12 groups: GroupShuffleSplit holds out ceil(1.2) = 2.
    assert np.unique(groups[validation]).size == 2
    assert len(train) + len(validation) == len(y)
    np.testing.assert_array_equal(groups, before)
    # The fitted estimator keeps no copy of the caller's labels.
    assert model.net_.train_split.groups is None
    # Without groups, rows are held out at random and a group lands on both sides.
    splits.clear()
    Estimator(**params, early_stopping=True).fit(X, y)
    ((_, train, validation),) = splits
    assert np.intersect1d(groups[train], groups[validation]).size > 0


def test_groups_reach_every_network_of_an_average(monkeypatch):
    X, y, groups = _grouped_data()
    splits = _recorded_splits(monkeypatch)
    params = dict(SMALL, n_networks=2, early_stopping=True)
    DSRSDClassifier(**params).fit(X, y, groups=groups)
    assert len(splits) == 2
    for _, train, validation in splits:
        assert np.intersect1d(groups[train], groups[validation]).size == 0
    # The networks are seeded apart, so they hold out different groups.
    assert not np.array_equal(splits[0][2], splits[1][2])


def test_groups_hold_out_whole_groups_for_the_teacher_of_distillation(monkeypatch):
    X, y, groups = _grouped_data(n_groups=20)
    X["b"][:30] = np.nan  # the first 3 groups are incomplete
    splits = _recorded_splits(monkeypatch)
    model = DSRSDClassifier(**SMALL, missing_strategy="distill", early_stopping=True)
    model.fit(X, y, groups=groups)
    # The student's split is drawn twice (for the teacher, then by the student's fit): the same.
    student_validation, again = [valid for n, _, valid in splits if n == len(y)]
    np.testing.assert_array_equal(student_validation, again)
    # The teacher trains on the complete rows outside the student's validation split.
    complete = np.arange(len(y)) >= 30
    complete[student_validation] = False
    complete_groups = groups[complete]
    teacher = [(train, valid) for n, train, valid in splits if n == complete.sum()]
    assert len(teacher) == 1
    student_validation = np.unique(groups[student_validation])
    for train, validation in teacher:
        taught, validated = complete_groups[train], complete_groups[validation]
        assert np.intersect1d(taught, validated).size == 0
        # The student's validation groups never train the teacher it starts from.
        assert np.intersect1d(taught, student_validation).size == 0
    assert model.teacher_net_.train_split.groups is None


def test_groups_are_ignored_without_early_stopping():
    X, y, groups = _grouped_data()
    plain = DSRSDClassifier(**SMALL, early_stopping=False).fit(X, y)
    grouped = DSRSDClassifier(**SMALL, early_stopping=False).fit(X, y, groups=groups)
    assert grouped.loss_curve_ == plain.loss_curve_
    np.testing.assert_array_equal(grouped.predict_proba(X), plain.predict_proba(X))


def test_groups_are_not_used_by_a_wrapped_estimator():
    X, y, groups = _grouped_data()
    wrapped = EarlyFusionClassifier(estimator=LogisticRegression())
    plain = wrapped.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(wrapped.fit(X, y, groups=groups).predict_proba(X), plain)


def test_auto_early_stopping_needs_two_groups():
    from sklearn_dsrsd._base import _AUTO_EARLY_STOPPING_MIN_SAMPLES

    X, y = _data(n=_AUTO_EARLY_STOPPING_MIN_SAMPLES)
    params = dict(SMALL, max_iter=1)
    assert DSRSDClassifier(**params).fit(X, y, groups=np.arange(len(y)) % 2).do_early_stopping_
    one_group = DSRSDClassifier(**params).fit(X, y, groups=np.zeros(len(y)))
    assert not one_group.do_early_stopping_


@pytest.mark.parametrize(
    "groups, params, match",
    [
        (np.zeros(5), {}, "groups has 5 labels, but X has 120 samples"),
        (np.zeros((120, 2)), {}, r"groups must be 1-D, one label per sample; got shape"),
        (
            np.zeros(120),
            {"early_stopping": True},
            "validation_fraction=0.1 of the groups for validation, but groups has 1 distinct",
        ),
    ],
)
def test_bad_groups(groups, params, match):
    X, y, _ = _grouped_data()
    with pytest.raises(ValueError, match=match):
        DSRSDClassifier(**SMALL, **params).fit(X, y, groups=groups)


def test_groups_not_requested_by_default_under_routing(monkeypatch):
    # A search that routes groups to its splitter (and an encoder) runs as before fit had
    # groups: not requested, they do not reach fit, and early stopping holds out rows.
    X, y, groups = _grouped_data()
    splits = _recorded_splits(monkeypatch)
    with config_context(enable_metadata_routing=True):
        estimator = DSRSDClassifier(**SMALL, early_stopping=True)
        assert estimator.get_metadata_routing().fit.requests["groups"] is False
        search = GridSearchCV(estimator, {"alpha": [1e-4]}, cv=GroupKFold(2))
        search.fit(ModalityDict(X), y, groups=groups)
    _, train, validation = splits[-1]
    assert np.intersect1d(groups[train], groups[validation]).size > 0


def test_groups_routed_through_grid_search(monkeypatch):
    # Under metadata routing the search's groups split its folds and, requested, reach fit.
    X, y, groups = _grouped_data()
    splits = _recorded_splits(monkeypatch)
    with config_context(enable_metadata_routing=True):
        estimator = DSRSDClassifier(**SMALL, early_stopping=True).set_fit_request(groups=True)
        search = GridSearchCV(estimator, {"alpha": [1e-4]}, cv=GroupKFold(2))
        search.fit(ModalityDict(X), y, groups=groups)
    assert len(splits) == 3  # two folds, then the refit
    for _, train, validation in splits[:2]:
        assert len(train) + len(validation) == len(y) // 2
    _, train, validation = splits[2]
    assert np.intersect1d(groups[train], groups[validation]).size == 0


# -- partial_fit ------------------------------------------------------------------------------


def test_partial_fit_trains_one_epoch_per_call():
    X, y = _data()
    estimator = DSRSDClassifier(**SMALL)
    for call in range(1, 4):
        estimator.partial_fit(X, y, classes=[0, 1])
        assert estimator.n_iter_ == call
        assert len(estimator.loss_curve_) == call
    np.testing.assert_array_equal(estimator.classes_, [0, 1])
    assert estimator.loss_curve_[-1] < estimator.loss_curve_[0]
    assert estimator.predict_proba(X).shape == (60, 2)


def test_partial_fit_is_reproducible_and_matches_fit_epoch_by_epoch():
    X, y = _data()
    fitted = DSRSDClassifier(**SMALL).fit(X, y)
    parts = DSRSDClassifier(**SMALL)
    for _ in range(SMALL["max_iter"]):
        parts.partial_fit(X, y, classes=[0, 1])
    # The same seed, data and optimiser state: one fit of 3 epochs == 3 partial fits.
    np.testing.assert_allclose(parts.loss_curve_, fitted.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(parts.predict_proba(X), fitted.predict_proba(X), rtol=1e-6)


def test_partial_fit_continues_after_fit():
    X, y = _data()
    estimator = DSRSDClassifier(**SMALL).fit(X, y)
    estimator.partial_fit(X, y)
    assert estimator.n_iter_ == SMALL["max_iter"] + 1


def test_partial_fit_classes_may_hold_labels_absent_from_a_part():
    X, y = _data()
    labels = np.array(["no", "yes"])[y]
    estimator = DSRSDClassifier(**SMALL)
    part = labels == "no"
    estimator.partial_fit(
        {k: v[part] for k, v in X.items()}, labels[part], classes=["no", "yes", "maybe"]
    )
    np.testing.assert_array_equal(estimator.classes_, ["maybe", "no", "yes"])
    assert estimator.predict_proba(X).shape == (60, 3)


@pytest.mark.parametrize(
    "kwargs, call, match",
    [
        ({}, dict(), "classes must be passed on the first call to partial_fit"),
        ({}, dict(classes=[0]), "at least 2 classes in classes"),
        ({}, dict(classes=[1, 2]), r"y holds classes \[0\] not in classes"),
        ({"class_weight": "balanced"}, dict(classes=[0, 1]), "class_weight='balanced'"),
    ],
)
def test_partial_fit_errors(kwargs, call, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        DSRSDClassifier(**SMALL, **kwargs).partial_fit(X, y, **call)


@pytest.mark.parametrize("Estimator", [DSRSDClassifier, DSRSDRegressor])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"early_stopping": True}, "early_stopping=True is not supported"),
        ({"missing_strategy": "distill"}, "missing_strategy='distill'"),
    ],
)
def test_partial_fit_absent_where_unsupported(Estimator, kwargs, match):
    # As scikit-learn's MLP without a stochastic solver: no partial_fit, and the reason.
    estimator = Estimator(**SMALL, **kwargs)
    assert not hasattr(estimator, "partial_fit")
    with pytest.raises(AttributeError) as error:
        getattr(estimator, "partial_fit")  # noqa: B009
    assert match in str(error.value.__cause__)


def test_partial_fit_later_calls_check_classes_and_features():
    X, y = _data()
    estimator = DSRSDClassifier(**SMALL).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="differs from the classes of the first call"):
        estimator.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"y holds classes \[7\] not seen in the first fit"):
        estimator.partial_fit(X, np.where(y == 1, 7, 0))
    with pytest.raises(ValueError, match="Modality 'a' has 3 features"):
        estimator.partial_fit({"a": X["a"][:, :3], "b": X["b"]}, y)


def test_regressor_partial_fit_with_sample_weight():
    X, y = _data()
    target = X["a"][:, 0] - X["b"][:, 1]
    estimator = DSRSDRegressor(**SMALL)
    for _ in range(4):
        estimator.partial_fit(X, target, sample_weight=np.linspace(0.5, 2, len(target)))
    assert estimator.n_iter_ == 4
    assert np.isfinite(estimator.predict(X)).all()


def test_partial_fit_only_on_the_network_path_of_baselines():
    X, y = _data()
    assert not hasattr(EarlyFusionClassifier(estimator=LogisticRegression()), "partial_fit")
    network = EarlyFusionClassifier(hidden_size=8, random_state=0)
    network.partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    assert network.n_iter_ == 2
    regressor = LateFusionRegressor(hidden_size=8, random_state=0)
    assert regressor.partial_fit(X, y.astype(float)).n_iter_ == 1
    assert hasattr(EarlyFusionRegressor(), "partial_fit")
    CoAttentionClassifier(hidden_size=8, n_tokens=2).partial_fit(X, y, classes=[0, 1])


def test_partial_fit_request_under_routing():
    with config_context(enable_metadata_routing=True):
        estimator = DSRSDClassifier().set_partial_fit_request(sample_weight=True)
        routing = estimator.get_metadata_routing()
    assert routing.partial_fit.requests["sample_weight"] is True


# -- device -----------------------------------------------------------------------------------


def test_device_auto_picks_what_the_machine_has():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert _resolve_device("auto") == expected
    assert _resolve_device("cpu") == "cpu"
    X, y = _data()
    estimator = DSRSDClassifier(**SMALL, device="auto").fit(X, y)
    assert estimator.device == "auto"  # the parameter is left as given
    assert str(estimator.net_.device) == expected


@pytest.mark.parametrize("factor", [0.25, 8.0])
def test_sample_weights_matter_only_relative_to_each_other(factor):
    # Scaling by a power of two is exact in floating point, so the fits must be identical:
    # the weighted loss and the weighted standardisation are both normalised by the weights.
    X, y = _data()
    weights = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    base = DSRSDRegressor(**SMALL).fit(X, y.astype(float), sample_weight=weights)
    scaled = DSRSDRegressor(**SMALL).fit(X, y.astype(float), sample_weight=factor * weights)
    np.testing.assert_array_equal(base.predict(X), scaled.predict(X))


def test_regressor_target_scaling_is_weighted():
    X, y = _data()
    target = X["a"][:, 0] * 10 + 3
    weights = np.where(np.arange(len(target)) < 20, 0.0, 1.0)
    estimator = DSRSDRegressor(**SMALL).fit(X, target, sample_weight=weights)
    np.testing.assert_allclose(estimator._y_mean, [target[20:].mean()])
    np.testing.assert_allclose(estimator._y_scale, [target[20:].std()])
