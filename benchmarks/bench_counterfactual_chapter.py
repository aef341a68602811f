"""The final evaluation's whole counterfactual analysis against the fit + placebo it replaced, in one run.

A: ``ek.counterfactual_analysis`` for Vestre Toten as the notebook calls it (donors by structure, synthetic
control and in-space placebo, conformal interval, synthetic DiD with placebo standard error, DiD and event
study) plus ``robustness(...)`` (leave-one-out, donor-pool, pre-period and estimator variants).
B: what the chapter computed before: the synthetic control with ADH predictors on all 147 comparable
donors (5 000-40 000 inhabitants outside the region) and its placebo.
Both with ``n_jobs=2`` placebo processes, BLAS pinned to one thread, interleaved (A B B A ...), after one
warm-up each; median and min-max, the ratio B / A (goal: A no slower than B, ratio >= 1), load average.

    .venv/bin/python benchmarks/bench_counterfactual_chapter.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"

import evalkit as ek  # noqa: E402
from evalkit.methods.counterfactual.analysis import robustness  # noqa: E402
from evalkit.methods.counterfactual.design import AGE_GROUPS, comparable_donors, population_outcome  # noqa: E402

TREATED, START = "3443", 2010


def chapter_now(panel, hierarchy, register):
    analysis = ek.counterfactual_analysis(panel, hierarchy, treated=TREATED, period_start=START, register=register,
                                          placebo_jobs=2, sdid_seed=20100101)
    return analysis, robustness(analysis)


def chapter_before(panel, hierarchy):
    data = population_outcome(panel, first_year=2005, base_year=2009)
    donors = comparable_donors(data, hierarchy, treated=TREATED, base_year=2009, population_range=(5000, 40000))
    predictors = [(f"share_{g}", range(2005, 2010)) for g in AGE_GROUPS] + [("pop_index", 2005), ("pop_index", 2007)]
    sc = ek.synthetic_control(data, unit="municipality_code", time="year", outcome="pop_index", treated=TREATED,
                              treatment_start=START, donors=donors, predictors=predictors)
    return sc, sc.placebo(n_jobs=2), len(donors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    panel, hierarchy, register = ek.read_population_panel(), ek.ssb.read_municipality_hierarchy(), ek.programme_register()
    runs = {"chapter now": lambda: chapter_now(panel, hierarchy, register),
            "fit + placebo before": lambda: chapter_before(panel, hierarchy)}
    load = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in runs}
    out = {name: run() for name, run in runs.items()}  # warm-up
    for round_ in range(args.repeats):
        for name in (list(runs) if round_ % 2 == 0 else list(reversed(runs))):
            started = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - started)
    analysis, table = out["chapter now"]
    _, placebo, n_before = out["fit + placebo before"]
    for name, values in times.items():
        print(f"{name:<22} median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})")
    ratio = statistics.median(times["fit + placebo before"]) / statistics.median(times["chapter now"])
    print(f"ratio before / now: {ratio:.2f} (goal >= 1: the whole chapter no slower): {'met' if ratio >= 1 else 'NOT met'}")
    print(f"now: {len(analysis.donors)} donors, {len(table.to_frame())} robustness rows; before: {n_before} donors, "
          f"placebo p {placebo.p_value:.2f}")
    print(f"load average at start {load[0]:.2f}, at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
