"""Tests for sklearn_dsrsd._losses: hand-checked values, masks, degenerate batches, gradients."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_dsrsd._losses import (
    alignment_loss,
    alignment_regression,
    decorrelation_loss,
    orthogonality_loss,
    prototype_distillation,
    response_consistency_distillation,
    sample_contrastive_distillation,
    symmetric_info_nce,
)

DT = torch.float64

# Columns 2-4 of the 4x4 Hadamard matrix: zero mean, mutually orthogonal, entries +-1.
H1 = [1.0, -1.0, 1.0, -1.0]
H2 = [1.0, 1.0, -1.0, -1.0]
H3 = [1.0, -1.0, -1.0, 1.0]


def dsrsd_auxiliary_losses(shared, private, aligned, mask, temperature=0.1):
    """The auxiliary terms as the training net computes them, every weight switched on."""
    from sklearn_dsrsd._training import MultimodalNet

    net = MultimodalNet(
        torch.nn.Identity,
        criterion=torch.nn.MSELoss,
        alignment_weight=1.0,
        decorrelation_weight=1.0,
        orthogonality_weight=1.0,
        temperature=temperature,
    )
    return net.get_auxiliary_losses(
        {"shared": shared, "private": private, "aligned": aligned, "modality_mask": mask}
    )


def _cols(*columns, scale=1.0):
    return (torch.tensor(columns, dtype=DT).T * scale).requires_grad_(True)


def _randn(gen, *shape, requires_grad=True):
    return torch.randn(*shape, generator=gen, dtype=torch.float32).requires_grad_(requires_grad)


def _assert_finite_grads(loss, *tensors):
    assert loss.dim() == 0
    assert torch.isfinite(loss)
    loss.backward()
    for t in tensors:
        assert t.grad is not None
        assert torch.isfinite(t.grad).all()


# ------------------------------------------------------------------------------------------
# symmetric InfoNCE and regression
# ------------------------------------------------------------------------------------------
def test_info_nce_identity_by_hand():
    z = torch.eye(2, dtype=DT)
    # each row: -log(e^1 / (e^1 + e^0)) = log(1 + e^-1), in both directions
    expected = math.log(1.0 + math.exp(-1.0))
    assert symmetric_info_nce(z, z, temperature=1.0).item() == pytest.approx(expected, rel=1e-12)


def test_info_nce_2x2_by_hand():
    z_a = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=DT)
    z_b = torch.tensor([[0.6, 0.8], [0.0, 1.0]], dtype=DT)
    # logits = z_a @ z_b.T / 0.5 = [[1.2, 0.0], [1.6, 2.0]]
    ce_ab = [-1.2 + math.log(math.exp(1.2) + 1.0), -2.0 + math.log(math.exp(1.6) + math.exp(2.0))]
    ce_ba = [-1.2 + math.log(math.exp(1.2) + math.exp(1.6)), -2.0 + math.log(1.0 + math.exp(2.0))]
    expected = 0.5 * (sum(ce_ab) / 2 + sum(ce_ba) / 2)
    got = symmetric_info_nce(z_a, z_b, temperature=0.5)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    # an asymmetric (one-directional) version would differ: the check above can fail
    assert sum(ce_ab) / 2 != pytest.approx(expected, rel=1e-6)


def test_info_nce_symmetric_under_swap():
    gen = torch.Generator().manual_seed(0)
    z_a = F.normalize(torch.randn(7, 4, generator=gen, dtype=DT), dim=1)
    z_b = F.normalize(torch.randn(7, 4, generator=gen, dtype=DT), dim=1)
    mask = torch.tensor([True, False, True, True, False, True, True])
    for m in (None, mask):
        ab = symmetric_info_nce(z_a, z_b, 0.2, m)
        ba = symmetric_info_nce(z_b, z_a, 0.2, m)
        assert ab.item() == pytest.approx(ba.item(), rel=1e-12)
    # and it is not trivially constant
    assert symmetric_info_nce(z_a, z_a, 0.2).item() < symmetric_info_nce(z_a, z_b, 0.2).item()


def test_info_nce_and_regression_mask_equals_slice():
    gen = torch.Generator().manual_seed(1)
    z_a = F.normalize(torch.randn(6, 3, generator=gen, dtype=DT), dim=1)
    z_b = F.normalize(torch.randn(6, 3, generator=gen, dtype=DT), dim=1)
    mask = torch.tensor([True, True, False, True, False, True])
    assert symmetric_info_nce(z_a, z_b, 0.1, mask).item() == pytest.approx(
        symmetric_info_nce(z_a[mask], z_b[mask], 0.1).item(), rel=1e-12
    )
    assert alignment_regression(z_a, z_b, mask).item() == pytest.approx(
        alignment_regression(z_a[mask], z_b[mask]).item(), rel=1e-12
    )
    # the mask really removes rows
    assert symmetric_info_nce(z_a, z_b, 0.1, mask).item() != pytest.approx(
        symmetric_info_nce(z_a, z_b, 0.1).item(), rel=1e-6
    )


def test_alignment_regression_by_hand():
    z_a = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=DT)
    z_b = torch.tensor([[0.6, 0.8], [0.0, 1.0]], dtype=DT)
    # ||(0.4, -0.8)||^2 = 0.8, second row 0 -> mean 0.4
    assert alignment_regression(z_a, z_b).item() == pytest.approx(0.4, rel=1e-12)


# ------------------------------------------------------------------------------------------
# decorrelation
# ------------------------------------------------------------------------------------------
def test_decorrelation_hadamard_is_zero():
    # unbiased std of +-1 over 4 rows is sqrt(4/3): scale to unit std
    codes = _cols(H1, H2, H3, scale=math.sqrt(3.0 / 4.0))
    loss = decorrelation_loss(codes, variance_floor=1.0)
    assert loss.item() == pytest.approx(0.0, abs=1e-12)


def test_decorrelation_perfectly_correlated_by_hand():
    scales = (0.5, 1.0, -2.0)
    eps = 1e-4
    codes = torch.tensor([[a * c for a in scales] for c in H1], dtype=DT)
    var = [a * a * 4.0 / 3.0 for a in scales]
    std = [math.sqrt(v + eps) for v in var]
    off = [
        (scales[j] * scales[k] * 4.0 / 3.0 / (std[j] * std[k])) ** 2
        for j in range(3)
        for k in range(3)
        if j != k
    ]
    floor = sum(max(0.0, 1.0 - s) for s in std) / 3.0
    expected = sum(off) / 6.0 + floor
    # ~ 1 (all |corr| ~ 1) + (1 - sqrt(1/3)) / 3 (only the 0.5-scaled column is below the floor)
    assert expected == pytest.approx(1.0 + (1.0 - math.sqrt(1.0 / 3.0)) / 3.0, abs=1e-3)
    assert decorrelation_loss(codes, eps=eps).item() == pytest.approx(expected, rel=1e-12)
    # floor switched off -> only the correlation term
    assert decorrelation_loss(codes, variance_floor=0.0, eps=eps).item() == pytest.approx(
        sum(off) / 6.0, rel=1e-12
    )


def test_decorrelation_single_column_is_floor_only():
    codes = torch.tensor([[0.0], [0.5]], dtype=DT)
    # unbiased var = 0.125
    expected = 1.0 - math.sqrt(0.125 + 1e-4)
    assert decorrelation_loss(codes).item() == pytest.approx(expected, rel=1e-12)


def test_decorrelation_mask_equals_slice():
    gen = torch.Generator().manual_seed(2)
    codes = torch.randn(8, 3, generator=gen, dtype=DT)
    mask = torch.tensor([True, False, True, True, True, False, True, False])
    assert decorrelation_loss(codes, mask).item() == pytest.approx(
        decorrelation_loss(codes[mask]).item(), rel=1e-12
    )
    assert decorrelation_loss(codes, mask).item() != pytest.approx(
        decorrelation_loss(codes).item(), rel=1e-6
    )


# ------------------------------------------------------------------------------------------
# orthogonality
# ------------------------------------------------------------------------------------------
def test_orthogonality_orthogonal_subspaces_is_zero():
    shared = _cols(H1, H2, scale=3.0)
    private = _cols(H3, scale=0.2)
    assert orthogonality_loss(shared, private, variance_floor=0.0).item() == pytest.approx(
        0.0, abs=1e-12
    )


def test_orthogonality_identical_by_hand():
    codes = _cols(H1, H2, H3)
    # S^T S = I_3 after column normalisation: ||I||_F^2 / (3 * 3) = 1/3
    assert orthogonality_loss(codes, codes, variance_floor=0.0).item() == pytest.approx(
        1.0 / 3.0, rel=1e-12
    )
    # a private feature equal to h1 + h2 correlates 1/sqrt(2) with each shared feature:
    # (1/2 + 1/2) / (2 * 1) = 0.5, whatever the scales
    shared = _cols(H1, H2, scale=5.0)
    private = _cols([a + b for a, b in zip(H1, H2, strict=True)], scale=0.01)
    assert orthogonality_loss(shared, private, variance_floor=0.0).item() == pytest.approx(
        0.5, rel=1e-12
    )


def test_orthogonality_penalises_collapsed_private_codes():
    # A constant private stream is uncorrelated with anything: without a floor it would be
    # "orthogonal" at no cost (the collapse the shared codes are protected against too).
    shared = _cols(H1, H2)
    constant = torch.ones(4, 3, dtype=DT)
    assert orthogonality_loss(shared, constant, variance_floor=0.0).item() == 0.0
    collapsed = orthogonality_loss(shared, constant).item()
    assert collapsed == pytest.approx(1.0 - math.sqrt(1e-4), rel=1e-9)  # relu(1 - std) per column
    spread = orthogonality_loss(shared, _cols(H3, scale=2.0)).item()
    assert spread == pytest.approx(0.0, abs=1e-12)  # std >= 1 and uncorrelated: no penalty


def test_orthogonality_mask_equals_slice():
    gen = torch.Generator().manual_seed(3)
    shared = torch.randn(7, 3, generator=gen, dtype=DT)
    private = torch.randn(7, 2, generator=gen, dtype=DT)
    mask = torch.tensor([True, True, False, True, False, True, True])
    assert orthogonality_loss(shared, private, mask).item() == pytest.approx(
        orthogonality_loss(shared[mask], private[mask]).item(), rel=1e-12
    )
    assert orthogonality_loss(shared, private, mask).item() != pytest.approx(
        orthogonality_loss(shared, private).item(), rel=1e-6
    )


def test_orthogonality_constant_column_finite_grad():
    shared = torch.tensor([[1.0, 2.0], [1.0, -1.0], [1.0, 0.5]], dtype=DT, requires_grad=True)
    private = torch.tensor([[0.0], [1.0], [3.0]], dtype=DT, requires_grad=True)
    _assert_finite_grads(orthogonality_loss(shared, private), shared, private)


# ------------------------------------------------------------------------------------------
# degenerate batches: fewer than two valid rows -> attached zero
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_valid", [0, 1])
def test_too_few_rows_gives_attached_zero(n_valid):
    gen = torch.Generator().manual_seed(4)
    z_a, z_b = _randn(gen, 4, 3), _randn(gen, 4, 3)
    private = _randn(gen, 4, 2)
    mask = torch.zeros(4, dtype=torch.bool)
    mask[:n_valid] = True
    losses = {
        "info_nce": (symmetric_info_nce(z_a, z_b, 0.1, mask), (z_a, z_b)),
        "decorrelation": (decorrelation_loss(z_a, mask), (z_a,)),
        "orthogonality": (orthogonality_loss(z_a, private, mask), (z_a, private)),
    }
    for name, (loss, inputs) in losses.items():
        assert loss.item() == 0.0, name
        for t in inputs:
            t.grad = None
        _assert_finite_grads(loss, *inputs)
        for t in inputs:
            assert torch.all(t.grad == 0.0), name


def test_regression_no_valid_rows_is_attached_zero():
    z_a = torch.randn(3, 2, requires_grad=True)
    z_b = torch.randn(3, 2, requires_grad=True)
    loss = alignment_regression(z_a, z_b, torch.zeros(3, dtype=torch.bool))
    assert loss.item() == 0.0
    _assert_finite_grads(loss, z_a, z_b)


def test_bad_mask_dtype_raises():
    z = torch.randn(3, 2)
    with pytest.raises(TypeError, match="pair_mask"):
        symmetric_info_nce(z, z, pair_mask=torch.tensor([1, 0, 1]))
    with pytest.raises(ValueError, match="sample_mask"):
        decorrelation_loss(z, torch.tensor([True, False]))


# ------------------------------------------------------------------------------------------
# alignment over modality pairs and the DSRSD bundle
# ------------------------------------------------------------------------------------------
def test_alignment_loss_single_modality_is_zero():
    codes = F.normalize(torch.randn(5, 1, 3), dim=-1).requires_grad_(True)
    loss = alignment_loss(codes, torch.ones(5, 1, dtype=torch.bool))
    assert loss.item() == 0.0
    _assert_finite_grads(loss, codes)


def test_alignment_loss_pairs_masks_and_skipping():
    gen = torch.Generator().manual_seed(5)
    codes = F.normalize(torch.randn(4, 3, 3, generator=gen, dtype=DT), dim=-1)
    mask = torch.tensor(
        [[True, True, False], [True, True, False], [True, True, False], [True, False, True]]
    )
    m01 = mask[:, 0] & mask[:, 1]
    m02 = mask[:, 0] & mask[:, 2]  # one sample: regression only (InfoNCE needs two)
    # pair (1, 2) is never co-present: skipped, not counted in the mean
    z0, z1, z2 = codes[:, 0], codes[:, 1], codes[:, 2]
    pair01 = symmetric_info_nce(z0[m01], z1[m01], 0.3) + alignment_regression(z0[m01], z1[m01])
    pair02 = alignment_regression(z0[m02], z2[m02])
    expected = (pair01 + pair02).item() / 2.0
    assert alignment_loss(codes, mask, temperature=0.3).item() == pytest.approx(
        expected, rel=1e-12
    )


def test_net_auxiliary_losses_components():
    gen = torch.Generator().manual_seed(6)
    shared = torch.randn(6, 2, 3, generator=gen, dtype=DT, requires_grad=True)
    private = torch.randn(6, 2, 2, generator=gen, dtype=DT, requires_grad=True)
    aligned = F.normalize(torch.randn(6, 2, 4, generator=gen, dtype=DT), dim=-1)
    mask = torch.tensor(
        [[True, True], [True, False], [True, True], [False, True], [True, True], [True, True]]
    )
    out = dsrsd_auxiliary_losses(shared, private, aligned, mask, temperature=0.2)
    assert set(out) == {"alignment", "decorrelation", "orthogonality"}
    assert out["alignment"].item() == pytest.approx(
        alignment_loss(aligned, mask, 0.2).item(), rel=1e-12
    )
    dec = [decorrelation_loss(shared[:, m], mask[:, m]).item() for m in range(2)]
    ort = [orthogonality_loss(shared[:, m], private[:, m], mask[:, m]).item() for m in range(2)]
    assert out["decorrelation"].item() == pytest.approx(sum(dec) / 2, rel=1e-12)
    assert out["orthogonality"].item() == pytest.approx(sum(ort) / 2, rel=1e-12)
    assert out["orthogonality"].item() > 0.0

    single = dsrsd_auxiliary_losses(shared, None, aligned, mask, temperature=0.2)
    assert "orthogonality" not in single  # no private stream, no orthogonality term
    total = sum(single.values())
    _assert_finite_grads(total, shared)


def test_three_dimensional_codes_give_the_mean_over_modalities():
    # The training net passes all modalities at once; a modality with a single valid row
    # contributes an attached zero, as the 2-D function gives for it.
    gen = torch.Generator().manual_seed(7)
    shared = torch.randn(7, 3, 4, generator=gen, dtype=DT, requires_grad=True)
    private = torch.randn(7, 3, 2, generator=gen, dtype=DT, requires_grad=True)
    mask = torch.rand(7, 3, generator=gen) > 0.3
    mask[:, 2] = False
    mask[0, 2] = True
    dec = [decorrelation_loss(shared[:, m], mask[:, m]) for m in range(3)]
    ort = [orthogonality_loss(shared[:, m], private[:, m], mask[:, m]) for m in range(3)]
    assert dec[2].item() == 0.0 and ort[2].item() == 0.0
    assert decorrelation_loss(shared, mask).item() == pytest.approx(
        sum(d.item() for d in dec) / 3, rel=1e-12
    )
    total = orthogonality_loss(shared, private, mask)
    assert total.item() == pytest.approx(sum(o.item() for o in ort) / 3, rel=1e-12)
    _assert_finite_grads(total + decorrelation_loss(shared, mask), shared, private)


def test_three_dimensional_codes_check_the_mask():
    codes = torch.randn(5, 2, 3)
    with pytest.raises(ValueError, match=r"sample_mask must have shape \(5, 2\)"):
        decorrelation_loss(codes, torch.ones(5, dtype=torch.bool))
    with pytest.raises(ValueError, match="shared_codes and private_codes"):
        orthogonality_loss(codes, torch.randn(5, 3, 3))
    with pytest.raises(ValueError, match="2-D tensor .* or a 3-D tensor"):
        decorrelation_loss(torch.randn(5, 2, 3, 1))


# ------------------------------------------------------------------------------------------
# CorrKD distillation
# ------------------------------------------------------------------------------------------
def test_scd_identical_codes_positive_exactly_zero():
    codes = torch.randn(5, 4, dtype=DT)
    positive, negative = sample_contrastive_distillation(codes, codes.clone(), margin=0.5)
    assert positive.item() == 0.0
    assert negative.item() >= 0.0


def test_scd_by_hand():
    # rows given at scale 3 / 2: the function normalises them
    student = torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=DT) * 3.0
    teacher = torch.tensor([[0.8, 0.6], [0.0, 1.0]], dtype=DT) * 2.0
    positive, negative = sample_contrastive_distillation(student, teacher, margin=1.0)
    # ||s0 - t0||^2 = 0.04 + 0.36, ||s1 - t1||^2 = 0.36 + 0.04
    assert positive.item() == pytest.approx(0.4, rel=1e-12)
    # ||s0 - t1|| = sqrt(2) > margin -> 0 ; ||s1 - t0|| = sqrt(0.08) -> (1 - sqrt(0.08))^2
    expected_negative = ((1.0 - math.sqrt(0.08)) ** 2 + 0.0) / 2.0
    assert negative.item() == pytest.approx(expected_negative, rel=1e-9)


def test_scd_single_sample_negative_is_attached_zero():
    s = torch.randn(1, 3, requires_grad=True)
    t = torch.randn(1, 3)
    positive, negative = sample_contrastive_distillation(s, t)
    assert negative.item() == 0.0
    _assert_finite_grads(positive + negative, s)


def test_prototype_identical_zero_and_positive_otherwise():
    gen = torch.Generator().manual_seed(7)
    codes = torch.randn(8, 4, generator=gen, dtype=DT)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    assert prototype_distillation(codes, codes.clone(), labels, 3).item() == 0.0
    other = torch.randn(8, 4, generator=gen, dtype=DT)
    value = prototype_distillation(other, codes, labels, 3).item()
    assert value > 0.0
    # absent classes are skipped: more declared classes, same value
    assert prototype_distillation(other, codes, labels, 10).item() == pytest.approx(
        value, rel=1e-12
    )


def test_prototype_by_hand():
    # one sample per class: prototypes are the codes themselves
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=DT)
    teacher = torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=DT)
    labels = torch.tensor([0, 1])
    # A_s = [[1, 0], [0, 1]], A_t = [[1, 0.6], [0.6, 1]] -> mean squared diff = 2 * 0.36 / 4
    assert prototype_distillation(student, teacher, labels, 2).item() == pytest.approx(
        0.18, rel=1e-12
    )


def test_prototype_bad_labels_raise():
    codes = torch.randn(3, 2)
    with pytest.raises(ValueError, match="n_classes"):
        prototype_distillation(codes, codes, torch.tensor([0, 1, 3]), 3)


def test_kl_response_identical_logits_zero():
    logits = torch.randn(6, 4, dtype=DT)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    loss = response_consistency_distillation(
        logits, logits.clone(), labels, estimator="kl", temperature=2.0
    )
    assert loss.item() == 0.0


def test_kl_response_two_classes_by_hand():
    student = torch.tensor([[0.3, -1.2]], dtype=DT)
    teacher = torch.tensor([[1.0, 0.5]], dtype=DT)
    t = 2.0

    def softmax2(a, b):
        ea, eb = math.exp(a / t), math.exp(b / t)
        return ea / (ea + eb), eb / (ea + eb)

    ps, pt = softmax2(0.3, -1.2), softmax2(1.0, 0.5)
    # non-target part has a single class: its KL is 0, only the binary part remains
    kl = sum(q * math.log(q / p) for p, q in zip(ps, pt, strict=True))
    for label in (0, 1):
        got = response_consistency_distillation(student, teacher, torch.tensor([label]), "kl", t)
        assert got.item() == pytest.approx(t * t * kl, rel=1e-12)


def test_kl_response_three_classes_by_hand():
    student = torch.zeros(1, 3, dtype=DT)
    teacher = torch.tensor([[math.log(2.0), 0.0, 0.0]], dtype=DT)  # p = (1/2, 1/4, 1/4)
    # label 0: binary (1/2, 1/2) vs (1/3, 2/3); non-target (1/2, 1/2) vs (1/2, 1/2)
    expected0 = 0.5 * math.log(0.5 / (1 / 3)) + 0.5 * math.log(0.5 / (2 / 3))
    # label 1: binary (1/4, 3/4) vs (1/3, 2/3); non-target (2/3, 1/3) vs (1/2, 1/2)
    expected1 = (
        0.25 * math.log(0.25 / (1 / 3))
        + 0.75 * math.log(0.75 / (2 / 3))
        + (2 / 3) * math.log((2 / 3) / 0.5)
        + (1 / 3) * math.log((1 / 3) / 0.5)
    )
    for label, expected in ((0, expected0), (1, expected1)):
        got = response_consistency_distillation(student, teacher, torch.tensor([label]), "kl")
        assert got.item() == pytest.approx(expected, rel=1e-12)


def test_js_response_by_hand():
    ln3 = math.log(3.0)
    student = torch.tensor([[ln3, 0.0], [0.0, 0.0]], dtype=DT)
    teacher = torch.tensor([[0.0, 0.0], [0.0, ln3]], dtype=DT)
    labels = torch.tensor([0, 1])

    # responses r = (p_t, 1 - p_t, q at the class positions, 0 at the target):
    # s0 = (.75, .25, 0, 1), s1 = (.5, .5, 1, 0), t0 = (.5, .5, 0, 1), t1 = (.75, .25, 1, 0);
    # scores: s0.t0 = 1.5, s0.t1 = .625, s1.t0 = .5, s1.t1 = 1.5. (Before the non-target part
    # was put in class order, s0.t1 compared class 1 of one sample with class 0 of the other.)
    def softplus(x):
        return math.log1p(math.exp(x))

    mi = -softplus(-1.5) - (softplus(0.625) + softplus(0.5)) / 2.0
    got = response_consistency_distillation(student, teacher, labels, "js", 1.0)
    assert got.item() == pytest.approx(-mi, rel=1e-12)


def test_js_response_single_sample_is_attached_zero():
    s = torch.randn(1, 3, requires_grad=True)
    loss = response_consistency_distillation(s, torch.randn(1, 3), torch.tensor([2]), "js")
    assert loss.item() == 0.0
    _assert_finite_grads(loss, s)


def test_response_bad_estimator_raises():
    logits = torch.randn(3, 3)
    labels = torch.tensor([0, 1, 2])
    with pytest.raises(ValueError, match=r"'estimator'.*\['js', 'kl'\].*'mine'"):
        response_consistency_distillation(logits, logits, labels, estimator="mine")
    with pytest.raises(ValueError, match="at least 2 classes"):
        response_consistency_distillation(logits[:, :1], logits[:, :1], labels * 0, "kl")


# ------------------------------------------------------------------------------------------
# property: finite values and finite gradients on random small inputs
# ------------------------------------------------------------------------------------------
shapes = st.fixed_dictionaries(
    {
        "n": st.integers(0, 6),
        "m": st.integers(1, 3),
        "d": st.integers(1, 4),
        "seed": st.integers(0, 2**31 - 1),
        "temperature": st.sampled_from([0.05, 0.1, 0.5, 1.0, 3.0]),
    }
)


@settings(max_examples=25, deadline=None)
@given(shapes)
def test_dsrsd_losses_finite_gradients(p):
    gen = torch.Generator().manual_seed(p["seed"])
    n, m, d, temp = p["n"], p["m"], p["d"], p["temperature"]
    shared = _randn(gen, n, m, d)
    private = _randn(gen, n, m, d + 1)
    raw = _randn(gen, n, m, d)
    mask = torch.rand(n, m, generator=gen) < 0.7
    aligned = F.normalize(raw, dim=-1)
    out = dsrsd_auxiliary_losses(shared, private, aligned, mask, temperature=temp)
    # One modality has no pair to align: the net skips that term, so raw gets no gradient.
    _assert_finite_grads(sum(out.values()), shared, private, *([raw] if m > 1 else []))

    z_a, z_b = F.normalize(_randn(gen, n, d), dim=1), F.normalize(_randn(gen, n, d), dim=1)
    row_mask = torch.rand(n, generator=gen) < 0.6
    single = [
        symmetric_info_nce(z_a, z_b, temp, row_mask),
        alignment_regression(z_a, z_b, row_mask),
        decorrelation_loss(shared[:, 0], row_mask),
        orthogonality_loss(shared[:, 0], private[:, 0], row_mask),
    ]
    for loss in single:
        assert loss.dim() == 0 and torch.isfinite(loss)
    shared.grad = None
    _assert_finite_grads(sum(single), shared, private)


@settings(max_examples=25, deadline=None)
@given(shapes, st.sampled_from(["js", "kl"]), st.floats(0.0, 2.0))
def test_distillation_finite_gradients(p, estimator, margin):
    gen = torch.Generator().manual_seed(p["seed"])
    n, k, temp = p["n"], p["d"], p["temperature"]
    n_classes = p["m"] + 1
    student = _randn(gen, n, k)
    teacher = _randn(gen, n, k, requires_grad=False)
    labels = torch.randint(0, n_classes, (n,), generator=gen)
    logits_s = _randn(gen, n, n_classes) * 5.0
    logits_s.retain_grad()
    logits_t = _randn(gen, n, n_classes, requires_grad=False) * 5.0
    positive, negative = sample_contrastive_distillation(student, teacher, margin)
    proto = prototype_distillation(student, teacher, labels, n_classes)
    response = response_consistency_distillation(logits_s, logits_t, labels, estimator, temp)
    for loss in (positive, negative, proto, response):
        assert loss.dim() == 0 and torch.isfinite(loss)
    assert positive.item() >= 0.0 and negative.item() >= 0.0 and proto.item() >= 0.0
    if estimator == "kl":
        assert response.item() >= -1e-6
    _assert_finite_grads(positive + negative + proto + response, student, logits_s)


def test_default_response_distillation_moves_student_towards_teacher():
    # A few gradient steps on the default estimator's loss must bring the student's class
    # distribution closer to the teacher's, for more than two classes as well.
    gen = torch.Generator().manual_seed(0)
    teacher = torch.randn(16, 4, generator=gen, dtype=DT) * 2
    labels = torch.randint(0, 4, (16,), generator=gen)
    student = torch.randn(16, 4, generator=gen, dtype=DT, requires_grad=True)

    def gap():
        p_t = torch.softmax(teacher, 1)
        return float((p_t * (p_t.log() - torch.log_softmax(student.detach(), 1))).sum(1).mean())

    before = gap()
    optimiser = torch.optim.SGD([student], lr=1.0)
    for _ in range(20):
        optimiser.zero_grad()
        response_consistency_distillation(student, teacher, labels).backward()
        optimiser.step()
    assert gap() < 0.5 * before


def test_default_response_estimator_has_the_stronger_gradient():
    gen = torch.Generator().manual_seed(1)
    teacher = torch.randn(32, 3, generator=gen, dtype=DT)
    labels = torch.randint(0, 3, (32,), generator=gen)
    norms = {}
    for estimator in ("kl", "js"):
        student = torch.randn(
            32, 3, generator=torch.Generator().manual_seed(2), dtype=DT, requires_grad=True
        )
        response_consistency_distillation(student, teacher, labels, estimator).backward()
        norms[estimator] = float(student.grad.norm())
    assert norms["kl"] > 3 * norms["js"]
