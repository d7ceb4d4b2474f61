"""Baseline estimators: input forms, missing modalities, search, wrapping, sklearn checks."""

import pickle

import numpy as np
import pytest
import torch
from conftest import expected_failed_checks
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dsrsd import ModalityDict
from sklearn_dsrsd._modules import CoAttentionModule, LateFusionModule, block_key
from sklearn_dsrsd.baselines import (
    CoAttentionClassifier,
    CoAttentionRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    SingleModalityClassifier,
    SingleModalityRegressor,
)

CLASSIFIERS = [
    SingleModalityClassifier,
    EarlyFusionClassifier,
    LateFusionClassifier,
    CoAttentionClassifier,
]
REGRESSORS = [
    SingleModalityRegressor,
    EarlyFusionRegressor,
    LateFusionRegressor,
    CoAttentionRegressor,
]
ALL = CLASSIFIERS + REGRESSORS

# Small and fast, but trained enough to pass check_classifiers_train (> 0.83 accuracy) and
# check_regressors_train (R^2 > 0.5); the settings of tests/test_check_estimator.py.
SMALL = dict(
    max_iter=40,
    hidden_size=32,
    learning_rate_init=0.01,
    batch_size=32,
    random_state=0,
)
# Tiny: for tests that only exercise plumbing.
TINY = dict(max_iter=3, hidden_size=8, batch_size=32, random_state=0)


def tiny(cls, **params):
    extra = (
        {"n_heads": 2, "n_tokens": 2}
        if cls in (CoAttentionClassifier, CoAttentionRegressor)
        else {}
    )
    return cls(**{**TINY, **extra, **params})


def make_data(n_samples=60, seed=0):
    """Two tabular modalities and one sequence modality; y depends on all three."""
    rng = np.random.RandomState(seed)
    a = rng.normal(size=(n_samples, 4))
    b = rng.normal(size=(n_samples, 3))
    seq = rng.normal(size=(n_samples, 5, 2))
    signal = a[:, 0] + b[:, 1] + seq[:, :, 0].mean(axis=1)
    return {"a": a, "b": b, "seq": seq}, signal


def target(cls, signal):
    return (signal > 0).astype(int) if cls in CLASSIFIERS else signal


def with_missing_rows(X, rows=(0, 3, 7)):
    """A copy of X in which modality "b" (and "seq" when there) is all-NaN for some rows."""
    X = {name: np.array(block, dtype=float) for name, block in X.items()}
    X["b"][list(rows)] = np.nan
    if "seq" in X:
        X["seq"][list(rows)[1:]] = np.nan
    return X


