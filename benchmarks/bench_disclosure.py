"""Benchmark: cost of disclosure control against building the plain table.

For each case, ``protect_table`` (sensitivity rules + hypercube complements +
exact recovery audit) and the baseline, a plain ``pivot_table`` sum of the
same micro-data, run interleaved; the table shows median and min-max time
and the ratio of medians. Run: ``.venv/bin/python benchmarks/bench_disclosure.py``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from evalkit.methods.disclosure import protect_table

REPEATS = 15
DATA = Path(__file__).resolve().parents[1] / "data" / "vestre_toten"


def synthetic(n_rows: int, n_cols: int, n_firms: int, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "org_number": (900000000 + rng.integers(0, n_firms, n)).astype(str),
            "sector": [f"S{i:02d}" for i in rng.integers(0, n_rows, n)],
            "type": [f"T{j:02d}" for j in rng.integers(0, n_cols, n)],
            "v": rng.gamma(1.0, 10.0, n).round(1),
        }
    )


def shipped_jobs() -> pd.DataFrame | None:
    if not (DATA / "jobs.csv").exists():
        return None
    projects = pd.read_csv(DATA / "projects.csv", dtype={"org_number": str, "project_id": str})
    jobs = pd.read_csv(DATA / "jobs.csv", dtype={"org_number": str, "project_id": str})
    micro = jobs.merge(projects[["project_id", "sector", "type"]], on="project_id")
    micro["v"] = micro["new_fte"] + micro["secured_fte"]
    return micro


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    cases = {"synthetic 15x8, 3000 rows": synthetic(15, 8, 400, 3000),
             "synthetic 30x12, 2000 rows": synthetic(30, 12, 300, 2000),
             "synthetic 20x10, 400 rows (sparse)": synthetic(20, 10, 150, 400)}
    jobs = shipped_jobs()
    if jobs is not None:
        cases = {"Vestre Toten jobs sector x type": jobs, **cases}
    load_start = os.getloadavg()
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}")
    print(f"{'case':38} {'method':14} {'median ms':>10} {'min-max ms':>17} {'ratio':>7} {'hidden':>7}")
    with threadpool_limits(limits=1):
        for name, micro in cases.items():
            def protected() -> object:
                return protect_table(micro, rows="sector", columns="type", value="v")

            def baseline() -> object:
                return micro.pivot_table(index="sector", columns="type", values="v", aggfunc="sum", margins=True)

            protected()
            baseline()  # warm-up
            times: dict[str, list[float]] = {"protect_table": [], "pivot_table": []}
            for _ in range(REPEATS):  # interleaved, so drifts in load hit both alike
                times["protect_table"].append(timed(protected))
                times["pivot_table"].append(timed(baseline))
            hidden = protected().n_suppressed
            base = statistics.median(times["pivot_table"])
            for method, ts in times.items():
                med = statistics.median(ts)
                print(
                    f"{name:38} {method:14} {med * 1e3:10.1f} "
                    f"{min(ts) * 1e3:8.1f}-{max(ts) * 1e3:<8.1f} {med / base:7.1f} "
                    f"{hidden if method == 'protect_table' else '':>7}"
                )
    load_end = os.getloadavg()
    print(f"load average at end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")


if __name__ == "__main__":
    main()
