"""The comparison harness (``python -m sklearn_dsrsd``): user CSV views, response logs, JSON."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklearn_dsrsd._comparison import ComparisonResult, main, make_splits

GIVEN_FOLDS_FAST = ["--max-iter", "2", "--quiet", "--threads", "1"]
FAST = ["--cv", "2", *GIVEN_FOLDS_FAST]


def test_views_from_csv_files_print_json(tmp_path, capsys):
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=(80, 3)), rng.normal(size=(80, 2))
    pd.DataFrame(a, columns=["x", "y", "z"]).to_csv(tmp_path / "sensor_a.csv", index=False)
    pd.DataFrame(b, columns=["u", "v"]).to_csv(tmp_path / "sensor_b.csv", index=False)
    label = np.where(a[:, 0] + b[:, 0] > 0, "high", "low")
    pd.DataFrame({"label": label}).to_csv(tmp_path / "y.csv", index=False)
    main(
        [
            "--views",
            str(tmp_path / "sensor_a.csv"),
            str(tmp_path / "sensor_b.csv"),
            "--target-file",
            str(tmp_path / "y.csv"),
            "--json",
            "--models",
            "DSRSD",
            "EarlyFusion",
            "Single[sensor_b]",
            "LogisticRegression",
            "--out-dir",
            str(tmp_path / "out"),
            *FAST,
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert result["task"] == "classification"
    assert set(result["scores"]) == {
        "DSRSD",
        "EarlyFusion",
        "Single[sensor_b]",
        "LogisticRegression",
    }
    assert len(result["scores"]["DSRSD"]["roc_auc"]) == 2
    assert result["summary"]["LogisticRegression"]["accuracy"]["mean"] > 0.8
    assert result["paired_test"]["reference"] == "DSRSD"
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"views_sensor_a+sensor_b.{ext}" for ext in ("json", "md", "png")]


def test_response_log_with_given_folds(tmp_path, capsys):
    rng = np.random.RandomState(0)
    rows = []
    for student in range(40):
        ability = rng.normal()
        for step in range(15):
            item = rng.randint(20)
            p = 1 / (1 + np.exp(-(ability + (item % 5 - 2) * 0.5)))
            rows.append((student, step, item, item % 4, int(rng.rand() < p), student % 3 + 1))
    log = pd.DataFrame(rows, columns=["learner", "t", "problem", "kc", "ok", "fold"])
    log.to_csv(tmp_path / "log.csv", index=False)
    argv = [
        "--log",
        str(tmp_path / "log.csv"),
        "--student",
        "learner",
        "--order",
        "t",
        "--item",
        "problem",
        "--skill",
        "kc",
        "--correct",
        "ok",
        "--fold",
        "fold",
        "--json",
        "--models",
        "DSRSD",
        "HistGradientBoosting",
        *GIVEN_FOLDS_FAST,
    ]
    main(argv)
    result = json.loads(capsys.readouterr().out)
    assert "given folds [1, 2, 3]" in result["protocol"]
    assert "the networks' early stopping holds out whole students" in result["protocol"]
    assert len(result["scores"]["DSRSD"]["roc_auc"]) == 3
    # Fits in worker processes are seeded as in the caller's: the same scores.
    main([*argv, "--n-jobs", "2"])
    parallel = json.loads(capsys.readouterr().out)
    for model, scores in result["scores"].items():
        for metric in ("accuracy", "macro_f1", "roc_auc"):
            assert parallel["scores"][model][metric] == scores[metric], (model, metric)
    # The log's folds are the protocol: --cv would be ignored, so it is refused; --quick
    # keeps the first two of them.
    assert main([*argv, "--cv", "2"]) == 2
    assert "--cv set the cross-validation folds, but" in capsys.readouterr().err
    main([*argv, "--quick"])
    quick = json.loads(capsys.readouterr().out)
    assert "given folds [1, 2]" in quick["protocol"]
    assert quick["scores"]["DSRSD"]["roc_auc"] == result["scores"]["DSRSD"]["roc_auc"][:2]


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--views", "{tmp}/a.csv", "--target-file", "{tmp}/y.csv", "--target-column", "label"],
            "no column 'label'",
        ),
        (["--dataset", "nope"], "Unknown dataset 'nope'"),
        (["--dataset", "oulad-dnever"], "Unknown dataset 'oulad-dnever'"),
        (["--views", "{tmp}/missing.csv", "--target-file", "{tmp}/y.csv"], "missing.csv"),
        (["--dataset", "synthetic-classification", "--models", "Nope"], "unknown models ['Nope']"),
        (
            ["--views", "{tmp}/text.csv", "--target-file", "{tmp}/y.csv"],
            "text.csv: column 'b' is not numeric (e.g. 'x')",
        ),
        (
            ["--views", "{tmp}/a.csv", "--target-file", "{tmp}/y3.csv"],
            "y3.csv has 3 rows but the views have 2",
        ),
        (
            ["--dataset", "breast-cancer", "--models", "LogisticRegression"]
            + ["--out-dir", "{tmp}/a.csv/results"],
            "a.csv/results",
        ),
        (
            # A modality is named after its file: these two would silently be one.
            ["--views", "{tmp}/a.csv", "{tmp}/other/a.csv", "--target-file", "{tmp}/y.csv"],
            "a.csv and {tmp}/other/a.csv would both be the modality 'a'",
        ),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    pd.DataFrame({"a": [1, 2]}).to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "other").mkdir()
    pd.DataFrame({"b": [3, 4]}).to_csv(tmp_path / "other" / "a.csv", index=False)
    pd.DataFrame({"y": [0, 1]}).to_csv(tmp_path / "y.csv", index=False)
    pd.DataFrame({"y": [0, 1, 1]}).to_csv(tmp_path / "y3.csv", index=False)
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(tmp_path / "text.csv", index=False)
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    message = message.replace("{tmp}", str(tmp_path))
    assert err.startswith("python -m sklearn_dsrsd: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--threads", "0"], "--threads must be at least 1; got 0"),
        (["--cv", "1"], "argument --cv: must be at least 2, got 1"),
        (["--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
        (["--n-jobs", "0"], "argument --n-jobs: must be at least 1, got 0"),
        (["--cv", "two"], "argument --cv: expected an integer, got 'two'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (
            ["--views", "a.csv", "--target-file", "y.csv", "--log", "log.csv"],
            "--views and --log are two data sources; give one",
        ),
        (["--seed", "-1"], "argument --seed: must be between 0 and 4294967295, got -1"),
        (
            ["--seed", "4294967296"],
            "argument --seed: must be between 0 and 4294967295, got 4294967296",
        ),
        (
            ["--seed", "4294967295", "--repeats", "2"],
            "--seed 4294967295 would seed up to 4294967296 (--seed + --repeats - 1 or --seed "
            "+ --seed-ensemble - 1), above the largest seed 4294967295",
        ),
        # Options set before --models filters the models: refused where it drops all of
        # the models that read them, rather than ignored.
        (
            ["--dataset", "breast-cancer", "--models", "LogisticRegression"]
            + ["--seed-ensemble", "2"],
            "--seed-ensemble applies to the model(s) ['DSRSD (2 seeds)'], none of which "
            "--models ['LogisticRegression'] selects; it would be ignored here",
        ),
        (
            ["--models", "LogisticRegression", "--class-weight", "balanced"],
            "--class-weight applies to the model(s) ['DSRSD'], none of which --models "
            "['LogisticRegression'] selects; it would be ignored here",
        ),
        (
            ["--models", "DSRSD (2 seeds)", "--seed-ensemble", "3", "--temporal-encoder", "gru"],
            "--seed-ensemble applies to the model(s) ['DSRSD (3 seeds)'], none of which "
            "--models ['DSRSD (2 seeds)'] selects; it would be ignored here",
        ),
        (
            ["--models", "EarlyFusion", "--temporal-encoder", "gru"],
            "--temporal-encoder applies to the model(s) ['DSRSD'], none of which --models "
            "['EarlyFusion'] selects; it would be ignored here",
        ),
        (["--n-networks", "0"], "argument --n-networks: must be at least 1, got 0"),
        (
            ["--models", "EarlyFusion", "--n-networks", "2"],
            "--n-networks applies to the model(s) ['DSRSD (n_networks=2)'], none of which "
            "--models ['EarlyFusion'] selects; it would be ignored here",
        ),
        (
            ["--dataset", "breast-cancer", "--skill-profile"],
            "--skill-profile applies to --log or --dataset assistments2009; it would be "
            "ignored here",
        ),
        (
            ["--ablation", "--models", "no alignment", "--seed-ensemble", "2"],
            "--seed-ensemble applies to the model(s) ['DSRSD (2 seeds)'], none of which "
            "--models ['no alignment'] selects; it would be ignored here",
        ),
    ],
)
def test_argument_errors_are_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err == f"python -m sklearn_dsrsd: error: {message} (see --help)\n"


def test_main_job_reports_loading_and_progress_and_restores_threads(capsys):
    import torch

    threads = torch.get_num_threads()
    assert (
        main(
            [
                "--dataset",
                "synthetic-classification",
                "--quick",
                "--models",
                "DSRSD",
                "LogisticRegression",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("Loading synthetic-classification")
    assert err[1].startswith("Loaded synthetic-classification: 1000 samples")
    bars = [line for line in err if line.startswith("[")]
    assert len(bars) == 4  # 2 models x 2 folds, one line each when not a terminal
    assert bars[-1].startswith("[" + "#" * 24 + "] 4/4 fits") and "left" in bars[-1]
    assert not any("\x1b" in line or "\r" in line for line in err)
    assert torch.get_num_threads() == threads


def test_grouped_splits_keep_groups_apart_and_paired_test():
    y = np.tile([0, 1], 30)
    groups = np.repeat(np.arange(20), 3)
    for train, test in make_splits(
        y, task="classification", n_splits=3, n_repeats=2, groups=groups
    ):
        assert not set(groups[train]) & set(groups[test])
    result = ComparisonResult(
        "classification",
        "toy",
        scores={
            "DSRSD": {"roc_auc": [0.8, 0.82, 0.81]},
            "other": {"roc_auc": [0.7, 0.71, 0.69]},
        },
    )
    test = result.paired_test(test_fraction=1 / 3)
    assert test["best_other"] == "other" and test["mean_difference"] == pytest.approx(0.11)
    assert 0 < test["p_value"] < 0.05


def kt_log(columns):
    """A response log of 30 students with the given id columns ("item", "skill")."""
    rng = np.random.RandomState(1)
    rows = []
    for student in range(30):
        ability = rng.normal()
        for step in range(12):
            item = rng.randint(15)
            p = 1 / (1 + np.exp(-(ability + (item % 5 - 2) * 0.5)))
            rows.append(
                {
                    "learner": student,
                    "t": step,
                    "item": item,
                    "skill": item % 4,
                    "ok": int(rng.rand() < p),
                }
            )
    return pd.DataFrame(rows)[["learner", "t", *columns, "ok"]]


KT = [
    "--student",
    "learner",
    "--order",
    "t",
    "--correct",
    "ok",
    "--json",
    "--quick",
    "--threads",
    "1",
    "--models",
    "DSRSD",
    "LogisticRegression",
]


@pytest.mark.parametrize(
    "columns, options, modalities",
    [
        # items only, under the default item name: found without --item, no skill column
        (["problem_idx"], [], "history (7,), recent (30,), content (1,)"),
        # skills only, named explicitly
        (["kc"], ["--skill", "kc"], "history (13,), recent (30,), content (2,)"),
    ],
)
def test_response_log_with_items_only_or_skills_only(
    tmp_path, capsys, columns, options, modalities
):
    log = kt_log(["item", "skill"]).rename(columns={"item": "problem_idx", "skill": "kc"})
    log[["learner", "t", *columns, "ok"]].to_csv(tmp_path / "log.csv", index=False)
    assert main(["--log", str(tmp_path / "log.csv"), *options, *KT]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert set(result["scores"]) == {"DSRSD", "LogisticRegression"}
    assert len(result["scores"]["DSRSD"]["roc_auc"]) == 2
    assert f"modalities {modalities}" in captured.err


def test_response_log_with_a_skill_profile_and_one_network(tmp_path, capsys):
    kt_log(["item", "skill"]).to_csv(tmp_path / "log.csv", index=False)
    argv = ["--log", str(tmp_path / "log.csv"), "--item", "item", "--skill", "skill", *KT]
    argv += ["DSRSD (n_networks=1)", "--skill-profile", "--n-networks", "1"]
    assert main([*argv, "--out-dir", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    # four skills: 12 columns of per-skill counts beside the three blocks
    assert "content (3,), skills (12,)" in captured.err
    result = json.loads(captured.out)
    assert set(result["scores"]) == {"DSRSD", "DSRSD (n_networks=1)", "LogisticRegression"}
    assert (
        result["scores"]["DSRSD"]["roc_auc"] != result["scores"]["DSRSD (n_networks=1)"]["roc_auc"]
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"next-step_log.csv-skill_profile.{ext}" for ext in ("json", "md", "png")
    ]
    # a log without skills has nothing to count
    kt_log(["item"]).to_csv(tmp_path / "items.csv", index=False)
    assert (
        main(
            [
                "--log",
                str(tmp_path / "items.csv"),
                "--item",
                "item",
                *KT[:-3],
                "--skill-profile",
                "--quiet",
            ]
        )
        == 2
    )
    assert "skill_profile counts each skill's earlier responses and needs a skill column" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "columns, options, message",
    [
        (
            ["item", "skill"],
            ["--item", "problem"],
            "--item 'problem' is not a column of {log}; its columns are ['learner', 't', 'item', "
            "'skill', 'ok'].",
        ),
        (["item"], ["--item", "item", "--skill", "kc"], "--skill 'kc' is not a column of {log}"),
        (
            ["item", "skill"],
            [],
            "{log} has neither the default item column 'problem_idx' nor the default skill column "
            "'skill_idx'; name at least one with --item or --skill",
        ),
    ],
)
def test_response_log_column_errors_are_one_line_and_exit_2(
    tmp_path, capsys, columns, options, message
):
    path = tmp_path / "log.csv"
    kt_log(columns).to_csv(path, index=False)
    assert main(["--log", str(path), *options, *KT, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"python -m sklearn_dsrsd: error: {message.format(log=path)}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_next_step_history_as_a_sequence_for_a_temporal_encoder(tmp_path, capsys):
    rng = np.random.RandomState(1)
    # One skill per item: an item answered twice in a row with two skills would read as
    # the rows of one multi-skill response, which build_next_step_features refuses when
    # their correctness differs.
    items = rng.randint(12, size=(30, 12))
    rows = [
        (s, t, items[s, t], items[s, t] % 4, int(rng.rand() < 0.6))
        for s in range(30)
        for t in range(12)
    ]
    log = pd.DataFrame(
        rows, columns=["orig_user_id", "step", "problem_idx", "skill_idx", "correct"]
    )
    log.to_csv(tmp_path / "log.csv", index=False)
    assert (
        main(
            [
                "--log",
                str(tmp_path / "log.csv"),
                "--n-recent",
                "6",
                "--sequence",
                "--temporal-encoder",
                "gru",
                "--models",
                "DSRSD",
                "--json",
                "--max-iter",
                "2",
                "--cv",
                "2",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["dataset"] == "next-step:log.csv-recent6-sequence"
    assert "temporal_encoder=gru" in result["protocol"]
    assert "recent (6, 4)" in captured.err  # the loaded modality is (steps, fields)


def test_table_tests_every_model_against_dsrsd_and_class_weight_option(tmp_path, capsys):
    assert (
        main(
            [
                "--dataset",
                "synthetic-ablation",
                "--quick",
                "--quiet",
                "--class-weight",
                "balanced",
                "--models",
                "DSRSD",
                "EarlyFusion",
                "LogisticRegression",
                "--out-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "DSRSD class_weight=balanced" in table
    assert "| roc_auc minus DSRSD (corrected p) |" in table
    rows = [line for line in table.splitlines() if line.startswith("| EarlyFusion")]
    assert len(rows) == 1 and "(p = " in rows[0]
    assert (tmp_path / "synthetic-ablation-dsrsd_balanced.md").is_file()
    assert (
        main(
            [
                "--dataset",
                "synthetic-regression",
                "--quick",
                "--quiet",
                "--class-weight",
                "balanced",
            ]
        )
        == 2
    )


@pytest.mark.parametrize(
    "dataset, views, primary",
    [
        ("breast-cancer", {"mean": (0, 10), "error": (10, 20), "worst": (20, 30)}, "roc_auc"),
        ("diabetes", {"clinical": (0, 4), "serum": (4, 10)}, "r2"),
    ],
)
def test_bundled_datasets_are_split_into_their_views(tmp_path, capsys, dataset, views, primary):
    from sklearn import datasets

    from sklearn_dsrsd._comparison import _bundled_views

    X, y, _ = _bundled_views(dataset)
    bunch = (
        datasets.load_breast_cancer()
        if dataset == "breast-cancer"
        else datasets.load_diabetes(scaled=False)
    )
    assert list(X) == list(views)
    for view, (start, stop) in views.items():
        np.testing.assert_array_equal(X[view], bunch.data[:, start:stop])
    np.testing.assert_array_equal(y, bunch.target)
    argv = ["--dataset", dataset, "--models", "DSRSD", "EarlyFusion", "--json", *FAST]
    assert main([*argv, "--out-dir", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dataset"] == dataset
    assert len(result["scores"]["DSRSD"][primary]) == 2


def test_update_merges_models_of_one_protocol_only(tmp_path, capsys, monkeypatch):
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=(60, 3)), rng.normal(size=(60, 2))
    pd.DataFrame(a).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame(b).to_csv(tmp_path / "b.csv", index=False)
    pd.DataFrame({"y": (a[:, 0] + b[:, 0] > 0).astype(int)}).to_csv(
        tmp_path / "y.csv", index=False
    )
    base = [
        "--views",
        str(tmp_path / "a.csv"),
        str(tmp_path / "b.csv"),
        "--target-file",
        str(tmp_path / "y.csv"),
        "--out-dir",
        str(tmp_path / "out"),
        *FAST,
    ]
    assert main([*base, "--models", "DSRSD"]) == 0
    assert main([*base, "--models", "LogisticRegression", "--update", "--n-jobs", "2"]) == 0
    (written,) = (tmp_path / "out").glob("*.json")
    merged = json.loads(written.read_text())
    assert set(merged["scores"]) == {"DSRSD", "LogisticRegression"}
    # The file says which rows an earlier run measured, and how this one timed its fits.
    assert merged["earlier_rows"] == ["DSRSD"]
    assert merged["timing"] == "torch threads 1, 2 fit(s) at a time" and merged["machine"]
    table = written.with_suffix(".md").read_text()
    assert "Rows kept from the earlier file" in table and "2 fit(s) at a time" in table
    # Another seed splits and fits otherwise: its rows cannot be paired with these, and that
    # is found before any model is fitted.
    capsys.readouterr()
    fitted = []
    monkeypatch.setattr("sklearn_dsrsd._comparison.compare", lambda *a, **k: fitted.append(1))
    assert main([*base, "--models", "EarlyFusion", "--update", "--seed", "1"]) == 2
    assert "holds a different protocol" in capsys.readouterr().err and not fitted
    assert set(json.loads(written.read_text())["scores"]) == {"DSRSD", "LogisticRegression"}
    # A row measured again is no longer one kept from an earlier run.
    monkeypatch.undo()
    assert main([*base, "--models", "DSRSD", "--update"]) == 0
    assert json.loads(written.read_text())["earlier_rows"] == ["LogisticRegression"]


def test_next_step_task_encodes_a_training_row_without_its_students_targets():
    # The outer folds hold students apart; the inner folds of the target encoding must
    # too, or a training row's encoding would hold its student's other (later) responses.
    from sklearn.base import BaseEstimator

    from sklearn_dsrsd._comparison import _next_step_task
    from sklearn_dsrsd.datasets import build_next_step_features, make_knowledge_tracing_log

    class KeepContent(BaseEstimator):
        def fit(self, X, y):
            self.content_ = np.asarray(X["content"])
            return self

    bunch = build_next_step_features(make_knowledge_tracing_log(n_students=60, random_state=0))
    task = _next_step_task(bunch, "kt", None, seed=0)
    student = task.groups == task.groups[0]
    y = task.y.copy()
    encoded = task.prepare(KeepContent()).fit(task.X, y, **task.fit_params)[-1].content_
    y[student] = 1 - y[student]
    again = task.prepare(KeepContent()).fit(task.X, y, **task.fit_params)[-1].content_
    np.testing.assert_array_equal(again[student], encoded[student])
    assert not np.allclose(again[~student], encoded[~student])
    # The inner folds follow --seed, as the outer folds and the models do.
    reseeded = _next_step_task(bunch, "kt", None, seed=1)
    other_folds = reseeded.prepare(KeepContent()).fit(task.X, y, **task.fit_params)[-1]
    assert not np.allclose(other_folds.content_, again)


def test_paired_test_is_against_dsrsd_wherever_it_sits_and_json_has_no_nan():
    # --update appends new models after the file's: DSRSD may come last, and stays the
    # reference; identical fold scores give no t statistic, written as null.
    result = ComparisonResult(task="classification", dataset="d", protocol="p")
    folds = {"LogisticRegression": [0.70, 0.72, 0.74], "HistGradientBoosting": [0.80, 0.81, 0.83]}
    folds["DSRSD"] = folds["LogisticRegression"]
    result.scores = {
        model: {"fit_time": [1.0] * 3, **dict.fromkeys(("accuracy", "macro_f1", "roc_auc"), f)}
        for model, f in folds.items()
    }
    test = result.paired_test(test_fraction=1 / 3)
    assert test["reference"] == "DSRSD" and test["best_other"] == "HistGradientBoosting"
    assert "roc_auc minus DSRSD" in result.to_markdown(test_fraction=1 / 3)
    tie = result.to_json(test_fraction=1 / 3)
    assert tie["paired_test"]["reference"] == "DSRSD"
    del result.scores["HistGradientBoosting"]
    tie = result.to_json(test_fraction=1 / 3)["paired_test"]
    assert tie["t"] is None and tie["p_value"] is None
    json.dumps(result.to_json(test_fraction=1 / 3), allow_nan=False)


def _models_compared(monkeypatch, argv):
    """The models that the command line ``argv`` would compare (nothing is fitted)."""
    import sklearn_dsrsd._comparison as comparison

    class Captured(Exception):
        pass

    def capture(models, *args, **kwargs):
        raise Captured(models)

    monkeypatch.setattr(comparison, "compare", capture)
    with pytest.raises(Captured) as captured:
        main([*argv, "--quiet"])
    return captured.value.args[0]


def test_ablation_options_reach_every_variant(monkeypatch):
    # Each variant must differ from the full model in its one component only.
    argv = ["--dataset", "breast-cancer", "--ablation", "--temporal-encoder", "gru"]
    models = _models_compared(monkeypatch, [*argv, "--class-weight", "balanced"])
    assert len(models) > 2
    for name, model in models.items():
        assert model.temporal_encoder == "gru" and model.class_weight == "balanced", name


@pytest.mark.parametrize("defect", [TypeError("bad operand"), KeyError("missing key")])
def test_a_defect_while_fitting_keeps_its_traceback(monkeypatch, capsys, defect):
    # Bad arguments and data are one line and exit 2; a TypeError or KeyError raised once
    # the checked data reach the models is a defect, and one line would hide where it arose.
    import sklearn_dsrsd._comparison as comparison

    def broken_compare(*args, **kwargs):
        raise defect

    monkeypatch.setattr(comparison, "compare", broken_compare)
    with pytest.raises(RuntimeError, match="while fitting the models") as raised:
        main(["--dataset", "breast-cancer", "--models", "LogisticRegression", "--quiet"])
    assert raised.value.__cause__ is defect
    assert "error:" not in capsys.readouterr().err


def test_seed_ensemble_row_averages_seeds_and_is_not_the_best_other(tmp_path, capsys):
    from sklearn_dsrsd import DSRSDClassifier
    from sklearn_dsrsd._comparison import seed_ensemble

    rng = np.random.RandomState(0)
    X = {"a": rng.normal(size=(60, 3)), "b": rng.normal(size=(60, 2))}
    y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    tiny = DSRSDClassifier(hidden_size=8, code_size=4, max_iter=3, random_state=0)
    ensemble = seed_ensemble(tiny, 3, seed=5).fit(X, y)
    one = {**tiny.get_params(), "n_networks": 1}
    members = [DSRSDClassifier(**{**one, "random_state": s}) for s in (5, 6, 7)]
    expected = np.mean([m.fit(X, y).predict_proba(X) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected, rtol=1e-6)
    # DSRSD's own average of three networks is this ensemble.
    own = clone(tiny).set_params(n_networks=3, random_state=5).fit(X, y)
    np.testing.assert_allclose(own.predict_proba(X), expected, rtol=1e-12, atol=1e-15)

    pd.DataFrame(X["a"]).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame(X["b"]).to_csv(tmp_path / "b.csv", index=False)
    pd.DataFrame({"y": y}).to_csv(tmp_path / "y.csv", index=False)
    views = ["--views", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    argv = [*views, "--target-file", str(tmp_path / "y.csv"), "--json", *FAST]
    models = ["--models", "DSRSD", "DSRSD (2 seeds)", "LogisticRegression"]
    assert main([*argv, "--seed-ensemble", "2", *models]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["scores"]) == {"DSRSD", "DSRSD (2 seeds)", "LogisticRegression"}
    # The headline test is DSRSD against a baseline, whichever row scores higher.
    assert result["paired_test"]["best_other"] == "LogisticRegression"


def test_protocol_names_the_presentations_and_the_official_files(capsys):
    argv = ["--dataset", "oulad", "--quick", "--json", "--models", "LogisticRegression"]
    assert main([*argv, "--presentations", "AAA_2013J", "--quiet"]) == 0
    protocol = json.loads(capsys.readouterr().out)["protocol"]
    assert protocol.endswith("; presentations AAA_2013J")
    # Grouped folds, but OULAD's networks hold out random rows for early stopping.
    assert "grouped by student" in protocol and "whole students" not in protocol
    assert main([*argv, "--quiet"]) == 0
    assert "presentations" not in json.loads(capsys.readouterr().out)["protocol"]


def test_reference_is_dsrsd_itself_whatever_the_order_of_the_rows():
    # An --update merge can put a seed ensemble of DSRSD first and let it score highest:
    # the table still tests DSRSD, against the best baseline.
    folds = {"DSRSD (2 seeds)": 0.9, "LogisticRegression": 0.8, "DSRSD": 0.7}
    result = ComparisonResult(task="classification", dataset="d", protocol="p")
    metrics = ("accuracy", "macro_f1", "roc_auc", "fit_time")
    result.scores = {
        model: {metric: [mean - 0.01, mean, mean + 0.02] for metric in metrics}
        for model, mean in folds.items()
    }
    assert result.reference == "DSRSD"
    assert result.paired_test(test_fraction=0.5)["best_other"] == "LogisticRegression"
    assert "roc_auc minus DSRSD (corrected p)" in result.to_markdown(test_fraction=0.5)


class _CountingLogisticRegression:
    """A classifier on the concatenated views that counts its fits (in this process)."""

    fits = 0

    def __init__(self, C=1.0):
        self.C = C

    def get_params(self, deep=True):
        return {"C": self.C}

    def set_params(self, **params):
        self.C = params.get("C", self.C)
        return self

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        from sklearn_dsrsd._comparison import concatenate_modalities

        type(self).fits += 1
        self.model_ = LogisticRegression(C=self.C).fit(concatenate_modalities(X), y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        from sklearn_dsrsd._comparison import concatenate_modalities

        return self.model_.predict_proba(concatenate_modalities(X))


def test_resume_takes_finished_fits_from_the_folder_and_refits_the_rest(tmp_path):
    from sklearn_dsrsd._comparison import compare

    rng = np.random.RandomState(0)
    X = {"a": rng.normal(size=(60, 3)), "b": rng.normal(size=(60, 2))}
    y = (X["a"][:, 0] > 0).astype(int)
    splits = make_splits(y, task="classification", n_splits=3, n_repeats=1)
    models = {"counted": _CountingLogisticRegression()}
    options = dict(task="classification", splits=splits, dataset="toy", protocol="p")

    _CountingLogisticRegression.fits = 0
    first = compare(models, X, y, resume_dir=tmp_path / "kept", **options)
    assert _CountingLogisticRegression.fits == 3
    stored = sorted((tmp_path / "kept").iterdir())
    assert len(stored) == 3 and all(path.suffix == ".json" for path in stored)

    # An interrupted run: one fit's file is missing, so only that fit runs again.
    stored[0].unlink()
    lines = []

    class Log:
        def __call__(self, line):
            lines.append((line, False))

        def kept(self, line):
            lines.append((line, True))

    second = compare(models, X, y, resume_dir=tmp_path / "kept", log=Log(), **options)
    assert _CountingLogisticRegression.fits == 4
    refitted = [i for i, (line, kept) in enumerate(lines) if not kept]
    assert len(refitted) == 1
    for metric, values in first.scores["counted"].items():
        if metric == "fit_time":  # kept fits keep their measured times
            values = [v for i, v in enumerate(values) if i not in refitted]
            again = [
                v for i, v in enumerate(second.scores["counted"][metric]) if i not in refitted
            ]
            assert again == values
        else:
            assert second.scores["counted"][metric] == values
    assert sum(kept for _, kept in lines) == 2
    assert all(("(kept in" in line) == kept for line, kept in lines)

    # Another protocol (or model name, split, package source) is another fit; so are
    # other values under the same dataset name.
    compare(models, X, y, resume_dir=tmp_path / "kept", **{**options, "protocol": "q"})
    assert _CountingLogisticRegression.fits == 7
    changed = {**X, "b": X["b"] + 1.0}
    compare(models, changed, y, resume_dir=tmp_path / "kept", **options)
    assert _CountingLogisticRegression.fits == 10
    # So are other groups: they may change the networks' early stopping.
    compare(models, X, y, resume_dir=tmp_path / "kept", groups=np.arange(60) % 6, **options)
    assert _CountingLogisticRegression.fits == 13

    # Every fit stored: no pool is started (joblib warned about cancelling no tasks), and
    # a log without a kept method gets the kept lines.
    plain = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare(models, X, y, resume_dir=tmp_path / "kept", n_jobs=2, log=plain.append, **options)
    assert _CountingLogisticRegression.fits == 13
    assert len(plain) == 3 and all("(kept in" in line for line in plain)

    for damaged in (
        "[1, 2]",
        '{"roc_auc": 0.5}',
        json.dumps({**dict.fromkeys(first.scores["counted"], 0.5), "roc_auc": None}),
    ):
        stored[1].write_text(damaged)
        with pytest.raises(ValueError, match=r"is not a stored fit of this harness.*delete it"):
            compare(models, X, y, resume_dir=tmp_path / "kept", **options)


def test_resume_on_the_command_line_says_which_fits_it_kept(tmp_path, capsys):
    argv = [
        "--dataset",
        "synthetic-classification",
        "--quick",
        "--models",
        "LogisticRegression",
        "--resume",
        str(tmp_path / "kept"),
        "--json",
    ]
    assert main(argv) == 0
    first = capsys.readouterr()
    assert "(kept in" not in first.err
    assert main(argv) == 0
    second = capsys.readouterr()
    bars = [line for line in second.err.splitlines() if line.startswith("[")]
    assert len(bars) == 2 and all("(kept in" in line for line in bars)
    assert json.loads(second.out)["scores"] == json.loads(first.out)["scores"]


def test_model_options_reach_the_selected_models_they_apply_to(monkeypatch):
    # The seed ensemble is made of DSRSD models: selected alone, it reads DSRSD's options.
    argv = ["--dataset", "breast-cancer", "--seed-ensemble", "2", "--class-weight", "balanced"]
    (ensemble,) = _models_compared(monkeypatch, [*argv, "--models", "DSRSD (2 seeds)"]).values()
    assert [member.class_weight for _, member in ensemble.estimators] == ["balanced"] * 2


def _fold_log(tmp_path, change):
    """kt_log with a fold column (learner % 3 + 1) changed by ``change``, as a CSV."""
    log = kt_log(["item", "skill"]).assign(fold=lambda log: log["learner"] % 3 + 1)
    change(log)
    log.to_csv(tmp_path / "log.csv", index=False)
    return ["--log", str(tmp_path / "log.csv"), "--item", "item", "--skill", "skill"]


def _split_students(log):
    # Students 0 and 4 have one response in another fold than their others.
    log.loc[(log["learner"] == 0) & (log["t"] == 5), "fold"] = 2
    log.loc[(log["learner"] == 4) & (log["t"] == 0), "fold"] = 0


def _missing_folds(log):
    log["fold"] = log["fold"].astype(float)
    log.loc[[3, 40], "fold"] = np.nan


@pytest.mark.parametrize(
    "change, message",
    [
        (
            _split_students,
            "--fold 'fold': 2 of the 30 students of {log} are in more than one fold (e.g. "
            "student 0 in folds [1, 2]); all of a student's rows must be in one fold, or they "
            "would be in a training and a test fold at once.",
        ),
        (
            _missing_folds,
            "--fold 'fold' is missing in 2 of the 360 rows of {log}; give every row a fold "
            "id (0 = training only).",
        ),
    ],
)
def test_given_folds_keep_each_student_in_one_fold_and_miss_none(
    tmp_path, capsys, change, message
):
    # Given folds train on the others' students and test on the fold's: a student in two
    # folds would be trained and tested on, and a row without a fold id is in no fold.
    argv = _fold_log(tmp_path, change)
    assert main([*argv, "--fold", "fold", *KT, "--quiet"]) == 2
    err = capsys.readouterr().err
    expected = message.format(log=tmp_path / "log.csv")
    assert err == f"python -m sklearn_dsrsd: error: {expected}\n"


def test_inner_folds_of_the_target_encoding_fit_a_small_log(tmp_path, capsys):
    from sklearn.model_selection import GroupKFold

    from sklearn_dsrsd._comparison import _GroupKFoldUpTo

    # With at least five students the inner folds are GroupKFold's five (as for
    # ASSISTments, whose results must not change); with fewer, one per student.
    X = np.zeros((300, 1))
    groups = np.repeat(np.arange(100), 3)
    for inner, expected in [
        (
            _GroupKFoldUpTo(5, shuffle=True, random_state=3),
            GroupKFold(5, shuffle=True, random_state=3),
        ),
        (_GroupKFoldUpTo(5), GroupKFold(5)),
    ]:
        for (train, test), (train_ref, test_ref) in zip(
            inner.split(X, None, groups), expected.split(X, None, groups), strict=True
        ):
            np.testing.assert_array_equal(train, train_ref)
            np.testing.assert_array_equal(test, test_ref)
    few = groups % 3
    assert len(list(_GroupKFoldUpTo(5, shuffle=True, random_state=0).split(X, None, few))) == 3
    with pytest.raises(ValueError, match="at least 2 students in each training fold; one has 1"):
        list(_GroupKFoldUpTo(5).split(X, None, np.zeros(300)))

    # Six students, two outer folds: three training students, not five inner folds.
    log = kt_log(["item", "skill"])
    log[log["learner"] < 6].to_csv(tmp_path / "six.csv", index=False)
    argv = ["--log", str(tmp_path / "six.csv"), "--item", "item", "--skill", "skill", *KT]
    assert main(argv) == 0
    assert len(json.loads(capsys.readouterr().out)["scores"]["DSRSD"]["roc_auc"]) == 2
    # Two students: one per training fold, which cannot be cross-fitted by student.
    log[log["learner"] < 2].to_csv(tmp_path / "two.csv", index=False)
    argv[1] = str(tmp_path / "two.csv")
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "needs at least 2 students in each training fold; one has 1" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{}", "it has no 'protocol' string"),
        ("[1]", "it holds a JSON list, not an object"),
        ("not json", "it is not JSON: "),
        ('{"protocol": "p", "scores": [1]}', "its 'scores' are not an object of one object"),
    ],
)
def test_update_refuses_a_file_that_is_not_a_results_file(
    tmp_path, capsys, monkeypatch, content, problem
):
    fitted = []
    monkeypatch.setattr("sklearn_dsrsd._comparison.compare", lambda *a, **k: fitted.append(1))
    earlier = tmp_path / "breast-cancer.json"
    earlier.write_text(content)
    argv = ["--dataset", "breast-cancer", "--models", "LogisticRegression", "--quick"]
    assert main([*argv, "--out-dir", str(tmp_path), "--update", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"python -m sklearn_dsrsd: error: {earlier} is not a results file of this harness ("
    )
    assert problem in err and err.endswith("; move it away or drop --update.\n")
    assert err.count("\n") == 1 and not fitted
    assert earlier.read_text() == content


def test_groups_reach_the_models_that_take_them(monkeypatch):
    # Grouped outer folds; each network's early stopping holds out whole groups of its
    # training rows, and the models without a groups parameter still fit.
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_dsrsd import DSRSDClassifier, _base
    from sklearn_dsrsd._comparison import compare, default_models, groups_fit_params

    network = DSRSDClassifier()
    groups = np.arange(6)
    assert groups_fit_params(network, groups) == {"groups": groups}
    nested = make_pipeline(StandardScaler(), make_pipeline(StandardScaler(), network))
    assert list(groups_fit_params(nested, groups)) == ["pipeline__dsrsdclassifier__groups"]
    assert groups_fit_params(make_pipeline(StandardScaler(), LogisticRegression()), groups) == {}
    assert groups_fit_params(VotingClassifier([("n", network)]), groups) == {}

    held_out = []
    split = _base._EarlyStoppingSplit.__call__

    def recording(self, dataset, y=None, groups=None):
        train, validation = split(self, dataset, y, groups)
        held_out.append((self.groups, train.indices, validation.indices))
        return train, validation

    monkeypatch.setattr(_base._EarlyStoppingSplit, "__call__", recording)
    rng = np.random.RandomState(0)
    X = {"a": rng.normal(size=(120, 3)), "b": rng.normal(size=(120, 2))}
    y = (X["a"][:, 0] > 0).astype(int)
    students = np.repeat(np.arange(24), 5)
    splits = make_splits(y, task="classification", n_splits=3, n_repeats=1, groups=students)
    models = default_models("classification", max_iter=2, batch_size=32)
    models = {name: models[name] for name in ("DSRSD", "EarlyFusion", "LogisticRegression")}
    models["DSRSD"].set_params(n_networks=1, hidden_size=8, code_size=4)
    compare(models, X, y, task="classification", splits=splits, groups=students)
    assert len(held_out) == 2 * 3  # the two networks on each fold
    for (train_rows, _), (labels, train, validation) in zip(splits * 2, held_out, strict=True):
        np.testing.assert_array_equal(labels, students[train_rows])
        assert np.intersect1d(labels[train], labels[validation]).size == 0
