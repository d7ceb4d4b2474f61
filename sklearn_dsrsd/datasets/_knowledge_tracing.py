"""Knowledge tracing: next-response correctness from a student's earlier responses.

This module turns an interaction log (one row per student response) into a multimodal
supervised task that scikit-learn can cross-validate by student:

* :func:`collapse_multiskill_duplicates` removes the ASSISTments multi-skill duplicate
  rows (a response to a problem tagged with several skills is repeated once per skill on
  consecutive rows, always with the same answer; predicting such a row from the row before
  it is a label leak);
* :func:`build_next_step_features` builds, for every response, features computed *only*
  from that student's earlier responses, in three modalities (``"history"``,
  ``"recent"``, ``"content"``), and optionally a fourth of per-skill counts
  (``"skills"``);
* :func:`load_assistments2009` reads the ASSISTments 2009-2010 skill-builder file in the
  format of the AKT paper and returns the task with its published 5-fold student split.

The ``"content"`` ids are raw identities; target-encode them inside a pipeline with
:class:`sklearn_dsrsd.preprocessing.ContentTargetEncoder`.

Everything is vectorised with NumPy (sorting, cumulative sums, run-length tricks): one
million responses take a few seconds and well under 2 GB of memory, plus, with
``skill_profile``, the ``12 * n_skills`` bytes per response of the ``"skills"`` block.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from .._modality_dict import ModalityDict

__all__ = [
    "build_next_step_features",
    "collapse_multiskill_duplicates",
    "load_assistments2009",
]

#: Names of the ``"history"`` features, in column order.
HISTORY_FEATURES: tuple[str, ...] = (
    "attempts",
    "successes",
    "success_rate",
    "correct_streak",
    "incorrect_streak",
    "skill_attempts_mean",
    "skill_attempts_min",
    "skill_successes_mean",
    "skill_successes_min",
    "skill_rate_mean",
    "skill_rate_min",
    "skill_gap_min",
    "skill_new_frac",
    "item_attempts",
    "item_successes",
)

#: Per-lag fields of the ``"recent"`` block; columns are lag-major
#: (``correct_lag1, padding_lag1, shares_skill_lag1, same_item_lag1, correct_lag2, ...``).
RECENT_FIELDS: tuple[str, ...] = ("correct", "padding", "shares_skill", "same_item")

#: Names of the ``"content"`` features, in column order.
CONTENT_FEATURES: tuple[str, ...] = ("item", "skill", "skill_set")

#: Features that need an item column, left out of the task of a log without one.
ITEM_FEATURES: frozenset[str] = frozenset({"item_attempts", "item_successes", "same_item", "item"})

#: Features that need a skill column, left out of the task of a log without one.
SKILL_FEATURES: frozenset[str] = frozenset(
    {name for name in HISTORY_FEATURES if name.startswith("skill_")}
    | {"shares_skill", "skill", "skill_set"}
)

#: Per-skill fields of the optional ``"skills"`` block; columns are field-major
#: (``log_attempts_skill_<s>`` for every skill ``s``, then ``log_successes_skill_<s>``,
#: then ``current_skill_<s>``).
SKILL_PROFILE_FIELDS: tuple[str, ...] = ("log_attempts", "log_successes", "current")

#: Cells (responses x skills) whose counts the ``"skills"`` block computes at a time.
_PROFILE_CHUNK_CELLS = 2**22

#: Value of ``correct_lag{k}`` when the student has fewer than ``k`` earlier responses.
RECENT_PADDING_VALUE = 0.5

_SEQUENCE_TYPES = (list, tuple, set, frozenset, np.ndarray)


# --------------------------------------------------------------------------------------
# Log preparation: validation, sorting, duplicate collapsing
# --------------------------------------------------------------------------------------


@dataclass
class _Responses:
    """A log reduced to responses, sorted by (student, order).

    ``entry_*`` arrays describe (response, skill) pairs sorted by response and, within a
    response, by skill code; ``ptr`` holds the offsets of each response's pairs.
    """

    row: np.ndarray  # position in the input log of each response's first row
    student_code: np.ndarray
    item_code: np.ndarray
    correct: np.ndarray  # int8 0/1
    ptr: np.ndarray  # (n_responses + 1,) offsets into the entry arrays
    entry_skill_code: np.ndarray
    entry_skill_id: np.ndarray  # skill ids used for the content block
    item_id: np.ndarray  # item ids used for the content block
    n_log_rows: int
    # skills of each response in order of appearance (for the collapsed DataFrame)
    appearance_ptr: np.ndarray
    long_row: np.ndarray  # log row of every sorted long entry
    long_skill: np.ndarray  # raw skill value of every sorted long entry
    skill_values: np.ndarray  # raw skill value of each skill code

    @property
    def n_responses(self) -> int:
        return len(self.row)

    @property
    def n_skills(self) -> np.ndarray:
        return np.diff(self.ptr)


def _source(name: str | None) -> str:
    return f"{name}: " if name else ""


def _show(value: Any) -> str:
    """repr of a value, NumPy scalars shown as Python ones."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_log(log: Any, columns: Mapping[str, str], source: str | None = None) -> None:
    if not hasattr(log, "columns") or not hasattr(log, "iloc"):
        raise TypeError(
            f"{_source(source)}log must be a pandas DataFrame with one row per response; "
            f"got {type(log).__name__}."
        )
    available = [str(c) for c in log.columns]
    missing = [(role, col) for role, col in columns.items() if col not in log.columns]
    if missing:
        detail = ", ".join(f"{col!r} (the {role} column)" for role, col in missing)
        raise ValueError(
            f"{_source(source)}missing column(s) {detail}; available columns: {available}."
        )
    for role, col in columns.items():
        if log[col].isna().any():
            n_bad = int(log[col].isna().sum())
            raise ValueError(
                f"{_source(source)}column {col!r} (the {role} column) has {n_bad} missing "
                "value(s); every response needs a value in each of the log's named columns."
            )


