"""The method appendix: the choices behind a report's net-effect figures, in the report's language.

A final evaluation must state every method choice (Innovasjon Norge's outline
for a *sluttevaluering*: "data quality and method"). The functions here turn
the assumptions a net effect was computed with into a table (value, range,
source) and a paragraph, so the appendix always says what was really used:
a changed parameter in the evaluation file changes the text. The words come
from the catalogue and the template ``final_evaluation/net_effect_method``
(:mod:`evalkit.report.words`), the terms from the glossary.

Sources of the defaults are those of :mod:`evalkit.methods.net_effect.assumptions`: English
Partnerships/HCA, *Additionality Guide* (ready-reckoner ranges); UK DCLG,
*Appraisal Guide* (national scale); Finansdepartementet, circular R-109 (real
discount rate 4 %).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.errors import InputError
from evalkit.methods.net_effect.assumptions import assumptions_for
from evalkit.report.words import Words, check_language

#: Rows of the choices table, in the order of the gross-to-net formula and then cost.
CHOICES: tuple[str, ...] = (
    "attribution_basis", "leakage", "deadweight", "displacement", "substitution", "multiplier",
    "secured_weight", "realisation_rate", "persistence_years", "discount_rate",
)
ATTRIBUTION_BASES: tuple[str, ...] = ("public_funding", "total_cost")


def _names(w: Words) -> dict[str, str]:
    return {
        "attribution_basis": w.term("attribution", capital=True),
        "leakage": w.term("leakage", capital=True),
        "deadweight": w.term("deadweight", capital=True),
        "displacement": w.term("displacement", capital=True),
        "substitution": w.term("substitution", capital=True),
        "multiplier": w.term("multiplier", capital=True),
        "secured_weight": w._("Weight of secured jobs"),
        "realisation_rate": w._("Realisation rate of expected jobs"),
        "persistence_years": w.term("persistence", capital=True),
        "discount_rate": w.term("discount_rate", capital=True),
    }


def _basis(w: Words, basis: str) -> str:
    return {"public_funding": w._("programme's share of public funding"),
            "total_cost": w._("programme's share of project cost")}[basis]


def _sources(w: Words) -> dict[str, str]:
    return {
        "attribution_basis": w._("all public funding sources are taken into account (DFP Northern Ireland appraisal guidance)"),
        "national": w._("UK DCLG, Appraisal Guide: no net jobs at national scale without supply-side evidence"),
        "regional_multiplier": w._("evalkit's choice: the local multiplier (no regional benchmark)"),
        "secured_weight": w._("evalkit's default: secured jobs are not job creation"),
        "realisation_rate": w._("evalkit's choice: no published Norwegian realisation rate"),
        "persistence_years": w._("effects of business support show mainly after 2–3 years"),
        "discount_rate": w._("Finansdepartementet (Norwegian Ministry of Finance), circular R-109"),
        "analyst": w._("set in the evaluation"),
    }


def _weight_by(w: Words, weight_by: str) -> str:
    return {"jobs": w._("attributed jobs"), "grant": w._("grant"), "answers": w._("equally"),
            "none": w._("equally")}.get(weight_by, weight_by)


def _default_source(name: str, scale: str, w: Words) -> str:
    sources = _sources(w)
    guide = w._("English Partnerships/HCA, Additionality Guide (ready-reckoner)")
    if name in ("leakage", "deadweight", "substitution"):
        return guide
    if name in ("displacement", "multiplier"):
        if scale == "national":
            return sources["national"]
        if scale == "regional" and name == "multiplier":
            return sources["regional_multiplier"]
        level = {"local": w._("local", context="spatial scale"), "regional": w._("regional", context="spatial scale")}
        return f"{guide} – {level[scale]}"
    return sources[name]


def _shown(name: str, value: float, w: Words) -> str:
    if name == "multiplier":
        return w.number(value, 1 if float(round(value * 10, 6)).is_integer() else 2)
    if name == "persistence_years":
        return w._("{n}\u00a0years", n=w.number(value, 0 if float(value).is_integer() else 1))
    decimals = 0 if float(round(value * 100, 6)).is_integer() else 1
    return w.percent(value, decimals)


def _range(name: str, low: float, high: float, w: Words) -> str:
    if low == high:
        return ""
    a, b = _shown(name, low, w), _shown(name, high, w)
    # "0 %–75 %" reads badly: the unit once, after the range.
    unit = b.lstrip("0123456789.,\u00a0\u202f -")
    for space in ("\u00a0", "\u202f", " ", ""):
        if unit and a.endswith(space + unit) and b.endswith(space + unit):
            a = a[: -len(space + unit)]
            break
    # No line break inside a range: a narrow column would otherwise split "1,0–" from "1,7".
    return f"{a}\u2060–\u2060{b}".replace(" ", "\u00a0")


def _check_basis(attribution_basis: str) -> None:
    if attribution_basis not in ATTRIBUTION_BASES:
        raise InputError(f"'{attribution_basis}' is not an attribution basis.", parameter="attribution_basis",
                         hint=f"Use one of: {', '.join(ATTRIBUTION_BASES)}.")


def net_effect_choices(
    net_effect: Any,
    *,
    attribution_basis: str = "public_funding",
    survey_weight_by: str = "jobs",
    language: str = "nb",
) -> pd.DataFrame:
    """The method choices of a net effect as a table: choice, range and source, one row each.

    Parameters
    ----------
    net_effect
        A :class:`~evalkit.methods.net_effect.estimate.NetEffect` (its ``net.assumptions``,
        ``net.factors`` and ``net.survey`` are used).
    attribution_basis
        ``public_funding`` or ``total_cost``, as passed to the estimate.
    survey_weight_by
        How the survey deadweight was weighted (``jobs`` or ``grant``).
    language
        ``nb``, ``nn`` or ``en``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the choice's name in the language (glossary terms); columns
        choice / range / source.

    Notes
    -----
    A value equal to the spatial scale's default cites the default's source
    (Additionality Guide, DCLG, R-109, ...); another value is marked as set in
    the evaluation. Deadweight taken from the firm survey cites the survey.
    """
    w = Words(check_language(language))
    _check_basis(attribution_basis)
    assumptions = net_effect.net.assumptions
    factors = net_effect.net.factors
    defaults = assumptions_for(assumptions.spatial_scale)
    survey = net_effect.net.survey  # set only when the deadweight was taken from the survey
    rows = []
    for name in CHOICES:
        if name == "attribution_basis":
            rows.append((_basis(w, attribution_basis), "", _sources(w)["attribution_basis"]))
            continue
        value = float(factors.get(name, getattr(assumptions, name)))
        low, high = assumptions.ranges.get(name, (value, value))
        if name == "deadweight" and survey is not None:
            source = w._("the firm survey: {answers} answers from {responding} of {surveyed} firms, weighted by {weight}; "
                         "the range is bootstrapped", answers=w.number(survey.n_valid),
                         responding=w.number(survey.responding_firms), surveyed=w.number(survey.surveyed_firms),
                         weight=_weight_by(w, survey_weight_by))
            low = high = value  # the survey's interval comes from the bootstrap, not a benchmark range
        elif abs(value - float(getattr(defaults, name))) <= 1e-12:
            source = _default_source(name, assumptions.spatial_scale, w)
        else:
            source = _sources(w)["analyst"]
        rows.append((_shown(name, value, w), _range(name, low, high, w), source))
    names = _names(w)
    return pd.DataFrame(rows, columns=[w._("Choice"), w._("Range"), w._("Source")],
                        index=pd.Index([names[n] for n in CHOICES], name=""))


def net_effect_method(
    net_effect: Any,
    *,
    attribution_basis: str = "public_funding",
    include_cofunders: bool = False,
    mc_draws: int = 10_000,
    seed: int = 0,
    language: str = "nb",
) -> str:
    """A paragraph (Markdown) on how gross jobs became net additional jobs and cost per job.

    Says the attribution basis, the gross-to-net formula and spatial scale,
    how secured jobs count, persistence and discounting, what the public cost
    includes, and how the intervals were drawn — from the values used
    (template ``final_evaluation/net_effect_method``).
    """
    w = Words(check_language(language))
    _check_basis(attribution_basis)
    a = net_effect.net.assumptions
    return w.text(
        "final_evaluation/net_effect_method",
        attribution_basis=attribution_basis, spatial_scale=a.spatial_scale, secured_weight=a.secured_weight,
        persistence=_shown("persistence_years", a.persistence_years, w),
        discount_rate=_shown("discount_rate", a.discount_rate, w), include_cofunders=bool(include_cofunders),
        mc_draws=int(mc_draws), seed=int(seed), survey=getattr(net_effect.net, "survey", None) is not None,
    )