def check_outputs(estimator, X, n_samples, absent=None):
    prediction = estimator.predict(X)
    assert prediction.shape == (n_samples,)
    if is_classifier(estimator):
        proba = estimator.predict_proba(X)
        assert proba.shape == (n_samples, 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    else:
        assert np.isfinite(prediction).all()
    weights = estimator.modality_weights(X)
    assert weights.shape == (n_samples, len(estimator.modalities_))
    assert np.isfinite(weights).all() and (weights >= 0).all()
    if absent is not None:
        np.testing.assert_array_equal(weights[absent], 0.0)
    sums = weights.sum(axis=1)
    if isinstance(estimator, (SingleModalityClassifier, SingleModalityRegressor)):
        assert set(np.round(sums, 6)) <= {0.0, 1.0}
    else:
        np.testing.assert_allclose(sums, 1.0)


# -- input forms and missing modalities ---------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("form", ["dict", "ModalityDict"])
def test_mapping_input_with_sequence_modality(cls, form):
    X, signal = make_data()
    wrap = dict if form == "dict" else ModalityDict
    estimator = tiny(cls).fit(wrap(X), target(cls, signal))
    assert estimator.modalities_ == {"a": 4, "b": 3, "seq": (5, 2)}
    assert hasattr(estimator, "net_") and not hasattr(estimator, "estimator_")
    X_missing = with_missing_rows(X)
    absent = np.zeros((60, 3), dtype=bool)
    absent[[0, 3, 7], 1] = True
    absent[[3, 7], 2] = True
    check_outputs(estimator, wrap(X_missing), 60, absent)
    # A whole modality absent at predict: key missing or None.
    check_outputs(estimator, wrap({"a": X["a"], "b": None, "seq": X["seq"]}), 60)
    check_outputs(estimator, wrap({"a": X["a"], "seq": X["seq"]}), 60)


@pytest.mark.parametrize("cls", ALL)
def test_fit_with_missing_rows(cls):
    X, signal = make_data()
    X_train = with_missing_rows(X, rows=(10, 11, 12, 13))
    estimator = tiny(cls).fit(X_train, target(cls, signal))
    assert np.isfinite(estimator.loss_curve_).all()
    check_outputs(estimator, X_train, 60)
    with pytest.raises(ValueError, match="every modality missing"):
        estimator.predict({"a": np.full((2, 4), np.nan), "b": None, "seq": None})


@pytest.mark.parametrize("cls", ALL)
def test_array_input_with_modalities_parameter(cls):
    X, signal = make_data()
    array = np.hstack([X["a"], X["b"]])
    estimator = tiny(cls, modalities={"a": [0, 1, 2, 3], "b": slice(4, 7)})
    estimator.fit(array, target(cls, signal))
    assert estimator.modalities_ == {"a": 4, "b": 3}
    missing = array.copy()
    missing[[1, 2], 4:] = np.nan
    absent = np.zeros((60, 2), dtype=bool)
    absent[[1, 2], 1] = True
    check_outputs(estimator, missing, 60, absent)


@pytest.mark.parametrize("cls", ALL)
def test_dataframe_with_column_transformer_prefixes(cls):
    pd = pytest.importorskip("pandas")
    X, signal = make_data()
    columns = [f"a__f{i}" for i in range(4)] + [f"b__g{i}" for i in range(3)]
    frame = pd.DataFrame(np.hstack([X["a"], X["b"]]), columns=columns)
    estimator = tiny(cls).fit(frame, target(cls, signal))
    assert estimator.modalities_ == {"a": 4, "b": 3}
    assert list(estimator.feature_names_in_) == columns
    missing = frame.copy()
    missing.iloc[[5, 6], :4] = np.nan
    absent = np.zeros((60, 2), dtype=bool)
    absent[[5, 6], 0] = True
    check_outputs(estimator, missing, 60, absent)


@pytest.mark.parametrize("cls", ALL)
def test_grid_search_on_modality_dict(cls):
    X, signal = make_data(n_samples=48)
    search = GridSearchCV(tiny(cls, max_iter=2), {"hidden_size": [4, 8]}, cv=2)
    search.fit(ModalityDict(X), target(cls, signal))
    assert search.best_params_["hidden_size"] in (4, 8)
    assert search.predict(ModalityDict(X)).shape == (48,)


# -- semantics of each family ---------------------------------------------------------------


@pytest.mark.parametrize("cls", [SingleModalityClassifier, SingleModalityRegressor])
def test_single_modality_uses_only_its_modality(cls):
    X, signal = make_data()
    estimator = tiny(cls, modality="b").fit(X, target(cls, signal))
    assert estimator.modality_ == "b"
    assert estimator.net_.module_.modality_index == 1
    changed = {**X, "a": X["a"] + 5.0, "seq": None}
    np.testing.assert_array_equal(estimator.predict(changed), estimator.predict(X))
    weights = estimator.modality_weights(with_missing_rows(X))
    np.testing.assert_array_equal(weights[:, [0, 2]], 0.0)
    np.testing.assert_array_equal(weights[[0, 3, 7], 1], 0.0)
    assert (weights[[1, 2], 1] == 1.0).all()
    assert tiny(cls).fit(X, target(cls, signal)).modality_ == "a"
    with pytest.raises(ValueError, match=r"modality='c' is not one of .*\['a', 'b', 'seq'\]"):
        tiny(cls, modality="c").fit(X, target(cls, signal))


def test_late_fusion_averages_probabilities_of_present_modalities():
    torch.manual_seed(0)
    module = LateFusionModule([(3,), (4, 2)], n_outputs=3, hidden_size=8, dropout=0.0).eval()
    inputs = {block_key(0): torch.randn(5, 3), block_key(1): torch.randn(5, 4, 2)}
    mask = torch.tensor([[True, True], [True, False], [False, True], [True, True], [True, False]])
    logits, codes = module(mask, **inputs)
    per_modality = [
        torch.softmax(model(inputs[block_key(m)]), dim=1) for m, model in enumerate(module.models)
    ]
    weights = mask.float() / mask.float().sum(dim=1, keepdim=True)
    expected = weights[:, 0:1] * per_modality[0] + weights[:, 1:2] * per_modality[1]
    torch.testing.assert_close(torch.softmax(logits, dim=1), expected)
    torch.testing.assert_close(logits.exp().sum(dim=1), torch.ones(5))
    torch.testing.assert_close(codes["modality_weights"], weights)
    assert "shared" not in codes

    regression = LateFusionModule(
        [(3,), (4, 2)], n_outputs=2, task="regression", hidden_size=8, dropout=0.0
    ).eval()
    output, _ = regression(mask, **inputs)
    outputs = [model(inputs[block_key(m)]) for m, model in enumerate(regression.models)]
    torch.testing.assert_close(output, weights[:, 0:1] * outputs[0] + weights[:, 1:2] * outputs[1])


def test_co_attention_ignores_absent_modalities():
    torch.manual_seed(0)
    module = CoAttentionModule(
        [(3,), (4, 2)], n_outputs=2, hidden_size=8, n_tokens=3, n_heads=2, dropout=0.0
    ).eval()
    assert module.token_modality.tolist() == [0, 0, 0, 1, 1, 1, 1]
    inputs = {block_key(0): torch.randn(4, 3), block_key(1): torch.randn(4, 4, 2)}
    mask = torch.tensor([[True, False], [True, True], [False, True], [True, False]])
    output, codes = module(mask, **inputs)
    noisy = {**inputs, block_key(1): inputs[block_key(1)] + 100.0}
    noisy_output, _ = module(mask, **noisy)
    # Rows 0 and 3 lack modality 1: its values cannot reach their prediction.
    torch.testing.assert_close(noisy_output[[0, 3]], output[[0, 3]])
    assert not torch.allclose(noisy_output[1], output[1])
    weights = codes["modality_weights"]
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))
    assert (weights[~mask] == 0).all()
    assert "shared" not in codes


