import numpy as np
import pytest
import torch

# Tiny networks are faster on one thread, and the suite must not oversubscribe 2 cores.
torch.set_num_threads(1)

TINY = dict(max_iter=4, hidden_size=16, code_size=8, batch_size=32, random_state=0)


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
