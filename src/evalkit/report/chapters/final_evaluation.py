"""The chapters of a final evaluation (sluttevaluering), from the analysis results.

Innovasjon Norge's outline of a final evaluation asks for: a summary a reader
can stop after, the background, the resources used, the activity, the results
against the target, what the programme can claim (attribution), what it
caused net (additionality), the cost per job and the data's quality. Each
function below makes one of them from the results of :mod:`evalkit.methods`
and a :class:`~evalkit.report.words.Words`; every sentence comes from a
template in ``words/templates/<language>/final_evaluation/``, every label
from the catalogue, every term from the glossary. A sentence whose facts are
absent (no survey, no networks, no jobs lost given) is left out.

Tables with firm-level cells (grants and jobs by sector) are published
through disclosure control (:func:`evalkit.methods.disclosure.protect_table`).
The grant-by-sector table of the activity chapter and the jobs-by-sector
table of the attribution chapter share one grouping of sectors: a sector too
small to be shown alone in either table is merged into "other sectors" in
both (table redesign by collapsing categories, Hundepool et al. 2012,
*Statistical Disclosure Control*, Wiley, ch. 4), so a firm hidden in one
table cannot be read off the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.methods.disclosure import SUPPRESSED, protect_table
from evalkit.report.document import (
    Chapter,
    Figure,
    Heading,
    KeyFigures,
    Paragraph,
    Record,
    Table,
    TitlePage,
)
from evalkit.report.i18n import category_name
from evalkit.report.words import Words

__all__ = [
    "title_page",
    "summary",
    "background",
    "resources",
    "activity",
    "results",
    "attribution",
    "net_effect",
    "cost",
    "data_quality",
    "category_label",
    "sector_groups",
]

#: Sensitivity rules of the published sector tables (Statistics Norway's threshold; (1, 80 %) dominance).
MIN_FIRMS = 3
DOMINANCE_K = 0.80
#: Key of the merged group of sectors too small to be shown alone.
OTHER_SECTORS = "__other_sectors__"


# --------------------------------------------------------------------------------------- helpers
def _text(words: Words, name: str, **context: Any) -> Paragraph | None:
    """A paragraph from a template, or ``None`` when every sentence of it was left out."""
    markdown = words.text(f"final_evaluation/{name}", **context)
    return Paragraph(markdown) if markdown.strip() else None


def _one(words: Words, decimals: int = 1):
    return lambda v: words.number(v, decimals)


def _whole(value: float) -> int:
    """Round half away from zero (a count shown in the text)."""
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def category_label(value: Any, words: Words) -> Any:
    """A project type or sector of the data model as the report names it; any other value unchanged."""
    if not isinstance(value, str):
        return value
    if value == "Total":
        return words._("Total")
    if value == OTHER_SECTORS:
        return words._("Other sectors", context="sector")
    return category_name(value, words.language)


def _figure(fig: Any, caption: str, words: Words, *, name: str, source: str | None = None) -> Figure:
    """A chart as a figure node, its tick labels in the report's language."""
    from evalkit.report.style import localise_axes  # matplotlib: only when a chart is drawn

    return Figure.from_matplotlib(localise_axes(fig, words.language), caption, name=name, source=source)


def _style():
    try:
        from evalkit.report.style import report_style
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return nullcontext()
    return report_style()


# --------------------------------------------------------------------------------------- title page
def title_page(
    *,
    title: str,
    period: tuple[int, int],
    words: Words,
    municipality_name: str = "",
    client: str = "",
    evaluator: str = "",
    data_date: str = "",
    illustrative_data: bool = False,
    version: str | None = None,
) -> Chapter:
    """The first page: title, subtitle, who and when, and (for illustrative data) a note saying so."""
    from evalkit._version import __version__

    start, end = (int(y) for y in period)
    years = f"{start}–{end}"
    facts = [
        (words._("Programme"), words._("The restructuring programme of {name}", name=municipality_name)
         if municipality_name else ""),
        (words._("Period"), years),
        (words._("Client"), client),
        (words._("Evaluator"), evaluator),
        (words._("Date of data"), data_date),
        (words._("Made with"), f"evalkit {version or __version__}"),
    ]
    note = words.text("final_evaluation/illustrative_note") if illustrative_data else ""
    return Chapter.of(TitlePage(
        title=title,
        subtitle=words._("Final evaluation {years}", years=years),
        facts=tuple((label, str(value)) for label, value in facts if value),
        note=note,
    ))


