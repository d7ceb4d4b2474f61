"""How DSRSD's defaults were chosen: candidates scored on data that no benchmark evaluates on.

The comparison benchmarks use the four presentations of the shipped extract (AAA 2013J, AAA
2014J, BBB 2013B, BBB 2013J) and the synthetic designs drawn with ``random_state=0``. This
script scores candidate settings on every *other* presentation of the full OULAD (BBB 2014B
and 2014J, and modules CCC to GGG; their click log is absent from the shared copy, so the
click modality is left out), pass/fail at day 60, 3-fold CV grouped by student, and on the
three synthetic designs drawn with another seed, under the harness's training budget. Tuning
on the benchmarks' own test folds would not be fair. The ``oulad-missing`` task scores the
OULAD models with each subset of the modalities present at test, which is what modality
dropout is for and what the complete-data tasks cannot show. Every student of the real
knowledge-tracing log (ASSISTments 2009) is in one of its benchmark's test folds, so the
``kt-synthetic`` task builds the same next-step task on a simulated log
(``make_knowledge_tracing_log``) instead, and the ``kt-oulad`` task on a real log outside
every benchmark: the assessment results of the OULAD tuning presentations, each submitted
assessment a response. The ``-small`` tasks cross-validate 8 random draws of 450-500 rows of
the tuning data, for the size of the small benchmarks (breast cancer, diabetes).

Each result records the commit it was measured at; rows measured with older code are marked
in the table.

    python benchmarks/tune_defaults.py --data-dir ../shared/data [--threads 1]
    python benchmarks/tune_defaults.py --candidates "one network (n_networks=1)" "dropout 0.3"
    python benchmarks/tune_defaults.py --candidates none   # only re-write the table
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from functools import cache, partial
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
from missing_modalities import _present, modality_subsets
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer

from sklearn_dsrsd import ModalityDict, _modules
from sklearn_dsrsd._comparison import (
    SYNTHETIC_ABLATION_DESIGN,
    SYNTHETIC_DESIGN,
    _next_step_task,
    _score,
    default_models,
    groups_fit_params,
    machine_description,
    make_splits,
    seed_ensemble,
)
from sklearn_dsrsd._modules import DSRSDModule
from sklearn_dsrsd._training import MultimodalNet
from sklearn_dsrsd.datasets import (
    build_next_step_features,
    load_oulad,
    make_knowledge_tracing_log,
    make_multimodal_classification,
    make_multimodal_regression,
)

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK_PRESENTATIONS = {"AAA_2013J", "AAA_2014J", "BBB_2013B", "BBB_2013J"}
# Settings that several candidates combine: the three auxiliary weights 0, and the per-skill
# counts (the "skills" modality of the next-step tasks) left out of the periodic embedding.
NO_AUXILIARY_TERMS = {
    "alignment_weight": 0.0,
    "decorrelation_weight": 0.0,
    "orthogonality_weight": 0.0,
}
COUNTS_NOT_EMBEDDED = {"numerical_embedding": {"skills": "none"}}
CANDIDATES = {
    # The reference of the table of differences: one network, what the defaults trained
    # before n_networks existed (e61963f); those rows were measured as "current defaults".
    "one network (n_networks=1)": {"n_networks": 1},
    # The defaults: the row "seed ensemble of 5", their network average.
    "current defaults": {},
    "modality dropout 0.3": {"missing_strategy": "dropout", "missing_rate": 0.3},
    "previous defaults: auxiliary weights 0.1/0.01/0.1": {
        "alignment_weight": 0.1,
        "decorrelation_weight": 0.01,
        "orthogonality_weight": 0.1,
    },
    "auxiliary weights 0.01/0.001/0.01": {
        "alignment_weight": 0.01,
        "decorrelation_weight": 0.001,
        "orthogonality_weight": 0.01,
    },
    "auxiliary weights 0.2/0.02/0.2": {
        "alignment_weight": 0.2,
        "decorrelation_weight": 0.02,
        "orthogonality_weight": 0.2,
    },
    "auxiliary weights 0.5/0.05/0.5": {
        "alignment_weight": 0.5,
        "decorrelation_weight": 0.05,
        "orthogonality_weight": 0.5,
    },
    "auxiliary weights 1/0.1/1": {
        "alignment_weight": 1.0,
        "decorrelation_weight": 0.1,
        "orthogonality_weight": 1.0,
    },
    "alignment 0.3, decorrelation 0.01, orthogonality 0.1": {
        "alignment_weight": 0.3,
        "decorrelation_weight": 0.01,
        "orthogonality_weight": 0.1,
    },
    "dropout 0.3": {"dropout": 0.3},
    "code_size 16": {"code_size": 16},
    "modality dropout 0.3 + dropout 0.3": {
        "missing_strategy": "dropout",
        "missing_rate": 0.3,
        "dropout": 0.3,
    },
    "modality dropout 0.3 + auxiliary weights 0.01/0.001/0.01": {
        "missing_strategy": "dropout",
        "missing_rate": 0.3,
        "alignment_weight": 0.01,
        "decorrelation_weight": 0.001,
        "orthogonality_weight": 0.01,
    },
    "learning_rate adaptive": {"learning_rate": "adaptive"},
    "learning_rate cosine": {"learning_rate": "cosine"},
    "learning_rate_init 3e-3": {"learning_rate_init": 3e-3},
    "alpha 1e-2": {"alpha": 1e-2},
    "hidden_size 128": {"hidden_size": 128},
    "no auxiliary terms": NO_AUXILIARY_TERMS,
    "no decorrelation": {"decorrelation_weight": 0.0},
    "no orthogonality": {"orthogonality_weight": 0.0},
    "no modality dropout": {"missing_strategy": "none"},
    "concatenation fusion": {"fusion": "concat"},
    "gated concatenation fusion": {"fusion": "gated_concat"},
    "modality dropout 0.1": {"missing_rate": 0.1},
    # Code, not a parameter: gated_concat with the gate weights rescaled to average 1 over
    # the present modalities (DSRSDModule.rescale_gate_weights; not adopted).
    "gates rescaled to average 1": {"rescale_gate_weights": True},
    "no periodic embedding": {"numerical_embedding": "none"},
    # A linear map of each 2-D modality's standardised input added to the output, zero at
    # the start (linear_path=True; measured as a switch of DSRSDModule that built the same
    # network), against one network without it. Not adopted.
    "linear path, one network": {"linear_path": True, "n_networks": 1},
    # The same with five networks, against "seed ensemble of 5" (which has no linear path).
    "linear path": {"linear_path": True},
    "early stopping on the task loss": {"validate_on_task_loss": True},
    "weight averaging, decay 0.99": {"weight_average_decay": 0.99},
    "weight averaging, decay 0.999": {"weight_average_decay": 0.999},
    "temperature 0.05": {"temperature": 0.05},
    "temperature 0.2": {"temperature": 0.2},
    "n_iter_no_change 20": {"n_iter_no_change": 20},
    "dropout 0": {"dropout": 0.0},
    "learning_rate_init 5e-4": {"learning_rate_init": 5e-4},
    # Not the harness budget but what DSRSDClassifier() / DSRSDRegressor() trained with
    # before 6f088ea: no early stopping, batch_size 64, patience 10 (the harness stops early,
    # batches of 128, patience 8); then the same with early stopping, the default since.
    "former estimator defaults: no early stopping, batch_size 64": {
        "early_stopping": False,
        "batch_size": 64,
        "n_iter_no_change": 10,
    },
    "former estimator defaults + early stopping": {
        "early_stopping": True,
        "batch_size": 64,
        "n_iter_no_change": 10,
    },
    "hidden_size 32, code_size 16": {"hidden_size": 32, "code_size": 16},
    "validation_fraction 0.2": {"validation_fraction": 0.2},
    "batch_size 32": {"batch_size": 32},
    "alpha 1e-3": {"alpha": 1e-3},
    "no early stopping": {"early_stopping": False},
    "temporal_encoder gru": {"temporal_encoder": "gru"},
    "temporal_encoder attention": {"temporal_encoder": "attention"},
    # Code, not a parameter: a cheaper PeriodicEmbedding (its cost is the cosines and sines
    # of every frequency, and the width of what the modality's MLP then reads).
    "periodic embedding 8 frequencies, width 4": {
        "periodic_embedding": {"n_frequencies": 8, "width": 4}
    },
    "periodic embedding 8 frequencies, width 4 + modality dropout 0.1": {
        "periodic_embedding": {"n_frequencies": 8, "width": 4},
        "missing_rate": 0.1,
    },
    # Not a parameter: the model behind _ModalityQuantiles, the quantile transformation
    # that tabular deep learning benchmarks apply to numerical features before a network.
    "quantile-normal inputs": {"quantile_inputs": True},
    # Not a parameter: the average of 5 models of the defaults with seeds 0-4 (scikit-learn's
    # soft voting), for what ensembling would add at five times the cost.
    "seed ensemble of 5": {"seed_ensemble": 5},
    # The same with 3 seeds (0-2), for what a cheaper average keeps of the gain.
    "seed ensemble of 3": {"seed_ensemble": 3},
    # Not a parameter: fit's groups (the students), so that early stopping holds out whole
    # students; rows held out at random put a student's rows on both sides of the split.
    # Only on the tasks whose rows have students (the OULAD and kt- tasks).
    "one network, early stopping on whole students": {
        "n_networks": 1,
        "grouped_early_stopping": True,
    },
    # The same with the linear path: on the tasks with per-skill counts a logistic regression
    # scored above the network, and the linear path is a logistic regression beside it.
    "linear path, one network, early stopping on whole students": {
        "linear_path": True,
        "n_networks": 1,
        "grouped_early_stopping": True,
    },
    # The grouped network without the periodic embedding: on ASSISTments 2009 with the
    # per-skill counts (a diagnostic of one fold, not a tuning run) it scored higher. First
    # on every 2-D modality, then on the counts (the "skills" modality) alone; the second
    # only on the tasks that have that modality.
    "no periodic embedding, one network, early stopping on whole students": {
        "numerical_embedding": "none",
        "n_networks": 1,
        "grouped_early_stopping": True,
    },
    "counts without periodic embedding, one network, early stopping on whole students": {
        **COUNTS_NOT_EMBEDDED,
        "n_networks": 1,
        "grouped_early_stopping": True,
    },
    # The same diagnostic scored this one network higher without the auxiliary terms.
    "no auxiliary terms, one network, early stopping on whole students": {
        **NO_AUXILIARY_TERMS,
        "n_networks": 1,
        "grouped_early_stopping": True,
    },
    # The defaults (five networks) with whole students held out, and the two settings that
    # lifted the grouped network on ASSISTments 2009 with the per-skill counts (a diagnostic
    # on the benchmark's folds 1-2): a default rule for such a block needs them to win here.
    "five networks, early stopping on whole students": {"grouped_early_stopping": True},
    "five networks, no auxiliary terms, early stopping on whole students": {
        **NO_AUXILIARY_TERMS,
        "grouped_early_stopping": True,
    },
    "five networks, counts without periodic embedding, early stopping on whole students": {
        **COUNTS_NOT_EMBEDDED,
        "grouped_early_stopping": True,
    },
    "five networks, counts without periodic embedding, no auxiliary terms, "
    "early stopping on whole students": {
        **COUNTS_NOT_EMBEDDED,
        **NO_AUXILIARY_TERMS,
        "grouped_early_stopping": True,
    },
}
# Not candidates: the other models of the harness, for what a default has to reach. A row
# is left out on a task whose kind the model does not fit (LogisticRegression: regression;
# Ridge: classification) and on oulad-missing.
REFERENCES = {
    f"reference: {model}": model
    for model in (
        "HistGradientBoosting",
        "LogisticRegression",
        "Ridge",
        "EarlyFusion",
        "LateFusion",
        "CoAttention",
    )
}
# Every row of the tables, in their order.
ROWS = (*CANDIDATES, *REFERENCES)
TASKS = (
    "oulad",
    "oulad-missing",
    "oulad-d120",
    "oulad-final_result",
    "oulad-score",
    "oulad-exam",
    "synthetic",
    "synthetic-regression",
    "synthetic-classification",
    "kt-synthetic",
    "kt-oulad",
    "kt-synthetic-skill_profile",
    "kt-oulad-skill_profile",
    "oulad-small",
    "oulad-exam-small",
    "synthetic-regression-small",
    "synthetic-classification-small",
)
REGRESSION_TASKS = {
    "oulad-score",
    "oulad-exam",
    "oulad-exam-small",
    "synthetic-regression",
    "synthetic-regression-small",
}
DESCRIPTIONS = {
    "oulad": "OULAD pass/fail at day 60 on the 18 presentations no benchmark evaluates on "
    "(modalities demographics/registration/assessments), 3-fold CV grouped by student; ROC-AUC",
    "oulad-missing": "the oulad task's models scored with each non-empty subset of the three "
    "modalities present at test (the others missing), as missing_modalities.py does; ROC-AUC "
    "averaged over the 7 subsets",
    "oulad-d120": "the oulad task's presentations at day 120, 3-fold CV grouped by student; "
    "ROC-AUC",
    "oulad-final_result": "the oulad task's presentations, the 4-class final result at day 60, "
    "3-fold CV grouped by student; ROC-AUC (one-vs-rest)",
    "oulad-score": "the oulad task's registrations with a score after day 60: the mean score "
    "(0-100) of their TMA and CMA assessments due after day 60 (banked results left out), "
    "predicted from what is known at day 60, 2x3-fold CV grouped by student; R²",
    "oulad-exam": "the oulad task's registrations with a final exam score (modules CCC and "
    "DDD): the mean of their exam scores (0-100), predicted from what is known at day 60, "
    "3x3-fold CV grouped by student; R²",
    "oulad-small": "small data: 8 random draws of 500 of the oulad task's registrations "
    "(the size of the breast-cancer benchmark), each 5-fold CV grouped by student; ROC-AUC "
    "over the 40 folds",
    "oulad-exam-small": "small data: 8 random draws of 450 of the oulad-exam task's "
    "registrations (the size of the diabetes benchmark), each 5-fold CV grouped by student; "
    "R² over the 40 folds",
    "synthetic-regression-small": "small data: 8 random draws of 500 rows of the "
    "synthetic-regression design drawn with 4000 rows and random_state=1, each 5-fold CV; R² "
    "over the 40 folds",
    "synthetic-classification-small": "small data: 8 random draws of 500 rows of the "
    "synthetic-classification design drawn with 4000 rows and random_state=1, each 5-fold "
    "stratified CV; ROC-AUC over the 40 folds",
    "synthetic": "the synthetic-ablation design drawn with random_state=1 (the benchmark uses "
    "0), 5-fold stratified CV; ROC-AUC",
    "synthetic-regression": "the synthetic-regression design drawn with random_state=1 (the "
    "benchmark uses 0), 5-fold CV; R²",
    "synthetic-classification": "the synthetic-classification design drawn with "
    "random_state=1 (the benchmark uses 0), 5-fold stratified CV; ROC-AUC",
    "kt-oulad": "next-assessment result, a real response log outside every benchmark: the "
    "assessments (TMA, CMA, exam; banked results left out) submitted by 5,000 random students "
    "of the oulad task's presentations, each a response, correct when scored 70 or more (70% "
    "are; ASSISTments 66%), in order of submission (days since the presentation's start, "
    "placed on one calendar: B presentations start in February, J in October); item = the "
    "assessment, skill = module and assessment type; built as the ASSISTments benchmark is "
    "(recent window of 10 as a sequence, ids target-encoded in each training fold, "
    "cross-fitted there by student), 3-fold CV grouped by student; ROC-AUC",
    "kt-synthetic": "next-response correctness on a simulated skill-builder log "
    "(make_knowledge_tracing_log, 1000 students, random_state=1), built as the ASSISTments "
    "benchmark is (recent window of 10 as a sequence, ids target-encoded in each training "
    "fold; cross-fitted there by student from 1e97e75 on, by row in the rows measured "
    "before), 3-fold CV grouped by student; ROC-AUC",
    "kt-oulad-skill_profile": "the kt-oulad task with the modality 'skills' of "
    "build_next_step_features(skill_profile=True): per skill (13), log1p of the student's "
    "earlier attempts and successes and whether the response involves it; ROC-AUC",
    "kt-synthetic-skill_profile": "the kt-synthetic task with the modality 'skills' "
    "(skill_profile=True; 20 skills); ROC-AUC",
}


# Code, not parameters: a switch names the class attribute it sets for the candidate's fits.
_ATTRIBUTE_SWITCHES = {
    "rescale_gate_weights": DSRSDModule,
    "validate_on_task_loss": MultimodalNet,
    "weight_average_decay": MultimodalNet,
}


class _ModalityQuantiles(TransformerMixin, BaseEstimator):
    """Map each non-binary column of each 2-D modality to normal scores by its quantiles.

    Heavy-tailed counts (clicks, attempts) and skewed scores reach the network's
    standardisation as ranks, which a tree ignores but a network's first layer does not.
    NaNs (missing modalities) and absent modalities (None) pass through.
    """

    def fit(self, X, y=None):
        self.transformers_ = {}
        for name, block in X.items():
            if block is None or np.ndim(block) != 2:
                continue
            block = np.asarray(block, dtype=np.float64)
            n_values = [np.unique(column[~np.isnan(column)]).size for column in block.T]
            columns = np.flatnonzero(np.asarray(n_values) > 2)
            if columns.size:
                quantiles = QuantileTransformer(
                    n_quantiles=min(1000, len(block)),
                    output_distribution="normal",
                    random_state=0,
                )
                self.transformers_[name] = (columns, quantiles.fit(block[:, columns]))
        return self

    def transform(self, X):
        blocks = {}
        for name, block in X.items():
            if name in self.transformers_ and block is not None:
                columns, quantiles = self.transformers_[name]
                block = np.array(block, dtype=np.float64)
                block[:, columns] = quantiles.transform(block[:, columns])
            blocks[name] = block
        return ModalityDict(blocks)


@contextmanager
def _code_switches(params: dict):
    """Apply the code switches among ``params``; the rest are estimator parameters.

    The fits run in this process, so patching the module for their duration is enough.
    """
    with ExitStack() as patches:
        for name, owner in _ATTRIBUTE_SWITCHES.items():
            if name in params:
                patches.enter_context(patch.object(owner, name, params[name]))
        if "periodic_embedding" in params:
            embedding = partial(_modules.PeriodicEmbedding, **params["periodic_embedding"])
            patches.enter_context(patch.object(_modules, "PeriodicEmbedding", embedding))
        switches = {
            *_ATTRIBUTE_SWITCHES,
            "periodic_embedding",
            "quantile_inputs",
            "seed_ensemble",
            "grouped_early_stopping",
        }
        yield {key: value for key, value in params.items() if key not in switches}


def _score_over_modality_subsets(kind: str, model, X: ModalityDict, y: np.ndarray) -> dict:
    """ROC-AUC with each subset of the modalities present at test, and its mean over subsets.

    How much of the accuracy survives a missing modality: modality dropout trades some
    accuracy on complete rows for this, which the other tuning tasks do not measure.
    """
    names = list(X)
    scores = {}
    for subset in modality_subsets(names):
        # Rows whose kept modalities are all missing in the data cannot be predicted.
        rows = np.any([_present(X[name]) for name in subset], axis=0)
        kept = ModalityDict({name: X[name][rows] if name in subset else None for name in names})
        scores["roc_auc " + "+".join(subset)] = _score(kind, model, kept, y[rows])["roc_auc"]
    return {"roc_auc": float(np.mean(list(scores.values()))), **scores}


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def _commit() -> str:
    try:
        done = _git("rev-parse", "--short", "HEAD")
    except OSError:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


@cache
def _same_package_code(measured: str | None, other: str | None = None) -> bool:
    """Whether the package at commit ``measured`` is that of commit ``other``.

    ``other=None`` is the working tree. A result stays current across commits that change
    only scripts or docs. Cached: the tables ask once per cell.
    """
    if measured in (None, "older", "unknown") or other in ("older", "unknown"):
        return False
    commits = [measured] if other is None else [measured, other]
    try:
        return _git("diff", "--quiet", *commits, "--", "sklearn_dsrsd").returncode == 0
    except OSError:
        return False


def _oulad_tuning_data(
    data_dir: Path, cutoff_day: int, target: str, small: int | None = None
) -> tuple:
    """(X, y, splits, groups) of the OULAD presentations no benchmark evaluates on, without
    clicks."""
    everything = load_oulad(
        data_dir / "oulad", cutoff_day=cutoff_day, target=target, clickstream="flat"
    )
    return _tuning_rows(
        everything, np.asarray(everything.target), "classification", 1, small=small
    )


def _tuning_rows(
    everything,
    y: np.ndarray,
    task: str,
    n_repeats: int,
    labelled: np.ndarray | bool = True,
    small: int | None = None,
) -> tuple:
    """(X, y, splits, groups) of ``everything``'s ``labelled`` rows outside the benchmark
    presentations, without clicks; 3-fold CV grouped by student, ``n_repeats`` times.

    With ``small``: instead, :data:`SMALL_DRAWS` random draws of ``small`` of those rows,
    each cross-validated with 5 folds grouped by student, stacked (a row may sit in several
    draws; a split never leaves its draw).
    """
    keep = ~np.isin(everything.presentation, list(BENCHMARK_PRESENTATIONS)) & labelled
    blocks = {name: block for name, block in everything.data.items() if name != "clicks"}
    X = ModalityDict(blocks)[keep]
    groups = np.asarray(everything.groups)[keep]
    if small is None:
        splits = make_splits(y[keep], task=task, n_splits=3, n_repeats=n_repeats, groups=groups)
        return X, y[keep], splits, groups
    return _small_draws(X, y[keep], groups, task, small)


# Small-data tasks: the size of the breast-cancer and diabetes benchmarks, where DSRSD trails
# linear models; several draws, since one draw of a few hundred rows is mostly noise.
SMALL_DRAWS = 8


def _small_draws(
    X: ModalityDict, y: np.ndarray, groups: np.ndarray | None, task: str, size: int
) -> tuple:
    rng = np.random.RandomState(0)
    rows, splits = [], []
    for _ in range(SMALL_DRAWS):
        drawn = np.sort(rng.choice(len(y), size=size, replace=False))
        offset = sum(len(r) for r in rows)
        for train, test in make_splits(
            y[drawn],
            task=task,
            n_splits=5,
            n_repeats=1,
            groups=None if groups is None else groups[drawn],
        ):
            splits.append((train + offset, test + offset))
        rows.append(drawn)
    stacked = np.concatenate(rows)
    return X[stacked], y[stacked], splits, None if groups is None else groups[stacked]


def _assessment_results(data_dir: Path) -> Any:
    """Every submitted OULAD assessment result with its assessment's details."""
    import pandas as pd

    assessments = pd.read_csv(data_dir / "oulad" / "assessments.csv")
    submitted = pd.read_csv(data_dir / "oulad" / "studentAssessment.csv", na_values="?")
    return submitted.merge(assessments, on="id_assessment")


