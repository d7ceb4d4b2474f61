"""
===================================================
A DataFrame, a ColumnTransformer and a Pipeline
===================================================

Tabular data often come as one 2-D table whose columns belong to different sources. This
example

1. splits a :class:`pandas.DataFrame` into modalities with the ``modalities`` parameter of
   :class:`~sklearn_dsrsd.DSRSDClassifier` (column names per modality);
2. puts the estimator in a :class:`~sklearn.pipeline.Pipeline` behind a
   :class:`~sklearn.compose.ColumnTransformer` that one-hot encodes a categorical column and
   imputes missing values;
3. uses the trained network as a transformer: with ``set_output(transform="pandas")`` its
   ``transform`` returns the shared and private codes of every modality as named columns, which
   feed a :class:`~sklearn.linear_model.LogisticRegression`.

The network is tiny and trains for a few epochs so that the example runs in seconds.
"""

# %%
# A table with three sources of columns
# -------------------------------------
#
# We turn a synthetic multimodal problem into one DataFrame: a "demographics" block (with a
# categorical ``region`` column added, drawn at random: it only shows the encoding and carries no
# signal), an "activity" block and an "assessments" block, plus a few isolated missing values.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd.datasets import make_multimodal_classification

torch.set_num_threads(1)

blocks, y = make_multimodal_classification(
    n_samples=800,
    n_features=[6, 8, 7],
    modality_scale=[1, 10, 100],
    modality_names=["demographics", "activity", "assessments"],
    random_state=0,
)
rng = np.random.RandomState(0)
frame = pd.concat(
    [
        pd.DataFrame(block, columns=[f"{name}_{j}" for j in range(block.shape[1])])
        for name, block in blocks.items()
    ],
    axis=1,
)
frame["region"] = rng.choice(["north", "south", "east", "west"], size=len(frame))
frame = frame.mask(rng.uniform(size=frame.shape) < 0.02)  # 2 % of the cells missing
frame["region"] = frame["region"].fillna("unknown")
print(frame.shape)
frame.head()

# %%
# The ``modalities`` parameter: columns per modality
# --------------------------------------------------
#
# For 2-D input, ``modalities`` maps each modality name to its columns (names or positions, a
# boolean mask or a slice). Isolated NaNs inside a block are imputed with the training mean by
# the estimator itself. Every column must be numeric, so this first fit leaves the categorical
# ``region`` column out of the table.
numeric = {name: [c for c in frame.columns if c.startswith(name)] for name in blocks}
X_train, X_test, y_train, y_test = train_test_split(frame, y, random_state=0, stratify=y)

small = dict(max_iter=30, hidden_size=32, code_size=8, random_state=0)
clf = DSRSDClassifier(modalities=numeric, **small)
clf.fit(X_train.drop(columns="region"), y_train)
print("modalities_:", clf.modalities_)
print(f"test accuracy: {clf.score(X_test.drop(columns='region'), y_test):.3f}")

# %%
# Preprocessing in a ``ColumnTransformer``
# ----------------------------------------
#
# The categorical ``region`` column is one-hot encoded and added to the demographics, and the
# numeric columns are imputed. With ``verbose_feature_names_out=False`` and
# ``set_output(transform="pandas")`` the transformer returns a DataFrame whose column names
# are the input names (``region_<category>`` for the one-hot columns), so ``modalities`` can name
# them. (Without ``modalities``, DSRSD splits the output of a ``ColumnTransformer`` by its
# ``transformer__feature`` prefixes, one modality per transformer.)
regions = sorted(frame["region"].unique())
columns = ColumnTransformer(
    [
        ("region", OneHotEncoder(categories=[regions], sparse_output=False), ["region"]),
        ("numeric", SimpleImputer(), [c for cols in numeric.values() for c in cols]),
    ],
    verbose_feature_names_out=False,
)
modalities = dict(numeric)
modalities["demographics"] = numeric["demographics"] + [f"region_{r}" for r in regions]

model = Pipeline(
    [("columns", columns), ("dsrsd", DSRSDClassifier(modalities=modalities, **small))]
)
model.set_output(transform="pandas")
model.fit(X_train, y_train)
print("modalities_:", model["dsrsd"].modalities_)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# The codes as features for another estimator
# -------------------------------------------
#
# The DSRSD estimators are also transformers: ``transform`` returns every modality's shared code
# and (with ``dual_stream=True``) private code. With ``set_output(transform="pandas")`` they are
# DataFrame columns named ``<modality>__shared<j>`` and ``<modality>__private<j>``. Here they feed
# a logistic regression, the last step of the pipeline. During ``fit`` the pipeline calls
# ``fit_transform`` on the DSRSD step, so the logistic regression learns from codes of the rows
# the network was trained on; the test rows are new to both.
stacked = Pipeline(
    [
        ("columns", columns),
        ("dsrsd", DSRSDClassifier(modalities=modalities, **small)),
        ("logistic", LogisticRegression(max_iter=1000)),
    ]
)
stacked.set_output(transform="pandas")
stacked.fit(X_train, y_train)
codes = stacked[:-1].transform(X_test)
print(codes.shape)
print(list(codes.columns[:3]), "...", list(codes.columns[-3:]))
print(f"test accuracy, logistic regression on the codes: {stacked.score(X_test, y_test):.3f}")
codes.head()

# %%
# Which codes does the logistic regression use? The absolute coefficients, summed per modality
# and stream (the codes are on comparable scales, as they come out of the same network).
coef = pd.Series(np.abs(stacked["logistic"].coef_[0]), index=codes.columns)
modality = coef.index.str.split("__").str[0]
stream = coef.index.str.split("__").str[1].str.rstrip("0123456789")
summary = coef.groupby([modality, stream]).sum().unstack()
print(summary.round(2))

ax = summary.plot.bar(figsize=(7, 4), rot=0)
ax.set(
    xlabel="modality",
    ylabel="sum of |coefficient|",
    title="Logistic regression on the DSRSD codes",
)
plt.tight_layout()
plt.show()
