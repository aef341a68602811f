"""The final evaluation's counterfactual and triangulation chapters, and their method appendix section.

Each function takes a :class:`~evalkit.methods.counterfactual.analysis.CounterfactualAnalysis`
(and, for the triangulation, the bottom-up net effect) with the report's
:class:`~evalkit.report.words.Words` and returns a
:class:`~evalkit.report.document.Chapter`. Sentences come from the templates
``final_evaluation/counterfactual_*``, ``triangulation_*`` and
``method_counterfactual*``; labels from the catalogue's ``# counterfactual`` block.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.methods.counterfactual.analysis import CounterfactualAnalysis
from evalkit.report.document import Chapter, Figure, Heading, Paragraph, Record, Table
from evalkit.report.words import Words

__all__ = ["counterfactual", "triangulation", "counterfactual_method", "summary_context"]

#: Keys of :func:`summary_context` (what the summary chapter's counterfactual sentence may use).
SUMMARY_KEYS = (
    "treated_name", "period_start", "base_year", "last_year", "population", "n_donors", "att", "att_abs", "above",
    "gap_inhabitants", "gap_inhabitants_abs", "pre_fit_good", "p_value", "p_level", "did_att", "did_credible",
    "pretrend_rejected", "grade_level",
)


def _localise(fig: Any, words: Words) -> Any:
    """Tick labels with the report language's number marks (years stay ungrouped)."""
    from matplotlib.ticker import ScalarFormatter

    from evalkit.report.style import LocaleFormatter

    class WordsFormatter(LocaleFormatter):
        # LocaleFormatter's tick spacing and year detection, the Words' number marks.
        def __init__(self) -> None:
            self._decimals = 0
            self._years = False

        def __call__(self, value: float, pos: int | None = None) -> str:
            if self._years and float(value).is_integer():
                return str(int(value))
            if abs(value) < 10 ** -(self._decimals + 3):
                value = 0.0
            return words.number(value, self._decimals)

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "linear" and type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(WordsFormatter())
    return fig


def _figure(fig: Any, words: Words, caption: str, *, name: str, source: str | None = None) -> Figure:
    return Figure.from_matplotlib(_localise(fig, words), caption, name=name, source=source)


def _context(analysis: CounterfactualAnalysis, municipality_name: str) -> dict[str, Any]:
    return {**analysis.context(), "name": municipality_name}


