"""Job attribution: how many of the registered jobs the programme can claim.

A project co-funded by Innovasjon Norge, the county or the firms themselves
is credited to the programme only by the programme's share of its funding:
by default its share of the project's *public* funding ("all public funding
sources must be taken into account when assessing additionality", DFP
Northern Ireland appraisal guidance), optionally of the project's total cost.

No double counting: a firm's registered jobs are pooled over all its projects
(as applicant, participant or job-registering firm) and credited once, by the
programme's share of the funding of those projects; the credit is then
apportioned across the firm's projects by the programme's funding in each.
So a firm is never credited more jobs than it registered, and a firm with
one project gets exactly ``share x registered``.

Time: jobs registered inside the programme period and after it are kept apart;
jobs the firms *expect* (survey) are reported separately, times a realisation
rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.results import Result
from evalkit.errors import InputError
from evalkit.io.programme import file_row  # the loader keeps each row's number in the file

AttributionBasis = Literal["public_funding", "total_cost"]
ATTRIBUTION_BASES: tuple[str, ...] = ("public_funding", "total_cost")


_PROJECT_COLUMNS = (
    "project_id",
    "org_number",
    "grant_paid_nok",
    "total_cost_nok",
    "cofunding_innovasjon_norge_nok",
    "cofunding_other_public_nok",
    "cofunding_private_nok",
)
_JOB_COLUMNS = ("project_id", "org_number", "year", "new_fte", "secured_fte")


def source_file(frame: pd.DataFrame) -> str | None:
    """The file a frame was read from, when its loader recorded it in ``attrs``."""
    return frame.attrs.get("source_file") if hasattr(frame, "attrs") else None


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> None:
    """Raise :class:`InputError` naming the first missing column of ``table``."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a DataFrame of {table}, got {type(frame).__name__}.", parameter=table)
    for column in columns:
        if column not in frame.columns:
            raise InputError(
                f"the {table} table has no column '{column}'.",
                file=source_file(frame),
                column=column,
                hint="See docs/data-model.md for the columns.",
            )


def _check_amounts(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> None:
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~(values >= 0))  # catches NaN and negatives
        if bad.size:
            raise InputError(
                f"expected a number >= 0 in the {table} table, got {frame[column].iloc[bad[0]]!r}.",
                file=source_file(frame),
                row=file_row(frame, bad[0]),
                column=column,
            )


def check_period(period: tuple[int, int]) -> tuple[int, int]:
    """Validate the programme period ``(first_year, last_year)``."""
    try:
        start, end = (int(y) for y in period)
    except (TypeError, ValueError):
        raise InputError(
            f"expected (first_year, last_year), got {period!r}.", parameter="period"
        ) from None
    if start > end:
        raise InputError(f"the first year {start} is after the last year {end}.", parameter="period")
    return start, end


