"""Benchmark: evalkit's synthetic difference-in-differences vs diff-diff's, same run.

Two cases on California's Proposition 99 (39 states, 1970-2000, treatment 1989):
  1. the point estimate (weights and tau; jackknife s.e., which is undefined with
     one treated unit and costs nothing, in both packages);
  2. the point estimate and the placebo s.e. with 200 replications (Algorithm 4).
The two packages alternate in every repeat (interleaved); median and min-max per
case, the ratio diff-diff / evalkit of the medians (> 1: evalkit faster) and the
estimates side by side. BLAS is pinned to one thread; the load average is printed
at the start and the end.

diff-diff runs its Rust backend when it has one; --peer-backend python times its
pure-Python path instead (DIFF_DIFF_BACKEND=python).

Usage: .venv/bin/python benchmarks/bench_sdid.py [--repeats 5] [--peer-backend auto|python]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from evalkit.methods.counterfactual.sdid import synthetic_did  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "tests" / "data" / "validation"


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _evalkit(smoking: pd.DataFrame, se: str):
    return synthetic_did(smoking, unit="state", time="year", outcome="cigsale",
                         treated="California", treatment_start=1989, se=se, reps=200, seed=0)


def _diff_diff(data: pd.DataFrame, se: str):
    from diff_diff import SyntheticDiD

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SyntheticDiD(variance_method=se, n_bootstrap=200, seed=0).fit(
            data, outcome="cigsale", treatment="tr", unit="state", time="year",
            post_periods=list(range(1989, 2001)),
        )


def _summary(times: list[float]) -> str:
    return f"{statistics.median(times):7.3f} s [{min(times):.3f}-{max(times):.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peer-backend", choices=("auto", "python"), default="auto")
    args = parser.parse_args()
    os.environ["DIFF_DIFF_BACKEND"] = args.peer_backend  # read when diff_diff is first imported
    load_start = os.getloadavg()
    smoking = pd.read_csv(VALIDATION / "prop99_smoking.csv")
    data = smoking.assign(tr=(smoking["state"] == "California").astype(int), year=smoking["year"].astype(int))
    rows = []
    with threadpool_limits(1):
        _evalkit(smoking, "jackknife"), _diff_diff(data, "jackknife")  # warm-up: imports, caches
        for label, se in (("point estimate", "jackknife"), ("point + placebo s.e. (200)", "placebo")):
            ek_t, dd_t = [], []
            for _ in range(args.repeats):
                t, ek = _timed(lambda: _evalkit(smoking, se))
                ek_t.append(t)
                t, dd = _timed(lambda: _diff_diff(data, se))
                dd_t.append(t)
            rows.append((label, ek_t, dd_t, ek, dd))
    load_end = os.getloadavg()
    print(f"load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f}; "
          f"{args.repeats} repeats, interleaved, OPENBLAS_NUM_THREADS=1, diff-diff backend {args.peer_backend}")
    print(f"{'case':28s} {'evalkit':>26s} {'diff-diff':>26s} {'dd/ek':>6s}  estimates (ek | dd)")
    for label, ek_t, dd_t, ek, dd in rows:
        ratio = statistics.median(dd_t) / statistics.median(ek_t)
        print(f"{label:28s} {_summary(ek_t):>26s} {_summary(dd_t):>26s} {ratio:6.2f}  "
              f"att {ek.att:.4f} | {dd.att:.4f}; se {ek.se:.4f} | {dd.se:.4f}")


if __name__ == "__main__":
    main()