def counterfactual(analysis: CounterfactualAnalysis, words: Words, *, municipality_name: str) -> Chapter:
    """The counterfactual chapter: synthetic control, its donors, the placebo test, DiD and event study, grade.

    Parameters
    ----------
    analysis
        From :func:`evalkit.methods.counterfactual.analysis.counterfactual_analysis`.
    words
        The report's words.
    municipality_name
        The municipality as the report names it.
    """
    ctx = _context(analysis, municipality_name)
    ssb = words._("Statistics Norway (SSB), table 07459")
    fig, _ = analysis.plot(labels={
        "treated": municipality_name,
        "synthetic": words._("Synthetic {name}", name=municipality_name),
        "region": words._("Rest of the region {region}", region=analysis.region_name),
        "county": words._("{county} (the whole county)", county=analysis.county_name),
        "time": words._("Year"),
        "outcome": words._("Population, index {year} = 100", year=analysis.base_year),
        "gap": words._("Gap (index points)"),
    })
    sc_figure = _figure(fig, words, words._("Population of {name} against its synthetic control, the region and the county",
                                            name=municipality_name),
                        name="synthetic_control", source=words._("Statistics Norway (SSB), table 07459; own calculations"))

    weights = analysis.weights_table()
    weights.columns = [words._("Municipality"), words._("Weight")]
    weights_table = Table.from_frame(
        weights, words._("The municipalities of the synthetic control"), name="donor_weights", number=words.number,
        formats={weights.columns[1]: words.percent}, index=False, source=ssb)

    fig, _ = analysis.plot_placebo(labels={
        "treated": municipality_name,
        "placebo": words._("Comparison municipalities (placebo)"),
        "gap": words._("Gap to the synthetic control (index points)"),
        "time": words._("Year"),
    })
    placebo_figure = _figure(fig, words, words._(
        "Placebo test: the gap of every comparison municipality treated as if it had had the programme"), name="placebo")

    fig, _ = analysis.plot_event_study(labels={
        "time": words._("Years from the programme's start (0 = {year})", year=analysis.period_start),
        "estimate": words._("Deviation in the population index (index points)"),
    })
    event_figure = _figure(fig, words, words._(
        "Event study: deviation from the comparison municipalities year by year (95 % confidence interval)"),
        name="event_study")

    did_table = analysis.did.tidy().set_index("term").rename(index={"att": words._("Effect after the start (ATT)")})
    did_table.columns = [words._("Estimate"), words._("Standard error"), words._("t statistic"), words._("p-value"),
                         words._("95 % CI, lower"), words._("95 % CI, upper")]
    did_table.index.name = None
    did_node = Table.from_frame(
        did_table, words._("Difference-in-differences with municipality and year fixed effects"), name="did",
        number=words.number, formats={c: (lambda v: words.number(v, 3)) for c in did_table.columns},
        note=words._("Standard errors clustered by municipality. With one treated municipality they are unreliable "
                     "(Conley and Taber 2011); the placebo test above gives more reliable inference."))

    text = lambda name: Paragraph(words.text(f"final_evaluation/{name}", **ctx))  # noqa: E731
    return Chapter.of(
        Heading(words._("Counterfactual: how did the municipality do?"), chapter="counterfactual"),
        text("counterfactual_intro"),
        sc_figure,
        weights_table,
        text("counterfactual_weights"),
        placebo_figure,
        text("counterfactual_result"),
        event_figure,
        did_node,
        text("counterfactual_did"),
        text("counterfactual_grade"),
        Record.of(analysis.figures()),
    )


def _net_jobs(net_effect: Any) -> tuple[float, tuple[float, float] | None]:
    """Net additional jobs and their Monte-Carlo 5-95 % interval from a NetEffect."""
    interval = None
    if getattr(net_effect, "monte_carlo", None) is not None:
        low, high = net_effect.monte_carlo.interval("net_additional_jobs")
        interval = (float(low), float(high))
    return float(net_effect.net.net), interval


def triangulation(analysis: CounterfactualAnalysis, net_effect: Any, words: Words, *, municipality_name: str) -> Chapter:
    """Bottom-up net jobs beside the top-down population gap, with an honest verdict.

    Parameters
    ----------
    analysis
        The counterfactual analysis.
    net_effect
        The bottom-up :class:`~evalkit.methods.net_effect.estimate.NetEffect` (``net.net`` and
        ``monte_carlo.interval("net_additional_jobs")`` are used).
    words, municipality_name
        The report's words; the municipality as the report names it.
    """
    jobs, interval = _net_jobs(net_effect)
    comparison = analysis.compare(jobs, interval)
    ctx = {**_context(analysis, municipality_name), **comparison.context()}
    n = words.number
    bottom_up = n(jobs) + (f" ({n(interval[0])}–{n(interval[1])})" if interval else "")
    did_value = n(analysis.did.att, 2) + ("" if analysis.did_credible
                                          else " (" + words._("not credible: parallel pre-trends rejected") + ")")
    verdicts = {
        "too_small": words._("No contradiction, but too small to show in the population"),
        "weak_agree": words._("Same size, but the population gap is not unusual"),
        "missing": words._("Contradiction: the jobs should have shown in the population"),
        "agree": words._("Agree"),
        "same_direction": words._("Same direction, different size"),
        "opposite": words._("Contradiction: opposite directions"),
    }
    rows = {
        words._("Net additional jobs (bottom-up: survey and additionality)"): bottom_up,
        words._("Population against the synthetic control (top-down), mean after the start"):
            words._("{points} index points ≈ {people} inhabitants", points=n(analysis.sc.att, 1),
                    people=n(analysis.gap_inhabitants)),
        words._("Placebo municipalities' gaps (middle {share})", share=words.percent(ctx["placebo_band_level"])):
            words._("{low} to {high} inhabitants", low=n(comparison.band_low_inhabitants),
                    high=n(comparison.band_high_inhabitants)),
        words._("Placebo p-value"): n(analysis.placebo.p_value, 2),
        words._("Difference-in-differences (index points)"): did_value,
        words._("Evidence grade (Maryland scale)"): f"{analysis.grade.level} / 5",
        words._("Bottom-up against top-down"): verdicts[comparison.verdict],
    }
    table = pd.DataFrame({words._("Result"): rows})
    return Chapter.of(
        Heading(words._("Triangulation: bottom-up and top-down"), chapter="triangulation"),
        Table.from_frame(table, words._("Two views of the effect"), name="triangulation", number=words.number,
                         note=words._("Inhabitants per net job in the comparison with the population: {k}.",
                                      k=n(ctx["inhabitants_per_job"], 0 if float(ctx["inhabitants_per_job"]).is_integer() else 1))),
        Paragraph(words.text("final_evaluation/triangulation_verdict", **ctx)),
    )


