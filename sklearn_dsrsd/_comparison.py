"""The comparison harness behind ``python -m sklearn_dsrsd`` and ``benchmarks/compare.py``.

It cross-validates DSRSD, every baseline and two non-neural references on the
concatenated features under one protocol, reports mean +- std of each metric,
fit time, and a corrected paired t-test of DSRSD against the best other model.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from scipy import stats
from sklearn.base import clone, is_classifier
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import (
    GroupKFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
)
from sklearn.pipeline import FunctionTransformer, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import has_fit_parameter

from ._modality_dict import ModalityDict

__all__ = ["ComparisonResult", "compare", "concatenate_modalities", "default_models", "main"]

CLASSIFICATION_METRICS = ("accuracy", "macro_f1", "roc_auc")
REGRESSION_METRICS = ("rmse", "mae", "r2")
PRIMARY_METRIC = {"classification": "roc_auc", "regression": "r2"}
HIGHER_IS_BETTER = {
    "accuracy": True,
    "macro_f1": True,
    "roc_auc": True,
    "rmse": False,
    "mae": False,
    "r2": True,
}


def machine_description() -> str:
    import os
    import platform

    import torch

    return (
        f"{platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__} "
        f"with {torch.get_num_threads()} thread(s), no GPU used"
    )


def concatenate_modalities(X: Mapping[str, Any]) -> np.ndarray:
    """Flatten every block and concatenate them column-wise (absent ones skipped)."""
    blocks = [np.asarray(v, dtype=np.float64) for v in X.values() if v is not None]
    return np.hstack([block.reshape(len(block), -1) for block in blocks])


def _concatenated(estimator: Any) -> Any:
    return make_pipeline(FunctionTransformer(concatenate_modalities), estimator)


def default_models(
    task: str,
    *,
    random_state: int = 0,
    modality_names: Sequence[str] = (),
    max_iter: int = 100,
    batch_size: int = 128,
) -> dict[str, Any]:
    """DSRSD, every baseline and two references, with the same training budget.

    Every neural model uses early stopping on a 10 % validation split with the
    same epochs, batch size and learning rate.
    """
    from . import DSRSDClassifier, DSRSDRegressor, baselines

    classification = task == "classification"
    common = dict(
        early_stopping=True,
        max_iter=max_iter,
        batch_size=batch_size,
        n_iter_no_change=8,
        random_state=random_state,
    )
    suffix = "Classifier" if classification else "Regressor"
    models: dict[str, Any] = {
        "DSRSD": (DSRSDClassifier if classification else DSRSDRegressor)(**common)
    }
    for name in modality_names:
        models[f"Single[{name}]"] = getattr(baselines, f"SingleModality{suffix}")(
            modality=name, **common
        )
    for kind in ("EarlyFusion", "LateFusion", "CoAttention"):
        models[kind] = getattr(baselines, f"{kind}{suffix}")(**common)
    if classification:
        models["HistGradientBoosting"] = _concatenated(
            HistGradientBoostingClassifier(random_state=random_state)
        )
        models["LogisticRegression"] = _concatenated(
            make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000))
        )
    else:
        models["HistGradientBoosting"] = _concatenated(
            HistGradientBoostingRegressor(random_state=random_state)
        )
        models["Ridge"] = _concatenated(make_pipeline(SimpleImputer(), StandardScaler(), Ridge()))
    return models


def seed_ensemble(model: Any, n_members: int, seed: int) -> Any:
    """The average of ``n_members`` clones of ``model`` with seeds ``seed``, ``seed + 1``, ...

    Soft voting for a classifier (the mean of the predicted probabilities), the mean
    prediction for a regressor: the deep ensemble of one architecture, each member
    trained on its own (its own batches, validation split and early stopping), and
    each member one network (``n_networks=1`` where the model has that parameter).
    """
    one_network = {"n_networks": 1} if "n_networks" in model.get_params() else {}
    members = [
        (f"seed{seed + i}", clone(model).set_params(random_state=seed + i, **one_network))
        for i in range(n_members)
    ]
    if is_classifier(model):
        return VotingClassifier(members, voting="soft")
    return VotingRegressor(members)


FUSION_VARIANTS = {
    "gated": "gated sum fusion",
    "gated_concat": "gated concatenation fusion",
    "concat": "concatenation fusion (no gates)",
}


def ablation_models(task: str, **budget: Any) -> dict[str, Any]:
    """DSRSD with each component switched off in turn, under the harness's budget."""
    full = default_models(task, **budget)["DSRSD"]
    variants = {
        "DSRSD (full)": {},
        "no modality dropout": {"missing_strategy": "none"},
        "no alignment": {"alignment_weight": 0.0},
        "no decorrelation": {"decorrelation_weight": 0.0},
        "no orthogonality": {"orthogonality_weight": 0.0},
        "no auxiliary terms": {
            "alignment_weight": 0.0,
            "decorrelation_weight": 0.0,
            "orthogonality_weight": 0.0,
        },
        "shared stream only": {"dual_stream": False},
        "no periodic embedding": {"numerical_embedding": "none"},
    }
    # Every fusion other than the one the full model resolves "auto" to.
    for fusion, name in FUSION_VARIANTS.items():
        if fusion != full._resolved_fusion():
            variants[name] = {"fusion": fusion}
    return {name: clone(full).set_params(**params) for name, params in variants.items()}


def _score(task: str, estimator: Any, X: Any, y: np.ndarray) -> dict[str, float]:
    if task == "regression":
        pred = estimator.predict(X)
        return {
            "rmse": root_mean_squared_error(y, pred),
            "mae": mean_absolute_error(y, pred),
            "r2": r2_score(y, pred),
        }
    proba = estimator.predict_proba(X)
    classes = estimator.classes_
    pred = classes[proba.argmax(axis=1)]
    if len(classes) == 2:
        auc = roc_auc_score(y == classes[1], proba[:, 1])
    else:
        auc = roc_auc_score(y, proba, multi_class="ovr", labels=classes)
    return {
        "accuracy": accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, average="macro"),
        "roc_auc": auc,
    }


