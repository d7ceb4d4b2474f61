"""Tests for ``n_networks``: several networks trained side by side, their predictions averaged."""

import pickle

import numpy as np
import pytest
import torch
from conftest import TINY, make_blocks
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor, load
from sklearn_dsrsd._modules import DSRSDModule, NetworkAverage, first_network

# TINY without its n_networks=1: the default ("auto") and explicit counts here.
SMALL = {key: value for key, value in TINY.items() if key != "n_networks"}


def _batch(estimator, X, y=None):
    batch = estimator._schema.batch(X, estimator)
    inputs = {f"m{i}": torch.from_numpy(block) for i, block in enumerate(batch.blocks)}
    inputs["modality_mask"] = torch.from_numpy(batch.modality_mask)
    return inputs


def _member_outputs(estimator, X):
    module = estimator._inference_module(torch.float64)
    inputs = _batch(estimator, X)
    with torch.no_grad():
        return [member(**inputs)[0].numpy() for member in module.members]


def test_auto_averages_five_networks_in_fit_and_one_in_partial_fit():
    blocks, y = make_blocks()
    clf = DSRSDClassifier(**SMALL).fit(blocks, y)
    assert clf.n_networks == "auto" and clf.n_networks_ == 5
    assert isinstance(clf.net_.module_, NetworkAverage) and len(clf.net_.module_.members) == 5
    # At any size: the average scored higher on the large tuning tasks too.
    large, large_y = make_blocks(n_samples=10_000, n_features=(2, 2, 2))
    fast = dict(hidden_size=4, code_size=2, batch_size=500, numerical_embedding="none")
    large_fit = DSRSDClassifier(**fast, max_iter=1, early_stopping=False).fit(large, large_y)
    assert large_fit.n_networks_ == 5
    # n_networks=1 builds the network as before n_networks existed.
    clf = DSRSDClassifier(**SMALL, n_networks=1).fit(blocks, y)
    assert clf.n_networks_ == 1 and isinstance(clf.net_.module_, DSRSDModule)
    # partial_fit streams data of unknown size: one network.
    assert DSRSDClassifier(**SMALL).partial_fit(blocks, y, classes=[0, 1]).n_networks_ == 1
    assert (
        DSRSDClassifier(**SMALL, n_networks=2).partial_fit(blocks, y, classes=[0, 1]).n_networks_
        == 2
    )


def test_classifier_averages_the_members_probabilities():
    blocks, y = make_blocks(n_classes=3)
    clf = DSRSDClassifier(**SMALL, n_networks=3).fit(blocks, y)
    members = [softmax(output, axis=1) for output in _member_outputs(clf, blocks)]
    assert_allclose(clf.predict_proba(blocks), np.mean(members, axis=0), atol=1e-12)
    # The members start from different weights and learn different functions.
    assert np.abs(members[0] - members[1]).max() > 1e-3
    assert_array_equal(clf.predict(blocks), clf.classes_[clf.predict_proba(blocks).argmax(1)])


def test_binary_decision_function_is_the_log_odds_of_the_average():
    blocks, y = make_blocks()
    clf = DSRSDClassifier(**SMALL, n_networks=2).fit(blocks, y)
    proba = clf.predict_proba(blocks)
    assert_allclose(clf.decision_function(blocks), np.log(proba[:, 1] / proba[:, 0]), atol=1e-9)


def test_regressor_averages_the_members_predictions():
    blocks, y = make_blocks()
    target = blocks["m0"][:, 0] + blocks["m1"][:, 1]
    reg = DSRSDRegressor(**SMALL, n_networks=3).fit(blocks, target)
    scaled = np.mean([output[:, 0] for output in _member_outputs(reg, blocks)], axis=0)
    assert_allclose(reg.predict(blocks), scaled * reg._y_scale[0] + reg._y_mean[0], atol=1e-9)


def test_modality_weights_average_the_members_and_transform_is_the_first_networks():
    blocks, y = make_blocks()
    clf = DSRSDClassifier(**SMALL, n_networks=2).fit(blocks, y)
    module = clf._inference_module(torch.float64)
    with torch.no_grad():
        codes = [member(**_batch(clf, blocks))[1] for member in module.members]
    weights = np.mean([c["modality_weights"].numpy() for c in codes], axis=0)
    assert_allclose(clf.modality_weights(blocks), weights, atol=1e-12)
    first = torch.cat([codes[0]["shared"], codes[0]["private"]], dim=2).flatten(1).numpy()
    assert_allclose(clf.transform(blocks), first, rtol=1e-5, atol=1e-9)
    assert len(clf.get_feature_names_out()) == first.shape[1]
    assert first_network(clf.net_.module_) is clf.net_.module_.members[0]


