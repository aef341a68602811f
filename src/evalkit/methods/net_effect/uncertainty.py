"""Uncertainty and sensitivity of net additional jobs and cost per net job.

Monte-Carlo: every uncertain parameter (leakage, deadweight, displacement,
substitution, multiplier, persistence, discount rate) is drawn from its range;
the survey deadweight is instead bootstrapped over responding firms (firms,
not answers, are resampled). Intervals are the 5 and 95 % quantiles of the
draws (domain.md, "Uncertainty"; HM Treasury Green Book on sensitivity and
Monte-Carlo analysis).

Distribution (evalkit's choice, stated in the method appendix): for a central
value *c* in a range (*low*, *high*), half the draws are uniform on
(*low*, *c*) and half on (*c*, *high*), so *c* is the median of every
parameter while the full benchmark range is covered. The benchmark ranges are
lopsided (leakage 10 % in 0-75 %), and a triangular or uniform distribution
would move the centre of the simulation far from the point estimate.

Tornado: each parameter is set to the ends of its range (the survey
deadweight: its bootstrap 5-95 % interval) with the others at their point
values; parameters are ranked by the swing of cost per net job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from evalkit.results import Result
from evalkit.methods.net_effect.additionality import NetAdditionalJobs, gross_to_net_ratio
from evalkit.methods.net_effect.assumptions import ADDITIONALITY_FACTORS, UNCERTAIN_PARAMETERS
from evalkit.methods.net_effect.cost import CostPerJob, discount_factors, persistence_annuity
from evalkit.errors import InputError

#: Quantities the simulation reports.
OUTCOMES: tuple[str, ...] = ("net_additional_jobs", "cost_per_net_job", "cost_per_net_job_year")

_CHUNK = 20_000  # draws per block: bounds memory of the bootstrap index matrix

#: Default (English) labels of parameters and outcomes in charts; ``plot(labels=...)`` overrides them.
LABELS: dict[str, str] = {
    "leakage": "leakage", "deadweight": "deadweight", "displacement": "displacement",
    "substitution": "substitution", "multiplier": "multiplier",
    "persistence_years": "persistence (years)", "discount_rate": "discount rate",
    "net_additional_jobs": "net additional jobs", "cost_per_net_job": "cost per net job (NOK thousand)",
    "cost_per_net_job_year": "cost per net job-year (NOK thousand, PV)",
    "low_end": "low end", "high_end": "high end",
}


@dataclass(frozen=True)
class NetEffectModel:
    """The deterministic net-effect calculation, vectorised over parameter draws.

    Built from a :class:`NetAdditionalJobs` and a :class:`CostPerJob` by
    :func:`net_effect_model`; ``evaluate`` maps parameter arrays to outcomes.
    """

    gross: float
    gross_by_year: np.ndarray
    years: np.ndarray
    public_cost: float
    public_cost_by_year: np.ndarray
    cost_years: np.ndarray
    base_year: int
    point: Mapping[str, float]
    ranges: Mapping[str, tuple[float, float]]

    def evaluate(self, **params: np.ndarray | float) -> dict[str, np.ndarray]:
        """Net additional jobs, cost per net job and per net job-year (PV) for the given parameters."""
        p = {name: np.asarray(params.get(name, self.point[name]), dtype=float) for name in UNCERTAIN_PARAMETERS}
        ratio = gross_to_net_ratio(*(p[name] for name in ADDITIONALITY_FACTORS))
        net = self.gross * ratio
        rate = p["discount_rate"]
        pv_cost = np.sum(self.public_cost_by_year * discount_factors(self.cost_years, rate, self.base_year), axis=-1)
        pv_gross = np.sum(self.gross_by_year * discount_factors(self.years, rate, self.base_year), axis=-1)
        pv_job_years = ratio * persistence_annuity(p["persistence_years"], rate) * pv_gross
        with np.errstate(divide="ignore", invalid="ignore"):
            return {
                "net_additional_jobs": net,
                "cost_per_net_job": self.public_cost / net,
                "cost_per_net_job_year": pv_cost / pv_job_years,
                # reciprocals stay finite when net is 0; quantiles are taken on them
                "_jobs_per_nok": net / self.public_cost if self.public_cost > 0 else np.full_like(net, np.nan),
                "_job_years_per_nok": pv_job_years / pv_cost,
            }


def net_effect_model(net: NetAdditionalJobs, cost: CostPerJob) -> NetEffectModel:
    """The vectorised model behind :func:`simulate_net_effect` and :func:`sensitivity`."""
    a = net.assumptions
    gross = net.public_gross if cost.include_cofunders else net.gross
    if net.gross_by_year is not None and not net.gross_by_year.empty:
        by_year = net.gross_by_year.astype(float)
        if cost.include_cofunders and net.gross > 0:
            by_year = by_year * (net.public_gross / net.gross)
        years, gross_by_year = by_year.index.to_numpy(dtype=float), by_year.to_numpy(dtype=float)
    else:
        years, gross_by_year = np.array([float(cost.base_year)]), np.array([gross])
    point = {name: float(net.factors[name]) for name in ADDITIONALITY_FACTORS}
    point["persistence_years"] = cost.persistence_years
    point["discount_rate"] = cost.discount_rate
    ranges = {name: tuple(a.range_of(name)) for name in UNCERTAIN_PARAMETERS}
    for name in ("persistence_years", "discount_rate"):
        low, high = ranges[name]
        ranges[name] = (min(low, point[name]), max(high, point[name]))
    return NetEffectModel(
        gross=float(gross),
        gross_by_year=gross_by_year,
        years=years,
        public_cost=float(cost.costs["public_nok"].sum()),
        public_cost_by_year=cost.costs["public_nok"].to_numpy(dtype=float),
        cost_years=cost.costs.index.to_numpy(dtype=float),
        base_year=cost.base_year,
        point=point,
        ranges=ranges,  # type: ignore[arg-type]
    )


def two_piece_uniform(u: np.ndarray, central: float, low: float, high: float) -> np.ndarray:
    """Map uniforms *u* in [0, 1) to the two-piece uniform with median ``central``."""
    lower = low + (central - low) * (2.0 * u)
    upper = central + (high - central) * (2.0 * u - 1.0)
    return np.where(u < 0.5, lower, upper)


def _bootstrap_deadweight(
    rng: np.random.Generator, weights: np.ndarray, weighted: np.ndarray, draws: int, fallback: float
) -> tuple[np.ndarray, int]:
    """Deadweight in ``draws`` bootstrap resamples of firms; draws whose weights are all 0 get ``fallback``."""
    n = weights.size
    stacked = np.column_stack([weights, weighted])
    out = np.empty(draws)
    for start in range(0, draws, _CHUNK):
        stop = min(start + _CHUNK, draws)
        idx = rng.integers(0, n, size=(stop - start, n), dtype=np.int32)
        sums = stacked[idx].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[start:stop] = 1.0 - sums[:, 1] / sums[:, 0]
    empty = ~np.isfinite(out)
    out[empty] = fallback
    return np.clip(out, 0.0, 1.0), int(empty.sum())


@dataclass(frozen=True, eq=False, repr=False)
class MonteCarloResult(Result):
    """Monte-Carlo draws and 5-95 % intervals of the net effect.

    Attributes
    ----------
    intervals
        Rows: ``net_additional_jobs``, ``cost_per_net_job``, ``cost_per_net_job_year``;
        columns ``point``, ``p05``, ``p50``, ``p95``.
    draws
        One row per draw: the parameters and the outcomes.
    seed, n_draws
        The random seed and the number of draws.
    deadweight_bootstrapped
        True when the deadweight was bootstrapped over survey firms.
    note
        Anything the reader should know (e.g. draws with no weighted answers).
    """

    intervals: pd.DataFrame
    draws: pd.DataFrame
    seed: int
    n_draws: int
    deadweight_bootstrapped: bool
    note: str = ""

    def interval(self, outcome: str) -> tuple[float, float]:
        """``(p05, p95)`` of an outcome."""
        return float(self.intervals.loc[outcome, "p05"]), float(self.intervals.loc[outcome, "p95"])

    def to_frame(self) -> pd.DataFrame:
        """Point estimates and 5/50/95 % quantiles."""
        return self.intervals

    def tidy(self) -> pd.DataFrame:
        """The intervals as a flat frame (outcome, point, p05, p50, p95)."""
        return self.intervals.reset_index()

    def summary(self) -> str:
        """One line: the two headline intervals."""
        lo, hi = self.interval("net_additional_jobs")
        clo, chi = self.interval("cost_per_net_job")
        return (
            f"{self.n_draws} draws (seed {self.seed}"
            f"{', deadweight bootstrapped over firms' if self.deadweight_bootstrapped else ''}): "
            f"net additional jobs {lo:.1f}-{hi:.1f}, cost per net job {clo:,.0f}-{chi:,.0f} NOK (5-95 %)."
            + (f" {self.note}" if self.note else "")
        )

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates (no words); an unbounded cost is ``None``."""
        finite = lambda v: float(v) if np.isfinite(v) else None  # noqa: E731
        net_low, net_high = self.interval("net_additional_jobs")
        cost_low, cost_high = self.interval("cost_per_net_job")
        return {
            "n_draws": int(self.n_draws),
            "seed": int(self.seed),
            "net_point": float(self.intervals.loc["net_additional_jobs", "point"]),
            "net_low": net_low,
            "net_high": net_high,
            "cost_point": finite(self.intervals.loc["cost_per_net_job", "point"]),
            "cost_low": finite(cost_low),
            "cost_high": finite(cost_high),
            "cost_unbounded": not np.isfinite(cost_high),
            "deadweight_bootstrapped": bool(self.deadweight_bootstrapped),
        }

    #: Default labels of the plots (English message ids; the report translates them).
    PLOT_LABELS: ClassVar[dict[str, str]] = dict(LABELS)

    def plot(self, ax: Any = None, *, labels: dict[str, str] | None = None) -> tuple[Any, Any]:
        """Histogram of the net additional jobs with the point estimate and 5-95 % interval."""
        return self.plot_outcome("net_additional_jobs", ax, labels=labels)

    def plot_outcome(self, outcome: str, ax: Any = None, *, labels: dict[str, str] | None = None) -> tuple[Any, Any]:
        """Histogram of one outcome (:data:`OUTCOMES`) with its point estimate and 5-95 % interval."""
        import matplotlib.pyplot as plt

        words = self._labels(labels)

        if outcome not in OUTCOMES:
            raise InputError(f"unknown outcome {outcome!r}.", parameter="outcome", hint="Use one of " + ", ".join(OUTCOMES))
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.5, 3.2))
        else:
            fig = ax.figure
        values = self.draws[outcome].to_numpy()
        lo, hi = self.interval(outcome)
        finite = values[np.isfinite(values)]
        if outcome != "net_additional_jobs" and finite.size:  # cost ratios have a long right tail
            finite = finite[finite <= np.quantile(finite, 0.99)]
        ax.hist(finite, bins=60, color="#9db4d6")
        ax.axvline(float(self.intervals.loc[outcome, "point"]), color="black", label="point")
        for v in (lo, hi):
            ax.axvline(v, color="#c44e52", linestyle="--")
        ax.set_xlabel(words[outcome])
        fig.tight_layout()
        return fig, ax