@dataclass
class ComparisonResult:
    """Per-model, per-metric fold scores of one comparison."""

    task: str
    dataset: str
    scores: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    protocol: str = ""
    # How the fit times were measured (threads, fits at a time): not part of the protocol,
    # since the scores do not depend on it, but the times do.
    timing: str = ""
    # Models whose rows --update kept from an earlier file: measured then, not in this run.
    earlier_rows: list[str] = field(default_factory=list)

    @property
    def metrics(self) -> tuple[str, ...]:
        return CLASSIFICATION_METRICS if self.task == "classification" else REGRESSION_METRICS

    @property
    def primary(self) -> str:
        return PRIMARY_METRIC[self.task]

    def summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        return {
            model: {m: (float(np.mean(v)), float(np.std(v))) for m, v in metrics.items()}
            for model, metrics in self.scores.items()
        }

    @property
    def reference(self) -> str:
        """The model the others are tested against: the first DSRSD model (``"DSRSD"``,
        or ``"DSRSD (full)"`` of an ablation) wherever it sits, else the first model."""
        names = list(self.scores)
        # The single model before any other DSRSD row (a seed ensemble of it), wherever
        # an --update merge put the rows.
        for name in ("DSRSD", "DSRSD (full)"):
            if name in self.scores:
                return name
        return next(
            (name for name in names if name.startswith("DSRSD")), names[0] if names else ""
        )

    def paired_test(
        self, reference: str | None = None, *, test_fraction: float, other: str | None = None
    ) -> dict[str, Any]:
        """Nadeau-Bengio corrected resampled t-test on the primary metric.

        Compares ``reference`` (default: :attr:`reference`, DSRSD) with ``other``
        (default: the best other model). The correction accounts for the overlap of
        training sets across CV folds, which makes the plain paired t-test far too
        optimistic.
        """
        sign = 1.0 if HIGHER_IS_BETTER[self.primary] else -1.0
        reference = reference or self.reference
        others = {m: np.mean(s[self.primary]) for m, s in self.scores.items() if m != reference}
        if reference not in self.scores or not others:
            return {}
        # The best other model is a baseline: another DSRSD row (a seed ensemble of it) is
        # the method too, and is named only when no baseline is in the table.
        baselines = {m: mean for m, mean in others.items() if not m.startswith("DSRSD")}
        best = other or max(baselines or others, key=lambda m: sign * others[m])
        diff = np.asarray(self.scores[reference][self.primary]) - np.asarray(
            self.scores[best][self.primary]
        )
        n = len(diff)
        variance = np.var(diff, ddof=1) if n > 1 else 0.0
        corrected = (1.0 / n + test_fraction / (1.0 - test_fraction)) * variance
        if corrected <= 0:
            t_stat, p_value = float("nan"), float("nan")
        else:
            t_stat = float(np.mean(diff) / np.sqrt(corrected))
            p_value = float(2 * stats.t.sf(abs(t_stat), df=n - 1))
        return {
            "reference": reference,
            "best_other": best,
            "metric": self.primary,
            "mean_difference": float(np.mean(diff)),
            "t": t_stat,
            "p_value": p_value,
            "n_folds": n,
        }

    def to_markdown(self, *, test_fraction: float) -> str:
        summary = self.summary()
        reference = self.reference
        header = [
            "model",
            *self.metrics,
            "fit time (s)",
            f"{self.primary} minus {reference} (corrected p)",
        ]
        order = sorted(
            summary,
            key=lambda m: (
                -summary[m][self.primary][0] * (1 if HIGHER_IS_BETTER[self.primary] else -1)
            ),
        )
        rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for model in order:
            cells = [
                f"{summary[model][m][0]:.4f} ± {summary[model][m][1]:.4f}" for m in self.metrics
            ]
            fit = summary[model]["fit_time"]
            versus = ""
            if model != reference:
                test = self.paired_test(reference, test_fraction=test_fraction, other=model)
                versus = f"{-test['mean_difference']:+.4f} (p = {test['p_value']:.2g})"
            rows.append(f"| {model} | " + " | ".join(cells) + f" | {fit[0]:.1f} | {versus} |")
        test = self.paired_test(test_fraction=test_fraction)
        lines = [
            f"Dataset: {self.dataset} ({self.task}); protocol: {self.protocol}.",
            f"Machine: {machine_description()}{'; ' + self.timing if self.timing else ''}.",
        ]
        if self.earlier_rows:
            lines.append(
                f"Rows kept from the earlier file (measured in an earlier run, under the same "
                f"protocol; their fit times may come from other settings): "
                f"{', '.join(self.earlier_rows)}."
            )
        lines += ["", *rows, ""]
        if test:
            lines.append(
                f"{test['reference']} vs best other model ({test['best_other']}) on "
                f"{test['metric']}: "
                f"mean difference {test['mean_difference']:+.4f}, corrected paired t = "
                f"{test['t']:.2f}, p = {test['p_value']:.3g} over {test['n_folds']} folds."
            )
        return "\n".join(lines) + "\n"

    def to_json(self, *, test_fraction: float) -> dict[str, Any]:
        """The result as plain data, with ``None`` for a value that is not a number (a
        t statistic of identical fold scores): JSON has no NaN."""
        return _finite_or_none(
            {
                "dataset": self.dataset,
                "task": self.task,
                "protocol": self.protocol,
                "machine": machine_description(),
                "timing": self.timing,
                "earlier_rows": self.earlier_rows,
                "scores": self.scores,
                "summary": {
                    m: {k: {"mean": v[0], "std": v[1]} for k, v in s.items()}
                    for m, s in self.summary().items()
                },
                "paired_test": self.paired_test(test_fraction=test_fraction),
            }
        )

    def plot(self, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        summary = self.summary()
        models = list(summary)
        fig, axes = plt.subplots(1, len(self.metrics), figsize=(4.5 * len(self.metrics), 4))
        for ax, metric in zip(axes, self.metrics, strict=True):
            means = [summary[m][metric][0] for m in models]
            errors = [summary[m][metric][1] for m in models]
            colors = ["tab:red" if m == self.reference else "tab:gray" for m in models]
            ax.barh(models, means, xerr=errors, color=colors)
            ax.set_title(metric)
            low = min(means) - 2 * max(errors)
            ax.set_xlim(left=max(0.0, low) if metric != "r2" else low)
        fig.suptitle(f"{self.dataset}: {self.protocol}")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def _finite_or_none(value: Any) -> Any:
    """``value`` with every NaN or infinite float inside it replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(item) for item in value]
    return value


@functools.cache
def _warm_up() -> None:
    """Pay torch's one-off start-up cost (seconds), once per process, before a fit is timed."""
    from . import DSRSDClassifier

    rng = np.random.RandomState(0)
    X = {"a": rng.normal(size=(32, 3)), "b": rng.normal(size=(32, 2, 2))}
    DSRSDClassifier(max_iter=2, random_state=0).fit(X, np.arange(32) % 2).predict(X)


class Progress:
    """One-line progress over the fits of a comparison (models x folds), with a time estimate.

    On a terminal the line is redrawn in place with a carriage return; in a file or a pipe
    each update is a line of its own, so logs hold no control characters.
    """

    def __init__(self, total: int, stream: Any = None, width: int = 24):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.n_kept = 0
        self.start = time.perf_counter()
        self.in_place = bool(getattr(self.stream, "isatty", lambda: False)())

    def kept(self, message: str) -> None:
        """Count a fit whose scores an earlier run stored: it took no time here."""
        self.n_kept += 1
        self(message)

    def __call__(self, message: str) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.start
        fitted = self.done - self.n_kept
        remaining = elapsed / fitted * (self.total - self.done) if fitted else 0.0
        filled = round(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        line = (
            f"[{bar}] {self.done}/{self.total} fits, {_clock(elapsed)} elapsed, "
            f"~{_clock(remaining)} left | {message}"
        )
        if self.in_place:
            end = "\n" if self.done == self.total else ""
            print("\r" + line[:160].ljust(160), end=end, file=self.stream, flush=True)
        else:
            print(line, file=self.stream, flush=True)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"


def compare(
    models: Mapping[str, Any],
    X: Any,
    y: np.ndarray,
    *,
    task: str,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    dataset: str = "data",
    protocol: str = "",
    prepare: Callable[[Any], Any] | None = None,
    log: Callable[..., None] | None = None,
    n_jobs: int | None = None,
    fit_params: Mapping[str, Any] | None = None,
    groups: Any = None,
    resume_dir: str | Path | None = None,
) -> ComparisonResult:
    """Fit and score every model on every split; ``prepare`` wraps a model (e.g. encoders).

    ``log`` gets one line per fit as it ends; the line of a fit whose scores
    ``resume_dir`` held goes to ``log.kept`` where ``log`` has that method (as
    :class:`Progress` does, to leave it out of its time estimate).

    ``fit_params`` holds one value per sample for each parameter of the (prepared)
    models' ``fit``; a fit gets those of its training rows, as ``cross_validate``
    passes its ``params``.

    ``groups`` (one label per sample, e.g. the student) goes, for its training rows, to
    the ``fit`` of each model that takes a ``groups`` parameter (the model itself or a
    pipeline's last step, see :func:`groups_fit_params`): the networks then hold out whole
    groups for early stopping, as grouped outer folds hold out whole groups for testing.

    ``n_jobs`` fits that many (model, split) pairs at once in joblib worker processes,
    each with the caller's torch thread count. The scores do not depend on it (every
    fit is seeded); the fit times do, since parallel fits share the machine.

    ``resume_dir`` keeps the scores of each (model, split) fit in a file of its own there
    as soon as the fit ends, and takes the scores of a fit from such a file instead of
    fitting again: an interrupted run of hours resumes where it stopped. A file is used
    only for the same dataset name and values, protocol, model name, split, torch thread
    count, versions of Python, torch, skorch, scikit-learn, SciPy and NumPy, and the same
    source code of this package.
    """
    import torch
    from joblib import Parallel, delayed

    result = ComparisonResult(task=task, dataset=dataset, protocol=protocol)
    X = ModalityDict(X) if isinstance(X, Mapping) else X
    fit_params = {key: np.asarray(value) for key, value in (fit_params or {}).items()}
    groups = None if groups is None else np.asarray(groups)
    fits = [(name, fold) for name in models for fold in range(len(splits))]
    stored: dict[tuple[str, int], Path] = {}
    if resume_dir is not None:
        resume_dir = Path(resume_dir)
        resume_dir.mkdir(parents=True, exist_ok=True)
        identity = {
            "dataset": dataset,
            "protocol": protocol,
            "threads": torch.get_num_threads(),
            "data": _data_digest(
                X, y, fit_params if groups is None else {**fit_params, "(groups)": groups}
            ),
            **_code_identity(),
        }
        stored = {
            (name, fold): resume_dir / f"{_fit_key(identity, name, splits[fold])}.json"
            for name, fold in fits
        }
    metrics = {"fit_time", *result.metrics}
    kept = {fit: _read_stored(path, metrics) for fit, path in stored.items() if path.exists()}
    to_fit = [fit for fit in fits if fit not in kept]
    # No pool when every fit is stored: joblib would warn about cancelling no tasks.
    scored = (
        ()
        if not to_fit
        else Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_fit_and_score)(
                clone(prepare(models[name]) if prepare else models[name]),
                X,
                y,
                *splits[fold],
                task=task,
                threads=torch.get_num_threads(),
                fit_params=fit_params,
                groups=groups,
                store=stored.get((name, fold)),
            )
            for name, fold in to_fit
        )
    )
    # The generator yields the fits of to_fit in order, as they end, for the progress log.
    fresh = iter(scored)
    for name, fold in fits:
        scores = kept[name, fold] if (name, fold) in kept else next(fresh)
        record = result.scores.setdefault(name, {})
        for metric, value in scores.items():
            record.setdefault(metric, []).append(float(value))
        if log:
            line = f"{name} fold {fold + 1}/{len(splits)}: " + ", ".join(
                f"{k}={v[-1]:.4f}" for k, v in record.items()
            )
            if (name, fold) in kept:
                getattr(log, "kept", log)(f"{line} (kept in {resume_dir})")
            else:
                log(line)
    return result


