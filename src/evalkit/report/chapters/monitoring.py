"""The chapters of a programme's status report (statusrapport), as functions of its results.

:func:`monitoring` computes everything the report says from a programme's
records and SSB's population table; each chapter function takes that
:class:`Monitoring` and the report's :class:`~evalkit.report.words.Words` and
returns a :class:`~evalkit.report.document.Chapter`. The notebook
``programme_monitoring.ipynb`` is its parameters, one setup cell and one call
per chapter.

The sentences are templates (``words/templates/<language>/monitoring/``)
filled with the results' ``context()``; where a sentence judges a result
("a slow start", "well spread", "in line with the target") it does so by a
named threshold below, computed here, never by fixed wording. Facts about a
client that the data cannot show (the board's make-up, the programme it
continues, when it will be evaluated) are optional parameters of the
evaluation file; a sentence about them is left out when they are not given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.io.programme import Programme
from evalkit.methods.descriptive.gross_jobs import GrossJobs, gross_jobs
from evalkit.methods.descriptive.monitoring import (
    BudgetForecast,
    BudgetStatus,
    PrioritySpread,
    RegionPopulation,
    budget_forecast,
    budget_status,
    priority_spread,
    region_population,
)
from evalkit.methods.descriptive.portfolio import Portfolio, portfolio
from evalkit.report import i18n
from evalkit.report.document import Chapter, Figure, Heading, KeyFigures, Paragraph, Record, Table, TitlePage
from evalkit.report.style import localise_axes, report_style
from evalkit.report.words import Words

#: Priority sectors are "well spread" when every one of them has at least this fraction of an equal share
#: (1 / number of priority sectors) of the grants to the priority sectors: with three sectors, >= 1/6 each.
WELL_SPREAD_MIN_OF_EQUAL_SHARE = 0.5
#: The status year's grants are a "much higher pace" than the first year's from this multiple on.
MUCH_HIGHER_PACE = 2.0
#: Two years' grants within this relative difference are "about the same pace".
SAME_PACE_TOLERANCE = 0.10
#: The budgeted share of the frame to firms is "in line with" the target within this many points (0.5 pp).
IN_LINE_WITH_TARGET = 0.005
#: Groups a board's members can come from (keys of the ``board_members`` parameter), in the order told.
BOARD_GROUPS = ("municipalities", "county", "business", "research", "other")


@dataclass(frozen=True, eq=False)
class Monitoring:
    """Everything a status report is written from: the results and the evaluation's settings.

    Attributes
    ----------
    programme, region, status, spread, forecast, funds, gross
        The records and the results computed from them.
    period_start
        First year of the reporting period (the status is at the end of ``status.status_year``).
    region_name
        The region as the report names it.
    illustrative_data
        The programme data are illustrative (said on page one and in the sources).
    predecessor
        Where the programme's way of working comes from (a municipality with an earlier restructuring
        programme), or empty.
    board_members
        The board's make-up: group (:data:`BOARD_GROUPS`) -> members; empty when not told.
    early_phase_priority
        The programme gives priority to early-phase projects (pre-studies and pre-projects).
    expected_full_use
        The programme itself expects the frame of the reporting period to be fully used.
    evaluation_year
        The year the programme's evaluation is planned, or None.
    """

    programme: Programme
    region: RegionPopulation
    status: BudgetStatus
    spread: PrioritySpread
    forecast: BudgetForecast
    funds: Portfolio
    gross: GrossJobs
    period_start: int
    region_name: str
    illustrative_data: bool = False
    predecessor: str = ""
    board_members: Mapping[str, int] = field(default_factory=dict)
    early_phase_priority: bool = False
    expected_full_use: bool = False
    evaluation_year: int | None = None

    @property
    def period_end(self) -> int:
        return self.status.status_year

    def figures(self) -> dict[str, Any]:
        """Every ``results.json`` figure of the status report."""
        return (self.status.figures() | self.spread.figures() | self.forecast.figures() | self.region.figures()
                | self.gross.figures())


def monitoring(
    programme: Programme,
    population_panel: Any,
    *,
    period_start: int,
    period_end: int,
    municipality_codes: Sequence[str],
    population_year: int,
    region_name: str,
    firm_share_target: float = 0.9,
    priority_sectors: Sequence[str] = ("Industri", "IKT", "Bioøkonomi"),
    forecast_method: str = "last_year",
    illustrative_data: bool = False,
    predecessor: str = "",
    board_members: Mapping[str, int] | None = None,
    early_phase_priority: bool = False,
    expected_full_use: bool = False,
    evaluation_year: int | None = None,
) -> Monitoring:
    """Compute a status report's results (the notebook's setup cell).

    Parameters
    ----------
    programme
        Validated records (:func:`evalkit.io.programme.load_programme`).
    population_panel
        SSB 07459 (:func:`evalkit.io.ssb.read_population_panel`).
    period_start, period_end
        The reporting period; the status is at the end of ``period_end``.
    municipality_codes, population_year, region_name
        The region: its municipalities (2024 codes), the year of the count, its name.
    firm_share_target, priority_sectors, forecast_method
        Passed to :func:`~evalkit.methods.descriptive.monitoring.budget_status`,
        :func:`~evalkit.methods.descriptive.monitoring.priority_spread` and
        :func:`~evalkit.methods.descriptive.monitoring.budget_forecast`.
    illustrative_data, predecessor, board_members, early_phase_priority, expected_full_use, evaluation_year
        Facts about the client (see :class:`Monitoring`); left out of the report when not given.
    """
    from evalkit.errors import InputError

    members = {str(k): int(v) for k, v in dict(board_members or {}).items()}
    unknown = sorted(set(members) - set(BOARD_GROUPS))
    if unknown:
        raise InputError(f"has an unknown group '{unknown[0]}'.", parameter="board_members",
                         hint=f"Use the groups {', '.join(BOARD_GROUPS)}.")
    status = budget_status(programme, period_end, firm_share_target=firm_share_target)
    return Monitoring(
        programme=programme,
        region=region_population(population_panel, municipality_codes, population_year),
        status=status,
        spread=priority_spread(programme, priority_sectors=priority_sectors),
        forecast=budget_forecast(status, method=forecast_method),
        funds=portfolio(programme),
        gross=gross_jobs(programme),
        period_start=int(period_start),
        region_name=str(region_name),
        illustrative_data=bool(illustrative_data),
        predecessor=str(predecessor or ""),
        board_members=members,
        early_phase_priority=bool(early_phase_priority),
        expected_full_use=bool(expected_full_use),
        evaluation_year=int(evaluation_year) if evaluation_year else None,
    )


# --- judgements, each by its named threshold --------------------------------------------------------


def pace(first: float, last: float) -> str:
    """How the status year's grants compare with the first year's: ``much_higher``, ``higher``, ``same``, ``lower``.

    ``same`` within :data:`SAME_PACE_TOLERANCE` of the first year; ``much_higher``
    from :data:`MUCH_HIGHER_PACE` times it (any grants after a first year without).
    """
    if first <= 0:
        return "much_higher" if last > 0 else "same"
    ratio = last / first
    if ratio >= MUCH_HIGHER_PACE:
        return "much_higher"
    if abs(ratio - 1) <= SAME_PACE_TOLERANCE:
        return "same"
    return "higher" if ratio > 1 else "lower"


def well_spread(shares: Mapping[str, float]) -> bool:
    """Whether every priority sector has at least :data:`WELL_SPREAD_MIN_OF_EQUAL_SHARE` of an equal share."""
    if len(shares) < 2:
        return False
    floor = WELL_SPREAD_MIN_OF_EQUAL_SHARE / len(shares)
    return all(share >= floor for share in shares.values())


def target_comparison(planned: float, target: float) -> str:
    """The budgeted share against the target: ``in_line`` (within :data:`IN_LINE_WITH_TARGET`), ``above``, ``below``."""
    if abs(planned - target) <= IN_LINE_WITH_TARGET:
        return "in_line"
    return "above" if planned > target else "below"


# --- helpers ------------------------------------------------------------------------------------------


def _sources(m: Monitoring, words: Words) -> tuple[str, str]:
    """(the SSB table, the programme's records) as sources under tables and figures."""
    ssb = words._("Statistics Norway (SSB), table 07459")
    records = (words._("the programme's budget and project data (illustrative)") if m.illustrative_data
               else words._("the programme's budget and project data"))
    return ssb, records


def _figure(result: Any, words: Words, caption: str, *, name: str, source: str, **labels: str) -> Figure:
    with report_style():
        fig, _ = result.plot(labels=i18n.plot_labels(result, words.language, **labels))
        localise_axes(fig, words.language)
        return Figure.from_matplotlib(fig, caption, name=name, source=source)


def _table(frame: Any, words: Words, caption: str, *, name: str, **options: Any) -> Table:
    return Table.from_frame(frame, caption, name=name, number=words.number, **options)


def _phases(codes: Sequence[str], words: Words, counts: Mapping[str, int] | None = None) -> list[str]:
    """Phases in the plural as a sentence names them (``forstudier``), one of them in the singular."""
    return [i18n.phase_name(c, words.language).lower() if counts is not None and counts.get(c) == 1
            else words._(c, context="phases") for c in codes]


def _forecast_assumption(m: Monitoring, words: Words) -> str:
    return words.text("monitoring/forecast_assumption", **m.forecast.context())


# --- the chapters -------------------------------------------------------------------------------------


def title_page(m: Monitoring, words: Words, *, title: str, client: str = "", evaluator: str = "",
               data_date: str = "", version: str = "") -> Chapter:
    """Page one: title, status year, the programme's and the region's facts, a note on illustrative data."""
    s, r = m.status, m.region
    n = r.municipalities
    region = (words._("{n} municipality, {inhabitants} inhabitants (1 January {year})", n=words.number(n),
                      inhabitants=words.number(r.total), year=r.year) if n == 1 else
              words._("{n} municipalities, {inhabitants} inhabitants (1 January {year})", n=words.number(n),
                      inhabitants=words.number(r.total), year=r.year))
    facts = [
        (words._("Programme"), words._("The regional business development programme of {region}", region=m.region_name)),
        (words._("Region"), region),
        (words._("Programme period"), f"{s.first_year}–{s.last_year}"),
        (words._("Reporting period"), f"{m.period_start}–{m.period_end}"),
        (words._("Client"), client),
        (words._("Evaluator"), evaluator),
        (words._("Date of data"), data_date),
        (words._("Made with"), f"evalkit {version}" if version else ""),
    ]
    note = words.text("monitoring/title_note", status=s.context()) if m.illustrative_data else ""
    return Chapter.of(TitlePage(title=title, subtitle=words._("Status at the end of {year}", year=m.period_end),
                                facts=tuple((k, v) for k, v in facts if v), note=note))


def summary(m: Monitoring, words: Words) -> Chapter:
    """Key figures, the status in one paragraph, and every ``results.json`` figure."""
    s, sp, f, r = m.status, m.spread, m.forecast, m.region
    items = (
        (words.number(s.projects), words._("projects granted")),
        (words.nok(s.granted_nok), words._("granted to firms")),
        (words.percent(s.firm_share), words._("of the {start}–{end} frame to firms (target {target})",
                                               start=m.period_start, end=m.period_end,
                                               target=words.percent(s.firm_share_target))),
        (words.nok(s.paid_nok), words._("paid so far")),
        (words.percent(sp.priority_sector_share), words._("of grants to priority sectors")),
        (words.percent(sp.early_phase_share), words._("of grants to {phases}", phases=words.join(_phases(sp.early_phases, words)))),
        (words.percent(f.budget_use_share), words._("of the firm frame used by {year} (forecast)", year=f.end_year)),
        (words.number(r.total), words._("inhabitants of the region ({n} municipalities)", n=words.number(r.municipalities))),
    )
    text = words.text("monitoring/summary", status=s.context(), spread=sp.context(), forecast=f.context(),
                      period_start=m.period_start, early=_phases(sp.early_phases, words))
    return Chapter.of(
        Heading(words._("Summary"), chapter="summary"),
        KeyFigures(words._("Key figures"), items),
        Paragraph(text),
        Record.of(m.figures()),
    )


def background(m: Monitoring, words: Words) -> Chapter:
    """The programme: its period, funders, target, priorities, board; the frame by source."""
    s = m.status
    _, records = _sources(m, words)
    sources = m.funds.funds_by_source
    board = [{"group": g, "members": m.board_members[g]} for g in BOARD_GROUPS if m.board_members.get(g)]
    text = words.text(
        "monitoring/background", status=s.context(), region_name=m.region_name, predecessor=m.predecessor,
        funders=[str(x) for x in sources.index], inhabitants=m.region.total,
        sectors=[i18n.sector_name(x, words.language) for x in m.spread.priority_sectors],
        early_phase_priority=m.early_phase_priority, board=board, early=_phases(m.spread.early_phases, words),
    )
    frame = sources.rename(words._("Amount")).to_frame()
    frame.index.name = words._("Source")
    return Chapter.of(
        Heading(words._("The programme"), chapter="background"),
        Paragraph(text),
        _table(frame, words, words._("The frame by source, {start}–{end}", start=s.first_year, end=s.last_year),
               name="frame_by_source", unit="NOK", source=records, formats={c: words.number for c in frame.columns}),
    )


def population(m: Monitoring, words: Words) -> Chapter:
    """The region: inhabitants by municipality (SSB 07459)."""
    r = m.region
    ssb, _ = _sources(m, words)
    table = r.to_frame()
    largest = table.sort_values("population", ascending=False).iloc[0]
    text = words.text("monitoring/population", region=r.context(), region_name=m.region_name,
                      largest=str(largest["municipality_name"]), largest_share=float(largest["share"]))
    people = table.rename(columns={"municipality_name": words._("Municipality"), "population": words._("Inhabitants"),
                                   "share": words._("Share")})
    people.index.name = words._("Municipality no.")
    return Chapter.of(
        Heading(words._("The region"), chapter="population"),
        Paragraph(text),
        _table(people, words, words._("Inhabitants of {region} on 1 January {year}", region=m.region_name, year=r.year),
               name="population", source=ssb, unit=words._("persons"),
               formats={words._("Inhabitants"): words.number, words._("Share"): words.percent}),
    )


def budget(m: Monitoring, words: Words) -> Chapter:
    """The frame and its use by year, the share to firms against the target."""
    s = m.status
    _, records = _sources(m, words)
    columns = {"frame_nok": words._("Frame"), "firm_frame_nok": words._("Frame for firms"),
               "projects": words._("Projects"), "granted_nok": words._("Granted"), "paid_nok": words._("Paid")}
    # Administration is in the frame; the cumulative grants are in the forecast's table.
    use = s.to_frame().loc[lambda t: t.index <= m.period_end, list(columns)].rename(columns=columns)
    use.index.name = words._("Year")
    targets = {
        words._("Target: share of the frame to firms"): s.firm_share_target,
        words._("Budgeted: project support in the frame"): s.firm_share_planned,
        words._("Actual: granted as a share of the {start}–{end} frame", start=m.period_start, end=m.period_end): s.firm_share,
        words._("Granted as a share of the {start}–{end} frame for firms", start=m.period_start, end=m.period_end): s.firm_frame_used,
    }
    share = words._("Share")
    target_table = {share: list(targets.values())}
    import pandas as pd

    target_frame = pd.DataFrame(target_table, index=pd.Index(list(targets), name=""))
    context = s.context()
    text = words.text("monitoring/budget", status=context, period_start=m.period_start,
                      first_granted=context["granted_by_year"][0], last_granted=context["granted_by_year"][-1],
                      pace=pace(context["granted_by_year"][0], context["granted_by_year"][-1]),
                      target=target_comparison(s.firm_share_planned, s.firm_share_target))
    return Chapter.of(
        Heading(words._("Frame and use"), chapter="budget"),
        _table(use, words, words._("Frame, grants and payments by year, {start}–{end}", start=m.period_start, end=m.period_end),
               name="frame_and_use", unit="NOK", source=records, formats={c: words.number for c in use.columns},
               note=words._("Paid: paid so far, shown under the year the grant was approved.")),
        _figure(s, words, words._("Frame for firms, grants and payments by year"), name="frame_and_use", source=records),
        _table(target_frame, words, words._("Share of the frame to firms: target and actual"), name="firm_share",
               unit=words._("share"), source=records, formats={share: words.percent}),
        Paragraph(text),
    )


def priorities(m: Monitoring, words: Words) -> Chapter:
    """Projects and grants by sector and phase, against the priority sectors and early phases."""
    sp = m.spread
    _, records = _sources(m, words)
    name = lambda v: i18n.category_name(v, words.language)  # noqa: E731
    labels = {"projects": words._("Projects"), "granted_nok": words._("Granted"), "share_of_grants": words._("Share of grants")}
    formats = {labels["granted_nok"]: words.number, labels["share_of_grants"]: words.percent}
    by_sector = sp.by_sector().rename(columns=labels, index=name)
    by_sector.index.name = words._("Sector")
    by_phase = sp.by_phase().rename(columns=labels, index=name)
    by_phase.index.name = words._("Phase")
    cross = sp.projects.rename(columns=lambda c: words._("Total") if c == "total" else name(c), index=name)
    cross.index.name = words._("Sector")
    context = sp.context()
    text = words.text(
        "monitoring/priorities", spread=context,
        shares=[{"sector": name(k), "share": v} for k, v in context["sector_shares"].items()],
        well_spread=well_spread(context["priority_shares"]),
        later=[{"phase": p, "projects": v} for p, v in zip(
            _phases(list(context["later_phase_projects"]), words, context["later_phase_projects"]),
            context["later_phase_projects"].values())],
        early=_phases(sp.early_phases, words),
    )
    chart_labels = {str(c): name(c) for c in sp.granted.columns} | {str(s): name(s) for s in sp.granted.index}
    return Chapter.of(
        Heading(words._("Priority sectors and phases"), chapter="priorities"),
        _table(by_sector, words, words._("Projects and grants by sector"), name="projects_by_sector", unit="NOK",
               source=records, formats=formats),
        _table(by_phase, words, words._("Projects and grants by phase"), name="projects_by_phase", unit="NOK",
               source=records, formats=formats),
        _table(cross, words, words._("Number of projects by sector and phase"), name="projects_sector_phase",
               unit=words._("projects"), source=records),
        _figure(sp, words, words._("Grants by sector and phase"), name="grants_sector_phase", source=records,
                **chart_labels),
        Paragraph(text),
    )


def forecast(m: Monitoring, words: Words) -> Chapter:
    """Cumulative grants against the cumulative frame for firms, actual and forecast to the period's end."""
    f, s = m.forecast, m.status
    _, records = _sources(m, words)
    kinds = {"actual": words._("actual"), "forecast": words._("forecast")}
    path = f.to_frame()
    path["kind"] = path["kind"].map(kinds)
    path = path.rename(columns={"firm_frame_cumulative_nok": words._("Frame for firms, cumulative"),
                                "granted_cumulative_nok": words._("Granted, cumulative"), "kind": words._("Kind")})
    path.index.name = words._("Year")
    assumption = _forecast_assumption(m, words)
    text = words.text("monitoring/forecast", forecast=f.context(), status=s.context(), assumption=_markdown(assumption),
                      period_start=m.period_start, expected_full_use=m.expected_full_use)
    return Chapter.of(
        Heading(words._("Forecast of the use of the frame"), chapter="forecast"),
        _table(path, words, words._("Grants against the frame for firms, actual and forecast to {year}", year=f.end_year),
               name="forecast", unit="NOK", source=records, formats={c: words.number for c in path.columns[:2]},
               note=assumption),
        _figure(f, words, words._("Grants against the frame, with forecast"), name="forecast", source=records),
        Paragraph(text),
    )


def activity(m: Monitoring, words: Words) -> Chapter:
    """Early results: registered gross jobs so far (effects are for the evaluation)."""
    g = m.gross
    text = words.text("monitoring/activity", new=g.new, secured=g.secured, total=g.total, status_year=m.period_end,
                      evaluation_year=m.evaluation_year)
    return Chapter.of(Heading(words._("Early results"), chapter="activity"), Paragraph(text))


def appendix(m: Monitoring, words: Words) -> Chapter:
    """Method and data: the definitions behind the figures, from the parameters used; the data's tables."""
    _, records = _sources(m, words)
    method = words.text("monitoring/appendix_method", period_start=m.period_start, period_end=m.period_end,
                        assumption=_markdown(_forecast_assumption(m, words)))
    definitions = words.text(
        "monitoring/appendix_definitions", spread=m.spread.context(), status=m.status.context(),
        sectors=[i18n.sector_name(x, words.language) for x in m.spread.priority_sectors],
        early=_phases(m.spread.early_phases, words), forecast=m.forecast.context(),
        well_spread_min=WELL_SPREAD_MIN_OF_EQUAL_SHARE,
    )
    inputs = m.programme.to_frame().rename(columns={"rows": words._("Rows")})
    inputs.index.name = words._("Table")
    return Chapter.of(
        Heading(words._("Method and data"), chapter="appendix", appendix=True),
        Paragraph(method),
        Paragraph(definitions),
        _table(inputs, words, words._("The data"), name="inputs", source=records),
    )


def _markdown(text: str) -> Any:
    """A rendered template as text a second template prints as it is (already Markdown)."""
    from evalkit.report.words import Safe

    return Safe(text)


#: The chapters in the order of the report (after the title page).
CHAPTERS = (summary, background, population, budget, priorities, forecast, activity, appendix)