def _id_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (for grouping) and ids (for the content block) of raw identifiers.

    Non-negative integer identifiers are kept as they are (codes are their ranks);
    anything else is replaced by its rank among the sorted distinct values.
    """
    import pandas as pd

    codes, _ = pd.factorize(values, sort=True)
    codes = codes.astype(np.int64, copy=False)
    if values.dtype.kind in "iub" and (values.size == 0 or values.min() >= 0):
        return codes, values.astype(np.int64, copy=False)
    return codes, codes


def _order_key(values: np.ndarray, column: str, source: str | None) -> np.ndarray:
    """Sortable values of the ``order`` column: numbers or times, never text.

    A CSV file's timestamps and numbers read as text; sorted as text, "9:05" would come
    after "10:30" (and "9" after "10"), and responses would see later ones as earlier.
    """
    if values.dtype.kind in "iufbmM":
        return values
    import warnings

    import pandas as pd

    try:
        return pd.to_numeric(values).astype(np.float64, copy=False)
    except (TypeError, ValueError):
        pass
    try:
        with warnings.catch_warnings():
            # "Could not infer format": each value is then parsed on its own, as wanted.
            warnings.simplefilter("ignore", UserWarning)
            times = pd.to_datetime(values, utc=True)
    except (TypeError, ValueError, OverflowError) as exc:
        examples = [_show(value) for value in values[:3]]
        raise ValueError(
            f"{_source(source)}column {column!r} (the order column) must hold numbers or "
            f"timestamps that order each student's responses; found values such as "
            f"{', '.join(examples)} ({exc})."
        ) from None
    return np.asarray(times.tz_localize(None), dtype="datetime64[ns]")


def _correct_values(values: np.ndarray, column: str, source: str | None) -> np.ndarray:
    if values.dtype.kind == "b":
        return values.astype(np.int8)
    if values.dtype.kind in "iuf":
        ok = (values == 0) | (values == 1)
        if ok.all():
            return values.astype(np.int8)
        bad = np.unique(values[~ok])[:5].tolist()
    else:
        bad = np.unique(values.astype(str))[:5].tolist()
    raise ValueError(
        f"{_source(source)}column {column!r} must hold 0/1 (or boolean) correctness; "
        f"found other values such as {bad}."
    )


def _prepare(
    log: Any,
    *,
    student: str,
    order: str,
    item: str | None,
    skill: str | None,
    correct: str,
    collapse_duplicates: bool,
    source: str | None = None,
) -> _Responses:
    """Sort, validate and collapse a log; ``item`` or ``skill`` may be None (not both).

    A log without items gets one item per row, and one without skills one skill shared by
    every row: either way no two rows form a multi-skill duplicate run (that takes the
    same item and distinct skills), and the item or skill features computed from these
    stand-ins are dropped by the caller.
    """
    import pandas as pd

    columns = {
        "student": student,
        "order": order,
        "item": item,
        "skill": skill,
        "correct": correct,
    }
    _check_log(log, {role: c for role, c in columns.items() if c is not None}, source)
    n_rows = len(log)
    if n_rows == 0:
        raise ValueError(f"{_source(source)}the log has no rows.")

    skill_col = log[skill] if skill is not None else None
    sequence_skills = False
    if skill_col is not None and skill_col.dtype == object:
        is_seq = skill_col.map(lambda v: isinstance(v, _SEQUENCE_TYPES)).to_numpy(bool)
        if is_seq.any():
            if not is_seq.all():
                raise ValueError(
                    f"{_source(source)}column {skill!r} mixes skill sequences and single "
                    "skills; give either one skill per row or a sequence of skills per row."
                )
            sequence_skills = True

    if sequence_skills:
        lengths = skill_col.map(len).to_numpy(np.int64)
        if (lengths == 0).any():
            raise ValueError(
                f"{_source(source)}column {skill!r} has empty skill sequences; every "
                "response needs at least one skill."
            )
        long_row = np.repeat(np.arange(n_rows), lengths)
        flat = skill_col.explode().to_numpy()
        if pd.isna(flat).any():
            raise ValueError(f"{_source(source)}column {skill!r} has missing skills.")
        flat = pd.Series(list(flat)).infer_objects().to_numpy()
    elif skill_col is not None:
        long_row = None
        flat = skill_col.to_numpy()
    else:
        long_row = None
        flat = np.zeros(n_rows, dtype=np.int64)

    student_code_rows = pd.factorize(log[student].to_numpy(), sort=True)[0]
    order_rows = _order_key(log[order].to_numpy(), order, source)
    if item is not None:
        item_code_rows, item_id_rows = _id_codes(log[item].to_numpy())
    else:
        item_code_rows = item_id_rows = np.arange(n_rows, dtype=np.int64)
    correct_rows = _correct_values(log[correct].to_numpy(), correct, source)
    skill_code, skill_id = _id_codes(flat)
    skill_values = np.empty(int(skill_code.max()) + 1, dtype=object)
    skill_values[skill_code] = flat

    # Sort entries (rows, or exploded (row, skill) pairs) by (student, order); np.lexsort
    # is stable, so ties keep their input order and the pairs of one row stay together.
    if long_row is None:
        perm = np.lexsort((order_rows, student_code_rows))
        long_row = perm
        skill_code_s = skill_code[perm]
        skill_id_s = skill_id[perm]
        flat_s = flat[perm]
    else:
        perm = np.lexsort((order_rows[long_row], student_code_rows[long_row]))
        long_row = long_row[perm]
        skill_code_s = skill_code[perm]
        skill_id_s = skill_id[perm]
        flat_s = flat[perm]
    del perm
    stu = student_code_rows[long_row]
    itm = item_code_rows[long_row]
    cor = correct_rows[long_row]
    n = len(long_row)

    if sequence_skills:
        new = np.ones(n, dtype=bool)
        new[1:] = long_row[1:] != long_row[:-1]
    elif collapse_duplicates:
        new = _split_runs(stu, itm, skill_code_s)
    else:
        new = np.ones(n, dtype=bool)

    first = np.flatnonzero(new)
    n_resp = len(first)
    ptr = np.append(first, n).astype(np.int64)
    resp_of_entry = np.cumsum(new) - 1

    # Whether a row joins the response before it must not depend on its answer: if it
    # did, a later row's answer would change an earlier response, and a row left apart
    # would reveal that its answer differs from the one before it. (Only collapsed runs
    # can differ: the entries of a row share its answer.)
    differs = np.flatnonzero(cor != cor[first[resp_of_entry]])
    if differs.size:
        row, first_row = long_row[differs[0]], long_row[first[resp_of_entry[differs[0]]]]
        raise ValueError(
            f"{_source(source)}rows {_show(log.index[first_row])} and "
            f"{_show(log.index[row])} of the log (student "
            f"{_show(log[student].iloc[row])}) answer item "
            f"{_show(log[item].iloc[row])} one after the other with distinct skills, "
            "the form of one multi-skill response, but with different correctness "
            f"({differs.size} such row(s)). One response has one answer: correct the "
            "log, or pass collapse_duplicates=False to keep every row as a response."
        )

    # Two responses of one student at the same order position are ambiguous.
    ok = order_rows[long_row[first]]
    same_student = stu[first][1:] == stu[first][:-1]
    tie = same_student & (ok[1:] == ok[:-1])
    if tie.any():
        j = int(np.flatnonzero(tie)[0])
        r0, r1 = long_row[first[j]], long_row[first[j + 1]]
        items = (
            f", items {_show(log[item].iloc[r0])} and {_show(log[item].iloc[r1])}"
            if item is not None
            else ""
        )
        raise ValueError(
            f"{_source(source)}two responses of student {_show(log[student].iloc[r0])} "
            f"share the value {_show(log[order].iloc[r0])} of the order column {order!r} "
            f"(log rows {r0} and {r1}{items}); the order must rank each student's "
            "responses strictly."
        )

    # Entries sorted by (response, skill code), without repeated skills in a response.
    ent = np.lexsort((skill_code_s, resp_of_entry))
    e_resp = resp_of_entry[ent]
    e_code = skill_code_s[ent]
    keep = np.ones(n, dtype=bool)
    keep[1:] = (e_resp[1:] != e_resp[:-1]) | (e_code[1:] != e_code[:-1])
    if not keep.all():
        ent = ent[keep]
        e_resp = e_resp[keep]
        e_code = e_code[keep]
        counts = np.bincount(e_resp, minlength=n_resp)
        ptr_sorted = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    else:
        ptr_sorted = ptr

    return _Responses(
        row=long_row[first],
        student_code=stu[first],
        item_code=itm[first],
        correct=cor[first],
        ptr=ptr_sorted,
        entry_skill_code=e_code,
        entry_skill_id=skill_id_s[ent],
        item_id=item_id_rows[long_row[first]],
        n_log_rows=n_rows,
        appearance_ptr=ptr,
        long_row=long_row,
        long_skill=flat_s,
        skill_values=skill_values,
    )


def _split_runs(stu: np.ndarray, itm: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Flag the sorted rows that start a new response.

    A row continues the response of the row before it when both belong to the same
    student and the same item, and the row's skill is not already among the skills of
    that response (a repeated skill means the student answered the item again).
    """
    n = len(stu)
    ar = np.arange(n)
    cand = np.zeros(n, dtype=bool)
    cand[1:] = (stu[1:] == stu[:-1]) & (itm[1:] == itm[:-1])
    run_first = np.maximum.accumulate(np.where(cand, 0, ar))
    pos = ar - run_first
    new = ~cand
    sub_first = ar.copy()  # first row of the response each row belongs to
    rows_by_pos = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[rows_by_pos], np.arange(pos.max() + 2))
    for k in range(1, int(pos.max()) + 1):
        rows = rows_by_pos[bounds[k] : bounds[k + 1]]
        start = sub_first[rows - 1]
        repeated = np.zeros(len(rows), dtype=bool)
        j = 1
        active = np.flatnonzero(rows - j >= start)
        while active.size:
            r = rows[active]
            repeated[active] |= skill[r - j] == skill[r]
            j += 1
            active = active[r - j >= start[active]]
        new[rows] = repeated
        sub_first[rows] = np.where(repeated, rows, start)
    return new