@functools.cache
def _code_identity() -> dict[str, str]:
    """What a stored fit was computed with: library versions and this package's source."""
    import scipy
    import sklearn
    import skorch
    import torch

    source = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        source.update(path.relative_to(package).as_posix().encode())
        source.update(path.read_bytes())
    return {
        "sklearn_dsrsd_source": source.hexdigest(),
        "python": sys.version,
        "torch": str(torch.__version__),
        "skorch": skorch.__version__,
        "sklearn": sklearn.__version__,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
    }


def _data_digest(X: Any, y: np.ndarray, fit_params: Mapping[str, np.ndarray]) -> str:
    """A digest of the data's values, so that a changed file under the same name refits."""
    digest = hashlib.sha256()
    blocks = dict(X.items()) if isinstance(X, Mapping) else {"": X}
    for name, block in [*blocks.items(), ("y", y), *sorted(fit_params.items())]:
        digest.update(name.encode() + b"|")
        if block is not None:
            array = np.ascontiguousarray(block)
            digest.update(str((array.dtype, array.shape)).encode())
            if array.dtype == object:  # repr of each value: numpy's repr would elide
                digest.update("\x1f".join(map(repr, array.ravel().tolist())).encode())
            else:
                digest.update(array.tobytes())
    return digest.hexdigest()


def _fit_key(identity: Mapping[str, Any], model: str, split: tuple[np.ndarray, np.ndarray]) -> str:
    digest = hashlib.sha256(json.dumps({**identity, "model": model}, sort_keys=True).encode())
    for indices in split:
        digest.update(np.ascontiguousarray(indices, dtype=np.int64).tobytes())
        digest.update(b"|")
    return digest.hexdigest()[:32]


def _read_stored(path: Path, metrics: set[str]) -> dict[str, float]:
    """The scores stored at ``path``: ``fit_time`` and the task's metrics, each a number."""
    try:
        stored = json.loads(path.read_text())
        if not isinstance(stored, dict) or set(stored) != metrics:
            raise ValueError(f"expected the keys {sorted(metrics)}")
        return {key: float(value) for key, value in stored.items()}
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{path} is not a stored fit of this harness ({exc}); delete it to fit again."
        ) from exc


def _fit_and_score(
    estimator: Any,
    X: Any,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    *,
    task: str,
    threads: int,
    fit_params: Mapping[str, np.ndarray],
    groups: np.ndarray | None = None,
    store: Path | None = None,
) -> dict[str, float]:
    """One timed fit and its test scores; in a worker process or in the caller's.

    With ``store``, the scores are written there as the fit ends, not when the whole
    comparison does, so that an interrupted run loses only the fits in progress.
    """
    import torch
    from threadpoolctl import threadpool_limits

    # A worker process starts with torch's and the BLAS pools' own thread counts, not
    # the caller's; on a machine shared by parallel fits those oversubscribe it.
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        _warm_up()
        start = time.perf_counter()
        train_params = {k: v[train] for k, v in fit_params.items()}
        if groups is not None:
            train_params.update(groups_fit_params(estimator, groups[train]))
        estimator.fit(X[train], y[train], **train_params)
        fit_time = time.perf_counter() - start
        scores = {"fit_time": fit_time, **_score(task, estimator, X[test], y[test])}
    if store is not None:
        partial = store.with_name(f"{store.name}.{os.getpid()}.tmp")
        with partial.open("w") as file:
            json.dump({k: float(v) for k, v in scores.items()}, file)
            file.flush()
            os.fsync(file.fileno())  # on disk before the rename makes it count
        partial.replace(store)  # atomic: a reader never sees half a file
    return scores