# --------------------------------------------------------------------------------------- summary
def _job_parts(gross: Any) -> dict[str, Any]:
    """New, secured and their total as the text shows them: the total is the sum of the shown parts."""
    new, secured = _whole(gross.new), _whole(gross.secured)
    return {"jobs_new": new, "jobs_secured": secured, "jobs_total": new + secured,
            "jobs_approx": new + secured != _whole(gross.total)}


def _thousands(value: float | None) -> float | None:
    return None if value is None else round(value, -3)


def summary(
    funds: Any,
    gross: Any,
    target: Any,
    net_effect: Any,
    cost_registered: Any,
    words: Words,
    *,
    counterfactual_context: Mapping[str, Any] | None = None,
) -> Chapter:
    """The summary: key figures and one paragraph a reader can stop after.

    Parameters
    ----------
    funds, gross, target, net_effect, cost_registered
        :func:`~evalkit.methods.descriptive.portfolio.portfolio`,
        :func:`~evalkit.methods.descriptive.gross_jobs.gross_jobs`,
        :func:`~evalkit.methods.descriptive.gross_jobs.target_attainment`,
        :func:`~evalkit.methods.net_effect.estimate.estimate_net_effect` and
        :func:`~evalkit.methods.descriptive.gross_jobs.cost_per_registered_job`.
    words
        The report's language.
    counterfactual_context
        ``None`` leaves the counterfactual sentence out. Otherwise
        :func:`evalkit.report.chapters.counterfactual.summary_context` of the analysis
        (``treated_name``, ``period_start``, ``att``, ``p_value``, ...), for the template
        ``final_evaluation/summary_counterfactual``.

    Records ``results.json`` figures of the portfolio, the gross jobs, the
    target and the cost per registered job.
    """
    p, t = funds.context(), target.context()
    n = net_effect.context()
    net, mc, cost_ = n["net"], n["monte_carlo"], n["cost"]
    parts = _job_parts(gross)
    net_shown = _whole(net["net"])
    items = [
        (words.number(p["projects"]), words._("projects")),
        (words.nok(p["project_support_nok"]), words.term("project_support")),
        (words.number(parts["jobs_total"]), words.term("registered_jobs")),
        (words.percent(t["attainment"]), words._("of the target of {target} jobs", target=words.number(t["target"]))),
        (words._("{value} ({low}–{high})", value=words.number(net_shown), low=words.number(mc["net_low"]),
                 high=words.number(mc["net_high"])), words._("{term} (90% interval)", term=words.term("net_additional_jobs"))),
    ]
    if not cost_["unbounded"]:
        items.append((words.nok(_thousands(cost_["net_additional_public_nok"])),
                      words._("public cost per net additional job")))
    items.append((words.number(p["firms_reached"]), words._("firms involved")))
    if p["new_firms"]:
        items.append((words.number(p["new_firms"]), words._("new firms")))
    context = {
        **p, **parts, **t,
        "net": net_shown, "net_low": _whole(mc["net_low"]), "net_high": _whole(mc["net_high"]),
        "spatial_scale": net["spatial_scale"],
        "cost_net": _thousands(cost_["net_additional_public_nok"]), "cost_unbounded": cost_["unbounded"],
        "cost_low": _thousands(mc["cost_low"]), "cost_high": _thousands(mc["cost_high"]),
        "cost_interval_unbounded": mc["cost_unbounded"],
    }
    counterfactual = (_text(words, "summary_counterfactual", **dict(counterfactual_context))
                      if counterfactual_context is not None else None)
    return Chapter.of(
        Heading(words._("Summary"), chapter="summary"),
        KeyFigures(words._("Key figures"), tuple(items)),
        _text(words, "summary", **context),
        counterfactual,
        Record.of(funds.figures() | gross.figures() | target.figures() | cost_registered.figures()),
    )


