"""Synthetic generators, real-data loaders and task builders."""

__all__: list[str] = []
