"""What went in: the programme's funds, projects and the firms it reached.

Follows the "resources used" and "activity" chapters of Innovasjon Norge's
outline of a final evaluation (sluttevaluering): funds by source and year,
the administration share, projects by type, sector and year, firms reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evalkit.results import Result
from evalkit.io.programme import Programme


@dataclass(frozen=True, eq=False, repr=False)
class Portfolio(Result):
    """Inputs and activity of a programme.

    Attributes
    ----------
    projects, firms_reached, new_firms, networks, competence_rounds
        Counts. Firms reached are the distinct applicants and participants.
    project_support_nok
        Grants paid to projects (the programme's project support).
    programme_total_nok
        All of the programme's own funds (budget: project support,
        administration and other).
    administration_nok
        Budget used for administration.
    funds_by_year
        Budget by year (rows) and category (columns), NOK.
    funds_by_source
        Budget by source, NOK.
    funds_by_source_and_year
        Budget by source (rows, largest first) and year (columns), NOK.
    projects_by_type, projects_by_sector, projects_by_year
        Number of projects and grant paid (NOK) per group.
    """

    projects: int
    firms_reached: int
    new_firms: int
    networks: int
    competence_rounds: int
    project_support_nok: float
    programme_total_nok: float
    administration_nok: float
    funds_by_year: pd.DataFrame
    funds_by_source: pd.Series
    projects_by_type: pd.DataFrame
    projects_by_sector: pd.DataFrame
    projects_by_year: pd.DataFrame
    funds_by_source_and_year: pd.DataFrame | None = None

    @property
    def project_support_share(self) -> float:
        """Project support as a share of the programme's funds."""
        return self.project_support_nok / self.programme_total_nok if self.programme_total_nok else float("nan")

    @property
    def administration_share(self) -> float:
        """Administration as a share of the programme's funds."""
        return self.administration_nok / self.programme_total_nok if self.programme_total_nok else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Key figures as one column."""
        return pd.DataFrame(
            {
                "value": {
                    "projects": self.projects,
                    "firms reached": self.firms_reached,
                    "new firms": self.new_firms,
                    "networks": self.networks,
                    "competence programme rounds": self.competence_rounds,
                    "project support (NOK)": self.project_support_nok,
                    "programme funds (NOK)": self.programme_total_nok,
                    "project support share": self.project_support_share,
                    "administration share": self.administration_share,
                }
            }
        )

    def summary(self) -> str:
        return (
            f"{self.projects} projects, {self.firms_reached} firms reached ({self.new_firms} new), "
            f"project support NOK {self.project_support_nok:,.0f} = "
            f"{self.project_support_share:.0%} of NOK {self.programme_total_nok:,.0f}."
        )

    def context(self) -> dict[str, object]:
        """Plain values for the report's templates (no words)."""
        years = [int(y) for y in self.funds_by_year.index]
        return {
            "projects": int(self.projects),
            "firms_reached": int(self.firms_reached),
            "new_firms": int(self.new_firms),
            "networks": int(self.networks),
            "competence_rounds": int(self.competence_rounds),
            "project_support_nok": float(self.project_support_nok),
            "programme_total_nok": float(self.programme_total_nok),
            "administration_nok": float(self.administration_nok),
            "project_support_share": float(self.project_support_share),
            "administration_share": float(self.administration_share),
            "first_year": min(years) if years else None,
            "last_year": max(years) if years else None,
            "years": len(years),
        }

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {
            "projects.count": self.projects,
            "firms.count": self.firms_reached,
            "firms.new": self.new_firms,
            "networks.count": self.networks,
            "competence_rounds.count": self.competence_rounds,
            "funding.project_support_nok": self.project_support_nok,
            "funding.programme_total_nok": self.programme_total_nok,
            "funding.project_support_share": self.project_support_share,
            "funding.administration_share": self.administration_share,
        }


def _count_and_grant(projects: pd.DataFrame, by: str) -> pd.DataFrame:
    grouped = projects.groupby(by, sort=True).agg(
        projects=("project_id", "size"), grant_paid_nok=("grant_paid_nok", "sum")
    )
    grouped["share_of_grants"] = grouped["grant_paid_nok"] / grouped["grant_paid_nok"].sum()
    return grouped


def firms_reached(programme: Programme) -> pd.Index:
    """Organisation numbers of the firms reached: applicants and participants."""
    ids = pd.concat([programme.projects["org_number"], programme.participants["org_number"]])
    return pd.Index(sorted(ids.unique()), name="org_number")


def portfolio(programme: Programme) -> Portfolio:
    """Summarise what went into a programme and what it funded.

    Parameters
    ----------
    programme
        Validated records (:func:`evalkit.load_programme`).

    Returns
    -------
    Portfolio

    Examples
    --------
    >>> p = portfolio(load_programme("data/vestre_toten"))  # doctest: +SKIP
    >>> p.projects, p.project_support_share  # doctest: +SKIP
    (63, 0.8)
    """
    budget, projects = programme.budget, programme.projects
    reached = firms_reached(programme)
    firms = programme.firms.set_index("org_number")
    by_year = budget.pivot_table(
        index="year", columns="category", values="amount_nok", aggfunc="sum", fill_value=0.0
    )
    by_year["total"] = by_year.sum(axis=1)
    by_year.columns.name = None
    return Portfolio(
        projects=len(projects),
        firms_reached=len(reached),
        new_firms=int(firms.loc[reached, "new_firm"].sum()),
        networks=int((projects["type"] == "nettverk").sum()),
        competence_rounds=int((projects["type"] == "kompetanse").sum()),
        project_support_nok=float(projects["grant_paid_nok"].sum()),
        programme_total_nok=float(budget["amount_nok"].sum()),
        administration_nok=float(budget.loc[budget["category"] == "administration", "amount_nok"].sum()),
        funds_by_year=by_year,
        funds_by_source=budget.groupby("source")["amount_nok"].sum().sort_values(ascending=False),
        projects_by_type=_count_and_grant(projects, "type"),
        projects_by_sector=_count_and_grant(projects, "sector").sort_values("grant_paid_nok", ascending=False),
        projects_by_year=_count_and_grant(projects, "year"),
        funds_by_source_and_year=_by_source_and_year(budget),
    )


def _by_source_and_year(budget: pd.DataFrame) -> pd.DataFrame:
    table = budget.pivot_table(index="source", columns="year", values="amount_nok", aggfunc="sum", fill_value=0.0)
    table.columns.name = None
    return table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