def groups_fit_params(estimator: Any, groups: np.ndarray) -> dict[str, np.ndarray]:
    """``groups`` as a ``fit`` parameter of ``estimator``, where its model takes one.

    The model is ``estimator`` or, through nested pipelines, their last step; the key is
    ``groups`` or the pipeline's ``step__groups``. Empty where the model's ``fit`` has no
    ``groups`` parameter (scikit-learn's estimators here; a seed ensemble's voting
    estimator, whose members therefore hold out random rows).
    """
    prefix, model = "", estimator
    while isinstance(model, Pipeline):
        name, model = model.steps[-1]
        prefix += f"{name}__"
    return {f"{prefix}groups": groups} if has_fit_parameter(model, "groups") else {}


def make_splits(
    y: np.ndarray,
    *,
    task: str,
    n_splits: int,
    n_repeats: int,
    groups: np.ndarray | None = None,
    random_state: int = 0,
) -> list:
    """Repeated (stratified, grouped when ``groups`` is given) K-fold splits."""
    index = np.zeros(len(y))
    if groups is not None:
        splits = []
        for repeat in range(n_repeats):
            splitter = StratifiedGroupKFold(
                n_splits, shuffle=True, random_state=random_state + repeat
            )
            stratify = y if task == "classification" else np.zeros(len(y))
            splits += list(splitter.split(index, stratify, groups))
        return splits
    if task == "classification":
        splitter = RepeatedStratifiedKFold(
            n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
        )
    else:
        splitter = RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)
    return list(splitter.split(index, y))


@dataclass
class Task:
    """What a comparison runs on: data, target, splits' raw material and model wrapping."""

    X: Any
    y: np.ndarray
    kind: str
    name: str
    groups: np.ndarray | None = None
    folds: np.ndarray | None = None  # given test-fold ids (0 = always training)
    prepare: Callable[[Any], Any] | None = None
    fit_params: dict[str, np.ndarray] = field(default_factory=dict)  # one value per sample
    protocol_note: str = ""  # what the protocol line adds for this task
    # Whether the models that take fit's groups get the students, so that the networks'
    # early stopping holds out whole students (compare's ``groups``).
    group_early_stopping: bool = False


class _GroupKFoldUpTo(GroupKFold):
    """:class:`~sklearn.model_selection.GroupKFold` with ``n_splits`` folds, or one per
    group where the split is given fewer groups (at least 2).

    The number of students in a training fold is known only when the encoder is fitted;
    a small log would otherwise fail on inner folds that the user never chose. With at
    least ``n_splits`` groups the split is exactly ``GroupKFold``'s.
    """

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Any:
        n_groups = len(np.unique(groups)) if groups is not None else self.n_splits
        if n_groups < 2:
            raise ValueError(
                "The target encoding of item and skill ids is cross-fitted by student and "
                f"needs at least 2 students in each training fold; one has {n_groups}. Give "
                "a log with more students, or fewer folds (--cv)."
            )
        splitter = GroupKFold(
            min(self.n_splits, n_groups), shuffle=self.shuffle, random_state=self.random_state
        )
        return splitter.split(X, y, groups)


def _next_step_task(bunch: Any, name: str, folds: np.ndarray | None, *, seed: int) -> Task:
    from .preprocessing import ContentTargetEncoder

    # Item and skill identities are target-encoded inside each training fold only, and
    # cross-fitted there by student, as the outer folds are: with row-wise inner folds a
    # training row's encoding would hold the same student's other (later, too) responses,
    # which no test row's encoding can. GroupKFold's folds do not depend on the targets;
    # they follow --seed, as the outer folds and the models do. Five inner folds, or one
    # per student where a small log's training fold has fewer students.
    def prepare(model: Any) -> Any:
        encoder = ContentTargetEncoder(cv=_GroupKFoldUpTo(5, shuffle=True, random_state=seed))
        return make_pipeline(encoder, model)

    return Task(
        bunch.data,
        np.asarray(bunch.target),
        "classification",
        name,
        groups=bunch.groups,
        folds=folds,
        prepare=prepare,
        fit_params={"contenttargetencoder__groups": np.asarray(bunch.groups)},
        protocol_note="ids target-encoded with student-disjoint inner folds",
        # Many rows per student: with random rows held out, the validation loss rewards
        # fitting the training students (measured in docs/benchmarks.md, "Early stopping on
        # whole students"). OULAD's registrations, mostly one per student, lost with it.
        group_early_stopping=True,
    )


def _load_task(args: argparse.Namespace) -> Task:
    """The --dataset / --views / --log choice as a :class:`Task`."""
    from . import datasets

    if args.log:
        import pandas as pd

        log = pd.read_csv(args.log)
        # An item or skill column named on the command line must exist; a default name
        # that the log lacks means the log has no such column (items-only or skills-only
        # logs), so that those run without an option to switch the column off.
        columns = {}
        for option, default in (("item", "problem_idx"), ("skill", "skill_idx")):
            given = getattr(args, option)
            if given is not None and given not in log.columns:
                raise ValueError(
                    f"--{option} {given!r} is not a column of {args.log}; its "
                    f"columns are {list(log.columns)}."
                )
            if given is None and default in log.columns:
                given = default
            columns[option] = given
        if columns["item"] is None and columns["skill"] is None:
            raise ValueError(
                f"{args.log} has neither the default item column 'problem_idx' "
                "nor the default skill column 'skill_idx'; name at least one "
                f"with --item or --skill (its columns are {list(log.columns)})."
            )
        bunch = datasets.build_next_step_features(
            log,
            student=args.student,
            order=args.order,
            correct=args.correct,
            n_recent=args.n_recent,
            sequence=args.sequence,
            skill_profile=args.skill_profile,
            **columns,
        )
        folds = None
        if args.fold:
            if args.fold not in log.columns:
                raise ValueError(
                    f"{args.log} has no fold column {args.fold!r}; it has {list(log.columns)}."
                )
            _check_fold_column(log, args)
            folds = log[args.fold].to_numpy()[bunch.responses["log_row"].to_numpy()]
        return _next_step_task(
            bunch,
            "next-step:" + Path(args.log).name + _next_step_suffix(args),
            folds,
            seed=args.seed,
        )
    if args.dataset == "assistments2009":
        path = Path(args.data_dir or "../shared/data") / "knowledge_tracing"
        bunch = datasets.load_assistments2009(
            path / "assist2009_pid_long.csv.gz",
            n_recent=args.n_recent,
            sequence=args.sequence,
            skill_profile=args.skill_profile,
        )
        return _next_step_task(
            bunch, "assistments2009" + _next_step_suffix(args), bunch.folds, seed=args.seed
        )
    X, y, kind, groups, name = _load_dataset(args)
    return Task(X, y, kind, name, groups=groups)