# --------------------------------------------------------------------------------------- background
def background(
    funds: Any,
    words: Words,
    *,
    municipality_name: str,
    period: tuple[int, int],
    jobs_lost: float | None = None,
    jobs_lost_share: float | None = None,
    background_story: str | None = None,
) -> Chapter:
    """Why the programme was set up and how it was funded.

    The funding sentence comes from the budget (funds by source and year);
    the jobs lost and the story (the consultant's own Markdown, shown as one
    paragraph) come from the evaluation file and are left out when absent.
    """
    start, end = (int(y) for y in period)
    by_source = funds.funds_by_source_and_year
    sources = []
    if by_source is not None and len(by_source):
        for source, row in by_source.iterrows():
            amounts = row[row > 0]
            if amounts.empty:
                continue
            total, per_year = float(amounts.sum()), float(amounts.mean())
            constant = bool(np.allclose(amounts.to_numpy(float), per_year))
            sources.append(
                words._("{total} from {source} ({per_year} a year)", total=words.nok(total), source=source,
                        per_year=words.nok(per_year)) if constant else
                words._("{total} from {source} ({per_year} a year on average)", total=words.nok(total),
                        source=source, per_year=words.nok(per_year)))
    story = Paragraph(str(background_story).strip()) if background_story and str(background_story).strip() else None
    return Chapter.of(
        Heading(words._("Background"), chapter="background"),
        _text(words, "background", municipality_name=municipality_name, start=start, end=end,
              jobs_lost=jobs_lost, jobs_lost_share=jobs_lost_share),
        story,
        _text(words, "funding", total=funds.programme_total_nok, sources=sources, start=start, end=end),
    )


# --------------------------------------------------------------------------------------- resources
def resources(funds: Any, words: Words) -> Chapter:
    """The programme's funds by year and use, and by source."""
    uses = {"project_support": words.term("project_support", capital=True), "administration": words._("Administration"),
            "other": words._("Other"), "total": words._("Total")}
    by_year = funds.funds_by_year.rename(columns=lambda c: uses.get(c, c))
    by_year.index.name = words._("Year")
    sources = funds.funds_by_source.rename(words._("Amount")).to_frame()
    sources.index.name = words._("Source")
    nok = lambda v: words.number(v)  # noqa: E731
    p = funds.context()
    other = 1.0 - p["project_support_share"] - p["administration_share"]
    return Chapter.of(
        Heading(words._("Resources"), chapter="resources"),
        Table.from_frame(by_year, words._("The programme's funds by year and use"), name="funds_by_year",
                         number=words.number, formats={c: nok for c in by_year.columns}, unit="NOK"),
        Table.from_frame(sources, words._("The programme's funds by source"), name="funds_by_source",
                         number=words.number, formats={c: nok for c in sources.columns}, unit="NOK"),
        _text(words, "resources", **p, other_share=other if other > 0.005 else 0.0),
    )


# --------------------------------------------------------------------------------------- sectors (disclosure)
@dataclass(frozen=True)
class SectorTables:
    """The two published sector tables, protected with one grouping of sectors.

    Attributes
    ----------
    groups
        Sector in the data -> the row it is shown in (itself, or :data:`OTHER_SECTORS`).
    grants
        Grant paid by sector (one-way, protected).
    jobs
        Attributed new jobs by sector and project type (two-way, protected).
    """

    groups: Mapping[str, str]
    grants: Any
    jobs: Any

    @property
    def merged(self) -> list[str]:
        """Sectors shown as "other sectors"."""
        return sorted(s for s, g in self.groups.items() if g == OTHER_SECTORS)


def _protect(projects: pd.DataFrame, allocation: pd.DataFrame, groups: Mapping[str, str]) -> tuple[Any, Any]:
    grouped = projects.assign(sector=projects["sector"].map(groups))
    grants = protect_table(grouped, rows="sector", value="grant_paid_nok", min_firms=MIN_FIRMS, dominance_k=DOMINANCE_K)
    micro = allocation.merge(grouped[["project_id", "sector", "type"]], on="project_id")
    jobs = protect_table(micro, rows="sector", columns="type", value="attributed_new_fte",
                         min_firms=MIN_FIRMS, dominance_k=DOMINANCE_K)
    return grants, jobs


