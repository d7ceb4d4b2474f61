"""Every accepted input form, turned into one internal representation.

Every estimator of the package, DSRSD and the baselines alike, accepts:

1. a mapping ``{modality_name: array-like (n_samples, ...)}`` -- ``dict``,
   :class:`~sklearn_dsrsd.ModalityDict` or skorch's ``SliceDict``;
2. a 2-D array or DataFrame plus the ``modalities`` hyperparameter, a mapping
   from modality name to a column selector;
3. with ``modalities=None``, a DataFrame whose columns all look like
   ``name__feature`` (what ``ColumnTransformer`` emits) is split by prefix; any
   other 2-D input is one modality called ``"X"``.

All of them end up as :class:`ModalityBatch`: one float32 block per modality,
standardised with statistics fitted on the training data, isolated NaNs imputed
with the training mean (0 after standardisation), and a boolean
``modality_mask`` of shape ``(n_samples, n_modalities)`` that is False where a
sample lacks a modality (every value NaN, key absent or value ``None``).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from scipy.sparse import issparse
from sklearn.utils import check_array
from sklearn.utils.validation import _check_sample_weight, validate_data

__all__ = [
    "ModalityBatch",
    "ModalitySchema",
    "check_sample_weight",
    "fit_schema",
    "overflow_safe_mean_std",
    "scale_or_one",
]

SINGLE_MODALITY_NAME = "X"
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Rows per chunk when standardising: bounds the float64 temporaries whatever n_samples is.
_CHUNK_ROWS = 65536
# Key of an unsplit 2-D array among raw blocks (ModalitySchema.raw_blocks).
_ALL_COLUMNS = "\x00all columns"


@dataclass
class ModalityBatch:
    """Standardised float32 blocks in schema order plus the presence mask.

    ``precision`` is the caller's: float32 when every block given was float32, float64
    otherwise. Prediction computes in it, as scikit-learn's MLP keeps float32 input float32.
    """

    blocks: list[np.ndarray]
    modality_mask: np.ndarray
    precision: type = np.float64

    @property
    def n_samples(self) -> int:
        return self.modality_mask.shape[0]


_ACCEPTED_FORMS = (
    "a mapping {modality_name: array-like of shape (n_samples, n_features)} such as a dict or "
    "ModalityDict, or a 2-D array-like or DataFrame (split into modalities by the modalities "
    "parameter)"
)


def _check_array_form(X: Any) -> Any:
    """Refuse, before any conversion, an ``X`` that is neither a mapping nor 2-D data.

    Returns ``X``, with a DataFrame's missing values as :func:`_check_frame` returns them.
    """
    if X is None or isinstance(X, (str, bytes, set, frozenset)):
        raise TypeError(f"X must be {_ACCEPTED_FORMS}; got {type(X).__name__}.")
    if isinstance(X, (list, tuple)) and any(getattr(item, "ndim", 0) >= 2 for item in X):
        raise TypeError(
            f"X is a {type(X).__name__} of 2-D arrays; pass the modalities as a mapping "
            "from modality name to block, e.g. {'m0': X[0], 'm1': X[1]} (a dict or "
            f"ModalityDict). X must be {_ACCEPTED_FORMS}."
        )
    return _check_frame(X, "X")


def _check_frame(value: Any, where: str) -> Any:
    """A pandas DataFrame must have unique, numeric columns; errors name ``where`` and them.

    Returns ``value``, or a copy whose object columns hold NaN where they held ``pd.NA``
    (which NumPy cannot convert to float, while ``None`` converts to NaN).
    """
    if not (hasattr(value, "columns") and hasattr(value, "iloc")):
        return value
    if len(value.columns) == 0:
        raise ValueError(f"{where}: the DataFrame has no columns; at least one is required.")
    duplicated = value.columns[value.columns.duplicated()].unique()
    if len(duplicated):
        raise ValueError(
            f"{where}: the DataFrame has duplicate column names {[str(c) for c in duplicated]}; "
            "each column must have a distinct name."
        )
    # Object and pandas string columns: their missing values (None, pd.NA) become NaN, which
    # check_array reads; pd.NA left in a "string" column makes float() fail.
    objects = [
        j
        for j, dtype in enumerate(value.dtypes)
        if getattr(dtype, "kind", "") == "O" or type(dtype).__name__ == "StringDtype"
    ]
    given_dtypes = value.dtypes
    if objects and value.iloc[:, objects].isna().to_numpy().any():
        value = value.copy()
        for j in objects:
            column = value.iloc[:, j]
            value.isetitem(j, column.astype(object).where(column.notna(), np.nan))
    non_numeric = []
    for j, (column, dtype) in enumerate(zip(value.columns, given_dtypes, strict=True)):
        if getattr(dtype, "kind", "O") in "biufc":
            continue
        series = value.iloc[:, j]
        try:
            series.astype(np.float64)
        except (TypeError, ValueError):
            non_numeric.append((column, dtype, series))
    if non_numeric:
        column, dtype, series = non_numeric[0]
        raise ValueError(
            f"{where}: the DataFrame has non-numeric column(s) "
            f"{[str(c) for c, _, _ in non_numeric][:10]}; column {str(column)!r} has dtype "
            f"{dtype} and values such as {_first_non_numeric(series)!r}. Every feature "
            "must be numeric: encode such columns first (e.g. OneHotEncoder or OrdinalEncoder "
            "in a ColumnTransformer)."
        )
    return value


def _first_non_numeric(series: Any) -> Any:
    for value in series:
        try:
            float(value)
        except (TypeError, ValueError):
            return value
    return series.iloc[0]


def _validate_block(name: str, value: Any) -> np.ndarray:
    """One modality's block as a float ndarray of ndim 2 or 3; errors name the modality.

    float32 blocks stay float32 (no copy); any other numeric type becomes float64.
    """
    if hasattr(value, "detach"):  # torch tensor
        tensor = value.detach().cpu()
        try:
            value = tensor.numpy()
        except TypeError:  # a dtype NumPy lacks, such as bfloat16, whose values fit float32
            value = tensor.float().numpy()
    if _is_plain_finite_float_array(value):
        # What check_array would return, without its per-call overhead (a third of a one-row
        # predict); anything else, NaN included, takes check_array and its error messages.
        block = value
    else:
        block = _checked_array(name, value)
    if block.ndim == 1:
        block = block.reshape(-1, 1)
    if block.ndim not in (2, 3):
        raise ValueError(
            f"Modality {name!r}: expected a 2-D block (n_samples, n_features) or a 3-D "
            f"sequence block (n_samples, n_steps, n_features); got shape {block.shape}."
        )
    if block.shape[-1] == 0 or (block.ndim == 3 and block.shape[1] == 0):
        raise ValueError(
            f"Modality {name!r}: found a block with shape {block.shape}; at least one "
            "feature (and one step for a sequence block) is required."
        )
    return block


def _is_plain_finite_float_array(value: Any) -> bool:
    """A float32/float64 ndarray with samples and only finite values (its sum is finite).

    A sum that overflows, or any NaN, sends the block to ``check_array``, which tells
    NaN (allowed: a missing modality) from infinity (an error).
    """
    if not (
        type(value) is np.ndarray
        and value.dtype in (np.float32, np.float64)
        and value.ndim >= 1
        and value.shape[0] >= 1
    ):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(value.sum()))


def _checked_array(name: str, value: Any) -> np.ndarray:
    value = _check_frame(value, f"Modality {name!r}")
    try:
        return check_array(
            value,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            ensure_2d=False,
            allow_nd=True,
            ensure_min_samples=1,
            ensure_min_features=0,
            input_name=f"modality {name!r}",
        )
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"Modality {name!r}: {exc}") from exc


def _rows_present(block: np.ndarray) -> np.ndarray:
    """A sample is present in a modality unless every one of its values is NaN."""
    return ~np.isnan(block.reshape(block.shape[0], -1)).all(axis=1)


def _is_mapping(X: Any) -> bool:
    """Whether ``X`` is the mapping form; sparse input is refused here, once for all forms."""
    if issparse(X):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required; sparse input is not "
            "supported. Use X.toarray() to convert it to a dense array."
        )
    return isinstance(X, Mapping)


def _estimator_name(estimator: Any) -> str:
    return type(estimator).__name__


def _resolve_selector(name: str, selector: Any, feature_names: np.ndarray | None, n_columns: int):
    """Column selector of one modality -> integer column indices."""
    if isinstance(selector, slice):
        columns = np.arange(n_columns)[selector]
        if columns.size == 0:
            raise ValueError(
                f"modalities[{name!r}] selects no columns: the slice {selector!r} is empty "
                f"for X with {n_columns} columns."
            )
        return columns
    if isinstance(selector, (str, Integral)):
        selector = [selector]
    selector = np.asarray(selector)
    if selector.ndim != 1 or selector.size == 0:
        raise ValueError(
            f"modalities[{name!r}] must select at least one column with a non-empty list of "
            f"names or indices, a boolean mask or a slice; got {selector!r}."
        )
    if selector.dtype == bool:
        if selector.shape[0] != n_columns:
            raise ValueError(
                f"modalities[{name!r}] is a boolean mask of length {selector.shape[0]}, but X "
                f"has {n_columns} columns."
            )
        if not selector.any():
            raise ValueError(f"modalities[{name!r}] is a boolean mask that selects no columns.")
        return np.flatnonzero(selector)
    if selector.dtype.kind in "iu":
        bad = selector[(selector < -n_columns) | (selector >= n_columns)]
        if bad.size:
            raise ValueError(
                f"modalities[{name!r}] selects column indices {bad.tolist()}, but X has "
                f"{n_columns} columns."
            )
        return selector % n_columns
    if selector.dtype.kind in "USO":
        if feature_names is None:
            raise ValueError(
                f"modalities[{name!r}] selects columns by name ({selector.tolist()[:5]}), "
                "but X has no column names; pass a DataFrame or select by index."
            )
        position = {column: i for i, column in enumerate(feature_names)}
        unknown = [str(column) for column in selector if column not in position]
        if unknown:
            raise ValueError(
                f"modalities[{name!r}] names columns {unknown} that are not in X; X has "
                f"columns {list(feature_names)[:20]}."
            )
        return np.array([position[column] for column in selector])
    raise TypeError(
        f"modalities[{name!r}] must be a list of column names or indices, a boolean mask or "
        f"a slice; got {type(selector).__name__} of dtype {selector.dtype}."
    )


def _split_by_prefix(feature_names: np.ndarray | None, n_columns: int) -> dict[str, np.ndarray]:
    """The ``name__feature`` rule for ``ColumnTransformer`` output; else one modality."""
    if feature_names is not None and all("__" in str(c) for c in feature_names):
        groups: dict[str, list[int]] = {}
        for i, column in enumerate(feature_names):
            groups.setdefault(str(column).split("__", 1)[0], []).append(i)
        return {name: np.array(index) for name, index in groups.items()}
    return {SINGLE_MODALITY_NAME: np.arange(n_columns)}


class ModalitySchema:
    """What ``fit`` learned about the input: its form, modalities and scaling.

    Built by :func:`fit_schema`; :meth:`transform` maps any later input of the
    same form to a :class:`ModalityBatch`.
    """

    def __init__(
        self,
        form: str,
        names: list[str],
        shapes: dict[str, tuple[int, ...]],
        columns: dict[str, np.ndarray] | None,
    ):
        self.form = form
        self.names = names
        self.shapes = shapes
        self.columns = columns
        self.means: dict[str, np.ndarray] = {}
        self.scales: dict[str, np.ndarray] = {}
        # Column names of the modalities given as DataFrames in fit (mapping form), checked
        # at prediction as scikit-learn checks ``feature_names_in_``.
        self.column_names: dict[str, list[str]] = {}
        # The ``modalities`` parameter of the fit, which continued training must keep.
        self.selectors: Mapping | None = None

    def check_same_selectors(self, modalities: Mapping | None, estimator: Any) -> None:
        """Raise if ``modalities`` splits the input otherwise than at fit.

        A warm start or ``partial_fit`` reads its data through this schema: a changed
        split would be ignored, or would feed other columns to the same weights.
        """
        if "selectors" not in vars(self):
            return  # pickled before schemas kept it
        if _same_selectors(self.selectors, modalities):
            return
        raise ValueError(
            f"{_estimator_name(estimator)} was fitted with modalities={self.selectors!r}, "
            f"but modalities is now {modalities!r}; continued training (warm_start=True "
            "or partial_fit) keeps the modalities of the fit. Set modalities back, or fit "
            "a new model with warm_start=False."
        )

    @property
    def n_features(self) -> int:
        return int(sum(np.prod(shape) for shape in self.shapes.values()))

    def raw_blocks(
        self, X: Any, estimator: Any, *, reset: bool = False, select_columns: bool = True
    ) -> dict[str, Any]:
        """Validated float blocks by modality name (``None`` for an absent modality).

        With ``select_columns=False``, a 2-D array input comes back whole, under the key
        ``_ALL_COLUMNS``, for :meth:`_select_columns` to split later.
        """
        if _is_mapping(X):
            if self.form != "mapping":
                raise TypeError(
                    f"{_estimator_name(estimator)} was fitted on a 2-D array or DataFrame; got "
                    f"a mapping of modalities ({list(X)}). Pass the same form as in fit."
                )
            blocks = _mapping_blocks(X)
            self._check_column_names(X)
            unknown = [name for name in blocks if name not in self.shapes]
            if unknown:
                raise ValueError(
                    f"Unknown modalities {unknown}: {_estimator_name(estimator)} was fitted "
                    f"with modalities {self.names}."
                )
            try:
                n_samples = _common_length(blocks)
            except ValueError as exc:
                raise ValueError(f"{exc}{self._one_sample_hint(X)}") from None
            out = {}
            for name in self.names:
                block = blocks.get(name)
                if block is not None and block.shape[1:] != self.shapes[name]:
                    expected = _describe_shape(self.shapes[name])
                    raise ValueError(
                        f"Modality {name!r} has {_describe_shape(block.shape[1:])}, but "
                        f"{_estimator_name(estimator)} was fitted with {expected} for it."
                        f"{self._one_sample_hint(X)}"
                    )
                out[name] = block
            if n_samples is None:
                raise ValueError("Every modality is None; at least one modality must hold data.")
            return out
        if self.form != "array":
            raise TypeError(
                f"{_estimator_name(estimator)} was fitted on a mapping of modalities "
                f"{self.names}; got {type(X).__name__}. Pass a dict or ModalityDict."
            )
        X = _check_array_form(X)
        array = validate_data(
            estimator,
            X,
            reset=reset,
            ensure_all_finite="allow-nan",
            dtype=[np.float64, np.float32],
        )
        if not select_columns:
            return {_ALL_COLUMNS: array}
        return self._select_columns(array)

    def _one_sample_hint(self, X: Mapping) -> str:
        """Why one sample given as 1-D vectors fails: a 1-D block is a column of samples."""
        vectors = [
            name
            for name, value in X.items()
            if name in self.shapes
            and value is not None
            and len(self.shapes[name]) == 1
            and self.shapes[name][0] > 1
            and np.ndim(value) == 1
            and len(value) == self.shapes[name][0]
        ]
        if not vectors:
            return ""
        return (
            f" A 1-D block is read as one feature of n_samples values; if {vectors} hold "
            "one sample's features, pass each as a row, e.g. np.reshape(block, (1, -1))."
        )

    def _select_columns(self, array: np.ndarray) -> dict[str, np.ndarray]:
        """The modality blocks of a validated 2-D array (copies of their columns)."""
        return {name: array[:, self.columns[name]] for name in self.names}

    def _check_column_names(self, X: Mapping) -> None:
        for name, expected in self.column_names.items():
            columns = _frame_columns(X.get(name))
            if columns is not None and columns != expected:
                raise ValueError(
                    f"Modality {name!r}: the DataFrame's columns differ from those seen in "
                    f"fit; expected {expected[:20]}, got {columns[:20]}. Pass the columns in "
                    "the order and with the names used in fit."
                )

    def fit_scaling(
        self, blocks: dict[str, np.ndarray], sample_weight: np.ndarray | None = None
    ) -> None:
        """Per-feature mean and scale over the samples where each modality is present.

        Weighted by ``sample_weight`` when given, so that a sample of weight 2 counts
        as the sample repeated.
        """
        for name in self.names:
            block = blocks[name]
            axes = tuple(range(block.ndim - 1))
            mean, scale = overflow_safe_mean_std(
                block, axes, rows=_rows_present(block), sample_weight=sample_weight
            )
            mean = np.where(np.isfinite(mean), mean, 0.0)
            scale = scale_or_one(mean, scale, block.size // block.shape[-1])
            self.means[name] = mean
            self.scales[name] = scale

    def transform(self, blocks: dict[str, Any], n_samples: int) -> ModalityBatch:
        standardised, presence = [], []
        given = [block for block in blocks.values() if block is not None]
        precision = (
            np.float32 if given and all(b.dtype == np.float32 for b in given) else np.float64
        )
        for name in self.names:
            block = blocks.get(name)
            if block is None:
                standardised.append(np.zeros((n_samples, *self.shapes[name]), np.float32))
                presence.append(np.zeros(n_samples, dtype=bool))
                continue
            present = _rows_present(block)
            standardised_block = np.empty(block.shape, dtype=np.float32)
            # Chunks of rows: the float64 temporaries stay bounded whatever n_samples is.
            for start in range(0, block.shape[0], _CHUNK_ROWS):
                rows = slice(start, start + _CHUNK_ROWS)
                chunk = np.subtract(block[rows], self.means[name])
                chunk /= self.scales[name]
                scaled = standardised_block[rows]
                # Validation refused infinities: an infinity here is a float32 overflow.
                with np.errstate(over="ignore"):
                    scaled[...] = chunk
                if np.isinf(scaled).any():
                    largest = np.nanmax(np.abs(chunk))
                    raise ValueError(
                        f"Modality {name!r} holds values {largest:.3g} training standard "
                        "deviations from the training mean, beyond the float32 range "
                        f"({_FLOAT32_MAX:.3g}) the network computes in; check the units of "
                        "this modality or rescale it."
                    )
                np.copyto(scaled, 0.0, where=np.isnan(scaled))
            block = standardised_block
            standardised.append(block)
            presence.append(present)
        return ModalityBatch(standardised, np.stack(presence, axis=1), precision)

    def batch(self, X: Any, estimator: Any) -> ModalityBatch:
        """Validate a later input against the schema and standardise it."""
        blocks = self.raw_blocks(X, estimator)
        batch = self.transform(blocks, _common_length(blocks))
        check_some_modality_present(batch)
        return batch

    def batches(
        self, X: Any, estimator: Any, rows_per_batch: int
    ) -> Iterator[tuple[slice, int, ModalityBatch]]:
        """Validate a later input once, then standardise it ``rows_per_batch`` rows at a time.

        Yields ``(rows, n_samples, batch)``: the rows of the input the batch holds and
        the input's total number of rows. For prediction: beyond the caller's data (used
        as is when it is float32 or float64), memory holds one standardised chunk at a
        time, whatever the number of rows.
        """
        # A 2-D array is split into modalities chunk by chunk: splitting it whole would copy
        # every column at once.
        blocks = self.raw_blocks(X, estimator, select_columns=False)
        n_samples = _common_length(blocks)
        for start in range(0, n_samples, rows_per_batch):
            rows = slice(start, start + rows_per_batch)
            chunk = {
                name: None if block is None else block[rows] for name, block in blocks.items()
            }
            if self.form == "array":
                chunk = self._select_columns(chunk[_ALL_COLUMNS])
            batch = self.transform(chunk, min(rows_per_batch, n_samples - start))
            check_some_modality_present(batch, first_row=start)
            yield rows, n_samples, batch


def overflow_safe_mean_std(
    values: np.ndarray,
    axes: tuple[int, ...],
    rows: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """NaN-ignoring mean and standard deviation over ``axes`` that cannot overflow.

    ``axes`` must include the sample axis 0; ``rows`` (boolean, one per sample) restricts
    the statistics to some samples and ``sample_weight`` (non-negative, one per sample)
    weights them as repetitions would. The statistics are those of ``values`` divided by
    its largest magnitude, scaled back: squaring finite values near the float64 limit
    would overflow. They are accumulated in float64 over chunks of ``_CHUNK_ROWS``
    samples, so the temporaries stay bounded whatever the number of samples and a
    float32 input is never copied whole. All-NaN columns give NaN (the caller replaces
    them).
    """
    reduced_shape = tuple(size for axis, size in enumerate(values.shape) if axis not in axes)
    if sample_weight is not None:
        # Weights of 1e306 would overflow their sum; only their ratios matter.
        largest = np.max(sample_weight, initial=0.0)
        sample_weight = sample_weight / largest if largest > 0 else sample_weight
    # Weights broadcast over every axis after the sample axis.
    weight_shape = (-1,) + (1,) * (values.ndim - 1)

    def chunks():
        """(float64 chunk of the kept samples, their weights or None when unweighted)."""
        for start in range(0, values.shape[0], _CHUNK_ROWS):
            chunk = values[start : start + _CHUNK_ROWS].astype(np.float64, copy=False)
            kept = None if rows is None else rows[start : start + _CHUNK_ROWS]
            if sample_weight is None:
                yield (chunk if kept is None else chunk[kept]), None
                continue
            weights = sample_weight[start : start + _CHUNK_ROWS]
            kept = weights > 0 if kept is None else kept & (weights > 0)
            yield chunk[kept], weights[kept].reshape(weight_shape)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        magnitude = np.full(reduced_shape, np.nan)
        count = np.zeros(reduced_shape)
        total = np.zeros(reduced_shape)
        for chunk, _ in chunks():
            magnitude = np.fmax(magnitude, np.nanmax(np.abs(chunk), axis=axes, initial=-np.inf))
        magnitude = np.where(np.isfinite(magnitude) & (magnitude > 0), magnitude, 1.0)
        for chunk, weights in chunks():
            scaled, present = chunk / magnitude, ~np.isnan(chunk)
            if weights is not None:
                scaled *= weights
                present = present * weights
            count += np.sum(present, axis=axes)
            total += np.nansum(scaled, axis=axes)
        mean = total / count
        squares = np.zeros(reduced_shape)
        for chunk, weights in chunks():
            deviations = chunk / magnitude - mean
            deviations **= 2
            if weights is not None:
                deviations *= weights
            squares += np.nansum(deviations, axis=axes)
        std = np.sqrt(squares / count)
    return mean * magnitude, std * magnitude


def scale_or_one(mean: np.ndarray, std: np.ndarray, n_values: int) -> np.ndarray:
    """The scale to divide by: ``std`` where the values vary, 1 where they are constant.

    Constant means a standard deviation that is zero, not finite, or within the rounding
    error of ``n_values`` values of magnitude ``|mean|``: scikit-learn's test for a constant
    feature in ``StandardScaler``. The bound is relative to the values' magnitude: an
    absolute one would take a spread of 1e-13 (data in small units) for a constant and keep
    the rounding noise of a large constant as a spread.
    """
    rounding = n_values * np.finfo(np.float64).eps * np.abs(mean)
    return np.where(np.isfinite(std) & (std > 0) & (std > rounding), std, 1.0)


def _describe_shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"{shape[0]} feature" + ("" if shape[0] == 1 else "s")
    return f"shape (n_steps, n_features) = {tuple(shape)}"


def _mapping_blocks(X: Mapping) -> dict[str, np.ndarray | None]:
    if len(dict(X.items())) == 0:
        raise ValueError(
            "X is an empty mapping; expected at least one modality name mapped to an "
            "array-like of shape (n_samples, n_features)."
        )
    blocks = {}
    for name, value in X.items():
        if not isinstance(name, str):
            raise TypeError(
                f"Modality names must be str; got {name!r} of type {type(name).__name__}."
            )
        blocks[name] = None if value is None else _validate_block(name, value)
    return blocks


def _frame_columns(value: Any) -> list[str] | None:
    """Column names of a DataFrame block, as strings; None for any other block."""
    columns = getattr(value, "columns", None)
    return None if columns is None else [str(column) for column in columns]


def _common_length(blocks: dict[str, np.ndarray | None]) -> int | None:
    lengths = {name: block.shape[0] for name, block in blocks.items() if block is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name!r} has {n}" for name, n in lengths.items())
        raise ValueError(f"All modalities must have the same number of samples; {detail}.")
    return next(iter(lengths.values()), None)


def check_some_modality_present(batch: ModalityBatch, first_row: int = 0) -> None:
    """Every sample needs a present modality; ``first_row`` numbers the batch's rows."""
    empty = first_row + np.flatnonzero(~batch.modality_mask.any(axis=1))
    if empty.size:
        raise ValueError(
            f"{empty.size} sample(s) have every modality missing (all values NaN or the "
            f"modality absent), e.g. rows {empty[:10].tolist()}; each sample needs at least "
            "one present modality."
        )


