"""Safe persistence: ``save``/``load`` round trips, and files that must be refused."""

import builtins
import json
import os
import pickle
import shlex
from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import sklearn_dsrsd
from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor, _base, baselines
from sklearn_dsrsd._persistence import FORMAT_VERSION

SMALL = dict(max_iter=2, hidden_size=8, random_state=0)
DSRSD_SMALL = dict(SMALL, code_size=4)
OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "transform", "modality_weights")


def _data(n_samples=60):
    rng = np.random.default_rng(0)
    X = {
        "a": rng.normal(size=(n_samples, 3)),
        "b": rng.normal(size=(n_samples, 2)),
        "c": rng.normal(size=(n_samples, 4)),
    }
    score = X["a"][:, 0] + X["b"][:, 0] + X["c"][:, 0]
    return {
        "X": X,
        "binary": (score > 0).astype(int),
        # Strings, so that classes_ must come back with its dtype.
        "labels": np.array(["high", "low", "mid"])[np.digitize(score, [-0.7, 0.7])],
        "target": score + 0.1 * rng.normal(size=n_samples),
        "sequence": rng.normal(size=(n_samples, 5, 2)),
    }


def _case(name):
    """(unfitted estimator, X, y) of each round-trip case."""
    data = _data()
    X, binary, labels, target = data["X"], data["binary"], data["labels"], data["target"]
    if name == "dsrsd-binary":
        return DSRSDClassifier(**DSRSD_SMALL), X, binary
    if name == "dsrsd-3-classes-str-balanced":
        return DSRSDClassifier(class_weight="balanced", **DSRSD_SMALL), X, labels
    if name == "dsrsd-regressor-2d-y":
        return DSRSDRegressor(**DSRSD_SMALL), X, np.column_stack([target, 2 * target + 1])
    if name in ("dsrsd-distill-classifier", "dsrsd-distill-regressor"):
        # Some rows lack a modality, so that the student differs from its teacher.
        X = dict(X, c=np.where(np.arange(60)[:, None] < 10, np.nan, X["c"]))
        if name.endswith("classifier"):
            return DSRSDClassifier(missing_strategy="distill", **DSRSD_SMALL), X, labels
        return DSRSDRegressor(missing_strategy="distill", **DSRSD_SMALL), X, target
    if name == "dsrsd-dataframe-modality":
        X = dict(X, b=pd.DataFrame(X["b"], columns=["u", "v"]))
        return DSRSDClassifier(**DSRSD_SMALL), X, binary
    if name == "dsrsd-2d-array-modalities":
        array = np.column_stack([X["a"][:, :2], X["b"]])
        return (
            DSRSDRegressor(modalities={"a": [0, 1], "b": [2, 3]}, **DSRSD_SMALL),
            array,
            target,
        )
    if name == "dsrsd-early-stopping-adaptive-pandas-output":
        estimator = DSRSDClassifier(
            early_stopping=True,
            learning_rate="adaptive",
            class_weight={0: 1.0, 1: 2.0},
            **DSRSD_SMALL,
        )
        return estimator.set_output(transform="pandas"), X, binary
    if name == "dsrsd-sequence":
        return DSRSDClassifier(**DSRSD_SMALL), dict(X, s=data["sequence"]), binary
    cls = getattr(baselines, name)
    estimator = cls(**SMALL)
    return estimator, X, binary if is_classifier(estimator) else target


CASES = [
    "dsrsd-binary",
    "dsrsd-3-classes-str-balanced",
    "dsrsd-regressor-2d-y",
    "dsrsd-distill-classifier",
    "dsrsd-distill-regressor",
    "dsrsd-dataframe-modality",
    "dsrsd-2d-array-modalities",
    "dsrsd-early-stopping-adaptive-pandas-output",
    "dsrsd-sequence",
    *sorted(baselines.__all__),
]


def _assert_same_outputs(expected, actual, X):
    compared = 0
    for method in OUTPUT_METHODS:
        if hasattr(expected, method):
            np.testing.assert_array_equal(getattr(actual, method)(X), getattr(expected, method)(X))
            compared += 1
    assert compared >= 2
    assert actual.n_iter_ == expected.n_iter_
    assert actual.loss_curve_ == expected.loss_curve_
    if is_classifier(expected):
        assert actual.classes_.dtype == expected.classes_.dtype
        np.testing.assert_array_equal(actual.classes_, expected.classes_)


