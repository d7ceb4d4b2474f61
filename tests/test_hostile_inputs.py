"""Hostile and edge inputs: every public entry point fails early with a precise error.

The cases are a table: ``(id, call, exception type, regex)``. ``call`` receives the
module's :class:`Context` (the caller's data and lazily fitted estimators). Each case must
raise exactly the given type, with a message matching the regex (which names the modality,
parameter or column at fault and what was expected), from a frame of ``sklearn_dsrsd`` or of
scikit-learn's validation -- never from inside torch, numpy or pandas -- and must leave the
caller's arrays unchanged.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor, ModalityDict
from sklearn_dsrsd._comparison import main
from sklearn_dsrsd.baselines import (
    CoAttentionClassifier,
    EarlyFusionClassifier,
    LateFusionRegressor,
    SingleModalityClassifier,
)
from sklearn_dsrsd.datasets import build_next_step_features, load_assistments2009, load_oulad

N = 40
NET = dict(max_iter=2, hidden_size=8, batch_size=16, random_state=0)
DSRSD = dict(NET, code_size=4)

# name -> (class, parameters, task)
ESTIMATORS = {
    "DSRSDClassifier": (DSRSDClassifier, DSRSD, "classification"),
    "DSRSDRegressor": (DSRSDRegressor, DSRSD, "regression"),
    "EarlyFusionClassifier": (EarlyFusionClassifier, NET, "classification"),
    "LateFusionRegressor": (LateFusionRegressor, NET, "regression"),
    "SingleModalityClassifier": (SingleModalityClassifier, NET, "classification"),
    "CoAttentionClassifier": (CoAttentionClassifier, NET, "classification"),
}


def make(name: str, **params: Any):
    cls, defaults, _ = ESTIMATORS[name]
    return cls(**{**defaults, **params})


def clf(**params: Any) -> DSRSDClassifier:
    return DSRSDClassifier(**{**DSRSD, **params})


def reg(**params: Any) -> DSRSDRegressor:
    return DSRSDRegressor(**{**DSRSD, **params})


class Context:
    """The caller's data (checked for mutation after every case) and fitted estimators."""

    def __init__(self, tmp: Path):
        rng = np.random.RandomState(0)
        self.tmp = tmp
        self.m1 = rng.normal(size=(N, 3))
        self.m2 = rng.normal(size=(N, 2))
        self.seq = rng.normal(size=(N, 5, 2))
        self.y = np.arange(N) % 2
        self.y_reg = rng.normal(size=N)
        self.X = {"m1": self.m1, "m2": self.m2}
        self.frame = pd.DataFrame(self.m1, columns=["a", "b", "c"])
        self.words = pd.DataFrame({"a": ["x", "y"] * (N // 2), "b": np.arange(N, dtype=float)})
        self.log = pd.DataFrame(
            {
                "orig_user_id": np.repeat(np.arange(5), 4),
                "step": np.tile(np.arange(4), 5),
                "problem_idx": np.arange(20) % 3,
                "skill_idx": np.arange(20) % 2,
                "correct": np.arange(20) % 2,
            }
        )
        self._fitted: dict[str, Any] = {}

    def data(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in vars(self).items()
            if isinstance(value, (np.ndarray, pd.DataFrame, dict)) and not name.startswith("_")
        }

    def target(self, name: str) -> np.ndarray:
        return self.y if ESTIMATORS[name][2] == "classification" else self.y_reg

    def fitted(self, name: str):
        """Each estimator of ESTIMATORS fitted once on ``X``; a few extra fits by key."""
        if name not in self._fitted:
            extra = {
                "frames": lambda: clf().fit({"m1": self.frame, "m2": self.m2}, self.y),
                "array": lambda: clf().fit(self.m1, self.y),
                "sequence": lambda: clf().fit({"s": self.seq, "m2": self.m2}, self.y),
            }
            fit = extra.get(name) or (lambda: make(name).fit(self.X, self.target(name)))
            self._fitted[name] = fit()
        return self._fitted[name]


class Case(NamedTuple):
    id: str
    call: Any
    error: type[BaseException]
    match: str
    skip: str | None = None


def nan_rows(block: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.where(rows.reshape(-1, *[1] * (block.ndim - 1)), np.nan, block)


def per_estimator_cases(name: str) -> list[Case]:
    """The same hostile inputs for every public method of one estimator."""
    is_classifier = ESTIMATORS[name][2] == "classification"
    predict = "predict_proba" if is_classifier else "predict"

    def method(c: Context, which: str):
        return getattr(c.fitted(name), which)

    return [
        Case(
            f"{name}-fit-list-of-arrays",
            lambda c: make(name).fit([c.m1, c.m2], c.target(name)),
            TypeError,
            r"X is a list of 2-D arrays; pass the modalities as a mapping",
        ),
        Case(
            f"{name}-fit-y-None",
            lambda c: make(name).fit(c.X, None),
            ValueError,
            rf"{name} requires y to be passed, but the target y is None",
        ),
        Case(
            f"{name}-fit-y-wrong-length",
            lambda c: make(name).fit(c.X, c.target(name)[:30]),
            ValueError,
            r"y has 30 samples, but X has 40",
        ),
        Case(
            f"{name}-predict-before-fit",
            lambda c: make(name).predict(c.X),
            NotFittedError,
            rf"This {name} instance is not fitted yet",
        ),
        Case(
            f"{name}-modality_weights-before-fit",
            lambda c: make(name).modality_weights(c.X),
            NotFittedError,
            rf"This {name} instance is not fitted yet",
        ),
        Case(
            f"{name}-predict-unknown-modality",
            lambda c: method(c, "predict")({**c.X, "m3": c.m1}),
            ValueError,
            rf"Unknown modalities \['m3'\]: {name} was fitted with modalities "
            r"\['m1', 'm2'\]",
        ),
        Case(
            f"{name}-modality_weights-shape-changed",
            lambda c: method(c, "modality_weights")({"m1": c.m1[:, :2], "m2": c.m2}),
            ValueError,
            rf"Modality 'm1' has 2 features, but {name} was fitted with 3 "
            "features for it",
        ),
        Case(
            f"{name}-predict-one-sample-as-1-d-vectors",
            lambda c: method(c, "predict")({"m1": c.m1[0], "m2": c.m2[0]}),
            ValueError,
            r"'m1' has 3, 'm2' has 2\. A 1-D block is read as one feature of n_samples "
            r"values; if \['m1', 'm2'\] hold one sample's features, pass each as a row",
        ),
        Case(
            f"{name}-predict-one-modality-as-a-1-d-vector",
            lambda c: method(c, "predict")({"m1": list(c.m1[0])}),
            ValueError,
            rf"Modality 'm1' has 1 feature, but {name} was fitted with 3 features for it\. "
            r"A 1-D block is read as one feature",
        ),
        Case(
            f"{name}-{predict}-every-modality-missing",
            lambda c: method(c, predict)({"m1": np.full((5, 3), np.nan), "m2": None}),
            ValueError,
            r"5 sample\(s\) have every modality missing",
        ),
        Case(
            f"{name}-{predict}-array-instead-of-mapping",
            lambda c: method(c, predict)(c.m1),
            TypeError,
            rf"{name} was fitted on a mapping of modalities \['m1', 'm2'\]; got "
            "ndarray",
        ),
        Case(
            f"{name}-score-unknown-modality",
            lambda c: method(c, "score")({"m1": c.m1, "zz": c.m2}, c.target(name)),
            ValueError,
            r"Unknown modalities \['zz'\]",
        ),
    ]


INVALID_PARAMETERS = [
    ("max_iter", -1),
    ("batch_size", 0),
    ("learning_rate", "fast"),
    ("fusion", "sum"),
    ("temporal_encoder", "lstm"),
    ("class_weight", "often"),
    ("missing_strategy", "x"),
    ("device", 5),
    ("validation_fraction", 1.5),
    ("dropout", 1.0),
]

ESTIMATOR_CASES = [
    # -- X of the wrong container type -----------------------------------------------------
    Case(
        "fit-X-set",
        lambda c: clf().fit({1, 2}, c.y),
        TypeError,
        r"X must be a mapping \{modality_name: array-like .* dict or ModalityDict, "
        r"or a 2-D array-like or DataFrame .*; got set",
    ),
    Case("fit-X-str", lambda c: clf().fit("m1", c.y), TypeError, r"X must be a mapping.*got str"),
    Case(
        "fit-X-None",
        lambda c: clf().fit(None, c.y),
        TypeError,
        r"X must be a mapping.*got NoneType",
    ),
    Case(
        "fit-X-tuple-of-frames",
        lambda c: reg().fit((c.frame, c.frame), c.y_reg),
        TypeError,
        r"X is a tuple of 2-D arrays; pass the modalities as a mapping",
    ),
    Case(
        "fit-X-empty-mapping",
        lambda c: clf().fit({}, c.y),
        ValueError,
        r"X is an empty mapping; expected at least one modality name",
    ),
    Case(
        "fit-X-sparse",
        lambda c: clf().fit(sparse.csr_matrix(c.m1), c.y),
        TypeError,
        r"Sparse data was passed for X, but dense data is required",
    ),
    Case(
        "fit-sparse-block",
        lambda c: clf().fit({"m1": sparse.csr_matrix(c.m1)}, c.y),
        TypeError,
        r"Modality 'm1': Sparse data was passed",
    ),
    # -- y ---------------------------------------------------------------------------------
    Case(
        "fit-y-3d-classifier",
        lambda c: clf().fit(c.X, c.y.reshape(N, 1, 1)),
        ValueError,
        r"DSRSDClassifier needs y of shape \(n_samples,\); got y of shape "
        r"\(40, 1, 1\)",
    ),
    Case(
        "fit-y-3d-regressor",
        lambda c: reg().fit(c.X, c.y_reg.reshape(N, 1, 1)),
        ValueError,
        r"DSRSDRegressor needs y of shape \(n_samples,\) or \(n_samples, "
        r"n_outputs\); got y of shape \(40, 1, 1\)",
    ),
    Case(
        "fit-y-two-columns-classifier",
        lambda c: clf().fit(c.X, np.c_[c.y, c.y]),
        ValueError,
        r"y should be a 1d array, got an array of shape \(40, 2\)",
    ),
    Case(
        "fit-y-strings-regressor",
        lambda c: reg().fit(c.X, np.array(["lo", "hi"] * 20)),
        ValueError,
        r"DSRSDRegressor needs numeric targets y; got y of dtype <U2",
    ),
    Case(
        "fit-y-strings-late-fusion-regressor",
        lambda c: make("LateFusionRegressor").fit(c.X, c.words["a"]),
        ValueError,
        r"LateFusionRegressor needs numeric targets y; got y of dtype",
    ),
    Case(
        "fit-y-nan-regressor",
        lambda c: reg().fit(c.X, np.where(c.y == 0, np.nan, c.y_reg)),
        ValueError,
        r"Input y contains NaN",
    ),
    Case(
        "fit-y-one-class",
        lambda c: clf().fit(c.X, np.zeros(N)),
        ValueError,
        r"DSRSDClassifier needs samples of at least 2 classes in y; got 1 class",
    ),
    Case(
        "fit-y-one-class-early-fusion",
        lambda c: make("EarlyFusionClassifier").fit(c.X, np.ones(N)),
        ValueError,
        r"EarlyFusionClassifier needs samples of at least 2 classes in y",
    ),
    # -- modality blocks at fit -------------------------------------------------------------
    Case(
        "fit-modality-name-int",
        lambda c: clf().fit({1: c.m1, "m2": c.m2}, c.y),
        TypeError,
        r"Modality names must be str; got 1 of type int",
    ),
    Case(
        "fit-modality-0-features",
        lambda c: clf().fit({"m1": c.m1[:, :0], "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': found a block with shape \(40, 0\); at least one feature",
    ),
    Case(
        "fit-modality-0-steps",
        lambda c: clf().fit({"s": c.seq[:, :0], "m2": c.m2}, c.y),
        ValueError,
        r"Modality 's': found a block with shape \(40, 0, 2\)",
    ),
    Case(
        "fit-modality-4d",
        lambda c: clf().fit({"m1": c.seq[..., None], "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': expected a 2-D block \(n_samples, n_features\) or a 3-D "
        r"sequence block .* got shape \(40, 5, 2, 1\)",
    ),
    Case(
        "fit-modality-4d-tensor",
        lambda c: clf().fit({"m1": torch.zeros(N, 2, 2, 2), "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': expected a 2-D block.*got shape \(40, 2, 2, 2\)",
    ),
    Case(
        "fit-modalities-of-different-lengths",
        lambda c: clf().fit({"m1": c.m1[:30], "m2": c.m2}, c.y),
        ValueError,
        r"same number of samples; 'm1' has 30, 'm2' has 40",
    ),
    Case(
        "fit-modality-zero-rows",
        lambda c: clf().fit({"m1": c.m1[:0], "m2": c.m2[:0]}, c.y[:0]),
        ValueError,
        r"Modality 'm1': Found array with 0 sample\(s\)",
    ),
    Case(
        "fit-modality-ragged-lists",
        lambda c: clf().fit({"m1": [[1.0, 2.0], [3.0]] * 20, "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': .*inhomogeneous",
    ),
    Case(
        "fit-modality-complex",
        lambda c: clf().fit({"m1": c.m1 + 1j, "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': Complex data not supported",
    ),
    Case(
        "fit-modality-object-strings",
        lambda c: clf().fit({"m1": c.words.to_numpy(), "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': could not convert string to float: 'x'",
    ),
    Case(
        "fit-modality-inf",
        lambda c: clf().fit({"m1": np.where(c.m1 > 2, np.inf, c.m1), "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': .*contains infinity",
    ),
    Case(
        "fit-modality-all-nan",
        lambda c: clf().fit({"m1": np.full_like(c.m1, np.nan), "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1' is missing \(all NaN\) for every training sample",
    ),
    Case(
        "fit-modality-None",
        lambda c: clf().fit({"m1": c.m1, "m2": None}, c.y),
        ValueError,
        r"Modality 'm2' is None in the training data",
    ),
    Case(
        "fit-samples-with-every-modality-missing",
        lambda c: clf().fit(
            {name: nan_rows(block, np.arange(N) < 5) for name, block in c.X.items()}, c.y
        ),
        ValueError,
        r"5 sample\(s\) have every modality missing .* rows \[0, 1, 2, 3, 4\]",
    ),
    Case(
        "fit-distill-without-complete-samples",
        lambda c: clf(missing_strategy="distill").fit(
            {"m1": nan_rows(c.m1, c.y == 0), "m2": nan_rows(c.m2, c.y == 1)}, c.y
        ),
        ValueError,
        r"missing_strategy='distill' trains its teacher on samples with every "
        r"modality present and needs at least 2; found 0 samples",
    ),
    # -- DataFrames ---------------------------------------------------------------------------
    Case(
        "fit-dataframe-modality-string-column",
        lambda c: clf().fit({"m1": c.words, "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': the DataFrame has non-numeric column\(s\) \['a'\]; "
        r"column 'a' has dtype .* values such as 'x'",
    ),
    Case(
        "fit-dataframe-modality-categorical-column",
        lambda c: clf().fit({"m1": c.words.astype({"a": "category"}), "m2": c.m2}, c.y),
        ValueError,
        r"Modality 'm1': the DataFrame has non-numeric column\(s\) \['a'\]; "
        r"column 'a' has dtype category",
    ),
    Case(
        "fit-dataframe-modality-datetime-column",
        lambda c: clf().fit({"m1": c.words.assign(a=pd.date_range("2020", periods=N))}, c.y),
        ValueError,
        r"Modality 'm1': the DataFrame has non-numeric column\(s\) \['a'\]; "
        r"column 'a' has dtype datetime64",
    ),
    Case(
        "fit-dataframe-X-string-column",
        lambda c: clf().fit(c.words, c.y),
        ValueError,
        r"X: the DataFrame has non-numeric column\(s\) \['a'\]",
    ),
    Case(
        "fit-dataframe-modality-duplicate-columns",
        lambda c: clf().fit({"m1": c.frame.set_axis(["a", "a", "b"], axis=1)}, c.y),
        ValueError,
        r"Modality 'm1': the DataFrame has duplicate column names \['a'\]",
    ),
    Case(
        "fit-dataframe-X-duplicate-columns",
        lambda c: reg().fit(c.frame.set_axis(["a", "b", "a"], axis=1), c.y_reg),
        ValueError,
        r"X: the DataFrame has duplicate column names \['a'\]",
    ),
    Case(
        "fit-dataframe-X-mixed-column-name-types",
        lambda c: clf().fit(c.frame.set_axis([0, "b", "c"], axis=1), c.y),
        TypeError,
        r"Feature names are only supported if all input features have string "
        "names",
    ),
    Case(
        "predict-dataframe-columns-reordered",
        lambda c: c.fitted("frames").predict({"m1": c.frame[["c", "b", "a"]], "m2": c.m2}),
        ValueError,
        r"Modality 'm1': the DataFrame's columns differ from those seen in fit; "
        r"expected \['a', 'b', 'c'\], got \['c', 'b', 'a'\]",
    ),
    Case(
        "predict-dataframe-column-renamed",
        lambda c: c.fitted("frames").predict_proba(
            {"m1": c.frame.rename(columns={"a": "age"}), "m2": c.m2}
        ),
        ValueError,
        r"Modality 'm1': the DataFrame's columns differ .* got \['age'",
    ),
    # -- the modalities parameter --------------------------------------------------------------
    Case(
        "fit-modalities-unknown-column-names",
        lambda c: clf(modalities={"a": ["a", "zz"]}).fit(c.frame, c.y),
        ValueError,
        r"modalities\['a'\] names columns \['zz'\] that are not in X; X has "
        r"columns \['a', 'b', 'c'\]",
    ),
    Case(
        "fit-modalities-out-of-range-indices",
        lambda c: clf(modalities={"a": [0], "b": [1, 7]}).fit(c.m1, c.y),
        ValueError,
        r"modalities\['b'\] selects column indices \[7\], but X has 3 columns",
    ),
    Case(
        "fit-modalities-empty-slice",
        lambda c: clf(modalities={"a": slice(0, 0), "b": slice(None)}).fit(c.m1, c.y),
        ValueError,
        r"modalities\['a'\] selects no columns: the slice slice\(0, 0, None\) is empty",
    ),
    Case(
        "fit-modalities-all-false-mask",
        lambda c: clf(modalities={"a": [False] * 3, "b": [True] * 3}).fit(c.m1, c.y),
        ValueError,
        r"modalities\['a'\] is a boolean mask that selects no columns",
    ),
    Case(
        "fit-frame-without-columns",
        lambda c: clf().fit(pd.DataFrame(index=range(N)), c.y),
        ValueError,
        r"X: the DataFrame has no columns",
    ),
    Case(
        "fit-modality-frame-without-columns",
        lambda c: clf().fit({"m1": c.m1, "m2": pd.DataFrame(index=range(N))}, c.y),
        ValueError,
        r"Modality 'm2': the DataFrame has no columns",
    ),
    Case(
        "fit-modalities-colliding-names",
        lambda c: clf(modalities={1: [0], "1": [1]}).fit(c.m1, c.y),
        ValueError,
        r"modalities has names that collide once converted to str",
    ),
    Case(
        "fit-modalities-with-mapping-X",
        lambda c: clf(modalities={"a": [0]}).fit(c.X, c.y),
        ValueError,
        r"The modalities parameter selects columns of a 2-D array or DataFrame; "
        r"X is already a mapping .* Set modalities=None",
    ),
    Case(
        "fit-modalities-empty",
        lambda c: clf(modalities={}).fit(c.m1, c.y),
        ValueError,
        r"modalities is an empty mapping",
    ),
    Case(
        "fit-modalities-names-on-array",
        lambda c: clf(modalities={"a": ["a"]}).fit(c.m1, c.y),
        ValueError,
        r"modalities\['a'\] selects columns by name .* X has no column names",
    ),
    Case(
        "fit-modalities-mask-length",
        lambda c: clf(modalities={"a": [True, False]}).fit(c.m1, c.y),
        ValueError,
        r"modalities\['a'\] is a boolean mask of length 2, but X has 3 columns",
    ),
    Case(
        "fit-modalities-empty-selector",
        lambda c: clf(modalities={"a": []}).fit(c.m1, c.y),
        ValueError,
        r"modalities\['a'\] must select at least one column",
    ),
    # -- invalid hyperparameters ----------------------------------------------------------------
    *[
        Case(
            f"fit-{param}={value!r}",
            lambda c, p=param, v=value: clf(**{p: v}).fit(c.X, c.y),
            InvalidParameterError,
            rf"The '{param}' parameter of DSRSDClassifier must be .* Got "
            rf"{value!r} instead",
        )
        for param, value in INVALID_PARAMETERS
    ],
    Case(
        "fit-regressor-alpha=-1",
        lambda c: reg(alpha=-1.0).fit(c.X, c.y_reg),
        InvalidParameterError,
        r"The 'alpha' parameter of DSRSDRegressor must be",
    ),
    Case(
        "fit-early-fusion-learning_rate_init=0",
        lambda c: make("EarlyFusionClassifier", learning_rate_init=0).fit(c.X, c.y),
        InvalidParameterError,
        r"The 'learning_rate_init' parameter of EarlyFusionClassifier",
    ),
    Case(
        "fit-coattention-n_heads=0",
        lambda c: make("CoAttentionClassifier", n_heads=0).fit(c.X, c.y),
        InvalidParameterError,
        r"The 'n_heads' parameter of CoAttentionClassifier",
    ),
    Case(
        "fit-coattention-hidden-size-not-divisible",
        lambda c: make("CoAttentionClassifier", n_heads=3).fit(c.X, c.y),
        ValueError,
        r"hidden_size must be divisible by n_heads; got hidden_size=8 and "
        "n_heads=3",
    ),
    Case(
        "fit-single-modality-modality=3",
        lambda c: make("SingleModalityClassifier", modality=3).fit(c.X, c.y),
        InvalidParameterError,
        r"The 'modality' parameter of SingleModalityClassifier",
    ),
    Case(
        "fit-single-modality-unknown-modality",
        lambda c: make("SingleModalityClassifier", modality="zz").fit(c.X, c.y),
        ValueError,
        r"modality='zz' is not one of the modalities found in X: \['m1', 'm2'\]",
    ),
    Case(
        "fit-late-fusion-validation_fraction=0",
        lambda c: make("LateFusionRegressor", validation_fraction=0.0).fit(c.X, c.y_reg),
        InvalidParameterError,
        r"The 'validation_fraction' parameter of LateFusionRegressor",
    ),
    # -- device ---------------------------------------------------------------------------------
    Case(
        "fit-device=foo",
        lambda c: clf(device="foo").fit(c.X, c.y),
        ValueError,
        r"device must be a torch device string .*; got device='foo'",
    ),
    Case(
        "fit-device=cuda-without-cuda",
        lambda c: clf(device="cuda").fit(c.X, c.y),
        ValueError,
        r"device='cuda' asks for CUDA, but torch.cuda.is_available\(\) is False",
        skip="CUDA is available" if torch.cuda.is_available() else None,
    ),
    Case(
        "fit-device=cuda:99",
        lambda c: reg(device="cuda:99").fit(c.X, c.y_reg),
        ValueError,
        r"device='cuda:99' asks for CUDA",
    ),
    Case(
        "fit-device=mps-unavailable",
        lambda c: make("EarlyFusionClassifier", device="mps").fit(c.X, c.y),
        ValueError,
        r"device='mps' is not available on this machine",
        skip="MPS is available" if torch.backends.mps.is_available() else None,
    ),
    # -- early stopping on a training set too small to split ------------------------------------
    Case(
        "fit-early-stopping-tiny-classifier",
        lambda c: clf(early_stopping=True).fit({"m1": c.m1[:3], "m2": c.m2[:3]}, c.y[:3]),
        ValueError,
        r"early_stopping=True holds out validation_fraction=0.1 of the 3 training "
        r"samples for validation, but that stratified split fails",
    ),
    Case(
        "fit-early-stopping-single-sample-class-named-by-label",
        lambda c: clf(early_stopping=True).fit(
            c.X, np.r_[["rare"], np.where(c.y[1:] == 1, "cat", "dog")]
        ),
        ValueError,
        r"stratified split fails \(classes \['rare'\] of y have a single sample\)",
    ),
    Case(
        "fit-early-stopping-tiny-regressor",
        lambda c: reg(early_stopping=True).fit({"m1": c.m1[:1], "m2": c.m2[:1]}, c.y_reg[:1]),
        ValueError,
        r"early_stopping=True holds out validation_fraction=0.1 of the 1 training "
        r"samples .*train set will be empty",
    ),
    Case(
        "fit-early-stopping-tiny-early-fusion",
        lambda c: make("EarlyFusionClassifier", early_stopping=True, validation_fraction=0.5).fit(
            {"m1": c.m1[:4]}, [0, 1, 1, 1]
        ),
        ValueError,
        r"early_stopping=True holds out validation_fraction=0.5 of the 4",
    ),
    # -- training that cannot work -----------------------------------------------------------
    Case(
        "fit-regressor-diverges",
        lambda c: reg(learning_rate_init=1e3).fit(c.X, c.y_reg),
        ValueError,
        r"Training diverged.*learning_rate_init=1000",
    ),
    Case(
        "warm-start-new-class",
        lambda c: clf(warm_start=True).fit(c.X, c.y).fit(c.X, c.y + 1),
        ValueError,
        r"y holds classes \[2\] not seen in the first fit",
    ),
    Case(
        "warm-start-architecture-changed",
        lambda c: clf(warm_start=True).fit(c.X, c.y).set_params(code_size=5).fit(c.X, c.y),
        ValueError,
        r"warm_start=True continues training .* code_size 4 -> 5",
    ),
    # -- prediction-time inputs ------------------------------------------------------------------
    Case(
        "predict-values-beyond-float32",
        lambda c: c.fitted("DSRSDClassifier").predict({"m1": c.m1 * 1e300, "m2": c.m2}),
        ValueError,
        r"Modality 'm1' holds values .* beyond the float32 range",
    ),
    Case(
        "predict-inf",
        lambda c: c.fitted("DSRSDRegressor").predict(
            {"m1": c.m1, "m2": np.where(c.m2 > 1, -np.inf, c.m2)}
        ),
        ValueError,
        r"Modality 'm2': .*contains infinity",
    ),
    Case(
        "predict-every-modality-None",
        lambda c: c.fitted("DSRSDClassifier").predict({"m1": None, "m2": None}),
        ValueError,
        r"Every modality is None",
    ),
    Case(
        "predict-modality-lengths-differ",
        lambda c: c.fitted("DSRSDClassifier").predict({"m1": c.m1[:5], "m2": c.m2}),
        ValueError,
        r"'m1' has 5, 'm2' has 40",
    ),
    Case(
        "predict-sequence-steps-changed",
        lambda c: c.fitted("sequence").predict({"s": c.seq[:, :4], "m2": c.m2}),
        ValueError,
        r"Modality 's' has shape \(n_steps, n_features\) = \(4, 2\), but "
        r"DSRSDClassifier was fitted with shape \(n_steps, n_features\) = \(5, 2\)",
    ),
    Case(
        "predict-sequence-given-2d",
        lambda c: c.fitted("sequence").modality_weights({"s": c.seq[:, 0], "m2": c.m2}),
        ValueError,
        r"Modality 's' has 2 features, but .* \(5, 2\)",
    ),
    Case(
        "predict-proba-before-fit",
        lambda c: clf().predict_proba(c.X),
        NotFittedError,
        r"This DSRSDClassifier instance is not fitted yet",
    ),
    Case(
        "score-before-fit",
        lambda c: reg().score(c.X, c.y_reg),
        NotFittedError,
        r"This DSRSDRegressor instance is not fitted yet",
    ),
    Case(
        "score-y-None",
        lambda c: c.fitted("DSRSDClassifier").score(c.X, None),
        ValueError,
        r"DSRSDClassifier requires y to be passed, but the target y is None",
    ),
    Case(
        "score-y-wrong-length",
        lambda c: c.fitted("DSRSDRegressor").score(c.X, c.y_reg[:30]),
        ValueError,
        r"y has 30 samples, but X has 40; they must match",
    ),
    Case(
        "score-classifier-y-wrong-length",
        lambda c: c.fitted("DSRSDClassifier").score(c.X, c.y[:30]),
        ValueError,
        r"y has 30 samples, but X has 40; they must match",
    ),
    Case(
        "fit-class-weight-unknown-label",
        lambda c: clf(class_weight={5: 1.0}).fit(c.X, c.y),
        ValueError,
        r"class_weight names labels \[5\] that are not classes of y",
    ),
    Case(
        "fit-sample-weight-negative",
        lambda c: clf().fit(c.X, c.y, sample_weight=-np.ones(40)),
        ValueError,
        r"Negative values in data passed to `sample_weight`",
    ),
    Case(
        "fit-sample-weight-wrong-length",
        lambda c: reg().fit(c.X, c.y_reg, sample_weight=np.ones(3)),
        ValueError,
        r"sample_weight.shape == \(3,\), expected \(40,\)",
    ),
    Case(
        "partial-fit-without-classes",
        lambda c: clf().partial_fit(c.X, c.y),
        ValueError,
        r"classes must be passed on the first call to partial_fit",
    ),
    Case(
        "partial-fit-2d-classes",
        lambda c: clf().partial_fit(c.X, c.y, classes=[[0, 1]]),
        ValueError,
        r"classes must be a 1-D array-like .* got an array of shape \(1, 2\)",
    ),
    Case(
        "partial-fit-nan-class",
        lambda c: clf().partial_fit(c.X, c.y, classes=[0.0, 1.0, np.nan]),
        ValueError,
        r"classes must not hold NaN",
    ),
    Case(
        "predict-array-fitted-given-mapping",
        lambda c: c.fitted("array").predict(c.X),
        TypeError,
        r"DSRSDClassifier was fitted on a 2-D array or DataFrame; got a mapping",
    ),
    Case(
        "predict-array-fitted-wrong-width",
        lambda c: c.fitted("array").predict(c.m2),
        ValueError,
        r"X has 2 features, but DSRSDClassifier is expecting 3 features",
    ),
    Case(
        "predict-array-fitted-None",
        lambda c: c.fitted("array").predict_proba(None),
        TypeError,
        r"X must be a mapping.*got NoneType",
    ),
    Case(
        "predict-array-fitted-list-of-arrays",
        lambda c: c.fitted("array").predict([c.m1, c.m1]),
        TypeError,
        r"X is a list of 2-D arrays",
    ),
    *[case for name in ESTIMATORS for case in per_estimator_cases(name)],
]

MODALITY_DICT_CASES = [
    Case(
        "modality-dict-scalar-value",
        lambda c: ModalityDict(a=1.0, b=c.m2),
        TypeError,
        r"ModalityDict values must be array-likes of shape \(n_samples, ...\) or None; "
        r"got float 1.0",
    ),
    Case(
        "modality-dict-float-key",
        lambda c: ModalityDict(c.X)[1.5],
        TypeError,
        r"A ModalityDict is indexed with a modality name \(str\), or by rows .*; "
        r"got 1.5 of type float",
    ),
    Case(
        "modality-dict-None-key",
        lambda c: ModalityDict(c.X)[None],
        TypeError,
        r"indexed with a modality name .* got None of type NoneType",
    ),
    Case(
        "modality-dict-tuple-key",
        lambda c: ModalityDict(c.X)[0, 1],
        TypeError,
        r"indexed with a modality name .* got \(0, 1\) of type tuple",
    ),
    Case(
        "modality-dict-2d-index",
        lambda c: ModalityDict(c.X)[np.zeros((2, 2), int)],
        TypeError,
        r"1-D array of int indices; got ndarray of shape \(2, 2\)",
    ),
    Case(
        "modality-dict-row-out-of-range",
        lambda c: ModalityDict(c.X)[N],
        IndexError,
        r"Row 40 is out of range for 40 samples",
    ),
    Case(
        "modality-dict-rows-out-of-range",
        lambda c: ModalityDict(c.X)[[0, -41, 100]],
        IndexError,
        r"Row indices \[-41, 100\] are out of range for 40 samples",
    ),
    Case(
        "modality-dict-mask-length",
        lambda c: ModalityDict(c.X)[c.y[:3] == 0],
        IndexError,
        r"boolean row mask has length 3, but the ModalityDict has 40 samples",
    ),
    Case("modality-dict-unknown-modality", lambda c: ModalityDict(c.X)["zz"], KeyError, r"zz"),
    Case(
        "modality-dict-lengths-differ",
        lambda c: ModalityDict(a=c.m1, b=c.m2[:4]),
        ValueError,
        r"All modalities must have the same number of samples; got 'a': 40, "
        "'b': 4",
    ),
    Case(
        "modality-dict-set-wrong-length",
        lambda c: ModalityDict(c.X).__setitem__("m3", c.m1[:5]),
        ValueError,
        r"Modality 'm3' has 5 samples; the other modalities have 40",
    ),
    Case(
        "modality-dict-key-not-str",
        lambda c: ModalityDict({0: c.m1}),
        TypeError,
        r"ModalityDict keys must be modality names of type str; got key 0",
    ),
    Case(
        "modality-dict-set-key-not-str",
        lambda c: ModalityDict(c.X).__setitem__(2, c.m1),
        TypeError,
        r"ModalityDict keys must be modality names of type str; got int",
    ),
]


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


LOADER_CASES = [
    Case(
        "load-oulad-missing-folder",
        lambda c: load_oulad(c.tmp / "nowhere"),
        FileNotFoundError,
        r"OULAD data folder .*nowhere does not exist",
    ),
    Case(
        "load-oulad-folder-without-files",
        lambda c: load_oulad(c.tmp),
        FileNotFoundError,
        r"OULAD file studentInfo.csv \(or studentInfo.csv.gz\) not found",
    ),
    Case(
        "load-oulad-cutoff-str",
        lambda c: load_oulad(cutoff_day="sixty"),
        TypeError,
        r"cutoff_day must be an integer number of days; got 'sixty'",
    ),
    Case(
        "load-oulad-cutoff-fraction",
        lambda c: load_oulad(cutoff_day=1.5),
        TypeError,
        r"cutoff_day must be an integer number of days; got 1.5",
    ),
    Case(
        "load-oulad-cutoff-past-extract",
        lambda c: load_oulad(cutoff_day=200),
        ValueError,
        r"BBB_2013J only up to day 132; cutoff_day=200 would see a truncated",
    ),
    Case(
        "load-oulad-click-start-after-cutoff",
        lambda c: load_oulad(cutoff_day=60, click_start_day=100),
        ValueError,
        r"click_start_day \(100\) must not be after cutoff_day \(60\)",
    ),
    Case(
        "load-oulad-bad-target",
        lambda c: load_oulad(target="grade"),
        ValueError,
        r"target must be 'pass' or 'final_result'; got 'grade'",
    ),
    Case(
        "load-oulad-bad-clickstream",
        lambda c: load_oulad(clickstream="dense"),
        ValueError,
        r"clickstream must be 'sequence' or 'flat'; got 'dense'",
    ),
    Case(
        "load-oulad-unknown-presentation",
        lambda c: load_oulad(presentations=["ZZZ_2099J"]),
        ValueError,
        r"Presentation ZZZ_2099J is not in the data; available: AAA_2013J",
    ),
    Case(
        "load-assistments-missing-file",
        lambda c: load_assistments2009(c.tmp / "no.csv.gz"),
        FileNotFoundError,
        r"ASSISTments 2009 file not found: '.*no.csv.gz'",
    ),
    Case(
        "load-assistments-missing-columns",
        lambda c: load_assistments2009(write_csv(c.tmp / "other.csv", c.frame)),
        ValueError,
        r"other.csv: missing column\(s\) \['akt_fold', .*\] required .*; "
        r"available columns: \['a', 'b', 'c'\]",
    ),
    Case(
        "next-step-missing-column",
        lambda c: build_next_step_features(c.log.drop(columns=["step"])),
        ValueError,
        r"missing column\(s\) 'step' \(the order column\); available columns",
    ),
    Case(
        "next-step-missing-correct-column",
        lambda c: build_next_step_features(c.log, correct="ok"),
        ValueError,
        r"missing column\(s\) 'ok' \(the correct column\)",
    ),
    Case(
        "next-step-no-item-no-skill",
        lambda c: build_next_step_features(c.log, item=None, skill=None),
        ValueError,
        r"needs an item column or a skill column \(or both\); got item=None and "
        "skill=None",
    ),
    Case(
        "next-step-log-not-a-frame",
        lambda c: build_next_step_features(c.log.to_numpy()),
        TypeError,
        r"log must be a pandas DataFrame with one row per response; got ndarray",
    ),
    Case(
        "next-step-n-recent-0",
        lambda c: build_next_step_features(c.log, n_recent=0),
        ValueError,
        r"n_recent must be an int >= 1; got 0",
    ),
    Case(
        "next-step-missing-order-value",
        lambda c: build_next_step_features(
            c.log.assign(step=c.log["step"].where(c.log["step"] != 2))
        ),
        ValueError,
        r"column 'step' \(the order column\) has 5 missing value\(s\)",
    ),
    Case(
        "next-step-correct-not-binary",
        lambda c: build_next_step_features(c.log.assign(correct=2)),
        ValueError,
        r"column 'correct' must hold 0/1 \(or boolean\) correctness; found other "
        r"values such as \[2\]",
    ),
    Case(
        "next-step-empty-log",
        lambda c: build_next_step_features(c.log.iloc[:0]),
        ValueError,
        r"the log has no rows",
    ),
]

CASES = ESTIMATOR_CASES + MODALITY_DICT_CASES + LOADER_CASES


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> Context:
    return Context(tmp_path_factory.mktemp("hostile"))


def _unchanged(before: Any, after: Any) -> bool:
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(
            _unchanged(before[key], after[key]) for key in before
        )
    if isinstance(before, pd.DataFrame):
        return before.equals(after) and list(before.columns) == list(after.columns)
    return before.dtype == after.dtype and np.array_equal(before, after, equal_nan=True)


def _top_frame(excinfo) -> str:
    return str(excinfo.traceback[-1].path).replace("\\", "/")


def _raised_by_us_or_sklearn_validation(path: str) -> bool:
    return "/sklearn_dsrsd/" in path or path.endswith(
        ("sklearn/utils/_param_validation.py", "sklearn/utils/validation.py")
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case, id=case.id, marks=[pytest.mark.skip(reason=case.skip)] if case.skip else []
        )
        for case in CASES
    ],
)
def test_hostile_input_fails_early_with_a_named_error(case, ctx):
    before = copy.deepcopy(ctx.data())
    with pytest.raises(BaseException) as excinfo:
        case.call(ctx)
    assert excinfo.type is case.error, f"{excinfo.type.__name__}: {excinfo.value}"
    assert excinfo.match(case.match)
    top = _top_frame(excinfo)
    assert "/torch/" not in top and "/numpy/" not in top and "/pandas/" not in top, top
    assert _raised_by_us_or_sklearn_validation(top), top
    assert _unchanged(before, ctx.data()), "the caller's input was modified"


def test_the_table_is_large_and_covers_every_public_method():
    assert len(CASES) >= 60 and len({case.id for case in CASES}) == len(CASES)
    for name in ESTIMATORS:
        ids = [case.id for case in CASES if case.id.startswith(name + "-")]
        for method in ("fit", "predict", "modality_weights", "score"):
            assert any(f"-{method}-" in case_id for case_id in ids), (name, method)
        if ESTIMATORS[name][2] == "classification":
            assert any("-predict_proba-" in case_id for case_id in ids), name


# -- the comparison command line: one stderr line and exit status 2 ----------------------------

CLI_CASES = [
    ("unknown-dataset", ["--dataset", "nope"], r"Unknown dataset 'nope'"),
    ("unknown-oulad-day", ["--dataset", "oulad-dzz"], r"Unknown dataset 'oulad-dzz'"),
    (
        "oulad-day-past-extract",
        ["--dataset", "oulad-d300"],
        r"cutoff_day=300 would see a truncated click log.*--presentations, or --data-dir",
    ),
    (
        "missing-data-dir",
        ["--data-dir", "{tmp}/nowhere"],
        r"OULAD data folder .*nowhere/oulad does not exist",
    ),
    (
        "unknown-presentation",
        ["--presentations", "ZZZ_2099J"],
        r"Presentation ZZZ_2099J is not in the data",
    ),
    (
        "missing-view",
        ["--views", "{tmp}/nope.csv", "--target-file", "{tmp}/y.csv"],
        r"No such file or directory: '.*nope.csv'",
    ),
    (
        "missing-target-column",
        ["--views", "{tmp}/a.csv", "--target-file", "{tmp}/y.csv", "--target-column", "label"],
        r"y.csv has no column 'label'; it has \['y'\]",
    ),
    (
        "views-of-different-lengths",
        ["--views", "{tmp}/a.csv", "{tmp}/short.csv", "--target-file", "{tmp}/y.csv"],
        r"same number of samples; got 'a': 40, 'short': 30",
    ),
    (
        "unknown-model",
        ["--dataset", "synthetic-classification", "--models", "Nope"],
        r"unknown models \['Nope'\]; available: \['DSRSD'",
    ),
    (
        "class-weight-on-regression",
        ["--dataset", "synthetic-regression", "--class-weight", "balanced"],
        r"--class-weight applies to classification; synthetic-regression is regression",
    ),
    (
        "max-iter-0",
        [
            "--views",
            "{tmp}/a.csv",
            "--target-file",
            "{tmp}/y.csv",
            "--max-iter",
            "0",
            "--models",
            "DSRSD",
        ],
        r"The 'max_iter' parameter of DSRSDClassifier must be an int in the range \[1, inf\)",
    ),
    (
        "batch-size-0",
        [
            "--views",
            "{tmp}/a.csv",
            "--target-file",
            "{tmp}/y.csv",
            "--batch-size",
            "0",
            "--models",
            "EarlyFusion",
        ],
        r"The 'batch_size' parameter of EarlyFusionClassifier",
    ),
    ("missing-log", ["--log", "{tmp}/nolog.csv"], r"No such file or directory: '.*nolog.csv'"),
    (
        "log-without-order-column",
        ["--log", "{tmp}/log_nostep.csv"],
        r"missing column\(s\) 'step' \(the order column\)",
    ),
    (
        "log-unknown-student-column",
        ["--log", "{tmp}/log.csv", "--student", "who"],
        r"missing column\(s\) 'who' \(the student column\)",
    ),
    (
        "log-unknown-item-column",
        ["--log", "{tmp}/log.csv", "--item", "nope"],
        r"--item 'nope' is not a column of .*log.csv",
    ),
    (
        "log-unknown-fold-column",
        ["--log", "{tmp}/log.csv", "--fold", "nofold"],
        r"log.csv has no fold column 'nofold'",
    ),
    (
        "log-n-recent-0",
        ["--log", "{tmp}/log.csv", "--n-recent", "0"],
        r"n_recent must be an int >= 1; got 0",
    ),
]

ARGPARSE_CASES = [
    ("cv-not-an-int", ["--cv", "abc"], r"argument --cv: expected an integer, got 'abc'"),
    ("one-fold", ["--cv", "1"], r"argument --cv: must be at least 2, got 1"),
    ("unknown-task", ["--task", "bogus"], r"argument --task: invalid choice: 'bogus'"),
    ("threads-0", ["--threads", "0"], r"--threads must be at least 1; got 0"),
    ("views-without-target", ["--views", "a.csv"], r"--views needs --target-file"),
    ("unknown-option", ["--bogus"], r"unrecognized arguments: --bogus"),
    # Options the run would not read: an error, not a run that silently differs from
    # what the command line says.
    ("fold-without-log", ["--fold", "split"], r"--fold applies to --log; it would be ignored"),
    (
        "sequence-on-oulad",
        ["--dataset", "oulad", "--sequence"],
        r"--sequence applies to --log or --dataset assistments2009",
    ),
    (
        "presentations-on-synthetic",
        ["--dataset", "synthetic-regression", "--presentations", "AAA_2013J"],
        r"--presentations applies to an OULAD --dataset",
    ),
    (
        "dataset-with-log",
        ["--log", "log.csv", "--dataset", "diabetes"],
        r"--dataset and --log are two data sources; give one",
    ),
    (
        "default-dataset-given-with-views",
        ["--views", "a.csv", "--target-file", "y.csv", "--dataset", "oulad"],
        r"--dataset and --views are two data sources; give one",
    ),
    (
        "data-dir-on-synthetic",
        ["--dataset", "synthetic-classification", "--data-dir", "somewhere"],
        r"--data-dir applies to --dataset oulad\.\.\. and --dataset assistments2009",
    ),
    (
        "default-n-recent-on-oulad",
        ["--n-recent", "10"],
        r"--n-recent applies to --log or --dataset assistments2009",
    ),
    ("target-column-without-views", ["--target-column", "y"], r"--target-column applies to"),
    ("update-without-out-dir", ["--update"], r"--update applies to --out-dir"),
]


@pytest.fixture(scope="module")
def cli_files(ctx) -> Path:
    rng = np.random.RandomState(0)
    write_csv(ctx.tmp / "a.csv", pd.DataFrame(rng.normal(size=(N, 2)), columns=["u", "v"]))
    write_csv(ctx.tmp / "short.csv", pd.DataFrame(rng.normal(size=(30, 2)), columns=["w", "z"]))
    write_csv(ctx.tmp / "y.csv", pd.DataFrame({"y": ctx.y}))
    write_csv(ctx.tmp / "log.csv", ctx.log)
    write_csv(ctx.tmp / "log_nostep.csv", ctx.log.drop(columns=["step"]))
    return ctx.tmp


@pytest.mark.parametrize(
    "argv, match", [pytest.param(argv, match, id=name) for name, argv, match in CLI_CASES]
)
def test_cli_bad_input_is_one_stderr_line_and_exit_2(argv, match, cli_files, capsys):
    argv = [arg.replace("{tmp}", str(cli_files)) for arg in argv]
    assert main(["--quiet", "--threads", "1", "--max-iter", "1", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert captured.err.startswith("python -m sklearn_dsrsd: error: ")
    assert re.search(match, captured.err), captured.err


@pytest.mark.parametrize(
    "argv, match", [pytest.param(argv, match, id=name) for name, argv, match in ARGPARSE_CASES]
)
def test_cli_bad_arguments_exit_2_with_one_line(argv, match, capsys):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m sklearn_dsrsd: error: "), err
    assert re.search(match, err), err