def _same_selectors(fitted: Mapping | None, given: Mapping | None) -> bool:
    """Whether two ``modalities`` parameters are the same mapping of names to selectors."""
    if fitted is None or given is None:
        return fitted is given
    if [str(name) for name in fitted] != [str(name) for name in given]:
        return False
    for before, now in zip(fitted.values(), given.values(), strict=True):
        if isinstance(before, slice) or isinstance(now, slice):
            if before != now:
                return False
            continue
        before, now = np.asarray(before), np.asarray(now)
        if before.shape != now.shape or before.dtype.kind != now.dtype.kind:
            return False
        if not np.array_equal(before, now):
            return False
    return True


def fit_schema(
    X: Any, modalities: Mapping | None, estimator: Any, sample_weight: Any = None
) -> tuple[ModalitySchema, dict[str, Any], np.ndarray | None]:
    """Learn the input form and modalities from training data.

    Returns the schema (with scaling fitted, weighted by ``sample_weight``), the
    validated raw blocks and the validated sample weights (float64, or None).
    """
    if _is_mapping(X):
        if modalities is not None:
            raise ValueError(
                "The modalities parameter selects columns of a 2-D array or DataFrame; X is "
                f"already a mapping of modalities ({list(X)}). Set modalities=None."
            )
        blocks = _mapping_blocks(X)
        for name, block in blocks.items():
            if block is None:
                raise ValueError(
                    f"Modality {name!r} is None in the training data; a modality must be "
                    "observed for some training samples to be learned."
                )
        _common_length(blocks)
        schema = ModalitySchema(
            "mapping", list(blocks), {n: b.shape[1:] for n, b in blocks.items()}, None
        )
        schema.column_names = {
            name: columns
            for name, value in X.items()
            if (columns := _frame_columns(value)) is not None
        }
        _set_n_features(estimator, schema)
    else:
        if modalities is not None and not isinstance(modalities, Mapping):
            raise TypeError(
                "modalities must be None or a mapping from modality name to a column "
                f"selector; got {type(modalities).__name__}."
            )
        if modalities is not None and len(modalities) == 0:
            raise ValueError("modalities is an empty mapping; name at least one modality.")
        if modalities is not None and len({str(name) for name in modalities}) < len(modalities):
            raise ValueError(
                "modalities has names that collide once converted to str (modality names are "
                f"strings): {list(modalities)}. Give each modality a distinct name."
            )
        X = _check_array_form(X)
        array = validate_data(
            estimator, X, reset=True, ensure_all_finite="allow-nan", dtype=np.float64
        )
        feature_names = getattr(estimator, "feature_names_in_", None)
        n_columns = array.shape[1]
        if modalities is None:
            columns = _split_by_prefix(feature_names, n_columns)
        else:
            columns = {
                str(name): _resolve_selector(str(name), selector, feature_names, n_columns)
                for name, selector in modalities.items()
            }
        schema = ModalitySchema(
            "array", list(columns), {n: (len(c),) for n, c in columns.items()}, columns
        )
        blocks = {name: array[:, index] for name, index in columns.items()}
    for name, block in blocks.items():
        if not _rows_present(block).any():
            raise ValueError(
                f"Modality {name!r} is missing (all NaN) for every training sample; it "
                "cannot be learned."
            )
    sample_weight = check_sample_weight(sample_weight, next(iter(blocks.values())).shape[0])
    schema.fit_scaling(blocks, sample_weight)
    # A copy: the caller may change the mapping it passed after fit.
    schema.selectors = None if modalities is None else copy.deepcopy(dict(modalities))
    return schema, blocks, sample_weight


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """Non-negative float64 weights, one per sample, not all 0; None stays None."""
    if sample_weight is None:
        return None
    return _check_sample_weight(
        sample_weight, np.empty((n_samples, 0)), dtype=np.float64, ensure_non_negative=True
    )


def _set_n_features(estimator: Any, schema: ModalitySchema) -> None:
    estimator.n_features_in_ = schema.n_features
    if hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
