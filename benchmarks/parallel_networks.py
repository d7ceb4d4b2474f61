"""Fit time of DSRSD's average of networks with ``n_jobs``: networks trained at a time.

Run from the project root on an otherwise idle machine::

    python benchmarks/parallel_networks.py  # writes results/parallel_networks.{md,json}

``DSRSDClassifier`` with its defaults (``n_networks="auto"``: five networks on these 3,937
rows) is fitted on the OULAD extract shipped with the package with ``n_jobs=None`` (the
networks one after another, torch with its default thread count) and with ``n_jobs`` of 2 and, on
five cores or more, 5 (that many networks at a time, each worker process with
``cpu_count // n_jobs`` torch threads), beside one network (``n_networks=1``), interleaved over
``--repeats``. The predicted probabilities of every setting are compared with ``n_jobs=None``'s:
the networks do not depend on ``n_jobs``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd._comparison import _OneLineErrorParser, machine_description
from sklearn_dsrsd.datasets import load_oulad


def measure(repeats: int) -> dict[str, Any]:
    data = load_oulad()
    X, y = data.data, data.target
    settings: dict[str, dict[str, Any]] = {"one network": {"n_networks": 1}}
    settings["n_jobs=None"] = {}
    # Two at a time, and five (one per network of the default average) where the cores allow.
    cores = os.cpu_count() or 1
    for n_jobs in sorted({min(2, cores), min(5, cores)} - {1}):
        settings[f"n_jobs={n_jobs}"] = {"n_jobs": n_jobs}
    seconds: dict[str, list[float]] = {name: [] for name in settings}
    proba: dict[str, np.ndarray] = {}
    n_networks: dict[str, int] = {}
    for repeat in range(repeats):
        for name, options in settings.items():
            print(f"repeat {repeat + 1}/{repeats}: {name} ...", flush=True)
            start = time.perf_counter()
            model = DSRSDClassifier(random_state=0, **options).fit(X, y)
            seconds[name].append(time.perf_counter() - start)
            proba[name] = model.predict_proba(X)
            n_networks[name] = model.n_networks_
    reference = seconds["n_jobs=None"]
    return {
        "n_samples": len(y),
        "settings": {
            name: {
                "n_networks": n_networks[name],
                "seconds": seconds[name],
                "median_seconds": float(np.median(seconds[name])),
                "speed_up": float(np.median(reference) / np.median(seconds[name])),
                # The one-network row is another model, and n_jobs=None the reference itself:
                # nothing to compare.
                "max_abs_proba_difference": (
                    float(np.abs(proba[name] - proba["n_jobs=None"]).max())
                    if name.startswith("n_jobs") and name != "n_jobs=None"
                    else None
                ),
            }
            for name in settings
        },
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Fit time of the average of networks with n_jobs",
        "",
        f"Machine: {results['machine']}.",
        f"Measured {results['date']}; {results['repeats']} interleaved repeats, medians.",
        "",
        f"`DSRSDClassifier(random_state=0)` with its defaults on the OULAD extract shipped with "
        f'the package ({results["n_samples"]} rows: `n_networks="auto"` averages five '
        "networks), `fit` on every row. Speed-up: the median time of `n_jobs=None` (the "
        "networks one after another) over the setting's. Last column: the largest difference "
        "of a predicted probability from `n_jobs=None`'s.",
        "",
        "| setting | networks | fit (s) | speed-up | max abs probability difference |",
        "|---|---|---|---|---|",
    ]
    for name, row in results["settings"].items():
        difference = row["max_abs_proba_difference"]
        lines.append(
            f"| {name} | {row['n_networks']} | {row['median_seconds']:.1f} | "
            f"{row['speed_up']:.2f} | {'-' if difference is None else f'{difference:.2g}'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = _OneLineErrorParser(prog=Path(__file__).name, description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"argument --repeats: must be at least 1, got {args.repeats}")
    results = {
        "machine": machine_description(),
        "date": time.strftime("%Y-%m-%d"),
        "repeats": args.repeats,
        **measure(args.repeats),
    }
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "parallel_networks.json").write_text(json.dumps(results, indent=1))
    report = markdown(results)
    (out / "parallel_networks.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
