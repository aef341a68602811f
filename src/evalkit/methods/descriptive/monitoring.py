"""A programme's status while it runs: budget frame, grants, priorities and a forecast.

A *status report* (statusrapport) tells a programme's board and owners where
the programme stands part-way through its period: how much of the frame the
owners put in has been granted and paid, whether the agreed share of the frame
goes to firms (Gjøvikregionen: "90 % av rammen skal ut til bedriftene"), how
the projects spread over the priority sectors and the early phases, and
whether the frame will be used by the end of the period. The seed's source is
Vestre Toten kommune's presentation of the programmes (status end 2018: 17
projects, about 5.5 MNOK granted, "prognosen er at rammene for 2017-2018 vil
bli nyttet fullt ut").

Conventions
-----------
* ``budget`` holds the programme's *frame*: what the owners decided to put in,
  by year and use (``project_support`` is the part meant for firms).
* *Granted* is ``grant_approved_nok`` in the year the grant was approved;
  *paid* is ``grant_paid_nok`` so far. The data model has no payment dates, so
  paid amounts are shown under the year the grant was approved.
* Results hold figures, not words: a report's chapters
  (:mod:`evalkit.report.chapters.monitoring`) write the sentences.
* All functions are pure; SSB's population table is read by
  :func:`evalkit.io.ssb.read_population_panel` (the I/O edge).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from evalkit.errors import InputError
from evalkit.io.programme import Programme
from evalkit.results import Result

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

#: Gjøvikregionen's priority sectors (industry, ICT, bioeconomy: food and wood products).
PRIORITY_SECTORS: tuple[str, ...] = ("Industri", "IKT", "Bioøkonomi")
#: Early, high-risk phases the regional programme gives priority to.
EARLY_PHASES: tuple[str, ...] = ("forstudie", "forprosjekt")
#: Forecast methods of :func:`budget_forecast`.
FORECAST_METHODS: tuple[str, ...] = ("last_year", "mean")
#: Target share of the frame to firms in Gjøvikregionen's programme.
FIRM_SHARE_TARGET = 0.90

_BLUE, _GREY, _RED, _LIGHT = "#2b6f9e", "#7f8c8d", "#c0392b", "#a9cce3"


def _share(part: float, whole: float) -> float:
    return part / whole if whole else float("nan")


# --- the region --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class RegionPopulation(Result):
    """The population of a programme's region on 1 January of one year.

    Attributes
    ----------
    year
        The year (population on 1 January).
    by_municipality
        Index ``municipality_code``; columns ``municipality_name``, ``population``, ``share``.
    """

    year: int
    by_municipality: pd.DataFrame

    @property
    def total(self) -> int:
        """Inhabitants of the region."""
        return int(self.by_municipality["population"].sum())

    @property
    def municipalities(self) -> int:
        """Number of municipalities in the region."""
        return len(self.by_municipality)

    PLOT_LABELS: ClassVar[dict[str, str]] = {"xlabel": "Inhabitants"}

    def to_frame(self) -> pd.DataFrame:
        return self.by_municipality.copy()

    def context(self) -> dict[str, Any]:
        """Plain values for templates: year, inhabitants, municipalities and their names."""
        return {"year": self.year, "total": self.total, "municipalities": self.municipalities,
                "names": [str(n) for n in self.by_municipality["municipality_name"]]}

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {"region.population": self.total, "region.municipalities": self.municipalities,
                "region.population_year": self.year}

    def plot(self, ax: plt.Axes | None = None, *, labels: dict[str, str] | None = None) -> tuple[plt.Figure, plt.Axes]:
        """Inhabitants per municipality, largest on top.

        Returns
        -------
        (fig, ax)
        """
        words = self._labels(labels)
        import matplotlib.pyplot as plt  # here: pyplot costs ~0.3 s at import
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 3.2))
        data = self.by_municipality.sort_values("population")
        ax.barh(data["municipality_name"], data["population"], color=_BLUE)
        ax.set_xlabel(words["xlabel"])
        ax.spines[["top", "right"]].set_visible(False)
        return fig, ax


def region_population(panel: pd.DataFrame, codes: Sequence[str], year: int) -> RegionPopulation:
    """Population of the municipalities ``codes`` on 1 January ``year``.

    Parameters
    ----------
    panel
        SSB 07459 as returned by :func:`evalkit.io.ssb.read_population_panel`
        (persons in ``pop``; a frame with ``population`` instead is read too).
    codes
        Municipality codes (2024 borders), e.g. Gjøvikregionen's
        ``["3407", "3442", "3443", "3447", "3448"]``.
    year
        Year of the count.

    Returns
    -------
    RegionPopulation

    Raises
    ------
    InputError
        If ``codes`` is empty or a code has no population that year.

    Examples
    --------
    >>> region_population(read_population_panel("data/ssb/ssb07459_population_jan1_municipalities_b2024_2005_2026.csv"),
    ...                   ["3407", "3442", "3443", "3447", "3448"], 2017).total  # doctest: +SKIP
    70875
    """
    codes = [str(c).zfill(4) for c in codes]
    if not codes:
        raise InputError("is empty.", parameter="municipality_codes", hint="List the region's municipality codes.")
    rows = panel[(panel["year"] == year) & panel["municipality_code"].isin(codes)]
    found = set(rows["municipality_code"])
    missing = [c for c in codes if c not in found]
    if missing:
        years = sorted(panel["year"].unique())
        raise InputError(
            f"the municipality {missing[0]} has no population on 1 January {year} in SSB 07459.",
            parameter="municipality_codes",
            hint=f"Use 2024 municipality codes and a year in {years[0]}-{years[-1]}." if years else None,
        )
    persons = "population" if "population" in panel.columns else "pop"
    table = rows.set_index("municipality_code").loc[codes, ["municipality_name", persons]].rename(columns={persons: "population"})
    table["population"] = table["population"].astype(int)
    table["share"] = table["population"] / table["population"].sum()
    return RegionPopulation(year=int(year), by_municipality=table)


# --- the budget frame ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class BudgetStatus(Result):
    """The frame, what has been granted and paid, by year, at the end of ``status_year``.

    Attributes
    ----------
    status_year
        The status is at the end of this year.
    by_year
        Every year of the frame (index ``year``): ``frame_nok`` (all uses),
        ``firm_frame_nok`` (project support), ``administration_nok``,
        ``projects``, ``granted_nok``, ``paid_nok`` (paid so far, under the
        year of approval), ``cumulative_granted_nok``. Grants are 0 after
        ``status_year``.
    firm_share_target
        The agreed share of the frame to firms (Gjøvikregionen: 0.90).
    """

    status_year: int
    by_year: pd.DataFrame
    firm_share_target: float = FIRM_SHARE_TARGET

    @property
    def _to_date(self) -> pd.DataFrame:
        return self.by_year.loc[self.by_year.index <= self.status_year]

    @property
    def first_year(self) -> int:
        return int(self.by_year.index.min())

    @property
    def last_year(self) -> int:
        """Last year of the frame (the end of the programme period)."""
        return int(self.by_year.index.max())

    @property
    def frame_nok(self) -> float:
        """The frame of the years up to and including ``status_year``."""
        return float(self._to_date["frame_nok"].sum())

    @property
    def firm_frame_nok(self) -> float:
        """The part of :attr:`frame_nok` meant for firms (project support)."""
        return float(self._to_date["firm_frame_nok"].sum())

    @property
    def frame_period_nok(self) -> float:
        """The frame of the whole period."""
        return float(self.by_year["frame_nok"].sum())

    @property
    def firm_frame_period_nok(self) -> float:
        """Project support in the frame of the whole period."""
        return float(self.by_year["firm_frame_nok"].sum())

    @property
    def granted_nok(self) -> float:
        """Grants approved up to the end of ``status_year``."""
        return float(self.by_year["granted_nok"].sum())

    @property
    def paid_nok(self) -> float:
        """Grants paid so far."""
        return float(self.by_year["paid_nok"].sum())

    @property
    def projects(self) -> int:
        """Projects granted up to the end of ``status_year``."""
        return int(self.by_year["projects"].sum())

    @property
    def firm_share(self) -> float:
        """Actual: grants to firms as a share of the frame so far (compare with the target)."""
        return _share(self.granted_nok, self.frame_nok)

    @property
    def firm_share_planned(self) -> float:
        """Planned: project support's share of the frame of the whole period."""
        return _share(self.firm_frame_period_nok, self.frame_period_nok)

    @property
    def firm_frame_used(self) -> float:
        """Grants as a share of the firm frame so far."""
        return _share(self.granted_nok, self.firm_frame_nok)

    PLOT_LABELS: ClassVar[dict[str, str]] = {
        "firm_frame": "Frame for firms", "granted": "Granted", "paid": "Paid so far", "ylabel": "NOK million"}

    def to_frame(self) -> pd.DataFrame:
        return self.by_year.copy()

    def context(self) -> dict[str, Any]:
        """Plain values for templates: the status's amounts, shares and years, and the grants of each year."""
        to_date = self._to_date
        return {
            "status_year": self.status_year, "first_year": self.first_year, "last_year": self.last_year,
            "years": [int(y) for y in to_date.index], "granted_by_year": [float(v) for v in to_date["granted_nok"]],
            "projects": self.projects, "frame_nok": self.frame_nok, "firm_frame_nok": self.firm_frame_nok,
            "frame_period_nok": self.frame_period_nok, "firm_frame_period_nok": self.firm_frame_period_nok,
            "frame_per_year_nok": self.frame_period_nok / len(self.by_year),
            "granted_nok": self.granted_nok, "paid_nok": self.paid_nok, "firm_share": self.firm_share,
            "firm_share_planned": self.firm_share_planned, "firm_share_target": self.firm_share_target,
            "firm_frame_used": self.firm_frame_used,
        }

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {
            "projects.count": self.projects,
            "funding.frame_nok": self.frame_nok,
            "funding.frame_period_nok": self.frame_period_nok,
            "funding.firm_frame_nok": self.firm_frame_nok,
            "funding.granted_nok": self.granted_nok,
            "funding.paid_nok": self.paid_nok,
            "funding.firm_share": round(self.firm_share, 6),
            "funding.firm_share_planned": round(self.firm_share_planned, 6),
            "funding.firm_share_target": self.firm_share_target,
            "funding.firm_frame_used": round(self.firm_frame_used, 6),
            "status.year": self.status_year,
        }

    def plot(self, ax: plt.Axes | None = None, *, labels: dict[str, str] | None = None) -> tuple[plt.Figure, plt.Axes]:
        """Frame for firms, granted and paid, by year up to the status year (bars, NOK million).

        Returns
        -------
        (fig, ax)
        """
        words = self._labels(labels)
        import matplotlib.pyplot as plt  # here: pyplot costs ~0.3 s at import
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 3.6))
        data = self._to_date / 1e6
        years = data.index.astype(int).to_numpy()
        width = 0.27
        ax.bar(years - width, data["firm_frame_nok"], width, color=_LIGHT, label=words["firm_frame"])
        ax.bar(years, data["granted_nok"], width, color=_BLUE, label=words["granted"])
        ax.bar(years + width, data["paid_nok"], width, color=_GREY, label=words["paid"])
        ax.set_xticks(list(years))
        ax.set_ylabel(words["ylabel"])
        # Below the axes: the frame bars reach the top, a legend inside would hide them.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return fig, ax


