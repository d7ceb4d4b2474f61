"""``ModalityDict``: a mapping of modality blocks that scikit-learn can index by rows."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral
from typing import Any

import numpy as np

__all__ = ["ModalityDict"]


def _n_rows(value: Any) -> int:
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if not isinstance(value, (str, bytes)):  # a string's length is not a number of rows
        try:
            return len(value)
        except TypeError:
            pass
    raise TypeError(
        "ModalityDict values must be array-likes of shape (n_samples, ...) or None; got "
        f"{type(value).__name__} {value!r:.50}."
    )


def _take_rows(value: Any, rows: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "iloc"):
        # pandas: select rows by position, never columns by label.
        return value.iloc[rows]
    if hasattr(value, "shape"):
        if isinstance(rows, slice) and (rows.step or 1) < 0 and not isinstance(value, np.ndarray):
            # torch refuses negative steps; the positions of the slice select the same rows.
            rows = np.arange(_n_rows(value))[rows].tolist()
        return value[rows]
    if isinstance(rows, slice):
        return value[rows]
    # Plain sequences (lists of rows): gather through numpy so that index arrays and
    # boolean masks behave as they do for arrays.
    return np.asarray(value)[rows]


class ModalityDict(dict):
    """A ``dict`` of modality blocks that scikit-learn can index by rows.

    Keys are modality names (``str``); values are array-likes of shape
    ``(n_samples, ...)`` -- NumPy arrays, pandas objects, torch tensors or nested
    lists -- or ``None`` for a modality that is missing for every sample. Every
    non-``None`` value must have the same number of rows.

    Indexing with a string returns that modality's block. Indexing with anything
    else selects *rows* of every block and returns a new ``ModalityDict``: an
    integer (kept as a one-row block), a slice, a boolean mask or an array of
    indices. pandas values are selected with ``.iloc``. ``len()`` and ``shape``
    report the number of samples, which is what lets ``train_test_split``,
    ``cross_val_score`` and ``GridSearchCV`` split it like an array; iterating
    still yields modality names.

    Parameters
    ----------
    *args, **kwargs
        Anything ``dict`` accepts.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dsrsd import ModalityDict
    >>> X = ModalityDict(a=np.zeros((4, 2)), b=np.ones((4, 3)))
    >>> len(X), X.shape
    (4, (4,))
    >>> X[[0, 2]]["b"].shape
    (2, 3)
    >>> sorted(X)
    ['a', 'b']
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in dict.keys(self):
            if not isinstance(key, str):
                raise TypeError(
                    f"ModalityDict keys must be modality names of type str; got key {key!r} "
                    f"of type {type(key).__name__}."
                )
        self._check_lengths()

    def _check_lengths(self) -> None:
        lengths = {name: _n_rows(value) for name, value in dict.items(self) if value is not None}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{name!r}: {n}" for name, n in lengths.items())
            raise ValueError(f"All modalities must have the same number of samples; got {detail}.")

    @property
    def n_samples(self) -> int:
        """Number of samples (rows) shared by every block; 0 when no block is set."""
        for value in dict.values(self):
            if value is not None:
                return _n_rows(value)
        return 0

    @property
    def shape(self) -> tuple[int]:
        """``(n_samples,)``, so that scikit-learn counts samples, not modalities."""
        return (self.n_samples,)

    def __len__(self) -> int:
        return self.n_samples

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(key)
        if isinstance(key, tuple) and len(key) == 2 and key[1] is Ellipsis:
            # scikit-learn's _safe_indexing asks for ``X[rows, ...]``.
            key = key[0]
        key = self._rows(key)
        return type(self)({name: _take_rows(value, key) for name, value in dict.items(self)})

    def _rows(self, key: Any) -> slice | np.ndarray:
        """A row selector checked against the number of samples; errors name the key."""
        n = self.n_samples
        if isinstance(key, slice):
            return key
        if isinstance(key, Integral) and not isinstance(key, bool):
            if not -n <= key < n:
                raise IndexError(f"Row {key} is out of range for {n} samples.")
            return slice(key % n, key % n + 1)
        rows = None if isinstance(key, (tuple, bool, float)) or key is None else np.asarray(key)
        if rows is not None and rows.ndim == 1 and rows.dtype == bool:
            if rows.shape[0] != n:
                raise IndexError(
                    f"The boolean row mask has length {rows.shape[0]}, but the ModalityDict "
                    f"has {n} samples."
                )
            return rows
        if rows is not None and rows.ndim == 1 and (rows.dtype.kind in "iu" or rows.size == 0):
            rows = rows.astype(np.intp)
            bad = rows[(rows < -n) | (rows >= n)]
            if bad.size:
                raise IndexError(
                    f"Row indices {bad[:10].tolist()} are out of range for {n} samples."
                )
            return rows
        shown = (
            f"{type(key).__name__} of shape {key.shape} and dtype {key.dtype}"
            if hasattr(key, "shape") and hasattr(key, "dtype")
            else f"{key!r:.80} of type {type(key).__name__}"
        )
        raise TypeError(
            "A ModalityDict is indexed with a modality name (str), or by rows with an int, a "
            f"slice, a boolean mask or a 1-D array of int indices; got {shown}."
        )

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(
                f"ModalityDict keys must be modality names of type str; got {type(key).__name__}."
            )
        if value is not None:
            others = [_n_rows(v) for k, v in dict.items(self) if k != key and v is not None]
            if others and _n_rows(value) != others[0]:
                raise ValueError(
                    f"Modality {key!r} has {_n_rows(value)} samples; the other modalities "
                    f"have {others[0]}."
                )
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        new = dict(*args, **kwargs)
        # Checked as a whole (keys and lengths) before anything changes, as __init__ does.
        type(self)({**dict(dict.items(self)), **new})
        dict.update(self, new)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def __ior__(self, other: Any) -> ModalityDict:
        self.update(other)
        return self

    def __or__(self, other: Any) -> ModalityDict:
        if not isinstance(other, Mapping):
            return NotImplemented
        return type(self)({**dict(dict.items(self)), **other})

    def __ror__(self, other: Any) -> ModalityDict:
        if not isinstance(other, Mapping):
            return NotImplemented
        return type(self)({**other, **dict(dict.items(self))})

    def copy(self) -> ModalityDict:
        return type(self)(dict.items(self))

    def __repr__(self) -> str:
        blocks = ", ".join(
            f"{name!r}: {'None' if value is None else type(value).__name__}"
            f"{'' if value is None else tuple(getattr(value, 'shape', (_n_rows(value),)))}"
            for name, value in dict.items(self)
        )
        return f"ModalityDict({{{blocks}}})"

    def __reduce__(self):
        return (type(self), (dict(dict.items(self)),))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ModalityDict:
        """Wrap any mapping of modality blocks (``dict``, skorch ``SliceDict``)."""
        return cls(dict(mapping.items()))
