"""Safe persistence: estimators saved as JSON plus tensors, loaded without unpickling code.

Placeholder: the implementation is being written (issue 10).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["load", "load_estimator", "save_estimator"]


def save_estimator(estimator: Any, path: str | os.PathLike) -> None:
    raise NotImplementedError


def load_estimator(path: str | os.PathLike, *, device: str | None = None) -> Any:
    raise NotImplementedError


def load(path: str | os.PathLike, *, device: str | None = None) -> Any:
    """Load any estimator of the package written by its ``save`` method."""
    return load_estimator(path, device=device)
