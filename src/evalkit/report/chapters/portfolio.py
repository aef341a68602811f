"""Chapters of the portfolio research report: do restructuring programmes work?

Each function takes a :class:`~evalkit.methods.counterfactual.portfolio_study.PortfolioStudy`
and the report's :class:`~evalkit.report.words.Words` and returns a
:class:`~evalkit.report.document.Chapter`. The sentences are templates under
``words/templates/<language>/portfolio/``; they choose their wording from the
study's ``context()`` and the named thresholds below, never from fixed text.

Chapter ids (``Heading.chapter``) of this report: ``summary``, ``register``,
``design``, ``staggered``, ``pooled``, ``pretrends``, ``results``,
``conclusions``, ``appendix`` (method appendix).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from evalkit._version import __version__
from evalkit.methods.counterfactual.pooled import PERFECT_FIT
from evalkit.methods.counterfactual.portfolio_study import PortfolioStudy
from evalkit.report.document import Chapter, Figure, Heading, KeyFigures, Note, Paragraph, Record, Table, TitlePage
from evalkit.report.words import Words

__all__ = [
    "LEVELS", "LITERATURE", "title_page", "summary", "register", "design", "staggered_results",
    "pooled_results", "pretrends", "results_table", "conclusion", "method_appendix", "all_chapters",
]

#: Thresholds the templates decide by.
#: ``significance``: a two-sided p-value below it makes an estimate "statistically significant";
#: ``pretrend``: a pre-trend p-value below it rejects parallel trends before the start. With placebo draws the
#: text uses the two placebo-calibrated tests (joint test, mean yearly change before the start) and rejects when
#: either is below it; without, the joint Wald test itself (``pretrend_rejects`` in the templates' context);
#: ``perfect_fit_majority``: when more than this share of the programmes' synthetic controls fit their
#: pre-period exactly, the report says the fit carries little information (few pre-years, many donors).
LEVELS = {"significance": 0.05, "pretrend": 0.05, "perfect_fit_majority": 0.5}

#: The two earlier studies the conclusion is set beside (figures as their publishers give them).
LITERATURE = {
    # Telemarksforsking, "Få målbare effekter av omstillingsprogrammet", 29 August 2022,
    # https://www.telemarksforsking.no/fa-malbare-effekter-av-omstillingsprogrammet/ : 53 municipalities with
    # programmes in 2004-2015 against 53 reference municipalities; no measurable effect on jobs.
    "telemarksforsking": {"year": 2022, "programme_municipalities": 53, "reference_municipalities": 53,
                          "first_year": 2004, "last_year": 2015},
    # Distriktssenteret (with Innovasjon Norge; study by Trøndelag Forskning og Utvikling),
    # "Langtidseffekter av omstillingsprogram", https://distriktssenteret.no/litteratur/langtidseffekter-av-omstillingsprogram/
    # (years of the ten six-year programmes, 1995-2003, from its entry in the evaluation portal kudos.dfo.no):
    # employment about 6 % and population about 5 % higher than otherwise.
    "distriktssenteret": {"cases": 10, "first_year": 1995, "last_year": 2003, "employment": 0.06,
                          "population": 0.05},
}

def _p(words: Words, p: float) -> str:
    """A p-value as a table shows it: three decimals, below 0.001 as "< 0.001"."""
    if p is None or not math.isfinite(p):
        return "–"
    return "< " + words.number(0.001, 3) if p < 0.001 else words.number(p, 3)


def _effect(words: Words, estimate: dict[str, Any]) -> str:
    """An effect as a key figure: a percentage for log population, index points for the index."""
    if estimate["outcome"] == "log":
        return words.percent(estimate["att_share"], 1)
    return words._("{value} index points", value=words.number(estimate["att"], 1), context="portfolio")


def _context(study: PortfolioStudy) -> dict[str, Any]:
    context = study.context()
    pooled = study.primary_pooled.units
    used = pooled[pooled["used"]]
    context["primary_pooled"] = dict(context["primary_pooled"])
    context["primary_pooled"]["perfect_fits"] = int((used["pre_rmspe"] <= PERFECT_FIT).sum())
    context["primary_pooled"]["perfect_fit_share"] = (float((used["pre_rmspe"] <= PERFECT_FIT).mean())
                                                      if len(used) else float("nan"))
    context["primary_pooled"]["min_pre_years"] = int(used["pre_periods"].min()) if len(used) else 0
    context["primary_pooled"]["max_pre_years"] = int(used["pre_periods"].max()) if len(used) else 0
    by = study.primary_pooled.by_event_time
    after = by[by.index >= 0]
    context["primary_pooled"]["post_significant"] = int((after["p_value"] < LEVELS["significance"]).sum())
    context["primary_pooled"]["post_periods"] = int(len(after))
    tests = [fit.pretrend_test()["p_value"] for fit in study.staggered.values()]
    context["fits"] = len(tests)
    context["pretrend_rejections"] = int(sum(t < LEVELS["pretrend"] for t in tests))
    context["donors"] = context["control_municipalities"]
    p = context["primary"]
    if p["placebos"]:
        context["pretrend_rejects"] = bool(min(p["pretrend_p_calibrated"], p["pre_mean_p"]) < LEVELS["pretrend"])
    else:
        context["pretrend_rejects"] = bool(p["pretrend_p"] < LEVELS["pretrend"])
    return context | {"levels": LEVELS, "literature": LITERATURE}


def _paragraphs(words: Words, template: str, **context: Any) -> list[Paragraph]:
    return [Paragraph(p) for p in words.text(template, **context).split("\n\n") if p]


def _source(words: Words) -> str:
    return words._("Source: Statistics Norway (SSB), table 07459; programme register (see the register chapter)",
                   context="portfolio")


def _outcome_label(words: Words, outcome: str) -> str:
    return {"log": words._("Log population (x 100)", context="portfolio"),
            "index": words._("Population index (first year = 100)", context="portfolio")}[outcome]


def _control_label(words: Words, control: str) -> str:
    return {"never_treated": words._("Never treated", context="portfolio"),
            "not_yet_treated": words._("Not yet treated", context="portfolio")}[control]


def _effect_axis(words: Words, outcome: str) -> str:
    return {"log": words._("Effect on log population", context="portfolio"),
            "index": words._("Effect in index points", context="portfolio")}[outcome]


def _gap_axis(words: Words, outcome: str) -> str:
    return {"log": words._("Gap in log population", context="portfolio"),
            "index": words._("Gap in index points", context="portfolio")}[outcome]


def _scale(outcome: str) -> float:
    # Log effects are shown x 100: close to per cent for small effects, on the index's scale.
    return 100.0 if outcome == "log" else 1.0


# --------------------------------------------------------------------------- #
# chapters
# --------------------------------------------------------------------------- #


def title_page(study: PortfolioStudy, words: Words, *, title: str, client: str = "", evaluator: str = "",
               data_date: str = "") -> Chapter:
    """The title page: title, subtitle and facts (programmes, years, client, evaluator, data date)."""
    c = _context(study)
    facts = [
        (words._("Programmes studied", context="portfolio"), words._("{used} of {total} in the register",
                                                used=words.number(c["programmes"]),
                                                total=words.number(c["programmes_in_register"]), context="portfolio")),
        (words._("Years of data", context="portfolio"), f"{c['first_year']}–{c['last_year']}"),
    ]
    facts += [(label, value) for label, value in ((words._("Client", context="portfolio"), client),
                                                  (words._("Evaluator", context="portfolio"), evaluator),
                                                  (words._("Date of data", context="portfolio"), data_date)) if value]
    facts.append((words._("Made with", context="portfolio"), f"evalkit {__version__}"))
    return Chapter.of(TitlePage(title=title, subtitle=words.text("portfolio/subtitle", **c), facts=tuple(facts),
                                note=words.text("portfolio/title_note", **c)))


def summary(study: PortfolioStudy, words: Words) -> Chapter:
    """Summary: key figures, the answer in a paragraph, and the results.json figures."""
    c = _context(study)
    p, sc = c["primary"], c["primary_pooled"]
    items = (
        (words.number(c["programmes"]), words._("programmes studied", context="portfolio")),
        (words.number(c["treated_municipalities"]), words._("programme municipalities", context="portfolio")),
        (words.number(c["control_municipalities"]), words._("comparison municipalities (never treated)",
                                                            context="portfolio")),
        (_effect(words, p), words._("effect on population after the start (staggered DiD)", context="portfolio")),
        (_p(words, p["p_value"]), words._("p-value of the staggered DiD effect", context="portfolio")),
        (_effect(words, sc), words._("effect on population after the start (pooled synthetic control)",
                                     context="portfolio")),
        (_p(words, sc["p_value"]), words._("p-value of the pooled synthetic control", context="portfolio")),
        (_p(words, p["pretrend_p"]), words._("p-value of the pre-trend test", context="portfolio")),
    )
    return Chapter.of(
        Heading(words._("Summary", context="portfolio"), chapter="summary"),
        KeyFigures(words._("Key figures", context="portfolio"), items),
        _paragraphs(words, "portfolio/summary", **c),
        Record.of(study.figures()),
    )


def register(study: PortfolioStudy, words: Words) -> Chapter:
    """The programme register: every programme with its municipalities, years, source and use; sources by publisher."""
    c = _context(study)
    reg = study.register
    status = {
        "used": words._("yes", context="portfolio"),
        "no_start_year": words._("no: no start year", context="portfolio"),
        "starts_too_early": words._("no: starts before {year}", year=c["earliest_start"], context="portfolio"),
        "starts_after_panel": words._("no: starts after {year}", year=c["last_year"], context="portfolio"),
        "earlier_programme": words._("no: municipality in an earlier programme", context="portfolio"),
        "data_excluded": words._("no: no complete population series", context="portfolio"),
    }

    def years(first: Any, last: Any) -> str:
        return f"{int(first)}–{int(last)}" if not pd.isna(last) else f"{int(first)}–"

    table = pd.DataFrame({
        words._("Programme", context="portfolio"): reg["name"].to_numpy(),
        words._("Municipalities (2024)", context="portfolio"): [words.join(n) for n in reg["municipality_names"]],
        words._("Years", context="portfolio"): [years(f, l) if not pd.isna(f) else "" for f,
                                                l in zip(reg["first_year"], reg["last_year"])],
        words._("Source", context="portfolio"): ["; ".join(p) for p in reg["publishers"]],
        words._("In the analysis", context="portfolio"): reg["status"].map(status).to_numpy(),
    })
    rows = []
    for publisher in sorted({p for ps in reg["publishers"] for p in ps}):
        has = reg["publishers"].map(lambda ps, publisher=publisher: publisher in ps)
        rows.append({words._("Publisher", context="portfolio"): publisher,
                     words._("Programmes", context="portfolio"): int(has.sum()),
                     words._("In the analysis", context="portfolio"): int((has & reg["status"].eq("used")).sum())})
    sources = pd.DataFrame(rows).sort_values(
        [words._("Programmes", context="portfolio"), words._("Publisher", context="portfolio")], ascending=[False,
                                                                                                            True])
    return Chapter.of(
        Heading(words._("The programme register", context="portfolio"), chapter="register"),
        _paragraphs(words, "portfolio/register", **c, publishers=len(rows)),
        Table.from_frame(table, words._("Restructuring programmes in the register", context="portfolio"),
                         name="register",
                         number=words.number, index=False,
                         source=words._("Source: the publishers named in the table (see data/programmes/PROVENANCE.md)", context="portfolio")),
        Table.from_frame(sources, words._("Programmes by the publisher of their source", context="portfolio"),
                         name="register_sources",
                         number=words.number, index=False,
                         note=words._("A programme whose years come from two publishers counts for each.",
                                      context="portfolio")),
    )


def design(study: PortfolioStudy, words: Words) -> Chapter:
    """Design and data: outcomes, which municipalities are compared, who is left out and why."""
    c = _context(study)
    reasons = {
        "programme_before_window": words._("first programme before {year}", year=c["earliest_start"],
                                           context="portfolio"),
        "approximate": words._("series rebuilt from a split municipality (approximate)", context="portfolio"),
        "incomplete": words._("incomplete series", context="portfolio"),
    }
    ex = study.excluded
    table = pd.DataFrame({
        words._("Municipality", context="portfolio"): ex["name"].to_numpy(),
        words._("Code", context="portfolio"): ex.index.to_numpy(),
        words._("Reason", context="portfolio"): ex["reason"].map(reasons).to_numpy(),
        words._("Programme", context="portfolio"): [study.register["name"].get(pid, "") if isinstance(pid,
                                                                                                      str) else ""
                               for pid in ex["programme_id"]],
    })
    units = study.units
    cohorts = units[units["cohort"] > 0].groupby("cohort").size()
    cohort_table = pd.DataFrame({words._("First programme year", context="portfolio"): cohorts.index.astype(int),
                                 words._("Programme municipalities", context="portfolio"): cohorts.to_numpy()})
    return Chapter.of(
        Heading(words._("Design and data", context="portfolio"), chapter="design"),
        _paragraphs(words, "portfolio/design", **c),
        Table.from_frame(cohort_table, words._("Programme municipalities by the first year of their programme",
                                               context="portfolio"),
                         name="cohorts", number=words.number, index=False, source=_source(words)),
        Table.from_frame(table, words._("Municipalities left out of the analysis", context="portfolio"),
                         name="excluded",
                         number=words.number, index=False, source=_source(words)),
    )


def _estimates_frame(study: PortfolioStudy, words: Words, *, pooled: bool) -> pd.DataFrame:
    frame = study.to_frame()
    if not pooled:
        frame = frame[frame["estimator"] == "staggered_did"]
    scale = frame["outcome"].map(_scale)
    estimator = {"staggered_did": words._("Staggered DiD", context="portfolio"),
                 "pooled_synthetic_control": words._("Pooled synthetic control", context="portfolio")}
    out = pd.DataFrame({
        words._("Estimator", context="portfolio"): frame["estimator"].map(estimator).to_numpy(),
        words._("Outcome", context="portfolio"): [_outcome_label(words, o) for o in frame["outcome"]],
        words._("Comparison units", context="portfolio"): [_control_label(words, k) for k in frame["control"]],
        words._("Effect", context="portfolio"): (frame["att"] * scale).to_numpy(),
        words._("Std. error", context="portfolio"): (frame["se"] * scale).to_numpy(),
        words._("95 % interval, low", context="portfolio"): (frame["ci_low"] * scale).to_numpy(),
        words._("95 % interval, high", context="portfolio"): (frame["ci_high"] * scale).to_numpy(),
        words._("p-value", context="portfolio"): frame["p_value"].to_numpy(),
    })
    if not pooled:
        out = out.drop(columns=[words._("Estimator", context="portfolio")])
        out[words._("Event-study average", context="portfolio")] = (frame["att_dynamic"] * scale).to_numpy()
    return out


def staggered_results(study: PortfolioStudy, words: Words) -> Chapter:
    """Staggered DiD: a table with both comparison groups and both outcomes, and the event-study chart."""
    c = _context(study)
    table = _estimates_frame(study, words, pooled=False)
    fig, ax = study.dynamic().plot(labels={
        "x": words._("Years since the programme started", context="portfolio"),
        "y": _effect_axis(words, study.outcomes[0]),
        "pre": words._("Before the start", context="portfolio"),
        "post": words._("After the start", context="portfolio"),
    })
    return Chapter.of(
        Heading(words._("Staggered difference-in-differences", context="portfolio"), chapter="staggered"),
        _paragraphs(words, "portfolio/staggered", **c),
        Table.from_frame(table, words._("Average effect after the start, by outcome and comparison units",
                                        context="portfolio"),
                         name="staggered_did", number=words.number, index=False,
                         formats={words._("p-value", context="portfolio"): lambda v: _p(words,
                                                                                        v)}, source=_source(words),
                         note=words._("Log population x 100: close to per cent for small effects. Doubly robust "
                                      "estimator, varying base period, multiplier-bootstrap standard errors.", context="portfolio")),
        Figure.from_matplotlib(fig, words._("Effect by years since the start, with a uniform 95 % band",
                                            context="portfolio"),
                               name="event_study", source=_source(words),
                               note=words._("Outcome: {outcome}. Comparison units: {control}.",
                                            outcome=_outcome_label(words, study.outcomes[0]),
                                            control=_control_label(words, study.controls[0]), context="portfolio")),
    )


def pooled_results(study: PortfolioStudy, words: Words) -> Chapter:
    """Pooled synthetic control: the average gap by event time and each programme's pre-period fit."""
    c = _context(study)
    result = study.primary_pooled
    fig, ax = result.plot(labels={
        "effect": words._("Average gap, programmes", context="portfolio"),
        "placebo": words._("Placebo averages, 5-95 %", context="portfolio"),
        "xlabel": words._("Years since the programme started", context="portfolio"),
        "ylabel": _gap_axis(words, study.outcomes[0]),
    })
    fit = study.pre_fit()
    scale = _scale(study.outcomes[0])
    table = pd.DataFrame({
        words._("Programme", context="portfolio"): fit["name"].to_numpy(),
        words._("Start", context="portfolio"): fit["start"].to_numpy(),
        words._("Pre-years", context="portfolio"): fit["pre_periods"].to_numpy(),
        words._("Pre-period RMSPE", context="portfolio"): (fit["pre_rmspe"] * scale).to_numpy(),
        words._("Mean gap after the start", context="portfolio"): (fit["post_mean_gap"] * scale).to_numpy(),
        words._("Perfect placebo pre-fits",
                context="portfolio"): (fit["perfect_placebo_prefits"] / fit["placebos"].where(fit["placebos"] > 0)
                                              ).to_numpy(),
    })
    return Chapter.of(
        Heading(words._("Pooled synthetic control", context="portfolio"), chapter="pooled"),
        _paragraphs(words, "portfolio/pooled", **c),
        Figure.from_matplotlib(fig, words._("Average gap between the programmes and their synthetic controls by "
                                            "years since the start, with the range of placebo averages", context="portfolio"),
                               name="pooled_synthetic_control", source=_source(words)),
        Table.from_frame(table, words._("Pre-period fit of each programme's synthetic control", context="portfolio"),
                         name="pooled_prefit",
                         number=words.number, index=False,
                         formats={words._("Perfect placebo pre-fits",
                                          context="portfolio"): lambda v: words.percent(v),
                                  words._("Pre-period RMSPE", context="portfolio"): lambda v: words.number(v, 3)},
                         source=_source(words),
                         note=words._("Gaps x 100 for log population. Perfect placebo pre-fits: share of the donor "
                                      "placebos that fit the same pre-period exactly.", context="portfolio")),
    )


