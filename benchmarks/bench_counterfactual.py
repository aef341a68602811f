"""Benchmark: evalkit's synthetic control vs diff-diff's, measured in the same run.

Three cases:
  1. Prop 99 fit with ADH predictors (target <= 1 s, published weights);
  2. Prop 99 full in-space placebo, 39 units (target <= 30 s);
  3. outcome-only synthetic control with full placebo over the SSB population
     panel (all municipalities with 2005-2026 data, index 2009 = 100; target <= 10 s).
A fourth is the final evaluation notebook's counterfactual cell:
  4. Vestre Toten, predictors (three age shares 2005-2009, the index in 2005
     and 2007), donors of 5 000-40 000 inhabitants outside the region: fit and
     placebo, serial and with n_jobs=2 (ratio serial / 2 processes), and with
     --baseline COMMIT the same cell with synthetic_control.py as of COMMIT
     (ratio baseline / now), interleaved.

A and B are interleaved, each repeat; median and min-max are printed with the
ratio diff-diff / evalkit and the weights' largest difference (equal weights
required). BLAS is pinned to one thread. diff-diff's placebo is slow (~400 s on
Prop 99), so cases 2-3 run it once, and only with --full.

Usage: .venv/bin/python benchmarks/bench_counterfactual.py [--repeats 3] [--full] [--baseline COMMIT]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from evalkit import comparison_donors, outcome_index
from evalkit.methods.counterfactual.synthetic_control import synthetic_control
from evalkit.io.ssb import read_municipality_hierarchy, read_population_panel

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


def _vestre_toten_case(panel: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The final evaluation notebook's counterfactual cell, with its default parameters."""
    panel = panel.copy()
    for group in ("0_14", "20_66", "67_plus"):
        panel[f"share_{group}"] = panel[f"pop_{group}"] / panel["pop"]
    size = panel[panel["year"] == 2009].set_index("municipality_code")["pop"]
    donors = [d for d in comparison_donors(read_municipality_hierarchy(), treated="3443")
              if d in set(panel["municipality_code"]) and 5000 <= size.get(d, 0) <= 40000]
    predictors = [(f"share_{g}", range(2005, 2010)) for g in ("0_14", "20_66", "67_plus")]
    predictors += [("pop_index", 2005), ("pop_index", 2007)]
    kw = dict(unit="municipality_code", time="year", outcome="pop_index", treated="3443",
              treatment_start=2010, donors=donors, predictors=predictors)
    return panel, kw


def _module_at(commit: str):
    """synthetic_control.py as of ``commit``, imported under another name (the baseline)."""
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:src/evalkit/synthetic_control.py"],
                          check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_synthetic_control.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("baseline_synthetic_control", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _summary(times: list[float]) -> str:
    return f"{statistics.median(times):8.2f} s [{min(times):.2f}-{max(times):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time diff-diff's placebos (slow)")
    parser.add_argument("--baseline", metavar="COMMIT", help="also time case 4 with synthetic_control.py as of COMMIT")
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, _ = _timed(lambda: (_dd_outcome_only(panel).in_space_placebo()))
            dd_t.append(t)
        rows.append((f"outcome-only + placebo ({n_units})", ek_t, dd_t,
                     float((dd_w - vt.weights).abs().max()), note))
        # 4. Vestre Toten with predictors: fit + placebo (the notebook's cell).
        vt_panel, vt_kw = _vestre_toten_case(panel)
        baseline = _module_at(args.baseline) if args.baseline else None
        serial_t, jobs_t, base_t = [], [], []
        for _ in range(args.repeats):
            t, (vt, vt_pl) = _timed(lambda: (lambda r: (r, r.placebo()))(synthetic_control(vt_panel, **vt_kw)))
            serial_t.append(t)
            t, (_, vt_pl2) = _timed(lambda: (lambda r: (r, r.placebo(n_jobs=2)))(synthetic_control(vt_panel, **vt_kw)))
            jobs_t.append(t)
            if baseline is not None:
                t, (old_vt, old_pl) = _timed(
                    lambda: (lambda r: (r, r.placebo()))(baseline.synthetic_control(vt_panel, **vt_kw)))
                base_t.append(t)
        same = float((vt_pl.gaps - vt_pl2.gaps).abs().max().max())
        note = (f"{len(vt_kw['donors'])} donors; ATT {vt.att:.2f}, pre-RMSPE {vt.pre_rmspe:.3f}, rank {vt_pl.rank}, "
                f"p {vt_pl.p_value:.3f}; 2 processes {_summary(jobs_t)} (ratio serial/2 "
                f"{statistics.median(serial_t) / statistics.median(jobs_t):.1f}, max gap diff {same:.1e})")
        if baseline is not None:
            note += (f"; baseline {args.baseline[:7]}: ATT {old_vt.att:.2f}, pre-RMSPE {old_vt.pre_rmspe:.3f}, "
                     f"rank {old_pl.rank}, p {old_pl.p_value:.3f}")
        rows.append(("Vestre Toten fit + placebo", serial_t, base_t, float("nan"), note))
    load_end = os.getloadavg()
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f}, at end {load_end[0]:.2f} {load_end[1]:.2f}")
    print(f"{'case':34s} {'evalkit median [min-max]':>28s} {'diff-diff median [min-max]':>28s} {'ratio dd/ek':>11s} {'max |dw|':>9s}")
    print(f"{'':34s} {'':>28s} {'(Vestre Toten: baseline)':>28s} {'(base/now)':>11s}")
    for name, ek_t, dd_t, dw, note in rows:
        dd = _summary(dd_t) if dd_t else ("   (run with --baseline)" if name.startswith("Vestre") else "   (run with --full)")
        ratio = f"{statistics.median(dd_t) / statistics.median(ek_t):11.1f}" if dd_t else "          -"
        print(f"{name:34s} {_summary(ek_t):>28s} {dd:>28s} {ratio} {dw:9.4f}")
        print(f"    {note}")


if __name__ == "__main__":
    main()
