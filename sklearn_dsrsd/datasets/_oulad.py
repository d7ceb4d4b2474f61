"""Loader for the Open University Learning Analytics Dataset (OULAD).

``load_oulad`` turns the official OULAD CSV files into one row per registration
(``code_module``, ``code_presentation``, ``id_student``) with four modalities, each built only
from what is known at a cut-off day of the presentation. See ``load_oulad`` for the features and
the documented choices, and ``DESCR`` (also ``load_oulad().DESCR``) for the data's attribution.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from .._modality_dict import ModalityDict

__all__ = ["load_oulad"]

#: Folder of the compact extract shipped with the package.
EXTRACT_DIR = Path(__file__).resolve().parent / "data" / "oulad"

#: Presentations kept in the shipped extract: those whose click log is complete in the partial
#: ``studentVle.csv.gz`` of the development copy (BBB 2013J only up to day 132).
EXTRACT_PRESENTATIONS = (("AAA", "2013J"), ("AAA", "2014J"), ("BBB", "2013B"), ("BBB", "2013J"))

#: Last day up to which the extract's click log is complete, for presentations that are cut short.
EXTRACT_CLICK_LAST_DAY = {("BBB", "2013J"): 132}

#: The columns the loader reads from each official file (other columns are ignored).
OULAD_COLUMNS = {
    "courses": ("code_module", "code_presentation", "module_presentation_length"),
    "studentInfo": (
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
    ),
    "studentRegistration": (
        "code_module",
        "code_presentation",
        "id_student",
        "date_registration",
        "date_unregistration",
    ),
    "assessments": (
        "code_module",
        "code_presentation",
        "id_assessment",
        "assessment_type",
        "date",
        "weight",
    ),
    "studentAssessment": ("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
    "vle": ("id_site", "code_module", "code_presentation", "activity_type"),
    "studentVle": (
        "code_module",
        "code_presentation",
        "id_student",
        "id_site",
        "date",
        "sum_click",
    ),
}

_GENDERS = ("F", "M")
_REGIONS = (
    "East Anglian Region",
    "East Midlands Region",
    "Ireland",
    "London Region",
    "North Region",
    "North Western Region",
    "Scotland",
    "South East Region",
    "South Region",
    "South West Region",
    "Wales",
    "West Midlands Region",
    "Yorkshire Region",
)
_EDUCATION = {
    "No Formal quals": 0,
    "Lower Than A Level": 1,
    "A Level or Equivalent": 2,
    "HE Qualification": 3,
    "Post Graduate Qualification": 4,
}
# The official file writes the second band as "10-20" (no percent sign); accept both spellings.
_IMD = {f"{10 * k}-{10 * (k + 1)}%": k for k in range(10)} | {"10-20": 1}
_AGE = {"0-35": 0, "35-55": 1, "55<=": 2}
_DISABILITY = {"N": 0, "Y": 1}
_FINAL_RESULTS = ("Distinction", "Fail", "Pass", "Withdrawn")
_ASSESSMENT_TYPES = ("TMA", "CMA", "Exam")
_ASSESSMENT_FEATURES = [
    "n_submitted_TMA",
    "n_submitted_CMA",
    "n_submitted_Exam",
    "mean_score",
    "weighted_score_sum",
    "mean_submission_delay",
    "n_banked",
    "n_missed_due",
]
_STUDENT_STRIDE = np.int64(1) << np.int64(32)  # key = presentation index * stride + id_student

DESCR = """\
.. _oulad_dataset:

Open University Learning Analytics Dataset (OULAD)
--------------------------------------------------