def _check_fold_column(log: Any, args: argparse.Namespace) -> None:
    """Refuse a --fold column with missing ids or one that splits a student's responses.

    Given folds are trained on the other folds' students and tested on the fold's: a
    student in two folds would be in a training and a test fold at once, and a response
    without a fold id belongs to no fold.
    """
    fold = log[args.fold]
    missing = int(fold.isna().sum())
    if missing:
        raise ValueError(
            f"--fold {args.fold!r} is missing in {missing} of the {len(fold)} rows of "
            f"{args.log}; give every row a fold id (0 = training only)."
        )
    n_folds = fold.groupby(log[args.student], sort=False).nunique()
    split = n_folds[n_folds > 1]
    if len(split):
        student = split.index[0]
        student = student.item() if isinstance(student, np.generic) else student
        ids = fold[log[args.student] == student].unique().tolist()
        raise ValueError(
            f"--fold {args.fold!r}: {len(split)} of the {len(n_folds)} students of "
            f"{args.log} are in more than one fold (e.g. student {student!r} in folds "
            f"{ids}); all of a student's rows must be in one fold, or they would be in a "
            "training and a test fold at once."
        )


def _next_step_suffix(args: argparse.Namespace) -> str:
    """Name suffix of a next-step task built with non-default history options."""
    suffix = f"-recent{args.n_recent}" if args.n_recent != 10 else ""
    suffix += "-sequence" if args.sequence else ""
    return suffix + ("-skill_profile" if args.skill_profile else "")


# The synthetic benchmark designs; the benchmarks draw them with random_state=0 and
# benchmarks/tune_defaults.py, which must not tune on the benchmarks' data, with 1.
SYNTHETIC_DESIGN = dict(
    n_samples=1000, n_modalities=3, modality_scale=[1.0, 10.0, 100.0], missing_rate=0.1
)
SYNTHETIC_ABLATION_DESIGN = dict(
    n_samples=2000,
    n_modalities=3,
    n_features=[8, 8, 40],
    n_noise=[1, 1, 36],
    n_shared=4,
    n_private=2,
    modality_scale=[1.0, 1.0, 100.0],
    missing_rate=0.1,
    noise=0.3,
)


def _numeric_view(frame: Any, path: str) -> np.ndarray:
    """A --views CSV as a float array; a non-numeric column is named in the error."""
    try:
        return frame.to_numpy(dtype=float)
    except (TypeError, ValueError) as error:
        # Converted once; column by column only to name the culprit.
        for column in frame.columns:
            try:
                frame[column].to_numpy(dtype=float)
            except (TypeError, ValueError):
                series = frame[column].dropna()
                example = series.iloc[0] if len(series) else None
                raise ValueError(
                    f"{path}: column {column!r} is not numeric (e.g. {example!r}); a view "
                    "holds numeric features only. Encode or drop that column first."
                ) from None
        raise ValueError(f"{path}: {error}") from None


