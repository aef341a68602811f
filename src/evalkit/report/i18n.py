"""Category names and chart labels of a report, as short functions of a language.

Numbers are formatted in one place, :class:`evalkit.report.words.Words`
(Babel, CLDR locale data: ``1 234``, ``60 %``, ``17,5 mill. kr``).

Categories of the data model are written in Norwegian in the data
(``projects.type``: ``forstudie``, ...; ``projects.sector``: ``Industri``, ...).
A report names them in its own language through the catalogue, under the
message contexts ``phase`` and ``sector`` (``# categories`` in the ``.po``
files); a sector the catalogue does not know is shown as written in the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.report.words import LANGUAGES, Words, catalogue, check_language

__all__ = [
    "LANGUAGES", "category_name", "check_language", "phase_name", "plot_labels", "sector_name",
]


def _known(value: Any, context: str) -> bool:
    # Every language has the same entries (tests/test_words.py), so bokmål's catalogue says what is known.
    return isinstance(value, str) and (context, value) in catalogue("nb")


def phase_name(phase: str, language: str = "nb") -> str:
    """A project phase (``forstudie``, ...) as the report names it (``Forstudie`` / ``Pre-study``)."""
    check_language(language)
    return Words(language)._(phase, context="phase") if _known(phase, "phase") else phase


def sector_name(sector: str, language: str = "nb") -> str:
    """A sector as the report names it; a sector the catalogue does not know, as written in the data."""
    check_language(language)
    return Words(language)._(sector, context="sector") if _known(sector, "sector") else sector


def category_name(value: Any, language: str = "nb") -> Any:
    """A phase or a sector as the report names it; any other value unchanged.

    For tables whose rows or columns mix both, e.g. a cross table of sector by
    project type: ``frame.rename(index=f, columns=f)`` with
    ``f = lambda v: category_name(v, language)``.
    """
    if _known(value, "phase"):
        return phase_name(value, language)
    return sector_name(value, language) if isinstance(value, str) else value


def plot_labels(result: Any, language: str = "nb", **extra: str) -> dict[str, str]:
    """The default labels of ``result.plot`` in ``language`` (its ``PLOT_LABELS``, context ``plot``).

    ``extra`` labels (already in the report's language) are added on top, so a
    notebook writes ``fig, ax = net.plot(labels=i18n.plot_labels(net, language))``.
    """
    words = Words(language)
    defaults: Mapping[str, str] = getattr(result, "PLOT_LABELS", {})
    # Number marks are the locale's (Babel), not words: "1 234,5" in Norwegian.
    marks = {"decimal_mark": words.number(0.5, 1)[1], "group_mark": words.number(1000)[1]}
    return {key: marks[key] if key in marks else words._(text, context="plot")
            for key, text in defaults.items()} | extra
