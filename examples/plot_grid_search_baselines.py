"""
==========================================
Grid search and cross-validated baselines
==========================================

The DSRSD estimators are ordinary scikit-learn estimators, so
:class:`~sklearn.model_selection.GridSearchCV` tunes them and
:func:`~sklearn.model_selection.cross_val_score` compares them with other models on the same
folds. This example compares, by 5-fold cross-validated ROC AUC on a small synthetic problem:

* :class:`~sklearn_dsrsd.DSRSDClassifier` tuned by an inner ``GridSearchCV`` over its
  ``alignment_weight`` (nested cross-validation, so that the tuning never sees the outer test
  fold);
* :class:`~sklearn_dsrsd.baselines.EarlyFusionClassifier`: one MLP on the concatenated blocks;
* :class:`~sklearn_dsrsd.baselines.LateFusionClassifier`: one network per modality, predictions
  averaged;
* :class:`~sklearn.ensemble.HistGradientBoostingClassifier` on the concatenated features, through
  ``EarlyFusionClassifier(estimator=...)``, which concatenates the blocks (and one presence
  indicator per modality) for any scikit-learn estimator.

The networks are tiny and train for a few epochs so that the example runs in seconds. The
scores vary with the data, the seeds and the budget: the printed numbers are what this run
measured, not a general ranking.
"""

# %%
# Data
# ----
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd.baselines import EarlyFusionClassifier, LateFusionClassifier
from sklearn_dsrsd.datasets import make_multimodal_classification

torch.set_num_threads(1)

X, y = make_multimodal_classification(
    n_samples=400, n_modalities=3, modality_scale=[1, 1, 100], missing_rate=0.1, random_state=0
)
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
small = dict(max_iter=15, hidden_size=16, random_state=0)

# %%
# A grid search over DSRSD's alignment weight, cross-validated
# ------------------------------------------------------------
#
# ``GridSearchCV`` is itself an estimator: inside ``cross_validate`` (or ``cross_val_score``) each
# outer training fold runs its own inner 3-fold search (nested cross-validation), so the tuning
# never sees the outer test fold. ``return_estimator=True`` keeps the fitted searches, whose
# ``best_params_`` and ``cv_results_`` we print.
search = GridSearchCV(
    DSRSDClassifier(code_size=8, **small),
    {"alignment_weight": [0.0, 0.1]},
    cv=3,
    scoring="roc_auc",
)
nested = cross_validate(search, X, y, cv=cv, scoring="roc_auc", return_estimator=True)
for fold, fitted in enumerate(nested["estimator"]):
    inner = np.round(fitted.cv_results_["mean_test_score"], 3).tolist()
    print(f"outer fold {fold}: inner scores {inner}, best {fitted.best_params_}")

# %%
# The baselines on the same outer folds, with ``cross_val_score``
# ---------------------------------------------------------------
baselines = {
    "EarlyFusion": EarlyFusionClassifier(**small),
    "LateFusion": LateFusionClassifier(**small),
    "HistGradientBoosting": EarlyFusionClassifier(
        estimator=HistGradientBoostingClassifier(max_iter=50, random_state=0)
    ),
}
scores = {"DSRSD (grid search)": nested["test_score"]}
for name, model in baselines.items():
    scores[name] = cross_val_score(model, X, y, cv=cv, scoring="roc_auc")
for name, folds in scores.items():
    print(
        f"{name:>22}: ROC AUC {folds.mean():.3f} +/- {folds.std():.3f}  "
        f"(folds: {np.round(folds, 3).tolist()})"
    )

# %%
# The measured scores
# -------------------
#
# Bars are the mean over the 5 outer folds, error bars their standard deviation, dots the folds.
names = list(scores)
means = [scores[name].mean() for name in names]
stds = [scores[name].std() for name in names]

fig, ax = plt.subplots(figsize=(8, 4))
positions = np.arange(len(names))
ax.bar(positions, means, yerr=stds, capsize=4, color="tab:blue", alpha=0.6)
for position, name in zip(positions, names, strict=True):
    ax.plot(np.full(len(scores[name]), position), scores[name], "k.", alpha=0.7)
ax.set_xticks(positions, names)
lowest = min(folds.min() for folds in scores.values())
ax.set_ylim(max(0.0, lowest - 0.05), 1.0)
ax.set(ylabel="ROC AUC (5-fold CV)", title="Cross-validated ROC AUC, as measured in this run")
fig.tight_layout()
plt.show()