def _oulad_later_score_data(
    data_dir: Path, cutoff_day: int, *, exam: bool = False, small: int | None = None
) -> tuple:
    """(X, y, splits): each tuning registration's mean score on the assessments due later.

    Regression tasks on real data, beside the synthetic one: the mean score of the TMA and
    CMA assessments due after ``cutoff_day`` (banked results were earned in an earlier
    presentation) or, with ``exam=True``, of the final exams (which have no due date in
    some modules), for the registrations that have one, from the day-``cutoff_day``
    modalities of the ``oulad`` task.
    """
    import pandas as pd

    everything = load_oulad(
        data_dir / "oulad", cutoff_day=cutoff_day, target="pass", clickstream="flat"
    )
    later = _assessment_results(data_dir)
    if exam:
        later = later[later["assessment_type"] == "Exam"]
    else:
        later = later[
            (later["date"] > cutoff_day)
            & later["assessment_type"].isin(["TMA", "CMA"])
            & (later["is_banked"] == 0)
        ]
    presentation = later["code_module"] + "_" + later["code_presentation"]
    mean_score = later.groupby([presentation, later["id_student"]])["score"].mean()
    rows = pd.MultiIndex.from_arrays(
        [np.asarray(everything.presentation, dtype=object), np.asarray(everything.groups)]
    )
    y = mean_score.reindex(rows).to_numpy(np.float64)
    # Repeats: one 3-fold split of these tasks leaves differences between candidates
    # within the spread of a single fold (the exam task has a quarter of the rows).
    n_repeats = 3 if exam else 2
    return _tuning_rows(everything, y, "regression", n_repeats, labelled=~np.isnan(y), small=small)


