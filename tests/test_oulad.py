"""Tests of ``load_oulad``: hand-made fixtures in the official OULAD format, and the extract."""

from __future__ import annotations

import csv
import gzip
import io
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from sklearn_dsrsd import ModalityDict  # noqa: E402
from sklearn_dsrsd.datasets._oulad import (  # noqa: E402
    EXTRACT_DIR,
    EXTRACT_PRESENTATIONS,
    load_oulad,
)

CUTOFF = 60
SHARED_OULAD = Path(
    os.environ.get(
        "SKLEARN_DSRSD_OULAD_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "oulad",
    )
)

# ---------------------------------------------------------------------------------------------
# A tiny data set in the official format. Presentations: AAA 2013J (students 1-5), BBB 2013B
# (students 1 and 6), CCC 2014J (student 7, no click rows at all, like the partial click file).
# ---------------------------------------------------------------------------------------------
INFO_HEADER = [
    "code_module",
    "code_presentation",
    "id_student",
    "gender",
    "region",
    "highest_education",
    "imd_band",
    "age_band",
    "num_of_prev_attempts",
    "studied_credits",
    "disability",
    "final_result",
]
BASE = {
    "courses": [
        ["code_module", "code_presentation", "module_presentation_length"],
        ["AAA", "2013J", "268"],
        ["BBB", "2013B", "240"],
        ["CCC", "2014J", "269"],
    ],
    "studentInfo": [
        INFO_HEADER,
        [
            "AAA",
            "2013J",
            "1",
            "M",
            "Scotland",
            "HE Qualification",
            "90-100%",
            "55<=",
            "0",
            "240",
            "N",
            "Pass",
        ],
        [
            "AAA",
            "2013J",
            "2",
            "F",
            "London Region",
            "A Level or Equivalent",
            "",
            "0-35",
            "1",
            "60",
            "Y",
            "Fail",
        ],
        [
            "AAA",
            "2013J",
            "3",
            "F",
            "Wales",
            "Lower Than A Level",
            "10-20",
            "35-55",
            "0",
            "120",
            "N",
            "Withdrawn",
        ],
        [
            "AAA",
            "2013J",
            "4",
            "M",
            "Ireland",
            "No Formal quals",
            "0-10%",
            "0-35",
            "2",
            "30",
            "N",
            "Withdrawn",
        ],
        [
            "AAA",
            "2013J",
            "5",
            "F",
            "North Region",
            "Post Graduate Qualification",
            "50-60%",
            "0-35",
            "0",
            "60",
            "N",
            "Distinction",
        ],
        [
            "BBB",
            "2013B",
            "1",
            "M",
            "Scotland",
            "HE Qualification",
            "90-100%",
            "55<=",
            "1",
            "60",
            "N",
            "Fail",
        ],
        [
            "BBB",
            "2013B",
            "6",
            "F",
            "South Region",
            "A Level or Equivalent",
            "20-30%",
            "0-35",
            "0",
            "60",
            "N",
            "Pass",
        ],
        [
            "CCC",
            "2014J",
            "7",
            "M",
            "Wales",
            "Lower Than A Level",
            "30-40%",
            "0-35",
            "0",
            "90",
            "N",
            "Pass",
        ],
    ],
    "studentRegistration": [
        [
            "code_module",
            "code_presentation",
            "id_student",
            "date_registration",
            "date_unregistration",
        ],
        ["AAA", "2013J", "1", "-159", ""],
        ["AAA", "2013J", "2", "-53", ""],
        ["AAA", "2013J", "3", "-10", "100"],  # unregisters after the cut-off: not flagged
        ["AAA", "2013J", "4", "-20", "30"],  # unregisters before the cut-off: dropped
        ["AAA", "2013J", "5", "-5", ""],
        ["BBB", "2013B", "1", "-30", ""],
        ["BBB", "2013B", "6", "", ""],  # no information at all -> registration all-NaN
        ["CCC", "2014J", "7", "-40", ""],
    ],
    "assessments": [
        ["code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"],
        ["AAA", "2013J", "1752", "TMA", "19", "10"],
        ["AAA", "2013J", "1753", "TMA", "54", "20"],
        ["AAA", "2013J", "1754", "TMA", "117", "20"],
        ["AAA", "2013J", "1755", "CMA", "45", "5"],
        ["AAA", "2013J", "1757", "Exam", "", "100"],
        ["BBB", "2013B", "2001", "TMA", "19", "5"],
        ["BBB", "2013B", "2002", "CMA", "54", "1"],
        ["CCC", "2014J", "3001", "TMA", "100", "50"],
        ["CCC", "2014J", "3002", "Exam", "", "100"],
    ],
    "studentAssessment": [
        ["id_assessment", "id_student", "date_submitted", "is_banked", "score"],
        ["1752", "1", "18", "0", "60"],
        ["1753", "1", "56", "0", "80"],
        ["1754", "1", "110", "0", "90"],  # after the cut-off
        ["1755", "1", "70", "0", "50"],  # after the cut-off
        ["1752", "2", "-1", "1", "75"],  # banked
        ["1755", "2", "40", "0", ""],  # no score
        ["1753", "5", "61", "0", "65"],  # after the cut-off
        ["2001", "1", "20", "0", "100"],
        ["2002", "6", "50", "0", "40"],
        ["3001", "7", "95", "0", "70"],  # after the cut-off
    ],
    "vle": [
        ["id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"],
        ["10", "AAA", "2013J", "resource", "", ""],
        ["11", "AAA", "2013J", "resource", "", ""],
        ["12", "AAA", "2013J", "forumng", "", ""],
        ["13", "AAA", "2013J", "quiz", "", ""],
        ["20", "BBB", "2013B", "resource", "", ""],
        ["21", "BBB", "2013B", "oucontent", "", ""],
        ["30", "CCC", "2014J", "url", "", ""],
    ],
    "studentVle": [
        ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"],
        ["AAA", "2013J", "1", "10", "-10", "4"],
        ["AAA", "2013J", "1", "10", "-10", "1"],
        ["AAA", "2013J", "1", "11", "-8", "3"],
        ["AAA", "2013J", "1", "12", "0", "2"],
        ["AAA", "2013J", "1", "12", "6", "5"],
        ["AAA", "2013J", "1", "13", "60", "3"],
        ["AAA", "2013J", "1", "13", "61", "100"],  # after the cut-off
        ["AAA", "2013J", "1", "10", "200", "50"],  # after the cut-off
        ["AAA", "2013J", "2", "11", "-15", "1"],  # earliest click day of the data
        ["AAA", "2013J", "2", "12", "30", "2"],
        ["AAA", "2013J", "3", "10", "59", "6"],
        ["AAA", "2013J", "4", "10", "5", "1"],
        ["AAA", "2013J", "5", "10", "61", "9"],  # only after the cut-off -> clicks all-NaN
        ["BBB", "2013B", "1", "21", "14", "10"],
        ["BBB", "2013B", "1", "20", "65", "2"],  # after the cut-off
        ["BBB", "2013B", "6", "20", "7", "1"],
        ["BBB", "2013B", "6", "20", "13", "2"],
    ],
}
TYPES = ["forumng", "oucontent", "quiz", "resource", "url"]