def simulate_net_effect(
    net: NetAdditionalJobs,
    cost: CostPerJob,
    *,
    draws: int = 10_000,
    seed: int = 20100101,
    bootstrap_survey: bool = True,
) -> MonteCarloResult:
    """Monte-Carlo intervals of net additional jobs and cost per net job.

    Each parameter is drawn from the two-piece uniform with median at its point
    value over its range (module docstring); with a survey, the deadweight is
    bootstrapped over responding firms (Efron's nonparametric bootstrap of the
    weighted-mean estimator).  Vectorised numpy, seeded (``numpy.random.default_rng``).

    Parameters
    ----------
    net, cost
        The point estimates (their assumptions carry the ranges).
    draws
        Number of draws (``mc_draws`` in the notebook), >= 100.
    seed
        Random seed; the same seed gives the same draws.
    bootstrap_survey
        Bootstrap the survey deadweight (default) rather than drawing it from
        the benchmark range.

    Returns
    -------
    MonteCarloResult
    """
    if not isinstance(draws, (int, np.integer)) or isinstance(draws, bool) or draws < 100:
        raise InputError(f"expected a whole number of draws >= 100, got {draws!r}.", parameter="mc_draws")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"expected a whole number >= 0, got {seed!r}.", parameter="seed")
    model = net_effect_model(net, cost)
    rng = np.random.default_rng(int(seed))
    params: dict[str, np.ndarray] = {}
    for name in UNCERTAIN_PARAMETERS:
        u = rng.random(draws)
        low, high = model.ranges[name]
        params[name] = two_piece_uniform(u, model.point[name], low, high)
    note = ""
    survey = net.survey if bootstrap_survey else None
    if survey is not None:
        firms = survey.firm_totals()
        params["deadweight"], empty = _bootstrap_deadweight(
            rng, firms["analysis_weight"].to_numpy(float), firms["weighted"].to_numpy(float), draws,
            fallback=survey.deadweight,
        )
        if empty:
            note = f"{empty} resamples had no weighted answer and kept the survey deadweight."
    out = model.evaluate(**params)
    quantiles = np.array([0.05, 0.5, 0.95])
    q_net = np.quantile(out["net_additional_jobs"], quantiles)
    with np.errstate(divide="ignore"):
        # cost ratios: quantiles of jobs per NOK, inverted (order reverses); handles net = 0
        q_cost = 1.0 / np.quantile(out["_jobs_per_nok"], quantiles[::-1])
        q_year = 1.0 / np.quantile(out["_job_years_per_nok"], quantiles[::-1])
    point = model.evaluate()
    intervals = pd.DataFrame(
        [
            [float(point[name]), *q] for name, q in
            (("net_additional_jobs", q_net), ("cost_per_net_job", q_cost), ("cost_per_net_job_year", q_year))
        ],
        index=pd.Index(OUTCOMES, name="outcome"),
        columns=["point", "p05", "p50", "p95"],
    )
    table = pd.DataFrame({**params, **{k: v for k, v in out.items() if not k.startswith("_")}})
    return MonteCarloResult(
        intervals=intervals, draws=table, seed=int(seed), n_draws=int(draws),
        deadweight_bootstrapped=survey is not None, note=note,
    )


