"""The benchmark scripts' command lines: bad arguments and data are one line, exit status 2."""

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import compare  # noqa: E402
import cross_domain  # noqa: E402
import missing_modalities  # noqa: E402
import parallel_networks  # noqa: E402


def _one_line(err: str, prog: str, message: str) -> None:
    assert err.startswith(f"{prog}: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, expected",
    [
        # The user's folders win, whichever way the option is spelt.
        (["--out-dir=/tmp/x", "--dataset", "oulad"], ["--out-dir=/tmp/x", "--dataset", "oulad"]),
        (
            ["--dataset=assistments2009", "--data-dir=/my/data", "--out-dir", "o"],
            ["--dataset=assistments2009", "--data-dir=/my/data", "--out-dir", "o"],
        ),
        (
            ["--dataset=assistments2009", "--out-dir", "o"],
            ["--dataset=assistments2009", "--out-dir", "o", "--data-dir"],
        ),
    ],
)
def test_compare_adds_only_the_defaults_not_given(argv, expected):
    completed = compare._with_defaults(argv)
    assert completed[: len(expected)] == expected
    assert len(completed) == len(expected) + (1 if expected[-1] == "--data-dir" else 0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "assistments2009"], "is a next-step task"),
        (["--cv", "1"], "argument --cv: must be at least 2, got 1"),
        (["--threads", "0"], "argument --threads: must be at least 1, got 0"),
    ],
)
def test_missing_modalities_argument_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        missing_modalities.main(argv)
    assert raised.value.code == 2
    _one_line(capsys.readouterr().err, "missing_modalities.py", message)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "breast-cancer", "--models", "Foo"], "unknown models ['Foo']"),
        (["--data-dir", "{tmp}"], "does not exist"),
        (["--dataset", "nope"], "Unknown dataset 'nope'"),
    ],
)
def test_missing_modalities_data_errors(tmp_path, capsys, argv, message):
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    assert missing_modalities.main([*argv, "--out-dir", str(tmp_path / "out")]) == 2
    _one_line(capsys.readouterr().err, "missing_modalities.py", message)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cross_domain_errors(tmp_path, capsys):
    assert cross_domain.main(["--data-dir", str(tmp_path), "--out-dir", str(tmp_path)]) == 2
    _one_line(capsys.readouterr().err, "cross_domain.py", "does not exist")
    with pytest.raises(SystemExit) as raised:
        cross_domain.main(["--threads", "0"])
    assert raised.value.code == 2
    _one_line(capsys.readouterr().err, "cross_domain.py", "must be at least 1, got 0")


def test_tuning_small_draws_keep_every_split_inside_its_draw():
    import numpy as np
    import tune_defaults

    from sklearn_dsrsd import ModalityDict

    rng = np.random.RandomState(0)
    X = ModalityDict({"a": rng.normal(size=(300, 2)), "b": rng.normal(size=(300, 1))})
    y = np.arange(300) % 2
    groups = np.arange(300) // 3
    stacked, y_stacked, splits, stacked_groups = tune_defaults._small_draws(
        X, y, groups, "classification", 60
    )
    draws = tune_defaults.SMALL_DRAWS
    assert len(y_stacked) == 60 * draws and len(splits) == 5 * draws
    for k, (train, test) in enumerate(splits):
        draw = k // 5
        assert set(train) | set(test) == set(range(60 * draw, 60 * (draw + 1)))
        assert not set(train) & set(test)
    # The draws differ, and each row is a row of X (with its own target).
    first, second = (stacked["a"][60 * d : 60 * (d + 1)] for d in (0, 1))
    assert not np.array_equal(first, second)
    rows = [int(np.flatnonzero((X["a"] == row).all(axis=1))[0]) for row in stacked["a"]]
    np.testing.assert_array_equal(y[rows], y_stacked)
    np.testing.assert_array_equal(groups[rows], stacked_groups)


def test_parallel_networks_refuses_no_repeats(capsys):
    with pytest.raises(SystemExit) as raised:
        parallel_networks.main(["--repeats", "0"])
    assert raised.value.code == 2
    _one_line(
        capsys.readouterr().err, "parallel_networks.py", "argument --repeats: must be at least 1"
    )
