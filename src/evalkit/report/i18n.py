"""Words and number formats of a report in Norwegian (``nb``) or English (``en``).

Numbers are formatted with Babel (CLDR locale data), so Norwegian reports
read ``1 234``, ``60 %`` and ``17,5 mill. kr`` without hand-made formatting.
"""

from __future__ import annotations

import math

from babel import Locale
from babel.numbers import format_decimal, format_percent

from evalkit.errors import InputError

LANGUAGES = ("nb", "en")
_LOCALE = {"nb": "nb_NO", "en": "en_GB"}


def check_language(language: str) -> str:
    """Return ``language`` if it is supported, else raise :class:`InputError`."""
    if language not in LANGUAGES:
        raise InputError(
            f"'{language}' is not a supported language.",
            parameter="language",
            hint=f"Use one of: {', '.join(LANGUAGES)}.",
        )
    return language


def number(value: float, language: str = "nb", decimals: int = 0) -> str:
    """A number with the language's grouping and decimal mark (``1 234,5`` / ``1,234.5``).

    Missing values read ``–`` and infinite ones ``∞`` (a cost per job with no jobs).
    """
    locale = _LOCALE[check_language(language)]
    if value is None or not math.isfinite(value):
        return "–" if value is None or math.isnan(value) else ("∞" if value > 0 else "-∞")
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(round(float(value), decimals), format=pattern, locale=locale)


def percent(share: float, language: str = "nb", decimals: int = 0) -> str:
    """A share as a percentage (``0.6`` -> ``60 %`` / ``60%``)."""
    locale = _LOCALE[check_language(language)]
    # The locale's own pattern keeps its spacing ("60 %" in Norwegian, "60%" in English).
    pattern = Locale.parse(locale).percent_formats[None].pattern
    if decimals:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals, 1)
    return format_percent(share, format=pattern, locale=locale)


def nok(value: float, language: str = "nb") -> str:
    """An amount of NOK, in millions from one million (``17,5 mill. kr`` / ``NOK 17.5 million``)."""
    if abs(value) >= 1_000_000:
        amount = number(value / 1_000_000, language, decimals=1)
        return f"{amount} mill. kr" if language == "nb" else f"NOK {amount} million"
    amount = number(value, language)
    return f"{amount} kr" if language == "nb" else f"NOK {amount}"


# --- category labels of the data model ------------------------------------------------------------
# The data are written in Norwegian (projects.type, projects.sector); a report names them in its own
# language. One place for both notebooks, so an English report never shows "forprosjekt".

#: Display names of the project phases (the data model's ``type``) in a report's language.
PHASE_NAMES: dict[str, dict[str, str]] = {
    "nb": {"forstudie": "Forstudie", "forprosjekt": "Forprosjekt", "hovedprosjekt": "Hovedprosjekt",
           "nettverk": "Nettverk", "kompetanse": "Kompetanseprogram"},
    "en": {"forstudie": "Pre-study", "forprosjekt": "Pre-project", "hovedprosjekt": "Main project",
           "nettverk": "Network", "kompetanse": "Competence programme"},
}
#: Display names of the data model's example sectors; other sectors are shown as written in the data.
SECTOR_NAMES: dict[str, dict[str, str]] = {
    "nb": {},
    "en": {"Industri": "Industry", "IKT": "ICT", "Bioøkonomi": "Bioeconomy", "Reiseliv": "Tourism",
           "Handel og service": "Retail and services", "Annet": "Other"},
}


def phase_name(phase: str, language: str = "nb") -> str:
    """A project phase (``forstudie``, ...) as the report names it (``Forstudie`` / ``Pre-study``)."""
    return PHASE_NAMES[check_language(language)].get(phase, phase)


def sector_name(sector: str, language: str = "nb") -> str:
    """A sector as the report names it (English names for the data model's example sectors)."""
    return SECTOR_NAMES[check_language(language)].get(sector, sector)


def category_name(value: str, language: str = "nb") -> str:
    """A phase or a sector as the report names it; any other value unchanged.

    For tables whose rows or columns mix both, e.g. a cross table of sector by
    project type: ``frame.rename(index=f, columns=f)`` with
    ``f = lambda v: category_name(v, language)``.
    """
    if value in PHASE_NAMES["nb"]:
        return phase_name(value, language)
    return sector_name(value, language) if isinstance(value, str) else value