def pretrends(study: PortfolioStudy, words: Words) -> Chapter:
    """Pre-trend diagnostics: the joint test for every fit and the average change before the start."""
    c = _context(study)
    rows = []
    for (outcome, control), fit in study.staggered.items():
        test = fit.pretrend_test()
        d = c["did"][outcome][control]
        rows.append({
            words._("Outcome", context="portfolio"): _outcome_label(words, outcome),
            words._("Comparison units", context="portfolio"): _control_label(words, control),
            words._("Chi-squared", context="portfolio"): test["statistic"],
            words._("Degrees of freedom", context="portfolio"): int(test["df"]),
            words._("p-value", context="portfolio"): test["p_value"],
            words._("Mean yearly difference before the start", context="portfolio"): d["pre_mean"] * _scale(outcome),
        })
    table = pd.DataFrame(rows)
    warning = None
    if c["pretrend_rejects"]:
        warning = Note(words.text("portfolio/pretrend_warning", **c), tone="warning")
    calibration = None
    cal = study.pretrend_calibration()
    if cal["placebos"]:
        scale = _scale(study.outcomes[0])
        placebos = study.pretrend_placebos
        calibration = Table.from_frame(
            pd.DataFrame({
                words._("Statistic", context="portfolio"): [
                    words._("Joint test, p-value", context="portfolio"),
                    words._("Mean yearly difference before the start", context="portfolio"),
                    words._("Simple average effect", context="portfolio"),
                ],
                words._("Programme municipalities", context="portfolio"): [
                    _p(words, study.pretrend()["p_value"]), words.number(cal["pre_mean"] * scale, 2),
                    words.number(study.primary.aggregate("simple").att * scale, 2)],
                words._("Placebo programmes, median", context="portfolio"): [
                    _p(words, float(placebos["p_value"].median())),
                    words.number(float(placebos["pre_mean"].median()) * scale, 2),
                    words.number(float(placebos["att"].median()) * scale, 2)],
                words._("Share of placebos rejecting", context="portfolio"): [
                    words.percent(cal["placebo_reject_share"]), "", ""],
                words._("Calibrated p-value", context="portfolio"): [
                    _p(words, cal["calibrated_p"]), _p(words, cal["pre_mean_p"]), _p(words, cal["att_p"])],
            }),
            words._("The pre-trend test and the effect against {count} placebo programmes",
                    count=int(cal["placebos"]),
                    context="portfolio"),
            name="pretrend_placebos", number=words.number, index=False, source=_source(words),
            note=words._("Placebo programmes: the real start years and group sizes given to municipalities without a "
                         "programme, drawn at random. Differences and effects x 100 for log population.",
                         context="portfolio"),
        )
    return Chapter.of(
        Heading(words._("Pre-trend diagnostics", context="portfolio"), chapter="pretrends"),
        _paragraphs(words, "portfolio/pretrends", **c),
        warning,
        Table.from_frame(table, words._("Joint tests that every pre-period effect is zero", context="portfolio"),
                         name="pretrend_tests",
                         number=words.number, index=False,
                         formats={words._("p-value", context="portfolio"): lambda v: _p(words, v),
                                  words._("Chi-squared", context="portfolio"): lambda v: words.number(v, 1),
                                  words._("Mean yearly difference before the start",
                                          context="portfolio"): lambda v: words.number(v, 2)},
                         source=_source(words)),
        calibration,
    )