@pytest.mark.parametrize("name", CASES)
def test_round_trip(name, tmp_path):
    estimator, X, y = _case(name)
    estimator.fit(X, y)
    path = tmp_path / "model.dsrsd"
    estimator.save(path)

    loaded = sklearn_dsrsd.load(path)
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    _assert_same_outputs(estimator, loaded, X)
    assert len(loaded.net_.history) == len(estimator.net_.history)
    assert not hasattr(loaded, "estimator_")
    if estimator.do_early_stopping_:
        assert loaded.validation_scores_ == estimator.validation_scores_
        assert isinstance(loaded.transform(X), pd.DataFrame)

    # The classmethod checks the class; sklearn_dsrsd.load takes any.
    assert type(type(estimator).load(str(path))) is type(estimator)
    other = DSRSDRegressor if is_classifier(estimator) else DSRSDClassifier
    with pytest.raises(TypeError, match=f"holds a {type(estimator).__name__}"):
        other.load(path)

    # warm_start continues from the loaded network exactly as from the original.
    estimator.set_params(warm_start=True).fit(X, y)
    loaded.set_params(warm_start=True).fit(X, y)
    _assert_same_outputs(estimator, loaded, X)
    assert loaded.n_iter_ == 4


def test_distillation_teacher_is_reattached(tmp_path):
    for name in ("dsrsd-distill-classifier", "dsrsd-distill-regressor"):
        estimator, X, y = _case(name)
        estimator.fit(X, y)
        estimator.save(tmp_path / "model.dsrsd")
        loaded = sklearn_dsrsd.load(tmp_path / "model.dsrsd")
        assert loaded.net_.teacher_module_ is loaded.teacher_net_.module_
        assert not any(p.requires_grad for p in loaded.teacher_net_.module_.parameters())
        assert not loaded.teacher_net_.module_.training
        edges, saved_edges = (loaded.net_.prototype_bin_edges, estimator.net_.prototype_bin_edges)
        if saved_edges is None:
            assert edges is None
        else:
            assert edges.dtype == saved_edges.dtype
            np.testing.assert_array_equal(edges, saved_edges)
        for key, value in estimator.teacher_net_.module_.state_dict().items():
            assert torch.equal(loaded.teacher_net_.module_.state_dict()[key], value)


def test_dataframe_columns_are_checked_after_load(tmp_path):
    estimator, X, y = _case("dsrsd-dataframe-modality")
    estimator.fit(X, y).save(tmp_path / "model.dsrsd")
    loaded = sklearn_dsrsd.load(tmp_path / "model.dsrsd")
    assert loaded._schema.column_names == {"b": ["u", "v"]}
    renamed = dict(X, b=X["b"].set_axis(["v", "u"], axis=1))
    with pytest.raises(ValueError, match="columns differ"):
        loaded.predict(renamed)


@pytest.mark.skipif(not hasattr(DSRSDClassifier, "partial_fit"), reason="no partial_fit")
@pytest.mark.parametrize("first_call", ["fit", "partial_fit"])
@pytest.mark.parametrize("schedule", ["adaptive", "cosine"])
def test_partial_fit_continues_exactly_after_load(tmp_path, schedule, first_call):
    # The optimiser's state and the random generators are saved too, and a cosine
    # schedule that partial_fit started goes on from where it was (not from the top).
    data = _data()
    estimator = DSRSDClassifier(learning_rate=schedule, **{**DSRSD_SMALL, "max_iter": 4})
    if first_call == "fit":
        estimator.fit(data["X"], data["binary"])
    else:
        estimator.partial_fit(data["X"], data["binary"], classes=[0, 1])
    estimator.save(tmp_path / "model.dsrsd")
    loaded = sklearn_dsrsd.load(tmp_path / "model.dsrsd")
    for _ in range(2):
        estimator.partial_fit(data["X"], data["binary"])
        loaded.partial_fit(data["X"], data["binary"])
        rate = estimator.net_.optimizer_.param_groups[0]["lr"]
        assert loaded.net_.optimizer_.param_groups[0]["lr"] == rate
        _assert_same_outputs(estimator, loaded, data["X"])


