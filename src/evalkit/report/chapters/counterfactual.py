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

from evalkit.methods.counterfactual.analysis import (
    PRE_FIT_GOOD_RMSPE,
    ROBUST_POPULATION_FACTOR,
    CounterfactualAnalysis,
    robustness,
)
from evalkit.report.document import Chapter, Figure, Heading, Note, Paragraph, Record, Table
from evalkit.report.words import Words

__all__ = ["counterfactual", "triangulation", "counterfactual_method", "summary_context"]

#: Keys of :func:`summary_context` (what the summary chapter's counterfactual sentence may use).
SUMMARY_KEYS = (
    "treated_name", "period_start", "base_year", "last_year", "population", "n_donors", "att", "att_abs", "above",
    "gap_inhabitants", "gap_inhabitants_abs", "pre_fit_good", "p_value", "p_level", "did_att", "did_credible",
    "pretrend_rejected", "grade_level", "has_conformal", "ci_low", "ci_high", "ci_finite", "ci_level", "ci_covers_zero",
    "mde", "mde_inhabitants",
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


def _p(value: float, words: Words) -> str:
    """``p = 0.123`` or, below a thousandth, ``p < 0.001`` (as the templates' ``p`` macro)."""
    return f"p < {words.number(0.001, 3)}" if value < 0.001 else f"p = {words.number(value, 3)}"


def _estimators_table(analysis: CounterfactualAnalysis, words: Words) -> Table:
    """Synthetic control (conformal 90 % set), synthetic DiD and DiD side by side, with their credibility."""
    n = words.number
    labels = {"synthetic_control": words._("Synthetic control"), "sdid": words._("Synthetic difference-in-differences"),
              "did": words._("Difference-in-differences (two-way fixed effects)")}
    frame = analysis.estimators()
    why = {"synthetic_control": words._("Pre-period fit (RMSPE) below {limit}", limit=n(PRE_FIT_GOOD_RMSPE, 1)) if analysis.pre_fit_good
           else words._("Poor pre-period fit (RMSPE above {limit})", limit=n(PRE_FIT_GOOD_RMSPE, 1)),
           "sdid": words._("Shifted synthetic path fits before the start") if analysis.sdid_credible
           else words._("Shifted synthetic path does not fit before the start"),
           "did": words._("Parallel pre-trends not rejected") if analysis.did_credible
           else words._("Parallel pre-trends rejected ({p})", p=_p(analysis.events.pretrend_p, words))}
    table = pd.DataFrame({
        words._("Estimate (index points)"): frame["att"].to_numpy(),
        words._("90 % interval, lower"): frame["low"].to_numpy(),
        words._("90 % interval, upper"): frame["high"].to_numpy(),
        words._("p-value"): frame["p_value"].to_numpy(),
        words._("Credible"): [words._("yes") if c else words._("no") for c in frame["credible"]],
        words._("Why"): [why[e] for e in frame["estimator"]],
    }, index=[labels[e] for e in frame["estimator"]])
    numeric = list(table.columns[:4])
    return Table.from_frame(
        table, words._("Three estimates of the effect on the population index"), name="estimators",
        number=words.number, formats={c: (lambda v: words.number(v, 2)) for c in numeric},
        note=words._("Synthetic control: conformal interval and p-value (Chernozhukov, Wüthrich and Zhu 2021). "
                     "Synthetic DiD: placebo standard error (Arkhangelsky et al. 2021). DiD: standard errors "
                     "clustered by municipality, unreliable with one treated municipality (Conley and Taber 2011)."))


def _robustness_table(analysis: CounterfactualAnalysis, words: Words) -> Table:
    """One row per robustness check (Abadie 2021): ATT, pre-RMSPE, p-value, donors."""
    checks = {
        "main": words._("Main estimate"),
        "leave_one_out": words._("Without the largest-weight donor"),
        "no_structure_rules": words._("Donor pool without the structure rules"),
        "wider_population": words._("Wider population range"),
        "shorter_fit": words._("Shorter fit period"),
        "sdid": words._("Synthetic difference-in-differences"),
        "did": words._("Difference-in-differences (two-way fixed effects)"),
    }
    frame = robustness(analysis).to_frame()
    lo, hi = analysis.population_range
    frame["detail"] = frame["detail"].str.replace("-", "–", regex=False)  # year ranges take an en dash
    frame.loc[frame["check"] == "wider_population", "detail"] = words._(
        "{low} to {high} inhabitants", low=words.number(lo / ROBUST_POPULATION_FACTOR),
        high=words.number(hi * ROBUST_POPULATION_FACTOR))
    table = pd.DataFrame({
        words._("Change"): frame["detail"].to_numpy(),
        words._("Estimate (index points)"): frame["att"].to_numpy(),
        words._("Pre-period RMSPE"): frame["pre_rmspe"].to_numpy(),
        words._("p-value"): frame["p_value"].to_numpy(),
        words._("Donors"): frame["n_donors"].to_numpy(),
    }, index=[checks[c] for c in frame["check"]])
    return Table.from_frame(
        table, words._("Robustness of the estimate"), name="counterfactual_robustness", number=words.number,
        formats={c: (lambda v: words.number(v, 2)) for c in table.columns[1:4]},
        note=words._("Abadie (2021). p-values of the synthetic-control rows: conformal test of no effect."))


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

    did_node = _estimators_table(analysis, words)
    robust_node = _robustness_table(analysis, words)

    ctx.update({f"robust_{k}": v for k, v in robustness(analysis).context().items() if k != "rows"})
    text = lambda name: Paragraph(words.text(f"final_evaluation/{name}", **ctx))  # noqa: E731
    warning = ([Note(words.text("final_evaluation/counterfactual_approximate", **ctx), tone="warning")]
               if analysis.treated_approximate else [])
    return Chapter.of(
        Heading(words._("Counterfactual: how did the municipality do?"), chapter="counterfactual"),
        *warning,
        text("counterfactual_intro"),
        sc_figure,
        weights_table,
        text("counterfactual_weights"),
        placebo_figure,
        text("counterfactual_result"),
        text("counterfactual_inference"),
        event_figure,
        did_node,
        text("counterfactual_did"),
        robust_node,
        text("counterfactual_robustness_text"),
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
        words._("Minimum detectable effect ({share} of the placebo gaps)", share=words.percent(ctx["mde_level"])):
            words._("{points} index points ≈ {people} inhabitants", points=n(analysis.mde, 1),
                    people=n(analysis.mde_inhabitants)),
        words._("Placebo p-value"): n(analysis.placebo.p_value, 2),
        words._("Conformal 90 % interval (index points)"): f"{n(ctx['ci_low'], 1)} – {n(ctx['ci_high'], 1)}",
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
        (words._("Conformal interval"), words._("{level}, constant effect, moving-block permutations of all {n} years",
                                                 level=pct(ctx["ci_level"]), n=n(ctx["n_periods"])),
         words._("Chernozhukov, Wüthrich and Zhu (2021)")),
        (words._("Perfect pre-period fits among the placebos (RMSPE below {tol})", tol="10⁻⁶"),
         n(ctx["perfect_prefits"]), words._("A perfectly fitted placebo has an infinite post/pre ratio")),
        (words._("Placebo p-value, classic rank"), n(ctx["p_value"], 3), words._("Abadie, Diamond and Hainmueller (2010)")),
        (words._("Placebo p-value without placebos fitted over {ratio} times worse (pre-MSPE)",
                 ratio=n(ctx["placebo_band_max_ratio"])),
         words._("{p} ({n} municipalities)", p=n(ctx["p_trimmed"], 3), n=n(ctx["n_trimmed_units"])),
         words._("Abadie, Diamond and Hainmueller (2010)")),
        (words._("Minimum detectable effect"),
         words._("{share} quantile of the placebos' absolute mean gaps: {points} index points",
                 share=pct(ctx["mde_level"]), points=n(ctx["mde"], 2)), "evalkit"),
        (words._("Synthetic DiD standard error"), words._("Placebo, {reps} replications", reps=n(ctx["sdid_reps"])),
         words._("Arkhangelsky et al. (2021)")),
        (words._("Donors named in the text from weight"), pct(ctx["named_weight"], 1), "evalkit"),
        (words._("Inhabitants per net job (triangulation)"), n(ctx["inhabitants_per_job"], 0 if float(ctx["inhabitants_per_job"]).is_integer() else 1),
         words._("An assumption, not an estimate from a source: one worker kept per net job")),
    ]
    frame = pd.DataFrame(rows, columns=[words._("Choice"), words._("Value"), words._("Source")]).set_index(words._("Choice"))
    nodes = [
        Heading(words._("Counterfactual analysis"), level=3, chapter="appendix"),
        Paragraph(words.text("final_evaluation/method_counterfactual", **ctx)),
        Table.from_frame(frame, words._("Choices and thresholds of the counterfactual analysis"),
                         name="counterfactual_choices", number=words.number),
    ]
    if not analysis.donors_given:
        nodes.append(_rules_table(analysis, words))
        quality = analysis.panel_quality()
        if len(quality):
            reasons = [words.join([r for r, on in ((words._("approximate series (rebuilt from a split municipality)"), a),
                                                    (words._("yearly change above {limit}", limit=pct(ctx["max_yearly_jump"])),
                                                     j > ctx["max_yearly_jump"])) if on])
                       for a, j in zip(quality["approximate"], quality["jump"])]
            table = pd.DataFrame({words._("Municipality"): quality["municipality"].to_numpy(),
                                  words._("Reason"): reasons,
                                  words._("Largest yearly change"): quality["jump"].to_numpy()})
            nodes.append(Table.from_frame(
                table, words._("Municipalities left out of the donors for the quality of their series"),
                name="counterfactual_panel_quality", number=words.number,
                formats={table.columns[2]: (lambda v: pct(v, 1))}, index=False,
                source=words._("Statistics Norway (SSB), table 07459")))
    return Chapter.of(*nodes)


def _rules_table(analysis: CounterfactualAnalysis, words: Words) -> Table:
    """The default donor pool's rules, each with its setting and the municipalities it removed."""
    n, pct = words.number, words.percent
    counts = analysis.rule_counts()
    settings = dict(analysis.rules)
    lo, hi = settings["size"]
    metro = settings["metropolitan"]
    jump = settings["jump"]
    described = {
        "own_region": (words._("Outside the labour-market region"), analysis.region_name if settings["own_region"] else "–",
                       "Abadie (2021)"),
        "incomplete": (words._("Complete series"), words._("every year of the panel"), "Abadie (2021)"),
        "size": (words._("Similar size"), words._("{low} to {high} inhabitants", low=n(lo), high=n(hi)), "Abadie (2021)"),
        "metropolitan": (words._("Outside the metropolitan labour-market regions"), words.join(list(metro)) if metro else "–",
                         "Gundersen & Juvkam (2013)"),
        "approximate": (words._("Series not rebuilt from a split municipality"),
                        words._("yes") if settings["approximate"] else words._("no"), "SSB / evalkit"),
        "jump": (words._("No yearly change larger than"), pct(jump) if jump is not None else "–",
                 words._("evalkit: larger changes are border changes, not development")),
        "programme": (words._("No restructuring programme in the fit or effect years"),
                      words._("yes") if settings["programme"] else words._("no"), words._("evalkit's programme register")),
        "excluded": (words._("Left out by the evaluation"), n(len(settings["excluded"])), ""),
    }
    rows = [(described[r][0], described[r][1], n(counts[r]), described[r][2]) for r in counts]
    frame = pd.DataFrame(rows, columns=[words._("Rule"), words._("Setting"), words._("Municipalities removed"),
                                        words._("Source")]).set_index(words._("Rule"))
    return Table.from_frame(frame, words._("Rules of the default donor pool, in the order applied"),
                            name="counterfactual_donor_rules", number=words.number,
                            note=words._("Each municipality is counted under the first rule it fails. {n} donors remain.",
                                         n=n(len(analysis.donors))))


def summary_context(analysis: CounterfactualAnalysis) -> dict[str, Any]:
    """Plain values for the summary chapter's counterfactual sentence (keys :data:`SUMMARY_KEYS`)."""
    ctx = analysis.context()
    return {key: ctx[key] for key in SUMMARY_KEYS}