def sector_groups(projects: pd.DataFrame, allocation: pd.DataFrame) -> SectorTables:
    """Group sectors so that both sector tables can show every sector they show in full.

    A sector whose own total is sensitive in either table (fewer than
    :data:`MIN_FIRMS` firms, or one firm above :data:`DOMINANCE_K`) is merged
    into "other sectors" in both; if that group is itself sensitive, the
    sector with the smallest grant is added to it, until it is not or no
    sector is left. Cells of sector by project type may still be suppressed.

    Parameters
    ----------
    projects
        The programme's projects (``project_id``, ``org_number``, ``sector``, ``type``, ``grant_paid_nok``).
    allocation
        The job attribution's allocation (``org_number``, ``project_id``, ``attributed_new_fte``).
    """
    sectors = list(pd.unique(projects["sector"].astype(str)))
    groups = {s: s for s in sectors}
    while True:
        grants, jobs = _protect(projects, allocation, groups)
        total = grants.total_label
        sensitive = set(grants.status.index[grants.status.iloc[:, 0] == "primary"])
        sensitive |= set(jobs.status.index[jobs.status[total] == "primary"])
        sensitive.discard(total)
        alone = {s for s in sensitive if s != OTHER_SECTORS}
        if alone:
            groups.update({s: OTHER_SECTORS for s in sectors if groups[s] in alone})
            continue
        remaining = [s for s in sectors if groups[s] != OTHER_SECTORS]
        if OTHER_SECTORS in sensitive and remaining:
            grant = projects.groupby("sector")["grant_paid_nok"].sum()
            smallest = min(remaining, key=lambda s: (float(grant.get(s, 0.0)), s))
            groups[smallest] = OTHER_SECTORS
            continue
        return SectorTables(groups=groups, grants=grants, jobs=jobs)


def _rename_sectors(frame: pd.DataFrame, words: Words, *, columns: bool = False) -> pd.DataFrame:
    f = lambda v: category_label(v, words)  # noqa: E731
    return frame.rename(index=f, columns=f) if columns else frame.rename(index=f)


def _disclosure_note(words: Words, tables: SectorTables, *protected: Any) -> str | None:
    suppressed = any(t.n_suppressed for t in protected)
    merged = [category_label(s, words) for s in tables.merged]
    text = words.text("final_evaluation/disclosure_note", suppressed=suppressed, merged=merged,
                      min_firms=MIN_FIRMS, dominance_k=DOMINANCE_K, other=words._("Other sectors", context="sector"))
    return text or None


# --------------------------------------------------------------------------------------- activity
def _activity_table(frame: pd.DataFrame, index_name: str, words: Words) -> pd.DataFrame:
    out = frame.rename(columns={"projects": words._("Projects"), "grant_paid_nok": words._("Grant paid"),
                                "share_of_grants": words._("Share of grants")})
    out = _rename_sectors(out, words)
    out.index.name = index_name
    return out


def _projects_by_sector(projects: pd.DataFrame, tables: SectorTables, words: Words) -> pd.DataFrame:
    """Projects, grant and share by (grouped) sector; grants hidden where the protected table hides them."""
    grouped = projects.assign(sector=projects["sector"].astype(str).map(tables.groups))
    counts = grouped.groupby("sector")["project_id"].size()
    published = tables.grants.published.iloc[:, 0]
    total_label = tables.grants.total_label
    shown_total = published.get(total_label)
    rows = {}
    for sector in published.index:
        if sector == total_label:
            continue
        grant = published[sector]
        share = (SUPPRESSED if grant == SUPPRESSED or shown_total == SUPPRESSED
                 else float(grant) / float(shown_total) if float(shown_total) else np.nan)
        rows[sector] = (int(counts.get(sector, 0)), grant, share)
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["projects", "grant_paid_nok", "share_of_grants"])
    order = sorted(frame.index, key=lambda s: (s == OTHER_SECTORS, -(float(frame.loc[s, "grant_paid_nok"])
                                                                       if frame.loc[s, "grant_paid_nok"] != SUPPRESSED else -1.0)))
    return frame.loc[order]