def budget_status(programme: Programme, status_year: int, *, firm_share_target: float = FIRM_SHARE_TARGET) -> BudgetStatus:
    """Where the programme stands against its frame at the end of ``status_year``.

    Parameters
    ----------
    programme
        Validated records; ``budget`` is read as the frame decided by the owners.
    status_year
        The status is at the end of this year; it must be a year of the frame.
    firm_share_target
        The agreed share of the frame to firms, in (0, 1].

    Returns
    -------
    BudgetStatus

    Raises
    ------
    InputError
        If ``status_year`` is outside the frame, a project was granted after
        it or in a year without a frame, or the target is not a share.
    """
    if not 0 < firm_share_target <= 1:
        raise InputError(f"must be a share in (0, 1], got {firm_share_target!r}.", parameter="firm_share_target",
                         hint="Gjøvikregionen's target is 0.9 (90 % of the frame to firms).")
    budget, projects = programme.budget, programme.projects
    years = sorted(int(y) for y in budget["year"].unique())
    if not years or status_year not in years:
        raise InputError(
            f"{status_year} is not a year of the programme's frame ({years[0]}-{years[-1]})." if years
            else "the budget (frame) is empty.",
            parameter="status_year", hint="The status year is the evaluation's last year (period).")
    late = projects.loc[projects["year"] > status_year, "project_id"]
    if len(late):
        raise InputError(
            f"the project {late.iloc[0]} was granted after the status year {status_year}.",
            file="projects", column="year", hint="Set the evaluation's period to end in the last year of grants.")
    outside = sorted(set(int(y) for y in projects["year"]) - set(years))
    if outside:
        raise InputError(f"projects were granted in {outside[0]}, a year with no frame in the budget.",
                         file="budget", column="year", hint="Add that year's frame to budget.")
    frame = budget.pivot_table(index="year", columns="category", values="amount_nok", aggfunc="sum", fill_value=0.0)
    frame = frame.reindex(columns=["project_support", "administration", "other"], fill_value=0.0)
    grants = projects.groupby("year").agg(
        projects=("project_id", "size"), granted_nok=("grant_approved_nok", "sum"), paid_nok=("grant_paid_nok", "sum"))
    table = pd.DataFrame(index=pd.Index(years, name="year"))
    table["frame_nok"] = frame.sum(axis=1).reindex(years).astype(float)
    table["firm_frame_nok"] = frame["project_support"].reindex(years).astype(float)
    table["administration_nok"] = frame["administration"].reindex(years).astype(float)
    table["projects"] = grants["projects"].reindex(years, fill_value=0).astype(int)
    table["granted_nok"] = grants["granted_nok"].reindex(years, fill_value=0.0).astype(float)
    table["paid_nok"] = grants["paid_nok"].reindex(years, fill_value=0.0).astype(float)
    table["cumulative_granted_nok"] = table["granted_nok"].cumsum()
    return BudgetStatus(status_year=int(status_year), by_year=table, firm_share_target=float(firm_share_target))


