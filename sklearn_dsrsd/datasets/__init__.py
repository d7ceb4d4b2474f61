"""Synthetic generators, real-data loaders and task builders."""

from ._knowledge_tracing import (
    build_next_step_features,
    collapse_multiskill_duplicates,
    load_assistments2009,
)
from ._oulad import load_oulad
from ._synthetic import (
    make_knowledge_tracing_log,
    make_multimodal_classification,
    make_multimodal_regression,
)

__all__ = [
    "build_next_step_features",
    "collapse_multiskill_duplicates",
    "load_assistments2009",
    "load_oulad",
    "make_knowledge_tracing_log",
    "make_multimodal_classification",
    "make_multimodal_regression",
]