# --------------------------------------------------------------------------------------
# Public: collapsing
# --------------------------------------------------------------------------------------


def collapse_multiskill_duplicates(
    log: Any,
    *,
    student: str = "orig_user_id",
    order: str = "step",
    item: str = "problem_idx",
    skill: str = "skill_idx",
    correct: str = "correct",
    join: Sequence[str] = (),
) -> Any:
    """Collapse runs of multi-skill duplicate rows into one response each.

    In ASSISTments-style logs a response to an item tagged with several skills is
    written once per skill, on consecutive rows, with the same answer. Left in place,
    the second row of such a run is "predicted" from the first one, which holds its
    label: a leak. This function sorts the log by ``(student, order)`` and merges each
    run of such duplicates into one row.

    Rows ``i`` and ``i + 1`` (adjacent after sorting) belong to the same response when
    they have the same student and the same item, and the skill of row ``i + 1`` is not
    yet among the skills of the response (a repeated skill means the student answered
    the item again, which starts a new response). The rows of one response must have the
    same correctness: a ValueError names the first that does not. (Were rows with
    different answers kept apart, a later row's answer would decide whether an earlier
    row is merged, and a row kept apart would reveal that its answer differs from the
    previous one.)

    Parameters
    ----------
    log : pandas.DataFrame
        One row per (response, skill).
    student, order, item, skill, correct : str
        Column names. ``order`` ranks each student's rows (a step, a timestamp);
        ``correct`` holds 0/1 or booleans. The defaults are the column names of the
        ASSISTments 2009 file of the AKT paper.
    join : sequence of str, default=()
        Further columns that vary with the skill (e.g. ``"skill_name"``); they are
        collected into tuples like ``skill``.

    Returns
    -------
    collapsed : pandas.DataFrame
        One row per response, sorted by ``(student, order)``, with the columns of
        ``log``. ``skill`` (and every column in ``join``) holds a ``tuple`` of the
        response's skills in order of appearance (a 1-tuple for a single-skill
        response); every other column takes the value of the run's first row, and the
        index is the index label of that row.

    See Also
    --------
    build_next_step_features : Features for next-response prediction; collapses
        duplicates itself unless ``collapse_duplicates=False``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_dsrsd.datasets import collapse_multiskill_duplicates
    >>> log = pd.DataFrame({
    ...     "orig_user_id": [1, 1, 1, 1],
    ...     "step": [0, 1, 2, 3],
    ...     "problem_idx": [10, 10, 11, 10],
    ...     "skill_idx": [3, 4, 3, 3],
    ...     "correct": [0, 0, 1, 1],
    ... })
    >>> out = collapse_multiskill_duplicates(log)
    >>> out[["step", "problem_idx", "skill_idx", "correct"]].to_numpy().tolist()
    [[0, 10, (3, 4), 0], [2, 11, (3,), 1], [3, 10, (3,), 1]]
    """
    join = [c for c in join if c != skill]
    missing = [c for c in join if c not in log.columns]
    if missing:
        raise ValueError(
            f"join column(s) {missing} not in the log; available columns: "
            f"{[str(c) for c in log.columns]}."
        )
    resp = _prepare(
        log,
        student=student,
        order=order,
        item=item,
        skill=skill,
        correct=correct,
        collapse_duplicates=True,
    )
    out = log.iloc[resp.row].copy()
    bounds = resp.appearance_ptr.tolist()
    spans = list(zip(bounds[:-1], bounds[1:], strict=True))

    def tuples(values: list) -> list:
        return [tuple(values[a:b]) for a, b in spans]

    out[skill] = tuples(resp.long_skill.tolist())
    for col in join:
        values = log[col].to_numpy()[resp.long_row]
        out[col] = tuples(values.tolist())
    return out


