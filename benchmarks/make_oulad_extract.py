"""Regenerate the compact OULAD extract shipped in ``sklearn_dsrsd/datasets/data/oulad/``.

Usage (from the repository root)::

    python benchmarks/make_oulad_extract.py [--data-dir ../shared/data/oulad] [--out DIR]

The extract keeps, in the official format (every field quoted, CRLF line endings, missing values
as ``""``, gzip-compressed as ``name.csv.gz``), only the rows of the presentations listed in
``sklearn_dsrsd.datasets._oulad.EXTRACT_PRESENTATIONS``. Rows of the small files are copied
verbatim. ``studentVle`` is aggregated per (code_module, code_presentation, id_student, id_site,
date) with ``sum_click`` summed (the loader sums them anyway) and cut at the last complete day of
presentations whose click log is partial (``EXTRACT_CLICK_LAST_DAY``). The data are CC BY 4.0
(Kuzilek, Hlosta & Zdrahal 2017, doi:10.1038/sdata.2017.171); a README with the attribution and
the list of changes is written beside the files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
try:
    from sklearn_dsrsd.datasets import _oulad
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, str(ROOT))
    from sklearn_dsrsd.datasets import _oulad

FILES = (
    "courses",
    "studentInfo",
    "studentRegistration",
    "assessments",
    "studentAssessment",
    "vle",
    "studentVle",
)

README = """\
Compact extract of the Open University Learning Analytics Dataset (OULAD)

Source: Kuzilek J., Hlosta M., Zdrahal Z. "Open University Learning Analytics dataset",
Scientific Data 4:170171 (2017), doi:10.1038/sdata.2017.171.
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/

Changes made to the official release (by benchmarks/make_oulad_extract.py):
- only the presentations {presentations};
- studentVle aggregated per (code_module, code_presentation, id_student, id_site, date), with
  sum_click summed, and kept for {truncated};
- all files gzip-compressed; rows otherwise copied verbatim in the official format.
"""


def _find(data_dir: Path, name: str) -> Path:
    for suffix in (".csv", ".csv.gz"):
        path = data_dir / f"{name}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"{name}.csv (or {name}.csv.gz) not found in {data_dir}.")


def _write(df: pd.DataFrame, path: Path) -> None:
    text = df.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def _in_presentations(df: pd.DataFrame) -> pd.Series:
    pairs = pd.MultiIndex.from_frame(df[["code_module", "code_presentation"]])
    return pd.Series(pairs.isin(list(_oulad.EXTRACT_PRESENTATIONS)), index=df.index)


def make_extract(data_dir: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    tables = {}
    for name in FILES:
        # Strings, verbatim: empty fields stay "" and numbers keep their official spelling.
        tables[name] = pd.read_csv(
            _find(data_dir, name), dtype=str, keep_default_na=False, na_filter=False
        )
    for name in ("courses", "studentInfo", "studentRegistration", "assessments", "vle"):
        tables[name] = tables[name][_in_presentations(tables[name])]
    ids = set(tables["assessments"]["id_assessment"])
    sa = tables["studentAssessment"]
    tables["studentAssessment"] = sa[sa["id_assessment"].isin(ids)]

    clicks = tables["studentVle"]
    clicks = clicks[_in_presentations(clicks)].copy()
    for col in ("id_student", "id_site", "date", "sum_click"):
        clicks[col] = pd.to_numeric(clicks[col]).astype("int64")
    for (module, presentation), last in _oulad.EXTRACT_CLICK_LAST_DAY.items():
        late = (
            (clicks["code_module"] == module)
            & (clicks["code_presentation"] == presentation)
            & (clicks["date"] > last)
        )
        clicks = clicks[~late]
    keys = ["code_module", "code_presentation", "id_student", "id_site", "date"]
    clicks = clicks.groupby(keys, as_index=False, sort=False)["sum_click"].sum()
    # This order compresses best.
    order = ["code_module", "code_presentation", "id_student", "date", "id_site"]
    tables["studentVle"] = clicks.sort_values(order)[list(_oulad.OULAD_COLUMNS["studentVle"])]

    sizes = {}
    for name in FILES:
        path = out / f"{name}.csv.gz"
        _write(tables[name], path)
        sizes[path.name] = path.stat().st_size
    presentations = ", ".join(f"{m} {p}" for m, p in _oulad.EXTRACT_PRESENTATIONS)
    truncated = "; ".join(
        f"{m} {p} only up to day {d}" for (m, p), d in _oulad.EXTRACT_CLICK_LAST_DAY.items()
    )
    (out / "README.txt").write_text(
        README.format(presentations=presentations, truncated=truncated), encoding="utf-8"
    )
    return sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "oulad",
        help="folder with the official OULAD files (default: ../shared/data/oulad)",
    )
    parser.add_argument(
        "--out", type=Path, default=_oulad.EXTRACT_DIR, help="output folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    sizes = make_extract(args.data_dir, args.out)
    for name, size in sizes.items():
        print(f"{name:28s} {size / 1e6:7.3f} MB")
    print(f"{'total':28s} {sum(sizes.values()) / 1e6:7.3f} MB")


if __name__ == "__main__":
    main()