def counterfactual_method(analysis: CounterfactualAnalysis, words: Words) -> Chapter:
    """The method appendix's section on the counterfactual: data, donors, estimators, and every threshold used."""
    ctx = {**analysis.context(), "name": analysis.treated_name}
    n, pct = words.number, words.percent
    first, last = analysis.pre_period
    rows = [
        (words._("Fit period"), f"{first}–{last}", words._("Years before the programme's start")),
        (words._("First year of the effect"), str(analysis.period_start), words._("The programme's start")),
        (words._("Donor municipalities"),
         words._("Given by the evaluation ({n})", n=n(len(analysis.donors))) if analysis.donors_given else
         words._("{low} to {high} inhabitants in {year}, outside the labour-market region {region} ({n})", low=n(analysis.population_range[0]),
                 high=n(analysis.population_range[1]), year=last, region=analysis.region_name, n=n(len(analysis.donors))),
         "Abadie (2021)"),
        (words._("Good pre-period fit (RMSPE below)"), words._("{value} index points", value=n(ctx["pre_fit_good_rmspe"], 1)),
         words._("evalkit; Abadie (2021) on judging the fit against the outcome's scale")),
        (words._("Pre-trend test rejects at p at most"), n(ctx["pretrend_alpha"], 2), words._("Freyaldenhoven et al. (2021)")),
        (words._("Placebo p-value: clearly / weakly unusual at most"),
         f"{n(ctx['p_value_levels'][0], 2)} / {n(ctx['p_value_levels'][1], 2)}", words._("Conventional 5 % and 10 % levels")),
        (words._("Placebo noise band"),
         words._("Middle {share} of the placebo gaps, placebos fitted over {ratio} times worse left out",
                 share=pct(ctx["placebo_band_level"]), ratio=n(ctx["placebo_band_max_ratio"])),
         words._("Abadie, Diamond and Hainmueller (2010)")),
        (words._("Donors named in the text from weight"), pct(ctx["named_weight"], 1), "evalkit"),
        (words._("Inhabitants per net job (triangulation)"), n(ctx["inhabitants_per_job"], 0 if float(ctx["inhabitants_per_job"]).is_integer() else 1),
         words._("evalkit: an order of magnitude, not an estimate")),
    ]
    frame = pd.DataFrame(rows, columns=[words._("Choice"), words._("Value"), words._("Source")]).set_index(words._("Choice"))
    return Chapter.of(
        Heading(words._("Counterfactual analysis"), level=3, chapter="appendix"),
        Paragraph(words.text("final_evaluation/method_counterfactual", **ctx)),
        Table.from_frame(frame, words._("Choices and thresholds of the counterfactual analysis"),
                         name="counterfactual_choices", number=words.number),
    )


def summary_context(analysis: CounterfactualAnalysis) -> dict[str, Any]:
    """Plain values for the summary chapter's counterfactual sentence (keys :data:`SUMMARY_KEYS`)."""
    ctx = analysis.context()
    return {key: ctx[key] for key in SUMMARY_KEYS}
