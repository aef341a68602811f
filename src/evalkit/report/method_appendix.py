"""The method appendix: the choices behind a report's net-effect figures, stated in nb or en.

A final evaluation must state every method choice (Innovasjon Norge's outline
for a *sluttevaluering*: "data quality and method"). The functions here turn
the assumptions a net effect was computed with into a table (value, range,
source) and a paragraph, so the appendix always says what was really used:
a changed parameter in the evaluation file changes the text.

Sources of the defaults are those of :mod:`evalkit.methods.net_effect.assumptions`: English
Partnerships/HCA, *Additionality Guide* (ready-reckoner ranges); UK DCLG,
*Appraisal Guide* (national scale); Finansdepartementet, circular R-109 (real
discount rate 4 %).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.methods.net_effect.assumptions import assumptions_for
from evalkit.errors import InputError
from evalkit.report.i18n import check_language, number, percent

#: Rows of the choices table, in the order of the gross-to-net formula and then cost.
CHOICES: tuple[str, ...] = (
    "attribution_basis", "leakage", "deadweight", "displacement", "substitution", "multiplier",
    "secured_weight", "realisation_rate", "persistence_years", "discount_rate",
)
ATTRIBUTION_BASES: tuple[str, ...] = ("public_funding", "total_cost")

_NAMES = {
    "nb": {
        "attribution_basis": "Tilskriving", "leakage": "Lekkasje", "deadweight": "Dødvekt",
        "displacement": "Fortrengning", "substitution": "Substitusjon", "multiplier": "Multiplikator",
        "secured_weight": "Vekt på sikrede arbeidsplasser", "realisation_rate": "Realiseringsgrad for forventede arbeidsplasser",
        "persistence_years": "Varighet", "discount_rate": "Reell diskonteringsrente",
    },
    "en": {
        "attribution_basis": "Attribution", "leakage": "Leakage", "deadweight": "Deadweight",
        "displacement": "Displacement", "substitution": "Substitution", "multiplier": "Multiplier",
        "secured_weight": "Weight of secured jobs", "realisation_rate": "Realisation rate of expected jobs",
        "persistence_years": "Persistence", "discount_rate": "Real discount rate",
    },
}
_COLUMNS = {"nb": ("Valg", "Spenn", "Kilde"), "en": ("Choice", "Range", "Source")}
_BASIS = {
    "nb": {"public_funding": "programmets andel av offentlig finansiering", "total_cost": "programmets andel av prosjektkostnaden"},
    "en": {"public_funding": "programme's share of public funding", "total_cost": "programme's share of project cost"},
}
_AG = {"nb": "English Partnerships/HCA, Additionality Guide (referanseverdier)",
       "en": "English Partnerships/HCA, Additionality Guide (ready-reckoner)"}
_SOURCES: dict[str, dict[str, str]] = {
    "nb": {
        "attribution_basis": "alle offentlige kilder regnes med (DFP Northern Ireland, veileder for samfunnsøkonomisk analyse)",
        "national": "UK DCLG, Appraisal Guide: ingen netto nye arbeidsplasser nasjonalt uten belegg på tilbudssiden",
        "regional_multiplier": "evalkits valg: samme som lokal multiplikator (ingen regional referanseverdi)",
        "secured_weight": "evalkits standard: sikrede arbeidsplasser regnes ikke som nyskaping",
        "realisation_rate": "evalkits valg: ingen publisert norsk realiseringsgrad",
        "persistence_years": "effekter av bedriftsstøtte viser seg mest etter 2–3 år",
        "discount_rate": "Finansdepartementet, rundskriv R-109",
        "analyst": "satt i evalueringen",
    },
    "en": {
        "attribution_basis": "all public funding sources are taken into account (DFP Northern Ireland appraisal guidance)",
        "national": "UK DCLG, Appraisal Guide: no net jobs at national scale without supply-side evidence",
        "regional_multiplier": "evalkit's choice: the local multiplier (no regional benchmark)",
        "secured_weight": "evalkit's default: secured jobs are not job creation",
        "realisation_rate": "evalkit's choice: no published Norwegian realisation rate",
        "persistence_years": "effects of business support show mainly after 2–3 years",
        "discount_rate": "Finansdepartementet (Norwegian Ministry of Finance), circular R-109",
        "analyst": "set in the evaluation",
    },
}
_WEIGHT_BY = {"nb": {"jobs": "tilskrevne arbeidsplasser", "grant": "støtte", "none": "likt"},
              "en": {"jobs": "attributed jobs", "grant": "grant", "none": "equally"}}


def _default_source(name: str, scale: str, language: str) -> str:
    words = _SOURCES[language]
    if name in ("leakage", "deadweight", "substitution"):
        return _AG[language]
    if name in ("displacement", "multiplier"):
        if scale == "national":
            return words["national"]
        if scale == "regional" and name == "multiplier":
            return words["regional_multiplier"]
        level = {"nb": {"local": "lokalt", "regional": "regionalt"}, "en": {"local": "local", "regional": "regional"}}
        return f"{_AG[language]} – {level[language][scale]}"
    return words[name]


def _shown(name: str, value: float, language: str) -> str:
    if name == "multiplier":
        return number(value, language, 1 if float(round(value * 10, 6)).is_integer() else 2)
    if name == "persistence_years":
        return f"{number(value, language, 0 if float(value).is_integer() else 1)}\u00a0" + ("år" if language == "nb" else "years")
    decimals = 0 if float(round(value * 100, 6)).is_integer() else 1
    return percent(value, language, decimals)


def _range(name: str, low: float, high: float, language: str) -> str:
    if low == high:
        return ""
    a, b = _shown(name, low, language), _shown(name, high, language)
    # "0 %–75 %" reads badly: the unit once, after the range.
    for unit in ("\u00a0%", "\u202f%", " %", "%", "\u00a0år", "\u00a0years"):
        if a.endswith(unit) and b.endswith(unit):
            a = a[: -len(unit)]
    # No line break inside a range: a narrow column would otherwise split "1,0–" from "1,7".
    return f"{a}\u2060–\u2060{b}".replace(" ", "\u00a0")


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
        ``nb`` or ``en``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the choice's name in the language; columns
        choice / range / source.

    Notes
    -----
    A value equal to the spatial scale's default cites the default's source
    (Additionality Guide, DCLG, R-109, ...); another value is marked as set in
    the evaluation. Deadweight taken from the firm survey cites the survey.
    """
    language = check_language(language)
    if attribution_basis not in ATTRIBUTION_BASES:
        raise InputError(f"'{attribution_basis}' is not an attribution basis.", parameter="attribution_basis",
                         hint=f"Use one of: {', '.join(ATTRIBUTION_BASES)}.")
    assumptions = net_effect.net.assumptions
    factors = net_effect.net.factors
    defaults = assumptions_for(assumptions.spatial_scale)
    survey = net_effect.net.survey  # set only when the deadweight was taken from the survey
    rows = []
    for name in CHOICES:
        if name == "attribution_basis":
            rows.append((_BASIS[language][attribution_basis], "", _SOURCES[language]["attribution_basis"]))
            continue
        value = float(factors.get(name, getattr(assumptions, name)))
        low, high = assumptions.ranges.get(name, (value, value))
        if name == "deadweight" and survey is not None:
            weight = _WEIGHT_BY[language].get(survey_weight_by, survey_weight_by)
            source = (f"bedriftsundersøkelsen: {number(survey.n_valid, language)} svar fra {number(survey.responding_firms, language)} "
                      f"av {number(survey.surveyed_firms, language)} bedrifter, vektet etter {weight}; spennet bootstrappes"
                      if language == "nb" else
                      f"the firm survey: {number(survey.n_valid, language)} answers from {number(survey.responding_firms, language)} "
                      f"of {number(survey.surveyed_firms, language)} firms, weighted by {weight}; the range is bootstrapped")
            low = high = value  # the survey's interval comes from the bootstrap, not a benchmark range
        elif abs(value - float(getattr(defaults, name))) <= 1e-12:
            source = _default_source(name, assumptions.spatial_scale, language)
        else:
            source = _SOURCES[language]["analyst"]
        rows.append((_shown(name, value, language), _range(name, low, high, language), source))
    frame = pd.DataFrame(rows, columns=list(_COLUMNS[language]),
                         index=pd.Index([_NAMES[language][n] for n in CHOICES], name=""))
    return frame


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
    includes, and how the intervals were drawn — from the values used.
    """
    language = check_language(language)
    if attribution_basis not in ATTRIBUTION_BASES:
        raise InputError(f"'{attribution_basis}' is not an attribution basis.", parameter="attribution_basis",
                         hint=f"Use one of: {', '.join(ATTRIBUTION_BASES)}.")
    a = net_effect.net.assumptions
    scale = {"nb": {"local": "kommunen", "regional": "regionen", "national": "landet"},
             "en": {"local": "the municipality", "regional": "the region", "national": "the country"}}[language][a.spatial_scale]
    basis = {"nb": {"public_funding": "sin andel av den offentlige finansieringen", "total_cost": "sin andel av prosjektkostnaden"},
             "en": {"public_funding": "share of the public funding", "total_cost": "share of the project cost"}}[language][attribution_basis]
    secured = percent(a.secured_weight, language)
    if language == "nb":
        return (
            f"Bruttotall er registrerte årsverk per prosjekt og bedrift; nye og sikrede arbeidsplasser holdes adskilt, og sikrede teller "
            f"med {secured} i netto nyskaping. Programmet tilskrives {basis} i hvert prosjekt, og ingen bedrift godskrives flere "
            f"arbeidsplasser enn den har registrert. Netto addisjonelle arbeidsplasser = tilskrevne × (1 − lekkasje) × (1 − dødvekt) × "
            f"(1 − fortrengning) × (1 − substitusjon) × multiplikator, anslått for {scale} (English Partnerships/HCA, Additionality Guide; "
            f"HM Treasury, Green Book). Netto årsverk er netto arbeidsplasser × varighet ({_shown('persistence_years', a.persistence_years, 'nb')}); "
            f"nåverdier med reell diskonteringsrente {_shown('discount_rate', a.discount_rate, 'nb')}. Offentlig kostnad er programmets midler "
            + ("medregnet andre offentlige medfinansiørers midler" if include_cofunders else "uten andre offentlige medfinansiørers midler")
            + f". Usikkerhetsintervallene (5–95 %) er fra {number(mc_draws, 'nb')} Monte Carlo-trekk (frø {seed}) der hver antakelse "
            "trekkes innenfor spennet i tabellen og dødvekten fra spørreundersøkelsen bootstrappes over bedriftene."
        )
    return (
        f"Gross figures are registered full-time equivalents per project and firm; new and secured jobs are kept apart, and secured jobs "
        f"count {secured} towards net creation. The programme is credited with its {basis} in each project, and no firm is credited with "
        f"more jobs than it registered. Net additional jobs = attributed × (1 − leakage) × (1 − deadweight) × (1 − displacement) × "
        f"(1 − substitution) × multiplier, estimated for {scale} (English Partnerships/HCA, Additionality Guide; HM Treasury, Green Book). "
        f"Net job-years are net jobs × persistence ({_shown('persistence_years', a.persistence_years, 'en')}); present values at a real "
        f"discount rate of {_shown('discount_rate', a.discount_rate, 'en')}. Public cost is the programme's funds, "
        + ("including other public co-funders' money" if include_cofunders else "without other public co-funders' money")
        + f". The intervals (5–95 %) come from {number(mc_draws, 'en')} Monte-Carlo draws (seed {seed}) in which every assumption is "
        "drawn within the range in the table and the survey deadweight is bootstrapped over firms."
    )
