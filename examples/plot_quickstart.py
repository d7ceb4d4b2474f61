"""
==========
Quickstart
==========

Fit a :class:`~sklearn_dsrsd.DSRSDClassifier` on a dictionary of modalities, score it, read its
class probabilities and its per-sample modality weights.

The data come from :func:`~sklearn_dsrsd.datasets.make_multimodal_classification`: three
modalities (``m0``, ``m1``, ``m2``) observe shared and private latent factors, the class depends on
all of them, and ``m2`` is measured in units 100 times larger than the others. 10 % of the
samples lack some modality (all of its values are NaN).

The network is tiny and trains for a few epochs so that the example runs in seconds; real use
needs the defaults or more.
"""

# %%
# Data: a ``ModalityDict`` of three blocks
# ----------------------------------------
#
# A :class:`~sklearn_dsrsd.ModalityDict` is a ``dict`` of blocks that scikit-learn can split by
# rows, so ``train_test_split`` and cross-validation work on it directly.
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd.datasets import make_multimodal_classification

# Small networks train fastest on one thread.
torch.set_num_threads(1)

X, y = make_multimodal_classification(
    n_samples=800, n_modalities=3, modality_scale=[1, 1, 100], missing_rate=0.1, random_state=0
)
print(type(X).__name__, {name: block.shape for name, block in X.items()})
print(
    "samples lacking each modality:",
    {name: int(np.isnan(b).all(axis=1).sum()) for name, b in X.items()},
)

X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

# %%
# Fit and score
# -------------
#
# Each modality is standardised inside the estimator with training statistics, so ``m2``'s large
# units need no preprocessing.
clf = DSRSDClassifier(max_iter=30, hidden_size=32, code_size=8, random_state=0)
clf.fit(X_train, y_train)
print("modalities_:", clf.modalities_)
print("epochs run:", clf.n_iter_)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Class probabilities
# -------------------
#
# Columns follow ``clf.classes_``.
proba = clf.predict_proba(X_test)
print("classes_:", clf.classes_)
print(proba[:5].round(3))

# %%
# Modality weights
# ----------------
#
# ``modality_weights`` returns, for each sample, the fusion weight of each modality: 0 for a
# modality the sample lacks, summing to 1 over the modalities present. Columns follow
# ``modalities_``.
weights = clf.modality_weights(X_test)
print(weights[:5].round(3))
print("rows sum to 1:", np.allclose(weights.sum(axis=1), 1.0))

# %%
# The training loss per epoch (``loss_curve_``) and the distribution of each modality's weight
# over the test samples (samples lacking the modality left out).
names = list(clf.modalities_)
present = [~np.isnan(X_test[name]).all(axis=1) for name in names]

fig, (ax_loss, ax_weights) = plt.subplots(1, 2, figsize=(10, 4))
ax_loss.plot(np.arange(1, len(clf.loss_curve_) + 1), clf.loss_curve_, marker="o")
ax_loss.set(xlabel="epoch", ylabel="training loss", title="loss_curve_")
ax_weights.boxplot([weights[mask, j] for j, mask in enumerate(present)])
ax_weights.set_xticks(np.arange(1, len(names) + 1), names)
ax_weights.set(ylabel="modality weight", title="modality_weights on the test set")
fig.tight_layout()
plt.show()

# %%
# A whole modality missing at prediction time
# -------------------------------------------
#
# Leave its key out (or set it to ``None``): the estimator predicts from the modalities given.
# Samples that also lack every other modality cannot be predicted, so they are left out here.
keep = ~np.isnan(X_test["m0"]).all(axis=1) | ~np.isnan(X_test["m1"]).all(axis=1)
without_m2 = {"m0": X_test["m0"][keep], "m1": X_test["m1"][keep]}
accuracy = np.mean(clf.predict(without_m2) == y_test[keep])
print(f"accuracy without m2 on {keep.sum()} samples: {accuracy:.3f}")
