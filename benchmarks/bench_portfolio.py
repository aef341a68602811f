"""Benchmark: the portfolio study's estimators on the shipped SSB panel and programme register.

A. Staggered DiD on the study's panel (the SSB 07459 municipalities with complete,
   exact series and no programme before 2008: 340 x 22 years, log population,
   cohorts from the register), evalkit's ``staggered_did`` against diff-diff's
   ``CallawaySantAnna`` with the same settings: never-treated comparison units,
   doubly robust, varying base period, 999 Rademacher multiplier-bootstrap draws,
   propensity scores capped as R did does (diff-diff ``pscore_trim=1e-6``: its
   default 0.01 clips the small cohorts' scores and changes the estimates), and the
   simple, event-study and cohort aggregations (diff-diff's ``aggregate="all"``).
   The two are interleaved in each repeat; printed are the largest differences in
   ATT(g,t), the simple ATT and the analytic standard errors (bootstrap draws differ
   by library), the median and min-max time of each and the ratio of the medians.
B. Pooled synthetic control with 999 permutations for the 20 programmes that start
   earliest among those the study uses (programme units: the summed population of
   their municipalities; donors: the never-treated municipalities), normalised as
   log differences. Its time, median and min-max, and the number of simplex fits.

BLAS is pinned to one thread; the load average is printed at the start and end.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/bench_portfolio.py [--repeats 5]
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

from evalkit.io.register import programme_register  # noqa: E402
from evalkit.io.ssb import read_population_panel  # noqa: E402
from evalkit.methods.counterfactual.pooled import pooled_synthetic_control  # noqa: E402
from evalkit.methods.counterfactual.portfolio_study import portfolio_study  # noqa: E402
from evalkit.methods.counterfactual.staggered import staggered_did  # noqa: E402

DRAWS = 999
PERMUTATIONS = 999
EARLIEST = 20


def study_panel():
    """The study's panel (log population, cohorts) and its programme units for the pooled synthetic control."""
    panel = read_population_panel()
    study = portfolio_study(panel, programme_register(), bootstrap=0, permutations=1, placebos=0)
    units = study.units
    frame = panel[panel["municipality_code"].isin(units.index)].copy()
    frame["first_treat"] = frame["municipality_code"].map(units["cohort"]).astype(int)
    frame["y"] = np.log(frame["pop"].astype(float))
    frame["unit"] = pd.factorize(frame["municipality_code"], sort=True)[0]  # diff-diff wants numeric ids
    used = study.programmes_used.sort_values(["first_year", "name"]).head(EARLIEST)
    donors = units.index[units["cohort"] == 0].tolist()
    blocks = [frame.loc[frame["municipality_code"].isin(donors), ["municipality_code", "year", "pop"]]]
    starts = {}
    for pid, codes, year in zip(used.index, used["analysed_codes"], used["first_year"]):
        total = frame[frame["municipality_code"].isin(codes)].groupby("year", as_index=False)["pop"].sum()
        total["municipality_code"] = pid
        blocks.append(total)
        starts[pid] = int(year)
    sc = pd.concat(blocks, ignore_index=True)
    sc["pop"] = sc["pop"].astype(float)
    return frame[["unit", "year", "y", "first_treat"]], sc, starts, donors


def run_evalkit(panel: pd.DataFrame):
    r = staggered_did(panel, outcome="y", unit="unit", time="year", cohort="first_treat", method="dr",
                      control="never_treated", base_period="varying", bootstrap=DRAWS, seed=0)
    return r, [r.aggregate(k) for k in ("simple", "dynamic", "group")]


def _cs(**kw):
    from diff_diff import CallawaySantAnna

    return CallawaySantAnna(control_group="never_treated", estimation_method="dr", base_period="varying",
                            pscore_trim=1e-6, **kw)


def run_diff_diff(panel: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _cs(n_bootstrap=DRAWS, bootstrap_weights="rademacher", seed=0).fit(
            panel, outcome="y", unit="unit", time="year", first_treat="first_treat", aggregate="all")


def agreement(panel: pd.DataFrame) -> dict[str, float]:
    ours = staggered_did(panel, outcome="y", unit="unit", time="year", cohort="first_treat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _cs().fit(panel, outcome="y", unit="unit", time="year", first_treat="first_treat", aggregate="all")
    gt = theirs.group_time_effects
    a = ours.att_gt
    keys = [k for k in zip(a["cohort"], a["time"]) if k in gt]
    mine = a.set_index(["cohort", "time"]).loc[keys]
    se_theirs = np.array([gt[k]["se"] for k in keys])
    ok = np.isfinite(mine["se"].to_numpy()) & np.isfinite(se_theirs) & (se_theirs > 0)
    return {
        "cells": len(a),
        "cells_compared": len(keys),
        "max_abs_diff_att_gt": float(np.max(np.abs(mine["att"].to_numpy() - [gt[k]["effect"] for k in keys]))),
        "max_rel_diff_se_gt": float(np.max(np.abs(mine["se"].to_numpy()[ok] / se_theirs[ok] - 1))),
        "simple_att_evalkit": ours.aggregate("simple").att,
        "simple_att_diff_diff": float(theirs.overall_att),
        "abs_diff_simple_att": abs(ours.aggregate("simple").att - theirs.overall_att),
        "rel_diff_simple_se": abs(ours.aggregate("simple").se / theirs.overall_se - 1),
    }


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def summary(label: str, times: list[float]) -> str:
    return (f"   {label:<28} median {statistics.median(times):8.3f} s  "
            f"(min {min(times):.3f}, max {max(times):.3f}, n = {len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start {os.getloadavg()}")
    panel, sc, starts, donors = study_panel()
    treated = int((panel.groupby("unit")["first_treat"].first() > 0).sum())
    print(f"A. panel: {panel['unit'].nunique()} municipalities x {panel['year'].nunique()} years, {treated} treated "
          f"in {panel.loc[panel['first_treat'] > 0, 'first_treat'].nunique()} cohorts; {DRAWS} bootstrap draws")
    with threadpool_limits(1):
        print("   agreement:", {k: (f"{v:.3e}" if isinstance(v, float) else v) for k, v in agreement(panel).items()})
        run_evalkit(panel), run_diff_diff(panel)  # warm-up (imports, caches)
        ek, dd = [], []
        for _ in range(args.repeats):
            ek.append(timed(lambda: run_evalkit(panel)))
            dd.append(timed(lambda: run_diff_diff(panel)))
        print(summary("evalkit staggered_did", ek))
        print(summary("diff-diff CallawaySantAnna", dd))
        print(f"   ratio diff-diff / evalkit = {statistics.median(dd) / statistics.median(ek):.1f}x")

        print(f"\nB. pooled synthetic control: {len(starts)} earliest programmes (starts "
              f"{min(starts.values())}-{max(starts.values())}), {len(donors)} donors, {PERMUTATIONS} permutations")

        def pooled():
            return pooled_synthetic_control(sc, unit="municipality_code", time="year", outcome="pop", starts=starts,
                                            donors=donors, normalise="log", permutations=PERMUTATIONS, seed=0)

        result = pooled()
        fits = len(starts) * (len(donors) + 1)
        times = [timed(pooled) for _ in range(args.repeats)]
        print(f"   att {result.att:.5f}, p-value {result.p_value:.3f}; {fits} simplex fits per run")
        print(summary("evalkit pooled_synthetic_control", times))
        print(f"   {fits / statistics.median(times):,.0f} fits per second")
    print(f"\nload average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