def activity(funds: Any, programme: Any, net_effect: Any, words: Words) -> Chapter:
    """Projects by type, sector (disclosure-controlled) and year; firms, networks, competence rounds."""
    fmt = {words._("Grant paid"): lambda v: v if v == SUPPRESSED else words.number(v),
           words._("Share of grants"): lambda v: v if v == SUPPRESSED else words.percent(v)}
    tables = sector_groups(programme.projects, net_effect.attribution.allocation)
    by_sector = _projects_by_sector(programme.projects, tables, words)
    top = by_sector.index[0] if len(by_sector) else None
    top_share = by_sector.iloc[0]["share_of_grants"] if top is not None else None
    show_top = top is not None and top != OTHER_SECTORS and top_share != SUPPRESSED and len(by_sector) > 1
    return Chapter.of(
        Heading(words._("Activity"), chapter="activity"),
        Table.from_frame(_activity_table(funds.projects_by_type, words._("Project type"), words),
                         words._("Projects by type"), name="projects_by_type", number=words.number, formats=fmt, unit="NOK"),
        Table.from_frame(_activity_table(by_sector, words._("Sector"), words), words._("Projects by sector"),
                         name="projects_by_sector", number=words.number, formats=fmt, unit="NOK",
                         note=_disclosure_note(words, tables, tables.grants)),
        Table.from_frame(_activity_table(funds.projects_by_year, words._("Year"), words), words._("Projects by year"),
                         name="projects_by_year", number=words.number, formats=fmt, unit="NOK"),
        _text(words, "activity", **funds.context(),
              top_sector=category_label(top, words) if show_top else None,
              top_share=float(top_share) if show_top else None),
    )


# --------------------------------------------------------------------------------------- results
def results(gross: Any, target: Any, words: Words) -> Chapter:
    """Registered jobs by year and against the target; the firms' expectations apart."""
    names = {"new": words._("New"), "secured": words._("Secured"), "total": words._("Total"),
             "cumulative": words._("Cumulative")}
    jobs_by_year = gross.by_year.rename(columns=names)
    jobs_by_year.index.name = words._("Year")
    t = target.context()
    with _style():
        fig, _ = target.plot(labels={
            "registered": words._("Registered jobs, cumulative"),
            "target": words._("Target ({target})", target=words.number(t["target"])),
            "expected": words._("Expected by the firms (survey)"),
            "ylabel": words._("Jobs (FTE)"),
        })
        figure = _figure(fig, words._("Registered jobs against the target"), words, name="jobs_vs_target")
    return Chapter.of(
        Heading(words._("Results against the target"), chapter="results"),
        Table.from_frame(jobs_by_year, words._("Registered jobs (FTE) by year"), name="jobs_by_year",
                         number=words.number, formats={c: _one(words) for c in jobs_by_year.columns}, unit="FTE"),
        figure,
        _text(words, "results", **t, **_job_parts(gross)),
    )


# --------------------------------------------------------------------------------------- attribution
def attribution(
    net_effect: Any,
    programme: Any,
    words: Words,
    *,
    publish_firm_names: bool = False,
) -> Chapter:
    """What the programme can claim: its share of each project's jobs, by sector and type (protected)."""
    a = net_effect.attribution
    c = a.context()
    start, end = c["period_start"], c["period_end"]
    rows = {
        "registered": words._("Registered"),
        "attributed to the programme": words._("Attributed to the programme"),
        f"  of which registered {start}-{end}": words._("  of which registered {start}–{end}", start=start, end=end),
        f"  of which registered after {end}": words._("  of which registered after {end}", end=end),
        "attributed to all public funders": words._("Attributed to all public funders"),
    }
    table = a.to_frame().loc[list(rows)].rename(index=rows)
    table.columns = [words._("New"), words._("Secured")]
    table.index.name = None
    tables = sector_groups(programme.projects, a.allocation)
    by_sector = tables.jobs.formatted(_one(words))
    by_sector = _rename_sectors(by_sector, words, columns=True)
    by_sector.index.name = words._("Sector")
    by_sector.columns.name = None
    projects = programme.projects
    cofunding = [col for col in ("cofunding_innovasjon_norge_nok", "cofunding_other_public_nok", "cofunding_private_nok")
                 if col in projects]
    cofunded = int((projects[cofunding].fillna(0).sum(axis=1) > 0).sum()) if cofunding else 0
    nodes: list[Any] = [
        Heading(words._("Attribution: what can the programme claim?"), chapter="attribution"),
        _text(words, "attribution", **c, cofunded=cofunded, projects=len(projects)),
        Table.from_frame(table, words._("Registered and attributed jobs (FTE)"), name="attribution",
                         number=words.number, formats={col: _one(words) for col in table.columns}, unit="FTE"),
        Table.from_frame(by_sector, words._("Attributed new jobs by sector and project type (FTE)"),
                         name="attribution_by_sector", number=words.number, unit="FTE",
                         note=_disclosure_note(words, tables, tables.jobs)),
    ]
    if publish_firm_names:
        firms = a.firms.join(programme.firms.set_index("org_number")["name"])
        firms = firms.sort_values("attributed_new_fte", ascending=False)[
            ["name", "n_projects", "firm_share", "registered_new_fte", "attributed_new_fte"]]
        firms.index.name = words._("Organisation number")
        firms.columns = [words._("Firm"), words._("Projects"), words._("Programme share"),
                         words._("Registered new (FTE)"), words._("Attributed new (FTE)")]
        nodes.append(Table.from_frame(
            firms, words._("Attributed jobs per firm (internal)"), name="attribution_by_firm", number=words.number,
            formats={firms.columns[2]: words.percent, firms.columns[3]: _one(words), firms.columns[4]: _one(words)},
            unit="FTE"))
    nodes.append(_text(words, "attribution_expected", **c))
    return Chapter.of(*nodes)