@pytest.mark.parametrize("Estimator", [DSRSDClassifier, DSRSDRegressor])
def test_training_loss_is_the_mean_of_the_members_own_losses(Estimator):
    # Each member learns as it would alone: the loss is the mean of the members' own
    # losses (task plus weighted auxiliary terms), so no member's gradient depends on
    # another's output. Validation scores the averaged prediction.
    blocks, y = make_blocks()
    target = y if Estimator is DSRSDClassifier else blocks["m0"][:, :1]
    est = Estimator(**SMALL, n_networks=3).fit(blocks, target)
    net = est.net_
    inputs = _batch(est, blocks)
    y_true = torch.from_numpy(
        est._label_encoder.transform(y)
        if Estimator is DSRSDClassifier
        else est._scale_targets(target)
    ).to(torch.float32 if Estimator is DSRSDRegressor else torch.long)
    inputs = {k: v.float() if v.is_floating_point() else v for k, v in inputs.items()}
    net.module_.eval()  # the same draws for the whole and its parts: no dropout
    output, codes = net.module_(**inputs)
    own = []
    for member_output, member_codes in codes["members"]:
        loss = net.get_task_loss(member_output, y_true)
        for name, value in net.get_auxiliary_losses(member_codes).items():
            loss = loss + getattr(net, f"{name}_weight") * value
        own.append(loss)
    training = net.get_loss((output, codes), y_true, inputs, training=True)
    assert float(training.detach()) == pytest.approx(
        float(torch.stack(own).mean().detach()), rel=1e-5
    )
    first = list(net.module_.members[0].parameters())[0]
    other = list(net.module_.members[1].parameters())[0]
    gradient = torch.autograd.grad(training, first, retain_graph=True)[0]
    alone = torch.autograd.grad(own[0] / 3, first, retain_graph=True)[0]
    assert_allclose(gradient.numpy(), alone.numpy(), rtol=1e-4, atol=1e-7)
    assert torch.autograd.grad(own[0], other, allow_unused=True)[0] is None
    terms = {
        name: torch.stack([net.get_auxiliary_losses(c)[name] for _, c in codes["members"]]).mean()
        for name in net.get_auxiliary_losses(codes["members"][0][1])
    }
    validation = net.get_task_loss(output, y_true) + sum(
        getattr(net, f"{name}_weight") * value for name, value in terms.items()
    )
    scored = net.get_loss((output, codes), y_true, inputs, training=False)
    assert float(scored.detach()) == pytest.approx(float(validation.detach()), rel=1e-5)


def test_early_stopping_monitors_the_average():
    blocks, y = make_blocks(n_samples=300)
    clf = DSRSDClassifier(**SMALL, n_networks=2, early_stopping=True).fit(blocks, y)
    assert clf.do_early_stopping_ and len(clf.validation_scores_) == clf.n_iter_


def test_warm_start_keeps_the_networks_and_refuses_another_count(blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**SMALL, warm_start=True).fit(blocks, y)
    assert clf.n_networks_ == 5
    # "auto" continues the networks it has, whatever the new data's size.
    clf.fit({name: block[:50] for name, block in blocks.items()}, y[:50])
    assert clf.n_networks_ == 5 and clf.n_iter_ == 2 * TINY["max_iter"]
    before = clf.predict_proba(blocks)
    with pytest.raises(ValueError, match=r"warm_start=True.*n_networks 5 -> 2"):
        clf.set_params(n_networks=2).fit(blocks, y)
    assert clf.n_networks_ == 5
    assert_array_equal(clf.predict_proba(blocks), before)


def test_warm_start_from_one_network_refuses_an_average(blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**TINY, warm_start=True).fit(blocks, y)
    with pytest.raises(ValueError, match=r"warm_start=True.*n_networks 1 -> 3"):
        clf.set_params(n_networks=3).fit(blocks, y)
    assert isinstance(clf.net_.module_, DSRSDModule)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "many"])
