"""Time and memory of the knowledge-tracing task builder at one million responses.

Synthesises a long-format log (default: 1,000,000 responses of 20,000 students to 5,000
items tagged with 100 skills; 10% of the items carry 2-3 skills, so about 10% of the
responses are written as multi-skill duplicate rows), then measures
``build_next_step_features`` on it:

* wall time of a plain run (best of ``--repeats``);
* peak memory traced by ``tracemalloc`` during a second run (NumPy and pandas buffers
  included), and the process's peak resident set size (``ru_maxrss``, which also counts
  the interpreter, the imports and the synthetic log itself).

It also times ``load_assistments2009`` on the real file when ``--data-dir`` holds
``knowledge_tracing/assist2009_pid_long.csv.gz``. Results are printed and written to
``benchmarks/results/knowledge_tracing_scale.md``.

Usage::

    python benchmarks/knowledge_tracing_scale.py [--n-responses 1000000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn_dsrsd.datasets._knowledge_tracing import (  # noqa: E402
    build_next_step_features,
    load_assistments2009,
)

MIB = 2**20


def synthesise(n_responses, n_students, n_items, n_skills, multi_frac, seed=0):
    """A long-format log: one row per (response, skill), duplicates on consecutive steps."""
    rng = np.random.default_rng(seed)
    # skills per item: 1 for most items, 2-3 for a fraction ``multi_frac``
    n_item_skills = np.ones(n_items, dtype=np.int64)
    multi = rng.random(n_items) < multi_frac
    n_item_skills[multi] = rng.integers(2, 4, multi.sum())
    item_ptr = np.concatenate(([0], np.cumsum(n_item_skills)))
    item_skill = np.concatenate(
        [rng.choice(n_skills, size=k, replace=False) for k in n_item_skills]
    )
    # responses: students in blocks, items uniform, correctness from a simple model
    student = np.sort(rng.integers(0, n_students, n_responses))
    item = rng.integers(0, n_items, n_responses)
    ability = rng.normal(0.6, 1.0, n_students)
    difficulty = rng.normal(0.0, 1.0, n_items)
    p = 1.0 / (1.0 + np.exp(-(ability[student] - difficulty[item])))
    correct = (rng.random(n_responses) < p).astype(np.int64)
    # explode to one row per skill, consecutive steps within the student
    reps = n_item_skills[item]
    row_resp = np.repeat(np.arange(n_responses), reps)
    offset = np.arange(len(row_resp)) - np.repeat(np.cumsum(reps) - reps, reps)
    skill = item_skill[item_ptr[item[row_resp]] + offset]
    stu = student[row_resp]
    first_of_student = np.r_[True, stu[1:] != stu[:-1]]
    pos = np.arange(len(stu))
    step = pos - np.maximum.accumulate(np.where(first_of_student, pos, 0))
    return pd.DataFrame(
        {
            "orig_user_id": stu + 100_000,
            "step": step,
            "problem_idx": item[row_resp],
            "skill_idx": skill,
            "correct": correct[row_resp],
        }
    )


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpu = "no GPU used (CPU-only code)"
    return (
        f"{platform.system()} {platform.release()}, {platform.machine()}, {cpu}, "
        f"{os.cpu_count()} logical CPUs; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, pandas {pd.__version__}; {gpu}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-responses", type=int, default=1_000_000)
    parser.add_argument("--n-students", type=int, default=20_000)
    parser.add_argument("--n-items", type=int, default=5_000)
    parser.add_argument("--n-skills", type=int, default=100)
    parser.add_argument("--multi-frac", type=float, default=0.10)
    parser.add_argument("--n-recent", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "knowledge_tracing_scale.md"
    )
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    log = synthesise(
        args.n_responses, args.n_students, args.n_items, args.n_skills, args.multi_frac
    )
    t_synth = time.perf_counter() - t0
    log_mib = log.memory_usage(deep=True).sum() / MIB
    print(f"synthetic log: {len(log):,} rows ({log_mib:.0f} MiB) in {t_synth:.1f} s")

    def maxrss_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    # First build in this process: its peak RSS is the process's high-water mark.
    rss_before = maxrss_mib()
    gc.collect()
    t0 = time.perf_counter()
    task = build_next_step_features(log, n_recent=args.n_recent)
    times = [time.perf_counter() - t0]
    rss_after = maxrss_mib()
    n_samples = len(task.target)
    out_mib = sum(v.nbytes for v in task.data.values()) / MIB
    n_multi = int((task.responses["n_skills"] > 1).sum())
    del task
    gc.collect()
    print(f"peak RSS before the build {rss_before:.0f} MiB, after it {rss_after:.0f} MiB")

    tracemalloc.start()
    task = build_next_step_features(log, n_recent=args.n_recent)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del task
    gc.collect()
    print(f"tracemalloc peak during build: {traced_peak / MIB:.0f} MiB")

    for _ in range(args.repeats - 1):
        gc.collect()
        t0 = time.perf_counter()
        task = build_next_step_features(log, n_recent=args.n_recent)
        times.append(time.perf_counter() - t0)
        del task
    print(f"build_next_step_features: {n_samples:,} responses, times {times}")

    real = None
    path = args.data_dir / "knowledge_tracing" / "assist2009_pid_long.csv.gz"
    if path.is_file():
        real_times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            ds = load_assistments2009(path, n_recent=args.n_recent)
            real_times.append(time.perf_counter() - t0)
        n_students = len(np.unique(ds.groups))
        removed = ds.n_log_rows - len(ds.target)
        real = dict(
            times=real_times,
            rows=ds.n_log_rows,
            responses=len(ds.target),
            students=n_students,
            removed=removed,
            frac_after_first=removed / (ds.n_log_rows - n_students),
            mean_correct=float(ds.target.mean()),
        )
        print(f"load_assistments2009: {real}")
    else:
        print(f"real file not found, skipped: {path}")

    lines = [
        "# Knowledge tracing: builder scale benchmark",
        "",
        f"Machine: {machine()}.",
        "",
        f"Command: `python benchmarks/knowledge_tracing_scale.py "
        f"--n-responses {args.n_responses} --n-students {args.n_students} "
        f"--n-items {args.n_items} --n-skills {args.n_skills} "
        f"--multi-frac {args.multi_frac} --n-recent {args.n_recent}`",
        "",
        "## Synthetic log",
        "",
        f"- {args.n_responses:,} responses of {args.n_students:,} students, "
        f"{args.n_items:,} items, {args.n_skills} skills; {args.multi_frac:.0%} of the items "
        f"carry 2-3 skills, so {n_multi:,} responses ({n_multi / n_samples:.1%}) are written as "
        f"multi-skill duplicate rows: {len(log):,} log rows ({log_mib:.0f} MiB).",
        f"- Output: {n_samples:,} samples; blocks history (15 float32), recent "
        f"({4 * args.n_recent} float32), content (3 int64): {out_mib:.0f} MiB.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| `build_next_step_features` wall time (best of {args.repeats}) | {min(times):.2f} s |",
        f"| all runs | {', '.join(f'{t:.2f} s' for t in times)} |",
        f"| peak traced allocation during one build (tracemalloc; includes the output) | "
        f"{traced_peak / MIB:.0f} MiB |",
        f"| process peak RSS before the first build (interpreter, imports, log) | "
        f"{rss_before:.0f} MiB |",
        f"| process peak RSS after the first build | {rss_after:.0f} MiB |",
        "",
        "Targets: under 60 s and under 2 GB for one million responses.",
        "",
    ]
    if real is not None:
        lines += [
            "## Real file: ASSISTments 2009 (AKT preprocessing)",
            "",
            f"- `load_assistments2009` (read CSV.gz + collapse + features), wall time: "
            f"{', '.join(f'{t:.2f} s' for t in real['times'])}.",
            f"- {real['rows']:,} rows -> {real['responses']:,} responses of "
            f"{real['students']:,} students: {real['removed']:,} duplicate rows removed = "
            f"{real['frac_after_first']:.2%} of the rows after each student's first "
            "(README: 15.9%).",
            f"- Mean correctness after collapsing: {real['mean_correct']:.4f}.",
            "",
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