# --- priorities: sectors and phases -------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class PrioritySpread(Result):
    """Projects and grants by sector and phase, against the programme's priorities.

    Attributes
    ----------
    projects
        Number of projects, sector (rows) by phase (columns), with ``total``.
    granted
        Grants approved (NOK), same shape.
    priority_sectors, early_phases
        The priorities the spread is judged against.
    """

    projects: pd.DataFrame
    granted: pd.DataFrame
    priority_sectors: tuple[str, ...]
    early_phases: tuple[str, ...]

    @property
    def _total(self) -> float:
        return float(self.granted["total"].sum())

    @property
    def priority_sector_share(self) -> float:
        """Share of the grants to projects in a priority sector."""
        rows = [s for s in self.priority_sectors if s in self.granted.index]
        return _share(float(self.granted.loc[rows, "total"].sum()), self._total)

    @property
    def early_phase_share(self) -> float:
        """Share of the grants to early-phase projects (pre-studies, pre-projects)."""
        columns = [p for p in self.early_phases if p in self.granted.columns]
        return _share(float(self.granted[columns].to_numpy().sum()), self._total)

    @property
    def early_phase_projects(self) -> int:
        columns = [p for p in self.early_phases if p in self.projects.columns]
        return int(self.projects[columns].to_numpy().sum())

    @property
    def priority_sectors_covered(self) -> int:
        """How many of the priority sectors have at least one project."""
        return sum(1 for s in self.priority_sectors if s in self.projects.index and self.projects.loc[s, "total"] > 0)

    def tidy(self) -> pd.DataFrame:
        """One row per sector and phase: ``sector``, ``phase``, ``projects``, ``granted_nok``."""
        phases = [c for c in self.projects.columns if c != "total"]
        count = self.projects[phases].stack().rename("projects")
        money = self.granted[phases].stack().rename("granted_nok")
        out = pd.concat([count, money], axis=1).reset_index()
        out.columns = ["sector", "phase", "projects", "granted_nok"]
        return out[out["projects"] > 0].reset_index(drop=True)

    def by_sector(self) -> pd.DataFrame:
        """Projects, grants and share of grants per sector (priority sectors first)."""
        out = pd.DataFrame({"projects": self.projects["total"], "granted_nok": self.granted["total"]})
        out["share_of_grants"] = out["granted_nok"] / self._total if self._total else float("nan")
        return out

    def by_phase(self) -> pd.DataFrame:
        """Projects, grants and share of grants per phase."""
        phases = [c for c in self.projects.columns if c != "total"]
        out = pd.DataFrame({"projects": self.projects[phases].sum(), "granted_nok": self.granted[phases].sum()})
        out.index.name = "phase"
        out["share_of_grants"] = out["granted_nok"] / self._total if self._total else float("nan")
        return out

    PLOT_LABELS: ClassVar[dict[str, str]] = {"xlabel": "NOK million granted"}

    def to_frame(self) -> pd.DataFrame:
        return self.by_sector()

    def priority_shares(self) -> dict[str, float]:
        """Each priority sector's share of the grants to the priority sectors (0 for one without projects)."""
        money = self.granted["total"].reindex(list(self.priority_sectors), fill_value=0.0)
        whole = float(money.sum())
        return {str(s): _share(float(v), whole) for s, v in money.items()}

    def context(self) -> dict[str, Any]:
        """Plain values for templates: shares, counts and the priorities judged against."""
        by_phase = self.by_phase()
        later = by_phase.loc[[p for p in by_phase.index if p not in self.early_phases]]
        return {
            "priority_sector_share": self.priority_sector_share, "early_phase_share": self.early_phase_share,
            "early_phase_projects": self.early_phase_projects, "projects": int(self.projects["total"].sum()),
            "priority_sectors": list(self.priority_sectors), "early_phases": list(self.early_phases),
            "priority_sectors_covered": self.priority_sectors_covered,
            "sector_shares": {str(k): float(v) for k, v in self.by_sector()["share_of_grants"].items()},
            "priority_shares": self.priority_shares(),
            "later_phase_projects": {str(k): int(v) for k, v in later["projects"].items() if v > 0},
        }

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {
            "projects.priority_sector_share": round(self.priority_sector_share, 6),
            "projects.priority_sectors_covered": self.priority_sectors_covered,
            "projects.early_phase_share": round(self.early_phase_share, 6),
            "projects.early_phase_count": self.early_phase_projects,
        }

    def plot(self, ax: plt.Axes | None = None, *, labels: dict[str, str] | None = None) -> tuple[plt.Figure, plt.Axes]:
        """Grants by sector (bars) stacked by phase, NOK million.

        Parameters
        ----------
        labels
            ``xlabel`` and display names of phases and sectors (data codes: ``forstudie``, ``Industri``).

        Returns
        -------
        (fig, ax)
        """
        words = self._labels(labels)
        import matplotlib.pyplot as plt  # here: pyplot costs ~0.3 s at import
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 3.2))
        phases = [c for c in self.granted.columns if c != "total"]
        data = self.granted[phases].iloc[::-1] / 1e6  # first sector on top
        colours = [_BLUE, _LIGHT, _GREY, _RED, "#16a085"]
        left = pd.Series(0.0, index=data.index)
        for colour, phase in zip(colours, phases):
            ax.barh(data.index, data[phase], left=left, color=colour, label=words.get(phase, phase))
            left = left + data[phase]
        ax.set_yticks(range(len(data.index)), [words.get(str(sector), str(sector)) for sector in data.index])
        ax.set_xlabel(words["xlabel"])
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=len(phases), frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return fig, ax


