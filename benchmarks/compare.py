"""Comparison benchmark: DSRSD against every baseline and two non-neural references.

A thin wrapper around the package's harness (``python -m sklearn_dsrsd``) that defaults to
the shared data folder and writes ``NAME.md``, ``NAME.json`` and ``NAME.png`` under
``benchmarks/results/``. Every option of ``python -m sklearn_dsrsd --help`` applies, e.g.::

    python benchmarks/compare.py --dataset oulad --data-dir ../shared/data --cv 5
    python benchmarks/compare.py --dataset assistments2009
    python benchmarks/compare.py --views a.csv b.csv --target-file y.csv --json
"""

import sys
from pathlib import Path

from sklearn_dsrsd._comparison import main

ROOT = Path(__file__).resolve().parents[1]


def _given(argv: list[str], option: str) -> bool:
    """Whether ``option`` is on the command line, as ``--option value`` or ``--option=value``."""
    return any(arg == option or arg.startswith(option + "=") for arg in argv)


def _with_defaults(argv: list[str]) -> list[str]:
    if not _given(argv, "--out-dir"):
        argv = [*argv, "--out-dir", str(ROOT / "benchmarks" / "results")]
    # OULAD defaults to the extract shipped with the package (the presentations whose click
    # log is complete); the knowledge-tracing file only exists in the shared data folder.
    kt = "assistments2009" in argv or "--dataset=assistments2009" in argv
    if kt and not _given(argv, "--data-dir"):
        argv = [*argv, "--data-dir", str(ROOT.parent / "shared" / "data")]
    return argv


if __name__ == "__main__":
    raise SystemExit(main(_with_defaults(sys.argv[1:])))