KT_OULAD_STUDENTS = 5000
# Days from January 1 to the start of a presentation: OULAD's "B" presentations start in
# February and "J" ones in October (dates in the data count from each one's start).
_PRESENTATION_START = {"B": 31, "J": 273}


def _oulad_assessment_log(data_dir: Path) -> Any:
    """The assessment results of the OULAD presentations no benchmark evaluates on, as a
    response log of :data:`KT_OULAD_STUDENTS` random students (columns ``student``,
    ``step``, ``item``, ``skill``, ``correct``).

    A real log for the next-step task outside its benchmark: every ASSISTments 2009
    student is in one of that benchmark's test folds.
    """
    import pandas as pd

    log = _assessment_results(data_dir)
    presentation = log["code_module"] + "_" + log["code_presentation"]
    log = log[
        ~presentation.isin(BENCHMARK_PRESENTATIONS)
        & (log["is_banked"] == 0)
        & log["score"].notna()
    ]
    rng = np.random.RandomState(0)
    students = rng.choice(np.unique(log["id_student"]), KT_OULAD_STUDENTS, replace=False)
    log = log[log["id_student"].isin(students)]
    year = log["code_presentation"].str[:4].astype(int)
    start = log["code_presentation"].str[4].map(_PRESENTATION_START)
    log = log.assign(day=(year - year.min()) * 365 + start + log["date_submitted"])
    # Same-day submissions in the order they were due.
    log = log.sort_values(["id_student", "day", "date", "id_assessment"], kind="stable")
    return pd.DataFrame(
        {
            "student": log["id_student"].to_numpy(),
            "step": log.groupby("id_student").cumcount().to_numpy(),
            "item": log["id_assessment"].to_numpy(),
            "skill": (log["code_module"] + "_" + log["assessment_type"]).to_numpy(),
            "correct": (log["score"] >= 70).astype(int).to_numpy(),
        }
    )


