"""Speed and memory of the estimators, against their own floor and against the peers.

Run from the project root on an otherwise idle machine::

    python benchmarks/speed.py                 # CPU, writes benchmarks/results/speed.{md,json,png}
    python benchmarks/speed.py --device cuda   # the same tables on a GPU, when one exists

What is measured (issue 11), each in one process and interleaved over ``--repeats``:

* ``fit`` of DSRSD and of every neural baseline on 20,000 rows x 3 modalities x 32 float32
  features (batch 256, 10 epochs, no early stop) against a hand-written PyTorch loop that
  trains the estimator's *own* module with the same losses, epochs, batch size and optimiser,
  and against ``MLPClassifier`` of the same widths and epochs and
  ``HistGradientBoostingClassifier`` on the same data;
* fit time per epoch and peak resident memory for 1e4, 1e5 and 1e6 rows (each size in a child
  process, so that one size's peak does not hide the next one's);
* ``predict`` on 1e6 rows and the latency of a one-row ``predict``, beside ``MLPClassifier``
  and ``HistGradientBoostingClassifier``;
* ``GridSearchCV`` of 8 candidates x 3 folds on the OULAD extract shipped with the package
  with ``n_jobs=1`` and ``n_jobs=2``;
* the arithmetic behind the ratios to ``MLPClassifier``: matrix-product FLOPs per row of a
  forward pass and of a training step of every neural model, counted by torch, beside those
  of an MLP of ``MLPClassifier``'s layers.

Threads: every model, the hand-written loops included, runs with ``--threads`` threads
(torch intra-op threads and the OpenMP/BLAS pools of NumPy and scikit-learn alike), so that
the ratios compare the same hardware. The grid search sets nothing: joblib's workers limit
their own thread pools.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits
from torch.utils.flop_counter import FlopCounterMode

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd._losses import alignment_loss, decorrelation_loss, orthogonality_loss
from sklearn_dsrsd.baselines import (
    CoAttentionClassifier,
    EarlyFusionClassifier,
    LateFusionClassifier,
    SingleModalityClassifier,
)

N_MODALITIES, N_FEATURES = 3, 32
RATIO_ROWS, BATCH_SIZE, EPOCHS = 20_000, 256, 10
HIDDEN = 64

NEURAL_MODELS = {
    "DSRSD": DSRSDClassifier,
    "EarlyFusion": EarlyFusionClassifier,
    "LateFusion": LateFusionClassifier,
    "CoAttention": CoAttentionClassifier,
    "Single[m0]": SingleModalityClassifier,
}


# -- data and measuring helpers ----------------------------------------------------------------
def make_data(n_rows: int, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Three float32 modalities of 32 features and a binary target, built without float64."""
    rng = np.random.default_rng(seed)
    blocks = {
        f"m{i}": rng.standard_normal((n_rows, N_FEATURES), dtype=np.float32)
        for i in range(N_MODALITIES)
    }
    signal = blocks["m0"][:, 0] + blocks["m1"][:, 1] - blocks["m2"][:, 2]
    y = (signal + rng.standard_normal(n_rows, dtype=np.float32) > 0).astype(np.int64)
    return blocks, y


def flat(blocks: dict[str, np.ndarray]) -> np.ndarray:
    return np.hstack(list(blocks.values()))


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Peak resident memory above the level at entry, sampled every 2 ms by a thread."""

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = rss_bytes()
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc: Any) -> None:
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def increase_mb(self) -> float:
        return (self.peak - self.start) / 2**20


def timed(function, *args, **kwargs) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


# The predict table's row of the estimator at its defaults (the other DSRSD rows are one
# network each).
DEFAULT_DSRSD = "DSRSD (default: 5 networks)"


def neural(name: str, device: str, **overrides: Any) -> Any:
    """A neural model with the benchmark's epochs and batch size and no early stop."""
    params = dict(
        hidden_size=HIDDEN,
        max_iter=EPOCHS,
        batch_size=BATCH_SIZE,
        # Every epoch on all rows, as the hand-written loop and MLPClassifier run them (the
        # estimators' default early_stopping="auto" would hold out a tenth from 200 rows on).
        early_stopping=False,
        n_iter_no_change=EPOCHS + 1,
        device=device,
        random_state=0,
    )
    if name.startswith("DSRSD"):
        # The cost of one network; the default average (n_networks="auto", 5 networks)
        # costs n_networks times as much.
        params["n_networks"] = 1
    params.update(overrides)
    return NEURAL_MODELS[name](**params)