@dataclass(frozen=True, eq=False, repr=False)
class JobAttribution(Result):
    """Registered jobs and the programme's share of them, per project and per firm.

    Attributes
    ----------
    projects
        One row per project (index ``project_id``): applicant, grant, funding
        basis, ``programme_share``, registered and attributed FTE (new, secured;
        new split into inside / after the programme period).
    firms
        One row per firm (index ``org_number``): number of projects, registered
        FTE, ``firm_share`` (programme share of the funding of the firm's
        projects) and attributed FTE.
    allocation
        One row per (firm, project) link: the programme's and the basis
        funding apportioned to the firm, what it registered under the project
        and what the programme is credited with. ``tidy()`` returns it.
    by_year
        Attributed FTE by registration year (programme and all public funders).
    attribution_basis
        ``"public_funding"`` or ``"total_cost"``.
    period
        The programme period ``(first_year, last_year)``.
    realisation_rate
        Share of expected jobs assumed realised.
    expected_jobs
        Jobs the responding firms expect from their projects (survey), in total.
    expected_jobs_attributed
        Expected jobs times the programme share of each project.
    expected_jobs_answers
        Number of survey answers that gave expected jobs.
    """

    projects: pd.DataFrame
    firms: pd.DataFrame
    allocation: pd.DataFrame
    by_year: pd.DataFrame
    attribution_basis: str
    period: tuple[int, int]
    realisation_rate: float
    expected_jobs: float
    expected_jobs_attributed: float
    expected_jobs_answers: int

    # -- totals -------------------------------------------------------------
    @property
    def registered_new_fte(self) -> float:
        """New FTE registered, all projects and years."""
        return float(self.allocation["registered_new_fte"].sum())

    @property
    def registered_secured_fte(self) -> float:
        """Secured FTE registered, all projects and years."""
        return float(self.allocation["registered_secured_fte"].sum())

    @property
    def attributed_new_fte(self) -> float:
        """New FTE the programme can claim."""
        return float(self.allocation["attributed_new_fte"].sum())

    @property
    def attributed_secured_fte(self) -> float:
        """Secured FTE the programme can claim."""
        return float(self.allocation["attributed_secured_fte"].sum())

    @property
    def attributed_new_fte_in_period(self) -> float:
        """Attributed new FTE registered inside the programme period."""
        return float(self.allocation["attributed_new_fte_in_period"].sum())

    @property
    def attributed_new_fte_after(self) -> float:
        """Attributed new FTE registered after the programme period."""
        return float(self.allocation["attributed_new_fte_after"].sum())

    @property
    def public_attributed_new_fte(self) -> float:
        """New FTE attributable to all public funders together (programme + co-funders)."""
        return float(self.allocation["public_attributed_new_fte"].sum())

    @property
    def public_attributed_secured_fte(self) -> float:
        """Secured FTE attributable to all public funders together."""
        return float(self.allocation["public_attributed_secured_fte"].sum())

    @property
    def expected_jobs_realised(self) -> float:
        """Expected jobs (survey) times the realisation rate."""
        return self.expected_jobs * self.realisation_rate

    @property
    def expected_jobs_attributed_realised(self) -> float:
        """Expected jobs times the programme share times the realisation rate."""
        return self.expected_jobs_attributed * self.realisation_rate

    @property
    def surveyed_firms(self) -> int:
        """Firms that are the applicant of at least one project (the survey population)."""
        return int(self.projects["org_number"].nunique())

    # -- display ------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Totals: registered, attributed (in/after period), expected jobs."""
        start, end = self.period
        rows = [
            ("registered", self.registered_new_fte, self.registered_secured_fte),
            ("attributed to the programme", self.attributed_new_fte, self.attributed_secured_fte),
            (f"  of which registered {start}-{end}", self.attributed_new_fte_in_period, np.nan),
            (f"  of which registered after {end}", self.attributed_new_fte_after, np.nan),
            ("attributed to all public funders", self.public_attributed_new_fte,
             self.public_attributed_secured_fte),
            ("expected by the firms (survey)", self.expected_jobs, np.nan),
            (f"expected x realisation rate {self.realisation_rate:g}", self.expected_jobs_realised, np.nan),
            ("expected x programme share x realisation rate",
             self.expected_jobs_attributed_realised, np.nan),
        ]
        return pd.DataFrame(rows, columns=["jobs", "new_fte", "secured_fte"]).set_index("jobs")

    def tidy(self) -> pd.DataFrame:
        """The (firm, project) allocation as a flat frame: where each job came from."""
        return self.allocation.reset_index(drop=True)

    def summary(self) -> str:
        """One line of totals."""
        share = self.attributed_new_fte / self.registered_new_fte if self.registered_new_fte else np.nan
        start, end = self.period
        return (
            f"Programme share of {self.registered_new_fte:.1f} registered new FTE: "
            f"{self.attributed_new_fte:.1f} ({share:.0%}) on the {self.attribution_basis} basis; "
            f"{self.attributed_new_fte_in_period:.1f} registered {start}-{end}, "
            f"{self.attributed_new_fte_after:.1f} after; secured {self.attributed_secured_fte:.1f} of "
            f"{self.registered_secured_fte:.1f}; expected (survey) {self.expected_jobs:.1f}."
        )

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates (no words)."""
        start, end = self.period
        registered = self.registered_new_fte
        return {
            "registered_new_fte": registered,
            "registered_secured_fte": self.registered_secured_fte,
            "attributed_new_fte": self.attributed_new_fte,
            "attributed_secured_fte": self.attributed_secured_fte,
            "attributed_share": self.attributed_new_fte / registered if registered else None,
            "attributed_new_fte_in_period": self.attributed_new_fte_in_period,
            "attributed_new_fte_after": self.attributed_new_fte_after,
            "public_attributed_new_fte": self.public_attributed_new_fte,
            "expected_jobs": self.expected_jobs,
            "expected_jobs_realised": self.expected_jobs_realised,
            "expected_jobs_attributed_realised": self.expected_jobs_attributed_realised,
            "realisation_rate": self.realisation_rate,
            "attribution_basis": self.attribution_basis,
            "period_start": int(start),
            "period_end": int(end),
        }


def _links(
    projects: pd.DataFrame, jobs: pd.DataFrame, participants: pd.DataFrame | None
) -> pd.DataFrame:
    """Every (org_number, project_id) pair: applicant, participant or job-registering firm."""
    parts = [projects[["org_number", "project_id"]], jobs[["org_number", "project_id"]]]
    if participants is not None and len(participants):
        parts.append(participants[["org_number", "project_id"]].astype(str))
    return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)


def attribute_jobs(
    projects: pd.DataFrame,
    jobs: pd.DataFrame,
    *,
    period: tuple[int, int],
    attribution_basis: str = "public_funding",
    participants: pd.DataFrame | None = None,
    survey: pd.DataFrame | None = None,
    realisation_rate: float = 0.5,
) -> JobAttribution:
    """Attribute registered jobs to the programme, without double counting.

    For project *p* with programme grant :math:`g_p` (``grant_paid_nok``) and
    funding basis :math:`B_p` (public funding :math:`g_p` + Innovasjon Norge +
    other public, or ``total_cost_nok``), the programme share is
    :math:`s_p = g_p / B_p`.  A project's funding is split equally among its
    :math:`n_p` firms (applicant, participants, firms registering jobs under it).
    Firm *f* with projects :math:`P_f` and registered jobs :math:`J_f` (all its
    rows) is credited

    .. math:: A_f = J_f \\cdot \\frac{\\sum_{p \\in P_f} g_p / n_p}{\\sum_{p \\in P_f} B_p / n_p} \\le J_f,

    apportioned across its projects in proportion to :math:`g_p / n_p`.
    With one project this is :math:`s_p J_f`.  Method: DFP Northern Ireland
    appraisal guidance on public co-funding ("all public funding sources must be
    taken into account when assessing additionality").

    Parameters
    ----------
    projects, jobs
        Frames with the columns of ``docs/data-model.md``.
    period
        ``(first_year, last_year)`` of the programme; jobs registered after the
        last year are reported apart.
    attribution_basis
        ``"public_funding"`` (default): the programme's share of the project's
        public funding; ``"total_cost"``: its share of the total project cost.
    participants
        Optional ``(project_id, org_number)`` frame of network participants.
    survey
        Optional firm survey; its ``expected_jobs`` are reported apart.
    realisation_rate
        Share of expected jobs assumed realised (0-1).

    Returns
    -------
    JobAttribution

    Raises
    ------
    evalkit.errors.InputError
        Unknown basis, missing column, negative amount, a job row for an
        unknown project or registered before the period, a grant above its basis.
    """
    if attribution_basis not in ATTRIBUTION_BASES:
        raise InputError(
            f"unknown attribution basis {attribution_basis!r}.",
            parameter="attribution_basis",
            hint="Use 'public_funding' or 'total_cost'.",
        )
    start, end = check_period(period)
    if not 0.0 <= float(realisation_rate) <= 1.0:
        raise InputError(
            f"a share must lie in 0-1, got {realisation_rate!r}.", parameter="realisation_rate"
        )
    require_columns(projects, _PROJECT_COLUMNS, "projects")
    require_columns(jobs, _JOB_COLUMNS, "jobs")
    _check_amounts(projects, _PROJECT_COLUMNS[2:], "projects")
    _check_amounts(jobs, ("new_fte", "secured_fte"), "jobs")

    proj = projects.copy()
    proj["project_id"] = proj["project_id"].astype(str)
    proj["org_number"] = proj["org_number"].astype(str)
    if proj["project_id"].duplicated().any():
        dup = int(np.flatnonzero(proj["project_id"].duplicated().to_numpy())[0])
        raise InputError(
            f"project_id {proj['project_id'].iloc[dup]!r} appears twice.",
            file=source_file(projects), row=file_row(projects, dup), column="project_id",
        )
    grant = proj["grant_paid_nok"].astype(float)
    public = grant + proj["cofunding_innovasjon_norge_nok"].astype(float) + proj[
        "cofunding_other_public_nok"
    ].astype(float)
    basis = public if attribution_basis == "public_funding" else proj["total_cost_nok"].astype(float)
    # a grant above its basis is a data error, not a share above 1
    over = np.flatnonzero((grant > basis + 1.0).to_numpy())
    if over.size:
        raise InputError(
            f"the grant paid exceeds the project's total cost ({grant.iloc[over[0]]:.0f} > "
            f"{basis.iloc[over[0]]:.0f}).",
            file=source_file(projects), row=file_row(projects, over[0]), column="total_cost_nok",
            hint="total_cost_nok = grant_paid_nok + the three co-funding columns.",
        )
    proj["basis_nok"] = basis
    proj["public_funding_nok"] = public
    proj["programme_share"] = np.where(basis > 0, np.minimum(grant / basis.where(basis > 0, 1.0), 1.0), 0.0)
    proj["public_share"] = np.where(basis > 0, np.minimum(public / basis.where(basis > 0, 1.0), 1.0), 0.0)

    job = jobs.copy()
    job["project_id"] = job["project_id"].astype(str)
    job["org_number"] = job["org_number"].astype(str)
    unknown = np.flatnonzero(~job["project_id"].isin(proj["project_id"]).to_numpy())
    if unknown.size:
        raise InputError(
            f"project {job['project_id'].iloc[unknown[0]]!r} is not in the projects table.",
            file=source_file(jobs), row=file_row(jobs, unknown[0]), column="project_id",
        )
    years = pd.to_numeric(job["year"], errors="coerce").to_numpy(dtype=float)
    early = np.flatnonzero(~(years >= start))
    if early.size:
        raise InputError(
            f"jobs registered in {job['year'].iloc[early[0]]!r}, before the programme period {start}-{end}.",
            file=source_file(jobs), row=file_row(jobs, early[0]), column="year",
            hint="Check the year, or the period parameter.",
        )
    job["year"] = years.astype(int)
    job["new_fte"] = job["new_fte"].astype(float)
    job["secured_fte"] = job["secured_fte"].astype(float)
    inside = job["year"] <= end
    job["new_fte_in_period"] = job["new_fte"].where(inside, 0.0)
    job["new_fte_after"] = job["new_fte"].where(~inside, 0.0)

    # (firm, project) links with each firm's portion of the project's funding
    links = _links(proj, job, participants)
    links = links.merge(
        proj[["project_id", "grant_paid_nok", "basis_nok", "public_funding_nok"]], on="project_id"
    )
    n_firms = links.groupby("project_id")["org_number"].transform("size").astype(float)
    links["programme_funding_nok"] = links["grant_paid_nok"].astype(float) / n_firms
    links["basis_funding_nok"] = links["basis_nok"] / n_firms
    # all public funders together: their attributed share is public/basis
    links["public_basis_funding_nok"] = np.minimum(links["public_funding_nok"], links["basis_nok"]) / n_firms
    links = links.drop(columns=["grant_paid_nok", "basis_nok", "public_funding_nok"])

    per_firm = links.groupby("org_number")[
        ["programme_funding_nok", "basis_funding_nok", "public_basis_funding_nok"]
    ].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        firm_share = np.where(
            per_firm["basis_funding_nok"] > 0,
            per_firm["programme_funding_nok"] / per_firm["basis_funding_nok"], 0.0)
        public_firm_share = np.where(
            per_firm["basis_funding_nok"] > 0,
            per_firm["public_basis_funding_nok"] / per_firm["basis_funding_nok"], 0.0)
        # apportion across the firm's projects by the funder's money in each;
        # fall back to equal parts when the funder paid nothing (credit is 0 then)
        n_links = links.groupby("org_number")["project_id"].transform("size").astype(float)
        weight = np.where(
            per_firm["programme_funding_nok"] > 0,
            links["programme_funding_nok"] / per_firm["programme_funding_nok"], 1.0 / n_links)
        public_weight = np.where(
            per_firm["public_basis_funding_nok"] > 0,
            links["public_basis_funding_nok"] / per_firm["public_basis_funding_nok"], 1.0 / n_links)
    links["firm_share"] = firm_share
    links["weight"] = weight
    links["public_firm_share"] = public_firm_share
    links["public_weight"] = public_weight

    measures = ["new_fte", "secured_fte", "new_fte_in_period", "new_fte_after"]
    registered = job.groupby(["org_number", "project_id"], as_index=False)[measures].sum()
    links = links.merge(registered, on=["org_number", "project_id"], how="left").fillna(
        {m: 0.0 for m in measures}
    )
    firm_total = links.groupby("org_number")[measures].transform("sum")
    for m in measures:
        links[f"attributed_{m}"] = firm_total[m] * links["firm_share"] * links["weight"]
    for m in ("new_fte", "secured_fte"):
        links[f"public_attributed_{m}"] = firm_total[m] * links["public_firm_share"] * links["public_weight"]
    links = links.rename(columns={"new_fte": "registered_new_fte", "secured_fte": "registered_secured_fte",
                                  "new_fte_in_period": "registered_new_fte_in_period",
                                  "new_fte_after": "registered_new_fte_after"})
    links = links.sort_values(["org_number", "project_id"], kind="stable").reset_index(drop=True)

    value_cols = [c for c in links.columns if c.startswith(("registered_", "attributed_", "public_attributed_"))]
    by_project = links.groupby("project_id")[value_cols].sum()
    by_project["n_firms"] = links.groupby("project_id").size()
    keep = [c for c in ("org_number", "type", "sector", "year", "grant_paid_nok") if c in proj.columns]
    project_table = (
        proj.set_index("project_id")[[*keep, "basis_nok", "programme_share"]]
        .join(by_project)
        .sort_index()
    )

    firm_table = links.groupby("org_number")[value_cols].sum()
    firm_table.insert(0, "n_projects", links.groupby("org_number").size())
    firm_table.insert(1, "firm_share", links.groupby("org_number")["firm_share"].first())
    firm_table = firm_table.sort_index()

    # by registration year: each row's jobs times its firm's share
    firm_share_of = links.groupby("org_number")["firm_share"].first()
    public_share_of = links.groupby("org_number")["public_firm_share"].first()
    job["share"] = job["org_number"].map(firm_share_of).astype(float)
    job["public_share"] = job["org_number"].map(public_share_of).astype(float)
    by_year = (
        job.assign(
            attributed_new_fte=job["new_fte"] * job["share"],
            attributed_secured_fte=job["secured_fte"] * job["share"],
            public_attributed_new_fte=job["new_fte"] * job["public_share"],
            public_attributed_secured_fte=job["secured_fte"] * job["public_share"],
        )
        .groupby("year")[["attributed_new_fte", "attributed_secured_fte",
                          "public_attributed_new_fte", "public_attributed_secured_fte"]]
        .sum()
        .sort_index()
    )

    expected, expected_attr, answers = 0.0, 0.0, 0
    if survey is not None and len(survey) and "expected_jobs" in survey.columns:
        exp = pd.to_numeric(survey["expected_jobs"], errors="coerce")
        neg = np.flatnonzero((exp < 0).to_numpy())
        if neg.size:
            raise InputError(
                f"expected jobs must be >= 0, got {survey['expected_jobs'].iloc[neg[0]]!r}.",
                file=source_file(survey), row=file_row(survey, neg[0]), column="expected_jobs",
            )
        share = survey["project_id"].astype(str).map(proj.set_index("project_id")["programme_share"])
        expected = float(exp.sum(skipna=True))
        expected_attr = float((exp * share.fillna(0.0)).sum(skipna=True))
        answers = int(exp.notna().sum())

    return JobAttribution(
        projects=project_table,
        firms=firm_table,
        allocation=links,
        by_year=by_year,
        attribution_basis=attribution_basis,
        period=(start, end),
        realisation_rate=float(realisation_rate),
        expected_jobs=expected,
        expected_jobs_attributed=expected_attr,
        expected_jobs_answers=answers,
    )


def attribution_columns() -> Mapping[str, str]:
    """What each column of ``JobAttribution.allocation`` means (for the report's appendix)."""
    return {
        "programme_funding_nok": "the programme's grant to the project, split equally among its firms",
        "basis_funding_nok": "the attribution basis (public funding or total cost), split likewise",
        "firm_share": "programme funding / basis funding over all the firm's projects",
        "weight": "the project's part of the firm's programme funding (apportions the credit)",
        "registered_new_fte": "new FTE the firm registered under the project",
        "attributed_new_fte": "the firm's registered new FTE x firm_share x weight",
    }
