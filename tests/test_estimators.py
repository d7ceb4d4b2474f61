"""DSRSDClassifier / DSRSDRegressor: input forms, scikit-learn tooling, training, seeding."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import TINY, make_blocks
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skorch.helper import SliceDict

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor, ModalityDict
from sklearn_dsrsd._base import _AUTO_EARLY_STOPPING_MIN_SAMPLES
from sklearn_dsrsd._comparison import ablation_models
from sklearn_dsrsd._training import ModalityDataset
from sklearn_dsrsd.baselines import EarlyFusionClassifier


def _as_frame(blocks):
    return pd.DataFrame(
        np.hstack(list(blocks.values())),
        columns=[f"{name}_f{j}" for name, b in blocks.items() for j in range(b.shape[1])],
    )


def _column_transformer(blocks):
    columns = {name: [f"{name}_f{j}" for j in range(b.shape[1])] for name, b in blocks.items()}
    return ColumnTransformer(
        [(name, StandardScaler(), cols) for name, cols in columns.items()]
    ).set_output(transform="pandas")


def _modality_spec(blocks):
    spec, start = {}, 0
    for name, block in blocks.items():
        spec[name] = list(range(start, start + block.shape[1]))
        start += block.shape[1]
    return spec


INPUT_FORMS = ["dict", "ModalityDict", "SliceDict", "array+modalities", "ColumnTransformer"]


def _estimator_and_input(form, blocks):
    """An estimator (possibly a Pipeline) and the matching input for each input form."""
    if form == "dict":
        return DSRSDClassifier(**TINY), dict(blocks)
    if form == "ModalityDict":
        return DSRSDClassifier(**TINY), ModalityDict(blocks)
    if form == "SliceDict":
        return DSRSDClassifier(**TINY), SliceDict(**blocks)
    if form == "array+modalities":
        spec = _modality_spec(blocks)
        return DSRSDClassifier(modalities=spec, **TINY), np.hstack(list(blocks.values()))
    pipe = Pipeline([("columns", _column_transformer(blocks)), ("dsrsd", DSRSDClassifier(**TINY))])
    return pipe, _as_frame(blocks)


@pytest.mark.parametrize("form", INPUT_FORMS)
def test_input_forms_fit_predict_clone_pickle(form, blocks_and_y):
    blocks, y = blocks_and_y
    estimator, X = _estimator_and_input(form, blocks)
    estimator.fit(X, y)
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    assert list(final.modalities_) == ["m0", "m1", "m2"]
    assert final.modalities_ == {"m0": 4, "m1": 3, "m2": 5}
    proba = estimator.predict_proba(X)
    assert proba.shape == (120, 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    restored = pickle.loads(pickle.dumps(estimator))
    assert_array_equal(restored.predict_proba(X), proba)
    refit = clone(estimator).fit(X, y)
    assert_allclose(refit.predict_proba(X), proba)


@pytest.mark.parametrize(
    "form", ["ModalityDict", "SliceDict", "array+modalities", "ColumnTransformer"]
)
def test_input_forms_in_cross_validation_and_grid_search(form, blocks_and_y):
    blocks, y = blocks_and_y
    estimator, X = _estimator_and_input(form, blocks)
    scores = cross_val_score(estimator, X, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    prefix = "dsrsd__" if isinstance(estimator, Pipeline) else ""
    search = GridSearchCV(
        estimator, {f"{prefix}alignment_weight": [0.0, 0.5]}, cv=2, error_score="raise"
    ).fit(X, y)
    assert search.best_params_[f"{prefix}alignment_weight"] in (0.0, 0.5)
    assert search.predict(X).shape == (120,)


def test_plain_dict_cannot_be_split_by_cross_validation_but_modality_dict_can(blocks_and_y):
    # scikit-learn counts the keys of a plain dict as samples; ModalityDict fixes that.
    blocks, y = blocks_and_y
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cross_val_score(DSRSDClassifier(**TINY), dict(blocks), y, cv=2)
    X_train, X_test, y_train, y_test = train_test_split(ModalityDict(blocks), y, random_state=0)
    assert DSRSDClassifier(**TINY).fit(X_train, y_train).predict(X_test).shape == y_test.shape


@pytest.mark.parametrize("n_modalities", range(1, 7))
def test_one_to_six_modalities_and_gradients_reach_every_parameter(n_modalities):
    blocks, y = make_blocks(n_features=tuple(range(2, 2 + n_modalities)))
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    assert clf.modality_weights(blocks).shape == (120, n_modalities)
    assert_allclose(clf.modality_weights(blocks).sum(axis=1), 1.0)
    module, net = clf.net_.module_, clf.net_
    module.zero_grad()
    batch = ModalityDataset(*_standardised(clf, blocks), y).__getitems__(list(range(64)))
    net.get_loss(module(**batch[0]), batch[1], training=False).backward()
    missing = [name for name, p in module.named_parameters() if p.grad is None]
    # With one modality there is nothing to align across, so the alignment head is idle.
    if n_modalities == 1:
        missing = [name for name in missing if not name.startswith("alignment_heads")]
    assert missing == []


def _standardised(clf, blocks):
    batch = clf._schema.batch(blocks, clf)
    return batch.blocks, batch.modality_mask


def test_sequence_modality(blocks_and_y):
    blocks, y = blocks_and_y
    rng = np.random.RandomState(1)
    X = {"static": blocks["m0"], "weekly": rng.normal(size=(120, 6, 3))}
    clf = DSRSDClassifier(**TINY).fit(X, y)
    assert clf.modalities_ == {"static": 4, "weekly": (6, 3)}
    assert clf.predict(X).shape == (120,)
    with pytest.raises(ValueError, match=r"Modality 'weekly' has shape .*\(5, 3\).*\(6, 3\)"):
        clf.predict({"static": blocks["m0"], "weekly": rng.normal(size=(120, 5, 3))})


@pytest.mark.parametrize(
    "labels", [np.array([3, 7]), np.array(["fail", "pass"]), np.array([False, True])]
)
def test_classifier_label_types(labels, blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY).fit(blocks, labels[y])
    assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(blocks)) <= set(labels)
    assert clf.predict(blocks).dtype == labels.dtype


def test_multiclass_probabilities():
    blocks, y = make_blocks(n_classes=4)
    clf = DSRSDClassifier(**{**TINY, "max_iter": 30}, learning_rate_init=0.01).fit(blocks, y)
    proba = clf.predict_proba(blocks)
    assert proba.shape == (120, 4)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(blocks), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(blocks, y) > 0.5  # chance is 0.25


@pytest.mark.parametrize("target_shape", [(), (3,)])
def test_regressor_targets(target_shape, blocks_and_y):
    blocks, _ = blocks_and_y
    rng = np.random.RandomState(0)
    signal = blocks["m0"][:, :1] + blocks["m1"][:, :1]
    y = (
        (signal + 0.1 * rng.normal(size=(120, 3)))[:, 0]
        if not target_shape
        else (signal * np.arange(1, 4) + 100.0)
    )
    reg = DSRSDRegressor(**{**TINY, "max_iter": 40}, learning_rate_init=0.01).fit(blocks, y)
    pred = reg.predict(blocks)
    assert pred.shape == y.shape and pred.dtype == np.float64
    assert reg.score(blocks, y) > 0.5  # targets are standardised internally


def test_per_modality_standardisation_removes_scale(blocks_and_y):
    blocks, y = blocks_and_y
    loud = dict(blocks, m2=blocks["m2"] * 1e4 + 50.0)
    reference = DSRSDClassifier(**TINY).fit(blocks, y).predict_proba(blocks)
    scaled = DSRSDClassifier(**TINY).fit(loud, y).predict_proba(loud)
    assert_allclose(scaled, reference, atol=1e-4)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_seeding_same_process_and_global_rng_untouched(blocks_and_y, early_stopping):
    # Validation epochs too (early stopping): a data loader without a generator of its
    # own draws its seed from torch's global generator.
    blocks, y = blocks_and_y
    torch.manual_seed(123)
    state = torch.get_rng_state()
    params = {**TINY, "early_stopping": early_stopping}
    first = DSRSDClassifier(**params).fit(blocks, y).predict_proba(blocks)
    assert torch.equal(torch.get_rng_state(), state)
    second = DSRSDClassifier(**params).fit(blocks, y).predict_proba(blocks)
    assert_array_equal(first, second)
    other = DSRSDClassifier(**{**params, "random_state": 1}).fit(blocks, y).predict_proba(blocks)
    assert not np.allclose(first, other)


def test_seeding_fresh_process(blocks_and_y):
    blocks, y = blocks_and_y
    here = DSRSDClassifier(**TINY).fit(blocks, y).predict_proba(blocks)
    code = textwrap.dedent(
        f"""
        import sys, numpy as np
        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        from conftest import TINY, make_blocks
        from sklearn_dsrsd import DSRSDClassifier
        blocks, y = make_blocks()
        np.save(sys.argv[1], DSRSDClassifier(**TINY).fit(blocks, y).predict_proba(blocks))
        """
    )
    out = __import__("tempfile").mktemp(suffix=".npy")
    subprocess.run([sys.executable, "-c", code, out], check=True)
    assert_array_equal(np.load(out), here)


def test_training_attributes_early_stopping_and_warm_start(blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(
        **{**TINY, "max_iter": 200},
        early_stopping=True,
        n_iter_no_change=3,
        learning_rate_init=0.05,
    ).fit(blocks, y)
    assert 3 < clf.n_iter_ < 200  # stopped early
    assert len(clf.loss_curve_) == len(clf.validation_scores_) == clf.n_iter_
    # The auxiliary terms are recorded per batch in skorch's history.
    batch_record = clf.net_.history[-1, "batches", 0]
    assert {"alignment", "decorrelation", "orthogonality"} <= set(batch_record)

    warm = DSRSDClassifier(**TINY, warm_start=True).fit(blocks, y)
    weights = {k: v.clone() for k, v in warm.net_.module_.state_dict().items()}
    warm.set_params(max_iter=0 + 1).fit(blocks, y)
    assert warm.n_iter_ == TINY["max_iter"] + 1 and len(warm.loss_curve_) == warm.n_iter_
    # continued from the first fit's weights, not from a fresh initialisation
    moved = [
        float((warm.net_.module_.state_dict()[k] - v).abs().max())
        for k, v in weights.items()
        if v.is_floating_point()
    ]
    assert max(moved) < 0.1
    cold = DSRSDClassifier(**TINY).fit(blocks, y)
    cold.fit(blocks, y)
    assert cold.n_iter_ == TINY["max_iter"]


def test_early_stopping_restores_the_epoch_with_the_best_validation_loss(blocks_and_y):
    # A tol larger than the late improvements: they do not count against stopping, but
    # the weights kept are still those of the best epoch (skorch kept the last epoch
    # that beat the previous best by tol).
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(
        **{**TINY, "max_iter": 8},
        early_stopping=True,
        tol=0.05,
        n_iter_no_change=8,
        learning_rate_init=0.01,
    ).fit(blocks, y)
    best = int(np.argmin(clf.validation_scores_))
    stopper = dict(clf.net_.callbacks_)["early_stopping"]
    assert stopper.best_epoch_ == best + 1
    for key, value in clf.net_.module_.state_dict().items():
        torch.testing.assert_close(value, stopper.best_model_weights_[key])
    # The case the test is about: the best epoch beat the one before by less than tol.
    assert best > 0 and clf.validation_scores_[best - 1] - clf.validation_scores_[best] < 0.05


def test_training_loss_decreases(blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**{**TINY, "max_iter": 15}, learning_rate_init=0.01).fit(blocks, y)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_verbose_prints_per_epoch_log(blocks_and_y, capsys):
    blocks, y = blocks_and_y
    DSRSDClassifier(**TINY, verbose=1).fit(blocks, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and len([ln for ln in out.splitlines() if ln.strip()]) >= 4 + 2


def test_batches_are_gathered_by_indexing(blocks_and_y, monkeypatch):
    def one_at_a_time(self, index):
        raise AssertionError("training fetched a single sample")

    monkeypatch.setattr(ModalityDataset, "__getitem__", one_at_a_time)
    blocks, y = blocks_and_y
    DSRSDClassifier(**TINY, early_stopping=True).fit(blocks, y)


@pytest.mark.parametrize("how", ["absent key", "None", "NaN rows", "mixed rows"])
def test_predict_with_missing_modalities(how, blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    X = {name: block.copy() for name, block in blocks.items()}
    if how == "absent key":
        del X["m1"]
    elif how == "None":
        X["m1"] = None
    elif how == "NaN rows":
        X["m1"][:] = np.nan
    else:
        X["m0"][::3] = np.nan
        X["m1"][1::3] = np.nan
        X["m2"][2::3] = np.nan
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 2) and np.isfinite(proba).all()
    weights = clf.modality_weights(X)
    if how != "mixed rows":
        assert_array_equal(weights[:, 1], 0.0)
    else:
        assert_array_equal(weights[::3, 0], 0.0)
    assert_allclose(weights.sum(axis=1), 1.0)


def test_isolated_nans_are_imputed_and_training_with_missing_rows(blocks_and_y):
    blocks, y = blocks_and_y
    X = {name: block.copy() for name, block in blocks.items()}
    X["m0"][0, 1] = np.nan  # isolated: m0 stays present for sample 0
    X["m2"][5:20] = np.nan  # whole rows: m2 missing for those samples
    clf = DSRSDClassifier(**TINY).fit(X, y)
    weights = clf.modality_weights(X)
    assert weights[0, 0] > 0 and np.all(weights[5:20, 2] == 0)
    assert np.isfinite(clf.predict_proba(X)).all()


# -- bad input ----------------------------------------------------------------------------
@pytest.fixture
def fitted(blocks_and_y):
    blocks, y = blocks_and_y
    return DSRSDClassifier(**TINY).fit(blocks, y), blocks, y


def test_error_unknown_modality_at_predict(fitted):
    clf, blocks, _ = fitted
    with pytest.raises(ValueError, match=r"Unknown modalities \['extra'\].*\['m0', 'm1', 'm2'\]"):
        clf.predict(dict(blocks, extra=blocks["m0"]))


def test_error_wrong_number_of_features(fitted):
    clf, blocks, _ = fitted
    with pytest.raises(ValueError, match="Modality 'm1' has 4 features, but .* with 3 features"):
        clf.predict(dict(blocks, m1=np.ones((120, 4))))


def test_error_modalities_of_different_lengths(blocks_and_y):
    blocks, y = blocks_and_y
    with pytest.raises(ValueError, match="'m0' has 120, 'm1' has 100"):
        DSRSDClassifier(**TINY).fit(dict(blocks, m1=blocks["m1"][:100]), y)
    with pytest.raises(ValueError, match="same number of samples"):
        ModalityDict(a=np.ones((3, 1)), b=np.ones((4, 1)))
    # Every way of adding a block checks its length, and a refused one changes nothing.
    X = ModalityDict(a=np.ones((3, 1)))
    for add in (
        lambda: X.update(b=np.ones((4, 1))),
        lambda: X.update({"b": np.ones((3, 1)), "c": np.ones((4, 1))}),
        lambda: X.setdefault("b", np.ones((4, 1))),
        lambda: X.__ior__({"b": np.ones((4, 1))}),
    ):
        with pytest.raises(ValueError, match="samples"):
            add()
        assert list(X) == ["a"]
    with pytest.raises(TypeError, match="key 1 of type int"):
        X.update({1: np.ones((3, 1))})
    X |= {"b": np.ones((3, 2))}
    assert list(X) == ["a", "b"] and isinstance(X, ModalityDict) and len(X) == 3
    # A union is a ModalityDict too (checked as a whole), whichever side it is on.
    for union in (X | {"c": np.ones((3, 1))}, {"c": np.ones((3, 1))} | X):
        assert isinstance(union, ModalityDict) and sorted(union) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="samples"):
        X | {"c": np.ones((4, 1))}
    assert list(X) == ["a", "b"]


@pytest.mark.parametrize("rows", [slice(None, None, -1), slice(4, 0, -2), slice(None, None, 2)])
def test_modality_dict_slices_every_kind_of_block_alike(rows):
    # torch refuses negative steps; the other kinds take any slice.
    expected = np.arange(10).reshape(5, 2)[rows]
    X = ModalityDict(
        array=np.arange(10).reshape(5, 2),
        tensor=torch.arange(10).reshape(5, 2),
        frame=pd.DataFrame(np.arange(10).reshape(5, 2)),
        rows=np.arange(10).reshape(5, 2).tolist(),
    )
    for name, block in X[rows].items():
        np.testing.assert_array_equal(np.asarray(block), expected, err_msg=name)


def test_error_empty_mapping():
    with pytest.raises(ValueError, match="empty mapping"):
        DSRSDClassifier(**TINY).fit({}, [0, 1])


def test_error_non_numeric_and_inf(blocks_and_y):
    blocks, y = blocks_and_y
    words = np.array([["a", "b"]] * 120, dtype=object)
    with pytest.raises(ValueError, match="Modality 'm1'.*(string|numbers|convert)"):
        DSRSDClassifier(**TINY).fit(dict(blocks, m1=words), y)
    infinite = blocks["m2"].copy()
    infinite[3, 0] = np.inf
    with pytest.raises(ValueError, match="Modality 'm2'.*infinity"):
        DSRSDClassifier(**TINY).fit(dict(blocks, m2=infinite), y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_validated_blocks_finite_float_arrays_pass_through_large_values_accepted(dtype):
    # Finite float arrays skip check_array; one whose sum overflows (every value finite)
    # must still be accepted, and an infinity or a NaN take check_array's path.
    from sklearn_dsrsd._inputs import _validate_block

    block = np.ones((4, 3), dtype=dtype)
    assert _validate_block("m", block) is block
    huge = np.full((4, 3), np.finfo(dtype).max / 2, dtype=dtype)
    with np.errstate(over="ignore"):
        assert np.isinf(huge.sum())
    assert _validate_block("m", huge) is huge
    with_nan = block.copy()
    with_nan[0] = np.nan
    assert np.isnan(_validate_block("m", with_nan)[0]).all()
    with_inf = block.copy()
    with_inf[1, 2] = -np.inf
    with pytest.raises(ValueError, match="Modality 'm'.*infinity"):
        _validate_block("m", with_inf)
    with pytest.raises(ValueError, match="Modality 'm'.*minimum of 1 is required"):
        _validate_block("m", block[:0])


def test_error_y_wrong_length_and_single_class(blocks_and_y):
    blocks, y = blocks_and_y
    with pytest.raises(ValueError, match="y has 119 samples, but X has 120"):
        DSRSDClassifier(**TINY).fit(blocks, y[:-1])
    with pytest.raises(ValueError, match="at least 2 classes.*got 1 class"):
        DSRSDClassifier(**TINY).fit(blocks, np.zeros(120))


def test_error_sample_with_every_modality_missing(blocks_and_y):
    blocks, y = blocks_and_y
    X = {name: block.copy() for name, block in blocks.items()}
    for block in X.values():
        block[7] = np.nan
    with pytest.raises(ValueError, match=r"every modality missing.*rows \[7\]"):
        DSRSDClassifier(**TINY).fit(X, y)


def test_error_modalities_parameter(blocks_and_y):
    blocks, y = blocks_and_y
    frame = _as_frame(blocks)
    with pytest.raises(ValueError, match=r"modalities\['a'\] names columns \['nope'\]"):
        DSRSDClassifier(modalities={"a": ["nope"]}, **TINY).fit(frame, y)
    with pytest.raises(ValueError, match="Set modalities=None"):
        DSRSDClassifier(modalities={"a": [0]}, **TINY).fit(blocks, y)
    with pytest.raises(ValueError, match="alignment_weight"):
        DSRSDClassifier(alignment_weight=-1.0).fit(blocks, y)


def test_callers_data_is_never_modified(blocks_and_y):
    blocks, y = blocks_and_y
    X = {name: block.copy() for name, block in blocks.items()}
    X["m0"][::4] = np.nan
    X["m1"][0, 0] = np.nan
    frame = pd.DataFrame(X["m2"])
    before = {name: block.copy() for name, block in X.items()}, frame.copy(), y.copy()
    X_mapping = dict(X, m2=frame)
    clf = DSRSDClassifier(**TINY).fit(X_mapping, y)
    clf.predict_proba(X_mapping)
    clf.modality_weights(X_mapping)
    for name in ("m0", "m1"):
        assert_array_equal(X[name], before[0][name])
    pd.testing.assert_frame_equal(frame, before[1])
    assert_array_equal(y, before[2])


def test_column_transformer_prefix_rule(blocks_and_y):
    blocks, y = blocks_and_y
    features = _column_transformer(blocks).fit_transform(_as_frame(blocks))
    clf = DSRSDClassifier(**TINY).fit(features, y)
    assert clf.modalities_ == {"m0": 4, "m1": 3, "m2": 5}
    assert list(clf.feature_names_in_) == list(features.columns)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(features.rename(columns={"m0__m0_f0": "other__x"}))
    single = DSRSDClassifier(**TINY).fit(_as_frame(blocks), y)
    assert single.modalities_ == {"X": 12}


def test_warm_start_honours_changed_training_parameters(blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY, warm_start=True).fit(blocks, y)
    clf.set_params(
        learning_rate_init=0.123,
        alpha=0.5,
        alignment_weight=0.7,
        orthogonality_weight=0.0,
        max_iter=1,
    ).fit(blocks, y)
    group = clf.net_.optimizer_.param_groups[0]
    assert group["lr"] == 0.123 and group["weight_decay"] == 0.5
    assert clf.net_.alignment_weight == 0.7 and clf.net_.orthogonality_weight == 0.0
    assert "orthogonality" not in clf.net_.history[-1, "batches", 0]
    before = clf.predict_proba(blocks)
    with pytest.raises(ValueError, match=r"warm_start=True.*hidden_size 16 -> 17"):
        clf.set_params(hidden_size=TINY["hidden_size"] + 1).fit(blocks, y)
    # Refused before anything changed: the fitted model is the one of the last fit.
    assert clf.net_.get_params()["module__hidden_size"] == TINY["hidden_size"]
    assert_array_equal(clf.predict_proba(blocks), before)


def test_continued_training_refuses_changed_modalities(blocks_and_y):
    # Continued training reads its data through the fit's split: a new split was ignored.
    blocks, y = blocks_and_y
    array = np.hstack(list(blocks.values()))
    split = {"a": slice(0, 4), "b": [4, 5, 6], "c": np.arange(7, 12)}
    clf = DSRSDClassifier(**TINY, early_stopping=False, warm_start=True, modalities=split)
    clf.fit(array, y)
    before = clf.predict_proba(array)
    swapped = {"a": [4, 5, 6], "b": slice(0, 4), "c": np.arange(7, 12)}
    for modalities in (swapped, {"x": slice(0, 4), "b": [4, 5, 6], "c": np.arange(7, 12)}):
        clf.set_params(modalities=modalities)
        for train in (clf.fit, clf.partial_fit):
            with pytest.raises(ValueError, match=r"fitted with modalities=\{'a': slice\(0, 4"):
                train(array, y)
            assert_array_equal(clf.predict_proba(array), before)
    # The same split written otherwise (a list for an array of the same indices) continues.
    clf.set_params(modalities={**split, "c": list(range(7, 12))}).fit(array, y)
    assert clf.n_iter_ == 2 * TINY["max_iter"]


def test_warm_start_with_balanced_class_weight_names_the_absent_class():
    blocks, y = make_blocks(n_classes=3)
    clf = DSRSDClassifier(**TINY, class_weight="balanced", warm_start=True).fit(blocks, y)
    kept = y < 2
    with pytest.raises(
        ValueError, match=r"class_weight='balanced'.*no samples of the classes \[2\]"
    ):
        clf.fit({name: block[kept] for name, block in blocks.items()}, y[kept])
    assert_array_equal(clf.classes_, [0, 1, 2])


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_failed_training_leaves_no_half_updated_model(blocks_and_y, how):
    # A run that fails mid-training has changed the network (and a fit the input
    # standardisation and target scaling): predict must not run on that mixture.
    blocks, y = blocks_and_y
    target = blocks["m0"][:, 0]
    reg = DSRSDRegressor(**TINY, warm_start=how == "warm_start").fit(blocks, target)
    with pytest.raises(ValueError, match="Training diverged"):
        if how == "partial_fit":  # the net's optimiser is kept: overflow the loss instead
            reg.partial_fit(blocks, target * 1e30)
        else:
            reg.set_params(learning_rate_init=1e30).fit(blocks, target * 1000)
    assert not hasattr(reg, "net_") and not hasattr(reg, "n_features_in_")
    with pytest.raises(NotFittedError):
        reg.predict(blocks)
    reg.set_params(learning_rate_init=1e-3).fit(blocks, target)  # and it fits again
    # Bad data is refused before anything changes: a fitted model stays as it was.
    before = reg.predict(blocks)
    with pytest.raises(ValueError):
        reg.partial_fit({"m0": blocks["m0"]}, target[:10])
    assert_array_equal(reg.predict(blocks), before)


def test_refit_leaves_no_stale_fitted_attributes(blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY, early_stopping=True, missing_strategy="distill").fit(blocks, y)
    assert hasattr(clf, "validation_scores_") and hasattr(clf, "teacher_net_")
    clf.set_params(early_stopping=False, missing_strategy="dropout").fit(blocks, y)
    assert not hasattr(clf, "validation_scores_") and not hasattr(clf, "teacher_net_")
    clf.set_params(warm_start=True, early_stopping=True, missing_strategy="distill").fit(blocks, y)
    assert hasattr(clf, "teacher_net_")
    assert len(clf.validation_scores_) == clf.n_iter_  # NaN for the epochs without validation
    assert np.isnan(clf.validation_scores_[0]) and np.isfinite(clf.validation_scores_[-1])


@pytest.mark.parametrize("Estimator", [DSRSDClassifier, DSRSDRegressor, EarlyFusionClassifier])
def test_auto_early_stopping_threshold(Estimator):
    # "auto" is early_stopping=True from _AUTO_EARLY_STOPPING_MIN_SAMPLES training samples on,
    # False below, and the fit is then the same as with the explicit value.
    params = {key: TINY[key] for key in ("max_iter", "hidden_size", "batch_size", "random_state")}
    assert _AUTO_EARLY_STOPPING_MIN_SAMPLES == 200  # the threshold the docstrings name
    for n_samples, expected in ((200, True), (199, False)):
        blocks, y = make_blocks(n_samples=n_samples)
        y = y.astype(float) if Estimator is DSRSDRegressor else y
        auto = Estimator(**params).fit(blocks, y)
        explicit = Estimator(**params, early_stopping=expected).fit(blocks, y)
        assert auto.early_stopping == "auto" and auto.do_early_stopping_ is expected
        assert hasattr(auto, "validation_scores_") is expected
        assert_array_equal(auto.predict(blocks), explicit.predict(blocks))


def test_partial_fit_with_auto_early_stopping():
    # partial_fit holds out nothing under "auto", but cannot continue a fit that stopped early:
    # it says so and leaves that model as it was.
    blocks, y = make_blocks(n_samples=600)
    incremental = DSRSDClassifier(**TINY).partial_fit(blocks, y, classes=[0, 1])
    assert incremental.do_early_stopping_ is False
    assert not hasattr(incremental, "validation_scores_")
    fitted = DSRSDClassifier(**TINY).fit(blocks, y)
    before = fitted.predict_proba(blocks)
    # The message names what the fit did, not the parameter as it is now.
    fitted.set_params(early_stopping=False)
    with pytest.raises(ValueError, match=r"last fit held out validation data .*=True\)"):
        fitted.partial_fit(blocks, y)
    assert_array_equal(fitted.predict_proba(blocks), before)
    assert not hasattr(DSRSDClassifier(**TINY, early_stopping=True), "partial_fit")


def test_auto_early_stopping_trains_on_everything_where_no_split_can_be_made():
    # "auto" on >= 200 samples holds out a stratified tenth only where that split exists: a
    # one-member class, or more classes than validation rows, makes it train on everything
    # (an explicit early_stopping=True says why it cannot).
    params = {key: TINY[key] for key in ("max_iter", "hidden_size", "random_state")}
    blocks, y = make_blocks(n_samples=250)
    lonely = y.copy()
    lonely[0] = 2
    many = np.arange(250) % 30  # 25 validation rows for 30 classes
    for labels in (lonely, many):
        auto = DSRSDClassifier(**params).fit(blocks, labels)
        assert auto.do_early_stopping_ is False and not hasattr(auto, "validation_scores_")
        with pytest.raises(ValueError, match="early_stopping=True holds out"):
            DSRSDClassifier(**params, early_stopping=True).fit(blocks, labels)
    assert DSRSDClassifier(**params).fit(blocks, y).do_early_stopping_ is True
    # CorrKD's teacher trains on the complete rows: "auto" holds out nothing there either
    # when those rows cannot be split, though all the rows can (the student stops early).
    few = y.copy()
    few[:5] = 2  # five members of class 2, four of them without m1
    partial = {name: block.copy() for name, block in blocks.items()}
    partial["m1"][:4] = np.nan
    distilled = DSRSDClassifier(**params, missing_strategy="distill").fit(partial, few)
    assert distilled.do_early_stopping_ is True and hasattr(distilled, "teacher_net_")


@pytest.mark.parametrize(
    "Estimator, resolved", [(DSRSDClassifier, "gated_concat"), (DSRSDRegressor, "concat")]
)
def test_auto_fusion_is_chosen_per_task(blocks_and_y, Estimator, resolved):
    # "auto" is each estimator's tuned fusion; an explicit value is used as given.
    blocks, y = blocks_and_y
    y = y.astype(float) if Estimator is DSRSDRegressor else y
    auto = Estimator(**TINY).fit(blocks, y)
    assert auto.fusion == "auto" and auto.net_.module_.fusion == resolved
    explicit = Estimator(**TINY, fusion=resolved).fit(blocks, y)
    assert_array_equal(auto.predict(blocks), explicit.predict(blocks))
    weights = auto.modality_weights(blocks)
    if resolved == "concat":
        assert_allclose(weights, np.full_like(weights, 1 / 3))
    other = "concat" if resolved == "gated_concat" else "gated_concat"
    assert Estimator(**TINY, fusion=other).fit(blocks, y).net_.module_.fusion == other


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_fusion_ablation_leaves_out_the_full_models_own_fusion(task):
    variants = ablation_models(task)
    own = variants["DSRSD (full)"]._auto_fusion
    fusions = [model.fusion for name, model in variants.items() if name != "DSRSD (full)"]
    assert own not in fusions
    assert {"gated", "gated_concat", "concat"} - {own} <= set(fusions)


@pytest.mark.parametrize("fusion", ["gated", "gated_concat"])
def test_fusion_weights_codes_of_a_common_space(blocks_and_y, fusion):
    # Gated fusion sums per-modality summands [u_m; V_m p_m]: u_m the shared code mapped into
    # the common (aligned) space, V_m p_m the private code through its own projection.
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY, fusion=fusion).fit(blocks, y)
    module = clf.net_.module_.double().eval()
    batch = clf._schema.batch(blocks, clf)
    inputs = {f"m{i}": torch.from_numpy(b).double() for i, b in enumerate(batch.blocks)}
    with torch.no_grad():
        _, codes = module(modality_mask=torch.from_numpy(batch.modality_mask), **inputs)
    code_size = TINY.get("code_size", 32)
    summands = codes["fusion_inputs"]
    assert summands.shape == (len(y), 3, 2 * code_size)
    common = summands[:, :, :code_size]
    torch.testing.assert_close(torch.nn.functional.normalize(common, dim=-1), codes["aligned"])
    projected = module.private_projections(codes["private"].transpose(0, 1)).transpose(0, 1)
    torch.testing.assert_close(summands[:, :, code_size:], projected)
    weighted = codes["modality_weights"].unsqueeze(2) * summands
    fused = weighted.sum(dim=1) if fusion == "gated" else weighted.flatten(1)
    torch.testing.assert_close(codes["fused"], fused)


def test_rescaled_gate_weights_average_one_over_present_modalities(blocks_and_y, monkeypatch):
    # The measured alternative (off by default): equal gates would give the concatenation.
    from sklearn_dsrsd._modules import DSRSDModule

    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    module = clf._inference_module(torch.float64)
    batch = clf._schema.batch(blocks, clf)
    mask = torch.from_numpy(batch.modality_mask)
    inputs = {f"m{i}": torch.from_numpy(b).double() for i, b in enumerate(batch.blocks)}
    with torch.no_grad():
        _, plain = module(modality_mask=mask, **inputs)
        monkeypatch.setattr(DSRSDModule, "rescale_gate_weights", True)
        _, rescaled = module(modality_mask=mask, **inputs)
    n_present = mask.double().sum(dim=1, keepdim=True)
    torch.testing.assert_close(rescaled["fused"], n_present * plain["fused"])


def test_linear_path_adds_a_masked_linear_map_of_each_2d_modality(blocks_and_y):
    blocks, y = blocks_and_y
    # An option, off by default: a "wide" linear term beside the network.
    assert DSRSDClassifier(**TINY).fit(blocks, y).net_.module_.linear_terms is None
    clf = DSRSDClassifier(**TINY, linear_path=True).fit(blocks, y)
    module = clf._inference_module(torch.float64)
    assert all(weight.abs().sum() > 0 for weight in module.linear_terms)  # trained from 0
    batch = clf._schema.batch(blocks, clf)
    mask = torch.from_numpy(batch.modality_mask)
    inputs = {f"m{i}": torch.from_numpy(b).double() for i, b in enumerate(batch.blocks)}
    with torch.no_grad():
        with_path, _ = module(modality_mask=mask, **inputs)
        mask[:, 1] = False  # m1 absent: its linear term drops out
        without_m1, _ = module(modality_mask=mask, **inputs)
        weights = list(module.linear_terms)
        module.linear_terms = None
        deep, _ = module(modality_mask=mask, **inputs)
    linear = inputs["m0"] @ weights[0].double() + inputs["m2"] @ weights[2].double()
    torch.testing.assert_close(without_m1, deep + linear)
    assert not torch.allclose(with_path, without_m1)


def test_validation_loss_on_the_task_loss_alone_is_a_switch(blocks_and_y, monkeypatch):
    # The measured alternative (off by default): early stopping on the task loss alone.
    from sklearn_dsrsd._training import MultimodalNet

    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    net = clf.net_
    dataset, _ = clf._training_data(blocks, y, None, first=False)
    inputs, target = dataset.__getitems__(list(range(len(y))))
    net.module_.eval()
    with torch.no_grad():
        y_pred = net.infer(inputs)
        task = net.get_task_loss(y_pred[0], target, inputs)
        total = net.get_loss(y_pred, target, inputs, training=False)
        monkeypatch.setattr(MultimodalNet, "validate_on_task_loss", True)
        alone = net.get_loss(y_pred, target, inputs, training=False)
        trained = net.get_loss(y_pred, target, inputs, training=True)
    assert float(total) > float(task) + 1e-3  # the auxiliary terms are in by default
    assert float(alone) == pytest.approx(float(task), rel=1e-6)
    assert float(trained) == pytest.approx(float(total), rel=1e-6)  # training keeps them


@pytest.mark.parametrize("early_stopping", [False, True])
def test_weight_averaging_ends_with_the_average_of_the_weights(
    blocks_and_y, monkeypatch, early_stopping
):
    # The measured alternative (off by default): an exponential moving average of the weights,
    # validated and kept. The average is recomputed here from the weights after each step.
    from sklearn_dsrsd._training import MultimodalNet, WeightAveraging

    decay = 0.3  # below the warm-up's (1 + t) / (10 + t) from the fourth batch on
    monkeypatch.setattr(MultimodalNet, "weight_average_decay", decay)
    steps, resumed, epoch_averages = [], [], []
    on_train_begin, on_batch_begin = WeightAveraging.on_train_begin, WeightAveraging.on_batch_begin
    on_batch_end = WeightAveraging.on_batch_end

    def weights(net):
        return [p.detach().clone() for p in net.module_.parameters()]

    def record_start(self, net, **kwargs):
        steps.append(weights(net))
        on_train_begin(self, net, **kwargs)

    def record_resume(self, net, training=False, **kwargs):
        on_batch_begin(self, net, training=training, **kwargs)
        if training:
            resumed.append(weights(net))

    def record_step(self, net, training=False, **kwargs):
        if training:
            steps.append(weights(net))
        on_batch_end(self, net, training=training, **kwargs)

    def record_epoch(self, net, **kwargs):
        epoch_averages.append([a.clone() for a in self.average_])

    monkeypatch.setattr(WeightAveraging, "on_train_begin", record_start)
    monkeypatch.setattr(WeightAveraging, "on_batch_begin", record_resume)
    monkeypatch.setattr(WeightAveraging, "on_batch_end", record_step)
    monkeypatch.setattr(WeightAveraging, "on_epoch_end", record_epoch, raising=False)
    blocks, y = blocks_and_y
    # Long and fast enough that the validation loss rises again after its best epoch.
    params = {**TINY, "max_iter": 12, "learning_rate_init": 0.05}
    clf = DSRSDClassifier(**params, early_stopping=early_stopping).fit(blocks, y)
    assert len(steps) > 4
    # each training batch starts from the trained weights, not from the validated average
    for before, after in zip(resumed, steps[:-1], strict=True):
        for a, b in zip(before, after, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    average = steps[0]
    for t, step in enumerate(steps[1:], start=1):
        rate = 1 - min(decay, (1 + t) / (10 + t))
        average = [a + rate * (w - a) for a, w in zip(average, step, strict=True)]
    torch.testing.assert_close(epoch_averages[-1], average)
    if early_stopping:
        best = dict(clf.net_.callbacks_)["early_stopping"].best_epoch_ - 1
        assert best < len(epoch_averages) - 1  # so the restored weights are an earlier average
        average = epoch_averages[best]
    torch.testing.assert_close(list(clf.net_.module_.parameters()), average)


def test_class_weight_balanced_weights_the_criterion_and_lifts_the_rare_class():
    blocks, y = make_blocks(n_samples=300, seed=3)
    rare = np.flatnonzero(y == 1)[::6]  # keep one in six of class 1: about 8 % of the rows
    rows = np.sort(np.r_[np.flatnonzero(y == 0), rare])
    X = {name: block[rows] for name, block in blocks.items()}
    y = y[rows]
    params = {**TINY, "max_iter": 10, "learning_rate_init": 0.01}
    plain = DSRSDClassifier(**params).fit(X, y)
    balanced = DSRSDClassifier(**params, class_weight="balanced").fit(X, y)
    counts = np.bincount(y)
    expected = len(y) / (2 * counts)
    assert_allclose(balanced.net_.criterion_.weight.numpy(), expected, rtol=1e-6)
    assert plain.net_.criterion_.weight is None
    # the rare class gets more probability mass (about half of it, instead of its 8 %)
    assert balanced.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean() + 0.1
    weighted = DSRSDClassifier(**params, class_weight={0: 1.0, 1: 5.0}).fit(X, y)
    assert_allclose(weighted.net_.criterion_.weight.numpy(), [1.0, 5.0])
    with pytest.raises(ValueError, match="class_weight"):
        DSRSDClassifier(class_weight="often").fit(X, y)


@pytest.mark.parametrize("schedule", ["constant", "adaptive", "cosine"])
def test_learning_rate_schedules(blocks_and_y, schedule):
    blocks, y = blocks_and_y
    # a learning rate so large that the loss stalls: "adaptive" must cut it
    clf = DSRSDClassifier(
        **{**TINY, "max_iter": 30},
        learning_rate=schedule,
        learning_rate_init=0.5,
        n_iter_no_change=50,
    ).fit(blocks, y)
    final = clf.net_.optimizer_.param_groups[0]["lr"]
    if schedule == "constant":
        assert final == 0.5
    elif schedule == "adaptive":
        assert final <= 0.5 * 0.2
    else:
        assert final == pytest.approx(0.0, abs=1e-9)  # annealed to 0 after max_iter epochs
    assert np.isfinite(clf.predict_proba(blocks)).all()


def test_cosine_schedule_per_fit_and_across_partial_fit_calls(blocks_and_y):
    blocks, y = blocks_and_y
    params = {**TINY, "max_iter": 4, "learning_rate": "cosine", "learning_rate_init": 0.1}
    clf = DSRSDClassifier(**params, warm_start=True).fit(blocks, y)
    clf.fit(blocks, y)  # a warm start anneals over its own max_iter epochs again
    assert clf.n_iter_ == 8
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-9)
    incremental = DSRSDClassifier(**params)
    rates = []
    for _ in range(4):
        incremental.partial_fit(blocks, y, classes=np.unique(y))
        rates.append(incremental.net_.optimizer_.param_groups[0]["lr"])
    # one schedule over max_iter calls: decreasing to 0
    assert rates == sorted(rates, reverse=True) and rates[-1] == pytest.approx(0.0, abs=1e-9)
    # After a fit annealed the rate to 0, a partial_fit call starts again from
    # learning_rate_init: it trains (it once stayed at 0 and changed nothing).
    before = clf.predict_proba(blocks)
    clf.partial_fit(blocks, y)
    assert clf.net_.history[-1]["event_lr"] == pytest.approx(0.1)
    assert np.abs(clf.predict_proba(blocks) - before).max() > 1e-3


@pytest.mark.parametrize("round_trip", [None, "pickle", "save"])
def test_adaptive_schedule_counts_epochs_across_partial_fit_calls(
    blocks_and_y, round_trip, tmp_path
):
    # With a tolerance no epoch can meet, every epoch after the first is one without
    # improvement: every third of them cuts the rate by 5, in fit epochs or one-epoch
    # calls, and a model saved between calls continues its count.
    blocks, y = blocks_and_y
    params = {**TINY, "max_iter": 7, "learning_rate": "adaptive", "tol": 1e9}
    fitted = DSRSDClassifier(**params).fit(blocks, y)
    incremental = DSRSDClassifier(**params)
    for call in range(7):
        incremental.partial_fit(blocks, y, classes=np.unique(y))
        if call == 2 and round_trip == "pickle":
            incremental = pickle.loads(pickle.dumps(incremental))
        elif call == 2 and round_trip == "save":
            incremental.save(tmp_path / "model.pt")
            incremental = DSRSDClassifier.load(tmp_path / "model.pt")
    for clf in (fitted, incremental):
        assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.2**2)


@pytest.mark.parametrize(
    "encoder, kind",
    [
        ("conv", "TemporalConvEncoder"),
        ("gru", "TemporalGRUEncoder"),
        ("attention", "TemporalAttentionEncoder"),
    ],
)
def test_temporal_encoders_read_sequence_modalities(encoder, kind):
    rng = np.random.RandomState(0)
    history = rng.normal(size=(160, 12, 3))
    y = (history[:, -1, 0] > 0).astype(int)  # the last step decides: order matters
    X = {"history": history, "static": rng.normal(size=(160, 4))}
    # The encoders are under test, not the auxiliary terms: at the default weights
    # (0.3/0.03/0.3) this tiny net (code size 8, learning rate 0.01, a pure-noise second
    # modality, 160 rows) reached 0.63 and 0.65 training accuracy for two of three seeds
    # with the attention encoder (0.54 for one of three with the convolution), while
    # 0.1/0.01/0.1 learns; at the default sizes on 400 rows the default weights learn this
    # task as well (docs/user_guide.md, after the table of parameters).
    clf = DSRSDClassifier(
        **{**TINY, "max_iter": 60},
        temporal_encoder=encoder,
        learning_rate_init=0.01,
        alignment_weight=0.1,
        decorrelation_weight=0.01,
        orthogonality_weight=0.1,
    ).fit(X, y)
    bodies = [type(e.body).__name__ for e in clf.net_.module_.encoders]
    assert bodies == [kind, "Sequential"]
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert_allclose(clf.predict_proba({k: v[:7] for k, v in X.items()}), proba[:7])
    assert clf.score(X, y) > 0.7
    reversed_steps = {**X, "history": history[:, ::-1].copy()}
    assert not np.allclose(clf.predict_proba(reversed_steps), proba)


def test_huge_finite_inputs_and_targets_scale_without_overflow(blocks_and_y):
    blocks, y = blocks_and_y
    huge = {name: block * 1e300 for name, block in blocks.items()}
    clf = DSRSDClassifier(**TINY).fit(huge, y)
    assert np.isfinite(clf.loss_curve_).all() and np.isfinite(clf.predict_proba(huge)).all()
    reg = DSRSDRegressor(**TINY).fit(blocks, y * 1e200 + 1e200)
    assert np.isfinite(reg.predict(blocks)).all()
    # values that only overflow once scaled with the training statistics: refused, named
    fitted = DSRSDClassifier(**TINY).fit(blocks, y)
    with pytest.raises(ValueError, match="Modality 'm0' holds values .* float32 range"):
        fitted.predict(huge)
    # values within float32 whose arithmetic in the network overflows (2 pi x in the
    # periodic embedding): an error, not NaN predictions
    near_limit = {name: block[:3].astype(np.float32) for name, block in blocks.items()}
    near_limit["m1"][1] = 6e37
    reg = DSRSDRegressor(**TINY).fit(blocks, blocks["m0"][:, 0])
    for method in (reg.predict, reg.transform, fitted.predict_proba):
        with pytest.raises(
            ValueError, match=r"non-finite results for 1 row\(s\), the first row 1"
        ):
            method(near_limit)


def test_tiny_inputs_and_targets_are_standardised_like_any_other(blocks_and_y):
    # A spread of 1e-13 is data in small units, not a constant: the fits are those of the
    # same data in units 1e13 times larger (an absolute floor on the scale once left such
    # inputs and targets unscaled, and the regressor predicted values 1e12 times too large).
    blocks, y = blocks_and_y
    tiny = {name: block * 1e-13 for name, block in blocks.items()}
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    assert_allclose(
        DSRSDClassifier(**TINY).fit(tiny, y).predict_proba(tiny),
        clf.predict_proba(blocks),
        rtol=1e-6,
    )
    target = y + np.random.RandomState(0).normal(size=len(y))
    reg = DSRSDRegressor(**TINY).fit(blocks, target)
    tiny_reg = DSRSDRegressor(**TINY).fit(blocks, target * 1e-13)
    assert_allclose(tiny_reg.predict(blocks), reg.predict(blocks) * 1e-13, rtol=1e-6)


def test_diverging_training_stops_with_a_clear_error(blocks_and_y):
    blocks, y = blocks_and_y
    with pytest.raises(ValueError, match="Training diverged.*learning_rate_init=1000"):
        DSRSDRegressor(**TINY, learning_rate_init=1e3).fit(blocks, y.astype(float))


def test_modality_names_that_collide_as_strings_are_refused(blocks_and_y):
    blocks, y = blocks_and_y
    array = np.hstack([blocks["m0"], blocks["m1"]])
    with pytest.raises(ValueError, match="collide once converted to str"):
        DSRSDClassifier(**TINY, modalities={1: [0, 1], "1": [2, 3]}).fit(array, y)


def test_dataframe_modalities_must_keep_their_columns(blocks_and_y):
    blocks, y = blocks_and_y
    frames = {
        name: pd.DataFrame(block, columns=[f"{name}_{j}" for j in range(block.shape[1])])
        for name, block in blocks.items()
    }
    clf = DSRSDClassifier(**TINY).fit(frames, y)
    assert_allclose(clf.predict_proba(frames), clf.predict_proba(blocks))  # arrays still fine
    reordered = {**frames, "m1": frames["m1"][frames["m1"].columns[::-1]]}
    with pytest.raises(ValueError, match="Modality 'm1': the DataFrame's columns differ"):
        clf.predict(reordered)
    renamed = {**frames, "m0": frames["m0"].rename(columns={"m0_0": "age"})}
    with pytest.raises(ValueError, match="Modality 'm0'.*got \\['age'"):
        clf.predict(renamed)


def test_chunked_standardisation_matches_one_chunk(monkeypatch):
    # fit and predict standardise in chunks of rows to bound memory; the chunk size must not
    # change the statistics, the scaled input nor the predictions. float32 blocks are used
    # as given (no float64 copy) and never modified.
    from sklearn_dsrsd import _inputs

    blocks, y = make_blocks(n_samples=90, seed=4)
    blocks = {name: block.astype(np.float32) for name, block in blocks.items()}
    blocks["m0"][::5, 1] = np.nan
    blocks["m1"][:7] = np.nan  # modality absent on the first rows
    originals = {name: block.copy() for name, block in blocks.items()}
    one_chunk = DSRSDClassifier(**TINY).fit(blocks, y)
    monkeypatch.setattr(_inputs, "_CHUNK_ROWS", 8)
    chunked = DSRSDClassifier(**TINY).fit(blocks, y)
    for name in blocks:
        assert_allclose(chunked._schema.means[name], one_chunk._schema.means[name], rtol=1e-12)
        assert_allclose(chunked._schema.scales[name], one_chunk._schema.scales[name], rtol=1e-12)
        assert_array_equal(blocks[name], originals[name])
    assert_allclose(chunked.predict_proba(blocks), one_chunk.predict_proba(blocks), rtol=1e-6)


def test_fit_and_predict_leave_torch_threads_as_set(blocks_and_y):
    blocks, y = blocks_and_y
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        clf = DSRSDClassifier(**TINY).fit(blocks, y)
        assert torch.get_num_threads() == 2
        clf.predict_proba(blocks)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_inference_modules_are_made_once_per_fit_and_not_pickled(blocks_and_y):
    # predict reuses the float32 and float64 copies made on first use after fit; a refit
    # replaces them, and the pickle holds only the trained net (the copies are made again).
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    as_float32 = {name: block.astype(np.float32) for name, block in blocks.items()}
    assert set(clf._inference_modules) == {torch.float32}  # modality_importances_ used it
    clf.predict(blocks)
    clf.predict(as_float32)
    modules = dict(clf._inference_modules)
    clf.predict(blocks)
    clf.predict(as_float32)
    assert clf._inference_modules == modules and set(modules) == {torch.float32, torch.float64}
    for precision, module in modules.items():
        assert next(module.parameters()).dtype == precision and not module.training
        assert module is not clf.net_.module_
    state = clf.__getstate__()
    assert "_inference_modules" not in state and "_inference_modules" in clf.__dict__
    restored = pickle.loads(pickle.dumps(clf))
    assert_allclose(restored.predict_proba(blocks), clf.predict_proba(blocks), rtol=0, atol=0)
    clf.set_params(max_iter=2).fit(blocks, y)
    assert clf._inference_module(torch.float64) is not modules[torch.float64]


def test_prediction_computes_in_the_callers_precision(blocks_and_y, monkeypatch):
    # float32 blocks are predicted by the float32 copy (as MLPClassifier keeps float32 input
    # float32), anything else by the float64 one; outputs are float64 arrays either way.
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    used = []
    infer = type(clf)._infer

    def recording_infer(self, blocks, modality_mask, precision=torch.float64):
        used.append(precision)
        return infer(self, blocks, modality_mask, precision)

    monkeypatch.setattr(type(clf), "_infer", recording_infer)
    as_float32 = {name: block.astype(np.float32) for name, block in blocks.items()}
    mixed = {**as_float32, "m0": blocks["m0"]}
    proba64 = clf.predict_proba(blocks)
    assert used == [torch.float64]
    proba32 = clf.predict_proba(as_float32)
    assert used[-1] == torch.float32 and proba32.dtype == np.float64
    clf.predict_proba(mixed)
    assert used[-1] == torch.float64
    clf.predict_proba({"m0": as_float32["m0"], "m1": None, "m2": as_float32["m2"]})
    assert used[-1] == torch.float32
    # The same network and inputs in two precisions: float32 rounding apart.
    same_values = {name: block.astype(np.float64) for name, block in as_float32.items()}
    assert_allclose(proba32, clf.predict_proba(same_values), rtol=0, atol=1e-5)
    assert_allclose(proba32, proba64, rtol=0, atol=1e-4)


def _fit_probabilities(estimator, blocks, y):
    return clone(estimator).fit(blocks, y).predict_proba(blocks)


@pytest.mark.parametrize(
    "estimator",
    [
        DSRSDClassifier(**TINY),  # modality dropout and dropout in training
        DSRSDClassifier(**TINY, missing_strategy="distill"),  # a teacher is trained too
    ],
    ids=["dropout", "distill"],
)
@pytest.mark.parametrize("backend", ["threading", "loky", "threads"])
def test_concurrent_fits_with_one_seed_are_identical(estimator, backend, blocks_and_y):
    # Each fit draws from generators of its own, so fits running at the same time in threads
    # (which share torch's global generator) give the same model as a fit run alone.
    from joblib import Parallel, delayed

    blocks, y = blocks_and_y
    alone = _fit_probabilities(estimator, blocks, y)
    if backend == "threads":
        import threading

        results = [None] * 4

        def run(index):
            results[index] = _fit_probabilities(estimator, blocks, y)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        results = Parallel(n_jobs=2, backend=backend)(
            delayed(_fit_probabilities)(estimator, blocks, y) for _ in range(4)
        )
    for result in results:
        assert_array_equal(result, alone)


def test_verbose_log_has_no_ansi_codes_outside_a_terminal(blocks_and_y, capsys):
    blocks, y = blocks_and_y
    DSRSDClassifier(**TINY, verbose=1).fit(blocks, y)
    printed = capsys.readouterr().out
    assert "train_loss" in printed and len(printed.splitlines()) >= 2 + TINY["max_iter"]
    assert "\x1b[" not in printed


@pytest.mark.parametrize("dual_stream", [True, False])
def test_transform_gives_the_codes_as_named_features(blocks_and_y, dual_stream):
    from sklearn.linear_model import LogisticRegression

    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY, dual_stream=dual_stream).fit(blocks, y)
    codes = clf.transform(blocks)
    code_size = TINY["code_size"]
    streams = ["shared", "private"] if dual_stream else ["shared"]
    assert codes.shape == (len(y), len(blocks) * len(streams) * code_size)
    names = clf.get_feature_names_out()
    assert list(names[: code_size + 1]) == [f"m0__{streams[0]}{j}" for j in range(code_size)] + [
        f"m0__{streams[-1]}0" if dual_stream else "m1__shared0"
    ]
    # the same numbers as the network's own codes, in float64
    module = clf._inference_module(torch.float64)
    batch = clf._schema.batch(blocks, clf)
    with torch.no_grad():
        _, expected = module(
            modality_mask=torch.from_numpy(batch.modality_mask),
            **{f"m{i}": torch.from_numpy(b).double() for i, b in enumerate(batch.blocks)},
        )
    m1_shared = names.tolist().index("m1__shared0")
    assert_allclose(codes[:, m1_shared : m1_shared + code_size], expected["shared"][:, 1].numpy())
    # pandas output, and the codes as features of another model
    frame = clone(clf).set_output(transform="pandas").fit(blocks, y).transform(blocks)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(names)
    assert_allclose(frame.to_numpy(), codes)
    assert LogisticRegression().fit(codes, y).score(codes, y) > 0.5
    assert_allclose(clf.fit_transform(blocks, y), codes)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_decision_function_agrees_with_predict_and_predict_proba(n_classes):
    blocks, y = make_blocks(n_classes=n_classes)
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    scores = clf.decision_function(blocks)
    proba = clf.predict_proba(blocks)
    if n_classes == 2:
        assert scores.shape == (len(y),)
        assert_allclose(1 / (1 + np.exp(-scores)), proba[:, 1], rtol=1e-10)
        assert_array_equal(clf.classes_[(scores > 0).astype(int)], clf.predict(blocks))
    else:
        assert scores.shape == (len(y), n_classes)
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        assert_allclose(exp / exp.sum(axis=1, keepdims=True), proba, rtol=1e-10)
        assert_array_equal(clf.classes_[scores.argmax(axis=1)], clf.predict(blocks))


@pytest.mark.parametrize("fusion", ["gated_concat", "gated", "concat"])
def test_transform_fused_representation(blocks_and_y, fusion):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY, fusion=fusion, representation="fused").fit(blocks, y)
    fused = clf.transform(blocks)
    # the representation the task head reads: the head maps it to the logits
    head = clf._inference_module(torch.float64).head
    with torch.no_grad():
        logits = head(torch.from_numpy(fused)).numpy()
    assert_allclose(logits, clf._forward(blocks)[0], rtol=1e-10)
    names = clf.get_feature_names_out()
    assert len(names) == fused.shape[1]
    width = TINY["code_size"] * 2
    if fusion == "gated":
        assert fused.shape[1] == width and names[0] == "fused0"
    else:
        assert fused.shape[1] == width * len(blocks)
        assert names[0] == "m0__fused0" and names[width] == "m1__fused0"
    frame = clone(clf).set_output(transform="pandas").fit(blocks, y).transform(blocks)
    assert list(frame.columns) == list(names)


def test_modality_weights_as_dataframe_when_pandas_output_is_set(blocks_and_y):
    blocks, y = blocks_and_y
    index = pd.RangeIndex(100, 100 + len(y))
    frames = {name: pd.DataFrame(block, index=index) for name, block in blocks.items()}
    clf = DSRSDClassifier(**TINY).fit(frames, y)
    weights, codes = clf.modality_weights(frames), clf.transform(frames)
    assert isinstance(weights, np.ndarray)
    clf.set_output(transform="pandas")
    frame = clf.modality_weights(frames)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(clf.modalities_)
    assert frame.index.equals(index)
    assert_allclose(frame.to_numpy(), weights)
    # The codes of the same rows carry the same index, so that the two line up.
    codes_frame = clf.transform(frames)
    assert codes_frame.index.equals(index)
    assert list(codes_frame.columns) == list(clf.get_feature_names_out())
    assert_allclose(codes_frame.to_numpy(), codes)
    from sklearn import config_context

    from sklearn_dsrsd.baselines import LateFusionClassifier

    baseline = LateFusionClassifier(hidden_size=8, max_iter=2).fit(blocks, y)
    with config_context(transform_output="pandas"):
        assert isinstance(baseline.modality_weights(blocks), pd.DataFrame)
    # Lists, tuples and tensors have an ``index`` method, which is not a pandas Index: the
    # rows are then numbered from 0.
    array = np.hstack([blocks["m0"], blocks["m1"]])
    flat = DSRSDClassifier(**TINY).fit(array, y).set_output(transform="pandas")
    listed = {
        "m0": blocks["m0"].tolist(),
        "m1": torch.from_numpy(blocks["m1"]),
        "m2": blocks["m2"],
    }
    for frame in (
        flat.transform(array.tolist()),
        flat.modality_weights(tuple(map(tuple, array))),
        flat.transform(torch.from_numpy(array)),
        clf.modality_weights(listed),
        clf.transform(listed),
    ):
        assert isinstance(frame, pd.DataFrame) and frame.index.equals(pd.RangeIndex(len(y)))


def test_modality_importances_are_the_mean_training_weights(blocks_and_y):
    blocks, y = blocks_and_y
    blocks = {name: block.copy() for name, block in blocks.items()}
    blocks["m2"][: len(y) // 2] = np.nan  # half the rows lack m2: it weighs less
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    importances = clf.modality_importances_
    assert importances.shape == (len(blocks),)
    assert_allclose(importances, clf.modality_weights(blocks).mean(axis=0), rtol=1e-6)
    assert_allclose(importances.sum(), 1.0)
    assert importances[2] < importances[:2].min()
    # partial_fit keeps it current
    clf.partial_fit(blocks, y)
    assert_allclose(
        clf.modality_importances_, clf.modality_weights(blocks).mean(axis=0), rtol=1e-6
    )


def test_modality_importances_subsample_large_training_sets(monkeypatch, blocks_and_y):
    from sklearn_dsrsd import _base

    blocks, y = blocks_and_y
    monkeypatch.setattr(_base, "_IMPORTANCE_ROWS", 7)
    clf = DSRSDClassifier(**TINY).fit(blocks, y)
    rows = np.unique(np.linspace(0, len(y) - 1, 7).astype(int))
    subset = {name: block[rows] for name, block in blocks.items()}
    assert_allclose(
        clf.modality_importances_, clf.modality_weights(subset).mean(axis=0), rtol=1e-6
    )


def test_modality_importances_of_wrapped_baselines(blocks_and_y):
    from sklearn.linear_model import LogisticRegression

    from sklearn_dsrsd.baselines import EarlyFusionClassifier, SingleModalityClassifier

    blocks, y = blocks_and_y
    early = EarlyFusionClassifier(estimator=LogisticRegression()).fit(blocks, y)
    assert_allclose(early.modality_importances_, np.full(len(blocks), 1 / len(blocks)))
    single = SingleModalityClassifier(estimator=LogisticRegression(), modality="m1")
    assert_allclose(single.fit(blocks, y).modality_importances_, [0.0, 1.0, 0.0])


def test_array_input_is_split_into_modalities_chunk_by_chunk(monkeypatch):
    # Splitting a 2-D array whole would copy every column of every row at once.
    from sklearn_dsrsd import _base
    from sklearn_dsrsd._inputs import ModalitySchema

    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 5))
    y = (X[:, 0] > 0).astype(int)
    clf = DSRSDClassifier(**TINY, modalities={"a": [0, 1], "b": [2, 3, 4]}).fit(X, y)
    expected = clf.predict_proba(X)
    split_rows = []
    original = ModalitySchema._select_columns

    def spy(self, array):
        split_rows.append(len(array))
        return original(self, array)

    monkeypatch.setattr(ModalitySchema, "_select_columns", spy)
    monkeypatch.setattr(_base, "_PREDICT_BATCH_SIZE", 16)
    # float64 chunks agree with the whole batch to the last bit or so, not always bit for bit
    # (one probability of 100 once differed by 5.6e-17).
    assert_allclose(clf.predict_proba(X), expected, rtol=1e-14, atol=0)
    assert split_rows == [16, 16, 16, 2]


def test_periodic_embedding_keeps_each_feature_and_embeds_it_on_its_own():
    from sklearn_dsrsd._modules import PeriodicEmbedding

    torch.manual_seed(0)
    embedding = PeriodicEmbedding(3, n_frequencies=4, width=5, frequency_scale=1.0)
    block = torch.randn(6, 3, requires_grad=True)
    out = embedding(block)
    assert out.shape == (6, embedding.out_features) == (6, 3 * (1 + 5))
    torch.testing.assert_close(out[:, :3], block)
    # Feature j's embedding (columns 3 + 5j to 3 + 5j + 5) depends on x_j alone.
    moved = block.detach().clone()
    moved[:, 1] += 0.5
    changed = (embedding(moved) != out).any(dim=0)
    assert changed.tolist() == [False, True, False] + [False] * 5 + [True] * 5 + [False] * 5
    out.sum().backward()
    assert embedding.frequencies.grad.abs().sum() > 0 and block.grad.abs().sum() > 0


def test_numerical_embedding_reaches_2d_modalities_only(blocks_and_y):
    from sklearn_dsrsd._modules import PeriodicEmbedding

    blocks, y = blocks_and_y
    X = {**blocks, "seq": np.random.RandomState(0).normal(size=(len(y), 4, 2))}
    clf = DSRSDClassifier(**TINY).fit(X, y)  # "periodic" is the default
    embedded = [
        any(isinstance(part, PeriodicEmbedding) for part in encoder.modules())
        for encoder in clf.net_.module_.encoders
    ]
    assert embedded == [True, True, True, False]  # the sequence keeps its encoder
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert_allclose(clf.predict_proba({k: v[:5] for k, v in X.items()}), proba[:5], rtol=1e-12)
    plain = DSRSDClassifier(**TINY, numerical_embedding="none").fit(X, y)
    assert not np.allclose(plain.predict_proba(X), proba)
    with pytest.raises(ValueError, match="numerical_embedding 'periodic' -> 'none'"):
        clf.set_params(warm_start=True, numerical_embedding="none").fit(X, y)


def test_numerical_embedding_per_modality(blocks_and_y, tmp_path):
    import sklearn_dsrsd
    from sklearn_dsrsd._modules import PeriodicEmbedding

    blocks, y = blocks_and_y
    names = list(blocks)
    choice = {names[1]: "none", names[2]: "periodic"}
    clf = DSRSDClassifier(**TINY, numerical_embedding=choice).fit(blocks, y)
    embedded = [
        any(isinstance(part, PeriodicEmbedding) for part in encoder.modules())
        for encoder in clf.net_.module_.encoders
    ]
    assert embedded == [True, False, True]  # a modality the dict does not name: "periodic"
    assert clf.get_params()["numerical_embedding"] is choice  # kept as given, not rewritten
    assert choice == {names[1]: "none", names[2]: "periodic"}
    clone(clf).fit(blocks, y)
    clf.save(tmp_path / "model.dsrsd")
    restored = sklearn_dsrsd.load(tmp_path / "model.dsrsd")
    assert restored.get_params()["numerical_embedding"] == choice
    assert_allclose(restored.predict_proba(blocks), clf.predict_proba(blocks))
    # A dict that gives every modality one value builds that value's network: same
    # predictions, and a warm start from the str takes it as no change of architecture.
    every = {name: "none" for name in names}
    same = DSRSDClassifier(**TINY, numerical_embedding="none").fit(blocks, y)
    assert_allclose(
        DSRSDClassifier(**TINY, numerical_embedding=every).fit(blocks, y).predict_proba(blocks),
        same.predict_proba(blocks),
    )
    same.set_params(warm_start=True, numerical_embedding=every).fit(blocks, y)
    with pytest.raises(ValueError, match="numerical_embedding 'none' -> "):
        same.set_params(numerical_embedding=choice).fit(blocks, y)
    with pytest.raises(ValueError, match=r"numerical_embedding names \['nope'\], which are not"):
        DSRSDClassifier(**TINY, numerical_embedding={"nope": "none"}).fit(blocks, y)
    with pytest.raises(ValueError, match=rf"numerical_embedding\['{names[0]}'\] must be one of"):
        DSRSDClassifier(**TINY, numerical_embedding={names[0]: "fourier"}).fit(blocks, y)
    with pytest.raises(ValueError, match="numerical_embedding"):
        DSRSDClassifier(**TINY, numerical_embedding=3).fit(blocks, y)


def test_pd_na_in_an_object_column_is_a_missing_value():
    # pd.NA marks a missing value as None does; NumPy cannot convert it to float, so the input
    # handling does (on a copy: the caller's frame keeps its pd.NA).
    rng = np.random.default_rng(0)
    values = rng.normal(size=60)
    with_nan = pd.DataFrame({"a": values, "b": values[::-1]})
    with_nan.iloc[3, 0] = np.nan
    with_na = with_nan.astype({"a": object})
    with_na.iloc[3, 0] = pd.NA
    y = np.arange(60) % 2
    other = rng.normal(size=(60, 2))
    for X_na, X_nan in (
        ({"x": with_na, "z": other}, {"x": with_nan, "z": other}),
        (with_na, with_nan),
    ):
        fitted = DSRSDClassifier(**TINY).fit(X_nan, y)
        np.testing.assert_array_equal(
            DSRSDClassifier(**TINY).fit(X_na, y).predict_proba(X_na), fitted.predict_proba(X_nan)
        )
    assert with_na.iloc[3, 0] is pd.NA


def test_pandas_string_column_of_numbers_with_missing_values_reads_as_floats():
    # pd.NA in a "string" column made float() fail inside check_array.
    rng = np.random.default_rng(0)
    values = rng.normal(size=60)
    as_float = pd.DataFrame({"a": values, "b": values[::-1]})
    as_float.iloc[3, 0] = np.nan
    as_string = as_float.astype({"a": "string"})
    assert as_string.iloc[3, 0] is pd.NA
    y = np.arange(60) % 2
    expected = DSRSDClassifier(**TINY).fit(as_float, y).predict_proba(as_float)
    got = DSRSDClassifier(**TINY).fit(as_string, y).predict_proba(as_string)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert as_string.iloc[3, 0] is pd.NA and as_string.dtypes["a"] == "string"


def test_bfloat16_tensor_blocks_read_as_float32():
    rng = np.random.default_rng(0)
    blocks = {
        "a": torch.from_numpy(rng.normal(size=(40, 3))).bfloat16(),
        "b": rng.normal(size=(40, 2)),
    }
    exact = {"a": blocks["a"].float().numpy(), "b": blocks["b"]}
    y = np.arange(40) % 2
    np.testing.assert_array_equal(
        DSRSDClassifier(**TINY).fit(blocks, y).predict_proba(blocks),
        DSRSDClassifier(**TINY).fit(exact, y).predict_proba(exact),
    )
