"""Where early stopping starts to pay: DSRSD with and without it on small training sets.

``early_stopping="auto"`` turns early stopping on from a number of training samples. This
script measures the estimators with their defaults otherwise, ``early_stopping=False``
against ``True``, on random subsets of data no benchmark evaluates on: the OULAD tuning
presentations of ``tune_defaults.py`` (pass/fail at day 60 and the later assessment score,
without clicks; two subsets per size, 5-fold CV each) and the synthetic-ablation and
synthetic-regression designs drawn with ``random_state=1`` at that size (5-fold CV). The
fits of a size train on four fifths of it.

    python benchmarks/tune_early_stopping.py --data-dir ../shared/data --sizes 200 250 400
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tune_defaults import (
    _commit,
    _oulad_later_score_data,
    _oulad_tuning_data,
    report_progress,
    write_results,
)

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor, ModalityDict
from sklearn_dsrsd._comparison import (
    SYNTHETIC_ABLATION_DESIGN,
    SYNTHETIC_DESIGN,
    _score,
    machine_description,
    make_splits,
)
from sklearn_dsrsd.datasets import make_multimodal_classification, make_multimodal_regression

ROOT = Path(__file__).resolve().parents[1]


def _subsets(oulad: dict, size: int) -> dict:
    """Task name -> (kind, [(X, y), ...]) at ``size`` samples; ``oulad`` maps the two OULAD
    tasks to their (kind, X, y)."""
    rng = np.random.RandomState(0)
    tasks = {}
    for name, (kind, X, y) in oulad.items():
        draws = [rng.choice(len(y), size, replace=False) for _ in range(2)]
        tasks[name] = (kind, [(X[rows], y[rows]) for rows in draws])
    for name, kind, maker, design in (
        ("synthetic", "classification", make_multimodal_classification, SYNTHETIC_ABLATION_DESIGN),
        ("synthetic-regression", "regression", make_multimodal_regression, SYNTHETIC_DESIGN),
    ):
        X, y = maker(**{**design, "n_samples": size}, random_state=1)
        tasks[name] = (kind, [(ModalityDict(X), y)])
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--sizes", nargs="+", type=int, default=[200, 250, 400])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    data_dir = Path(args.data_dir)
    oulad = {
        name: (kind, *loaded[:2])
        for name, kind, loaded in (
            ("oulad", "classification", _oulad_tuning_data(data_dir, 60, "pass")),
            ("oulad-score", "regression", _oulad_later_score_data(data_dir, 60)),
        )
    }
    results = {}
    for size in args.sizes:
        for name, (kind, subsets) in _subsets(oulad, size).items():
            estimator = DSRSDClassifier if kind == "classification" else DSRSDRegressor
            metric = "roc_auc" if kind == "classification" else "r2"
            scores = {"without": [], "with": []}
            for repeat, (X, y) in enumerate(subsets):
                for train, test in make_splits(
                    y, task=kind, n_splits=5, n_repeats=1, random_state=repeat
                ):
                    for label, early_stopping in (("without", False), ("with", True)):
                        model = estimator(early_stopping=early_stopping, random_state=0)
                        model.fit(X[train], y[train])
                        scores[label].append(_score(kind, model, X[test], y[test])[metric])
            results[f"{name} n={size}"] = {**scores, "metric": metric}
            report_progress(name, f"n={size}", scores)
    lines = [
        "DSRSD with its defaults, early_stopping=False against True, on subsets of the tuning "
        f"data (benchmarks/tune_early_stopping.py, commit {_commit()}). Machine: "
        f"{machine_description()}.",
        "",
        "| task, samples | metric | without | with | with minus without | folds higher with |",
        "|---|---|---|---|---|---|",
    ]
    for key, entry in results.items():
        without, with_ = np.array(entry["without"]), np.array(entry["with"])
        lines.append(
            f"| {key} | {entry['metric']} | {without.mean():.4f} | {with_.mean():.4f} | "
            f"{(with_ - without).mean():+.4f} | {int((with_ > without).sum())}/{len(with_)} |"
        )
    write_results(Path(args.out_dir), "tune_early_stopping", lines, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
