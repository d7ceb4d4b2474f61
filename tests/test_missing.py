"""Missing modalities in training: modality dropout and CorrKD teacher-student distillation."""

import numpy as np
import pytest
import torch
from conftest import TINY, make_blocks
from numpy.testing import assert_allclose

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor
from sklearn_dsrsd._modules import drop_modalities


def test_drop_modalities_never_hides_every_modality():
    torch.manual_seed(0)
    mask = torch.ones(2000, 3, dtype=torch.bool)
    mask[::2, 0] = False
    dropped = drop_modalities(mask, 0.7)
    assert dropped.any(dim=1).all()
    assert not (dropped & ~mask).any()  # only present modalities can be hidden
    hidden = (mask & ~dropped).sum().item() / mask.sum().item()
    assert 0.5 < hidden < 0.7  # about the rate, less the samples that kept one back
    assert torch.equal(drop_modalities(mask, 0.0), mask)


@pytest.mark.parametrize("strategy", ["dropout", "distill"])
def test_strategies_fit_and_predict_any_subset(strategy):
    blocks, y = make_blocks()
    X = {name: block.copy() for name, block in blocks.items()}
    X["m1"][:30] = np.nan  # some training rows lack a modality
    clf = DSRSDClassifier(**TINY, missing_strategy=strategy, missing_rate=0.5).fit(X, y)
    for kept in (["m0"], ["m1", "m2"], ["m0", "m1", "m2"]):
        proba = clf.predict_proba({name: blocks[name] for name in kept})
        assert proba.shape == (120, 2) and np.isfinite(proba).all()
    batch_terms = set(clf.net_.history[-1, "batches", 0])
    distill_terms = {"contrastive_distillation", "prototype_distillation", "response_distillation"}
    if strategy == "distill":
        assert distill_terms <= batch_terms
    else:
        assert not distill_terms & batch_terms


def test_teacher_is_frozen_and_receives_no_gradient():
    blocks, y = make_blocks()
    clf = DSRSDClassifier(**TINY, missing_strategy="distill").fit(blocks, y)
    teacher, student = clf.net_.teacher_module_, clf.net_.module_
    assert teacher is clf.teacher_net_.module_ and not teacher.training
    for parameter in teacher.parameters():
        assert not parameter.requires_grad and parameter.grad is None
    # The student started from the teacher and then moved away from it.
    moved = [
        not torch.equal(s, t)
        for s, t in zip(student.parameters(), teacher.parameters(), strict=True)
    ]
    assert any(moved)


def test_teacher_trains_on_complete_rows_only():
    blocks, y = make_blocks()
    X = {name: block.copy() for name, block in blocks.items()}
    X["m2"][:100] = np.nan
    clf = DSRSDClassifier(**TINY, missing_strategy="distill").fit(X, y)
    assert clf.teacher_net_.history[-1, "batches", 0]["train_batch_size"] <= 20
    X["m2"][:] = np.nan
    X["m2"][0] = 1.0
    with pytest.raises(ValueError, match="needs at least 2; found 1 sample with every"):
        DSRSDClassifier(**TINY, missing_strategy="distill").fit(X, y)


def test_distilled_regressor_uses_target_bins():
    blocks, _ = make_blocks()
    y = blocks["m0"][:, 0] + blocks["m1"][:, 1]
    reg = DSRSDRegressor(**TINY, missing_strategy="distill", response_estimator="kl")
    reg.fit(blocks, y)
    edges = reg.net_.prototype_bin_edges
    assert edges.shape == (4,) and np.all(np.diff(edges) > 0)
    assert np.isfinite(reg.predict({"m0": blocks["m0"]})).all()


def test_strategy_none_ignores_missing_rate():
    blocks, y = make_blocks()
    none = dict(TINY, missing_strategy="none")
    first = DSRSDClassifier(**none, missing_rate=0.1).fit(blocks, y).predict_proba(blocks)
    second = DSRSDClassifier(**none, missing_rate=0.9).fit(blocks, y).predict_proba(blocks)
    assert_allclose(first, second)