def test_parameters_that_reshape_the_network_after_fit_are_refused_by_save(tmp_path):
    # load rebuilds the network from the parameters: a file saved with a changed
    # hidden_size could not be loaded. A changed dropout rate reshapes nothing.
    data = _data()
    estimator = DSRSDClassifier(**DSRSD_SMALL).fit(data["X"], data["binary"])
    estimator.set_params(hidden_size=16)
    with pytest.raises(ValueError, match=r"changed after fit .*\(hidden_size 8 -> 16\)"):
        estimator.save(tmp_path / "model.dsrsd")
    assert not (tmp_path / "model.dsrsd").exists()
    estimator.set_params(missing_strategy="distill", hidden_size=8)
    with pytest.raises(ValueError, match="MultimodalNet -> DistillationNet"):
        estimator.save(tmp_path / "model.dsrsd")
    estimator.set_params(missing_strategy="dropout", dropout=0.5).save(tmp_path / "model.dsrsd")
    _assert_same_outputs(estimator, sklearn_dsrsd.load(tmp_path / "model.dsrsd"), data["X"])


def test_adaptive_schedule_changed_after_fit_is_refused_by_save(tmp_path):
    # The adaptive schedule's state is saved for partial_fit; a net rebuilt with another
    # schedule cannot take it, so the file would not load.
    data = _data()
    params = {**DSRSD_SMALL, "early_stopping": False, "learning_rate": "adaptive", "n_networks": 1}
    estimator = DSRSDClassifier(**params).fit(data["X"], data["binary"])
    estimator.set_params(learning_rate="constant")
    with pytest.raises(ValueError, match=r"changed after fit .*learning_rate 'adaptive' -> 'co"):
        estimator.save(tmp_path / "model.dsrsd")
    assert not (tmp_path / "model.dsrsd").exists()
    estimator.set_params(learning_rate="adaptive").save(tmp_path / "model.dsrsd")
    _assert_same_outputs(estimator, sklearn_dsrsd.load(tmp_path / "model.dsrsd"), data["X"])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A fitted classifier and the path of its saved file (not to be modified)."""
    data = _data()
    estimator = DSRSDClassifier(**DSRSD_SMALL).fit(data["X"], data["labels"])
    path = tmp_path_factory.mktemp("saved") / "model.dsrsd"
    estimator.save(path)
    return estimator, path, data["X"]


def _payload(path):
    return torch.load(path, weights_only=True, map_location="cpu")


def _rewritten(source, target, change_payload=None, change_state=None):
    """A copy of the file at ``source`` in ``target`` with its payload or state changed."""
    payload = _payload(source)
    if change_state is not None:
        state = json.loads(payload["state"])
        result = change_state(state)
        payload["state"] = result if isinstance(result, str) else json.dumps(state)
    if change_payload is not None:
        change_payload(payload)
    torch.save(payload, target)
    return target


def test_file_holds_only_plain_data_and_strict_json(fitted):
    estimator, path, _ = fitted
    payload = _payload(path)
    assert payload["format"] == "sklearn-dsrsd"
    assert payload["format_version"] == FORMAT_VERSION
    assert payload["package_version"] == sklearn_dsrsd.__version__
    assert payload["class"] == "DSRSDClassifier"

    def walk(value):
        assert type(value) in (str, int, float, bool, type(None), list, dict, torch.Tensor)
        for item in (
            value.values()
            if isinstance(value, dict)
            else (value if isinstance(value, list) else ())
        ):
            walk(item)

    walk(payload)

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    state = json.loads(payload["state"], parse_constant=refuse)
    assert state["params"]["hidden_size"] == 8
    assert "net_" in state["attributes"] and "_inference_modules" not in state["attributes"]


def test_any_fitted_attribute_round_trips(tmp_path):
    # New fitted attributes need no change to the format: the encoder is generic.
    data = _data()
    estimator = DSRSDRegressor(**DSRSD_SMALL).fit(data["X"], data["target"])
    estimator.extra_ = {
        "ints": [1, -2, 2**70],
        "floats": (0.1, float("nan"), float("inf"), -float("inf")),
        "plain": [None, True, False, "text"],
        1: "int key",
        (1, "a"): "tuple key",
        np.float32(0.5): "numpy key",
        "slice": slice(1, None, 2),
        "dtypes": [np.dtype(">i4"), np.dtype("<U3"), np.dtype(object), np.float32],
        "scalars": [
            np.float64(0.1),
            np.float32(1.5),
            np.int8(-3),
            np.uint64(2**64 - 1),
            np.bool_(True),
            np.str_("x"),
            np.complex128(1 + 2j),
            np.longdouble("0.1"),
            np.datetime64("2024-01-02"),
        ],
        "arrays": [
            np.arange(6, dtype=np.float32).reshape(2, 3),
            np.array([[True, False]]),
            np.array(["a", "bc"]).reshape(2, 1),
            np.array(["x", 2, None, 1.5], dtype=object),
            np.arange(4, dtype=np.uint16),
            np.arange(3, dtype=">f8"),
            np.zeros((0, 3)),
            np.array(5.0),
            np.array(["2024-01-01"], dtype="datetime64[D]"),
            np.array([b"ab", b"c"]),
            np.asfortranarray(np.arange(6.0).reshape(2, 3)),
            np.arange(10.0)[::2],
            np.array([1.5], dtype=np.longdouble),
        ],
        "random_state": np.random.RandomState(3),
        "tensor": torch.arange(3.0),
        "nested": {"list": [[1, 2], {"a": (3,)}]},
    }
    estimator._private_state = [np.int64(7)]
    estimator.save(tmp_path / "model.dsrsd")
    loaded = sklearn_dsrsd.load(tmp_path / "model.dsrsd")
    _assert_identical(loaded.extra_, estimator.extra_)
    _assert_identical(loaded._private_state, estimator._private_state)
    _assert_identical(loaded._schema.__dict__, estimator._schema.__dict__)
    _assert_identical(loaded._y_shape, estimator._y_shape)


def _assert_identical(actual, expected):
    """Equal values of the same types (and dtypes), NaN equal to NaN."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, np.ndarray):
        assert (actual.dtype, actual.shape) == (expected.dtype, expected.shape)
        if expected.dtype == object:
            for a, e in zip(actual.ravel(), expected.ravel(), strict=True):
                _assert_identical(a, e)
        else:
            np.testing.assert_array_equal(actual, expected)
    elif isinstance(expected, dict):
        assert len(actual) == len(expected)
        for (key, value), (key_e, value_e) in zip(actual.items(), expected.items(), strict=True):
            _assert_identical(key, key_e)
            _assert_identical(value, value_e)
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            _assert_identical(a, e)
    elif isinstance(expected, np.random.RandomState):
        _assert_identical(actual.get_state(), expected.get_state())
    elif isinstance(expected, torch.Tensor):
        assert torch.equal(actual, expected)
    elif isinstance(expected, float | np.floating) and np.isnan(expected):
        assert np.isnan(actual)
    else:
        assert actual == expected