def _csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_oulad(folder: Path, tables=None, gz=()):
    """Write the tables in the official format; names in ``gz`` as ``name.csv.gz``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (tables or BASE).items():
        data = _csv_text(rows).encode("utf-8")
        if name in gz:
            (folder / f"{name}.csv.gz").write_bytes(gzip.compress(data))
        else:
            (folder / f"{name}.csv").write_bytes(data)
    return folder


def load_quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_oulad(*args, **kwargs)


def row_of(bunch, presentation, student):
    hits = np.flatnonzero((bunch.presentation == presentation) & (bunch.groups == student))
    assert len(hits) == 1, (presentation, student)
    return hits[0]


def assert_same_data(a, b):
    assert list(a.data) == list(b.data)
    for name in a.data:
        np.testing.assert_array_equal(a.data[name], b.data[name], err_msg=name)
    assert a.feature_names == b.feature_names
    np.testing.assert_array_equal(a.groups, b.groups)
    np.testing.assert_array_equal(a.presentation, b.presentation)


@pytest.fixture
def oulad_dir(tmp_path):
    return write_oulad(tmp_path / "oulad")


# ---------------------------------------------------------------------------------------------
# Rows, targets, shapes
# ---------------------------------------------------------------------------------------------
def test_rows_groups_and_targets(oulad_dir):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bunch = load_oulad(oulad_dir, cutoff_day=CUTOFF)
    assert [str(w.message) for w in caught] == [
        "OULAD file studentVle.csv has no click rows for CCC_2014J: their 'clicks' modality "
        "is all-NaN (missing)."
    ]
    # Student 4 unregistered on day 30 <= 60: dropped; everyone else is one row, sorted.
    assert list(bunch.presentation) == ["AAA_2013J"] * 4 + ["BBB_2013B"] * 2 + ["CCC_2014J"]
    assert list(bunch.groups) == [1, 2, 3, 5, 1, 6, 7]
    assert isinstance(bunch.data, ModalityDict)
    assert list(bunch.data) == ["demographics", "registration", "assessments", "clicks"]
    assert len(bunch.data) == 7
    # Withdrawn after the cut-off (student 3) is "not pass".
    assert list(bunch.target) == [1, 0, 0, 1, 0, 1, 1]
    assert list(bunch.target_names) == ["Fail/Withdrawn", "Pass/Distinction"]
    assert "CC BY 4.0" in bunch.DESCR and "10.1038/sdata.2017.171" in bunch.DESCR
    assert bunch.cutoff_day == CUTOFF
    for name, block in bunch.data.items():
        assert block.shape[-1] == len(bunch.feature_names[name])

    full = load_quiet(oulad_dir, target="final_result", drop_withdrawn_before_cutoff=False)
    assert list(full.target) == [
        "Pass",
        "Fail",
        "Withdrawn",
        "Withdrawn",
        "Distinction",
        "Fail",
        "Pass",
        "Pass",
    ]
    assert list(full.target_names) == ["Distinction", "Fail", "Pass", "Withdrawn"]

    X, y = load_quiet(oulad_dir, return_X_y=True)
    assert_same_data(bunch, load_quiet(oulad_dir))
    np.testing.assert_array_equal(y, bunch.target)
    assert isinstance(X, ModalityDict) and len(X) == 7


def test_presentations_argument(oulad_dir):
    a = load_quiet(oulad_dir, presentations=["AAA_2013J", "BBB_2013B"])
    b = load_quiet(oulad_dir, presentations=[("BBB", "2013B"), ("AAA", "2013J")])
    assert_same_data(a, b)
    assert set(a.presentation) == {"AAA_2013J", "BBB_2013B"}
    with pytest.raises(ValueError, match="ZZZ_2013J is not in the data"):
        load_oulad(oulad_dir, presentations=["ZZZ_2013J"])
    with pytest.raises(ValueError, match="Cannot read presentation"):
        load_oulad(oulad_dir, presentations=["AAA2013J"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"target": "grade"}, "target must be"),
        ({"clickstream": "image"}, "clickstream must be"),
        ({"click_start_day": 90}, "click_start_day"),
    ],
)
def test_bad_options(oulad_dir, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_oulad(oulad_dir, **kwargs)


def test_cutoff_day_must_be_an_integer(oulad_dir):
    with pytest.raises(TypeError, match="cutoff_day"):
        load_oulad(oulad_dir, cutoff_day="60")
    with pytest.raises(TypeError, match="cutoff_day"):
        load_oulad(oulad_dir, cutoff_day=60.5)


# ---------------------------------------------------------------------------------------------
# Hand-computed feature values
# ---------------------------------------------------------------------------------------------
def test_demographics_encoding(oulad_dir):
    bunch = load_quiet(oulad_dir, cutoff_day=CUTOFF)
    names = bunch.feature_names["demographics"]
    demo = bunch.data["demographics"]
    assert len(names) == 21

    def value(presentation, student, feature):
        return demo[row_of(bunch, presentation, student), names.index(feature)]

    assert value("AAA_2013J", 1, "gender_M") == 1 and value("AAA_2013J", 1, "gender_F") == 0
    assert value("AAA_2013J", 1, "region_Scotland") == 1
    row = demo[row_of(bunch, "AAA_2013J", 1)]
    assert row[[n.startswith("region_") for n in names]].sum() == 1
    assert value("AAA_2013J", 1, "highest_education") == 3
    assert value("AAA_2013J", 1, "imd_band") == 9
    assert value("AAA_2013J", 1, "age_band") == 2
    assert value("AAA_2013J", 1, "studied_credits") == 240
    assert value("AAA_2013J", 1, "disability") == 0
    # Missing imd_band is NaN for that feature only; the row stays.
    assert np.isnan(value("AAA_2013J", 2, "imd_band"))
    assert np.isnan(demo[row_of(bunch, "AAA_2013J", 2)]).sum() == 1
    assert value("AAA_2013J", 2, "disability") == 1
    assert value("AAA_2013J", 2, "num_of_prev_attempts") == 1
    assert value("AAA_2013J", 3, "imd_band") == 1  # the official "10-20" spelling
    assert value("AAA_2013J", 5, "highest_education") == 4
    assert "final_result" not in names


def test_assessment_features_by_hand(oulad_dir):
    bunch = load_quiet(oulad_dir, cutoff_day=CUTOFF)
    names = bunch.feature_names["assessments"]
    block = bunch.data["assessments"]

    def features(presentation, student):
        return dict(zip(names, block[row_of(bunch, presentation, student)], strict=True))

    # Student 1: TMAs 60 (day 18, due 19, weight 10) and 80 (day 56, due 54, weight 20) by day 60;
    # the TMA of day 110 and the CMA of day 70 are after the cut-off. Due by day 60: 1752, 1753,
    # 1755 (CMA, day 45) -> one missed.
    f = features("AAA_2013J", 1)
    assert f["n_submitted_TMA"] == 2 and f["n_submitted_CMA"] == 0 and f["n_submitted_Exam"] == 0
    assert f["mean_score"] == 70
    assert f["weighted_score_sum"] == pytest.approx(10 * 60 / 100 + 20 * 80 / 100)  # 22
    assert f["mean_submission_delay"] == pytest.approx(((18 - 19) + (56 - 54)) / 2)
    assert f["n_banked"] == 0 and f["n_missed_due"] == 1
    # Student 2: a banked TMA (75) and an unscored CMA submitted on day 40 (due 45).
    f = features("AAA_2013J", 2)
    assert f["n_submitted_TMA"] == 1 and f["n_submitted_CMA"] == 1
    assert f["mean_score"] == 75 and f["weighted_score_sum"] == pytest.approx(7.5)
    assert f["mean_submission_delay"] == -5  # banked submissions have no delay
    assert f["n_banked"] == 1 and f["n_missed_due"] == 1
    # Students 3 and 5 submitted nothing by the cut-off: 0 counts, NaN means, 3 missed.
    for student in (3, 5):
        f = features("AAA_2013J", student)
        assert f["n_submitted_TMA"] == 0 and f["weighted_score_sum"] == 0
        assert np.isnan(f["mean_score"]) and np.isnan(f["mean_submission_delay"])
        assert f["n_missed_due"] == 3
    f = features("BBB_2013B", 6)
    assert f["n_submitted_CMA"] == 1 and f["mean_score"] == 40
    assert f["weighted_score_sum"] == pytest.approx(0.4) and f["mean_submission_delay"] == -4
    assert f["n_missed_due"] == 1
    # Student 7: nothing submitted and nothing due by day 60 -> the modality is missing.
    assert np.isnan(block[row_of(bunch, "CCC_2014J", 7)]).all()
    later = load_quiet(oulad_dir, cutoff_day=100)
    f = dict(zip(names, later.data["assessments"][row_of(later, "CCC_2014J", 7)], strict=True))
    assert f["n_submitted_TMA"] == 1 and f["weighted_score_sum"] == 35
    assert f["mean_submission_delay"] == -5


def test_registration_features(oulad_dir):
    bunch = load_quiet(oulad_dir, cutoff_day=CUTOFF)
    assert bunch.feature_names["registration"] == [
        "date_registration",
        "module_presentation_length",
    ]
    reg = bunch.data["registration"]
    np.testing.assert_array_equal(reg[row_of(bunch, "AAA_2013J", 1)], [-159, 268])
    np.testing.assert_array_equal(reg[row_of(bunch, "BBB_2013B", 1)], [-30, 240])
    assert np.isnan(reg[row_of(bunch, "BBB_2013B", 6)]).all()


def test_unregistration_after_cutoff_is_not_flagged(oulad_dir):
    bunch = load_quiet(oulad_dir, cutoff_day=CUTOFF, drop_withdrawn_before_cutoff=False)
    names = bunch.feature_names["registration"]
    assert names[2:] == ["unregistered", "date_unregistration"]
    reg = bunch.data["registration"]
    late = reg[row_of(bunch, "AAA_2013J", 3)]  # unregistered on day 100
    assert late[2] == 0 and np.isnan(late[3])
    early = reg[row_of(bunch, "AAA_2013J", 4)]  # unregistered on day 30
    assert early[2] == 1 and early[3] == 30
    assert reg[row_of(bunch, "AAA_2013J", 1)][2] == 0
    # At a later cut-off, the day-100 unregistration is known (and dropped by default).
    later = load_quiet(oulad_dir, cutoff_day=100, drop_withdrawn_before_cutoff=False)
    np.testing.assert_array_equal(
        later.data["registration"][row_of(later, "AAA_2013J", 3)][2:], [1, 100]
    )
    assert 3 not in load_quiet(oulad_dir, cutoff_day=100).groups


def test_click_sequence_by_hand(oulad_dir):
    bunch = load_quiet(oulad_dir, cutoff_day=CUTOFF)
    clicks = bunch.data["clicks"]
    assert bunch.feature_names["clicks"] == TYPES
    # Earliest click day -15 -> first week -3 (days -21..-15); day 60 is in week 8.
    np.testing.assert_array_equal(bunch.click_week_start_days, 7 * np.arange(-3, 9))
    assert clicks.shape == (7, 12, 5)
    week = {w: i for i, w in enumerate(range(-3, 9))}
    t = {name: i for i, name in enumerate(TYPES)}
    s1 = clicks[row_of(bunch, "AAA_2013J", 1)]
    expected = np.zeros((12, 5))
    expected[week[-2], t["resource"]] = 4 + 1 + 3  # days -10, -10, -8
    expected[week[0], t["forumng"]] = 2 + 5  # days 0 and 6
    expected[week[8], t["quiz"]] = 3  # day 60 counts, day 61 does not
    np.testing.assert_allclose(s1, np.log1p(expected))
    s6 = clicks[row_of(bunch, "BBB_2013B", 6)]
    assert s6[week[1], t["resource"]] == pytest.approx(np.log1p(3))
    assert np.expm1(s6).sum() == pytest.approx(3)
    # No click by the cut-off, and a presentation without click rows: missing modality.
    assert np.isnan(clicks[row_of(bunch, "AAA_2013J", 5)]).all()
    assert np.isnan(clicks[row_of(bunch, "CCC_2014J", 7)]).all()
    assert not np.isnan(clicks[row_of(bunch, "AAA_2013J", 3)]).any()

    # A fixed window start gives the same weeks whatever the data.
    fixed = load_quiet(oulad_dir, cutoff_day=CUTOFF, click_start_day=-25)
    assert fixed.data["clicks"].shape == (7, 13, 5)
    np.testing.assert_array_equal(fixed.data["clicks"][:, 1:], clicks)


def test_click_flat_matches_sequence(oulad_dir):
    seq = load_quiet(oulad_dir, cutoff_day=CUTOFF)
    flat = load_quiet(oulad_dir, cutoff_day=CUTOFF, clickstream="flat")
    s, f = seq.data["clicks"], flat.data["clicks"]
    assert f.shape == (7, 12 * 5 + 5)
    names = flat.feature_names["clicks"]
    assert names[0] == "week-3_forumng" and names[-1] == "total_url"
    np.testing.assert_array_equal(f[:, :60], s.reshape(7, -1))
    r = row_of(flat, "AAA_2013J", 1)
    assert f[r, names.index("total_resource")] == pytest.approx(np.log1p(8))
    assert f[r, names.index("week0_forumng")] == pytest.approx(np.log1p(7))
    for name in ("demographics", "registration", "assessments"):
        np.testing.assert_array_equal(seq.data[name], flat.data[name])


# ---------------------------------------------------------------------------------------------
# No leakage from after the cut-off
# ---------------------------------------------------------------------------------------------
def _perturb_future(tables, cutoff, rng):
    """Change, move and add every row dated after ``cutoff``; also shuffle final_result."""
    t = {name: [list(r) for r in rows] for name, rows in tables.items()}
    for row in t["studentVle"][1:]:
        if int(row[4]) > cutoff:
            row[4] = str(int(row[4]) + int(rng.integers(1, 30)))
            row[5] = str(int(rng.integers(1, 500)))
    t["studentVle"] += [
        ["AAA", "2013J", "3", "13", str(cutoff + 1), "77"],
        ["CCC", "2014J", "7", "30", str(cutoff + 5), "5"],
        ["BBB", "2013B", "6", "21", str(cutoff + 40), "8"],
    ]
    for row in t["studentAssessment"][1:]:
        if int(row[2]) > cutoff:
            row[2] = str(int(row[2]) + int(rng.integers(1, 30)))
            row[4] = str(int(rng.integers(0, 101)))
    t["studentAssessment"] += [["1754", "3", str(cutoff + 3), "0", "99"]]
    for row in t["studentRegistration"][1:]:
        if row[4] and int(row[4]) > cutoff:
            row[4] = str(cutoff + 1)
    t["studentRegistration"][2][4] = str(cutoff + 90)  # AAA student 2 withdraws later
    t["studentRegistration"][6][4] = str(cutoff + 2)  # BBB student 1 withdraws later
    results = [row[11] for row in t["studentInfo"][1:]]
    for row, result in zip(t["studentInfo"][1:], rng.permutation(results), strict=True):
        row[11] = result
    body = t["studentVle"][1:]
    rng.shuffle(body)
    t["studentVle"] = t["studentVle"][:1] + body
    return t


@pytest.mark.parametrize("drop", [True, False])
@pytest.mark.parametrize("clickstream", ["sequence", "flat"])
def test_nothing_after_the_cutoff_is_used(tmp_path, drop, clickstream):
    rng = np.random.default_rng(0)
    kwargs = dict(cutoff_day=CUTOFF, clickstream=clickstream, drop_withdrawn_before_cutoff=drop)
    before = load_quiet(write_oulad(tmp_path / "a"), **kwargs)
    perturbed = _perturb_future(BASE, CUTOFF, rng)
    after = load_quiet(write_oulad(tmp_path / "b", perturbed), **kwargs)
    assert_same_data(before, after)
    assert not np.array_equal(
        load_quiet(tmp_path / "a", cutoff_day=200, **{"clickstream": clickstream}).data["clicks"],
        load_quiet(tmp_path / "b", cutoff_day=200, **{"clickstream": clickstream}).data["clicks"],
        equal_nan=True,
    )  # the perturbation is real: it shows at a later cut-off


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------
def test_csv_and_gz_give_identical_results(tmp_path):
    plain = load_quiet(write_oulad(tmp_path / "plain"), cutoff_day=CUTOFF)
    zipped = load_quiet(write_oulad(tmp_path / "gz", gz=set(BASE)), cutoff_day=CUTOFF)
    mixed = load_quiet(
        write_oulad(tmp_path / "mixed", gz={"studentVle", "studentInfo"}), cutoff_day=CUTOFF
    )
    assert not list((tmp_path / "gz").glob("*.csv"))
    assert_same_data(plain, zipped)
    assert_same_data(plain, mixed)
    np.testing.assert_array_equal(plain.target, zipped.target)


@pytest.mark.parametrize("name", list(BASE))
def test_missing_file_is_named(oulad_dir, name):
    (oulad_dir / f"{name}.csv").unlink()
    with pytest.raises(FileNotFoundError, match=rf"(^|\s){name}\.csv"):
        load_oulad(oulad_dir)


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_oulad(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "name, column",
    [
        ("studentVle", "sum_click"),
        ("studentInfo", "imd_band"),
        ("assessments", "weight"),
        ("studentRegistration", "date_unregistration"),
    ],
)
def test_missing_column_is_named(tmp_path, name, column):
    tables = dict(BASE)
    header = BASE[name][0]
    j = header.index(column)
    tables[name] = [row[:j] + row[j + 1 :] for row in BASE[name]]
    folder = write_oulad(tmp_path / "oulad", tables, gz={name})
    with pytest.raises(ValueError, match=rf"{name}\.csv\.gz.*'{column}'"):
        load_oulad(folder)


def test_non_numeric_and_unknown_values_are_named(tmp_path):
    tables = dict(BASE)
    tables["studentVle"] = [list(r) for r in BASE["studentVle"]]
    tables["studentVle"][3][5] = "many"
    with pytest.raises(ValueError, match="studentVle.csv: column 'sum_click' must be numeric"):
        load_oulad(write_oulad(tmp_path / "a", tables))
    tables = dict(BASE)
    tables["studentInfo"] = [list(r) for r in BASE["studentInfo"]]
    tables["studentInfo"][1][7] = "99-120"
    with pytest.raises(ValueError, match="studentInfo.csv: column 'age_band'"):
        load_oulad(write_oulad(tmp_path / "b", tables))


# ---------------------------------------------------------------------------------------------
# The shipped extract
# ---------------------------------------------------------------------------------------------
def test_shipped_extract_is_small_and_official():
    files = sorted(EXTRACT_DIR.glob("*.csv.gz"))
    assert {f.name for f in files} == {f"{name}.csv.gz" for name in BASE}
    assert sum(f.stat().st_size for f in EXTRACT_DIR.iterdir()) < 5 * 1024**2
    with gzip.open(EXTRACT_DIR / "studentRegistration.csv.gz", "rb") as fh:
        head = fh.read(200)
    assert head.startswith(b'"code_module","code_presentation","id_student"')
    assert b'"\r\n"' in head
    assert "CC BY 4.0" in (EXTRACT_DIR / "README.txt").read_text()


def test_shipped_extract_loads():
    start = time.perf_counter()
    bunch = load_oulad(cutoff_day=CUTOFF)
    elapsed = time.perf_counter() - start
    X, y = bunch.data, bunch.target
    n = len(y)
    assert n > 1000 and elapsed < 20
    assert list(X) == ["demographics", "registration", "assessments", "clicks"]
    assert X["clicks"].ndim == 3 and X["clicks"].shape[0] == n
    assert all(X[name].shape == (n, len(bunch.feature_names[name])) for name in list(X)[:3])
    assert 0.3 < y.mean() < 0.8
    assert len(bunch.groups) == n
    assert set(bunch.presentation) == {f"{m}_{p}" for m, p in EXTRACT_PRESENTATIONS}
    # Partially missing clicks (no click by the cut-off), but most rows have them.
    missing = np.isnan(X["clicks"]).all(axis=(1, 2))
    assert 0 < missing.sum() < 0.2 * n

    flat = load_oulad(cutoff_day=CUTOFF, clickstream="flat", return_X_y=True)[0]
    assert flat["clicks"].ndim == 2 and flat["clicks"].shape[0] == n
    assert (
        flat["clicks"].shape[1]
        == X["clicks"].shape[1] * X["clicks"].shape[2] + (X["clicks"].shape[2])
    )

    from sklearn.model_selection import train_test_split

    X_train, X_test, _, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    assert isinstance(X_train, ModalityDict) and X_train["clicks"].ndim == 3
    assert len(X_train) + len(X_test) == n


def test_shipped_extract_refuses_truncated_clicks():
    with pytest.raises(ValueError, match="BBB_2013J only up to day 132"):
        load_oulad(cutoff_day=133)
    ok = load_oulad(cutoff_day=200, presentations=["AAA_2013J", "AAA_2014J", "BBB_2013B"])
    assert "BBB_2013J" not in set(ok.presentation)


# ---------------------------------------------------------------------------------------------
# The development copy of the official data (skipped when it is not beside the repository)
# ---------------------------------------------------------------------------------------------
def test_shared_official_data_matches_extract():
    if not (SHARED_OULAD / "studentInfo.csv").is_file():
        pytest.skip(f"no OULAD data at {SHARED_OULAD} (set SKLEARN_DSRSD_OULAD_DIR)")
    with pytest.warns(UserWarning, match="no click rows"):
        full = load_oulad(SHARED_OULAD, cutoff_day=CUTOFF, drop_withdrawn_before_cutoff=False)
    assert len(full.target) == 32593
    assert len(set(full.presentation)) == 22
    # The extract is these files, trimmed: same rows and features where they overlap.
    shared = load_oulad(SHARED_OULAD, cutoff_day=CUTOFF, presentations=EXTRACT_PRESENTATIONS)
    assert_same_data(shared, load_oulad(cutoff_day=CUTOFF))
    with pytest.warns(UserWarning, match="BBB_2013J.*may be truncated"):
        load_oulad(SHARED_OULAD, cutoff_day=150, presentations=["BBB_2013J"])
