"""
Grid search on a Dask cluster
=============================

``GridSearchCV`` runs its fits through joblib, and joblib's ``"dask"`` backend sends them to the
workers of a :mod:`dask.distributed` cluster. Here the cluster is a ``LocalCluster`` of two
worker processes on this machine; on a real cluster only the ``Client`` line changes (see the
"Scaling out" page of the documentation).

Each fit seeds its network from ``random_state``, so the scores do not depend on where the fit
runs: the search on the cluster gives exactly the scores of the in-process search
(``n_jobs=1``). The problem is tiny (80 rows, 3 epochs), so starting the workers costs more than
the fits; the timings printed below show that overhead, not a speed-up.
"""

# %%
# Data, model and grid
# --------------------
# Small networks train fastest on one torch thread, in this process and in each worker. Dask's
# worker processes start with ``OMP_NUM_THREADS=1`` and ``MKL_NUM_THREADS=1`` (the default of
# its ``distributed.nanny.pre-spawn-environ`` setting), hence one torch thread each.
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from dask.distributed import Client, LocalCluster
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd.datasets import make_multimodal_classification

torch.set_num_threads(1)

X, y = make_multimodal_classification(
    n_samples=80, n_modalities=3, n_features=[6, 7, 8], missing_rate=0.1, random_state=0
)
grid = {"learning_rate_init": [1e-3, 1e-2], "alignment_weight": [0.0, 0.5]}


def make_search():
    """The same search each time: 4 candidates x 2 folds, scored by log-loss."""
    model = DSRSDClassifier(hidden_size=8, code_size=4, max_iter=3, random_state=0)
    return GridSearchCV(model, grid, cv=2, scoring="neg_log_loss")


def torch_threads():
    return torch.get_num_threads()


# %%
# In-process and on the cluster
# -----------------------------
# Dask starts its worker processes with Python's ``spawn`` method: each one imports this script
# again (under the name ``__mp_main__``), so the code that does the work sits under
# ``if __name__ == "__main__":``, here and in the next cell; otherwise every worker would run
# the searches and try to start a cluster of its own. The two context managers close the
# client, the cluster and its processes at the end of the block.
if __name__ == "__main__":
    start = time.perf_counter()
    local = make_search().set_params(n_jobs=1).fit(X, y)
    local_seconds = time.perf_counter() - start

    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        print("torch threads per worker:", client.run(torch_threads))
        search_start = time.perf_counter()
        with parallel_config(backend="dask"):
            remote = make_search().fit(X, y)
        search_seconds = time.perf_counter() - search_start
    cluster_seconds = time.perf_counter() - start

    print(
        f"n_jobs=1: {local_seconds:.2f} s; 2-worker cluster: {search_seconds:.2f} s for the "
        f"search, {cluster_seconds:.2f} s with starting and closing the cluster"
    )
    print("same best_params_:", remote.best_params_ == local.best_params_, remote.best_params_)
    print(
        "same mean test scores:",
        np.array_equal(
            remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
        ),
    )

# %%
# Mean test score per candidate
# -----------------------------
# One point per candidate and run. With 3 epochs every candidate is still close to chance
# (log-loss of about 0.69), but they differ, and each cross sits on its circle: the two runs
# give the same scores to the last bit.
if __name__ == "__main__":
    labels = [
        f"lr={p['learning_rate_init']:g}\nalign={p['alignment_weight']:g}"
        for p in local.cv_results_["params"]
    ]
    positions = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(
        positions,
        -local.cv_results_["mean_test_score"],
        "o",
        markersize=14,
        fillstyle="none",
        label="n_jobs=1 (in-process)",
    )
    ax.plot(
        positions,
        -remote.cv_results_["mean_test_score"],
        "x",
        markersize=10,
        label="Dask, 2 worker processes",
    )
    ax.set_xticks(positions, labels)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylabel("mean test log-loss (lower is better)")
    largest = np.max(
        np.abs(remote.cv_results_["mean_test_score"] - local.cv_results_["mean_test_score"])
    )
    ax.set_title(f"GridSearchCV over DSRSDClassifier: largest difference {largest:g}")
    ax.legend()
    fig.tight_layout()
    plt.show()
