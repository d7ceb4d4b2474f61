"""ModalityWeightsDisplay: plots from estimators and from weights, validation, no matplotlib."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor
from sklearn_dsrsd.baselines import LateFusionClassifier
from sklearn_dsrsd.inspection import ModalityWeightsDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SMALL = dict(max_iter=2, hidden_size=8, batch_size=32, random_state=0)
NAMES = ["m0", "m1", "m2"]


def make_data(n_samples=60, n_classes=3, seed=0):
    rng = np.random.RandomState(seed)
    sizes = zip(NAMES, (4, 3, 5), strict=True)
    blocks = {name: rng.normal(size=(n_samples, d)) for name, d in sizes}
    score = sum(block[:, 0] for block in blocks.values())
    edges = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
    return blocks, np.searchsorted(edges, score), score


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def classifier(data):
    X, y, _ = data
    return DSRSDClassifier(**SMALL).fit(X, y)


@pytest.fixture(scope="module")
def regressor(data):
    X, _, score = data
    return DSRSDRegressor(**SMALL).fit(X, score)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(disp):
    return [text.get_text() for text in disp.legend_.get_texts()]


@pytest.mark.parametrize("kind", ["box", "bar"])
def test_from_estimator_kinds(classifier, data, kind):
    X, _, _ = data
    disp = ModalityWeightsDisplay.from_estimator(classifier, X, kind=kind, title="weights")
    artists = disp.boxes_ if kind == "box" else disp.bars_
    other = disp.bars_ if kind == "box" else disp.boxes_
    assert artists.shape == (1, 3)
    assert other is None
    assert disp.legend_ is None
    assert disp.modality_names == list(classifier.modalities_)
    np.testing.assert_allclose(disp.weights, classifier.modality_weights(X))
    assert disp.ax_.get_xlabel() == "modality"
    assert disp.ax_.get_ylabel() == "fusion weight"
    assert disp.ax_.get_title() == "weights"
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == NAMES
    assert disp.figure_ is disp.ax_.figure
    if kind == "bar":
        np.testing.assert_allclose([bar.get_height() for bar in disp.bars_[0]], disp.mean_weights_)
        assert len(disp.ax_.patches) == 3
    else:
        low, high = disp.ax_.get_ylim()
        assert low <= 0 and high >= 1


def test_ax_passed_in_is_used(classifier, data):
    X, _, _ = data
    fig, ax = plt.subplots()
    disp = ModalityWeightsDisplay.from_estimator(classifier, X, kind="bar", ax=ax)
    assert disp.ax_ is ax
    assert disp.figure_ is fig
    assert disp.ax_.get_title() == ""


@pytest.mark.parametrize("kind", ["box", "bar"])
@pytest.mark.parametrize("group_by", ["true", "predicted"])
def test_group_by_gives_one_artist_per_group_and_modality(classifier, data, kind, group_by):
    X, y, _ = data
    disp = ModalityWeightsDisplay.from_estimator(classifier, X, y=y, group_by=group_by, kind=kind)
    labels = np.unique(y if group_by == "true" else classifier.predict(X))
    np.testing.assert_array_equal(disp.group_labels_, labels)
    artists = disp.boxes_ if kind == "box" else disp.bars_
    assert artists.shape == (len(labels), 3)
    assert legend_texts(disp) == [str(label) for label in labels]
    assert disp.legend_.get_title().get_text() == f"{group_by} class"
    assert disp.group_mean_weights_.shape == (len(labels), 3)
    groups = y if group_by == "true" else classifier.predict(X)
    weights = classifier.modality_weights(X)
    for row, label in zip(disp.group_mean_weights_, labels, strict=True):
        np.testing.assert_allclose(row, weights[groups == label].mean(axis=0))


def test_regressor(regressor, data):
    X, y, score = data
    disp = ModalityWeightsDisplay.from_estimator(regressor, X)
    assert disp.boxes_.shape == (1, 3)
    with pytest.raises(ValueError, match='group_by="predicted" needs a classifier'):
        ModalityWeightsDisplay.from_estimator(regressor, X, group_by="predicted")
    with pytest.raises(ValueError, match="class labels in y"):
        ModalityWeightsDisplay.from_estimator(regressor, X, y=score, group_by="true")
    # Discrete labels are fine with a regressor.
    disp = ModalityWeightsDisplay.from_estimator(regressor, X, y=y, group_by="true")
    assert legend_texts(disp) == ["0", "1", "2"]


def test_baseline_estimator(data):
    X, y, _ = data
    clf = LateFusionClassifier(**SMALL).fit(X, y)
    disp = ModalityWeightsDisplay.from_estimator(clf, X, y=y, group_by="true", kind="bar")
    assert disp.bars_.shape == (3, 3)
    # Late fusion averages the modalities present: uniform weights.
    np.testing.assert_allclose(disp.mean_weights_, 1 / 3)


def test_from_estimator_errors(classifier, data):
    X, y, _ = data
    with pytest.raises(NotFittedError):
        ModalityWeightsDisplay.from_estimator(DSRSDClassifier(), X)
    with pytest.raises(TypeError, match="has no modality_weights method"):
        ModalityWeightsDisplay.from_estimator(LogisticRegression(), X)
    with pytest.raises(ValueError, match="group_by must be one of"):
        ModalityWeightsDisplay.from_estimator(classifier, X, group_by="class")
    with pytest.raises(ValueError, match="pass y"):
        ModalityWeightsDisplay.from_estimator(classifier, X, group_by="true")
    with pytest.raises(ValueError, match="one label per sample"):
        ModalityWeightsDisplay.from_estimator(classifier, X, y=y[:-1], group_by="true")
    with pytest.raises(ValueError, match=r"kind must be one of \['box', 'bar'\]"):
        ModalityWeightsDisplay.from_estimator(classifier, X, kind="violin")


def test_from_weights_and_mean_weights():
    rng = np.random.RandomState(0)
    weights = rng.dirichlet(np.ones(3), size=20)
    weights[:5, 1] = 0.0  # an absent modality: its zeros count
    groups = np.array(["a", "b"] * 10)
    disp = ModalityWeightsDisplay.from_weights(
        weights, {"x": 1, "y": 2, "z": 3}, groups=groups, group_name="split", kind="bar"
    )
    assert disp.modality_names == ["x", "y", "z"]
    np.testing.assert_allclose(disp.mean_weights_, weights.mean(axis=0))
    np.testing.assert_array_equal(disp.group_labels_, ["a", "b"])
    np.testing.assert_allclose(disp.group_mean_weights_[1], weights[1::2].mean(axis=0))
    assert legend_texts(disp) == ["a", "b"]
    assert disp.legend_.get_title().get_text() == "split"
    # plot again on other axes with the other kind
    _, ax = plt.subplots()
    disp.plot(ax=ax, kind="box", box_kw={"showfliers": False})
    assert disp.ax_ is ax and disp.bars_ is None and disp.boxes_.shape == (2, 3)


def test_constructor_does_not_plot():
    disp = ModalityWeightsDisplay([[0.25, 0.75], [0.75, 0.25]], ["a", "b"])
    np.testing.assert_allclose(disp.mean_weights_, [0.5, 0.5])
    assert disp.group_labels_ is None and disp.group_mean_weights_ is None
    assert not hasattr(disp, "ax_")
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "weights, names, groups, match",
    [
        (np.ones(3) / 3, NAMES, None, "weights must be a 2-D array"),
        (np.ones((4, 2)) / 2, NAMES, None, "weights has 2 columns but modality_names has 3"),
        (np.full((2, 3), np.nan), NAMES, None, "weights must be finite"),
        (np.full((2, 3), np.inf), NAMES, None, "weights must be finite"),
        (np.empty((0, 3)), NAMES, None, "at least one row"),
        ([["a", "b", "c"]], NAMES, None, "weights must be an array of numbers"),
        (np.ones((2, 3)) / 3, "abc", None, "modality_names must be a sequence"),
        (np.ones((2, 3)) / 3, ["a", "a", "b"], None, "modality_names must be unique"),
        (np.ones((2, 3)) / 3, NAMES, [0, 1, 0], "groups must be 1-D with one label per row"),
        (np.ones((2, 3)) / 3, NAMES, [[0], [1]], "groups must be 1-D"),
        (np.ones((2, 3)) / 3, NAMES, [1.0, np.nan], r"1 missing labels \(nan\)"),
        (np.ones((2, 3)) / 3, NAMES, np.array(["x", None], dtype=object), "1 missing labels"),
    ],
)
def test_validation(weights, names, groups, match):
    with pytest.raises(ValueError, match=match):
        ModalityWeightsDisplay(weights, names, groups=groups)
    with pytest.raises(ValueError, match=match):
        ModalityWeightsDisplay.from_weights(weights, names, groups=groups)


def test_unknown_kind():
    disp = ModalityWeightsDisplay(np.ones((2, 3)) / 3, NAMES)
    with pytest.raises(ValueError, match=r"kind must be one of \['box', 'bar'\]; got 'pie'"):
        disp.plot(kind="pie")
    with pytest.raises(ValueError, match="kind must be one of"):
        ModalityWeightsDisplay.from_weights(np.ones((2, 3)) / 3, NAMES, kind="pie")
    assert plt.get_fignums() == []


def test_without_matplotlib(monkeypatch):
    """The module imports and the display is built without matplotlib; plotting raises."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    # A fresh copy of the module, imported while matplotlib cannot be imported.
    path = Path(__file__).resolve().parents[1] / "sklearn_dsrsd" / "inspection.py"
    spec = importlib.util.spec_from_file_location("_inspection_without_matplotlib", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    weights = np.array([[0.2, 0.8], [0.6, 0.4]])
    disp = module.ModalityWeightsDisplay(weights, ["a", "b"], groups=[0, 1])
    np.testing.assert_allclose(disp.mean_weights_, [0.4, 0.6])
    with pytest.raises(ImportError, match="ModalityWeightsDisplay.plot requires matplotlib"):
        disp.plot()
    with pytest.raises(ImportError, match="from_weights requires matplotlib"):
        module.ModalityWeightsDisplay.from_weights(weights, ["a", "b"])
    with pytest.raises(ImportError, match="from_estimator requires matplotlib"):
        module.ModalityWeightsDisplay.from_estimator(object(), None)
