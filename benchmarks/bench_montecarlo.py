"""Benchmark: the vectorised Monte-Carlo of the net effect against a plain-Python loop.

``simulate_net_effect`` draws 100 000 parameter sets (leakage, deadweight bootstrapped
over the survey firms, displacement, substitution, multiplier, persistence, discount
rate) and computes net additional jobs, cost per net job and cost per net job-year.
The baseline does the same draws one at a time in plain Python (``random``); it is
timed on 10 000 draws and scaled x10 (it is linear in the draws), to keep the run short.
Both run interleaved, REPEATS times; the table shows median and min-max and the ratio of
medians, and the 5/95 % quantiles of both so one can see they compute the same thing.
Goal: 100 000 draws with bootstrap in <= 0.5 s.

Run: ``.venv/bin/python benchmarks/bench_montecarlo.py`` (or ``make bench``).
"""

from __future__ import annotations

import math
import os
import random
import statistics
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

import evalkit as ek
from evalkit.methods.net_effect.uncertainty import net_effect_model

DATA = Path(__file__).resolve().parents[1] / "data" / "vestre_toten"
DRAWS = 100_000
LOOP_DRAWS = 10_000
REPEATS = 7


def loop_simulation(model, firms, draws: int, seed: int) -> dict[str, tuple[float, float]]:
    """The same Monte-Carlo, one draw at a time in plain Python."""
    rng = random.Random(seed)
    names = ("leakage", "deadweight", "displacement", "substitution", "multiplier", "persistence_years",
             "discount_rate")
    weights = list(firms["analysis_weight"])
    weighted = list(firms["weighted"])
    n = len(weights)
    cost_years = list(zip(model.cost_years.tolist(), model.public_cost_by_year.tolist()))
    gross_years = list(zip(model.years.tolist(), model.gross_by_year.tolist()))
    nets, costs, per_year = [], [], []
    for _ in range(draws):
        p = {}
        for name in names:
            u = rng.random()
            c = model.point[name]
            low, high = model.ranges[name]
            p[name] = low + (c - low) * 2 * u if u < 0.5 else c + (high - c) * (2 * u - 1)
        if n:
            sw = swa = 0.0
            for _ in range(n):  # bootstrap: resample firms with replacement
                i = rng.randrange(n)
                sw += weights[i]
                swa += weighted[i]
            p["deadweight"] = 1 - swa / sw if sw > 0 else model.point["deadweight"]
        ratio = ((1 - p["leakage"]) * (1 - p["deadweight"]) * (1 - p["displacement"])
                 * (1 - p["substitution"]) * p["multiplier"])
        net = model.gross * ratio
        r = p["discount_rate"]
        pv_cost = sum(c * (1 + r) ** -(y - model.base_year) for y, c in cost_years)
        pv_gross = sum(g * (1 + r) ** -(y - model.base_year) for y, g in gross_years)
        whole = math.floor(p["persistence_years"])
        annuity = sum((1 + r) ** -k for k in range(whole)) + (p["persistence_years"] - whole) * (1 + r) ** -whole
        nets.append(net)
        costs.append(model.public_cost / net if net > 0 else math.inf)
        per_year.append(pv_cost / (ratio * annuity * pv_gross) if ratio > 0 else math.inf)

    def q(values: list[float]) -> tuple[float, float]:
        s = sorted(values)
        return s[int(0.05 * (len(s) - 1))], s[int(0.95 * (len(s) - 1))]

    return {"net_additional_jobs": q(nets), "cost_per_net_job": q(costs), "cost_per_net_job_year": q(per_year)}


def main() -> None:
    programme = ek.load_programme(DATA)
    result = ek.estimate_net_effect(programme, period=(2010, 2016), mc_draws=1_000)
    net, cost = result.net, result.cost
    model = net_effect_model(net, cost)
    firms = net.survey.firm_totals()
    load_start = os.getloadavg()
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}")
    print(f"survey firms resampled per draw: {len(firms)}; draws: {DRAWS} (loop timed on {LOOP_DRAWS}, x{DRAWS // LOOP_DRAWS})")
    times: dict[str, list[float]] = {"vectorised": [], "loop": []}
    with threadpool_limits(limits=1):
        ek.simulate_net_effect(net, cost, draws=DRAWS, seed=1)  # warm-up
        loop_simulation(model, firms, 100, 1)
        for rep in range(REPEATS):  # interleaved, so drifts in load hit both alike
            start = time.perf_counter()
            mc = ek.simulate_net_effect(net, cost, draws=DRAWS, seed=rep)
            times["vectorised"].append(time.perf_counter() - start)
            start = time.perf_counter()
            loop_q = loop_simulation(model, firms, LOOP_DRAWS, rep)
            times["loop"].append((time.perf_counter() - start) * DRAWS / LOOP_DRAWS)
    base = statistics.median(times["loop"])
    print(f"{'method':34} {'median s':>9} {'min-max s':>15} {'ratio vs loop':>14}")
    for name, label in (("vectorised", "simulate_net_effect (numpy)"), ("loop", "plain-Python loop (scaled)")):
        t = times[name]
        med = statistics.median(t)
        print(f"{label:34} {med:9.3f} {min(t):7.3f}-{max(t):<7.3f} {base / med:14.1f}x")
    print("\n5-95 % intervals, last repeat (numpy 100 000 draws | loop 10 000 draws):")
    for outcome, (lo, hi) in loop_q.items():
        vlo, vhi = mc.interval(outcome)
        print(f"  {outcome:24} {vlo:14,.1f} - {vhi:<14,.1f} | {lo:14,.1f} - {hi:<14,.1f}")
    target = statistics.median(times["vectorised"]) <= 0.5
    print(f"\ntarget 100 000 draws with bootstrap <= 0.5 s: {'met' if target else 'NOT met'}")
    load_end = os.getloadavg()
    print(f"load average at end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")


if __name__ == "__main__":
    main()