def _tasks(data_dir: Path, which: list[str]) -> list:
    """(X, y, splits, groups, scorers, prepare, fit_params) of each data set to fit on; no
    benchmark uses them.

    ``scorers`` maps each requested task on that data to its scoring function, so that
    ``oulad`` and ``oulad-missing`` score the same fitted models instead of fitting twice.
    ``prepare`` wraps a model in the steps the task needs before it (None: none), and
    ``fit_params`` holds per-sample parameters of the prepared model's ``fit``. ``groups``
    (the student of each row, or None) are for the candidates whose early stopping holds
    out whole students.
    """
    fits = []
    oulad_scorers = {
        task: scorer
        for task, scorer in (("oulad", _score), ("oulad-missing", _score_over_modality_subsets))
        if task in which
    }
    if oulad_scorers:
        fits.append((*_oulad_tuning_data(data_dir, 60, "pass"), oulad_scorers, None, {}))
    for task, cutoff_day, target in (
        ("oulad-d120", 120, "pass"),
        ("oulad-final_result", 60, "final_result"),
    ):
        if task in which:
            fits.append(
                (*_oulad_tuning_data(data_dir, cutoff_day, target), {task: _score}, None, {})
            )
    for task, exam in (("oulad-score", False), ("oulad-exam", True)):
        if task in which:
            fits.append(
                (*_oulad_later_score_data(data_dir, 60, exam=exam), {task: _score}, None, {})
            )
    if "oulad-small" in which:
        fits.append(
            (
                *_oulad_tuning_data(data_dir, 60, "pass", small=500),
                {"oulad-small": _score},
                None,
                {},
            )
        )
    if "oulad-exam-small" in which:
        data = _oulad_later_score_data(data_dir, 60, exam=True, small=450)
        fits.append((*data, {"oulad-exam-small": _score}, None, {}))
    if "synthetic" in which:
        # The design of the synthetic-ablation benchmark, drawn with another seed.
        X, y = make_multimodal_classification(**SYNTHETIC_ABLATION_DESIGN, random_state=1)
        splits = make_splits(y, task="classification", n_splits=5, n_repeats=1)
        fits.append((ModalityDict(X), y, splits, None, {"synthetic": _score}, None, {}))
    for kind, maker in (
        ("regression", make_multimodal_regression),
        ("classification", make_multimodal_classification),
    ):
        if f"synthetic-{kind}" in which:
            # The design of the synthetic-classification/-regression benchmarks, another seed.
            X, y = maker(**SYNTHETIC_DESIGN, random_state=1)
            splits = make_splits(y, task=kind, n_splits=5, n_repeats=1)
            fits.append(
                (ModalityDict(X), y, splits, None, {f"synthetic-{kind}": _score}, None, {})
            )
    for kind, maker in (
        ("regression", make_multimodal_regression),
        ("classification", make_multimodal_classification),
    ):
        if f"synthetic-{kind}-small" in which:
            # The same designs at the size of the small real benchmarks: draws of 500 rows
            # from 4000 drawn with another seed.
            X, y = maker(**{**SYNTHETIC_DESIGN, "n_samples": 4000}, random_state=1)
            data = _small_draws(ModalityDict(X), y, None, kind, 500)
            fits.append((*data, {f"synthetic-{kind}-small": _score}, None, {}))
    # As the ASSISTments benchmark builds its task (compare.py --sequence, and with
    # --skill-profile for the "-skill_profile" tasks), on a real log outside every benchmark
    # and on a log simulated for the purpose.
    for name, skill_profile in (
        ("kt-oulad", False),
        ("kt-oulad-skill_profile", True),
        ("kt-synthetic", False),
        ("kt-synthetic-skill_profile", True),
    ):
        if name not in which:
            continue
        if name.startswith("kt-oulad"):
            columns = dict(student="student", order="step", item="item", skill="skill")
            log = _oulad_assessment_log(data_dir)
        else:
            columns = {}
            log = make_knowledge_tracing_log(n_students=1000, random_state=1)
        bunch = build_next_step_features(
            log, sequence=True, skill_profile=skill_profile, **columns
        )
        task = _next_step_task(bunch, name, None, seed=0)
        splits = make_splits(
            task.y, task="classification", n_splits=3, n_repeats=1, groups=task.groups
        )
        fits.append(
            (task.X, task.y, splits, task.groups, {name: _score}, task.prepare, task.fit_params)
        )
    return fits