# --------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------


def _group_running(
    key_a: np.ndarray, key_b: np.ndarray, values: np.ndarray, index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running statistics within groups of time-ordered rows.

    Rows must be in time order. Returns, per row, the number of earlier rows of its
    group ``(key_a, key_b)``, the sum of their ``values``, and the ``index`` of the
    latest one (-1 when there is none).
    """
    perm = np.lexsort((key_b, key_a))  # stable: time order kept inside each group
    a = key_a[perm]
    b = key_b[perm]
    n = len(perm)
    ar = np.arange(n)
    new = np.ones(n, dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    del a, b
    start = np.maximum.accumulate(np.where(new, ar, 0))
    count = ar - start
    v = values[perm].astype(np.int64)
    cum = np.cumsum(v) - v
    total = cum - cum[start]
    idx = index[perm]
    prev = np.empty(n, dtype=np.int64)
    prev[0] = -1
    prev[1:] = idx[:-1]
    prev[new] = -1
    out_count = np.empty(n, dtype=np.int64)
    out_total = np.empty(n, dtype=np.int64)
    out_prev = np.empty(n, dtype=np.int64)
    out_count[perm] = count
    out_total[perm] = total
    out_prev[perm] = prev
    return out_count, out_total, out_prev


def _mix64(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection of uint64 with good avalanche)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _skill_set_codes(resp: _Responses) -> np.ndarray:
    """Skill id for single-skill responses; a negative hash of the sorted ids otherwise."""
    ptr = resp.ptr
    n_sk = np.diff(ptr)
    ids = resp.entry_skill_id
    out = ids[ptr[:-1]].copy()
    multi = np.flatnonzero(n_sk > 1)
    if multi.size:
        h = np.zeros(multi.size, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(int(n_sk.max())):
                has = n_sk[multi] > j
                pos = ptr[multi[has]] + j
                h[has] = _mix64(h[has] * np.uint64(1_000_003) + ids[pos].astype(np.uint64))
        out[multi] = -1 - (h >> np.uint64(1)).astype(np.int64)
    return out


def _student_starts(student_code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each response is its student's first, and the position of that first one."""
    new_stu = np.ones(len(student_code), dtype=bool)
    new_stu[1:] = student_code[1:] != student_code[:-1]
    return new_stu, np.maximum.accumulate(np.where(new_stu, np.arange(len(student_code)), 0))


def _features(resp: _Responses, n_recent: int) -> dict[str, np.ndarray]:
    n = resp.n_responses
    ar = np.arange(n, dtype=np.int64)
    stu = resp.student_code
    c = resp.correct.astype(np.int64)

    # Overall counts before each response.
    new_stu, stu_start = _student_starts(stu)
    attempts = ar - stu_start
    cum = np.cumsum(c) - c
    successes = cum - cum[stu_start]
    del cum

    # Streaks: length of the run of equal correctness ending at the previous response.
    run_new = new_stu.copy()
    run_new[1:] |= c[1:] != c[:-1]
    run_len = ar - np.maximum.accumulate(np.where(run_new, ar, 0)) + 1
    prev_len = np.zeros(n, dtype=np.int64)
    prev_len[1:] = run_len[:-1]
    prev_len[new_stu] = 0
    prev_c = np.zeros(n, dtype=np.int64)
    prev_c[1:] = c[:-1]
    correct_streak = np.where(prev_c == 1, prev_len, 0)
    incorrect_streak = np.where(prev_c == 0, prev_len, 0)
    del run_new, run_len, prev_len, prev_c

    # Same item before.
    item_attempts, item_successes, _ = _group_running(stu, resp.item_code, c, ar)

    # Per (response, skill) pair: earlier responses of the student with that skill.
    ptr = resp.ptr
    starts = ptr[:-1]
    n_sk = np.diff(ptr)
    e_resp = np.repeat(ar, n_sk)
    e_code = resp.entry_skill_code
    e_att, e_succ, e_prev = _group_running(stu[e_resp], e_code, c[e_resp], e_resp)
    e_rate = (e_succ + 1.0) / (e_att + 2.0)
    e_gap = np.where(e_prev >= 0, e_resp - e_prev, attempts[e_resp] + 1)
    del e_prev

    def mean(x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(x, starts) / n_sk

    def minimum(x: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(x, starts)

    history = np.empty((n, len(HISTORY_FEATURES)), dtype=np.float32)
    columns = [
        attempts,
        successes,
        (successes + 1.0) / (attempts + 2.0),
        correct_streak,
        incorrect_streak,
        mean(e_att.astype(np.float64)),
        minimum(e_att),
        mean(e_succ.astype(np.float64)),
        minimum(e_succ),
        mean(e_rate),
        minimum(e_rate),
        minimum(e_gap),
        mean((e_att == 0).astype(np.float64)),
        item_attempts,
        item_successes,
    ]
    for j, col in enumerate(columns):
        history[:, j] = col
    del columns, e_att, e_succ, e_rate, e_gap, item_successes

    # Recent window, lag-major: (correct, padding, shares_skill, same_item) per lag.
    recent = np.zeros((n, n_recent, len(RECENT_FIELDS)), dtype=np.float32)
    n_codes = int(e_code.max()) + 1 if e_code.size else 1
    keys = e_resp * n_codes + e_code  # sorted: entries are sorted by (response, skill)
    e_attempts = attempts[e_resp]
    item = resp.item_code
    for k in range(1, n_recent + 1):
        valid = attempts >= k
        prev = np.where(valid, ar - k, 0)
        recent[:, k - 1, 0] = np.where(valid, c[prev], RECENT_PADDING_VALUE)
        recent[:, k - 1, 1] = ~valid
        query = keys - k * n_codes
        pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        hit = (keys[pos] == query) & (e_attempts >= k)
        recent[:, k - 1, 2] = np.maximum.reduceat(hit.view(np.uint8), starts)
        recent[:, k - 1, 3] = valid & (item[prev] == item)
    del keys, e_attempts

    content = np.empty((n, len(CONTENT_FEATURES)), dtype=np.int64)
    content[:, 0] = resp.item_id
    content[:, 1] = resp.entry_skill_id[starts]  # smallest skill id of the response
    content[:, 2] = _skill_set_codes(resp)

    return {
        "history": history,
        "recent": recent.reshape(n, n_recent * len(RECENT_FIELDS)),
        "content": content,
    }


def _profile_skills(skill_profile: Any, resp: _Responses) -> np.ndarray:
    """The skills that get columns: the log's, or those the caller listed."""
    if isinstance(skill_profile, (bool, np.bool_)):
        return resp.skill_values
    listed = list(skill_profile)  # a list, tuple, 1-D array, Series or Index
    if not listed:
        raise ValueError("skill_profile must be a bool or a non-empty list of skills; got [].")
    for value in listed:
        # A skill is one id, as a log cell holds it; booleans would match the ids 0 and 1.
        if (
            not isinstance(value, (str, int, float, np.integer, np.floating, np.str_))
            or isinstance(value, (bool, np.bool_))
            or value != value  # NaN: a log's skill is never missing
        ):
            raise ValueError(
                "skill_profile must be a bool or a list of skills, each an id (a number or "
                f"a text); it holds {value!r}."
            )
    seen: set = set()
    repeated = [value for value in listed if value in seen or seen.add(value)]
    if repeated:
        raise ValueError(f"skill_profile lists the skill(s) {repeated[:5]} more than once.")
    skills = np.empty(len(listed), dtype=object)
    skills[:] = listed
    if not seen & set(resp.skill_values.tolist()):
        # Most likely ids of another type (the text "3" is not the number 3): every column
        # would be 0 without a word.
        warnings.warn(
            f"none of the {len(skills)} skills that skill_profile lists (e.g. "
            f"{listed[:3]}) occurs in the log, whose skills are e.g. "
            f"{resp.skill_values[:3].tolist()}: every column of 'skills' is 0.",
            UserWarning,
            stacklevel=4,
        )
    return skills


def _skill_profile(resp: _Responses, skills: np.ndarray) -> np.ndarray:
    """The ``"skills"`` block: per skill, the student's earlier attempts and successes.

    ``log1p`` of the counts, as the "Best-LR" model of Gervet et al. (2020) reads them for
    the current response's skills; every skill's counts are given here, and the
    ``current`` indicators let a network weigh a skill's counts by whether the response
    involves that skill. Skills of the log that ``skills`` does not list are not counted.
    """
    n, n_columns = resp.n_responses, len(skills)
    column_of = {value: j for j, value in enumerate(skills.tolist())}
    entry_column = np.array(
        [column_of.get(value, -1) for value in resp.skill_values.tolist()], dtype=np.int64
    )[resp.entry_skill_code]
    listed = entry_column >= 0
    ar = np.arange(n)
    current = np.zeros((n, n_columns), dtype=np.uint8)
    current[np.repeat(ar, resp.n_skills)[listed], entry_column[listed]] = 1
    _, stu_start = _student_starts(resp.student_code)
    correct = resp.correct.astype(bool)
    profile = np.empty((n, len(SKILL_PROFILE_FIELDS) * n_columns), dtype=np.float32)
    # A few columns at a time, so that the int64 counts add little to the block's memory.
    step = max(1, _PROFILE_CHUNK_CELLS // max(n, 1))
    for first in range(0, n_columns, step):
        block = slice(first, min(first + step, n_columns))
        for j, counted in enumerate((current[:, block], current[:, block] & correct[:, None])):
            before = np.cumsum(counted, axis=0, dtype=np.int64)
            before -= counted  # responses strictly before each one, over the whole log ...
            before -= before[stu_start]  # ... minus those of the students before
            columns = slice(j * n_columns + block.start, j * n_columns + block.stop)
            profile[:, columns] = np.log1p(before)  # rounded once, to float32
    profile[:, 2 * n_columns :] = current
    return profile


def _skill_profile_names(skills: np.ndarray) -> list[str]:
    # repr tells apart ids that print alike (the number 1 and the text "1")
    shown = [str(value) for value in skills.tolist()]
    if len(set(shown)) < len(shown):
        shown = [repr(value) for value in skills.tolist()]
    return [f"{field}_skill_{value}" for field in SKILL_PROFILE_FIELDS for value in shown]


def _kept(names: Sequence[str], has_item: bool, has_skill: bool) -> list[int]:
    """Positions of the names that the log's columns can give a meaning to."""
    return [
        j
        for j, name in enumerate(names)
        if (has_item or name not in ITEM_FEATURES) and (has_skill or name not in SKILL_FEATURES)
    ]


def _select(
    blocks: dict[str, np.ndarray], n_recent: int, has_item: bool, has_skill: bool
) -> dict[str, np.ndarray]:
    """Drop the item or skill features that a log without that column cannot give."""
    if has_item and has_skill:
        return blocks
    n = len(blocks["history"])
    fields = _kept(RECENT_FIELDS, has_item, has_skill)
    recent = blocks["recent"].reshape(n, n_recent, len(RECENT_FIELDS))[:, :, fields]
    return {
        "history": blocks["history"][:, _kept(HISTORY_FEATURES, has_item, has_skill)],
        "recent": recent.reshape(n, n_recent * len(fields)),
        "content": blocks["content"][:, _kept(CONTENT_FEATURES, has_item, has_skill)],
    }


def _feature_names(
    n_recent: int, has_item: bool = True, has_skill: bool = True
) -> dict[str, list[str]]:
    def kept(names: Sequence[str]) -> list[str]:
        return [names[j] for j in _kept(names, has_item, has_skill)]

    return {
        "history": kept(HISTORY_FEATURES),
        "recent": [f"{f}_lag{k}" for k in range(1, n_recent + 1) for f in kept(RECENT_FIELDS)],
        "content": kept(CONTENT_FEATURES),
    }


def _check_n_recent(n_recent: Any) -> int:
    if isinstance(n_recent, bool) or not isinstance(n_recent, (int, np.integer)):
        raise TypeError(f"n_recent must be an int >= 1; got {n_recent!r}.")
    if n_recent < 1:
        raise ValueError(f"n_recent must be an int >= 1; got {n_recent}.")
    return int(n_recent)


def _build(
    log: Any,
    *,
    student: str,
    order: str,
    item: str | None,
    skill: str | None,
    correct: str,
    n_recent: int,
    collapse_duplicates: bool,
    sequence: bool = False,
    skill_profile: bool | Sequence[Any] = False,
    source: str | None = None,
) -> Bunch:
    import pandas as pd

    if item is None and skill is None:
        raise ValueError(
            "build_next_step_features needs an item column or a skill column (or both); "
            "got item=None and skill=None."
        )
    if isinstance(skill_profile, np.ndarray) and skill_profile.ndim == 0:
        skill_profile = skill_profile.item()
    if isinstance(skill_profile, (str, bytes, Mapping)) or not isinstance(
        skill_profile, (bool, np.bool_, Iterable)
    ):
        raise TypeError(
            "skill_profile must be a bool or a list of skills; got "
            f"{type(skill_profile).__name__} {skill_profile!r:.60}."
        )
    profiled = not isinstance(skill_profile, (bool, np.bool_)) or bool(skill_profile)
    if profiled and skill is None:
        raise ValueError(
            "skill_profile counts each skill's earlier responses and needs a skill "
            "column; got skill=None."
        )
    n_recent = _check_n_recent(n_recent)
    resp = _prepare(
        log,
        student=student,
        order=order,
        item=item,
        skill=skill,
        correct=correct,
        collapse_duplicates=collapse_duplicates,
        source=source,
    )
    has_item, has_skill = item is not None, skill is not None
    blocks = _select(_features(resp, n_recent), n_recent, has_item, has_skill)
    if sequence:
        # lag-major columns: the reshape is the (sample, lag, field) view, most recent first
        blocks["recent"] = blocks["recent"].reshape(len(resp.row), n_recent, -1)
    feature_names = _feature_names(n_recent, has_item, has_skill)
    extra = {}
    if profiled:
        skills = _profile_skills(skill_profile, resp)
        blocks["skills"] = _skill_profile(resp, skills)
        feature_names["skills"] = _skill_profile_names(skills)
        extra["profile_skills"] = skills
    rows = resp.row
    columns = {
        "student": log[student].to_numpy()[rows],
        "order": log[order].to_numpy()[rows],
    }
    if has_item:
        columns["item"] = log[item].to_numpy()[rows]
    if has_skill:
        columns["n_skills"] = resp.n_skills
    columns["correct"] = resp.correct.astype(np.int64)
    columns["log_row"] = rows
    responses = pd.DataFrame(columns, index=log.index[rows])
    return Bunch(
        data=ModalityDict(blocks),
        target=resp.correct.astype(np.int64),
        groups=responses["student"].to_numpy(),
        feature_names=feature_names,
        responses=responses,
        n_log_rows=resp.n_log_rows,
        **extra,
    )


def build_next_step_features(
    log: Any,
    *,
    student: str = "orig_user_id",
    order: str = "step",
    item: str | None = "problem_idx",
    skill: str | None = "skill_idx",
    correct: str = "correct",
    n_recent: int = 10,
    sequence: bool = False,
    skill_profile: bool | Sequence[Any] = False,
    collapse_duplicates: bool = True,
    return_X_y: bool = False,
) -> Bunch | tuple[ModalityDict, np.ndarray, np.ndarray]:
    """Build a next-response correctness task from an interaction log.

    Each response (after collapsing multi-skill duplicates) becomes one sample whose
    features are computed **only from the same student's earlier responses** (strictly
    before it in ``order``); its target is its own correctness. Changing or removing a
    student's later responses never changes the features of an earlier one, so the
    samples can be split by student (``groups``) for cross-validation.

    Modalities of ``data`` for a log with both items and skills (``n_recent=10`` gives
    15 + 40 + 3 = 58 columns; see below for a log with only one of them):

    ``"history"`` -- float32, 15 columns, all counts over the student's earlier
    responses:

    - ``attempts``, ``successes``: earlier responses and how many were correct;
    - ``success_rate``: ``(successes + 1) / (attempts + 2)`` (a Beta(1, 1) prior);
    - ``correct_streak``, ``incorrect_streak``: length of the run of correct
      (incorrect) responses that ends just before this one (one of them is 0);
    - ``skill_attempts_{mean,min}``, ``skill_successes_{mean,min}``,
      ``skill_rate_{mean,min}``: for each skill of the current response, earlier
      responses involving that skill, their successes and ``(s + 1) / (a + 2)``;
      aggregated over the response's skills by mean and min (equal for one skill);
    - ``skill_gap_min``: responses since the latest earlier response sharing a skill
      with this one (1 = the previous response); ``attempts + 1`` when none did;
    - ``skill_new_frac``: fraction of the response's skills never seen before;
    - ``item_attempts``, ``item_successes``: earlier responses to this same item and
      how many were correct.

    ``"recent"`` -- float32, ``4 * n_recent`` columns, the ``n_recent`` latest earlier
    responses, most recent first, lag-major (``correct_lag1, padding_lag1,
    shares_skill_lag1, same_item_lag1, correct_lag2, ...``), so that
    ``X["recent"].reshape(n, n_recent, 4)`` is a (sample, time, field) sequence:
    correctness (0.5 for padding), a padding indicator (1 where the student has fewer
    than ``k`` earlier responses), whether that response shares a skill with the
    current one, and whether it was the same item (0 on padding).

    ``"content"`` -- int64, 3 columns, identities of the current response: ``item``
    (the item id), ``skill`` (its smallest skill id) and ``skill_set`` (the skill id
    for a single-skill response; a deterministic negative hash of the sorted skill ids
    for a multi-skill one). Non-negative integer ids are kept as they are; other ids are
    replaced by their rank among the sorted distinct values of ``log``. These are raw
    identities, not labels: they carry no information about any response's correctness.
    Encode them (e.g. with :class:`sklearn_dsrsd.preprocessing.ContentTargetEncoder`)
    *inside* a pipeline, so the encoding is fitted on the training folds only; encoding
    them here, on all rows, would leak test targets.

    ``"skills"`` -- only with ``skill_profile=True``: float32, ``3 * n_skills`` columns
    (``n_skills`` = the distinct skills of ``log``), field-major:
    ``log_attempts_skill_<s>`` and ``log_successes_skill_<s>`` are ``log1p`` of the
    student's earlier responses involving skill ``s`` and of how many of them were
    correct, for *every* skill ``s`` (not only the current response's), and
    ``current_skill_<s>`` is 1 where the current response involves ``s``. The "Best-LR"
    logistic regression of Gervet et al. (2020) reads the same ``log1p`` counts, each skill
    in a column of its own, for the current response's skills only; here every skill's
    counts are given, with the current skills as indicators, so that a model can learn a
    practice effect per skill and transfer between skills, which the aggregated
    ``skill_*`` history columns cannot express. The block holds
    ``n_samples * 3 * n_skills`` float32 values (building it takes about a tenth more),
    so a log with thousands of skills makes it large.

    Logs with items only or skills only (``skill=None`` or ``item=None``): the features
    that need the missing column are left out, and ``feature_names`` lists what is kept.

    - ``skill=None`` (e.g. STATICS-style logs) drops the 8 ``skill_*`` history columns,
      the ``shares_skill`` field of ``"recent"`` and the ``skill`` and ``skill_set``
      content columns: 7 + 3 * ``n_recent`` + 1 columns;
    - ``item=None`` (e.g. ASSISTments 2015-style logs) drops ``item_attempts``,
      ``item_successes``, the ``same_item`` field and the ``item`` content column:
      13 + 3 * ``n_recent`` + 2 columns.

    Multi-skill duplicates are recognised by their shared item and distinct skills, so
    a log without either column has nothing collapsed: every row (every row of the
    ``skill`` sequences form) is one response.

    Parameters
    ----------
    log : pandas.DataFrame
        One row per response, or, in ASSISTments-style long format, one row per
        (response, skill). The ``skill`` column may also hold a sequence of skills per
        row (e.g. the output of :func:`collapse_multiskill_duplicates`); each row is
        then one response and nothing is collapsed.
    student, order, correct : str
        Column names. ``order`` ranks each student's responses (a step or a
        timestamp; text, as read from a CSV file, is parsed as numbers or else as
        timestamps, never sorted as text) and must be strict per student after
        collapsing; ``correct`` holds
        0/1 or booleans. The defaults are the ASSISTments 2009 column names of the AKT
        paper's file.
    item, skill : str or None, defaults="problem_idx", "skill_idx"
        Item (problem) and skill (knowledge component) columns. ``None`` means the log
        has no such column; at most one of them may be ``None``.
    n_recent : int, default=10
        Length of the ``"recent"`` window.
    sequence : bool, default=False
        Return ``"recent"`` as a 3-D sequence modality ``(n_samples, n_recent,
        n_fields)``, most recent response first, for a temporal encoder (e.g.
        ``DSRSDClassifier(temporal_encoder="gru")``), instead of flat columns.
    skill_profile : bool or list of skills, default=False
        Add the ``"skills"`` modality (per-skill counts of the student's earlier
        responses, see above). Needs a skill column. ``True`` gives a column per skill
        of ``log``; a list (or a tuple, 1-D array, Series or Index) gives columns for
        exactly those skills, in that order (skills of ``log`` that it leaves out are not
        counted; a list that matches none of them warns). Pass the ``profile_skills`` of
        the task a model was fitted on to build the same columns from another log.
    collapse_duplicates : bool, default=True
        Merge runs of consecutive rows of one student with the same item and distinct
        skills into one response; they must have the same answer (see
        :func:`collapse_multiskill_duplicates`). ``False`` keeps every row as a response,
        which reproduces the label leak of the raw ASSISTments files.
    return_X_y : bool, default=False
        Return ``(data, target, groups)`` instead of a Bunch.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With ``data`` (:class:`~sklearn_dsrsd.ModalityDict` of the three blocks, four
        with ``skill_profile=True``),
        ``target`` (int64 0/1 correctness), ``groups`` (student id of each sample, for
        ``GroupKFold``), ``feature_names`` (modality -> list of column names),
        ``responses`` (a DataFrame, one row per sample: ``student``, ``order``,
        ``item`` (unless ``item=None``), ``n_skills`` (unless ``skill=None``),
        ``correct`` and ``log_row``, the position in ``log`` of the response's first
        row; its index holds that row's label), ``n_log_rows`` and, with
        ``skill_profile``, ``profile_skills`` (the skill of each column group of
        ``"skills"``, an object array). Samples are sorted by ``(student, order)``.
    (data, target, groups) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        If a named column is missing from ``log`` (the message lists the available
        columns), if both ``item`` and ``skill`` are ``None``, if ``skill_profile`` is
        set with ``skill=None``, is an empty list, lists a skill twice or holds an entry
        that is not one id (a list, NaN, a boolean), or if the values are invalid
        (missing values, non-0/1 correctness, ties in ``order``).
    TypeError
        If ``skill_profile`` is neither a bool nor a list (a text, a number, a dict).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_dsrsd.datasets import build_next_step_features
    >>> log = pd.DataFrame({
    ...     "orig_user_id": [7, 7, 7, 7],
    ...     "step": [0, 1, 2, 3],
    ...     "problem_idx": [10, 10, 11, 12],
    ...     "skill_idx": [1, 2, 1, 2],
    ...     "correct": [1, 1, 0, 1],
    ... })
    >>> task = build_next_step_features(log, n_recent=2)
    >>> task.data["history"].shape, task.data["recent"].shape, task.data["content"].shape
    ((3, 15), (3, 8), (3, 3))
    >>> # attempts, successes and success_rate of the 3 responses (rows 0-1 are one)
    >>> task.data["history"][:, :3].astype(float).round(3).tolist()
    [[0.0, 0.0, 0.5], [1.0, 1.0, 0.667], [2.0, 1.0, 0.5]]
    >>> task.target.tolist(), task.groups.tolist()
    ([1, 0, 1], [7, 7, 7])
    >>> # a log with items only: the skill features are left out
    >>> items_only = build_next_step_features(log.drop(columns="skill_idx"), skill=None,
    ...                                       n_recent=2)
    >>> items_only.feature_names["content"], items_only.data["history"].shape
    (['item'], (4, 7))
    >>> # per-skill counts: before the third response, skill 1 was seen twice, once right
    >>> profiled = build_next_step_features(log, n_recent=2, skill_profile=True)
    >>> profiled.feature_names["skills"][:2]
    ['log_attempts_skill_1', 'log_attempts_skill_2']
    >>> np.expm1(profiled.data["skills"][2, :4]).round(3).tolist()
    [2.0, 1.0, 1.0, 1.0]
    """
    task = _build(
        log,
        student=student,
        order=order,
        item=item,
        skill=skill,
        correct=correct,
        n_recent=n_recent,
        sequence=sequence,
        skill_profile=skill_profile,
        collapse_duplicates=collapse_duplicates,
    )
    if return_X_y:
        return task.data, task.target, task.groups
    return task


# --------------------------------------------------------------------------------------
# ASSISTments 2009 loader
# --------------------------------------------------------------------------------------

_ASSIST2009_COLUMNS = {
    "fold": "akt_fold",
    "student": "orig_user_id",
    "order": "step",
    "item": "problem_idx",
    "skill": "skill_idx",
    "correct": "correct",
}

ASSISTMENTS2009_DESCR = """\
ASSISTments 2009-2010 skill builder: next-response correctness
---------------------------------------------------------------

One sample per student response to a problem of the ASSISTments online tutor; the
target is whether the response was correct (1) or not (0). Features are computed only
from the same student's earlier responses (modalities "history", "recent" and
"content"; see build_next_step_features).

The file is the preprocessed version of the AKT paper (325,637 rows, 4,151 students,
16,891 problems, 110 skills, mean correctness 0.6585), with its published student
split: ``folds`` holds the test fold (1-5) of the student of each sample, 0 for the
few students that are only ever in training.

Multi-skill duplicates: in the file a response to a problem tagged with several skills
is repeated once per skill on consecutive rows with the same answer (15.9% of the rows
after each student's first). Predicting such a row from the row before it is a label
leak; by default they are collapsed into one response carrying several skills, which is
the protocol of Table 6 of the AKT paper (published AUC there: DKT 0.7616, AKT-R
0.7866).

Protocol: train on the students of four folds, test on those of the fifth, and report
the AUC over the fold's test responses, each predicted only from that student's
earlier responses; the comparison harness reports the mean of the five folds' AUCs.

References
----------
Feng, M., Heffernan, N. T., & Koedinger, K. R. (2009). Addressing the assessment
challenge with an online system that tutors as it assesses. User Modeling and
User-Adapted Interaction, 19(3), 243-266.

Ghosh, A., Heffernan, N., & Lan, A. S. (2020). Context-aware attentive knowledge
tracing. Proceedings of the 26th ACM SIGKDD International Conference on Knowledge
Discovery & Data Mining (KDD 2020), 2330-2339.

Research use with citation of the ASSISTments data (Feng et al. 2009).
"""


def load_assistments2009(
    path: str | os.PathLike,
    *,
    n_recent: int = 10,
    sequence: bool = False,
    skill_profile: bool | Sequence[Any] = False,
    collapse_duplicates: bool = True,
    return_X_y: bool = False,
) -> Bunch | tuple[ModalityDict, np.ndarray, np.ndarray]:
    """Load the ASSISTments 2009-2010 next-response task with the AKT 5-fold split.

    Reads the long-format file of the AKT paper (``assist2009_pid_long.csv.gz``:
    columns ``akt_fold, seq_idx, orig_user_id, step, problem_idx, orig_problem_id,
    skill_idx, skill_name, correct``; ``seq_idx``, ``orig_problem_id`` and
    ``skill_name`` are optional), collapses the multi-skill duplicate rows and builds
    the features of :func:`build_next_step_features` (student ``orig_user_id``, order
    ``step``, item ``problem_idx``, skill ``skill_idx``).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file (plain or compressed as pandas infers from the suffix).
    n_recent : int, default=10
        Length of the ``"recent"`` window.
    sequence : bool, default=False
        Return ``"recent"`` as a 3-D sequence modality ``(n_samples, n_recent,
        n_fields)``, most recent response first, for a temporal encoder (e.g.
        ``DSRSDClassifier(temporal_encoder="gru")``), instead of flat columns.
    skill_profile : bool or list of skills, default=False
        Add the ``"skills"`` modality of :func:`build_next_step_features`: per skill
        (110 of them), ``log1p`` of the student's earlier attempts and successes, and
        whether the current response involves it (330 columns). A list of skill ids
        gives columns for those skills only.
    collapse_duplicates : bool, default=True
        Collapse the multi-skill duplicates (the AKT Table 6 protocol). ``False`` keeps
        them and reproduces the label leak; use it only to measure that leak.
    return_X_y : bool, default=False
        Return ``(data, target, groups)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data`` (ModalityDict with ``"history"``, ``"recent"``, ``"content"``, and
        ``"skills"`` with ``skill_profile=True``),
        ``target`` (int64 0/1), ``groups`` (student id ``orig_user_id``), ``folds``
        (int64 ``akt_fold`` of each sample: 1-5 = the test fold of its student, 0 = a
        student only ever in training), ``feature_names`` (modality -> column names),
        ``responses`` (one row per sample, see :func:`build_next_step_features`, plus
        ``akt_fold``), ``skill_names`` (skill id -> name, when the file has
        ``skill_name``), ``n_log_rows``, ``DESCR`` and, with ``skill_profile``,
        ``profile_skills``.
    (data, target, groups) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If a required column is missing (the message names the file, the column and
        the available columns).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import PredefinedSplit
    >>> from sklearn_dsrsd.datasets import load_assistments2009
    >>> ds = load_assistments2009("assist2009_pid_long.csv.gz")  # doctest: +SKIP
    >>> ds.data["history"].shape  # doctest: +SKIP
    (274590, 15)
    >>> # the published split: test fold k = students with folds == k; 0 = always train
    >>> cv = PredefinedSplit(np.where(ds.folds == 0, -1, ds.folds - 1))  # doctest: +SKIP
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"ASSISTments 2009 file not found: {str(path)!r} (expected the long-format "
            "assist2009_pid_long.csv.gz of the AKT paper)."
        )
    header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
    missing = [c for c in _ASSIST2009_COLUMNS.values() if c not in header]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing} required for the ASSISTments 2009 "
            f"loader; available columns: {header}."
        )
    usecols = list(_ASSIST2009_COLUMNS.values())
    has_names = "skill_name" in header
    if has_names:
        usecols.append("skill_name")
    dtypes = {c: np.int64 for c in _ASSIST2009_COLUMNS.values()}
    try:
        log = pd.read_csv(path, usecols=usecols, dtype=dtypes)
    except ValueError as exc:
        raise ValueError(f"{path}: could not read the columns {usecols}: {exc}") from exc

    task = _build(
        log,
        n_recent=n_recent,
        sequence=sequence,
        skill_profile=skill_profile,
        collapse_duplicates=collapse_duplicates,
        source=str(path),
        **{k: v for k, v in _ASSIST2009_COLUMNS.items() if k != "fold"},
    )
    folds = log["akt_fold"].to_numpy(np.int64)[task.responses["log_row"].to_numpy()]
    task.responses["akt_fold"] = folds
    if return_X_y:
        return task.data, task.target, task.groups
    skill_names: dict[Any, str] = {}
    if has_names:
        pairs = log[["skill_idx", "skill_name"]].drop_duplicates("skill_idx")
        skill_names = dict(
            zip(pairs["skill_idx"].tolist(), pairs["skill_name"].tolist(), strict=True)
        )
    return Bunch(
        data=task.data,
        target=task.target,
        groups=task.groups,
        folds=folds,
        feature_names=task.feature_names,
        responses=task.responses,
        skill_names=skill_names,
        n_log_rows=task.n_log_rows,
        DESCR=ASSISTMENTS2009_DESCR,
        **({"profile_skills": task.profile_skills} if "profile_skills" in task else {}),
    )