def test_distillation_uses_only_rows_complete_in_the_data():
    # The teacher saw complete rows only: a row lacking a modality in the data must not
    # contribute to the distillation terms, whatever its codes are.
    blocks, y = make_blocks()
    X = {name: block.copy() for name, block in blocks.items()}
    X["m2"][:40] = np.nan
    clf = DSRSDClassifier(**TINY, missing_strategy="distill").fit(X, y)
    net = clf.net_
    batch = clf._schema.batch(X, clf)
    inputs = {f"m{i}": torch.from_numpy(b) for i, b in enumerate(batch.blocks)}
    inputs["modality_mask"] = torch.from_numpy(batch.modality_mask)
    target = torch.from_numpy(clf._label_encoder.transform(y))
    net.module_.eval()
    with torch.no_grad():
        output, codes = net.module_(**inputs)
        terms = net.get_distillation_losses(output, codes, inputs, target)
        # the incomplete rows' student codes changed arbitrarily: the terms must not move
        codes["fused"][:40] += 100.0
        output[:40] -= 50.0
        perturbed = net.get_distillation_losses(output, codes, inputs, target)
        complete = {k: v[40:] for k, v in inputs.items()}
        output_c, codes_c = net.module_(**complete)
        alone = net.get_distillation_losses(output_c, codes_c, complete, target[40:])
    for name, value in terms.items():
        assert float(value) == pytest.approx(float(perturbed[name]), rel=1e-6)
        assert float(value) == pytest.approx(float(alone[name]), rel=1e-5)


@pytest.mark.parametrize("Estimator", [DSRSDClassifier, DSRSDRegressor])
def test_distillation_batch_without_a_complete_row(Estimator):
    # With one row per batch, every batch of a row lacking a modality has no row to
    # distil on: its terms are 0, not NaN (which the divergence guard would stop on).
    blocks, y = make_blocks(n_samples=40)
    X = {name: block.copy() for name, block in blocks.items()}
    X["m1"][20:] = np.nan
    target = y if Estimator is DSRSDClassifier else blocks["m0"][:, 0]
    params = dict(TINY, batch_size=1, max_iter=1)
    model = Estimator(**params, missing_strategy="distill").fit(X, target)
    recorded = [batch["response_distillation"] for batch in model.net_.history[-1, "batches"]]
    assert len(recorded) == 40 and np.isfinite(recorded).all()
    assert recorded.count(0.0) >= 20


def test_distillation_teacher_never_trains_on_the_students_validation_rows(monkeypatch):
    # The student starts from the teacher's weights; with early stopping, rows that
    # validate the student must not have trained the teacher.
    from sklearn_dsrsd import _base, _training

    splits, subsets = [], []
    split, subset = _base._EarlyStoppingSplit.__call__, _training.ModalityDataset.subset

    def recording_split(self, dataset, y=None, groups=None):
        train, validation = split(self, dataset, y, groups)
        splits.append((len(dataset), np.asarray(validation.indices)))
        return train, validation

    def recording_subset(self, rows):
        subsets.append(np.asarray(rows))
        return subset(self, rows)

    monkeypatch.setattr(_base._EarlyStoppingSplit, "__call__", recording_split)
    monkeypatch.setattr(_training.ModalityDataset, "subset", recording_subset)
    blocks, y = make_blocks(n_samples=200)
    blocks["m1"][:40] = np.nan
    DSRSDClassifier(
        **TINY, missing_strategy="distill", early_stopping=True, validation_fraction=0.2
    ).fit(blocks, y)
    (teacher_rows,) = [np.flatnonzero(rows) for rows in subsets if rows.shape == (200,)]
    student_validation = [indices for n, indices in splits if n == 200]
    assert student_validation and len(teacher_rows) > 0
    for indices in student_validation:
        assert np.intersect1d(teacher_rows, indices).size == 0