def test_random_state_instance_parameter(tmp_path):
    data = _data()
    estimator = DSRSDClassifier(**dict(DSRSD_SMALL, random_state=np.random.RandomState(1)))
    estimator.fit(data["X"], data["binary"]).save(tmp_path / "model.dsrsd")
    loaded = sklearn_dsrsd.load(tmp_path / "model.dsrsd")
    assert loaded.random_state is not estimator.random_state
    _assert_identical(loaded.random_state, estimator.random_state)


def test_unfitted_estimator_is_not_saved(tmp_path):
    with pytest.raises(NotFittedError):
        DSRSDClassifier().save(tmp_path / "model.dsrsd")
    assert not (tmp_path / "model.dsrsd").exists()


def test_wrapped_scikit_learn_estimator_is_refused(tmp_path):
    data = _data()
    estimator = baselines.EarlyFusionClassifier(estimator=LogisticRegression())
    estimator.fit(data["X"], data["binary"])
    with pytest.raises(TypeError, match=r"parameter 'estimator'.*LogisticRegression.*pickle"):
        estimator.save(tmp_path / "model.dsrsd")
    assert not (tmp_path / "model.dsrsd").exists()


def test_unstorable_attribute_is_named(fitted, tmp_path):
    estimator, _, _ = fitted
    clone = pickle.loads(pickle.dumps(estimator))
    clone.lookup_ = {"key": [1, object()]}
    with pytest.raises(
        TypeError,
        match=r"attribute 'lookup_'\['key'\]\[1\] holds a "
        r"builtins\.object.*pickle",
    ):
        clone.save(tmp_path / "model.dsrsd")
    assert not (tmp_path / "model.dsrsd").exists()