def test_bad_n_networks_is_refused_naming_it(blocks_and_y, bad):
    blocks, y = blocks_and_y
    with pytest.raises((ValueError, TypeError), match="n_networks"):
        DSRSDClassifier(**SMALL, n_networks=bad).fit(blocks, y)


def test_distillation_pairs_each_student_network_with_its_teacher():
    blocks, y = make_blocks()
    X = {name: block.copy() for name, block in blocks.items()}
    X["m2"][:30] = np.nan
    clf = DSRSDClassifier(**SMALL, n_networks=2, missing_strategy="distill").fit(X, y)
    net = clf.net_
    assert isinstance(clf.teacher_net_.module_, NetworkAverage)
    assert len(clf.teacher_net_.module_.members) == 2
    inputs = {k: v.float() if v.is_floating_point() else v for k, v in _batch(clf, X).items()}
    target = torch.from_numpy(clf._label_encoder.transform(y))
    net.module_.eval()
    with torch.no_grad():
        output, codes = net.module_(**inputs)
        terms = net.get_distillation_losses(output, codes, inputs, target)
        complete = inputs["modality_mask"].bool().all(dim=1)
        teacher_inputs = {k: v[complete] for k, v in inputs.items()}
        pairs = []
        for (student_output, student_codes), teacher in zip(
            codes["members"], clf.teacher_net_.module_.members, strict=True
        ):
            teacher_output, teacher_codes = teacher(**teacher_inputs)
            pairs.append(
                net._distillation_terms(
                    student_output[complete],
                    student_codes["fused"][complete],
                    teacher_output,
                    teacher_codes["fused"],
                    target[complete],
                )
            )
    assert set(terms) == {
        "contrastive_distillation",
        "prototype_distillation",
        "response_distillation",
    }
    for name, value in terms.items():
        expected = np.mean([float(pair[name]) for pair in pairs])
        assert float(value) == pytest.approx(expected, rel=1e-6)


def test_partial_fit_after_fit_continues_each_networks_optimiser():
    # fit trains the networks apart; partial_fit then continues each from its own
    # optimiser state (moments, step count, the learning rate its schedule cut), and so
    # takes the step it would take alone: one batch, no dropout, to compare them exactly.
    blocks, y = make_blocks()
    params = {
        **SMALL,
        "early_stopping": False,
        "learning_rate": "adaptive",
        "tol": 10.0,  # no epoch improves: the schedule cuts the rate
        "max_iter": 8,
        "batch_size": len(y),
        "dropout": 0.0,
        "missing_strategy": "none",
    }
    average = DSRSDClassifier(**params, n_networks=2).fit(blocks, y)
    alone = [
        DSRSDClassifier(**{**params, "random_state": seed, "n_networks": 1}).fit(blocks, y)
        for seed in (SMALL["random_state"], SMALL["random_state"] + 1)
    ]
    rates = [group["lr"] for group in average.net_.optimizer_.param_groups]
    assert rates == [model.net_.optimizer_.param_groups[0]["lr"] for model in alone]
    assert max(rates) < 1e-3  # below learning_rate_init
    before = [parameter.detach().clone() for parameter in average.net_.module_.parameters()]
    average.partial_fit(blocks, y)
    for model in alone:
        model.partial_fit(blocks, y)
    after = [parameter.detach() for parameter in average.net_.module_.parameters()]
    step = max(float((new - old).abs().max()) for new, old in zip(after, before, strict=True))
    for member, model in zip(average.net_.module_.members, alone, strict=True):
        for mine, own in zip(member.parameters(), model.net_.module_.parameters(), strict=True):
            assert_allclose(mine.detach(), own.detach(), rtol=0, atol=step * 1e-2)


def test_saved_and_pickled_averages_predict_the_same(tmp_path):
    blocks, y = make_blocks()
    clf = DSRSDClassifier(**SMALL, n_networks=3).fit(blocks, y)
    path = tmp_path / "model.dsrsd"
    clf.save(path)
    loaded = load(path)
    assert loaded.n_networks_ == 3
    assert_array_equal(loaded.predict_proba(blocks), clf.predict_proba(blocks))
    assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(blocks), clf.predict_proba(blocks)
    )


