"""What came out, before any claim of effect: registered (gross) jobs.

Registered full-time equivalents, *new* and *secured* kept apart (secured
jobs are never counted as net creation by default), against the programme's
target; jobs the firms expect (survey) reported separately; and the cost per
registered job. Definitions: ``docs/data-model.md`` (the tables) and the
README's "Methods and their sources".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from evalkit.results import Result
from evalkit.errors import InputError
from evalkit.methods.descriptive.portfolio import Portfolio
from evalkit.io.programme import Programme

if TYPE_CHECKING:
    import matplotlib.pyplot as plt


@dataclass(frozen=True, eq=False, repr=False)
class GrossJobs(Result):
    """Registered jobs (FTE), new and secured.

    Attributes
    ----------
    new, secured
        Registered new and secured FTE in total.
    by_year
        FTE per registration year: ``new``, ``secured``, ``total``, ``cumulative``.
    by_project
        FTE per project: ``new``, ``secured``, ``total``.
    """

    new: float
    secured: float
    by_year: pd.DataFrame
    by_project: pd.DataFrame

    @property
    def total(self) -> float:
        """New plus secured FTE."""
        return self.new + self.secured

    def to_frame(self) -> pd.DataFrame:
        return self.by_year

    def summary(self) -> str:
        return f"{self.total:,.1f} registered FTE: {self.new:,.1f} new and {self.secured:,.1f} secured."

    def context(self) -> dict[str, float]:
        """Plain values for the report's templates (no words)."""
        return {"new": float(self.new), "secured": float(self.secured), "total": float(self.total)}

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {
            "jobs.registered.total": round(self.total, 6),
            "jobs.registered.new": round(self.new, 6),
            "jobs.registered.secured": round(self.secured, 6),
        }


def gross_jobs(programme: Programme) -> GrossJobs:
    """Sum the programme's job registrations.

    Parameters
    ----------
    programme
        Validated records.

    Returns
    -------
    GrossJobs
    """
    jobs = programme.jobs.rename(columns={"new_fte": "new", "secured_fte": "secured"})
    by_year = jobs.groupby("year", sort=True)[["new", "secured"]].sum()
    by_year["total"] = by_year["new"] + by_year["secured"]
    by_year["cumulative"] = by_year["total"].cumsum()
    by_project = jobs.groupby("project_id", sort=True)[["new", "secured"]].sum()
    by_project["total"] = by_project["new"] + by_project["secured"]
    return GrossJobs(
        new=float(jobs["new"].sum()),
        secured=float(jobs["secured"].sum()),
        by_year=by_year,
        by_project=by_project.sort_values("total", ascending=False, kind="stable"),
    )


def expected_jobs(programme: Programme) -> float:
    """Jobs the responding firms expect from their projects in total (survey)."""
    return float(programme.survey["expected_jobs"].sum(skipna=True))