def test_subclass_outside_the_package_is_refused(tmp_path):
    class MyClassifier(DSRSDClassifier):
        pass

    with pytest.raises(TypeError, match="estimators of sklearn-dsrsd only"):
        MyClassifier().save(tmp_path / "model.dsrsd")


def test_pickle_still_round_trips(fitted):
    estimator, _, X = fitted
    _assert_same_outputs(estimator, pickle.loads(pickle.dumps(estimator)), X)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_models_from_before_do_early_stopping_load(fitted, tmp_path, early_stopping):
    # Saved or pickled before early_stopping="auto" (6f088ea), a model has a bool
    # early_stopping and no do_early_stopping_: that bool says what its fit did.
    estimator, path, X = fitted

    def older(state):
        state["params"]["early_stopping"] = early_stopping
        del state["attributes"]["do_early_stopping_"]

    loaded = sklearn_dsrsd.load(_rewritten(path, tmp_path / "older.dsrsd", change_state=older))
    assert loaded.do_early_stopping_ is early_stopping
    _assert_same_outputs(estimator, loaded, X)
    pickled = pickle.loads(pickle.dumps(estimator))
    del pickled.do_early_stopping_
    pickled.early_stopping = early_stopping
    assert pickle.loads(pickle.dumps(pickled)).do_early_stopping_ is early_stopping


def test_models_from_before_linear_path_load_without_it(tmp_path):
    # Saved or pickled before linear_path existed, a model has no such parameter and its
    # network no linear terms.
    data = _data()
    estimator = DSRSDClassifier(**DSRSD_SMALL, linear_path=False).fit(data["X"], data["labels"])
    estimator.save(tmp_path / "model.dsrsd")

    def older(state):
        del state["params"]["linear_path"]

    path = _rewritten(tmp_path / "model.dsrsd", tmp_path / "older.dsrsd", change_state=older)
    loaded = sklearn_dsrsd.load(path)
    assert loaded.linear_path is False
    _assert_same_outputs(estimator, loaded, data["X"])
    state = estimator.__getstate__()
    del state["linear_path"]
    pickled = DSRSDClassifier.__new__(DSRSDClassifier)
    pickled.__setstate__(state)
    assert pickled.linear_path is False
    _assert_same_outputs(estimator, pickled, data["X"])
    # A model with the linear path saves and loads its terms.
    wide = DSRSDClassifier(**DSRSD_SMALL, linear_path=True).fit(data["X"], data["labels"])
    wide.save(tmp_path / "wide.dsrsd")
    _assert_same_outputs(wide, sklearn_dsrsd.load(tmp_path / "wide.dsrsd"), data["X"])


def test_average_saved_with_one_optimiser_group_loads_in_a_group_per_network(
    tmp_path, monkeypatch
):
    # Files saved before an average of networks had a parameter group per network hold
    # its optimiser (and adaptive schedule) state in one group; load moves each
    # parameter's state to its network's group, and partial_fit continues as before.
    data = _data()
    params = {**DSRSD_SMALL, "n_networks": 2, "early_stopping": False}
    with monkeypatch.context() as older:
        older.setattr(DSRSDClassifier, "_optimizer_groups", staticmethod(lambda n: {}))
        older.setattr(_base, "_load_members", partial(_base._load_members, optimizer=False))
        estimator = DSRSDClassifier(**params, learning_rate="adaptive").fit(
            data["X"], data["binary"]
        )
        estimator.partial_fit(data["X"], data["binary"])  # the schedule now has a state
        assert len(estimator.net_.optimizer_.param_groups) == 1
        estimator.save(tmp_path / "older.dsrsd")
    loaded = sklearn_dsrsd.load(tmp_path / "older.dsrsd")
    assert len(loaded.net_.optimizer_.param_groups) == 2
    _assert_same_outputs(estimator, loaded, data["X"])
    for _ in range(3):  # one schedule over the calls: the rate is cut on the way
        estimator.partial_fit(data["X"], data["binary"])
        loaded.partial_fit(data["X"], data["binary"])
        rate = estimator.net_.optimizer_.param_groups[0]["lr"]
        assert [group["lr"] for group in loaded.net_.optimizer_.param_groups] == [rate, rate]
        np.testing.assert_allclose(
            loaded.predict_proba(data["X"]), estimator.predict_proba(data["X"]), atol=1e-6
        )