def results_table(study: PortfolioStudy, words: Words) -> Chapter:
    """Both estimators side by side."""
    c = _context(study)
    table = _estimates_frame(study, words, pooled=True)
    return Chapter.of(
        Heading(words._("Results of both estimators", context="portfolio"), chapter="results"),
        _paragraphs(words, "portfolio/results", **c),
        Table.from_frame(table, words._("Average effect after the start: staggered DiD and pooled synthetic control",
                                        context="portfolio"),
                         name="results", number=words.number, index=False,
                         formats={words._("p-value", context="portfolio"): lambda v: _p(words,
                                                                                        v)}, source=_source(words),
                         note=words._("The pooled synthetic control's p-value is from its permutation test; it has "
                                      "no standard error.", context="portfolio")),
    )


def conclusion(study: PortfolioStudy, words: Words) -> Chapter:
    """The conclusion, decided by the results and :data:`LEVELS`, beside the earlier studies."""
    c = _context(study)
    return Chapter.of(
        Heading(words._("Conclusion", context="portfolio"), chapter="conclusions"),
        _paragraphs(words, "portfolio/conclusion", **c),
    )


def method_appendix(study: PortfolioStudy, words: Words) -> Chapter:
    """Method appendix: the choices made and their sources."""
    c = _context(study)
    p = study.primary
    choices = pd.DataFrame({
        words._("Choice", context="portfolio"): [
            words._("Group-time estimator", context="portfolio"),
            words._("Base period", context="portfolio"),
            words._("Comparison units", context="portfolio"),
            words._("Bootstrap draws", context="portfolio"),
            words._("Confidence band", context="portfolio"),
            words._("Fewest pre-years", context="portfolio"),
            words._("Pooled synthetic control: units", context="portfolio"),
            words._("Pooled synthetic control: normalisation", context="portfolio"),
            words._("Permutations", context="portfolio"),
            words._("Seed", context="portfolio"),
        ],
        words._("Value", context="portfolio"): [
            words._("doubly robust (Sant'Anna and Zhao 2020)", context="portfolio"),
            (words._("varying (year before each year)", context="portfolio") if p.base_period == "varying"
             else words._("universal", context="portfolio")),
            words.join([_control_label(words, k) for k in study.controls]),
            words.number(study.bootstrap),
            words._("uniform (sup-t), {level}", level=words.percent(1 - p.alpha), context="portfolio"),
            words.number(study.min_pre_years),
            words._("programmes (summed population of their municipalities)", context="portfolio"),
            {"log": words._("log difference from the year before the start", context="portfolio"),
             "index": words._("index, year before the start = 100", context="portfolio")}[study.outcomes[0]],
            words.number(study.permutations),
            str(study.seed),
        ],
    })
    return Chapter.of(
        Heading(words._("Method appendix", context="portfolio"), chapter="appendix", appendix=True),
        _paragraphs(words, "portfolio/appendix", **c),
        Table.from_frame(choices, words._("Choices of the analysis", context="portfolio"), name="method_choices",
                         number=words.number,
                         index=False),
    )


def all_chapters(study: PortfolioStudy, words: Words, *, title: str, client: str = "", evaluator: str = "",
                 data_date: str = "") -> Chapter:
    """Every chapter in report order (for tests and scripts; the notebook calls them one by one)."""
    return Chapter.of(
        title_page(study, words, title=title, client=client, evaluator=evaluator, data_date=data_date),
        summary(study, words), register(study, words), design(study, words), staggered_results(study, words),
        pooled_results(study, words), pretrends(study, words), results_table(study, words),
        conclusion(study, words), method_appendix(study, words),
    )

