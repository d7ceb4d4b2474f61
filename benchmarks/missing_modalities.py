"""Missing-modality benchmark: every model trained once per fold, tested on every subset.

For each non-empty subset of modalities (all of them up to 4 modalities; beyond that,
leave-one-out and keep-one), the test rows keep only that subset. DSRSD trained without
missing-modality simulation, with modality dropout and with CorrKD distillation is compared
with the early-fusion, late-fusion and co-attention baselines under the same training budget.
Writes ``missing_modalities_<dataset>.md`` / ``.json`` / ``.png`` under benchmarks/results/.

    python benchmarks/missing_modalities.py                   # OULAD extract, pass/fail, day 60
    python benchmarks/missing_modalities.py --dataset synthetic-classification
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

from sklearn_dsrsd import ModalityDict
from sklearn_dsrsd._comparison import (
    PRIMARY_METRIC,
    _at_least,
    _load_dataset,
    _OneLineErrorParser,
    _score,
    _warm_up,
    default_models,
    machine_description,
    make_splits,
    report_bad_input,
)

ROOT = Path(__file__).resolve().parents[1]


def modality_subsets(names: list[str]) -> list[tuple[str, ...]]:
    if len(names) <= 4:
        return [s for k in range(len(names), 0, -1) for s in itertools.combinations(names, k)]
    leave_one_out = [tuple(n for n in names if n != left) for left in names]
    return [tuple(names), *leave_one_out, *[(n,) for n in names]]


def _present(block) -> np.ndarray:
    values = np.asarray(block, dtype=float)
    return ~np.isnan(values.reshape(len(values), -1)).all(axis=1)


def models_for(task: str, args: argparse.Namespace) -> dict:
    zoo = default_models(
        task, random_state=args.seed, max_iter=args.max_iter, batch_size=args.batch_size
    )
    dsrsd = zoo["DSRSD"]
    return {
        "DSRSD (none)": clone(dsrsd).set_params(missing_strategy="none"),
        "DSRSD (dropout)": clone(dsrsd).set_params(
            missing_strategy="dropout", missing_rate=args.missing_rate
        ),
        "DSRSD (distill)": clone(dsrsd).set_params(
            missing_strategy="distill", missing_rate=args.missing_rate
        ),
        "EarlyFusion": zoo["EarlyFusion"],
        "LateFusion": zoo["LateFusion"],
        "CoAttention": zoo["CoAttention"],
    }


def main(argv: list[str] | None = None) -> int:
    """A problem with the arguments or the data is one line on stderr, exit status 2."""
    parser = _OneLineErrorParser(prog=Path(__file__).name, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset",
        default="oulad",
        help="a data set of python -m sklearn_dsrsd other than the next-step task "
        "assistments2009 (default: oulad)",
    )
    parser.add_argument("--data-dir", help="folder with oulad/; default: the shipped extract")
    parser.add_argument("--presentations", nargs="+")
    parser.add_argument("--cv", type=_at_least(2), default=3)
    parser.add_argument("--seed", type=_at_least(0), default=0)
    parser.add_argument("--max-iter", type=_at_least(1), default=100)
    parser.add_argument("--batch-size", type=_at_least(1), default=128)
    parser.add_argument("--missing-rate", type=float, default=0.3)
    parser.add_argument("--models", nargs="+", help="subset of the model names")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--threads", type=_at_least(1), help="torch threads")
    args = parser.parse_args(argv)
    if args.dataset == "assistments2009":
        parser.error(
            "--dataset assistments2009 is a next-step task whose modalities are always "
            "present; this benchmark hides modalities of the other data sets"
        )
    return report_bad_input(parser.prog, lambda: _run(args), errors=(ValueError, OSError))


def _run(args: argparse.Namespace) -> int:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    args.views = None
    X, y, task, groups, name = _load_dataset(args)
    X = ModalityDict(X)
    metric = PRIMARY_METRIC[task]
    names = list(X)
    subsets = modality_subsets(names)
    models = models_for(task, args)
    if args.models:
        unknown = sorted(set(args.models) - set(models))
        if unknown:
            raise ValueError(f"unknown models {unknown}; available: {list(models)}")
        models = {k: v for k, v in models.items() if k in args.models}
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)  # before the fits: a bad folder fails now
    _warm_up()  # torch's one-off start-up cost must not land on the first fit's time
    splits = make_splits(
        y, task=task, n_splits=args.cv, n_repeats=1, groups=groups, random_state=args.seed
    )
    scores = {model: {"+".join(s): [] for s in subsets} for model in models}
    fit_times = {model: [] for model in models}
    for model_name, model in models.items():
        for fold, (train, test) in enumerate(splits):
            start = time.perf_counter()
            estimator = clone(model).fit(X[train], y[train])
            fit_times[model_name].append(time.perf_counter() - start)
            X_test, y_test = X[test], y[test]
            for subset in subsets:
                # Rows whose kept modalities are all missing in the data cannot be predicted.
                rows = np.any([_present(X_test[n]) for n in subset], axis=0)
                kept = ModalityDict({n: X_test[n][rows] if n in subset else None for n in names})
                scores[model_name]["+".join(subset)].append(
                    float(_score(task, estimator, kept, y_test[rows])[metric])
                )
            print(
                f"{model_name} fold {fold + 1}/{len(splits)} done "
                f"({fit_times[model_name][-1]:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    stem = f"missing_modalities_{name}"
    table = _markdown(scores, fit_times, subsets, metric, name, task, len(y), args)
    (out / f"{stem}.md").write_text(table)
    (out / f"{stem}.json").write_text(
        json.dumps(
            {"dataset": name, "metric": metric, "scores": scores, "fit_times": fit_times}, indent=1
        )
    )
    _plot(scores, subsets, metric, out / f"{stem}.png", name)
    print(table)
    return 0


def _markdown(scores, fit_times, subsets, metric, name, task, n, args) -> str:
    models = list(scores)
    keys = ["+".join(s) for s in subsets]
    lines = [
        f"Dataset: {name} ({task}, {n} samples); {args.cv}-fold CV"
        f"{' grouped by student' if name.startswith('oulad') else ''}; metric: {metric} "
        f"(mean over folds); training missing_rate={args.missing_rate}; every neural model "
        f"max_iter={args.max_iter}, batch_size={args.batch_size}, early stopping.",
        f"Machine: {machine_description()}.",
        "",
        "| modalities present at test | " + " | ".join(models) + " |",
        "|---|" + "---|" * len(models),
    ]
    for key in keys:
        means = [np.mean(scores[m][key]) for m in models]
        best = int(np.argmax(means))
        cells = [f"**{v:.4f}**" if i == best else f"{v:.4f}" for i, v in enumerate(means)]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    averages = [np.mean([np.mean(scores[m][k]) for k in keys]) for m in models]
    lines.append(
        "| **mean over all conditions** | " + " | ".join(f"{v:.4f}" for v in averages) + " |"
    )
    lines.append(
        "| fit time per fold (s) | "
        + " | ".join(f"{np.mean(fit_times[m]):.1f}" for m in models)
        + " |"
    )
    if "DSRSD (distill)" in scores and "DSRSD (none)" in scores:
        full = keys[0]
        distill_full = np.mean(scores["DSRSD (distill)"][full])
        none_full = np.mean(scores["DSRSD (none)"][full])
        avg = dict(zip(models, averages, strict=True))
        baselines = [m for m in models if not m.startswith("DSRSD")]
        beaten = [m for m in baselines if avg["DSRSD (distill)"] > avg[m]]
        lines += [
            "",
            f"- Averaged over all {len(keys)} conditions, DSRSD (distill) scores "
            f"{avg['DSRSD (distill)']:.4f}; it beats {len(beaten)} of {len(baselines)} "
            f"baselines ({', '.join(beaten) or 'none'}).",
            f"- All modalities present: DSRSD (distill) {distill_full:.4f} vs DSRSD (none) "
            f"{none_full:.4f}: difference {100 * (distill_full - none_full):+.2f} points "
            f"(target: no worse than -1 point).",
        ]
    return "\n".join(lines) + "\n"


def _plot(scores, subsets, metric, path: Path, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["+".join(s) for s in subsets]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys) + 3), 4.5))
    for model, per_subset in scores.items():
        style = "-o" if model.startswith("DSRSD") else "--s"
        ax.plot(range(len(keys)), [np.mean(per_subset[k]) for k in keys], style, label=model)
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels(keys, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(f"{name}: modalities present at test time")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