def test_model_from_before_n_networks_loads_as_one_network(blocks_and_y):
    blocks, y = blocks_and_y
    clf = DSRSDClassifier(**SMALL, n_networks=1).fit(blocks, y)
    state = clf.__getstate__()
    del state["n_networks"], state["n_networks_"]
    old = DSRSDClassifier.__new__(DSRSDClassifier)
    old.__setstate__(state)
    assert old.n_networks == 1 and old.n_networks_ == 1
    assert_array_equal(old.predict_proba(blocks), clf.predict_proba(blocks))
    # A warm start continues that one network.
    old.set_params(warm_start=True, max_iter=1).fit(blocks, y)
    assert isinstance(old.net_.module_, DSRSDModule)


@pytest.mark.parametrize("Estimator", [DSRSDClassifier, DSRSDRegressor])
def test_each_network_is_the_one_network_model_of_its_seed(Estimator):
    # Network k is what n_networks=1 with random_state + k trains, sample weights included.
    blocks, y = make_blocks()
    target = y if Estimator is DSRSDClassifier else blocks["m0"][:, 0]
    weights = np.arange(1, len(y) + 1, dtype=float)
    average = Estimator(**SMALL, n_networks=2).fit(blocks, target, sample_weight=weights)
    alone = [
        Estimator(**{**SMALL, "random_state": seed, "n_networks": 1}).fit(
            blocks, target, sample_weight=weights
        )
        for seed in (SMALL["random_state"], SMALL["random_state"] + 1)
    ]
    if Estimator is DSRSDClassifier:
        expected = np.mean([model.predict_proba(blocks) for model in alone], axis=0)
        assert_allclose(average.predict_proba(blocks), expected, rtol=1e-12, atol=1e-15)
    else:
        expected = np.mean([model.predict(blocks) for model in alone], axis=0)
        assert_allclose(average.predict(blocks), expected, rtol=1e-12, atol=1e-12)
    assert average.n_iter_ == alone[0].n_iter_
    assert average.loss_curve_ == alone[0].loss_curve_


@pytest.mark.parametrize(
    "Estimator, options",
    [(DSRSDClassifier, {"missing_strategy": "distill"}), (DSRSDRegressor, {})],
)
def test_networks_trained_in_parallel_are_those_trained_one_after_another(Estimator, options):
    # Workers run torch with fewer threads than the caller; the networks, CorrKD's teachers
    # included, come back the same.
    blocks, y = make_blocks()
    target = y if Estimator is DSRSDClassifier else blocks["m0"][:, 0]
    in_turn = Estimator(**SMALL, **options, n_networks=2).fit(blocks, target)
    parallel = Estimator(**SMALL, **options, n_networks=2, n_jobs=2).fit(blocks, target)
    assert parallel.n_jobs == 2 and parallel.n_networks_ == 2
    assert_allclose(parallel.predict(blocks), in_turn.predict(blocks), rtol=1e-6, atol=1e-9)
    for name in ("net_", "teacher_net_") if options else ("net_",):
        members = getattr(parallel, name).module_.members, getattr(in_turn, name).module_.members
        for ours, theirs in zip(*members, strict=True):
            for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
                assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert parallel.loss_curve_ == pytest.approx(in_turn.loss_curve_, rel=1e-5)


@pytest.mark.parametrize("bad", [1.5, "two"])
def test_bad_n_jobs_is_refused_naming_it(blocks_and_y, bad):
    blocks, y = blocks_and_y
    with pytest.raises((ValueError, TypeError), match="n_jobs"):
        DSRSDClassifier(**SMALL, n_jobs=bad).fit(blocks, y)


def test_networks_trained_in_threads_are_those_trained_one_after_another():
    # Inside a GridSearchCV worker joblib runs a nested n_jobs in threads of one process,
    # which share torch's global generator (seeded per fit under a lock).
    from joblib import parallel_backend

    blocks, y = make_blocks()
    in_turn = DSRSDClassifier(**SMALL, n_networks=3).fit(blocks, y)
    with parallel_backend("threading"):
        threaded = DSRSDClassifier(**SMALL, n_networks=3, n_jobs=3).fit(blocks, y)
    assert_allclose(threaded.predict_proba(blocks), in_turn.predict_proba(blocks), atol=1e-7)