def test_co_attention_checks_heads_divide_hidden_size():
    X, signal = make_data()
    with pytest.raises(ValueError, match="divisible by n_heads"):
        CoAttentionClassifier(hidden_size=10, n_heads=4, max_iter=1).fit(X, signal > 0)


# -- the wrapped-estimator path -------------------------------------------------------------


def standardised(X, train):
    """Training-statistics scaling; a sequence block is scaled per feature over all steps."""
    axes = {name: tuple(range(train[name].ndim - 1)) for name in X}
    return {
        name: (X[name] - train[name].mean(axis=axes[name])) / train[name].std(axis=axes[name])
        for name in X
    }


@pytest.mark.parametrize(
    "cls, estimator",
    [
        (SingleModalityClassifier, LogisticRegression()),
        (SingleModalityRegressor, Ridge()),
        (EarlyFusionClassifier, LogisticRegression()),
        (EarlyFusionRegressor, Ridge()),
    ],
)
def test_wrapped_linear_model_sees_standardised_features(cls, estimator):
    X, signal = make_data()
    y = target(cls, signal)
    model = cls(estimator=estimator).fit(X, y)
    assert hasattr(model, "estimator_") and not hasattr(model, "net_")
    # n_iter_ is the wrapped estimator's (scikit-learn's checks want it for any max_iter)
    assert model.n_iter_ == int(np.max(getattr(model.estimator_, "n_iter_", None) or 1))
    assert model.estimator_ is not estimator and not hasattr(estimator, "coef_")
    X_missing = with_missing_rows(X)
    Z = standardised(X_missing, X)
    if cls in (SingleModalityClassifier, SingleModalityRegressor):
        features = np.nan_to_num(Z["a"])
    else:
        present = ~np.isnan(X_missing["b"]).all(axis=1)
        seq_present = ~np.isnan(X_missing["seq"]).all(axis=(1, 2))
        mask = np.column_stack([np.ones(60), present, seq_present])
        blocks = [np.nan_to_num(Z[name]).reshape(60, -1) for name in ("a", "b", "seq")]
        features = np.hstack([*blocks, mask])
    np.testing.assert_allclose(
        model.predict(X_missing) if cls not in CLASSIFIERS else model.predict_proba(X_missing),
        (model.estimator_.predict if cls not in CLASSIFIERS else model.estimator_.predict_proba)(
            features.astype(np.float32)
        ),
        rtol=1e-5,
        atol=1e-6,
    )
    if cls in CLASSIFIERS:
        np.testing.assert_array_equal(model.classes_, [0, 1])
        assert model.decision_function(X).shape == (60,)
        assert model.score(X, y) > 0.7
    check_outputs(model, X_missing, 60)