def test_fusion_auto_loads_the_fusion_it_was_saved_with(fitted, monkeypatch):
    # A later version may resolve fusion="auto" to another fusion; the file's weights
    # belong to the network that the saved resolution built.
    estimator, path, X = fitted
    assert estimator.fusion == "auto" and estimator._resolved_fusion() == "gated_concat"
    assert sklearn_dsrsd.load(path).fusion == "auto"
    monkeypatch.setattr(DSRSDClassifier, "_auto_fusion", "concat")
    with pytest.warns(UserWarning, match="saved when fusion='auto' meant 'gated_concat'"):
        loaded = sklearn_dsrsd.load(path)
    assert loaded.fusion == "gated_concat"
    _assert_same_outputs(estimator, loaded, X)


# -- refused files ---------------------------------------------------------------------------


class _RunsShellCommand:
    """Unpickling it runs ``touch marker`` through os.system."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


class _OpensFile:
    """Unpickling it creates ``marker`` through builtins.open."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return builtins.open, (str(self.marker), "w")


@pytest.mark.parametrize(
    "payload_class",
    [
        pytest.param(
            _RunsShellCommand, marks=pytest.mark.skipif(os.name != "posix", reason="uses touch")
        ),
        _OpensFile,
    ],
)
def test_tampered_file_runs_no_code(fitted, tmp_path, payload_class):
    _, source, _ = fitted
    marker = tmp_path / "marker"
    path = _rewritten(
        source,
        tmp_path / "tampered.dsrsd",
        change_payload=lambda payload: payload.update(state=payload_class(marker)),
    )
    with pytest.raises(ValueError, match="objects other than tensors and plain data") as info:
        sklearn_dsrsd.load(path)
    assert str(path) in str(info.value)
    assert "loading refused" in str(info.value)
    assert not marker.exists()
    with pytest.raises(ValueError, match="objects other than tensors"):
        DSRSDClassifier.load(path)
    assert not marker.exists()
    # The payload is live: unpickling without weights_only runs it.
    torch.load(path, weights_only=False)
    assert marker.exists()


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(512))


def _malicious_plain_pickle(path):
    path.write_bytes(pickle.dumps(_OpensFile(path.parent / "marker")))


def _torch_state_dict(path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)


def _torch_dict_without_marker(path):
    torch.save({"format_version": 1, "state": "{}", "tensors": []}, path)


@pytest.mark.parametrize(
    "write",
    [
        _random_bytes,
        _malicious_plain_pickle,
        _torch_state_dict,
        _torch_dict_without_marker,
        lambda path: path.write_bytes(b""),
        lambda path: path.write_text("hello"),
        lambda path: path.write_bytes(pickle.dumps({"format": "sklearn-dsrsd"})),
        lambda path: path.mkdir(),
    ],
)
def test_foreign_file_is_refused(tmp_path, write):
    path = tmp_path / "foreign.dsrsd"
    write(path)
    with pytest.raises(ValueError, match="not a sklearn-dsrsd file") as info:
        sklearn_dsrsd.load(path)
    assert str(path) in str(info.value)
    assert not (tmp_path / "marker").exists()


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.dsrsd"):
        sklearn_dsrsd.load(tmp_path / "absent.dsrsd")