# --------------------------------------------------------------------------------------- net effect
def _step_labels(words: Words) -> dict[str, str]:
    return {
        "gross_new": words._("Attributed new jobs"),
        "secured": words._("Secured jobs (weighted)"),
        "leakage": words.term("leakage", capital=True),
        "deadweight": words.term("deadweight", capital=True),
        "displacement": words.term("displacement", capital=True),
        "substitution": words.term("substitution", capital=True),
        "multiplier": words.term("multiplier", capital=True),
        "net": words.term("net_additional_jobs", capital=True),
    }


def _answer_labels(words: Words) -> dict[str, str]:
    return {
        "would_not_have_happened": words._("Would not have happened"),
        "later_and_smaller": words._("Later and smaller"),
        "smaller": words._("Smaller"),
        "later": words._("Later"),
        "as_planned": words._("As planned anyway"),
        "dont_know": words._("Don't know"),
    }


def net_effect(net_effect: Any, words: Words) -> Chapter:
    """From attributed to net additional jobs: the survey, the steps, the waterfall and the interval."""
    survey, net, mc = net_effect.survey, net_effect.net, net_effect.monte_carlo
    nodes: list[Any] = [Heading(words._("Additionality and net effect"), chapter="net_effect")]
    if survey is not None:
        answers = survey.to_frame().rename(index=_answer_labels(words))
        answers.columns = [words._("Answers"), words._("Additionality weight"), words._("Share of weighted activity")]
        answers.index.name = words._("What would have happened without the support?")
        nodes += [
            Table.from_frame(answers, words._("The firms' answers on additionality"), name="survey", number=words.number,
                             formats={answers.columns[1]: _one(words, 2), answers.columns[2]: words.percent},
                             note=words._("\"Don't know\" is left out. The weights are evalkit's defaults and can be changed.")),
            _text(words, "survey", **survey.context()),
        ]
    steps = net.to_frame()[["value", "change", "jobs_after"]].rename(index=_step_labels(words))
    steps.columns = [words._("Assumption"), words._("Change"), words._("Jobs after the step")]
    steps.index.name = words._("Step")
    nodes.append(Table.from_frame(
        steps, words._("From gross to net: each step applied to the previous step's result"), name="gross_to_net",
        number=words.number, formats={steps.columns[0]: _one(words, 2), steps.columns[1]: _one(words),
                                      steps.columns[2]: _one(words)},
        unit="FTE", source="English Partnerships/HCA, Additionality Guide; HM Treasury, Green Book"))
    with _style():
        fig, ax = net.plot(labels={**_step_labels(words), "ylabel": words.term("fte", capital=True), "title": "",
                                   "decimal_mark": words.number(0.5, 1)[1], "group_mark": words.number(1000)[1]})
        ax.set_ylim(top=ax.get_ylim()[1] * 1.1)  # room above the tallest bar for its value label
        nodes.append(_figure(fig, words._("From attributed to net additional jobs"), words, name="waterfall"))
    m = mc.context()
    nodes.append(_text(words, "net_effect", **net.context(), net_shown=_whole(net.net),
                       net_low=_whole(m["net_low"]), net_high=_whole(m["net_high"])))
    return Chapter.of(*nodes)