@pytest.mark.parametrize(
    "cls, estimator",
    [
        (SingleModalityClassifier, HistGradientBoostingClassifier(max_iter=10)),
        (SingleModalityRegressor, HistGradientBoostingRegressor(max_iter=10)),
        (EarlyFusionClassifier, HistGradientBoostingClassifier(max_iter=10)),
        (EarlyFusionRegressor, HistGradientBoostingRegressor(max_iter=10)),
    ],
)
def test_wrapped_gradient_boosting_every_form(cls, estimator):
    pd = pytest.importorskip("pandas")
    X, signal = make_data()
    y = target(cls, signal)
    model = cls(estimator=estimator).fit(ModalityDict(X), y)
    check_outputs(model, ModalityDict(with_missing_rows(X)), 60)
    columns = [f"a__f{i}" for i in range(4)] + [f"b__g{i}" for i in range(3)]
    frame = pd.DataFrame(np.hstack([X["a"], X["b"]]), columns=columns)
    model = clone(model).fit(frame, y)
    assert model.modalities_ == {"a": 4, "b": 3}
    check_outputs(model, frame, 60)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(frame), model.predict(frame))


def test_wrapped_methods_follow_the_wrapped_estimator():
    X, signal = make_data()
    y = signal > 0
    neural = tiny(EarlyFusionClassifier)
    assert hasattr(neural, "predict_proba") and not hasattr(neural, "decision_function")
    svc = EarlyFusionClassifier(estimator=LinearSVC())
    assert not hasattr(svc, "predict_proba") and hasattr(svc, "decision_function")
    svc.fit(X, y)
    assert svc.predict(X).dtype == bool

    # Switching paths with set_params leaves only the current path's attributes.
    model = tiny(SingleModalityClassifier).fit(X, y)
    model.set_params(estimator=LogisticRegression()).fit(X, y)
    assert hasattr(model, "estimator_") and not hasattr(model, "net_")
    assert not hasattr(model, "loss_curve_") and not hasattr(model, "do_early_stopping_")
    model.set_params(estimator=None).fit(X, y)
    assert hasattr(model, "net_") and not hasattr(model, "estimator_")
    assert hasattr(model, "do_early_stopping_")


def test_fitted_path_predicts_until_the_next_fit():
    # As in scikit-learn, a parameter set after fit takes effect at the next fit: the
    # fitted model (network or wrapped estimator) keeps predicting, whatever `estimator`.
    X, signal = make_data()
    y = signal > 0
    neural = tiny(EarlyFusionClassifier).fit(X, y)
    proba = neural.predict_proba(X)
    neural.set_params(estimator=LinearSVC())
    np.testing.assert_array_equal(neural.predict_proba(X), proba)
    assert hasattr(neural, "partial_fit") and not hasattr(neural, "decision_function")
    wrapped = EarlyFusionClassifier(estimator=LinearSVC()).fit(X, y)
    decision = wrapped.decision_function(X)
    wrapped.set_params(estimator=None)
    np.testing.assert_array_equal(wrapped.decision_function(X), decision)
    np.testing.assert_array_equal(wrapped.predict(X), decision > 0)
    assert not hasattr(wrapped, "predict_proba") and not hasattr(wrapped, "partial_fit")
    wrapped.fit(X, y)  # the network now
    assert hasattr(wrapped, "net_") and hasattr(wrapped, "partial_fit")


def test_failed_wrapped_refit_leaves_the_estimator_unfitted():
    # The refit rescales the inputs before the wrapped fit fails: the old estimator_ must
    # not go on predicting from inputs standardised for other data.
    X, signal = make_data()
    model = EarlyFusionClassifier(estimator=LogisticRegression()).fit(X, signal > 0)
    shifted = {name: block * 100 + 50 for name, block in X.items()}
    with pytest.raises(ValueError, match="class"):
        model.fit(shifted, np.zeros(len(signal)))  # one class: LogisticRegression refuses
    assert not hasattr(model, "estimator_") and not hasattr(model, "classes_")
    with pytest.raises(NotFittedError):
        model.predict_proba(X)


def test_grid_search_between_network_and_wrapped_estimator():
    X, signal = make_data(n_samples=48)
    search = GridSearchCV(
        tiny(EarlyFusionClassifier), {"estimator": [None, LogisticRegression()]}, cv=2
    )
    search.fit(ModalityDict(X), signal > 0)
    assert len(search.cv_results_["params"]) == 2


# -- scikit-learn's own checks (one expected failure: conftest.expected_failed_checks) ----


def _small(cls):
    extra = {"n_tokens": 2} if cls in (CoAttentionClassifier, CoAttentionRegressor) else {}
    return cls(**SMALL, **extra)


@parametrize_with_checks(
    [_small(cls) for cls in ALL], expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
