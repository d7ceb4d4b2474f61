import numpy as np
import pytest
import torch

# Tiny networks are faster on one thread, and the suite must not oversubscribe 2 cores.
torch.set_num_threads(1)

# One network: most tests check the mechanics of one; tests/test_network_average.py checks
# the average of several, and tests/test_check_estimator.py the defaults.
TINY = dict(max_iter=4, hidden_size=16, code_size=8, batch_size=32, random_state=0, n_networks=1)


def make_blocks(n_samples=120, n_features=(4, 3, 5), seed=0, n_classes=2):
    """Small multimodal classification data: y depends on every modality."""
    rng = np.random.RandomState(seed)
    blocks = {f"m{i}": rng.normal(size=(n_samples, d)) for i, d in enumerate(n_features)}
    score = sum(block[:, 0] for block in blocks.values())
    edges = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
    return blocks, np.searchsorted(edges, score)


@pytest.fixture
def blocks_and_y():
    return make_blocks()


def expected_failed_checks(estimator):
    """scikit-learn checks a network trained by minibatch SGD cannot pass, with the reason.

    A sample weight of k equals k repetitions of the sample only in expectation: the
    repeated data has more rows, hence other batches, shuffling and dropout masks. The
    exact identity holds for the weighted loss of a batch, which
    tests/test_fit_api.py checks. scikit-learn lists its own SGD-trained estimators
    the same way.
    """
    if getattr(estimator, "estimator", None) is not None:
        return {}  # the wrapped scikit-learn estimator is deterministic
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "minibatch SGD: a weight of k equals k repeated rows only in expectation"
        ),
    }