@dataclass(frozen=True, eq=False, repr=False)
class Tornado(Result):
    """One-at-a-time sensitivity of an outcome, ranked by swing.

    Attributes
    ----------
    table
        Index ``parameter``; columns ``point``, ``low``, ``high`` (parameter values),
        ``outcome_low``, ``outcome_high`` and ``swing`` (absolute difference), largest first.
    outcome
        The outcome (default ``cost_per_net_job``).
    point_outcome
        The outcome with every parameter at its point value.
    """

    table: pd.DataFrame
    outcome: str
    point_outcome: float

    def to_frame(self) -> pd.DataFrame:
        """The ranked sensitivity table."""
        return self.table

    def tidy(self) -> pd.DataFrame:
        """The table as a flat frame."""
        return self.table.reset_index()

    def summary(self) -> str:
        """One line: the most influential parameter."""
        top = self.table.index[0]
        row = self.table.iloc[0]
        return (
            f"{self.outcome} {self.point_outcome:,.1f} at the point values; most sensitive to {top} "
            f"({row['outcome_low']:,.1f} to {row['outcome_high']:,.1f} over {row['low']:g}-{row['high']:g})."
        )

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates (no words): the parameter that matters most.

        ``outcome_low``/``outcome_high`` are the outcome's lower and higher value over that
        parameter's range (``None`` where unbounded: no net jobs).
        """
        top = str(self.table.index[0])
        row = self.table.iloc[0]
        low, high = sorted((float(row["outcome_low"]), float(row["outcome_high"])), key=lambda v: (not np.isfinite(v), v))
        finite = lambda v: float(v) if np.isfinite(v) else None  # noqa: E731
        return {
            "outcome": self.outcome,
            "top": top,
            "range_low": float(row["low"]),
            "range_high": float(row["high"]),
            "outcome_low": finite(low),
            "outcome_high": finite(high),
            "point_outcome": finite(self.point_outcome),
        }

    #: Default labels of :meth:`plot`: parameters, outcomes (``<outcome>_thousand`` for costs in NOK thousand), ends.
    PLOT_LABELS: ClassVar[dict[str, str]] = dict(LABELS)

    def plot(self, ax: Any = None, *, labels: dict[str, str] | None = None) -> tuple[Any, Any]:
        """Tornado chart: bars from the outcome at the low to the high end. Returns ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7.0, 0.45 * len(self.table) + 1.2))
        else:
            fig = ax.figure
        labels = self._labels(labels)
        table = self.table.iloc[::-1]
        y = np.arange(len(table))
        scale = 1000.0 if "cost" in self.outcome else 1.0
        values_all = table[["outcome_low", "outcome_high"]].to_numpy(dtype=float) / scale
        finite = values_all[np.isfinite(values_all)]
        cap = (finite.max() if finite.size else 1.0) * 1.15
        # an unbounded point value (no net jobs) is drawn at the cap, marked with ∞
        centre = self.point_outcome / scale if np.isfinite(self.point_outcome) else cap
        for colour, column in (("#4c72b0", "outcome_low"), ("#dd8452", "outcome_high")):
            values = table[column].to_numpy(dtype=float) / scale
            shown = np.where(np.isfinite(values), values, cap)
            ax.barh(y, shown - centre, left=centre, color=colour, alpha=0.85,
                    label=labels["low_end"] if column == "outcome_low" else labels["high_end"])
            for yi, v in zip(y, values):
                if not np.isfinite(v):  # no net jobs at this end: the cost is unbounded
                    ax.annotate("∞", (cap, yi), ha="left", va="center", fontsize=10)
        ax.axvline(centre, color="black", linewidth=0.8)
        ax.set_yticks(y, [labels.get(p, p) for p in table.index])
        ax.set_xlabel(labels.get(self.outcome, self.outcome))
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return fig, ax