# --------------------------------------------------------------------------------------- cost
def _parameter_labels(words: Words) -> dict[str, str]:
    return {
        "leakage": words.term("leakage"),
        "deadweight": words.term("deadweight"),
        "displacement": words.term("displacement"),
        "substitution": words.term("substitution"),
        "multiplier": words.term("multiplier"),
        "persistence_years": words._("{term} (years)", term=words.term("persistence")),
        "discount_rate": words.term("discount_rate"),
    }


def _parameter_value(name: str, value: float, words: Words) -> str:
    if name == "multiplier":
        return words.number(value, 2 if round(value * 10, 6) % 1 else 1)
    if name == "persistence_years":
        return words._("{n}\u00a0years", n=words.number(value, 0 if float(value).is_integer() else 1))
    return words.percent(value, 0 if float(round(value * 100, 6)).is_integer() else 1)


def _benchmark_words(words: Words) -> dict[str, str]:
    return {
        "Regional Development Agencies, physical regeneration":
            words._("Regional Development Agencies, physical regeneration", context="benchmark"),
        "Scottish Enterprise, inward investment": words._("Scottish Enterprise, inward investment", context="benchmark"),
        "Norwegian restructuring programmes": words._("Norwegian restructuring programmes", context="benchmark"),
        "cost per job": words._("cost per job", context="benchmark"),
        "cost per net job": words._("cost per net job", context="benchmark"),
        "similar to Innovasjon Norge's ordinary instruments":
            words._("similar to Innovasjon Norge's ordinary instruments", context="benchmark"),
    }


def cost(net_effect: Any, cost_registered: Any, words: Words, *, benchmarks: pd.DataFrame | None = None) -> Chapter:
    """Cost per registered, attributed, net and lasting job; the intervals, the tornado and benchmarks.

    Records the net effect's ``results.json`` figures.
    """
    from evalkit.methods.net_effect.cost import published_benchmarks

    c, mc, tornado = net_effect.cost, net_effect.monte_carlo, net_effect.tornado
    cc = c.context()
    per_registered = words._("NOK per registered job")
    registered = cost_registered.to_frame().set_axis(
        [words._("Project support only"), words._("All programme funds")]).set_axis([per_registered], axis=1)
    basis = {"public": words._("Public cost"), "project_support": words._("Project support only")}
    measure = {"gross job": words._("per gross job"), "net additional job": words._("per net additional job"),
               "net job-year": words._("per net job-year")}
    table = c.to_frame()[["cost_nok", "jobs", "nok_per_job", "nok_per_job_pv"]].copy()
    table.index = [words._("{basis} {measure}", basis=basis.get(b, b), measure=measure.get(m, m)) for b, m in table.index]
    table.columns = [words._("Cost"), words._("Jobs"), words._("NOK per job"),
                     words._("Present value ({rate})", rate=words.percent(cc["discount_rate"]))]
    nok = lambda v: words.number(v)  # noqa: E731
    intervals = mc.to_frame()[["point", "p05", "p95"]].loc[["net_additional_jobs", "cost_per_net_job", "cost_per_net_job_year"]]
    intervals.index = [words.term("net_additional_jobs", capital=True), words._("Public cost per net job (NOK)"),
                       words._("Public cost per net job-year (NOK)")]
    intervals.columns = [words._("Point estimate"), "5 %", "95 %"]
    bench = (published_benchmarks() if benchmarks is None else benchmarks)[["source", "what", "measure", "value", "currency"]]
    bench = bench.replace(_benchmark_words(words))
    bench.columns = [words._("Source"), words._("What"), words._("Measure"), words._("Value"), words._("Currency")]
    labels = _parameter_labels(words)
    outcome_labels = {
        "net_additional_jobs": words.term("net_additional_jobs"),
        "cost_per_net_job": words._("cost per net job (NOK thousand)"),
        "cost_per_net_job_year": words._("cost per net job-year (NOK thousand, present value)"),
    }
    with _style():
        fig, _ = tornado.plot(labels={**labels, **outcome_labels, "low_end": words._("low end"),
                                      "high_end": words._("high end")})
        figure = _figure(fig, words._("Which assumptions matter most for the cost per net job?"), words, name="tornado")
    tc = tornado.context()
    money = tc["outcome"] != "net_additional_jobs"
    shown = lambda v: None if v is None else (words.nok(_thousands(v)) if money else words.number(v))  # noqa: E731
    tornado_context = {
        "top": labels.get(tc["top"], tc["top"]), "outcome": tc["outcome"],
        "range_low": _parameter_value(tc["top"], tc["range_low"], words),
        "range_high": _parameter_value(tc["top"], tc["range_high"], words),
        "outcome_low": shown(tc["outcome_low"]), "outcome_high": shown(tc["outcome_high"]),
    }
    return Chapter.of(
        Heading(words._("Cost per job"), chapter="cost"),
        Table.from_frame(registered, words._("Cost per registered job"), name="cost_per_registered_job",
                         number=words.number, formats={per_registered: nok}, unit="NOK"),
        Table.from_frame(table, words._("Cost per attributed, net and lasting job"), name="cost_per_job",
                         number=words.number, unit="NOK",
                         formats={table.columns[0]: nok, table.columns[1]: _one(words), table.columns[2]: nok,
                                  table.columns[3]: nok},
                         note=words.text("final_evaluation/cost_note", **cc)),
        Table.from_frame(intervals, words._("Uncertainty: Monte Carlo with {draws} draws", draws=words.number(mc.n_draws)),
                         name="uncertainty", number=words.number, formats={col: nok for col in intervals.columns},
                         note=words._("Every assumption is drawn within its range; the survey deadweight is bootstrapped over firms.")
                         if mc.deadweight_bootstrapped else words._("Every assumption is drawn within its range.")),
        figure,
        Table.from_frame(bench, words._("Published benchmarks"), name="benchmarks", index=False, number=words.number,
                         formats={bench.columns[3]: nok}),
        _text(words, "cost", **cc, gross=_thousands(cc["gross_public_nok"]),
              net=_thousands(cc["net_additional_public_nok"]), tornado=tornado_context),
        Record.of(net_effect.figures()),
    )


