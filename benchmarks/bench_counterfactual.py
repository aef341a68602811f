"""Benchmark: evalkit's synthetic control vs diff-diff's, measured in the same run.

Three cases (issue 4 targets):
  1. Prop 99 fit with ADH predictors (target <= 1 s, published weights);
  2. Prop 99 full in-space placebo, 39 units (target <= 30 s);
  3. outcome-only synthetic control with full placebo over the SSB population
     panel (all municipalities with 2005-2026 data, index 2009 = 100; target <= 10 s).

A and B are interleaved, each repeat; median and min-max are printed with the
ratio diff-diff / evalkit and the weights' largest difference (equal weights
required). BLAS is pinned to one thread. diff-diff's placebo is slow (~400 s on
Prop 99), so cases 2-3 run it once, and only with --full.

Usage: .venv/bin/python benchmarks/bench_counterfactual.py [--repeats 3] [--full]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from evalkit import outcome_index, synthetic_control
from evalkit.ssb import read_population_panel

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "tests" / "data" / "validation"
PREDICTORS = [
    ("lnincome", range(1980, 1989)),
    ("age15to24", range(1980, 1989)),
    ("retprice", range(1980, 1989)),
    ("beer", range(1984, 1989)),
    ("cigsale", 1975),
    ("cigsale", 1980),
    ("cigsale", 1988),
]


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _dd_prop99(smoking: pd.DataFrame):
    from diff_diff import SyntheticControl

    data = smoking.assign(treat=((smoking["state"] == "California") & (smoking["year"] >= 1989)).astype(int))
    est = SyntheticControl(n_starts=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(
            data, "cigsale", "treat", "state", "year",
            treated_unit="California",
            predictors=["lnincome", "age15to24", "retprice"],
            predictor_window=list(range(1980, 1989)),
            special_predictors=[("beer", list(range(1984, 1989)), "mean"),
                                ("cigsale", [1975], "mean"), ("cigsale", [1980], "mean"),
                                ("cigsale", [1988], "mean")],
        )


def _dd_outcome_only(panel: pd.DataFrame):
    from diff_diff import SyntheticControl

    data = panel.assign(
        treat=((panel["municipality_code"] == "3443") & (panel["year"] >= 2010)).astype(int)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SyntheticControl(seed=0).fit(
            data, "pop_index", "treat", "municipality_code", "year", treated_unit="3443"
        )


def _summary(times: list[float]) -> str:
    return f"{statistics.median(times):8.2f} s [{min(times):.2f}-{max(times):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time diff-diff's placebos (slow)")
    args = parser.parse_args()
    load_start = os.getloadavg()
    smoking = pd.read_csv(VALIDATION / "prop99_smoking.csv")
    panel = read_population_panel()
    counts = panel.groupby("municipality_code")["pop"].count()
    panel = panel[panel["municipality_code"].isin(counts[counts == counts.max()].index)]
    panel = outcome_index(panel, unit="municipality_code", time="year", outcome="pop", base=2009)
    rows = []
    with threadpool_limits(1):
        # 1. Prop 99 fit with predictors, interleaved.
        ek_t, dd_t = [], []
        ek_res = dd_res = None
        for _ in range(args.repeats):
            t, ek_res = _timed(lambda: synthetic_control(
                smoking, unit="state", time="year", outcome="cigsale", treated="California",
                treatment_start=1989, predictors=PREDICTORS))
            ek_t.append(t)
            t, dd_res = _timed(lambda: _dd_prop99(smoking))
            dd_t.append(t)
        dd_w = pd.Series(dd_res.donor_weights).reindex(ek_res.weights.index).fillna(0.0)
        rows.append(("Prop 99 fit, predictors", ek_t, dd_t,
                     float((dd_w - ek_res.weights).abs().max()),
                     f"pre-RMSPE ek {ek_res.pre_rmspe:.3f} / dd {dd_res.pre_rmspe:.3f}"))
        # 2. Prop 99 in-space placebo.
        ek_t, dd_t = [], []
        for _ in range(max(1, args.repeats - 1)):
            t, placebo = _timed(ek_res.placebo)
            ek_t.append(t)
        note = f"ek rank {placebo.rank}/39, p {placebo.p_value:.3f}"
        if args.full:
            t, _ = _timed(dd_res.in_space_placebo)
            dd_t.append(t)
            note += f"; dd p {dd_res.placebo_p_value:.3f}"
        rows.append(("Prop 99 placebo (39 fits)", ek_t, dd_t, float("nan"), note))
        # 3. Outcome-only with full placebo over the municipalities.
        ek_t, dd_t = [], []
        n_units = panel["municipality_code"].nunique()
        for _ in range(args.repeats):
            def run():
                res = synthetic_control(panel, unit="municipality_code", time="year",
                                        outcome="pop_index", treated="3443", treatment_start=2010)
                return res, res.placebo()
            t, (vt, vt_placebo) = _timed(run)
            ek_t.append(t)
        t, dd_vt = _timed(lambda: _dd_outcome_only(panel))
        fit_only_dd = t
        dd_w = pd.Series(dd_vt.donor_weights).reindex(vt.weights.index).fillna(0.0)
        note = f"{n_units} units; dd single fit {fit_only_dd:.2f} s; pre-RMSPE ek {vt.pre_rmspe:.2e} / dd {dd_vt.pre_rmspe:.2e}"
        if args.full:
            t, _ = _timed(lambda: (_dd_outcome_only(panel).in_space_placebo()))
            dd_t.append(t)
        rows.append((f"outcome-only + placebo ({n_units})", ek_t, dd_t,
                     float((dd_w - vt.weights).abs().max()), note))
    load_end = os.getloadavg()
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f}, at end {load_end[0]:.2f} {load_end[1]:.2f}")
    print(f"{'case':34s} {'evalkit median [min-max]':>28s} {'diff-diff median [min-max]':>28s} {'ratio dd/ek':>11s} {'max |dw|':>9s}")
    for name, ek_t, dd_t, dw, note in rows:
        dd = _summary(dd_t) if dd_t else "   (run with --full)"
        ratio = f"{statistics.median(dd_t) / statistics.median(ek_t):11.1f}" if dd_t else "          -"
        print(f"{name:34s} {_summary(ek_t):>28s} {dd:>28s} {ratio} {dw:9.4f}")
        print(f"    {note}")


if __name__ == "__main__":
    main()