**Source and licence.** Kuzilek J., Hlosta M., Zdrahal Z. "Open University Learning Analytics
dataset", Scientific Data 4:170171 (2017), doi:10.1038/sdata.2017.171. The data are licensed
under the Creative Commons Attribution 4.0 International licence (CC BY 4.0,
https://creativecommons.org/licenses/by/4.0/). The compact extract shipped with
``sklearn_dsrsd`` is a modified subset of the official release: only the presentations
AAA 2013J, AAA 2014J, BBB 2013B and BBB 2013J; the click log ``studentVle`` aggregated per
(student, presentation, site, day) with ``sum_click`` summed, and for BBB 2013J kept only up to
day 132 (the development copy of the click log is partial). All other files are the official
rows of those presentations, unchanged.

**Samples.** One row per registration (code_module, code_presentation, id_student);
``groups`` holds ``id_student`` (a student may have several registrations) and
``presentation`` holds ``"<module>_<presentation>"``.

**Cut-off.** Every feature uses only what is known on ``cutoff_day`` (days relative to the
presentation start, as in the files): clicks dated <= cutoff_day, submissions with
date_submitted <= cutoff_day (their score is treated as known at submission), unregistrations
dated <= cutoff_day. ``final_result`` is never a feature.

**Modalities.**

- ``demographics`` (21): one-hot gender (2) and region (13); ordinal highest_education (0 = no
  formal quals ... 4 = post-graduate), imd_band (0 = 0-10% ... 9 = 90-100%, NaN when missing),
  age_band (0 = 0-35, 1 = 35-55, 2 = 55<=); num_of_prev_attempts; studied_credits; disability
  (0/1).
- ``registration`` (2, or 4 with ``drop_withdrawn_before_cutoff=False``): date_registration
  (NaN if missing or after the cut-off), module_presentation_length, and, only when withdrawn
  rows are kept, ``unregistered`` (1 iff date_unregistration <= cutoff_day) and
  ``date_unregistration`` (that day, NaN otherwise). All-NaN when the registration record is
  absent or has neither a known registration date nor an unregistration by the cut-off.
- ``assessments`` (8): submissions by type (TMA, CMA, Exam), mean score, weighted score sum
  (sum of weight * score / 100), mean submission delay (date_submitted - due date; banked
  submissions excluded; an exam without a date is due on the last day of the presentation),
  number of banked submissions, number of assessments due by the cut-off and not submitted by
  it. No submission gives 0 counts and NaN means. All-NaN when the student submitted nothing
  and no assessment of the presentation was due by the cut-off (nothing was observable).
- ``clicks``: ``log1p`` of the clicks summed per week and activity type (activity types of
  ``vle`` for the loaded presentations, sorted). Weeks are 7-day bins aligned to the
  presentation start (week j covers days 7j .. 7j+6), from the week of the earliest click day in
  the loaded data (or of ``click_start_day``) to the week holding ``cutoff_day`` (the last bin
  stops at cutoff_day). ``clickstream="sequence"`` gives (n, n_weeks, n_types);
  ``"flat"`` gives (n, n_weeks * n_types + n_types), the flattened weeks followed by
  ``log1p`` totals per type. All-NaN for a registration without any click by the cut-off,
  including every registration of a presentation that has no click rows (partial click file).

**Targets.** ``target="pass"``: 1 for Pass or Distinction, 0 for Fail or Withdrawn (a student
who withdraws after the cut-off did not pass). ``target="final_result"``: the four classes as
strings. By default (``drop_withdrawn_before_cutoff=True``) registrations that unregistered on
or before the cut-off are dropped: their outcome is known at prediction time.
"""


def _find_file(data_home: Path, name: str) -> Path:
    for suffix in (".csv", ".csv.gz"):
        path = data_home / f"{name}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"OULAD file {name}.csv (or {name}.csv.gz) not found in {data_home}.")


def _read_table(
    data_home: Path,
    name: str,
    *,
    text: tuple[str, ...] = (),
    ints: tuple[str, ...] = (),
    floats: tuple[str, ...] = (),
):
    """Read the needed columns of one official file, checking columns and numeric types."""
    import pandas as pd

    path = _find_file(data_home, name)
    columns = OULAD_COLUMNS[name]
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"Could not read OULAD file {path.name} ({path}): {exc}") from exc
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(
            f"OULAD file {path.name} ({path}) lacks column(s) {missing}; the loader needs "
            f"{list(columns)} and found {list(header)}."
        )
    dtype = {c: "category" for c in ("code_module", "code_presentation") if c in columns}
    dtype |= {c: str for c in text}
    try:
        df = pd.read_csv(path, usecols=list(columns), dtype=dtype)
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"Could not read OULAD file {path.name} ({path}): {exc}") from exc
    for col in ints + floats:
        values = df[col]
        if not pd.api.types.is_numeric_dtype(values):
            converted = pd.to_numeric(values, errors="coerce")
            bad = converted.isna() & values.notna()
            if bad.any():
                raise ValueError(
                    f"OULAD file {path.name}: column {col!r} must be numeric; found "
                    f"{values[bad].iloc[0]!r}."
                )
            values = converted
        if col in ints:
            if values.isna().any():
                raise ValueError(
                    f"OULAD file {path.name}: column {col!r} has missing values; it must be "
                    "an integer id for every row."
                )
            df[col] = values.astype(np.int64)
        else:
            df[col] = values.astype(np.float64)
    return df, path


def _presentation_index(df, presentations: list[tuple[str, str]]) -> np.ndarray:
    """Index in ``presentations`` of each row's (code_module, code_presentation), -1 if absent."""
    module = df["code_module"].astype("category")
    pres = df["code_presentation"].astype("category")
    lookup = {key: i for i, key in enumerate(presentations)}
    mods, prs = module.cat.categories, pres.cat.categories
    # One extra row/column (index -1) for missing codes.
    table = np.full((len(mods) + 1, len(prs) + 1), -1, dtype=np.int64)
    for i, m in enumerate(mods):
        for j, p in enumerate(prs):
            table[i, j] = lookup.get((str(m), str(p)), -1)
    return table[module.cat.codes.to_numpy(), pres.cat.codes.to_numpy()]


def _parse_presentations(presentations: Any, available: list[tuple[str, str]]):
    if presentations is None:
        return list(available)
    if isinstance(presentations, str):
        presentations = [presentations]
    try:
        items = list(presentations)
    except TypeError:
        raise TypeError(
            "presentations must be None or a list of ids such as 'AAA_2013J' or "
            f"('AAA', '2013J'); got {type(presentations).__name__}."
        ) from None
    if not items:
        raise ValueError("presentations must name at least one presentation; got an empty list.")
    parsed = []
    for item in items:
        key = None
        if isinstance(item, str):
            parts = item.replace(" ", "_").split("_")
            if len(parts) == 2 and all(parts):
                key = (parts[0], parts[1])
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            if all(isinstance(p, str) for p in item):
                key = (item[0], item[1])
        if key is None:
            raise ValueError(
                f"Cannot read presentation {item!r}: use 'AAA_2013J' or ('AAA', '2013J')."
            )
        if key not in available:
            names = ", ".join(f"{m}_{p}" for m, p in available)
            raise ValueError(
                f"Presentation {key[0]}_{key[1]} is not in the data; available: {names}."
            )
        parsed.append(key)
    return sorted(set(parsed))


def _encode(values, mapping: dict[str, int], path: Path, column: str) -> np.ndarray:
    """Map category strings to numbers; missing -> NaN; unknown values are an error."""
    codes = values.map(mapping)
    unknown = values.notna() & codes.isna()
    if unknown.any():
        found = sorted(set(values[unknown].astype(str)))
        raise ValueError(
            f"OULAD file {path.name}: column {column!r} has unknown value(s) {found[:5]}; "
            f"expected one of {sorted(mapping)}."
        )
    return codes.to_numpy(dtype=np.float64, na_value=np.nan)


def _one_hot(values, categories: tuple[str, ...]) -> np.ndarray:
    """One-hot columns; a missing value gives NaN in every column, an unknown one all zeros."""
    arr = values.astype(object).to_numpy()
    out = np.stack([arr == c for c in categories], axis=1).astype(np.float64)
    out[values.isna().to_numpy()] = np.nan
    return out


def _row_lookup(row_keys, pres_idx: np.ndarray, students: np.ndarray) -> np.ndarray:
    """Row of each (presentation index, id_student) pair, -1 when it is not a loaded row."""
    keys = pres_idx.astype(np.int64) * _STUDENT_STRIDE + students.astype(np.int64)
    rows = row_keys.get_indexer(keys)
    rows[pres_idx < 0] = -1
    return rows


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    out = np.full(total.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def _check_int(name: str, value: Any, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        if isinstance(value, Real) and not isinstance(value, bool) and float(value).is_integer():
            return int(value)
        raise TypeError(f"{name} must be an integer number of days; got {value!r}.")
    return int(value)


def load_oulad(
    data_home: str | Path | None = None,
    *,
    cutoff_day: int = 60,
    target: str = "pass",
    presentations: Any = None,
    clickstream: str = "sequence",
    return_X_y: bool = False,
    drop_withdrawn_before_cutoff: bool = True,
    click_start_day: int | None = None,
):
    """Load the Open University Learning Analytics Dataset as multimodal data.

    One row per registration (code_module, code_presentation, id_student), with four
    modalities built only from what is known on ``cutoff_day``: ``demographics``,
    ``registration``, ``assessments`` and ``clicks``. A sample lacks a modality when all of its
    values there are NaN (see Notes). The target is the registration's ``final_result``.

    Data: Kuzilek J., Hlosta M., Zdrahal Z. "Open University Learning Analytics dataset",
    Scientific Data 4:170171 (2017), doi:10.1038/sdata.2017.171, licensed CC BY 4.0.

    Parameters
    ----------
    data_home : str, path-like or None, default=None
        Folder holding the official OULAD files (``courses``, ``studentInfo``,
        ``studentRegistration``, ``assessments``, ``studentAssessment``, ``vle``,
        ``studentVle``), each as ``name.csv`` or ``name.csv.gz`` (``.csv`` wins when both
        exist). ``None`` loads the compact extract shipped with the package (presentations
        AAA 2013J, AAA 2014J, BBB 2013B and BBB 2013J).
    cutoff_day : int, default=60
        Prediction day, in days relative to the presentation start (as in the files). Only
        events dated on or before it are used.
    target : {"pass", "final_result"}, default="pass"
        ``"pass"``: 1 for Pass or Distinction, 0 for Fail or Withdrawn. ``"final_result"``: the
        four classes as strings (``target_names`` sorted).
    presentations : list or None, default=None
        Presentations to load, as ``"AAA_2013J"`` strings or ``("AAA", "2013J")`` pairs.
        ``None`` loads every presentation present in ``studentInfo``.
    clickstream : {"sequence", "flat"}, default="sequence"
        ``"sequence"``: ``clicks`` is 3-D (n, n_weeks, n_activity_types). ``"flat"``: 2-D, the
        weeks flattened (week-major) followed by the per-type totals.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    drop_withdrawn_before_cutoff : bool, default=True
        Drop registrations with ``date_unregistration <= cutoff_day``: their outcome is known
        at prediction time, so predicting it is trivial. With ``False`` they are kept and the
        ``registration`` modality gains the ``unregistered`` flag and its day.
    click_start_day : int or None, default=None
        First day of the click window; the window starts at the week holding it. ``None`` uses
        the earliest click day (on or before the cut-off) in the loaded data. Set it (e.g. to
        -25, the earliest day of the full OULAD) to get the same weeks across separate loads.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (a :class:`~sklearn_dsrsd.ModalityDict` of float64 arrays), ``target``,
        ``target_names``, ``feature_names`` (modality -> list of names; for the 3-D
        ``clicks`` the names of its last axis), ``groups`` (``id_student`` per row),
        ``presentation`` (``"AAA_2013J"``-style id per row), ``click_week_start_days`` (first
        day of each click week), ``cutoff_day`` and ``DESCR``.
    (X, y) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When ``data_home`` or one of the files is missing (the message names it).
    ValueError
        On a missing column (the message names the file and the column), an unknown
        presentation or option, or when the shipped extract is asked for BBB 2013J with
        ``cutoff_day > 132`` (its click log stops at day 132; pass ``presentations`` without it,
        or ``data_home`` with the full release).

    Notes
    -----
    Documented choices:

    - No feature uses anything dated after ``cutoff_day``. Submissions count from their
      ``date_submitted`` and their score is treated as known then (marking delay is ignored, as
      usual for this dataset). A ``date_registration`` after the cut-off is set to NaN.
      ``final_result`` is never a feature.
    - Withdrawn: a student who unregisters after the cut-off is, at the cut-off, still
      registered (not flagged) and counts as "not pass" for ``target="pass"``. Those who
      unregistered on or before the cut-off are dropped by default (see above).
    - Missing modalities: ``demographics`` is always present (isolated NaNs, e.g. a missing
      imd_band, stay NaN). ``registration`` is all-NaN when the student's registration record is
      absent or carries no information at the cut-off. ``assessments`` gives 0 counts and NaN
      means to a student who submitted nothing, and is all-NaN only when, in addition, no
      assessment of the presentation was due by the cut-off. ``clicks`` is all-NaN for a
      registration with no click by the cut-off, which includes every registration of a
      presentation that has no click rows at all (a warning names such presentations).
    - Clicks are ``log1p`` of the summed ``sum_click``. Weeks are 7-day bins aligned to the
      presentation start: week ``j`` holds days ``7j`` to ``7j + 6``.
    - With ``data_home``, a presentation whose click log ends before
      ``min(cutoff_day, module_presentation_length - 2)`` triggers a warning: the file may be
      truncated (such as the partial ``studentVle.csv.gz`` of the development copy). The shipped
      extract instead raises for BBB 2013J past day 132, where it is known to be incomplete.

    Examples
    --------
    >>> from sklearn_dsrsd.datasets import load_oulad
    >>> bunch = load_oulad(cutoff_day=60)
    >>> sorted(bunch.data)
    ['assessments', 'clicks', 'demographics', 'registration']
    >>> bunch.data["clicks"].ndim
    3
    """
    import pandas as pd

    cutoff_day = _check_int("cutoff_day", cutoff_day)
    click_start_day = _check_int("click_start_day", click_start_day, allow_none=True)
    if target not in ("pass", "final_result"):
        raise ValueError(f"target must be 'pass' or 'final_result'; got {target!r}.")
    if clickstream not in ("sequence", "flat"):
        raise ValueError(f"clickstream must be 'sequence' or 'flat'; got {clickstream!r}.")
    if click_start_day is not None and click_start_day > cutoff_day:
        raise ValueError(
            f"click_start_day ({click_start_day}) must not be after cutoff_day ({cutoff_day})."
        )

    is_extract = data_home is None
    home = EXTRACT_DIR if is_extract else Path(data_home).expanduser()
    if not home.is_dir():
        raise FileNotFoundError(f"OULAD data folder {home} does not exist.")

    # ---- registrations (rows) -------------------------------------------------------------
    info, info_path = _read_table(
        home,
        "studentInfo",
        text=(
            "gender",
            "region",
            "highest_education",
            "imd_band",
            "age_band",
            "disability",
            "final_result",
        ),
        ints=("id_student",),
        floats=("num_of_prev_attempts", "studied_credits"),
    )
    pairs = info[["code_module", "code_presentation"]].dropna().drop_duplicates()
    available = sorted(
        zip(pairs["code_module"].astype(str), pairs["code_presentation"].astype(str), strict=True)
    )
    pres = _parse_presentations(presentations, available)
    if is_extract:
        late = [
            f"{m}_{p} only up to day {last}"
            for (m, p), last in EXTRACT_CLICK_LAST_DAY.items()
            if (m, p) in pres and cutoff_day > last
        ]
        if late:
            raise ValueError(
                f"The shipped OULAD extract has clicks for {', '.join(late)}; "
                f"cutoff_day={cutoff_day} would see a truncated click log. Pass "
                "presentations=[...] without it, or data_home with the full official release "
                "(on the command line: --presentations, or --data-dir)."
            )
    info_pres = _presentation_index(info, pres)
    info = info.assign(_pres=info_pres)[info_pres >= 0]
    info = info.sort_values(["_pres", "id_student"], kind="stable")
    if info.duplicated(["_pres", "id_student"]).any():
        raise ValueError(
            f"OULAD file {info_path.name} lists a registration (code_module, "
            "code_presentation, id_student) more than once."
        )
    unknown_results = sorted(set(info["final_result"].dropna()) - set(_FINAL_RESULTS))
    if unknown_results or info["final_result"].isna().any():
        raise ValueError(
            f"OULAD file {info_path.name}: column 'final_result' must be one of "
            f"{list(_FINAL_RESULTS)} for every row; found {unknown_results or ['<missing>']}."
        )

    # Module lengths (presentation-level, known in advance).
    courses, _ = _read_table(home, "courses", floats=("module_presentation_length",))
    course_pres = _presentation_index(courses, pres)
    length = np.full(len(pres), np.nan)
    length[course_pres[course_pres >= 0]] = courses["module_presentation_length"].to_numpy()[
        course_pres >= 0
    ]

    # Registration records, joined before dropping early withdrawals.
    reg, _ = _read_table(
        home,
        "studentRegistration",
        ints=("id_student",),
        floats=("date_registration", "date_unregistration"),
    )
    reg_pres = _presentation_index(reg, pres)
    reg = reg.assign(_pres=reg_pres)[reg_pres >= 0].drop_duplicates(["_pres", "id_student"])
    keys = pd.Index(
        info["_pres"].to_numpy(np.int64) * _STUDENT_STRIDE + info["id_student"].to_numpy()
    )
    rows = _row_lookup(keys, reg["_pres"].to_numpy(), reg["id_student"].to_numpy())
    n_all = len(info)
    has_record = np.zeros(n_all, dtype=bool)
    date_reg = np.full(n_all, np.nan)
    date_unreg = np.full(n_all, np.nan)
    ok = rows >= 0
    has_record[rows[ok]] = True
    date_reg[rows[ok]] = reg["date_registration"].to_numpy()[ok]
    date_unreg[rows[ok]] = reg["date_unregistration"].to_numpy()[ok]
    with np.errstate(invalid="ignore"):
        unreg_by_cutoff = date_unreg <= cutoff_day
        date_reg[date_reg > cutoff_day] = np.nan  # registering after the cut-off: the future
    date_unreg[~unreg_by_cutoff] = np.nan  # unregistering after the cut-off: the future

    keep = ~unreg_by_cutoff if drop_withdrawn_before_cutoff else np.ones(n_all, dtype=bool)
    info = info[keep]
    has_record, date_reg = has_record[keep], date_reg[keep]
    date_unreg, unreg_by_cutoff = date_unreg[keep], unreg_by_cutoff[keep]
    n = len(info)
    row_pres = info["_pres"].to_numpy(np.int64)
    students = info["id_student"].to_numpy(np.int64)
    keys = pd.Index(row_pres * _STUDENT_STRIDE + students)

    # ---- target ---------------------------------------------------------------------------
    result = info["final_result"].astype(str).to_numpy(dtype=object)
    if target == "pass":
        y = np.isin(result, ["Pass", "Distinction"]).astype(np.int64)
        target_names = np.array(["Fail/Withdrawn", "Pass/Distinction"], dtype=object)
    else:
        y = result
        target_names = np.array(_FINAL_RESULTS, dtype=object)

    # ---- demographics ---------------------------------------------------------------------
    demographics = np.column_stack(
        [
            _one_hot(info["gender"], _GENDERS),
            _one_hot(info["region"], _REGIONS),
            _encode(info["highest_education"], _EDUCATION, info_path, "highest_education"),
            _encode(info["imd_band"], _IMD, info_path, "imd_band"),
            _encode(info["age_band"], _AGE, info_path, "age_band"),
            info["num_of_prev_attempts"].to_numpy(np.float64),
            info["studied_credits"].to_numpy(np.float64),
            _encode(info["disability"], _DISABILITY, info_path, "disability"),
        ]
    )
    demographics_names = (
        [f"gender_{g}" for g in _GENDERS]
        + [f"region_{r}" for r in _REGIONS]
        + [
            "highest_education",
            "imd_band",
            "age_band",
            "num_of_prev_attempts",
            "studied_credits",
            "disability",
        ]
    )

    # ---- registration ---------------------------------------------------------------------
    reg_columns = [date_reg, length[row_pres]]
    registration_names = ["date_registration", "module_presentation_length"]
    if not drop_withdrawn_before_cutoff:
        reg_columns += [unreg_by_cutoff.astype(np.float64), date_unreg]
        registration_names += ["unregistered", "date_unregistration"]
    registration = np.column_stack(reg_columns)
    registration[~has_record | (np.isnan(date_reg) & ~unreg_by_cutoff)] = np.nan

    # ---- assessments ----------------------------------------------------------------------
    assessments = _assessment_features(home, pres, length, keys, row_pres, cutoff_day)

    # ---- clicks ---------------------------------------------------------------------------
    clicks, click_names, week_days = _click_features(
        home,
        pres,
        length,
        keys,
        row_pres,
        cutoff_day,
        click_start_day,
        clickstream,
        warn_truncated=not is_extract,
    )

    X = ModalityDict(
        demographics=demographics,
        registration=registration,
        assessments=assessments,
        clicks=clicks,
    )
    if return_X_y:
        return X, y
    pres_names = np.array([f"{m}_{p}" for m, p in pres], dtype=object)
    return Bunch(
        data=X,
        target=y,
        target_names=target_names,
        feature_names={
            "demographics": demographics_names,
            "registration": registration_names,
            "assessments": list(_ASSESSMENT_FEATURES),
            "clicks": click_names,
        },
        groups=students,
        presentation=pres_names[row_pres] if n else np.array([], dtype=object),
        click_week_start_days=week_days,
        cutoff_day=cutoff_day,
        DESCR=DESCR,
    )


def _assessment_features(home, pres, length, keys, row_pres, cutoff_day):
    import pandas as pd

    n = len(keys)
    ass, ass_path = _read_table(
        home,
        "assessments",
        text=("assessment_type",),
        ints=("id_assessment",),
        floats=("date", "weight"),
    )
    ass_p = _presentation_index(ass, pres)
    ass = ass[ass_p >= 0]
    ass_p = ass_p[ass_p >= 0]
    if ass["id_assessment"].duplicated().any():
        raise ValueError(f"OULAD file {ass_path.name}: column 'id_assessment' is not unique.")
    # An exam without a date is at the end of the presentation (official documentation).
    due = ass["date"].to_numpy()
    due = np.where(np.isnan(due), length[ass_p], due)
    weight = ass["weight"].to_numpy()
    atype = ass["assessment_type"].astype(object).to_numpy()

    sub, _ = _read_table(
        home,
        "studentAssessment",
        ints=("id_assessment", "id_student"),
        floats=("date_submitted", "is_banked", "score"),
    )
    a = pd.Index(ass["id_assessment"].to_numpy()).get_indexer(sub["id_assessment"].to_numpy())
    date_sub = sub["date_submitted"].to_numpy()
    valid = a >= 0
    with np.errstate(invalid="ignore"):
        valid &= date_sub <= cutoff_day  # the future is not used
    sub = sub[valid]
    a, date_sub = a[valid], date_sub[valid]
    rows = _row_lookup(keys, ass_p[a], sub["id_student"].to_numpy())
    dedup = ~pd.DataFrame({"a": a, "r": rows}).duplicated().to_numpy()
    mine = (rows >= 0) & dedup
    rows, a, date_sub = rows[mine], a[mine], date_sub[mine]
    score = sub["score"].to_numpy()[mine]
    banked = sub["is_banked"].to_numpy()[mine] == 1

    def count(mask, weights=None):
        w = None if weights is None else weights[mask]
        return np.bincount(rows[mask], weights=w, minlength=n).astype(np.float64)

    everything = np.ones(len(rows), dtype=bool)
    n_sub = count(everything)
    by_type = [count(atype[a] == t) for t in _ASSESSMENT_TYPES]
    scored = ~np.isnan(score)
    mean_score = _mean(count(scored, score), count(scored))
    weighted = count(scored, weight[a] * score / 100.0)
    delay = date_sub - due[a]
    timed = ~banked & ~np.isnan(delay)
    mean_delay = _mean(count(timed, delay), count(timed))
    n_banked = count(banked)
    due_by_cutoff = due <= cutoff_day
    n_due = np.bincount(ass_p[due_by_cutoff], minlength=len(pres)).astype(np.float64)[row_pres]
    n_missed = n_due - count(due_by_cutoff[a])
    out = np.column_stack(by_type + [mean_score, weighted, mean_delay, n_banked, n_missed])
    out[(n_sub == 0) & (n_due == 0)] = np.nan  # nothing observable by the cut-off
    return out


def _click_features(
    home, pres, length, keys, row_pres, cutoff_day, click_start_day, clickstream, warn_truncated
):
    import pandas as pd

    n = len(keys)
    vle, vle_path = _read_table(home, "vle", text=("activity_type",), ints=("id_site",))
    vle_p = _presentation_index(vle, pres)
    types = sorted(set(vle["activity_type"][vle_p >= 0].dropna().astype(str)))
    if vle["id_site"].duplicated().any():
        raise ValueError(f"OULAD file {vle_path.name}: column 'id_site' is not unique.")
    type_of_site = pd.Index(types).get_indexer(vle["activity_type"].astype(object))
    type_of_site[vle_p < 0] = -1
    sites = pd.Index(vle["id_site"].to_numpy())

    clk, clk_path = _read_table(
        home,
        "studentVle",
        ints=("id_student", "id_site", "date"),
        floats=("sum_click",),
    )
    clk_p = _presentation_index(clk, pres)
    date = clk["date"].to_numpy()
    in_pres = clk_p >= 0

    # Presentations without any click row, and (user data) click logs that look truncated.
    loaded = np.bincount(row_pres, minlength=len(pres)) > 0
    n_rows_pres = np.bincount(clk_p[in_pres], minlength=len(pres))
    empty = [
        f"{m}_{p}"
        for (m, p), k, ld in zip(pres, n_rows_pres, loaded, strict=True)
        if k == 0 and ld
    ]
    if empty:
        warnings.warn(
            f"OULAD file {clk_path.name} has no click rows for {', '.join(empty)}: their "
            "'clicks' modality is all-NaN (missing).",
            UserWarning,
            stacklevel=3,
        )
    if warn_truncated and in_pres.any():
        last = pd.Series(date[in_pres]).groupby(clk_p[in_pres]).max()
        short = [
            f"{pres[i][0]}_{pres[i][1]} (last click day {int(d)})"
            for i, d in last.items()
            if loaded[i] and d < min(cutoff_day, length[i] - 2)
        ]
        if short:
            warnings.warn(
                f"OULAD file {clk_path.name} ends before cutoff_day={cutoff_day} for "
                f"{', '.join(short)}; the click log may be truncated.",
                UserWarning,
                stacklevel=3,
            )

    keep = in_pres & (date <= cutoff_day)
    clk_p, date = clk_p[keep], date[keep]
    rows = _row_lookup(keys, clk_p, clk["id_student"].to_numpy()[keep])
    site = sites.get_indexer(clk["id_site"].to_numpy()[keep])
    unknown_site = site < 0
    if unknown_site.any():
        warnings.warn(
            f"{int(unknown_site.sum())} click rows of {clk_path.name} name sites absent "
            f"from {vle_path.name}; they are ignored.",
            UserWarning,
            stacklevel=3,
        )
    t = np.where(unknown_site, -1, type_of_site[np.maximum(site, 0)])
    clicks = np.nan_to_num(clk["sum_click"].to_numpy()[keep])

    mine = (rows >= 0) & (t >= 0)
    if click_start_day is None:
        start = int(date[mine].min()) if mine.any() else min(0, cutoff_day)
    else:
        start = click_start_day
    first_week, last_week = start // 7, cutoff_day // 7
    n_weeks, n_types = last_week - first_week + 1, len(types)
    week = date // 7 - first_week
    mine &= week >= 0
    rows, week, t, clicks = rows[mine], week[mine], t[mine], clicks[mine]

    flat_index = (rows * n_weeks + week) * n_types + t
    counts = np.bincount(flat_index, weights=clicks, minlength=n * n_weeks * n_types)
    counts = counts.reshape(n, n_weeks, n_types)
    has_clicks = np.bincount(rows, minlength=n) > 0
    week_days = 7 * np.arange(first_week, last_week + 1)
    if clickstream == "sequence":
        out = np.log1p(counts)
        names = list(types)
    else:
        out = np.hstack([np.log1p(counts.reshape(n, -1)), np.log1p(counts.sum(axis=1))])
        names = [f"week{w}_{a}" for w in range(first_week, last_week + 1) for a in types]
        names += [f"total_{a}" for a in types]
    out[~has_clicks] = np.nan
    return out, names, week_days