# --------------------------------------------------------------------------------------- data quality
def data_quality(programme: Any, words: Words) -> Chapter:
    """Mistakes in the input files that were read correctly instead of failing, or that there were none."""
    notes = list(programme.notes)
    nodes: list[Any] = [_text(words, "data_quality", issues=len(notes))]
    if notes:
        quality = programme.notes_frame().rename(columns={"note": words._("Note")})
        nodes.append(Table.from_frame(quality, words._("Data quality: issues read correctly"), name="data_quality",
                                      number=words.number, index=False))
    return Chapter.of(*nodes)



def method_appendix(
    net_effect: Any,
    programme: Any,
    words: Words,
    *,
    counterfactual: Chapter | None = None,
    attribution_basis: str = "public_funding",
    include_cofunders: bool = False,
    survey_weight_by: str = "jobs",
    mc_draws: int = 10_000,
    seed: int = 0,
) -> Chapter:
    """The method and data appendix: every choice behind the net effect, the counterfactual's section, the data read.

    ``counterfactual`` is the counterfactual's method section
    (:func:`evalkit.report.chapters.counterfactual.counterfactual_method`), placed between the two.
    """
    from evalkit.report.method_appendix import net_effect_choices, net_effect_method

    scale = net_effect.net.assumptions.spatial_scale
    inputs = programme.to_frame().rename(columns={"rows": words._("Rows")})
    inputs.index.name = words._("Table")
    return Chapter.of(
        Heading(words._("Method and data quality"), chapter="appendix", appendix=True),
        Heading(words._("Gross jobs, attribution and net effect"), level=3),
        Paragraph(net_effect_method(net_effect, attribution_basis=attribution_basis, include_cofunders=include_cofunders,
                                    mc_draws=mc_draws, seed=seed, language=words.language)),
        _text(words, "method_net_effect"),
        Table.from_frame(
            net_effect_choices(net_effect, attribution_basis=attribution_basis, survey_weight_by=survey_weight_by,
                               language=words.language),
            words._("Method choices and assumptions of the net effect"), name="method_choices", number=words.number,
            note=words.text("final_evaluation/method_choices_note", spatial_scale=scale)),
        counterfactual,
        Heading(words._("Data and data quality"), level=3),
        _text(words, "method_data"),
        Table.from_frame(inputs, words._("The data"), name="inputs", number=words.number),
    )