def mlp(epochs: int = EPOCHS) -> MLPClassifier:
    return MLPClassifier(
        (HIDDEN, HIDDEN),
        max_iter=epochs,
        batch_size=BATCH_SIZE,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )


# -- the floor: a hand-written loop of the estimator's own module ------------------------------
def module_spec(
    estimator: Any, blocks: dict[str, np.ndarray], y: np.ndarray
) -> tuple[type, dict[str, Any]]:
    """The torch module class and arguments that ``estimator.fit`` would train."""
    estimator._fit_inputs(blocks)  # a single-modality model resolves its modality here
    shapes = [block.shape[1:] for block in blocks.values()]
    return estimator._module_spec(shapes, int(y.max()) + 1)


def batch_loss(
    module: torch.nn.Module,
    weights: dict[str, float],
    criterion: torch.nn.Module,
    modality_mask: torch.Tensor,
    inputs: list[torch.Tensor],
    target: torch.Tensor,
) -> torch.Tensor:
    """One batch's training loss: the task loss and the auxiliary terms the estimator weights."""
    output, codes = module(
        modality_mask=modality_mask, **{f"m{i}": block for i, block in enumerate(inputs)}
    )
    loss = criterion(output, target)
    if "shared" in codes:
        batch_mask = codes["modality_mask"]
        if weights.get("alignment_weight"):
            loss = loss + weights["alignment_weight"] * alignment_loss(
                codes["aligned"], batch_mask, weights["temperature"]
            )
        if weights.get("decorrelation_weight"):
            loss = loss + weights["decorrelation_weight"] * decorrelation_loss(
                codes["shared"], batch_mask
            )
        if weights.get("orthogonality_weight") and codes["private"] is not None:
            loss = loss + weights["orthogonality_weight"] * orthogonality_loss(
                codes["shared"], codes["private"], batch_mask
            )
    return loss