def _replace_in_state(old, new):
    def change(state):
        text = json.dumps(state)
        assert old in text
        return text.replace(old, new)

    return change


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            dict(change_payload=lambda p: p.update({"class": "EvilClassifier"})),
            "class 'EvilClassifier', which is not one of the estimators",
        ),
        (
            dict(change_payload=lambda p: p.update(format_version=FORMAT_VERSION + 1)),
            f"format version {FORMAT_VERSION + 1}.*Upgrade sklearn-dsrsd",
        ),
        (dict(change_payload=lambda p: p.update(format_version="1")), "format_version is '1'"),
        (
            dict(
                change_state=_replace_in_state(
                    '"sklearn.preprocessing.LabelEncoder"', '"posix.system"'
                )
            ),
            "class 'posix.system', which is not one of those the format allows",
        ),
        (
            dict(change_state=_replace_in_state('"__kind__": "tuple"', '"__kind__": "pickle"')),
            "unknown value kind 'pickle'",
        ),
        (
            dict(change_state=lambda state: state["attributes"].update(__class__=None)),
            "attribute '__class__' is not a valid attribute name",
        ),
        (
            dict(change_state=lambda state: state["params"].update(secret=1)),
            r"no parameters \['secret'\]",
        ),
        (
            dict(change_state=lambda state: state.update(resolved_params={"dropout": 0.5})),
            "resolved_params must be a mapping with at most the key 'fusion'",
        ),
        (
            dict(change_state=lambda state: state.update(resolved_params={"fusion": "bogus"})),
            r"resolved_params\['fusion'\] is 'bogus', not one of",
        ),
        (
            dict(change_state=lambda state: state.update(resolved_params={"fusion": ["concat"]})),
            r"resolved_params\['fusion'\] is \['concat'\], not one of",
        ),
        (dict(change_payload=lambda p: p.update(tensors=[])), "which the file lacks"),
        (dict(change_payload=lambda p: p.update(state="{not json")), "not a valid"),
        (dict(change_payload=lambda p: p.pop("tensors")), r"lacks \['tensors'\]"),
    ],
)
def test_invalid_file_is_refused(fitted, tmp_path, changes, message):
    _, source, _ = fitted
    path = _rewritten(source, tmp_path / "invalid.dsrsd", **changes)
    with pytest.raises(ValueError, match=message) as info:
        sklearn_dsrsd.load(path)
    assert str(path) in str(info.value)


def test_other_package_version_warns(fitted, tmp_path):
    estimator, source, X = fitted
    path = _rewritten(
        source, tmp_path / "old.dsrsd", change_payload=lambda p: p.update(package_version="0.0.1")
    )
    with pytest.warns(UserWarning, match="saved with sklearn-dsrsd 0.0.1"):
        loaded = sklearn_dsrsd.load(path)
    _assert_same_outputs(estimator, loaded, X)


# -- devices ---------------------------------------------------------------------------------


def _as_saved_on_gpu(state):
    state["params"]["device"] = "cuda"
    # The module's generator of a GPU net is a CUDA generator, whose state a CPU one lacks.
    for entry in state["attributes"]["net_"]["generators"]:
        if entry[0].startswith("module_"):
            entry[1] = "cuda"


def test_file_saved_on_gpu_loads_on_cpu(fitted, tmp_path, monkeypatch):
    estimator, source, X = fitted
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    path = _rewritten(source, tmp_path / "gpu.dsrsd", change_state=_as_saved_on_gpu)

    loaded = sklearn_dsrsd.load(path)
    assert loaded.device == "cpu"
    assert loaded.net_.device == "cpu"
    _assert_same_outputs(estimator, loaded, X)
    assert DSRSDClassifier.load(path, device="cpu").device == "cpu"
    with pytest.raises(ValueError, match="^device='cuda' asks for CUDA"):
        sklearn_dsrsd.load(path, device="cuda")
    with pytest.raises(ValueError, match="^device must be a torch device.*'nonsense'"):
        sklearn_dsrsd.load(path, device="nonsense")


def test_auto_device_is_kept(fitted, tmp_path):
    estimator, source, X = fitted
    path = _rewritten(
        source,
        tmp_path / "auto.dsrsd",
        change_state=lambda state: state["params"].update(device="auto"),
    )
    loaded = sklearn_dsrsd.load(path)
    assert loaded.device == "auto"
    if loaded.net_.device == "cpu":  # on a GPU, float64 products may round differently
        _assert_same_outputs(estimator, loaded, X)


def test_metadata_routing_requests_round_trip(tmp_path):
    # set_{method}_request is scikit-learn configuration of the estimator, neither a
    # parameter nor a fitted attribute; the file keeps it as the calls that made it.
    import sklearn

    data = _data()
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = (
            DSRSDClassifier(**DSRSD_SMALL)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight="weights")
            .fit(data["X"], data["binary"])
        )
    estimator.save(tmp_path / "model.dsrsd")
    loaded = sklearn_dsrsd.load(tmp_path / "model.dsrsd")
    for method in ("fit", "partial_fit", "score"):
        expected = getattr(estimator.get_metadata_routing(), method).requests
        assert getattr(loaded.get_metadata_routing(), method).requests == expected
    assert loaded.get_metadata_routing().score.requests == {"sample_weight": "weights"}
    _assert_same_outputs(estimator, loaded, data["X"])
