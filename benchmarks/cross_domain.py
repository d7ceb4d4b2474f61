"""Cross-domain OULAD benchmark: train on one module or presentation, test on another.

Uses the OULAD extract shipped with the package (or ``--data-dir``), pass/fail at the cut-off
day. Every model of the comparison harness (single-modality baselines aside) is trained on the
source rows and scored on the target rows. Writes ``cross_domain_oulad.md`` / ``.json`` under
benchmarks/results/.

    python benchmarks/cross_domain.py [--cutoff-day 60] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sklearn_dsrsd._comparison import (
    _at_least,
    _OneLineErrorParser,
    compare,
    default_models,
    machine_description,
    report_bad_input,
)
from sklearn_dsrsd.datasets import load_oulad

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "AAA 2013J -> AAA 2014J (next year)": (["AAA_2013J"], ["AAA_2014J"]),
    "BBB 2013B -> BBB 2013J (next run)": (["BBB_2013B"], ["BBB_2013J"]),
    "BBB -> AAA (other module)": (["BBB_2013B", "BBB_2013J"], ["AAA_2013J", "AAA_2014J"]),
    "AAA -> BBB (other module)": (["AAA_2013J", "AAA_2014J"], ["BBB_2013B", "BBB_2013J"]),
}


def main(argv: list[str] | None = None) -> int:
    """A problem with the arguments or the data is one line on stderr, exit status 2."""
    parser = _OneLineErrorParser(prog=Path(__file__).name, description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="folder with oulad/; default: the shipped extract")
    parser.add_argument("--cutoff-day", type=_at_least(0), default=60)
    parser.add_argument("--max-iter", type=_at_least(1), default=100)
    parser.add_argument("--batch-size", type=_at_least(1), default=128)
    parser.add_argument("--threads", type=_at_least(1))
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    return report_bad_input(parser.prog, lambda: _run(args), errors=(ValueError, OSError))


def _run(args: argparse.Namespace) -> int:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data_home = Path(args.data_dir) / "oulad" if args.data_dir else None
    bunch = load_oulad(
        data_home,
        cutoff_day=args.cutoff_day,
        target="pass",
        presentations=sorted({p for s in SCENARIOS.values() for p in s[0] + s[1]}),
    )
    X, y, presentation = bunch.data, np.asarray(bunch.target), np.asarray(bunch.presentation)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)  # before the fits: a bad folder fails now
    models = default_models("classification", max_iter=args.max_iter, batch_size=args.batch_size)
    results = {}
    for scenario, (source, target) in SCENARIOS.items():
        split = (
            np.flatnonzero(np.isin(presentation, source)),
            np.flatnonzero(np.isin(presentation, target)),
        )
        result = compare(
            models,
            X,
            y,
            task="classification",
            splits=[split],
            dataset=scenario,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
        results[scenario] = {
            "n_train": int(len(split[0])),
            "n_test": int(len(split[1])),
            "scores": {m: {k: v[0] for k, v in s.items()} for m, s in result.scores.items()},
        }
    (out / "cross_domain_oulad.json").write_text(json.dumps(results, indent=1))
    table = _markdown(results, args)
    (out / "cross_domain_oulad.md").write_text(table)
    print(table)
    return 0


def _markdown(results: dict, args: argparse.Namespace) -> str:
    models = list(next(iter(results.values()))["scores"])
    lines = [
        f"OULAD pass/fail at day {args.cutoff_day}; train on the source presentations, test on "
        "the target ones (one fit per model and scenario, so no spread is shown). Every neural "
        f"model: max_iter={args.max_iter}, batch_size={args.batch_size}, early stopping on a "
        f"10% split of the source. Machine: {machine_description()}.",
        "",
        "| scenario (train rows -> test rows) | metric | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    for scenario, record in results.items():
        for metric in ("roc_auc", "macro_f1"):
            values = [record["scores"][m][metric] for m in models]
            best = int(np.argmax(values))
            cells = [f"**{v:.4f}**" if i == best else f"{v:.4f}" for i, v in enumerate(values)]
            label = f"{scenario} ({record['n_train']} -> {record['n_test']})"
            lines.append(f"| {label} | {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