def _at_least(minimum: int, maximum: int | None = None):
    """argparse type: an int of at least ``minimum`` (and at most ``maximum`` where given;
    argparse names the option on error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if maximum is not None and not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"must be between {minimum} and {maximum}, got {value}"
            )
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _load_dataset(args: argparse.Namespace) -> tuple[Any, np.ndarray, str, Any, str]:
    """(X, y, task, groups, name) for the --dataset / --views choices."""
    from . import datasets

    if args.views:
        import pandas as pd

        # A modality is named after its file: two files of one name would be one modality.
        by_name: dict[str, str] = {}
        for path in args.views:
            if Path(path).stem in by_name:
                raise ValueError(
                    f"--views {by_name[Path(path).stem]} and {path} would both be the "
                    f"modality {Path(path).stem!r} (a modality is named after its file); "
                    "rename one of them."
                )
            by_name[Path(path).stem] = path
        X = ModalityDict({name: _numeric_view(pd.read_csv(p), p) for name, p in by_name.items()})
        target = pd.read_csv(args.target_file)
        column = args.target_column or target.columns[0]
        if column not in target.columns:
            raise ValueError(
                f"{args.target_file} has no column {column!r}; it has {list(target.columns)}."
            )
        y = target[column].to_numpy()
        if len(y) != X.n_samples:
            raise ValueError(
                f"{args.target_file} has {len(y)} rows but the views have {X.n_samples}; "
                "give one target row per view row, in the same order."
            )
        task = args.task or (
            "classification" if y.dtype.kind in "OUSb" or len(np.unique(y)) <= 20 else "regression"
        )
        return X, y, task, None, "views:" + "+".join(X)
    name = args.dataset
    if name.startswith("oulad"):
        # oulad[-final_result][-dDAY]: the shipped extract unless --data-dir holds the files.
        target = "final_result" if "final_result" in name else "pass"
        day = name.rsplit("-d", 1)[1] if "-d" in name else "60"
        if not day.isdigit() or name not in (
            f"oulad-d{day}",
            f"oulad-final_result-d{day}",
            "oulad",
            "oulad-final_result",
        ):
            raise ValueError(
                f"Unknown dataset {name!r}; an OULAD task is oulad or "
                "oulad-final_result, optionally with a cut-off day such as -d120."
            )
        cutoff = int(day)
        data_home = Path(args.data_dir) / "oulad" if args.data_dir else None
        bunch = datasets.load_oulad(
            data_home, cutoff_day=cutoff, target=target, presentations=args.presentations
        )
        return bunch.data, np.asarray(bunch.target), "classification", bunch.groups, name
    if name in ("synthetic-classification", "synthetic-regression"):
        maker = (
            datasets.make_multimodal_classification
            if name.endswith("classification")
            else datasets.make_multimodal_regression
        )
        X, y = maker(**SYNTHETIC_DESIGN, random_state=0)
        return X, y, name.split("-")[1], None, name
    if name == "synthetic-ablation":
        # Built to tell DSRSD's components apart: factors shared by every modality, private
        # factors of each that the target needs, and a dominant modality (scale 100, five
        # times the columns) that is mostly noise.
        X, y = datasets.make_multimodal_classification(**SYNTHETIC_ABLATION_DESIGN, random_state=0)
        return X, y, "classification", None, name
    if name in ("breast-cancer", "diabetes"):
        X, y, task = _bundled_views(name)
        return X, y, task, None, name
    raise ValueError(
        f"Unknown dataset {name!r}; known: oulad, oulad-final_result, "
        "oulad-dDAY, assistments2009, synthetic-classification, "
        "synthetic-regression, synthetic-ablation, breast-cancer, diabetes."
    )


def _bundled_views(name: str) -> tuple[ModalityDict, np.ndarray, str]:
    """A small real data set shipped with scikit-learn, split into the views it is made of.

    ``breast-cancer``: 569 tumours, benign or malignant; the mean, the standard error and
    the worst value over the cell nuclei of one image, each for the same ten
    measurements (views ``mean``, ``error``, ``worst``). ``diabetes``: 442 patients,
    disease progression after a year; ``clinical`` (age, sex, body mass index, blood
    pressure) and six blood ``serum`` measurements, unscaled.
    """
    from sklearn.datasets import load_breast_cancer, load_diabetes

    bunch = load_breast_cancer() if name == "breast-cancer" else load_diabetes(scaled=False)
    names = [str(feature) for feature in bunch.feature_names]
    if name == "breast-cancer":
        # Feature names read "mean radius", "radius error", "worst radius", ...
        views = {
            view: [i for i, feature in enumerate(names) if view in feature.split()]
            for view in ("mean", "error", "worst")
        }
        task = "classification"
    else:
        clinical = ("age", "sex", "bmi", "bp")
        views = {
            "clinical": [names.index(feature) for feature in clinical],
            "serum": [i for i, feature in enumerate(names) if feature not in clinical],
        }
        task = "regression"
    X = ModalityDict({view: bunch.data[:, columns] for view, columns in views.items()})
    return X, np.asarray(bunch.target), task


# NumPy's and scikit-learn's largest seed.
_MAX_SEED = 2**32 - 1


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse, with a usage error reported on one line (exit code 2) instead of the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(
        prog="python -m sklearn_dsrsd",
        description="Cross-validated comparison of DSRSD with baselines on multimodal data. "
        "Without arguments: OULAD early pass/fail prediction (day 60) on the extract shipped "
        "with the package, 3-fold CV grouped by student.",
    )
    source = parser.add_argument_group("data")
    source.add_argument(
        "--dataset",
        default="oulad",
        help="oulad (pass/fail), oulad-final_result (4 classes), with an "
        "optional -dDAY cut-off suffix (e.g. oulad-d120), "
        "assistments2009 (next-step task, published folds; reads "
        "DATA_DIR/knowledge_tracing, default DATA_DIR ../shared/data), "
        "synthetic-classification, synthetic-regression, synthetic-ablation "
        "(3 modalities: shared and private factors, a dominant noisy one), "
        "breast-cancer, diabetes (scikit-learn's data split into their views) "
        "(default: oulad)",
    )
    source.add_argument(
        "--data-dir",
        help="folder holding oulad/ with the official OULAD CSV files (default: the extract "
        "shipped with the package) or knowledge_tracing/assist2009_pid_long.csv.gz for "
        "--dataset assistments2009",
    )
    source.add_argument(
        "--presentations", nargs="+", help="OULAD presentations such as AAA_2013J (default: all)"
    )
    source.add_argument(
        "--views",
        nargs="+",
        metavar="CSV",
        help="your own data: one CSV per modality, aligned by row, with a "
        "header; the modality is named after the file",
    )
    source.add_argument(
        "--target-file", metavar="CSV", help="CSV holding the target (with --views)"
    )
    source.add_argument("--target-column", help="column of --target-file (default: the first)")
    source.add_argument(
        "--task",
        choices=["classification", "regression"],
        help="override the task inferred from the target (with --views)",
    )
    log = parser.add_argument_group(
        "next-step prediction on any long-format response log (one row per response)"
    )
    log.add_argument("--log", metavar="CSV", help="the response log")
    log.add_argument("--student", default="orig_user_id", help="student column")
    log.add_argument("--order", default="step", help="column ordering a student's responses")
    log.add_argument(
        "--item",
        help="item (problem) column (default: problem_idx when the "
        "log has it; a log without items, e.g. ASSISTments 2015, runs without "
        "the per-item features)",
    )
    log.add_argument(
        "--skill",
        help="skill column (default: skill_idx when the log has it; "
        "a log without skills, e.g. STATICS, runs without the per-skill "
        "features); a log needs an item or a skill column",
    )
    log.add_argument("--correct", default="correct", help="0/1 correctness column")
    log.add_argument(
        "--n-recent",
        type=int,
        default=10,
        help="responses in the 'recent' window of a next-step task (default 10; "
        "also for --dataset assistments2009)",
    )
    log.add_argument(
        "--sequence",
        action="store_true",
        help="give the 'recent' window as a 3-D sequence modality (n, steps, "
        "fields) for a temporal encoder instead of flat columns",
    )
    log.add_argument(
        "--skill-profile",
        action="store_true",
        help="add the modality 'skills': per skill, log1p of the student's earlier "
        "attempts and successes, and whether the response involves it (needs skills)",
    )
    log.add_argument(
        "--fold",
        help="column of given test-fold ids (0 = training only); "
        "default: grouped K-fold by student",
    )
    protocol = parser.add_argument_group("protocol")
    protocol.add_argument(
        "--cv",
        type=_at_least(2),
        help="number of folds, at least 2 (default 3); not with given folds",
    )
    protocol.add_argument(
        "--repeats",
        type=_at_least(1),
        help="CV repeats, at least 1 (default 1); not with given folds",
    )
    protocol.add_argument(
        "--models", nargs="+", help="subset of models to run (names as in the table)"
    )
    protocol.add_argument(
        "--seed",
        type=_at_least(0, _MAX_SEED),
        default=0,
        help=f"random seed, 0 to {_MAX_SEED} (default 0)",
    )
    protocol.add_argument(
        "--max-iter",
        type=int,
        default=100,
        help="epoch budget of every neural model (default 100; early "
        "stopping on a 10%% validation split)",
    )
    protocol.add_argument(
        "--batch-size",
        type=int,
        default=128,
        help="minibatch size of every neural model (default 128)",
    )
    protocol.add_argument(
        "--temporal-encoder",
        choices=["conv", "gru", "attention"],
        default="conv",
        help="DSRSD's encoder of sequence modalities (default conv)",
    )
    protocol.add_argument(
        "--class-weight",
        choices=["balanced"],
        help="DSRSD's class_weight (classification; default: none); "
        "results are written as NAME-dsrsd_balanced",
    )
    protocol.add_argument(
        "--seed-ensemble",
        type=_at_least(2),
        metavar="K",
        help="add the model 'DSRSD (K seeds)': the average of K one-network DSRSD models "
        "(n_networks=1) trained apart with seeds --seed ... --seed+K-1 (scikit-learn's soft "
        "voting), beside DSRSD's own n_networks average",
    )
    protocol.add_argument(
        "--n-networks",
        type=_at_least(1),
        metavar="N",
        help="add the model 'DSRSD (n_networks=N)': DSRSD averaging N networks instead of "
        "its default number, beside DSRSD",
    )
    protocol.add_argument(
        "--ablation",
        action="store_true",
        help="compare DSRSD with each of its components switched off instead of the baselines",
    )
    protocol.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per fit (default 1: the networks here are small, "
        "so more threads do not speed a fit up on an idle machine and slow "
        "it down many times on a busy one)",
    )
    protocol.add_argument(
        "--n-jobs",
        type=_at_least(1),
        default=1,
        help="fits run at once, each in a worker process with --threads torch "
        "threads (default 1); the scores do not depend on it, the fit times do",
    )
    protocol.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run in seconds: 2 folds (the first two of given folds), at most "
        "3 epochs per neural model; the scores are not meaningful",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--json", action="store_true", help="print the results as one JSON object on stdout"
    )
    output.add_argument(
        "--out-dir",
        help="write NAME.md, NAME.json and NAME.png there (NAME-ablation.* with --ablation)",
    )
    output.add_argument(
        "--update",
        action="store_true",
        help="with --out-dir: keep the other models' scores from an earlier "
        "NAME.json of the same protocol and replace only the models run now",
    )
    output.add_argument(
        "--resume",
        metavar="DIR",
        help="keep each fit's scores in DIR as it ends, and take them from there when the "
        "same command is run again (same settings and package source): a run of hours "
        "that was interrupted loses only the fits in progress",
    )
    output.add_argument(
        "--quiet", action="store_true", help="no loading message or progress bar on stderr"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a problem with the arguments or the data is one line, exit 2.

    A TypeError or KeyError raised while the models fit is a defect rather than bad input, so
    it surfaces as a RuntimeError with the full traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.views and not args.target_file:
        parser.error("--views needs --target-file")
    if args.views and args.log:
        parser.error("--views and --log are two data sources; give one")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1; got {args.threads}")
    for message in _ignored_options(args, _given_options(parser, argv)):
        parser.error(message)
    # The repeats' splits and the seed ensemble's members take the seeds after --seed.
    last_seed = args.seed + max((args.repeats or 1) - 1, (args.seed_ensemble or 1) - 1)
    if last_seed > _MAX_SEED:
        parser.error(
            f"--seed {args.seed} would seed up to {last_seed} (--seed + --repeats - 1 or "
            f"--seed + --seed-ensemble - 1), above the largest seed {_MAX_SEED}"
        )
    return report_bad_input(parser.prog, lambda: _run(args))


_NOT_GIVEN = object()


def _given_options(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> set[str]:
    """The destinations of the options on the command line, whatever their values.

    argparse sets a default only where the namespace lacks the attribute, so a namespace
    holding a marker for every option keeps the marker where an option was not given.
    """
    namespace = argparse.Namespace(
        **{action.dest: _NOT_GIVEN for action in parser._actions if action.dest != "help"}
    )
    parser.parse_args(argv, namespace=namespace)
    return {dest for dest, value in vars(namespace).items() if value is not _NOT_GIVEN}


def _ignored_options(args: argparse.Namespace, given: set[str]) -> list[str]:
    """Errors for the options on the command line that the chosen run would not read."""
    source = "--views" if args.views else "--log" if args.log else None
    if source and "dataset" in given:
        return [f"--dataset and {source} are two data sources; give one"]
    reads_data_dir = not source and (
        args.dataset.startswith("oulad") or args.dataset == "assistments2009"
    )
    kt = bool(args.log) or (not source and args.dataset == "assistments2009")
    rules = {
        "data_dir": ("--dataset oulad... and --dataset assistments2009", reads_data_dir),
        "presentations": ("an OULAD --dataset", not source and args.dataset.startswith("oulad")),
        "target_file": ("--views", bool(args.views)),
        "target_column": ("--views", bool(args.views)),
        "task": ("--views", bool(args.views)),
        **{
            name: ("--log", bool(args.log))
            for name in ("student", "order", "item", "skill", "correct", "fold")
        },
        "n_recent": ("--log or --dataset assistments2009", kt),
        "sequence": ("--log or --dataset assistments2009", kt),
        "skill_profile": ("--log or --dataset assistments2009", kt),
        "update": ("--out-dir", bool(args.out_dir)),
    }
    errors = [
        f"--{name.replace('_', '-')} applies to {applies_to}; it would be ignored here"
        for name, (applies_to, read) in rules.items()
        if not read and name in given
    ]
    return errors + _options_of_unselected_models(args, given)


def _options_of_unselected_models(args: argparse.Namespace, given: set[str]) -> list[str]:
    """Errors for the model options on the command line whose models --models leaves out.

    The options are set before --models filters the models; without this check their
    models would be dropped silently, and --class-weight would still name the protocol
    and the output files.
    """
    if not args.models:
        return []
    ensemble = [f"DSRSD ({args.seed_ensemble} seeds)"] if args.seed_ensemble else []
    networks = [f"DSRSD (n_networks={args.n_networks})"] if args.n_networks else []
    applies_to = {"seed_ensemble": ensemble, "n_networks": networks}
    if not args.ablation:  # every model of an ablation is a DSRSD model
        # The seed ensemble and the n_networks variant are clones of DSRSD, with its options.
        variants = ["DSRSD", *ensemble, *networks]
        applies_to.update(class_weight=variants, temporal_encoder=variants)
    return [
        f"--{option.replace('_', '-')} applies to the model(s) {models}, none of which "
        f"--models {args.models} selects; it would be ignored here"
        for option, models in applies_to.items()
        if option in given and not set(models) & set(args.models)
    ]


def report_bad_input(
    prog: str,
    run: Callable[[], int],
    errors: tuple[type[BaseException], ...] = (
        ValueError,
        TypeError,
        KeyError,
        OSError,
        ImportError,
    ),
) -> int:
    """``run()``, with a problem with the arguments or the data (``errors``) printed as one
    line on stderr and exit status 2, as argparse does for a bad option."""
    try:
        return run()
    except errors as exc:
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"{prog}: error: {message}".splitlines()[0], file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    import torch

    say = (
        (lambda message: None)
        if args.quiet
        else (lambda message: print(message, file=sys.stderr, flush=True))
    )
    from threadpoolctl import threadpool_limits

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        # The same limit for OpenMP/BLAS pools (gradient boosting, linear models): on a busy
        # machine an oversubscribed pool is many times slower than one thread.
        with threadpool_limits(limits=args.threads):
            return _compare_and_report(args, say)
    finally:
        torch.set_num_threads(previous_threads)


def _compare_and_report(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    fold_options = [f"--{name}" for name in ("cv", "repeats") if getattr(args, name) is not None]
    if args.quick:
        args.max_iter = min(args.max_iter, 3)
    args.cv = 2 if args.quick else args.cv or 3
    args.repeats = 1 if args.quick else args.repeats or 1
    say(f"Loading {_describe_source(args)} ...")
    start = time.perf_counter()
    task = _load_task(args)
    if task.folds is not None and fold_options:
        raise ValueError(
            f"{' and '.join(fold_options)} set the cross-validation folds, but {task.name} "
            "comes with its own test folds; leave them out."
        )
    X, y = task.X, task.y
    modality_names = list(X) if isinstance(X, Mapping) else []
    say(
        f"Loaded {task.name}: {len(y)} samples, {task.kind}"
        + (f", modalities {_describe_modalities(X)}" if modality_names else "")
        + f" ({time.perf_counter() - start:.1f} s)."
    )
    budget = dict(random_state=args.seed, max_iter=args.max_iter, batch_size=args.batch_size)
    if args.ablation:
        models = ablation_models(task.kind, **budget)
    else:
        models = default_models(task.kind, modality_names=modality_names, **budget)
    if args.class_weight and task.kind != "classification":
        raise ValueError(f"--class-weight applies to classification; {task.name} is {task.kind}.")
    dsrsd_options = {
        "temporal_encoder": args.temporal_encoder,
        **({"class_weight": args.class_weight} if args.class_weight else {}),
    }
    from ._dsrsd import _DSRSDBase

    for model in models.values():
        if isinstance(model, _DSRSDBase):  # DSRSD, and every variant of an ablation
            model.set_params(**dsrsd_options)
    if args.n_networks:
        reference = models["DSRSD" if "DSRSD" in models else "DSRSD (full)"]
        models[f"DSRSD (n_networks={args.n_networks})"] = clone(reference).set_params(
            n_networks=args.n_networks
        )
    if args.seed_ensemble:
        models[f"DSRSD ({args.seed_ensemble} seeds)"] = seed_ensemble(
            models["DSRSD" if "DSRSD" in models else "DSRSD (full)"],
            args.seed_ensemble,
            args.seed,
        )
    if args.models:
        unknown = sorted(set(args.models) - set(models))
        if unknown:
            raise ValueError(f"unknown models {unknown}; available: {list(models)}")
        models = {k: v for k, v in models.items() if k in args.models}
    if task.folds is not None:
        fold_ids = sorted(set(np.unique(task.folds).tolist()) - {0})
        splits = [
            (np.flatnonzero(task.folds != k), np.flatnonzero(task.folds == k)) for k in fold_ids
        ]
        if not fold_ids or any(len(train) == 0 for train, _ in splits):
            raise ValueError(
                f"The fold column must hold at least two fold ids (or one "
                f"besides 0 = training only); got {np.unique(task.folds)}."
            )
        if args.quick:  # a smoke run: the first two given folds
            fold_ids, splits = fold_ids[:2], splits[:2]
        protocol = (
            f"given folds {fold_ids} (train on the others' students, test on the "
            f"fold's), {len(y)} samples"
        )
        test_fraction = float(np.mean([len(test) / len(y) for _, test in splits]))
    else:
        splits = make_splits(
            y,
            task=task.kind,
            n_splits=args.cv,
            n_repeats=args.repeats,
            groups=task.groups,
            random_state=args.seed,
        )
        grouped = " grouped by student" if task.groups is not None else ""
        protocol = f"{args.repeats}x{args.cv}-fold CV{grouped}, {len(y)} samples"
        test_fraction = 1.0 / args.cv
    if task.group_early_stopping:
        # It changes the networks' scores: --update never merges rows of a row-wise split.
        protocol += "; the networks' early stopping holds out whole students"
    # Every setting that changes the scores is named, so that --update never merges rows
    # fitted under different ones; defaults are left out, as older result files did.
    defaults = build_parser().parse_args([])
    for option in ("seed", "max_iter", "batch_size"):
        if getattr(args, option) != getattr(defaults, option):
            protocol += f"; {option}={getattr(args, option)}"
    if not args.views and not args.log and args.dataset.startswith("oulad"):
        if args.presentations:
            protocol += f"; presentations {', '.join(sorted(set(args.presentations)))}"
        if args.data_dir:
            protocol += "; the official OULAD files of --data-dir"
    if task.protocol_note:
        protocol += f"; {task.protocol_note}"
    if args.temporal_encoder != "conv":
        protocol += f"; DSRSD temporal_encoder={args.temporal_encoder}"
    if args.class_weight:
        protocol += f"; DSRSD class_weight={args.class_weight}"
    name = (
        task.name.replace(":", "_").replace("/", "_")
        + (f"-dsrsd_{args.class_weight}" if args.class_weight else "")
        + ("-ablation" if args.ablation else "")
    )
    if args.out_dir:  # before the fits, which may take hours
        _check_out_dir(Path(args.out_dir), name, protocol, update=args.update)
    say(
        f"Fitting {len(models)} models x {len(splits)} folds ({protocol}; torch threads: "
        f"{args.threads})."
    )
    progress = None if args.quiet else Progress(len(models) * len(splits))
    try:
        result = compare(
            models,
            X,
            y,
            task=task.kind,
            splits=splits,
            dataset=task.name,
            protocol=protocol,
            prepare=task.prepare,
            log=progress,
            n_jobs=args.n_jobs,
            fit_params=task.fit_params,
            groups=task.groups if task.group_early_stopping else None,
            resume_dir=args.resume,
        )
    except ValueError:
        # Bad input found at fit time, e.g. scikit-learn's InvalidParameterError (a ValueError
        # and a TypeError) for --max-iter 0: main prints it as one line.
        raise
    except (TypeError, KeyError) as exc:
        # The arguments and the data were checked above, so these are defects, not bad
        # input: main must not shrink them to one line and drop the traceback.
        raise RuntimeError(
            f"{type(exc).__name__} while fitting the models (a defect: please report it "
            "with this traceback)"
        ) from exc
    result.timing = f"torch threads {args.threads}, {args.n_jobs} fit(s) at a time"
    if args.out_dir:
        _write_results(
            result, Path(args.out_dir), name, update=args.update, test_fraction=test_fraction
        )
    if args.json:
        print(json.dumps(result.to_json(test_fraction=test_fraction), allow_nan=False))
    else:
        print(result.to_markdown(test_fraction=test_fraction))
    return 0


def _describe_source(args: argparse.Namespace) -> str:
    if args.log:
        return f"response log {args.log}"
    if args.views:
        return f"views {', '.join(args.views)}"
    if args.dataset.startswith("oulad") and not args.data_dir:
        return f"{args.dataset} (OULAD extract shipped with the package)"
    return args.dataset


def _describe_modalities(X: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {tuple(np.shape(block)[1:])}" for name, block in X.items())


def _check_out_dir(out: Path, name: str, protocol: str, *, update: bool) -> None:
    """Refuse, before any fit, an output folder that cannot be written or updated."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=out):
        pass
    earlier = out / f"{name}.json"
    if update and earlier.exists():
        previous = _earlier_results(earlier)
        if previous["protocol"] != protocol:
            raise ValueError(
                f"{earlier} holds a different protocol "
                f"({previous['protocol']!r}); cannot update it."
            )


