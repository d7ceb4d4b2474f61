"""
=======================================
Predicting when modalities are missing
=======================================

A sample lacks a modality when all of its values in that block are NaN. The DSRSD estimators
fuse only the modalities present in each sample, and ``missing_strategy`` decides how training
prepares the network for incomplete samples:

* ``"none"``: train on the data as given;
* ``"dropout"`` (the default): hide each present modality of a training sample with probability
  ``missing_rate`` (never all of a sample's);
* ``"distill"`` (CorrKD): train a teacher on the complete samples, then distil it into a
  student that sees randomly incomplete inputs.

We train one model per strategy, hide a growing share of the modality blocks of the test
samples, and measure the accuracy at each rate. The numbers depend on the data, the seeds and
the (here tiny) training budget; the example shows how to run the comparison, not which
strategy wins in general.
"""

# %%
# Data and models
# ---------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sklearn_dsrsd import DSRSDClassifier, ModalityDict
from sklearn_dsrsd.datasets import make_multimodal_classification

torch.set_num_threads(1)

X, y = make_multimodal_classification(
    n_samples=1000, n_modalities=3, missing_rate=0.1, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

small = dict(max_iter=25, hidden_size=32, code_size=8, random_state=0)
models = {
    strategy: DSRSDClassifier(missing_strategy=strategy, missing_rate=0.3, **small).fit(
        X_train, y_train
    )
    for strategy in ["none", "dropout", "distill"]
}
for strategy, model in models.items():
    print(f"{strategy:>8}: accuracy on the test set as given {model.score(X_test, y_test):.3f}")


# %%
# Hiding modalities of the test samples
# -------------------------------------
#
# ``hide`` sets each modality block of each sample to NaN with probability ``rate``, and gives
# back one (random) modality to any sample left with none, since a sample needs at least one.
def hide(X, rate, rng):
    names = list(X)
    present = np.column_stack([~np.isnan(X[name]).all(axis=1) for name in names])
    keep = present & (rng.uniform(size=present.shape) >= rate)
    for i in np.flatnonzero(~keep.any(axis=1)):
        keep[i, rng.choice(np.flatnonzero(present[i]))] = True
    hidden = ModalityDict()
    for j, name in enumerate(names):
        block = np.array(X[name], dtype=float)
        block[~keep[:, j]] = np.nan
        hidden[name] = block
    return hidden


rates = [0.0, 0.2, 0.4, 0.6, 0.8]
n_draws = 5  # random maskings per rate; the plot shows their mean
rng = np.random.RandomState(0)
accuracy = {strategy: np.zeros((len(rates), n_draws)) for strategy in models}
for i, rate in enumerate(rates):
    for draw in range(n_draws):
        X_hidden = hide(X_test, rate, rng)
        for strategy, model in models.items():
            accuracy[strategy][i, draw] = model.score(X_hidden, y_test)

print("rate    " + "  ".join(f"{s:>8}" for s in models))
for i, rate in enumerate(rates):
    print(f"{rate:<6.1f}  " + "  ".join(f"{accuracy[s][i].mean():8.3f}" for s in models))

# %%
# Accuracy against the share of hidden blocks
# -------------------------------------------
#
# Rate 0 is the test set as given (about 10 % of its samples already lack a modality); at rate
# 0.8 most test samples keep a single modality. The bars are the standard deviation over
# the random maskings (the models are fitted once, so they do not show the training variance).
fig, ax = plt.subplots(figsize=(7, 4.5))
for strategy, scores in accuracy.items():
    ax.errorbar(
        rates,
        scores.mean(axis=1),
        yerr=scores.std(axis=1),
        marker="o",
        capsize=3,
        label=f'missing_strategy="{strategy}"',
    )
ax.set(
    xlabel="share of test modality blocks hidden",
    ylabel="test accuracy",
    title="DSRSDClassifier with missing modalities at test time",
)
ax.legend()
fig.tight_layout()
plt.show()