def sensitivity(
    net: NetAdditionalJobs,
    cost: CostPerJob,
    *,
    outcome: str = "cost_per_net_job",
    monte_carlo: MonteCarloResult | None = None,
) -> Tornado:
    """One-at-a-time sensitivity (tornado) of an outcome to each uncertain parameter.

    Each parameter goes to the low and the high end of its range, the others
    stay at their point values (HM Treasury Green Book, sensitivity analysis).
    With a survey deadweight, its range is the bootstrap 5-95 % interval of
    ``monte_carlo`` when given.

    Parameters
    ----------
    net, cost
        The point estimates.
    outcome
        ``"cost_per_net_job"`` (default), ``"cost_per_net_job_year"`` or
        ``"net_additional_jobs"``.
    monte_carlo
        A simulation whose deadweight draws give the survey deadweight's range.
    """
    if outcome not in OUTCOMES:
        raise InputError(f"unknown outcome {outcome!r}.", parameter="outcome", hint="Use one of " + ", ".join(OUTCOMES))
    model = net_effect_model(net, cost)
    ranges = dict(model.ranges)
    if net.survey is not None and monte_carlo is not None and monte_carlo.deadweight_bootstrapped:
        dw = monte_carlo.draws["deadweight"].to_numpy()
        ranges["deadweight"] = (float(np.quantile(dw, 0.05)), float(np.quantile(dw, 0.95)))
    point_outcome = float(model.evaluate()[outcome])
    rows = []
    for name in UNCERTAIN_PARAMETERS:
        low, high = ranges[name]
        at_low = float(model.evaluate(**{name: low})[outcome])
        at_high = float(model.evaluate(**{name: high})[outcome])
        swing = abs(at_high - at_low) if np.isfinite(at_high) and np.isfinite(at_low) else np.inf
        if at_high == at_low:
            swing = 0.0
        rows.append(dict(parameter=name, point=model.point[name], low=low, high=high,
                         outcome_low=at_low, outcome_high=at_high, swing=swing))
    table = pd.DataFrame(rows).set_index("parameter").sort_values("swing", ascending=False, kind="stable")
    return Tornado(table=table, outcome=outcome, point_outcome=point_outcome)
