"""Grid search on a Dask cluster gives the same results as in-process, one torch thread per worker.

``GridSearchCV`` runs its fits through joblib; ``parallel_config(backend="dask")`` sends them to
the workers of a ``dask.distributed`` cluster. Each fit draws its weights from its own
``random_state``, so where it runs must not change a single score. The cluster is a
``LocalCluster`` of 2 worker processes (one thread each) on 127.0.0.1, with no dashboard; it is
closed by its context manager, and the test checks that no worker process is left behind.

Threads: the package does not set torch's thread count itself (the comparison CLI does, with
``--threads``). Dask's nanny starts each worker process with ``OMP_NUM_THREADS=1`` and
``MKL_NUM_THREADS=1`` (its ``distributed.nanny.pre-spawn-environ`` setting; a variable set in
the calling process's environment overrides it), so torch starts with one thread there. The
test clears those variables here, so that the defaults apply whatever the shell exports, and
checks the thread count in the threads that run the tasks; docs/scaling.md documents it.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from sklearn_dsrsd import DSRSDClassifier
from sklearn_dsrsd.datasets import make_multimodal_classification

distributed = pytest.importorskip("dask.distributed")
joblib = pytest.importorskip("joblib")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

# A continuous scorer: mean test scores that agree to the last bit mean the same fits.
GRID = {"learning_rate_init": [1e-3, 1e-2], "alignment_weight": [0.0, 0.5]}
SEARCH = dict(param_grid=GRID, cv=2, scoring="neg_log_loss")


def _estimator():
    return DSRSDClassifier(hidden_size=8, code_size=4, max_iter=3, random_state=0)


def _data():
    return make_multimodal_classification(
        n_samples=80, n_modalities=3, n_features=[6, 7, 8], missing_rate=0.1, random_state=0
    )


def _torch_threads():
    """Torch's intra-op thread count and the thread variables, as the calling thread sees them."""
    return (
        torch.get_num_threads(),
        os.environ.get("OMP_NUM_THREADS"),
        os.environ.get("MKL_NUM_THREADS"),
    )


def _tasks_run(dask_worker):
    """How many tasks a worker has run (``client.run`` passes the worker in)."""
    return dask_worker.state.executed_count


def _children():
    """Process ids of this process's descendants, less multiprocessing's resource tracker.

    The tracker is one helper per parent process, started with the first spawned worker and
    kept (by design) until the parent exits; it is no worker.
    """
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
    return {child.pid for child in psutil.Process().children(recursive=True)} - {tracker}


@pytest.fixture
def clean_environ(monkeypatch):
    """No thread variables from the shell; the environment restored afterwards.

    The nanny writes its ``pre-spawn-environ`` variables (and ``PYTHONHASHSEED``) into this
    process's environment before it spawns a worker; they must not leak into later tests.
    """
    saved = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_grid_search_on_dask_cluster_matches_in_process(clean_environ):
    X, y = _data()
    local = GridSearchCV(_estimator(), n_jobs=1, **SEARCH).fit(X, y)
    scores = local.cv_results_["mean_test_score"]
    # The candidates differ, so best_params_ is not decided by a tie.
    assert len(np.unique(scores)) == len(scores)

    before = _children()
    with (
        # No dashboard; the scheduler's small HTTP server (health and info routes) on a free
        # port of 127.0.0.1 rather than 8787, which a run beside this one may hold.
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = sorted(client.scheduler_info()["workers"])
        assert len(workers) == 2
        # One torch thread in the thread that runs the tasks, on every worker.
        seen = client.gather(
            [
                client.submit(_torch_threads, workers=[address], pure=False, key=f"threads-{i}")
                for i, address in enumerate(workers)
            ]
        )
        assert seen == [(1, "1", "1")] * 2, seen
        with joblib.parallel_config(backend="dask"):
            remote = GridSearchCV(_estimator(), **SEARCH).fit(X, y)
        # The fits ran on the workers (as tasks beyond the 2 thread checks), not in here.
        executed = client.run(_tasks_run)
        assert sum(executed.values()) > 2, executed

    assert remote.best_params_ == local.best_params_
    for key in ["mean_test_score", "split0_test_score", "split1_test_score"]:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key], err_msg=key)
    # GridSearchCV refits best_estimator_ in this process in both cases.
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))

    # The workers and their nannies are gone.
    left = _children() - before
    alive = [
        pid
        for pid in left
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert not alive, [psutil.Process(pid).cmdline() for pid in alive]