def _earlier_results(path: Path) -> dict[str, Any]:
    """The results file that --update merges into, with the keys the merge reads checked."""
    try:
        previous = json.loads(path.read_text())
    except ValueError as exc:  # not JSON, or not UTF-8
        problem = f"it is not JSON: {exc}"
    else:
        problem = None
        if not isinstance(previous, dict):
            problem = f"it holds a JSON {type(previous).__name__}, not an object"
        elif not isinstance(previous.get("protocol"), str):
            problem = "it has no 'protocol' string"
        elif not isinstance(previous.get("scores"), dict) or not all(
            isinstance(scores, dict) for scores in previous["scores"].values()
        ):
            problem = "its 'scores' are not an object of one object per model"
        elif not isinstance(previous.get("earlier_rows", []), list):
            problem = "its 'earlier_rows' are not a list"
    if problem:
        raise ValueError(
            f"{path} is not a results file of this harness ({problem}), so --update cannot "
            "merge into it; move it away or drop --update."
        )
    return previous


def _write_results(
    result: ComparisonResult, out: Path, name: str, *, update: bool, test_fraction: float
) -> None:
    _check_out_dir(out, name, result.protocol, update=update)
    earlier = out / f"{name}.json"
    if update and earlier.exists():
        previous = _earlier_results(earlier)
        result.earlier_rows = [
            model
            for model in dict.fromkeys([*previous.get("earlier_rows", []), *previous["scores"]])
            if model not in result.scores
        ]
        merged = {m: result.scores.get(m, s) for m, s in previous["scores"].items()}
        result.scores = {**merged, **result.scores}
    (out / f"{name}.md").write_text(result.to_markdown(test_fraction=test_fraction))
    (out / f"{name}.json").write_text(
        json.dumps(result.to_json(test_fraction=test_fraction), indent=1, allow_nan=False)
    )
    try:
        result.plot(out / f"{name}.png")
    except ImportError:
        print(
            "matplotlib is not installed: no plot written (pip install 'sklearn-dsrsd[plot]')",
            file=sys.stderr,
        )
