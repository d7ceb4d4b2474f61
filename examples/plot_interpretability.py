"""
=====================================
Which modality drives the predictions
=====================================

Every estimator of the package returns per-sample fusion weights with
``modality_weights(X)``: one column per modality, 0 for the modalities a sample lacks, summing to
1 over the present ones. In DSRSD they are the gates of the fusion layer.
:class:`~sklearn_dsrsd.inspection.ModalityWeightsDisplay` plots them, as box plots or bars,
optionally split by the true or the predicted class.

The data have three modalities. ``m0`` and ``m1`` observe the latent factors of the target;
``m2`` is pure noise (all of its columns), and its values are 100 times larger. Whether, and
how far, the fitted gates turn away from ``m2`` depends on the data and the training budget
(tiny here): the plots show what this fit learned.
"""

# %%
# Data and model
# --------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd.datasets import make_multimodal_classification
from sklearn_dsrsd.inspection import ModalityWeightsDisplay

torch.set_num_threads(1)

X, y = make_multimodal_classification(
    n_samples=1000,
    n_modalities=3,
    n_features=8,
    n_noise=[0, 0, 8],
    modality_scale=[1, 1, 100],
    missing_rate=0.1,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

clf = DSRSDClassifier(max_iter=40, hidden_size=32, code_size=8, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Weights per modality and true class
# -----------------------------------
#
# The zero weights of absent modalities would pull the boxes down, so we first keep the test
# samples that have every modality (``modality_weights`` itself cannot tell an absent modality
# from one the gates ignore).
complete = np.all([~np.isnan(X_test[name]).all(axis=1) for name in clf.modalities_], axis=0)
X_complete, y_complete = X_test[complete], y_test[complete]
print(f"{complete.sum()} of {len(y_test)} test samples have every modality")

disp = ModalityWeightsDisplay.from_estimator(
    clf,
    X_complete,
    y=y_complete,
    group_by="true",
    kind="box",
    title="Fusion weights by true class (complete samples)",
)
for name, mean in zip(disp.modality_names, disp.mean_weights_, strict=True):
    print(f"mean weight of {name}: {mean:.3f}")
plt.show()

# %%
# Mean weights per predicted class, next to the samples that lack ``m0``
# ----------------------------------------------------------------------
#
# ``kind="bar"`` shows the mean weight with the standard deviation as error bar. Passing ``ax``
# puts several displays in one figure. On the right, the samples that lack ``m0``: its weight is
# 0 and the others share the whole weight.
lacks_m0 = np.isnan(X_test["m0"]).all(axis=1)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
ModalityWeightsDisplay.from_estimator(
    clf,
    X_complete,
    group_by="predicted",
    kind="bar",
    ax=left,
    title="By predicted class (complete samples)",
)
ModalityWeightsDisplay.from_estimator(
    clf,
    X_test[lacks_m0],
    kind="bar",
    ax=right,
    title=f"Samples lacking m0 ({lacks_m0.sum()})",
)
fig.tight_layout()
plt.show()

# %%
# The same display from weights computed elsewhere
# ------------------------------------------------
#
# :meth:`~sklearn_dsrsd.inspection.ModalityWeightsDisplay.from_weights` takes a weight matrix
# and the modality names, for instance weights averaged over several fitted models or computed
# on another data set. Here: the weights of a second fit with another seed, to see how much they
# depend on the initialisation.
other = DSRSDClassifier(max_iter=40, hidden_size=32, code_size=8, random_state=1)
other.fit(X_train, y_train)
both = np.vstack([clf.modality_weights(X_complete), other.modality_weights(X_complete)])
seed = np.repeat(["random_state=0", "random_state=1"], complete.sum())
ModalityWeightsDisplay.from_weights(
    both,
    clf.modalities_,
    groups=seed,
    group_name="fit",
    kind="box",
    title="Two fits, complete test samples",
)
plt.show()