def priority_spread(
    programme: Programme,
    *,
    priority_sectors: Sequence[str] = PRIORITY_SECTORS,
    early_phases: Sequence[str] = EARLY_PHASES,
) -> PrioritySpread:
    """Spread of projects and approved grants over sectors and phases.

    Rows are the priority sectors in the order given, then any other sector
    alphabetically; columns are the project types present, in the data
    model's order (``forstudie``, ``forprosjekt``, ``hovedprosjekt``, ...).

    Returns
    -------
    PrioritySpread

    Raises
    ------
    InputError
        If ``priority_sectors`` is empty.
    """
    from evalkit.io.schema import PROJECT_TYPES

    if not priority_sectors:
        raise InputError("is empty.", parameter="priority_sectors", hint="Name at least one priority sector.")
    projects = programme.projects
    present = set(projects["sector"])
    order = [s for s in priority_sectors] + sorted(present - set(priority_sectors))
    phases = [t for t in PROJECT_TYPES if t in set(projects["type"])]
    count = pd.crosstab(projects["sector"], projects["type"]).reindex(index=order, columns=phases, fill_value=0)
    money = projects.pivot_table(index="sector", columns="type", values="grant_approved_nok", aggfunc="sum",
                                 fill_value=0.0).reindex(index=order, columns=phases, fill_value=0.0)
    count["total"] = count.sum(axis=1)
    money["total"] = money.sum(axis=1)
    for frame in (count, money):
        frame.index.name, frame.columns.name = "sector", None
    return PrioritySpread(count.astype(int), money.astype(float), tuple(priority_sectors), tuple(early_phases))