@dataclass(frozen=True, eq=False, repr=False)
class TargetAttainment(Result):
    """Registered jobs against the programme's quantitative target.

    Attributes
    ----------
    target
        The target for new and secured jobs.
    registered
        Registered new and secured FTE.
    expected
        Jobs the firms expect (survey), reported apart; ``nan`` without a survey.
    cumulative
        Cumulative registered FTE by year.
    """

    target: float
    registered: float
    expected: float
    cumulative: pd.Series

    @property
    def attainment(self) -> float:
        """Registered jobs as a share of the target."""
        return self.registered / self.target

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"value": {"target": self.target, "registered": self.registered,
                       "attainment": self.attainment, "expected (survey)": self.expected}}
        )

    def summary(self) -> str:
        return f"{self.registered:,.0f} of {self.target:,.0f} target jobs registered ({self.attainment:.0%})."

    def context(self) -> dict[str, float | None]:
        """Plain values for the report's templates (no words); no survey: ``expected`` is ``None``."""
        return {
            "target": float(self.target),
            "registered": float(self.registered),
            "attainment": float(self.attainment),
            "expected": float(self.expected) if self.expected == self.expected else None,
        }

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {
            "target.jobs": self.target,
            "target.attainment": round(self.attainment, 6),
            "jobs.expected.total": round(self.expected, 6),
        }

    def plot(self, ax: plt.Axes | None = None, *, labels: dict[str, str] | None = None):
        """Cumulative registered jobs by year against the target line.

        Returns
        -------
        (fig, ax)
        """
        import matplotlib.pyplot as plt  # here, not at import: pyplot costs ~0.3 s

        words = {"registered": "Registered jobs, cumulative", "target": "Target",
                 "expected": "Expected by firms (survey)", "ylabel": "Jobs (FTE)"} | (labels or {})
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 4))
        years = self.cumulative.index.astype(int)
        ax.bar(years, self.cumulative.to_numpy(), color="#2b6f9e", label=words["registered"], width=0.7)
        ax.axhline(self.target, color="#c0392b", linestyle="--", linewidth=1.5, label=words["target"])
        if self.expected == self.expected:  # not nan
            ax.axhline(self.expected, color="#7f8c8d", linestyle=":", linewidth=1.5, label=words["expected"])
        ax.set_xticks(list(years))
        ax.set_ylabel(words["ylabel"])
        ax.set_ylim(0, max(self.target, self.expected if self.expected == self.expected else 0,
                           float(self.cumulative.max())) * 1.12)
        # Legend under the axes: inside, it would cover the target line.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False, fontsize="small")
        ax.spines[["top", "right"]].set_visible(False)
        return fig, ax


def target_attainment(gross: GrossJobs, target: float, expected: float = float("nan")) -> TargetAttainment:
    """Compare registered jobs with the target.

    Parameters
    ----------
    gross
        Registered jobs (:func:`gross_jobs`).
    target
        The programme's target for new and secured jobs (> 0).
    expected
        Jobs the firms expect (:func:`expected_jobs`), shown beside.
    """
    if not target > 0:
        raise InputError(f"must be > 0, got {target}.", parameter="target_jobs")
    return TargetAttainment(
        target=float(target),
        registered=gross.total,
        expected=float(expected),
        cumulative=gross.by_year["cumulative"],
    )


@dataclass(frozen=True, eq=False, repr=False)
class CostPerRegisteredJob(Result):
    """Cost per registered (gross) job, before attribution or additionality.

    Attributes
    ----------
    project_support_nok
        Project support (grants paid) per registered FTE.
    programme_total_nok
        All programme funds (incl. administration) per registered FTE.
    """

    project_support_nok: float
    programme_total_nok: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"NOK per registered job": {
            "project support only": self.project_support_nok,
            "programme funds in total": self.programme_total_nok}})

    def summary(self) -> str:
        return (f"NOK {self.project_support_nok:,.0f} of project support and "
                f"NOK {self.programme_total_nok:,.0f} of programme funds per registered job.")

    def context(self) -> dict[str, float]:
        """Plain values for the report's templates (no words)."""
        return {"project_support_nok": float(self.project_support_nok), "programme_total_nok": float(self.programme_total_nok)}

    def figures(self) -> dict[str, float]:
        """This result's ``results.json`` figures."""
        return {
            "cost_per_job.registered.project_support_nok": round(self.project_support_nok, 2),
            "cost_per_job.registered.programme_total_nok": round(self.programme_total_nok, 2),
        }


def cost_per_registered_job(portfolio: Portfolio, gross: GrossJobs) -> CostPerRegisteredJob:
    """Divide the programme's funds by its registered jobs.

    A simple, commonly published ratio: it credits the programme with every
    registered job, so it is a lower bound of the cost per job the programme
    caused (see the net-effect chapter for attribution and additionality).
    """
    if gross.total <= 0:
        nan = float("nan")
        return CostPerRegisteredJob(nan, nan)
    return CostPerRegisteredJob(
        project_support_nok=portfolio.project_support_nok / gross.total,
        programme_total_nok=portfolio.programme_total_nok / gross.total,
    )