def report_progress(task: str, row: str, scores: dict) -> None:
    """One line on stderr: the mean of each metric's fold scores of a finished row."""
    means = {metric: round(float(np.mean(folds)), 4) for metric, folds in scores.items()}
    print(task, row, means, file=sys.stderr, flush=True)


def write_results(out: Path, stem: str, lines: list[str], data: dict) -> None:
    """Write ``stem``.md (the table ``lines``) and ``stem``.json (``data``); print the table."""
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1))
    print("\n".join(lines))


def _paired_differences(scores: dict) -> list[str]:
    """Markdown lines: each candidate minus one network (the defaults before n_networks).

    Every candidate is scored on the same folds as the defaults, so the per-fold difference
    removes what the folds share (one fold's students are harder for every candidate); its
    spread is what decides whether a gain is more than noise, not the folds' spread of each
    row in the table above. A mark (†) flags a pair measured with different package code.
    """
    reference = "one network (n_networks=1)"
    lines = [
        "",
        "Difference from one network (n_networks=1, the defaults before n_networks existed) "
        "on the same folds: mean ± standard deviation of the per-fold differences, and in how "
        "many folds the candidate scored higher; a mark (†) flags a difference between results "
        "measured with different package code.",
        "",
        "| candidate | " + " | ".join(scores) + " |",
        "|---|" + "---|" * len(scores),
    ]
    for name in ROWS:
        if name == reference or not any(name in scores[task] for task in scores):
            continue
        cells = []
        for task in scores:
            entry, base = scores[task].get(name), scores[task].get(reference)
            metric = "r2" if base and "r2" in base else "roc_auc"
            if entry is None or base is None or len(entry[metric]) != len(base[metric]):
                cells.append("")
                continue
            difference = np.asarray(entry[metric]) - np.asarray(base[metric])
            mark = "" if _same_package_code(entry.get("commit"), base.get("commit")) else " †"
            cells.append(
                f"{difference.mean():+.4f} ± {difference.std(ddof=1):.4f} "
                f"({int((difference > 0).sum())}/{difference.size}){mark}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--threads", type=int)
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument(
        "--candidates",
        nargs="+",
        help="run only these (merged into the existing tune_defaults.json)",
    )
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    run = [name for name in ROWS if not args.candidates or name in args.candidates]
    fits = _tasks(Path(args.data_dir), args.tasks) if run else []
    out = Path(args.out_dir)
    previous = out / "tune_defaults.json"
    scores = json.loads(previous.read_text()) if args.candidates and previous.exists() else {}
    commit = _commit()
    for X, y, splits, groups, scorers, prepare, fit_params in fits:
        kind = "regression" if set(scorers) & REGRESSION_TASKS else "classification"
        models = default_models(kind)
        for name in run:
            base = models.get(REFERENCES.get(name, "DSRSD"))
            # The references read the concatenated blocks, so they cannot be scored with
            # modalities missing at test (oulad-missing).
            task_scorers = {
                task: score
                for task, score in scorers.items()
                if name not in REFERENCES or score is _score
            }
            grouped = CANDIDATES.get(name, {}).get("grouped_early_stopping", False)
            embeddings = CANDIDATES.get(name, {}).get("numerical_embedding")
            # A candidate that names modalities applies only to the tasks that have them.
            absent = isinstance(embeddings, dict) and not set(embeddings) <= set(X)
            if base is None or not task_scorers or (grouped and groups is None) or absent:
                continue
            folds = {task: [] for task in task_scorers}
            with _code_switches(CANDIDATES.get(name, {})) as params:
                for train, test in splits:
                    model = clone(base).set_params(**params)
                    if CANDIDATES.get(name, {}).get("quantile_inputs"):
                        model = make_pipeline(_ModalityQuantiles(), model)
                    if n_members := CANDIDATES.get(name, {}).get("seed_ensemble"):
                        model = seed_ensemble(model, n_members, seed=0)
                    model = prepare(model) if prepare else model
                    train_params = {k: v[train] for k, v in fit_params.items()}
                    if grouped:
                        train_params.update(groups_fit_params(model, groups[train]))
                    model.fit(X[train], y[train], **train_params)
                    for task, score in task_scorers.items():
                        folds[task].append(score(kind, model, X[test], y[test]))
            for task, task_folds in folds.items():
                result = {m: [f[m] for f in task_folds] for m in task_folds[0]}
                scores.setdefault(task, {})[name] = {**result, "commit": commit}
                report_progress(task, name, result)
    # Deterministic column order whatever order the JSON was written in.
    scores = {task: scores[task] for task in TASKS if task in scores}
    lines = [
        "DSRSD candidate settings (mean ± std over folds) on data no benchmark evaluates on, "
        "under the harness budget (early stopping, max_iter=100, batch_size=128). "
        f"Machine: {machine_description()}. Rows are measured at the commit named in their "
        f"last column; a mark (†) flags a result measured with package code (sklearn_dsrsd/) "
        f"other than {commit}'s. Candidates measured before c257423 changed only the setting "
        "they name from the defaults of their time, whose auxiliary weights were 0.1/0.01/0.1 "
        "(alignment/decorrelation/orthogonality) instead of 0.3/0.03/0.3. Rows named "
        "'reference: ...' are not candidates but the harness's other models on the same folds, "
        "for what a default has to reach. The defaults average five networks "
        "(n_networks='auto'; from e61963f in a fit on fewer than 10,000 rows, in every fit since "
        "2026-12-05), and a network of that average is the one-network model of its seed, so "
        "the current defaults are the row 'seed ensemble of 5'.",
        "",
        *[f"- {task}: {DESCRIPTIONS[task]}." for task in scores],
        "",
        "| candidate | " + " | ".join(scores) + " | commit |",
        "|---|" + "---|" * (len(scores) + 1),
    ]
    for name in ROWS:
        if not any(name in scores[task] for task in scores):
            continue
        cells, commits = [], set()
        for task in scores:
            if name not in scores[task]:
                cells.append("")
                continue
            entry = scores[task][name]
            metric = "r2" if "r2" in entry else "roc_auc"
            measured = entry.get("commit", "older")
            commits.add(measured)
            mark = "" if _same_package_code(measured) else " †"
            cells.append(f"{np.mean(entry[metric]):.4f} ± {np.std(entry[metric]):.4f}{mark}")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {', '.join(sorted(commits))} |")
    lines += _paired_differences(scores)
    # A note given on any task's entry applies to the candidate; entries without one keep it.
    notes = {
        name: entry["note"]
        for task in scores
        for name, entry in scores[task].items()
        if entry.get("note")
    }
    lines += ["", *[f"{name}: {note}" for name, note in notes.items()]]
    write_results(out, "tune_defaults", lines, scores)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
