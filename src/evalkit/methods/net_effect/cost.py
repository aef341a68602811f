"""Cost per job: public cost over gross jobs, net additional jobs and net job-years.

Public cost is the programme's funds including administration (budget table),
optionally plus the public co-funders' money in the projects (Innovasjon Norge,
county, research funds); a second variant counts project support only.
Jobs on the same footing: programme funds are set against the jobs attributed
to the programme, programme plus public co-funders against the jobs attributed
to all public funders (see :mod:`evalkit.methods.net_effect.attribution`).

- cost per gross job and per net additional job use the NOK as spent (the basis
  of the published benchmarks shown beside them) and, in the table, also their
  present value;
- cost per net job-year sets the present value of cost against the present value
  of net job-years: each year's net jobs last ``persistence_years`` (default 3,
  range 1-5), discounted at the Norwegian real discount rate (4 %,
  Finansdepartementet R-109; range 2-6 %) to the first programme year.
  Amounts are taken as given (no deflator); state that in the report.

Leverage = private co-funding per programme NOK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from evalkit.results import Result
from evalkit.methods.net_effect.additionality import NetAdditionalJobs
from evalkit.methods.net_effect.attribution import file_row, require_columns, source_file
from evalkit.errors import InputError


def _check_rate(discount_rate: float) -> float:
    try:
        rate = float(discount_rate)
    except (TypeError, ValueError):
        raise InputError(f"expected a number, got {discount_rate!r}.", parameter="discount_rate") from None
    if not -1.0 < rate <= 1.0:
        raise InputError(
            f"a discount rate must lie in (-1, 1], got {rate:g}.", parameter="discount_rate",
            hint="Give it as a fraction: 0.04 for 4 %.",
        )
    return rate


def _check_persistence(persistence_years: float) -> float:
    try:
        years = float(persistence_years)
    except (TypeError, ValueError):
        raise InputError(f"expected a number, got {persistence_years!r}.", parameter="persistence_years") from None
    if not years > 0:
        raise InputError(f"persistence must be > 0 years, got {years:g}.", parameter="persistence_years")
    return years


def discount_factors(years: np.ndarray | pd.Index, discount_rate: float | np.ndarray, base_year: int) -> np.ndarray:
    """:math:`(1 + r)^{-(t - t_0)}`; with an array of rates, one row per rate."""
    t = np.asarray(years, dtype=float) - float(base_year)
    r = np.asarray(discount_rate, dtype=float)
    return (1.0 + r[..., None]) ** (-t) if r.ndim else (1.0 + float(r)) ** (-t)


def present_value(amounts_by_year: pd.Series, discount_rate: float, base_year: int) -> float:
    """Present value at ``base_year`` of amounts indexed by year.

    :math:`PV = \\sum_t x_t (1 + r)^{-(t - t_0)}` (HM Treasury Green Book; Norwegian
    rate: Finansdepartementet R-109).
    """
    rate = _check_rate(discount_rate)
    if amounts_by_year.empty:
        return 0.0
    return float(np.sum(amounts_by_year.to_numpy(dtype=float) * discount_factors(amounts_by_year.index, rate, base_year)))


def persistence_annuity(persistence_years: float | np.ndarray, discount_rate: float | np.ndarray) -> np.ndarray | float:
    """Discounted years a job lasts, counted from the year it is registered.

    For persistence :math:`P = n + f` (whole years *n*, fraction *f*) and
    :math:`\\delta = 1/(1+r)`: :math:`\\sum_{k<n} \\delta^k + f\\,\\delta^n`; equals *P*
    at :math:`r = 0`.  Vectorised over arrays of *P* and *r*.
    """
    p = np.asarray(persistence_years, dtype=float)
    r = np.asarray(discount_rate, dtype=float)
    n = np.floor(p)
    frac = p - n
    delta = 1.0 / (1.0 + r)
    small = np.abs(r) < 1e-12
    safe_r = np.where(small, 1.0, r)
    whole = np.where(small, n, (1.0 - delta**n) / (1.0 - 1.0 / (1.0 + safe_r)))
    out = whole + frac * delta**n
    return float(out) if out.ndim == 0 else out


def net_job_years(
    net_by_year: pd.Series, persistence_years: float, discount_rate: float = 0.0, base_year: int | None = None
) -> float:
    """Net job-years: each year's net jobs times their (discounted) persistence.

    Undiscounted (``discount_rate=0``) this is net jobs x persistence.  With a rate,
    the present value at ``base_year`` (default: the first year).
    """
    years = _check_persistence(persistence_years)
    rate = _check_rate(discount_rate)
    if net_by_year.empty:
        return 0.0
    index = net_by_year.index
    if index.isna().any():  # jobs without a year: count them at the base year
        base = base_year if base_year is not None else 0
        index = pd.Index(np.where(index.isna(), base, index), dtype=float)
    base = int(base_year if base_year is not None else np.nanmin(index))
    weights = discount_factors(index, rate, base)
    return float(np.sum(net_by_year.to_numpy(dtype=float) * weights) * persistence_annuity(years, rate))


def leverage(projects: pd.DataFrame) -> float:
    """Private co-funding per programme NOK: sum(cofunding_private_nok) / sum(grant_paid_nok)."""
    require_columns(projects, ("grant_paid_nok", "cofunding_private_nok"), "projects")
    grant = float(projects["grant_paid_nok"].astype(float).sum())
    return float(projects["cofunding_private_nok"].astype(float).sum()) / grant if grant > 0 else float("nan")


def published_benchmarks(gbp_nok: float | None = None) -> pd.DataFrame:
    """Published cost-per-job benchmarks to show beside the result.

    Parameters
    ----------
    gbp_nok
        NOK per GBP to convert the UK figures; ``None`` leaves the NOK column empty
        (state the rate and its date in the report if you convert).

    Sources: NAO on the Regional
    Development Agencies (physical regeneration, about GBP 60 000 per job); SQW for
    Scottish Enterprise (inward investment, net GBP 14 000 per job);
    Distriktssenteret (restructuring programmes' cost per job similar to
    Innovasjon Norge's ordinary instruments; no figure).
    """
    rows = [
        ("NAO", "Regional Development Agencies, physical regeneration", "cost per job", 60_000.0, "GBP"),
        ("SQW", "Scottish Enterprise, inward investment", "cost per net job", 14_000.0, "GBP"),
        ("Distriktssenteret", "Norwegian restructuring programmes", "similar to Innovasjon Norge's ordinary instruments",
         np.nan, ""),
    ]
    frame = pd.DataFrame(rows, columns=["source", "what", "measure", "value", "currency"])
    frame["value_nok"] = frame["value"] * (np.nan if gbp_nok is None else float(gbp_nok))
    return frame


def cost_by_year(
    budget: pd.DataFrame, projects: pd.DataFrame | None = None, *, include_cofunders: bool = False
) -> pd.DataFrame:
    """Public cost by year: programme funds, project support, public co-funding.

    Columns ``programme_nok`` (all budget categories, incl. administration),
    ``project_support_nok``, ``cofunders_public_nok`` (Innovasjon Norge + other
    public co-funding of the projects, by project year) and ``public_nok`` (the
    programme, plus the co-funders when ``include_cofunders``).
    """
    require_columns(budget, ("year", "category", "amount_nok"), "budget")
    amounts = pd.to_numeric(budget["amount_nok"], errors="coerce")
    bad = np.flatnonzero(~(amounts >= 0).to_numpy())
    if bad.size:
        raise InputError(
            f"expected an amount >= 0, got {budget['amount_nok'].iloc[bad[0]]!r}.",
            file=source_file(budget), row=file_row(budget, bad[0]), column="amount_nok",
        )
    b = pd.DataFrame({"year": budget["year"].astype(int).to_numpy(), "category": budget["category"].astype(str).to_numpy(),
                      "amount": amounts.to_numpy(dtype=float)})
    table = pd.DataFrame(
        {
            "programme_nok": b.groupby("year")["amount"].sum(),
            "project_support_nok": b[b["category"] == "project_support"].groupby("year")["amount"].sum(),
        }
    )
    if projects is not None and len(projects):
        require_columns(projects, ("year", "cofunding_innovasjon_norge_nok", "cofunding_other_public_nok"), "projects")
        cof = projects["cofunding_innovasjon_norge_nok"].astype(float) + projects["cofunding_other_public_nok"].astype(float)
        table = table.join(cof.groupby(projects["year"].astype(int).to_numpy()).sum().rename("cofunders_public_nok"),
                           how="outer")
    else:
        table["cofunders_public_nok"] = 0.0
    table = table.fillna(0.0).sort_index()
    table.index.name = "year"
    table["public_nok"] = table["programme_nok"] + (table["cofunders_public_nok"] if include_cofunders else 0.0)
    return table


@dataclass(frozen=True, eq=False, repr=False)
class CostPerJob(Result):
    """Cost per gross job, per net additional job and per net job-year.

    Attributes
    ----------
    table
        One row per (basis, measure): ``cost_nok``, ``jobs``, ``nok_per_job`` (cost as
        spent), ``cost_pv_nok``, ``jobs_pv`` (job-years discounted) and ``nok_per_job_pv``.
        Basis ``public`` (programme funds incl. administration, plus public co-funders
        when chosen) or ``project_support``.
    costs
        Cost by year (see :func:`cost_by_year`).
    leverage
        Private co-funding per programme NOK.
    benchmarks
        Published benchmarks (:func:`published_benchmarks`).
    """

    table: pd.DataFrame
    costs: pd.DataFrame
    leverage: float
    benchmarks: pd.DataFrame
    discount_rate: float
    persistence_years: float
    base_year: int
    include_cofunders: bool

    def _value(self, basis: str, measure: str, column: str) -> float:
        return float(self.table.loc[(basis, measure), column])

    @property
    def gross_public_nok(self) -> float:
        """Public cost (as spent) per gross job."""
        return self._value("public", "gross job", "nok_per_job")

    @property
    def net_additional_public_nok(self) -> float:
        """Public cost (as spent) per net additional job."""
        return self._value("public", "net additional job", "nok_per_job")

    @property
    def net_job_year_public_nok(self) -> float:
        """Present value of public cost per present value of net job-years."""
        return self._value("public", "net job-year", "nok_per_job_pv")

    @property
    def net_job_years(self) -> float:
        """Net job-years, undiscounted."""
        return self._value("public", "net job-year", "jobs")

    def to_frame(self) -> pd.DataFrame:
        """The cost table."""
        return self.table

    def tidy(self) -> pd.DataFrame:
        """Long form: basis, measure, variable, value."""
        return self.table.reset_index().melt(id_vars=["basis", "measure"], var_name="variable")

    def summary(self) -> str:
        """One line of the headline figures."""
        return (
            f"Public cost {self._value('public', 'gross job', 'cost_nok') / 1e6:.2f} MNOK: "
            f"{self.gross_public_nok:,.0f} NOK per gross job, {self.net_additional_public_nok:,.0f} per net "
            f"additional job, {self.net_job_year_public_nok:,.0f} per net job-year (PV at "
            f"{self.discount_rate:.0%}, {self.persistence_years:g} years); leverage {self.leverage:.2f}."
        )

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates (no words); an unbounded cost is ``None``."""
        finite = lambda v: float(v) if np.isfinite(v) else None  # noqa: E731
        return {
            "gross_public_nok": finite(self.gross_public_nok),
            "net_additional_public_nok": finite(self.net_additional_public_nok),
            "net_job_year_public_nok": finite(self.net_job_year_public_nok),
            "net_job_years": float(self.net_job_years),
            "unbounded": not np.isfinite(self.net_additional_public_nok),
            "leverage": float(self.leverage),
            "discount_rate": float(self.discount_rate),
            "persistence_years": float(self.persistence_years),
            "base_year": int(self.base_year),
            "include_cofunders": bool(self.include_cofunders),
        }

    #: Default labels of :meth:`plot` (English message ids; the report translates them).
    PLOT_LABELS: ClassVar[dict[str, str]] = {
        "gross": "per gross job", "net": "per net additional job", "net_year": "per net job-year (PV)",
        "xlabel": "NOK thousand"}

    def plot(self, ax: Any = None, *, labels: dict[str, str] | None = None) -> tuple[Any, Any]:
        """Bars: public cost per gross job, net additional job and net job-year."""
        import matplotlib.pyplot as plt

        words = self._labels(labels)

        if ax is None:
            fig, ax = plt.subplots(figsize=(6.0, 3.2))
        else:
            fig = ax.figure
        values = [self.gross_public_nok, self.net_additional_public_nok, self.net_job_year_public_nok]
        shown = np.array(values[::-1], dtype=float) / 1000
        unbounded = ~np.isfinite(shown)
        ax.barh([words["net_year"], words["net"], words["gross"]], np.where(unbounded, 0.0, shown), color="#4c72b0")
        for y in np.flatnonzero(unbounded):  # no net jobs: the cost per net job has no finite value
            ax.annotate("∞", (0, y), xytext=(4, 0), textcoords="offset points", va="center")
        ax.set_xlabel(words["xlabel"])
        fig.tight_layout()
        return fig, ax


def cost_per_job(
    budget: pd.DataFrame,
    projects: pd.DataFrame,
    net: NetAdditionalJobs,
    *,
    discount_rate: float | None = None,
    persistence_years: float | None = None,
    include_cofunders: bool = False,
    base_year: int | None = None,
    gbp_nok: float | None = None,
) -> CostPerJob:
    """Cost per gross job, per net additional job and per net job-year.

    Cost per job = public cost / jobs (domain.md, "Persistence and cost"); net
    job-years = sum over years of net jobs x persistence; present values at a
    real discount rate (Finansdepartementet R-109; HM Treasury Green Book).

    Parameters
    ----------
    budget, projects
        Frames with the columns of ``docs/data-model.md``.
    net
        The net additional jobs (:func:`~evalkit.methods.net_effect.additionality.net_additional_jobs`).
    discount_rate, persistence_years
        Default: the values in ``net.assumptions`` (4 %, 3 years).
    include_cofunders
        Add the public co-funders' money to the programme's funds (and set it
        against the jobs attributed to all public funders).
    base_year
        Year of the present values; default the first budget year.
    gbp_nok
        Optional NOK per GBP to convert the UK benchmarks.
    """
    rate = _check_rate(net.assumptions.discount_rate if discount_rate is None else discount_rate)
    years = _check_persistence(net.assumptions.persistence_years if persistence_years is None else persistence_years)
    costs = cost_by_year(budget, projects, include_cofunders=include_cofunders)
    if costs.empty:
        raise InputError("the budget table is empty.", file=source_file(budget), hint="Give the programme's funds by year.")
    base = int(costs.index.min() if base_year is None else base_year)

    ratio = net.gross_to_net
    if net.gross_by_year is not None and not net.gross_by_year.empty:
        gross_by_year = net.gross_by_year
        if include_cofunders and net.gross > 0:
            gross_by_year = gross_by_year * (net.public_gross / net.gross)
        net_by_year = gross_by_year * ratio
    else:
        net_by_year = pd.Series({base: (net.public_net if include_cofunders else net.net)})
    own_net_by_year = (net.gross_by_year * ratio) if net.gross_by_year is not None and not net.gross_by_year.empty \
        else pd.Series({base: net.net})

    def rows(basis: str, cost: pd.Series, gross: float, net_jobs: float, nby: pd.Series) -> list[dict[str, Any]]:
        c, c_pv = float(cost.sum()), present_value(cost, rate, base)
        jy, jy_pv = net_job_years(nby, years, 0.0, base), net_job_years(nby, years, rate, base)
        out = []
        for measure, jobs, jobs_pv in (("gross job", gross, gross), ("net additional job", net_jobs, net_jobs),
                                       ("net job-year", jy, jy_pv)):
            out.append(dict(basis=basis, measure=measure, cost_nok=c, jobs=jobs, nok_per_job=_ratio(c, jobs),
                            cost_pv_nok=c_pv, jobs_pv=jobs_pv, nok_per_job_pv=_ratio(c_pv, jobs_pv)))
        return out

    public_gross = net.public_gross if include_cofunders else net.gross
    public_netj = net.public_net if include_cofunders else net.net
    table = pd.DataFrame(
        rows("public", costs["public_nok"], public_gross, public_netj, net_by_year)
        + rows("project_support", costs["project_support_nok"], net.gross, net.net, own_net_by_year)
    ).set_index(["basis", "measure"])
    return CostPerJob(
        table=table,
        costs=costs,
        leverage=leverage(projects),
        benchmarks=published_benchmarks(gbp_nok),
        discount_rate=rate,
        persistence_years=years,
        base_year=base,
        include_cofunders=bool(include_cofunders),
    )


def _ratio(cost: float, jobs: float) -> float:
    """Cost per job; infinite when a positive cost bought no jobs."""
    if jobs > 0:
        return cost / jobs
    return float("inf") if cost > 0 else float("nan")
