"""Benchmark: evalkit's staggered DiD vs diff-diff's CallawaySantAnna, measured in the same run.

A synthetic balanced panel shaped like a regional programme portfolio: 357 units
(municipalities) x 22 years, 21 treated units in 6 cohorts, the rest never treated.
Both estimators get the same settings: never-treated comparison units, doubly
robust, varying base period, 999 Rademacher multiplier-bootstrap draws, propensity
scores capped as R did does (diff-diff ``pscore_trim=1e-6``; its default 0.01 clips the
small cohorts' scores and changes the estimates), and the
simple, event-study and cohort aggregations (diff-diff's ``aggregate="all"``).
Two cases: no covariates, and one time-invariant covariate.

A and B are interleaved in each repeat; the median and min-max of each, and the
ratio diff-diff / evalkit of the medians, are printed with the load average at
start and end. The largest differences in ATT(g,t), the simple ATT and the
analytic standard errors are printed too (bootstrap draws differ by library).
BLAS is pinned to one thread.

Usage: .venv/bin/python benchmarks/bench_staggered.py [--repeats 15]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from evalkit.methods.counterfactual.staggered import staggered_did  # noqa: E402

N_UNITS, YEARS = 357, list(range(2005, 2027))
COHORTS = {2010: 3, 2012: 4, 2014: 3, 2016: 4, 2018: 4, 2020: 3}  # 21 treated units
DRAWS = 999


def make_panel(seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohort = np.zeros(N_UNITS, dtype=int)
    treated = rng.choice(N_UNITS, size=sum(COHORTS.values()), replace=False)
    start = 0
    for g, k in COHORTS.items():
        cohort[treated[start:start + k]] = g
        start += k
    size = rng.normal(8.0, 1.0, N_UNITS)  # log population, time-invariant
    alpha = rng.normal(0, 1, N_UNITS) + 0.3 * size
    years = np.array(YEARS)
    trend = 0.01 * (years - years[0])
    rows = []
    for i in range(N_UNITS):
        effect = np.where((cohort[i] > 0) & (years >= cohort[i]), -0.05 - 0.01 * (years - cohort[i]), 0.0)
        y = alpha[i] + trend * (1 + 0.1 * (size[i] - 8)) + effect + rng.normal(0, 0.05, len(years))
        rows.append(pd.DataFrame({"unit": i, "year": years, "y": y, "first_treat": cohort[i], "lpop": size[i]}))
    return pd.concat(rows, ignore_index=True)


def run_evalkit(panel: pd.DataFrame, covariates):
    r = staggered_did(
        panel, outcome="y", unit="unit", time="year", cohort="first_treat",
        covariates=covariates, method="dr", control="never_treated", bootstrap=DRAWS, seed=0,
    )
    return r, [r.aggregate(k) for k in ("simple", "dynamic", "group")]


def run_diff_diff(panel: pd.DataFrame, covariates):
    from diff_diff import CallawaySantAnna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CallawaySantAnna(
            control_group="never_treated", estimation_method="dr", n_bootstrap=DRAWS,
            bootstrap_weights="rademacher", seed=0, base_period="varying", pscore_trim=1e-6,
        ).fit(panel, outcome="y", unit="unit", time="year", first_treat="first_treat",
              covariates=covariates, aggregate="all")


def compare(panel: pd.DataFrame, covariates) -> dict[str, float]:
    ours, (simple, _, _) = run_evalkit(panel, covariates)
    ours_a = staggered_did(panel, outcome="y", unit="unit", time="year", cohort="first_treat",
                           covariates=covariates)
    from diff_diff import CallawaySantAnna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_a = CallawaySantAnna(control_group="never_treated", estimation_method="dr", pscore_trim=1e-6).fit(
            panel, outcome="y", unit="unit", time="year", first_treat="first_treat",
            covariates=covariates, aggregate="all")
    gt = theirs_a.group_time_effects
    a = ours_a.att_gt
    keys = [k for k in zip(a["cohort"], a["time"]) if k in gt]
    mine = a.set_index(["cohort", "time"]).loc[keys]
    return {
        "cells": len(a),
        "cells_compared": len(keys),
        "max_abs_diff_att_gt": float(np.max(np.abs(mine["att"].to_numpy() - [gt[k]["effect"] for k in keys]))),
        "max_rel_diff_se_gt": float(np.max(np.abs(mine["se"].to_numpy() / [gt[k]["se"] for k in keys] - 1))),
        "abs_diff_simple_att": abs(ours_a.aggregate("simple").att - theirs_a.overall_att),
        "rel_diff_simple_se": abs(ours_a.aggregate("simple").se / theirs_a.overall_se - 1),
        "simple_att": simple.att,
    }


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    panel = make_panel()
    print(f"panel: {panel['unit'].nunique()} units x {panel['year'].nunique()} years, "
          f"{(panel.groupby('unit')['first_treat'].first() > 0).sum()} treated in {len(COHORTS)} cohorts; "
          f"{DRAWS} bootstrap draws; load average at start {os.getloadavg()}")
    with threadpool_limits(1):
        for label, covs in (("no covariates", None), ("covariate lpop", ["lpop"])):
            print(f"\n== {label}")
            print("   agreement:", {k: (f"{v:.2e}" if isinstance(v, float) else v)
                                    for k, v in compare(panel, covs).items()})
            run_evalkit(panel, covs), run_diff_diff(panel, covs)  # warm-up (imports, caches)
            ek, dd = [], []
            for _ in range(args.repeats):
                ek.append(timed(lambda: run_evalkit(panel, covs)))
                dd.append(timed(lambda: run_diff_diff(panel, covs)))
            me, md = statistics.median(ek), statistics.median(dd)
            print(f"   evalkit   median {me * 1e3:8.1f} ms  (min {min(ek) * 1e3:.1f}, max {max(ek) * 1e3:.1f})")
            print(f"   diff-diff median {md * 1e3:8.1f} ms  (min {min(dd) * 1e3:.1f}, max {max(dd) * 1e3:.1f})")
            print(f"   ratio diff-diff / evalkit = {md / me:.1f}x")
    print(f"\nload average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