# --- the forecast -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class BudgetForecast(Result):
    """Projected grants to the end of the programme period.

    Attributes
    ----------
    method
        ``last_year`` (the status year's grants continue each year) or
        ``mean`` (the mean yearly grants so far continue: a linear
        extrapolation of the cumulative grants from the start).
    rate_nok
        Grants a year assumed after the status year.
    status_year, end_year
        The forecast runs from ``status_year + 1`` to ``end_year``.
    path
        Per year: ``firm_frame_cumulative_nok``, ``granted_cumulative_nok``
        and ``kind`` (``actual`` / ``forecast``).
    status_frame_nok
        The firm frame up to the status year (what had been made available).
    """

    method: str
    rate_nok: float
    status_year: int
    end_year: int
    path: pd.DataFrame
    status_frame_nok: float

    @property
    def granted_end_nok(self) -> float:
        """Cumulative grants projected at the end of ``end_year``."""
        return float(self.path["granted_cumulative_nok"].iloc[-1])

    @property
    def budget_use_share(self) -> float:
        """Projected grants at the end of the period as a share of the period's firm frame."""
        return _share(self.granted_end_nok, float(self.path["firm_frame_cumulative_nok"].iloc[-1]))

    @property
    def status_frame_used_year(self) -> int | None:
        """The year the frame for firms up to the status year will be fully granted (None: never at this rate)."""
        granted = float(self.path.loc[self.status_year, "granted_cumulative_nok"])
        remaining = self.status_frame_nok - granted
        if remaining <= 0:
            return self.status_year
        if self.rate_nok <= 0:
            return None
        return self.status_year + math.ceil(remaining / self.rate_nok - 1e-9)

    PLOT_LABELS: ClassVar[dict[str, str]] = {
        "frame": "Frame for firms, cumulative", "actual": "Granted, cumulative", "forecast": "Forecast",
        "ylabel": "NOK million"}

    def to_frame(self) -> pd.DataFrame:
        return self.path.copy()

    def context(self) -> dict[str, Any]:
        """Plain values for templates: the method, the rate, the years and the projected use."""
        return {
            "method": self.method, "rate_nok": self.rate_nok, "status_year": self.status_year,
            "end_year": self.end_year, "granted_end_nok": self.granted_end_nok,
            "budget_use_share": self.budget_use_share, "status_frame_used_year": self.status_frame_used_year,
            "status_frame_nok": self.status_frame_nok,
        }

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {
            "forecast.budget_use_share": round(self.budget_use_share, 6),
            "forecast.granted_end_nok": self.granted_end_nok,
            "forecast.rate_nok": self.rate_nok,
            "forecast.end_year": self.end_year,
            "forecast.status_frame_used_year": self.status_frame_used_year,
        }

    def plot(self, ax: plt.Axes | None = None, *, labels: dict[str, str] | None = None) -> tuple[plt.Figure, plt.Axes]:
        """Cumulative grants (actual, then forecast) against the cumulative frame for firms.

        Returns
        -------
        (fig, ax)
        """
        words = self._labels(labels)
        import matplotlib.pyplot as plt  # here: pyplot costs ~0.3 s at import
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 3.6))
        data = self.path
        years = data.index.astype(int).to_numpy()
        ax.plot(years, data["firm_frame_cumulative_nok"] / 1e6, marker="s", color=_GREY, linewidth=1.5,
                label=words["frame"])
        actual = data[data["kind"] == "actual"]
        ahead = data.loc[data.index >= self.status_year]
        ax.plot(actual.index, actual["granted_cumulative_nok"] / 1e6, marker="o", color=_BLUE, label=words["actual"])
        ax.plot(ahead.index, ahead["granted_cumulative_nok"] / 1e6, marker="o", linestyle="--", color=_RED,
                label=words["forecast"])
        ax.set_xticks(list(years))
        ax.set_ylim(0, max(float(data["firm_frame_cumulative_nok"].max()), self.granted_end_nok) / 1e6 * 1.1)
        ax.set_ylabel(words["ylabel"])
        # Lower right stays empty: the cumulative lines rise from the left.
        ax.legend(loc="lower right", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return fig, ax


def budget_forecast(status: BudgetStatus, *, method: str = "last_year", end_year: int | None = None) -> BudgetForecast:
    """Forecast of the use of the frame for firms to the end of the period.

    A deliberately simple, stated extrapolation of the grant rate (what a
    status report to a board can defend): ``last_year`` carries the status
    year's grants forward each year (right after a slow start it reflects the
    current pace); ``mean`` carries the mean yearly grants so far (a linear
    extrapolation of cumulative grants from the start).

    Parameters
    ----------
    status
        :func:`budget_status` at the end of the status year.
    method
        ``last_year`` or ``mean``.
    end_year
        Last year of the forecast; default the frame's last year.

    Returns
    -------
    BudgetForecast

    Raises
    ------
    InputError
        For an unknown method or an end year before the status year.
    """
    if method not in FORECAST_METHODS:
        raise InputError(f"'{method}' is not a forecast method.", parameter="forecast_method",
                         hint=f"Use one of: {', '.join(FORECAST_METHODS)}.")
    end = status.last_year if end_year is None else int(end_year)
    if end < status.status_year:
        raise InputError(f"{end} is before the status year {status.status_year}.", parameter="end_year",
                         hint="The forecast runs from the status year to the end of the period.")
    to_date = status.by_year.loc[status.by_year.index <= status.status_year]
    rate = float(to_date["granted_nok"].iloc[-1]) if method == "last_year" else float(to_date["granted_nok"].mean())
    years = list(range(status.first_year, end + 1))
    # Years past the frame's last year have no frame: it stays at its final level.
    frame = status.by_year["firm_frame_nok"].reindex(years, fill_value=0.0).cumsum()
    granted = []
    for year in years:
        if year <= status.status_year:
            granted.append(float(status.by_year.loc[year, "cumulative_granted_nok"]))
        else:
            granted.append(granted[-1] + rate)
    path = pd.DataFrame(
        {"firm_frame_cumulative_nok": frame.to_numpy(dtype=float), "granted_cumulative_nok": granted,
         "kind": ["actual" if y <= status.status_year else "forecast" for y in years]},
        index=pd.Index(years, name="year"),
    )
    return BudgetForecast(method=method, rate_nok=rate, status_year=status.status_year, end_year=end, path=path,
                          status_frame_nok=status.firm_frame_nok)