def hand_written_fit(
    estimator: Any,
    module_spec: tuple[type, dict[str, Any]],
    blocks: dict[str, np.ndarray],
    y: np.ndarray,
    device: str,
) -> torch.nn.Module:
    """Train ``estimator``'s module with its losses and optimiser, without skorch or checks.

    Standardisation is done here too (the estimator does it in ``fit``), with NumPy's mean
    and standard deviation.
    """
    torch.manual_seed(0)
    module_class, module_kwargs = module_spec
    module = module_class(**module_kwargs).to(device)
    weights = estimator._loss_weights()
    inputs = [
        torch.from_numpy((block - block.mean(axis=0)) / block.std(axis=0)).to(device)
        for block in blocks.values()
    ]
    target = torch.from_numpy(y).to(device)
    mask = torch.ones(len(y), len(inputs), dtype=torch.bool, device=device)
    optimiser = torch.optim.AdamW(
        module.parameters(),
        lr=estimator.learning_rate_init,
        weight_decay=estimator.alpha,
        fused=True,
    )
    criterion = torch.nn.CrossEntropyLoss()
    module.train()
    for _ in range(estimator.max_iter):
        order = torch.randperm(len(y), device=device)
        for start in range(0, len(y), estimator.batch_size):
            rows = order[start : start + estimator.batch_size]
            loss = batch_loss(
                module, weights, criterion, mask[rows], [b[rows] for b in inputs], target[rows]
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            loss.item()  # skorch logs each batch's loss; so does the floor
    return module


# -- sections ----------------------------------------------------------------------------------
def arithmetic() -> dict[str, Any]:
    """Matrix-product FLOPs per row of a forward pass and of a training step, beside the MLP's.

    Counted by torch's ``FlopCounterMode`` on one batch of ``BATCH_SIZE`` rows on the CPU (the
    count does not depend on the device). The step is the loss of :func:`batch_loss` (task and
    auxiliary terms) and its backward pass. Elementwise work, such as the periodic embedding's
    cosines and sines, is not counted, so the ratios are a floor on the arithmetic. The MLP is
    written in torch with ``MLPClassifier``'s layers (one logistic output for two classes).
    """
    blocks, y = make_data(BATCH_SIZE)
    tensors = {key: torch.from_numpy(block) for key, block in blocks.items()}
    inputs = list(tensors.values())
    mask = torch.ones(len(y), len(inputs), dtype=torch.bool)
    target = torch.from_numpy(y)
    models = {name: neural(name, "cpu") for name in NEURAL_MODELS}
    models['DSRSD, numerical_embedding="none"'] = neural(
        "DSRSD", "cpu", numerical_embedding="none"
    )
    counts = {}
    for name, estimator in models.items():
        module_class, module_kwargs = module_spec(estimator, blocks, y)
        module = module_class(**module_kwargs)
        with FlopCounterMode(display=False) as forward, torch.no_grad():
            module(modality_mask=mask, **tensors)
        with FlopCounterMode(display=False) as step:
            loss = batch_loss(
                module,
                estimator._loss_weights(),
                torch.nn.CrossEntropyLoss(),
                mask,
                inputs,
                target,
            )
            loss.backward()
        counts[name] = {"forward": forward.get_total_flops(), "step": step.get_total_flops()}
    mlp_module = torch.nn.Sequential(
        torch.nn.Linear(N_MODALITIES * N_FEATURES, HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, 1),
    )
    X = torch.cat(inputs, dim=1)
    with FlopCounterMode(display=False) as forward, torch.no_grad():
        mlp_module(X)
    with FlopCounterMode(display=False) as step:
        logits = mlp_module(X)[:, 0]
        torch.nn.functional.binary_cross_entropy_with_logits(logits, target.float()).backward()
    counts["MLPClassifier"] = {
        "forward": forward.get_total_flops(),
        "step": step.get_total_flops(),
    }
    return {
        name: {kind: flops / len(y) for kind, flops in count.items()}
        for name, count in counts.items()
    }


def fit_ratios(device: str, repeats: int) -> dict[str, Any]:
    blocks, y = make_data(RATIO_ROWS)
    X = flat(blocks)
    times: dict[str, list[float]] = {}
    for _ in range(repeats):  # interleaved: a slow phase of the machine hits every model
        for name in NEURAL_MODELS:
            times.setdefault(f"{name} fit", []).append(
                timed(neural(name, device).fit, blocks, y)[0]
            )
            estimator = neural(name, device)
            spec = module_spec(estimator, blocks, y)
            times.setdefault(f"{name} loop", []).append(
                timed(hand_written_fit, estimator, spec, blocks, y, device)[0]
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            times.setdefault("MLPClassifier", []).append(timed(mlp().fit, X, y)[0])
        times.setdefault("HistGradientBoosting", []).append(
            timed(HistGradientBoostingClassifier(random_state=0).fit, X, y)[0]
        )
    median = {key: float(np.median(values)) for key, values in times.items()}
    rows = []
    for name in NEURAL_MODELS:
        fit_time = median[f"{name} fit"]
        rows.append(
            {
                "model": name,
                "fit_s": fit_time,
                "loop_s": median[f"{name} loop"],
                "fit_over_loop": fit_time / median[f"{name} loop"],
                "fit_over_mlp": fit_time / median["MLPClassifier"],
                "fit_over_hgb": fit_time / median["HistGradientBoosting"],
            }
        )
    return {
        "rows": rows,
        "mlp_s": median["MLPClassifier"],
        "hgb_s": median["HistGradientBoosting"],
        "all_times": times,
    }


def prediction(device: str, repeats: int, n_rows: int) -> dict[str, Any]:
    train_blocks, y = make_data(RATIO_ROWS)
    models = {
        "DSRSD": neural("DSRSD", device).fit(train_blocks, y),
        # What a user gets: the default averages five networks, and predicts with all five.
        DEFAULT_DSRSD: neural("DSRSD", device, n_networks="auto").fit(train_blocks, y),
        "MLPClassifier": None,
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=0),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models["MLPClassifier"] = mlp().fit(flat(train_blocks), y)
    models["HistGradientBoosting"].fit(flat(train_blocks), y)
    blocks, _ = make_data(n_rows, seed=1)
    inputs = {
        "DSRSD": blocks,
        DEFAULT_DSRSD: blocks,
        "MLPClassifier": flat(blocks),
        "HistGradientBoosting": flat(blocks),
    }
    one_row = {
        name: (({k: v[:1] for k, v in X.items()}) if isinstance(X, dict) else X[:1])
        for name, X in inputs.items()
    }
    bulk: dict[str, list[float]] = {name: [] for name in models}
    single: dict[str, list[float]] = {name: [] for name in models}
    memory: dict[str, float] = {}
    for name, model in models.items():
        model.predict(one_row[name])  # warm-up
    for _ in range(repeats):
        for name, model in models.items():
            with PeakRSS() as peak:
                bulk[name].append(timed(model.predict, inputs[name])[0])
            memory[name] = max(memory.get(name, 0.0), peak.increase_mb)
            for _ in range(100):
                single[name].append(timed(model.predict, one_row[name])[0])
    return {
        "n_rows": n_rows,
        "bulk_s": {name: float(np.median(values)) for name, values in bulk.items()},
        "single_ms": {name: 1e3 * float(np.median(values)) for name, values in single.items()},
        "peak_increase_mb": memory,
    }


def scaling_child(n_rows: int, device: str, epochs: int) -> dict[str, Any]:
    """Run in a child process: one size's fit and predict, with their peak memory."""
    blocks, y = make_data(n_rows)
    input_mb = sum(block.nbytes for block in blocks.values()) / 2**20
    model = neural("DSRSD", device, max_iter=epochs)
    with PeakRSS() as fit_peak:
        fit_time = timed(model.fit, blocks, y)[0]
    epoch_times = [float(row["dur"]) for row in model.net_.history]
    with PeakRSS() as predict_peak:
        predict_time = timed(model.predict_proba, blocks)[0]
    return {
        "n_rows": n_rows,
        "input_mb": input_mb,
        "fit_s": fit_time,
        "epoch_s": float(np.median(epoch_times)),
        "epoch_us_per_row": 1e6 * float(np.median(epoch_times)) / n_rows,
        "fit_peak_increase_mb": fit_peak.increase_mb,
        "predict_s": predict_time,
        "predict_peak_increase_mb": predict_peak.increase_mb,
        "predict_output_mb": n_rows * 2 * 8 / 2**20,
    }


def scaling(sizes: list[int], device: str, threads: int, epochs: int) -> list[dict[str, Any]]:
    results = []
    for n_rows in sizes:
        command = [
            sys.executable,
            __file__,
            "--child-scaling",
            str(n_rows),
            "--device",
            device,
            "--threads",
            str(threads),
            "--child-epochs",
            str(epochs),
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(f"  scaling n={n_rows}: {results[-1]}", flush=True)
    return results


def grid_search(device: str, max_iter: int) -> dict[str, Any]:
    from sklearn_dsrsd.datasets import load_oulad

    data = load_oulad()
    X, y, groups = data.data, data.target, data.groups
    grid = {"hidden_size": [32, 64], "alpha": [1e-4, 1e-3], "learning_rate_init": [1e-3, 3e-3]}
    times = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(
            DSRSDClassifier(
                max_iter=max_iter,
                early_stopping=False,
                n_networks=1,
                device=device,
                random_state=0,
            ),
            grid,
            cv=GroupKFold(3),
            scoring="roc_auc",
            n_jobs=n_jobs,
        )
        times[n_jobs] = timed(search.fit, X, y, groups=groups)[0]
    return {
        "n_candidates": 8,
        "n_folds": 3,
        "max_iter": max_iter,
        "n_samples": len(y),
        "seconds": times,
        "speed_up": times[1] / times[2],
    }


# -- report ------------------------------------------------------------------------------------
def machine(device: str, threads: int) -> str:
    gpu = (
        f", GPU {torch.cuda.get_device_name(0)}" if device.startswith("cuda") else ", no GPU used"
    )
    return (
        f"{platform.machine()} {platform.processor() or 'CPU'}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, torch {torch.__version__} "
        f"({threads} thread(s)){gpu}"
    )


def verdict(value: float, limit: float) -> str:
    return f"{'met' if value <= limit else 'MISSED'} (target <= {limit:g})"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Speed and memory ({results['device']})",
        "",
        f"Machine: {results['machine']}.",
        f"Measured {results['date']}; {results['repeats']} interleaved repeats, medians.",
        "",
        "Every row named DSRSD is one network (`n_networks=1`), the network that each member "
        'of the default average is. The default (`n_networks="auto"`) trains five networks '
        "apart, so its fit costs about five such fits (3.6 times one network's on the OULAD "
        "extract, with early stopping: `parallel_networks.md`), and it predicts with all five "
        f"(the row `{DEFAULT_DSRSD}` of the predict table, where it was measured).",
        "",
    ]
    ratios = results["fit_ratios"]
    lines += [
        f"## fit: {RATIO_ROWS} rows x {N_MODALITIES} modalities x {N_FEATURES} features, "
        f"batch {BATCH_SIZE}, {EPOCHS} epochs",
        "",
        f"MLPClassifier({HIDDEN}, {HIDDEN}) {ratios['mlp_s']:.2f} s; "
        f"HistGradientBoostingClassifier {ratios['hgb_s']:.2f} s.",
        "",
        "| model | fit (s) | hand-written loop (s) | fit / loop | fit / MLP | fit / HGB |",
        "|---|---|---|---|---|---|",
    ]
    for row in ratios["rows"]:
        lines.append(
            f"| {row['model']} | {row['fit_s']:.2f} | {row['loop_s']:.2f} | "
            f"{row['fit_over_loop']:.2f} | {row['fit_over_mlp']:.2f} | "
            f"{row['fit_over_hgb']:.2f} |"
        )
    dsrsd = ratios["rows"][0]
    lines += [
        "",
        f"- DSRSD fit / MLP: {dsrsd['fit_over_mlp']:.2f} -- {verdict(dsrsd['fit_over_mlp'], 3.0)}",
        f"- DSRSD fit / its hand-written loop: {dsrsd['fit_over_loop']:.2f} -- "
        f"{verdict(dsrsd['fit_over_loop'], 1.10)}",
        "",
    ]
    pred = results["prediction"]
    lines += [
        f"## predict: {pred['n_rows']} rows, and one row",
        "",
        "| model | predict on all rows (s) | one-row predict (ms) | peak memory increase (MB) |",
        "|---|---|---|---|",
    ]
    for name in pred["bulk_s"]:
        lines.append(
            f"| {name} | {pred['bulk_s'][name]:.2f} | {pred['single_ms'][name]:.3f} | "
            f"{pred['peak_increase_mb'][name]:.0f} |"
        )
    lines.append("")
    for name in ("DSRSD", DEFAULT_DSRSD):
        if name not in pred["bulk_s"]:
            continue
        over_mlp = pred["bulk_s"][name] / pred["bulk_s"]["MLPClassifier"]
        lines += [
            f"- {name} one-row predict: {pred['single_ms'][name]:.3f} ms -- "
            f"{verdict(pred['single_ms'][name], 1.0)}",
            f"- {name} predict / MLP on {pred['n_rows']} rows: {over_mlp:.2f} -- "
            f"{verdict(over_mlp, 3.0)}",
        ]
    lines.append("")
    arithmetic_counts = results.get("arithmetic")
    if arithmetic_counts:
        mlp_counts = arithmetic_counts["MLPClassifier"]
        lines += [
            f"## Arithmetic: matrix-product FLOPs per row (batch {BATCH_SIZE})",
            "",
            "Counted by torch's `FlopCounterMode`; a training step is the loss (task and "
            "auxiliary terms) and its backward pass. Elementwise work (the periodic embedding's "
            "cosines and sines among it) is not counted, so these are floors.",
            "",
            "| model | forward (kFLOP) | forward / MLP | training step (kFLOP) | step / MLP |",
            "|---|---|---|---|---|",
        ]
        for name, count in arithmetic_counts.items():
            lines.append(
                f"| {name} | {count['forward'] / 1e3:.1f} | "
                f"{count['forward'] / mlp_counts['forward']:.1f} | {count['step'] / 1e3:.1f} | "
                f"{count['step'] / mlp_counts['step']:.1f} |"
            )
        dsrsd_counts = arithmetic_counts["DSRSD"]
        lines += [
            "",
            f"- At the MLP's arithmetic throughput DSRSD's predict would take "
            f"{dsrsd_counts['forward'] / mlp_counts['forward']:.1f}x and a training step "
            f"{dsrsd_counts['step'] / mlp_counts['step']:.1f}x the MLP's time: the 3x targets "
            "ask for less arithmetic than the model does.",
            "",
        ]
    lines += [
        f"## Scaling (DSRSD, {results['scaling_epochs']} epochs, each size in its own process)",
        "",
        "| rows | input (MB) | epoch (s) | us per row per epoch | fit peak increase (MB) "
        "| target (2 x input + 300 MB) | predict peak increase (MB) | predict output (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results["scaling"]:
        limit = 2 * row["input_mb"] + 300
        lines.append(
            f"| {row['n_rows']:,} | {row['input_mb']:.0f} | {row['epoch_s']:.2f} | "
            f"{row['epoch_us_per_row']:.1f} | {row['fit_peak_increase_mb']:.0f} | "
            f"{limit:.0f} ({'met' if row['fit_peak_increase_mb'] <= limit else 'MISSED'}) | "
            f"{row['predict_peak_increase_mb']:.0f} | {row['predict_output_mb']:.0f} |"
        )
    if results.get("grid_search"):
        grid = results["grid_search"]
        lines += [
            "",
            f"## GridSearchCV: {grid['n_candidates']} candidates x {grid['n_folds']} "
            f"folds, OULAD extract ({grid['n_samples']} rows), max_iter={grid['max_iter']}",
            "",
            f"n_jobs=1: {grid['seconds']['1']:.1f} s; n_jobs=2: "
            f"{grid['seconds']['2']:.1f} s; speed-up {grid['speed_up']:.2f} -- "
            f"{'met' if grid['speed_up'] >= 1.6 else 'MISSED'} (target >= 1.6).",
        ]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    rows = results["fit_ratios"]["rows"]
    names = [row["model"] for row in rows]
    positions = np.arange(len(rows))
    left.bar(
        positions - 0.2,
        [row["fit_over_loop"] for row in rows],
        0.4,
        label="fit / hand-written loop",
    )
    left.bar(
        positions + 0.2, [row["fit_over_mlp"] for row in rows], 0.4, label="fit / MLPClassifier"
    )
    left.axhline(1.0, color="grey", linewidth=0.8)
    left.set_xticks(positions, names, rotation=20)
    left.set_ylabel("time ratio")
    left.set_title(f"fit, {RATIO_ROWS} rows, {EPOCHS} epochs")
    left.legend()
    scaling_rows = results["scaling"]
    right.loglog(
        [row["n_rows"] for row in scaling_rows],
        [row["epoch_s"] for row in scaling_rows],
        "o-",
        label="epoch time (s)",
    )
    right.loglog(
        [row["n_rows"] for row in scaling_rows],
        [row["fit_peak_increase_mb"] / 1e3 for row in scaling_rows],
        "s-",
        label="fit peak memory increase (GB)",
    )
    right.set_xlabel("rows")
    right.set_title("DSRSD scaling")
    right.legend()
    figure.suptitle(results["machine"], fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device (cpu or cuda)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads of every model and loop (default 1)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument(
        "--sizes",
        type=float,
        nargs="+",
        default=[1e4, 1e5, 1e6],
        help="rows of the scaling runs (default 1e4 1e5 1e6)",
    )
    parser.add_argument(
        "--scaling-epochs", type=int, default=2, help="epochs of each scaling run (default 2)"
    )
    parser.add_argument("--predict-rows", type=float, default=1e6)
    parser.add_argument(
        "--grid-max-iter",
        type=int,
        default=20,
        help="epoch budget of each grid-search fit (default 20)",
    )
    parser.add_argument("--no-grid", action="store_true", help="skip the grid search")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--child-scaling", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-epochs", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: torch sees no CUDA device on this machine")
    torch.set_num_threads(args.threads)
    if args.child_scaling:
        with threadpool_limits(args.threads):
            print(json.dumps(scaling_child(args.child_scaling, args.device, args.child_epochs)))
        return
    results: dict[str, Any] = {
        "device": args.device,
        "machine": machine(args.device, args.threads),
        "date": time.strftime("%Y-%m-%d"),
        "repeats": args.repeats,
        "scaling_epochs": args.scaling_epochs,
    }
    with threadpool_limits(args.threads):
        print("fit ratios ...", flush=True)
        results["fit_ratios"] = fit_ratios(args.device, args.repeats)
        print("prediction ...", flush=True)
        results["prediction"] = prediction(args.device, args.repeats, int(args.predict_rows))
    results["arithmetic"] = arithmetic()
    print("scaling ...", flush=True)
    results["scaling"] = scaling(
        [int(n) for n in args.sizes], args.device, args.threads, args.scaling_epochs
    )
    if not args.no_grid:
        print("grid search ...", flush=True)
        results["grid_search"] = grid_search(args.device, args.grid_max_iter)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = "speed" if args.device == "cpu" else f"speed-{args.device.replace(':', '')}"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str))
    report = markdown(json.loads(json.dumps(results, default=str)))
    (out / f"{stem}.md").write_text(report)
    plot(results, out / f"{stem}.png")
    print(report)


if __name__ == "__main__":
    main()
