"""Tests of the knowledge-tracing task builder (sklearn_dsrsd/datasets/_knowledge_tracing.py)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler, TargetEncoder

import sklearn_dsrsd.datasets
import sklearn_dsrsd.preprocessing
from sklearn_dsrsd import ModalityDict
from sklearn_dsrsd.datasets._knowledge_tracing import (
    CONTENT_FEATURES,
    HISTORY_FEATURES,
    ITEM_FEATURES,
    RECENT_FIELDS,
    SKILL_FEATURES,
    build_next_step_features,
    collapse_multiskill_duplicates,
    load_assistments2009,
)
from sklearn_dsrsd.preprocessing import ContentTargetEncoder, _target_encoder_takes_splitter

COLS = dict(student="user", order="t", item="item", skill="skill", correct="correct")
H = {name: j for j, name in enumerate(HISTORY_FEATURES)}


def make_log(rows):
    return pd.DataFrame(rows, columns=["user", "t", "item", "skill", "correct"])


def hand_log():
    """Two students; student 1 has a two-skill duplicate run (t=3, 4)."""
    return make_log(
        [
            (1, 0, 100, 1, 1),  # r0
            (1, 1, 101, 2, 0),  # r1
            (1, 2, 102, 1, 1),  # r2
            (1, 3, 103, 1, 0),  # r3 (skills 1 and 2) ...
            (1, 4, 103, 2, 0),  # ... its duplicate row
            (1, 5, 100, 1, 1),  # r4: same item as r0, not consecutive
            (1, 6, 104, 3, 1),  # r5
            (2, 0, 200, 5, 0),  # s0
            (2, 1, 200, 5, 0),  # s1: same item, same skill again -> a new response
            (2, 2, 201, 5, 1),  # s2
        ]
    )


def history_frame(task):
    return pd.DataFrame(task.data["history"], columns=task.feature_names["history"])


# ------------------------------------------------------------------ hand-computed values


def test_shapes_names_and_dtypes():
    task = build_next_step_features(hand_log(), n_recent=4, **COLS)
    assert len(task.data) == 9
    assert task.data["history"].shape == (9, len(HISTORY_FEATURES)) == (9, 15)
    assert task.data["recent"].shape == (9, 4 * len(RECENT_FIELDS)) == (9, 16)
    assert task.data["content"].shape == (9, len(CONTENT_FEATURES)) == (9, 3)
    assert task.data["history"].dtype == np.float32
    assert task.data["recent"].dtype == np.float32
    assert task.data["content"].dtype == np.int64
    assert task.feature_names["recent"][:5] == [
        "correct_lag1",
        "padding_lag1",
        "shares_skill_lag1",
        "same_item_lag1",
        "correct_lag2",
    ]
    assert {k: len(v) for k, v in task.feature_names.items()} == {
        "history": 15,
        "recent": 16,
        "content": 3,
    }
    assert_array_equal(task.target, [1, 0, 1, 0, 1, 1, 0, 0, 1])
    assert task.target.dtype == np.int64
    assert_array_equal(task.groups, [1] * 6 + [2] * 3)
    assert_array_equal(task.responses["n_skills"], [1, 1, 1, 2, 1, 1, 1, 1, 1])
    assert_array_equal(task.responses["log_row"], [0, 1, 2, 3, 5, 6, 7, 8, 9])
    X, y, groups = build_next_step_features(hand_log(), return_X_y=True, **COLS)
    assert isinstance(X, ModalityDict)
    assert_array_equal(y, task.target)
    assert_array_equal(groups, task.groups)


def test_hand_computed_history():
    h = history_frame(build_next_step_features(hand_log(), n_recent=4, **COLS))
    expected = {
        # r0 .. r5 of student 1, then s0 .. s2 of student 2
        "attempts": [0, 1, 2, 3, 4, 5, 0, 1, 2],
        "successes": [0, 1, 1, 2, 2, 3, 0, 0, 0],
        "success_rate": [1 / 2, 2 / 3, 2 / 4, 3 / 5, 3 / 6, 4 / 7, 1 / 2, 1 / 3, 1 / 4],
        "correct_streak": [0, 1, 0, 1, 0, 1, 0, 0, 0],
        "incorrect_streak": [0, 0, 1, 0, 1, 0, 0, 1, 2],
        # r3 has skills {1, 2}: skill 1 seen twice (2 correct), skill 2 once (0 correct)
        "skill_attempts_mean": [0, 0, 1, 1.5, 3, 0, 0, 1, 2],
        "skill_attempts_min": [0, 0, 1, 1, 3, 0, 0, 1, 2],
        "skill_successes_mean": [0, 0, 1, 1, 2, 0, 0, 0, 0],
        "skill_successes_min": [0, 0, 1, 0, 2, 0, 0, 0, 0],
        "skill_rate_mean": [
            1 / 2,
            1 / 2,
            2 / 3,
            (3 / 4 + 1 / 3) / 2,
            3 / 5,
            1 / 2,
            1 / 2,
            1 / 3,
            1 / 4,
        ],
        "skill_rate_min": [1 / 2, 1 / 2, 2 / 3, 1 / 3, 3 / 5, 1 / 2, 1 / 2, 1 / 3, 1 / 4],
        # responses since a skill of this one was last practised; attempts + 1 if never
        "skill_gap_min": [1, 2, 2, 1, 1, 6, 1, 1, 1],
        "skill_new_frac": [1, 1, 0, 0, 0, 1, 1, 0, 0],
        "item_attempts": [0, 0, 0, 0, 1, 0, 0, 1, 0],
        "item_successes": [0, 0, 0, 0, 1, 0, 0, 0, 0],
    }
    for name, values in expected.items():
        assert_allclose(h[name], values, rtol=1e-6, err_msg=name)


def test_hand_computed_recent_window():
    task = build_next_step_features(hand_log(), n_recent=4, **COLS)
    recent = task.data["recent"].reshape(9, 4, 4)  # (sample, lag, field)
    pad = [0.5, 1, 0, 0]
    assert_array_equal(recent[0], [pad] * 4)
    assert_array_equal(recent[1], [[1, 0, 0, 0], pad, pad, pad])
    # r3 (skills 1, 2): r2 (skill 1), r1 (skill 2), r0 (skill 1) all share a skill
    assert_array_equal(recent[3], [[1, 0, 1, 0], [0, 0, 1, 0], [1, 0, 1, 0], pad])
    # r4 (item 100, skill 1): r3 shares skill 1, r1 does not, r0 is the same item
    assert_array_equal(recent[4], [[0, 0, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 1]])
    # r5 (skill 3) shares nothing with its past
    assert_array_equal(recent[5, :, 2], [0, 0, 0, 0])
    # student 2 never sees student 1's responses
    assert_array_equal(recent[6], [pad] * 4)
    assert_array_equal(recent[7], [[0, 0, 1, 1], pad, pad, pad])  # s0: same item 200
    assert_array_equal(recent[8], [[0, 0, 1, 0], [0, 0, 1, 0], pad, pad])
    # the flat block follows feature_names
    names = task.feature_names["recent"]
    assert task.data["recent"][4, names.index("same_item_lag4")] == 1


def test_content_block_holds_identities():
    task = build_next_step_features(hand_log(), **COLS)
    content = task.data["content"]
    assert_array_equal(content[:, 0], [100, 101, 102, 103, 100, 104, 200, 200, 201])
    assert_array_equal(content[:, 1], [1, 2, 1, 1, 1, 3, 5, 5, 5])
    single = np.delete(np.arange(9), 3)
    assert_array_equal(content[single, 2], content[single, 1])
    assert content[3, 2] < 0  # a skill combination gets its own (negative) code

    # the combination code depends on the set of skills only
    log = make_log(
        [
            (1, 0, 7, 2, 1),
            (1, 1, 7, 1, 1),
            (2, 0, 8, 1, 0),
            (2, 1, 8, 2, 0),
            (3, 0, 9, 1, 1),
            (3, 1, 9, 3, 1),
        ]
    )
    codes = build_next_step_features(log, **COLS).data["content"][:, 2]
    assert codes[0] == codes[1] != codes[2]
    assert (codes < 0).all()


# ------------------------------------------------------------------ reference implementation


def reference_features(responses, n_recent):
    """Slow, obvious per-response computation of history and recent features.

    ``responses``: list of (student, item, skills: tuple, correct) in (student, order)
    order.
    """
    hist, recent = [], []
    past = {}
    for student, item, skills, correct in responses:
        prev = past.setdefault(student, [])
        att = len(prev)
        succ = sum(p[2] for p in prev)
        cs = ics = 0
        for p in reversed(prev):
            if p[2] != prev[-1][2]:
                break
            cs, ics = (cs + 1, 0) if p[2] else (0, ics + 1)
        s_att, s_succ, s_gap = [], [], []
        for s in skills:
            hits = [i for i, p in enumerate(prev) if s in p[1]]
            s_att.append(len(hits))
            s_succ.append(sum(prev[i][2] for i in hits))
            s_gap.append(att - hits[-1] if hits else att + 1)
        s_rate = [(b + 1) / (a + 2) for a, b in zip(s_att, s_succ, strict=True)]
        same_item = [p for p in prev if p[0] == item]
        hist.append(
            [
                att,
                succ,
                (succ + 1) / (att + 2),
                cs,
                ics,
                np.mean(s_att),
                min(s_att),
                np.mean(s_succ),
                min(s_succ),
                np.mean(s_rate),
                min(s_rate),
                min(s_gap),
                np.mean([a == 0 for a in s_att]),
                len(same_item),
                sum(p[2] for p in same_item),
            ]
        )
        row = []
        for k in range(1, n_recent + 1):
            if k <= att:
                p = prev[-k]
                row += [p[2], 0, bool(set(p[1]) & set(skills)), p[0] == item]
            else:
                row += [0.5, 1, 0, 0]
        recent.append(row)
        prev.append((item, skills, correct))
    return np.array(hist, dtype=float), np.array(recent, dtype=float)


def random_long_log(seed, n_students=6, n_responses=60, n_items=12, n_skills=5):
    """A long-format log with multi-skill duplicates, and its responses."""
    rng = np.random.default_rng(seed)
    item_skills = {
        i: tuple(rng.choice(n_skills, size=rng.integers(1, 4), replace=False).tolist())
        for i in range(n_items)
    }
    rows, responses = [], []
    for student in range(n_students):
        step = int(rng.integers(0, 1000))
        for _ in range(rng.integers(1, n_responses)):
            item = int(rng.integers(n_items))
            correct = int(rng.random() < 0.6)
            responses.append((student, item, tuple(sorted(item_skills[item])), correct))
            for skill in item_skills[item]:
                rows.append((student, step, item, skill, correct))
                step += int(rng.integers(1, 5))
    return make_log(rows), responses


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_recent", [1, 5])
def test_matches_reference_implementation(seed, n_recent):
    log, responses = random_long_log(seed)
    task = build_next_step_features(log, n_recent=n_recent, **COLS)
    hist, recent = reference_features(responses, n_recent)
    assert len(task.target) == len(responses)
    assert_array_equal(task.target, [r[3] for r in responses])
    assert_allclose(task.data["history"], hist, rtol=1e-6)
    assert_array_equal(task.data["recent"], recent)
    assert_array_equal(task.data["content"][:, 0], [r[1] for r in responses])
    assert_array_equal(task.data["content"][:, 1], [min(r[2]) for r in responses])


# ------------------------------------------------------------------ no leakage


@pytest.mark.parametrize("seed", range(3))
def test_future_responses_do_not_change_past_features(seed):
    log, _ = random_long_log(seed, n_students=5)
    task = build_next_step_features(log, n_recent=4, **COLS)
    resp = task.responses.reset_index(drop=True)
    rng = np.random.default_rng(100 + seed)

    # per student, cut after a random response r and rewrite every later response:
    # correctness, items (new ones, so nothing merges with r) and skills
    keep = np.zeros(len(resp), dtype=bool)
    later = np.zeros(len(log), dtype=bool)
    for student, idx in resp.groupby("student").groups.items():
        idx = np.asarray(idx)
        cut = int(rng.integers(len(idx)))
        keep[idx[: cut + 1]] = True
        if cut + 1 < len(idx):
            first_later = resp.loc[idx[cut + 1], "order"]
            later |= ((log["user"] == student) & (log["t"] >= first_later)).to_numpy()
    n_later = int(later.sum())
    assert 0 < n_later < len(log)
    altered = log.copy()
    altered.loc[later, "correct"] = rng.integers(0, 2, n_later)
    # One new item per row: consecutive rows of an item with distinct skills would be one
    # multi-skill response, which must have one answer.
    altered.loc[later, "item"] = 5000 + rng.permutation(n_later)
    altered.loc[later, "skill"] = rng.integers(0, 8, n_later)
    altered = altered.sample(frac=1.0, random_state=seed)  # and shuffle the rows

    new = build_next_step_features(altered, n_recent=4, **COLS)
    key = ["student", "order"]
    pos = (
        new.responses.reset_index(drop=True)
        .reset_index()
        .merge(resp.loc[keep, key], on=key, how="right")["index"]
        .to_numpy()
    )
    assert len(pos) == keep.sum()
    for name in ("history", "recent", "content"):
        assert_array_equal(new.data[name][pos], task.data[name][keep], name)
    assert_array_equal(new.target[pos], task.target[keep])

    # dropping every later response does not change them either
    short = build_next_step_features(log[~later], n_recent=4, **COLS)
    for name in ("history", "recent", "content"):
        assert_array_equal(short.data[name], task.data[name][keep], name)

    # nor the per-skill counts, column by column (later rows may bring new skills, whose
    # columns are 0 before them)
    def profile(data):
        built = build_next_step_features(data, n_recent=4, skill_profile=True, **COLS)
        return dict(zip(built.feature_names["skills"], built.data["skills"].T, strict=True))

    before = profile(log)
    for after, rows in ((profile(altered), pos), (profile(log[~later]), slice(None))):
        for name in before.keys() | after.keys():
            old_column = before[name][keep] if name in before else 0.0
            new_column = after[name][rows] if name in after else 0.0
            assert_array_equal(np.broadcast_to(new_column, keep.sum()), old_column, name)


def reference_skill_profile(responses, skills):
    """Per response, from its student's earlier responses: attempts and successes of each
    skill in ``skills``, and whether the response involves it (loops, no numpy tricks)."""
    rows, earlier = [], []
    for i, (student, _, own_skills, _) in enumerate(responses):
        if i == 0 or responses[i - 1][0] != student:
            earlier = []
        attempts = [sum(s in r[2] for r in earlier) for s in skills]
        successes = [sum(s in r[2] and r[3] for r in earlier) for s in skills]
        rows.append(
            [*np.log1p(attempts), *np.log1p(successes), *[s in own_skills for s in skills]]
        )
        earlier.append(responses[i])
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("seed", range(3))
def test_skill_profile_matches_reference_implementation(seed):
    log, responses = random_long_log(seed)
    task = build_next_step_features(log, n_recent=3, skill_profile=True, **COLS)
    skills = sorted(set(log["skill"]))
    assert task.profile_skills.tolist() == skills
    assert task.feature_names["skills"] == [
        f"{field}_skill_{s}"
        for field in ("log_attempts", "log_successes", "current")
        for s in skills
    ]
    assert task.data["skills"].dtype == np.float32
    assert_allclose(task.data["skills"], reference_skill_profile(responses, skills), rtol=1e-6)
    # the other blocks do not change
    plain = build_next_step_features(log, n_recent=3, **COLS)
    assert set(plain.data) == {"history", "recent", "content"} and "profile_skills" not in plain
    for name in plain.data:
        assert_array_equal(task.data[name], plain.data[name], name)


@pytest.mark.parametrize("seed", range(2))
def test_skill_profile_of_listed_skills_rebuilds_the_columns_on_another_log(seed):
    log, responses = random_long_log(seed)
    task = build_next_step_features(log, n_recent=2, skill_profile=True, **COLS)
    # Another log (three of the students) and the skills of the first task in another
    # order, one of them left out (not counted) and one the logs lack (always 0).
    listed = [*task.profile_skills.tolist()[:0:-1], 99]
    other = log[log["user"] < 3]
    rebuilt = build_next_step_features(other, n_recent=2, skill_profile=listed, **COLS)
    assert rebuilt.profile_skills.tolist() == listed
    assert rebuilt.feature_names["skills"][len(listed) - 1] == "log_attempts_skill_99"
    kept = [r for r in responses if r[0] < 3]
    assert_allclose(rebuilt.data["skills"], reference_skill_profile(kept, listed), rtol=1e-6)
    # the columns of the skills both tasks have are the first task's, for those students
    names = task.feature_names["skills"]
    rows = task.groups < 3
    for j, name in enumerate(rebuilt.feature_names["skills"]):
        if name in names:
            assert_array_equal(
                rebuilt.data["skills"][:, j], task.data["skills"][rows, names.index(name)]
            )


def test_skill_profile_errors():
    log = hand_log()
    with pytest.raises(ValueError, match="skill_profile counts each skill.*got skill=None"):
        build_next_step_features(
            log.drop(columns="skill"), skill_profile=True, **{**COLS, "skill": None}
        )
    for bad, shown in (("yes", "str 'yes'"), (3, "int 3"), ({1: 2}, "dict {1: 2}")):
        with pytest.raises(TypeError, match=f"must be a bool or a list of skills; got {shown}"):
            build_next_step_features(log, skill_profile=bad, **COLS)
    with pytest.raises(ValueError, match=r"lists the skill\(s\) \[1\] more than once"):
        build_next_step_features(log, skill_profile=[1, 2, 1], **COLS)
    with pytest.raises(ValueError, match="non-empty list of skills; got \\[\\]"):
        build_next_step_features(log, skill_profile=[], **COLS)
    # Each entry is one id: not a list of them, not a missing value, not a boolean (True
    # would match the id 1).
    for bad, shown in (
        ([[1, 2], [3]], "[1, 2]"),
        ([{1, 2}], "{1, 2}"),
        ([1, float("nan")], "nan"),
        ([True], "True"),
        (np.array([[1, 2]]), "array([1, 2])"),
    ):
        with pytest.raises(ValueError, match=f"each an id .*; it holds {re.escape(shown)}"):
            build_next_step_features(log, skill_profile=bad, **COLS)
    # False is the default: no block; a 0-d boolean array is a boolean
    assert "skills" not in build_next_step_features(log, skill_profile=False, **COLS).data
    assert "skills" in build_next_step_features(log, skill_profile=np.array(True), **COLS).data
    # ids of another type match nothing: said, not silently all zeros
    with pytest.warns(
        UserWarning,
        match=r"none of the 2 skills that skill_profile lists \(e.g. \['1', '2'\]\) occurs "
        r"in the log, whose skills are e.g. \[1, 2, 3\]",
    ):
        task = build_next_step_features(log, skill_profile=["1", "2"], **COLS)
    assert not task.data["skills"].any()


def test_skill_profile_takes_any_one_dimensional_list_and_names_columns_apart():
    log = hand_log()
    expected = build_next_step_features(log, skill_profile=[5, 1], **COLS)
    for listed in ((5, 1), np.array([5, 1]), pd.Series([5, 1]), pd.Index([5, 1])):
        task = build_next_step_features(log, skill_profile=listed, **COLS)
        assert_array_equal(task.data["skills"], expected.data["skills"])
        assert task.profile_skills.tolist() == [5, 1]
    # The number 1 and the text "1" are two skills, so their columns have two names.
    mixed = log.astype({"skill": object})
    mixed.loc[mixed["t"] == 6, "skill"] = "1"
    names = build_next_step_features(mixed, skill_profile=True, **COLS).feature_names["skills"]
    assert len(set(names)) == len(names) == 12  # skills 1, 2, 5 and "1" (skill 3 is gone)
    assert "current_skill_1" in names and "current_skill_'1'" in names


def test_skill_profile_counted_a_few_columns_at_a_time_is_the_same(monkeypatch):
    import sklearn_dsrsd.datasets._knowledge_tracing as kt

    log, _ = random_long_log(3)
    whole = build_next_step_features(log, skill_profile=True, **COLS)
    monkeypatch.setattr(kt, "_PROFILE_CHUNK_CELLS", 2 * whole.data["skills"].shape[0])
    chunked = build_next_step_features(log, skill_profile=True, **COLS)
    assert_array_equal(chunked.data["skills"], whole.data["skills"])


def test_shuffled_rows_give_the_same_features():
    log, _ = random_long_log(7)
    task = build_next_step_features(log, **COLS)
    shuffled = log.sample(frac=1.0, random_state=0)
    # the duplicate rows of one response must stay in their relative order, which a
    # strict order column guarantees whatever the row order of the input
    other = build_next_step_features(shuffled, **COLS)
    for name in task.data:
        assert_array_equal(other.data[name], task.data[name], name)
    assert_array_equal(other.target, task.target)
    assert_array_equal(other.groups, task.groups)
    assert_array_equal(other.responses.index, task.responses.index)


def test_string_ids_and_timestamps():
    log = hand_log()
    base = build_next_step_features(log, n_recent=3, **COLS)
    log = log.assign(
        user=log["user"].map({1: "ann", 2: "bob"}),
        t=pd.Timestamp("2009-09-01") + pd.to_timedelta(log["t"] * 7, unit="min"),
        item="p" + log["item"].astype(str),
        skill="k" + log["skill"].astype(str),
    )
    task = build_next_step_features(log.iloc[::-1], n_recent=3, **COLS)
    assert_array_equal(task.data["history"], base.data["history"])
    assert_array_equal(task.data["recent"], base.data["recent"])
    assert_array_equal(task.groups, ["ann"] * 6 + ["bob"] * 3)
    # non-integer ids are replaced by their rank among the sorted distinct values
    assert_array_equal(task.data["content"][:, 0], [0, 1, 2, 3, 0, 4, 5, 5, 6])


# ------------------------------------------------------------------ duplicates


def test_collapse_multiskill_duplicates():
    out = collapse_multiskill_duplicates(hand_log(), **COLS)
    assert len(out) == 9
    assert out["skill"].tolist() == [(1,), (2,), (1,), (1, 2), (1,), (3,), (5,), (5,), (5,)]
    assert out["t"].tolist() == [0, 1, 2, 3, 5, 6, 0, 1, 2]
    assert out["item"].tolist() == [100, 101, 102, 103, 100, 104, 200, 200, 201]
    assert out.index.tolist() == [0, 1, 2, 3, 5, 6, 7, 8, 9]


def test_collapse_splits_on_repeated_skill_and_on_answer_change():
    # the two ASSISTments patterns: a 3-skill problem answered twice in a row, and the
    # same single-skill problem answered twice with different answers
    log = make_log(
        [
            (1, s, 216, k, c)
            for s, (k, c) in enumerate([(31, 1), (2, 1), (48, 1), (48, 0), (2, 0), (31, 0)])
        ]
        + [(2, 0, 5, 7, 1), (2, 1, 5, 7, 0), (2, 2, 5, 8, 0)]
        + [(3, 0, 9, 1, 1), (3, 1, 9, 2, 1), (3, 2, 9, 2, 1), (3, 3, 9, 1, 1)]
    )
    out = collapse_multiskill_duplicates(log, **COLS)
    assert out["skill"].tolist() == [(31, 2, 48), (48, 2, 31), (7,), (7, 8), (1, 2), (2, 1)]
    assert out["correct"].tolist() == [1, 0, 1, 0, 1, 1]
    task = build_next_step_features(log, **COLS)
    assert_array_equal(task.responses["n_skills"], [3, 3, 1, 2, 2, 2])


def test_collapse_duplicates_false_keeps_every_row():
    task = build_next_step_features(hand_log(), collapse_duplicates=False, **COLS)
    assert len(task.target) == 10
    h = history_frame(task)
    # the duplicate row (t=4) is "predicted" from its own copy: the leak
    assert h["correct_streak"][4] == 0 and h["incorrect_streak"][4] == 1


def test_collapsed_log_as_input_gives_the_same_task():
    log, _ = random_long_log(3)
    task = build_next_step_features(log, **COLS)
    collapsed = collapse_multiskill_duplicates(log, **COLS)
    again = build_next_step_features(collapsed, **COLS)
    for name in task.data:
        assert_array_equal(again.data[name], task.data[name], name)
    assert_array_equal(again.target, task.target)


# ------------------------------------------------------------------ items only, skills only


def kept_columns(task, full, name):
    """The columns of ``full[name]`` that ``task`` kept, by feature name."""
    names = full.feature_names[name]
    return full.data[name][:, [names.index(n) for n in task.feature_names[name]]]


def test_log_with_items_only():
    log = hand_log().drop(columns="skill")
    task = build_next_step_features(log, n_recent=3, **{**COLS, "skill": None})
    assert task.feature_names["history"] == [
        "attempts",
        "successes",
        "success_rate",
        "correct_streak",
        "incorrect_streak",
        "item_attempts",
        "item_successes",
    ]
    assert task.feature_names["recent"][:3] == ["correct_lag1", "padding_lag1", "same_item_lag1"]
    assert task.feature_names["content"] == ["item"]
    assert {k: v.shape for k, v in task.data.items()} == {
        "history": (10, 7),
        "recent": (10, 9),
        "content": (10, 1),
    }
    assert not {n for names in task.feature_names.values() for n in names} & SKILL_FEATURES
    # without skills no run is a multi-skill duplicate: every row is a response
    assert_array_equal(task.responses["log_row"], np.arange(10))
    assert list(task.responses.columns) == ["student", "order", "item", "correct", "log_row"]
    # the kept features are those of the full log, row by row
    full = build_next_step_features(hand_log(), n_recent=3, collapse_duplicates=False, **COLS)
    for name in task.data:
        assert_array_equal(task.data[name], kept_columns(task, full, name), name)
    assert_array_equal(task.target, full.target)
    h = history_frame(task)
    assert_array_equal(h["item_attempts"], [0, 0, 0, 0, 1, 1, 0, 0, 1, 0])


def test_log_with_skills_only():
    log = hand_log().drop(columns="item")
    task = build_next_step_features(log, n_recent=3, **{**COLS, "item": None})
    assert task.feature_names["history"] == [n for n in HISTORY_FEATURES if "item" not in n]
    assert task.feature_names["recent"][:3] == [
        "correct_lag1",
        "padding_lag1",
        "shares_skill_lag1",
    ]
    assert task.feature_names["content"] == ["skill", "skill_set"]
    assert {k: v.shape for k, v in task.data.items()} == {
        "history": (10, 13),
        "recent": (10, 9),
        "content": (10, 2),
    }
    assert not {n for names in task.feature_names.values() for n in names} & ITEM_FEATURES
    assert "item" not in task.responses.columns
    full = build_next_step_features(hand_log(), n_recent=3, collapse_duplicates=False, **COLS)
    for name in task.data:
        assert_array_equal(task.data[name], kept_columns(task, full, name), name)
    # skills given as sequences (one response per row) keep multi-skill responses whole
    collapsed = collapse_multiskill_duplicates(hand_log(), **COLS).drop(columns="item")
    multi = build_next_step_features(collapsed, n_recent=3, **{**COLS, "item": None})
    both = build_next_step_features(hand_log(), n_recent=3, **COLS)
    assert_array_equal(multi.responses["n_skills"], [1, 1, 1, 2, 1, 1, 1, 1, 1])
    for name in multi.data:
        assert_array_equal(multi.data[name], kept_columns(multi, both, name), name)


def test_item_and_skill_cannot_both_be_none():
    with pytest.raises(
        ValueError,
        match=r"item column or a skill column.*item=None and "
        r"skill=None",
    ):
        build_next_step_features(hand_log(), **{**COLS, "item": None, "skill": None})


# ------------------------------------------------------------------ errors


def test_missing_column_is_named():
    log = hand_log().drop(columns="skill")
    with pytest.raises(ValueError, match=r"'skill'.*available columns.*'user'"):
        build_next_step_features(log, **COLS)
    with pytest.raises(ValueError, match=r"'skill_idx'"):
        collapse_multiskill_duplicates(hand_log())


def test_bad_values_raise():
    log = hand_log()
    with pytest.raises(ValueError, match="0/1"):
        build_next_step_features(log.assign(correct=log["correct"] * 2), **COLS)
    with pytest.raises(ValueError, match="missing value"):
        build_next_step_features(log.assign(item=log["item"].where(log.t != 2)), **COLS)
    tied = log.copy()
    tied.loc[2, "t"] = 1  # r1 and r2 of student 1 now share an order value
    with pytest.raises(ValueError, match="share the value 1 of the order column 't'"):
        build_next_step_features(tied, **COLS)
    with pytest.raises(ValueError, match="n_recent"):
        build_next_step_features(log, n_recent=0, **COLS)
    with pytest.raises(ValueError, match="no rows"):
        build_next_step_features(log.iloc[:0], **COLS)


def test_multiskill_run_with_two_answers_is_refused():
    # Kept apart by their answers, the rows would change how an earlier row is merged
    # when a later answer changes, and reveal that the second answer differs.
    log = make_log([(1, 0, 10, 3, 1), (1, 1, 10, 4, 0), (1, 2, 11, 3, 0)])
    with pytest.raises(ValueError, match=r"rows 0 and 1 of the log \(student 1\) answer item 10"):
        build_next_step_features(log, **COLS)
    with pytest.raises(ValueError, match="different correctness"):
        collapse_multiskill_duplicates(log, **COLS)
    assert len(build_next_step_features(log, collapse_duplicates=False, **COLS).target) == 3
    same = build_next_step_features(log.assign(correct=[1, 1, 0]), **COLS)
    assert_array_equal(same.target, [1, 0])


def test_text_order_is_read_as_numbers_or_timestamps():
    # As read from a CSV file: sorted as text, "10:00" (and "10") would come before "9:00".
    log = hand_log()
    expected = build_next_step_features(log, **COLS)
    hours = log["t"] + 5  # 5 to 11 o'clock: one and two digits
    for text in (hours.astype(str), "2020-01-02 " + hours.astype(str) + ":00:00"):
        task = build_next_step_features(log.assign(t=text), **COLS)
        for name in expected.data:
            assert_array_equal(task.data[name], expected.data[name])
    with pytest.raises(ValueError, match=r"column 't' \(the order column\) must hold numbers or "):
        build_next_step_features(log.assign(t=[f"step {t}" for t in log["t"]]), **COLS)


# ------------------------------------------------------------------ loader

ASSIST_COLUMNS = [
    "akt_fold",
    "seq_idx",
    "orig_user_id",
    "step",
    "problem_idx",
    "orig_problem_id",
    "skill_idx",
    "skill_name",
    "correct",
]


def write_assist_file(path, drop=None):
    log = hand_log()
    df = pd.DataFrame(
        {
            "akt_fold": np.where(log["user"] == 1, 3, 0),
            "seq_idx": log["user"] + 10,
            "orig_user_id": log["user"] + 70000,
            "step": log["t"],
            "problem_idx": log["item"],
            "orig_problem_id": log["item"] + 80000,
            "skill_idx": log["skill"],
            "skill_name": "skill " + log["skill"].astype(str),
            "correct": log["correct"],
        }
    )[ASSIST_COLUMNS]
    if drop:
        df = df.drop(columns=drop)
    df.to_csv(path, index=False)
    return path


def test_load_assistments2009(tmp_path):
    path = write_assist_file(tmp_path / "assist.csv.gz")
    ds = load_assistments2009(path, n_recent=4)
    base = build_next_step_features(hand_log(), n_recent=4, **COLS)
    for name in base.data:
        assert_array_equal(ds.data[name], base.data[name], name)
    assert_array_equal(ds.target, base.target)
    assert_array_equal(ds.groups, base.groups + 70000)
    assert_array_equal(ds.folds, [3] * 6 + [0] * 3)
    assert ds.n_log_rows == 10
    assert ds.skill_names[2] == "skill 2"
    assert ds.feature_names == base.feature_names
    assert "Feng" in ds.DESCR and "Ghosh" in ds.DESCR and "KDD 2020" in ds.DESCR
    X, y, groups = load_assistments2009(str(path), return_X_y=True)
    assert len(y) == len(groups) == len(X) == 9
    leaky = load_assistments2009(path, collapse_duplicates=False)
    assert len(leaky.target) == 10
    profiled = load_assistments2009(path, n_recent=4, skill_profile=True)
    base = build_next_step_features(hand_log(), n_recent=4, skill_profile=True, **COLS)
    assert_array_equal(profiled.data["skills"], base.data["skills"])
    assert profiled.profile_skills.tolist() == [1, 2, 3, 5]
    assert profiled.feature_names == base.feature_names


def test_loader_missing_file_and_column(tmp_path):
    missing = tmp_path / "nowhere" / "assist2009_pid_long.csv.gz"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_assistments2009(missing)
    path = write_assist_file(tmp_path / "assist.csv", drop=["skill_idx"])
    with pytest.raises(ValueError, match=r"assist\.csv.*'skill_idx'.*available.*'skill_name'"):
        load_assistments2009(path)


# ------------------------------------------------------------------ content target encoding


def small_task(seed=0):
    log, _ = random_long_log(seed, n_students=12, n_responses=40)
    return build_next_step_features(log, n_recent=3, **COLS)


def test_content_target_encoder_fitted_on_train_only():
    task = small_task()
    X, y, groups = task.data, task.target, task.groups
    train = np.isin(groups, np.unique(groups)[:8])
    test = ~train
    enc = ContentTargetEncoder(random_state=0).fit(X[train], y[train])
    Xt = enc.transform(X[test])
    # exactly the encoding a TargetEncoder fitted on the training rows gives
    ref = TargetEncoder().fit(X["content"][train], y[train])
    assert_allclose(Xt["content"], ref.transform(X["content"][test]))
    # other blocks pass through untouched
    X_test = X[test]
    assert enc.transform(X_test)["history"] is X_test["history"]
    # changing the test targets cannot change anything: refit on the same training rows
    y_other = y.copy()
    y_other[test] = 1 - y_other[test]
    enc2 = ContentTargetEncoder(random_state=0).fit(X[train], y_other[train])
    assert_array_equal(enc2.transform(X[test])["content"], Xt["content"])
    # a category never seen in training gets the training target mean
    Xu = X[test].copy()
    Xu["content"] = np.full_like(Xu["content"], 10**9)
    assert_allclose(enc.transform(Xu)["content"], y[train].mean())


# Tests that compare with TargetEncoder(cv=<splitter or splits>), new in scikit-learn 1.9.
needs_target_encoder_splitter = pytest.mark.skipif(
    not _target_encoder_takes_splitter(),
    reason="TargetEncoder takes a splitter from scikit-learn 1.9 on",
)


@needs_target_encoder_splitter
def test_content_target_encoder_cross_fits_training_rows_and_in_a_pipeline():
    task = small_task(1)
    X, y, groups = task.data, task.target, task.groups
    out = ContentTargetEncoder(cv=3, random_state=0).fit_transform(X, y)
    inner = StratifiedKFold(3, shuffle=True, random_state=0)
    ref = TargetEncoder(cv=inner).fit_transform(X["content"], y)
    assert_allclose(out["content"], ref)
    assert isinstance(out, ModalityDict) and out["content"].shape == (len(y), 3)

    def concat(Xd):
        return np.hstack([np.asarray(Xd[k], dtype=float) for k in sorted(Xd)])

    pipe = make_pipeline(
        ContentTargetEncoder(random_state=0),
        FunctionTransformer(concat),
        StandardScaler(),
        LogisticRegression(),
    )
    scores = cross_val_score(pipe, X, y, groups=groups, cv=GroupKFold(3), scoring="roc_auc")
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_content_target_encoder_errors():
    with pytest.raises(TypeError, match="mapping"):
        ContentTargetEncoder().fit(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="'content' is not in X"):
        ContentTargetEncoder().fit({"history": np.zeros((4, 2))}, [0, 1, 0, 1])
    content = {"content": np.arange(8).reshape(4, 2) % 2}
    for fit in ("fit", "fit_transform"):
        with pytest.raises(ValueError, match="needs the targets y to be fitted; got y=None"):
            getattr(ContentTargetEncoder(), fit)(content, None)
    # A block of another length makes fit_transform fail before the encoder counts as fitted.
    encoder = ContentTargetEncoder(cv=2)
    with pytest.raises(ValueError):
        encoder.fit_transform({**content, "history": np.zeros((3, 1))}, [0, 1, 0, 1])
    assert not hasattr(encoder, "encoder_")


def test_content_target_encoder_lives_in_preprocessing():
    assert sklearn_dsrsd.preprocessing.__all__ == ["ContentTargetEncoder"]
    assert "ContentTargetEncoder" not in sklearn_dsrsd.datasets.__all__
    assert not hasattr(sklearn_dsrsd.datasets, "ContentTargetEncoder")


@needs_target_encoder_splitter
def test_content_target_encoder_group_cross_fitting_is_out_of_group():
    task = small_task(2)
    X, y, groups = task.data, task.target, task.groups
    enc = ContentTargetEncoder(cv=GroupKFold(3))
    out = enc.fit_transform(X, y, groups=groups)
    splits = list(GroupKFold(3).split(X["content"], y, groups))
    assert_allclose(out["content"], TargetEncoder(cv=splits).fit_transform(X["content"], y))
    # the fitted encoder keeps the splitter, and encodes new rows from all training rows
    assert isinstance(enc.encoder_.cv, GroupKFold)
    assert_allclose(
        enc.transform(X)["content"], TargetEncoder().fit(X["content"], y).transform(X["content"])
    )
    # out of fold: flipping one student's targets leaves that student's encodings alone
    # (a row-level inner split does not: their other rows encode them)
    row_level = ContentTargetEncoder(cv=3, random_state=0).fit_transform(X, y)
    changed_row_level = 0
    for student in np.unique(groups):
        rows = groups == student
        flipped = np.where(rows, 1 - y, y)
        again = enc.fit_transform(X, flipped, groups=groups)
        assert_array_equal(again["content"][rows], out["content"][rows], str(student))
        other = ContentTargetEncoder(cv=3, random_state=0).fit_transform(X, flipped)
        changed_row_level += not np.array_equal(other["content"][rows], row_level["content"][rows])
    assert changed_row_level > 0
    # fit accepts the same arguments as fit_transform
    assert enc.fit(X, y, groups=groups).encoder_ is not None


def test_content_target_encoder_group_splitter_without_groups_says_how():
    task = small_task(2)
    with pytest.raises(ValueError, match=r"no groups were given.*groups=.*set_fit_request"):
        ContentTargetEncoder(cv=GroupKFold(3)).fit_transform(task.data, task.target)


def test_content_target_encoder_groups_routed_in_a_pipeline():
    import sklearn

    task = small_task(3)
    X, y, groups = task.data, task.target, task.groups

    def concat(Xd):
        return np.hstack([np.asarray(Xd[k], dtype=float) for k in sorted(Xd)])

    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            ContentTargetEncoder(cv=GroupKFold(3)).set_fit_request(groups=True),
            FunctionTransformer(concat),
            LogisticRegression(max_iter=500),
        )
        result = cross_validate(
            pipe, X, y, cv=GroupKFold(3), params={"groups": groups}, scoring="roc_auc"
        )
    assert np.all(np.isfinite(result["test_score"]))


@pytest.mark.parametrize(
    "y",
    [
        [0, 0, 1, 1, 1, 1, 1, 1, 1],  # fold of group 0 trained on one class only
        [0, 0, 1, 2, 1, 2, 2, 1, 2],  # class 0 absent from that fold's training rows
        [0.5, 1.0, 2.0, 3.0, 2.5, 0.0, 1.5, 1.0, 2.0],
    ],
)
@needs_target_encoder_splitter
def test_content_target_encoder_splitter_before_scikit_learn_1_9(monkeypatch, y):
    # Before 1.9 TargetEncoder takes an int cv only; the encoder then cross-fits a
    # splitter's folds itself, with what 1.9's TargetEncoder(cv=splits) gives, also
    # when a fold's training rows lack a class.
    import sklearn_dsrsd.preprocessing as preprocessing

    content = [[1, 7], [2, 7], [1, 8], [2, 8], [1, 7], [2, 8], [3, 7], [1, 8], [2, 7]]
    X = {"content": np.array(content)}
    groups = np.array([0, 0, 1, 1, 2, 2, 2, 1, 2])
    y = np.array(y)
    encoder = ContentTargetEncoder(cv=GroupKFold(3))
    expected = encoder.fit_transform(X, y, groups=groups)["content"]
    expected_transform = encoder.transform(X)["content"]
    monkeypatch.setattr(preprocessing, "_target_encoder_takes_splitter", lambda: False)
    encoded = encoder.fit_transform(X, y, groups=groups)["content"]
    np.testing.assert_allclose(encoded, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(encoder.transform(X)["content"], expected_transform)


def test_content_target_encoder_inner_folds_must_cover_every_row_once(monkeypatch):
    import sklearn_dsrsd.preprocessing as preprocessing

    monkeypatch.setattr(preprocessing, "_target_encoder_takes_splitter", lambda: False)
    X = {"content": np.arange(12).reshape(-1, 1) % 3}
    with pytest.raises(ValueError, match="exactly one test fold; 3 of 12 rows are not"):
        ContentTargetEncoder(cv=TimeSeriesSplit(3)).fit_transform(X, np.arange(12) % 2)
