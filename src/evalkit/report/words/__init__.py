"""The report's words: templates for sentences, a gettext catalogue for labels, one glossary for terms.

Nothing in evalkit's Python chooses words by language. A chapter asks a
:class:`Words` for them:

- ``words.text("final_evaluation/summary", **context)`` renders the Markdown
  template ``templates/<language>/final_evaluation/summary.md.j2`` (Jinja2)
  with a result's ``context()``. Every value printed into a template is
  escaped for Markdown, so a firm name or a title from the data is text, never
  a link or a heading; the number filters (``num``, ``pct``, ``nok``) and
  ``join`` (``babel.lists``) format in the report's locale.
- ``words._("Key figures")`` translates a label through the catalogue
  ``locales/<language>/LC_MESSAGES/evalkit.po`` (English message ids,
  managed with Babel: ``pybabel extract -F babel.cfg``, ``pybabel update``;
  the ``.po`` files are read directly, so no compiled ``.mo`` is needed).
- ``words.term("net_additional_jobs")`` gives the glossary's term
  (``glossary.yaml``), the same in every sentence, label and table of a report.

A language is a folder of templates, a catalogue and a column of the
glossary; a test fails when any of them lacks an entry another language has.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from evalkit.errors import InputError

#: The languages a report can be written in: bokmål, nynorsk, English.
LANGUAGES = ("nb", "nn", "en")
#: The language of the catalogue's message ids: it needs no translation.
SOURCE_LANGUAGE = "en"
#: Babel locale of each language (number marks, list words).
LOCALES = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}
#: Characters that would start Markdown markup inside a sentence.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")
_ASCII_SPACE = re.compile(r"[ \t\r\n]+")


def check_language(language: str) -> str:
    """Return ``language`` if reports can be written in it, else raise :class:`InputError`."""
    if language not in LANGUAGES:
        raise InputError(
            f"'{language}' is not a supported language.",
            parameter="language",
            hint=f"Use one of: {', '.join(LANGUAGES)} (bokmål, nynorsk, English).",
        )
    return language


class Safe(str):
    """Text already made for Markdown (a formatted number, a rendered template): printed as it is."""


def markdown_text(value: Any) -> Safe:
    """A value from the data as Markdown text: one line, markup characters escaped."""
    if isinstance(value, Safe):
        return value
    return Safe(_MARKDOWN.sub(r"\\\1", _ASCII_SPACE.sub(" ", str(value)).strip(" ")))


def _root() -> Path:
    return Path(str(resources.files("evalkit.report.words")))


@cache
def catalogue(language: str) -> dict[tuple[str | None, str], str]:
    """The translations of one language: (context, English message id) -> text."""
    from babel.messages.pofile import read_po

    path = _root() / "locales" / language / "LC_MESSAGES" / "evalkit.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale=LOCALES[language].split("_")[0])
    out: dict[tuple[str | None, str], str] = {}
    for message in messages:
        if message.id and isinstance(message.id, str) and message.string:
            out[(message.context, message.id)] = message.string
    return out


@cache
def glossary() -> dict[str, dict[str, str]]:
    """Every term of the reports in every language (``glossary.yaml``)."""
    import yaml

    return yaml.safe_load((_root() / "glossary.yaml").read_text(encoding="utf-8"))


class Words:
    """The words and number formats of one report language.

    Parameters
    ----------
    language
        ``nb`` (bokmål), ``nn`` (nynorsk) or ``en`` (English).
    """

    def __init__(self, language: str = "nb") -> None:
        self.language = check_language(language)
        self.locale = LOCALES[self.language]

    def __repr__(self) -> str:
        return f"Words({self.language!r})"

    # ---------------------------------------------------------------- labels and terms
    def _(self, message: str, context: str | None = None, **values: Any) -> str:
        """A label in the report's language (English message id; ``{name}`` fields filled from ``values``)."""
        text = catalogue(self.language).get((context, message))
        if text is None:
            if self.language != SOURCE_LANGUAGE:
                raise KeyError(f"no {self.language} translation of {message!r} (context {context!r}) in the catalogue")
            text = message
        return text.format(**values) if values else text

    gettext = _

    def term(self, name: str, *, capital: bool = False) -> str:
        """The glossary's term ``name`` in the report's language."""
        try:
            text = glossary()[name][self.language]
        except KeyError:
            raise KeyError(f"the glossary has no {self.language} term {name!r}") from None
        return text[:1].upper() + text[1:] if capital else text

    # ---------------------------------------------------------------- numbers
    def number(self, value: float | None, decimals: int = 0) -> str:
        """A number with the language's grouping and decimal mark; missing ``–``, infinite ``∞``."""
        from babel.numbers import format_decimal

        if value is None or not math.isfinite(float(value)):
            return "–" if value is None or math.isnan(float(value)) else ("∞" if float(value) > 0 else "-∞")
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(round(float(value), decimals), format=pattern, locale=self.locale)

    def percent(self, share: float | None, decimals: int = 0) -> str:
        """A share as a percentage in the locale's own spacing (``60 %`` / ``60%``)."""
        from babel import Locale
        from babel.numbers import format_percent

        if share is None or not math.isfinite(float(share)):
            return "–"
        pattern = Locale.parse(self.locale).percent_formats[None].pattern
        if decimals:
            pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals, 1)
        return format_percent(share, format=pattern, locale=self.locale)

    def nok(self, value: float | None) -> str:
        """An amount of NOK, in millions from one million (``17,5 mill. kr`` / ``NOK 17.5 million``)."""
        if value is None or not math.isfinite(float(value)):
            return "–"
        if abs(value) >= 1_000_000:
            return self._("NOK {amount} million", amount=self.number(value / 1_000_000, 1))
        return self._("NOK {amount}", amount=self.number(value))

    def join(self, items: Iterable[Any], style: str = "standard") -> str:
        """Items as a list in the language (``a, b og c`` / ``a, b and c``), with ``babel.lists``."""
        from babel.lists import format_list

        items = [str(i) for i in items]
        return format_list(items, style=style, locale=self.locale) if items else ""

    # ---------------------------------------------------------------- sentences
    @cached_property
    def _environment(self):
        import jinja2

        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(_root() / "templates" / self.language)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # Markdown, not HTML: values are escaped for Markdown by finalize
            finalize=markdown_text,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        safe = lambda f: (lambda *a, **k: Safe(f(*a, **k)))  # noqa: E731
        environment.filters.update(
            num=safe(lambda v, d=0: self.number(v, d)),
            pct=safe(lambda v, d=0: self.percent(v, d)),
            nok=safe(self.nok),
            join=safe(lambda items, style="standard": self.join([markdown_text(i) for i in items], style)),
            abs=abs,
        )
        environment.globals.update(
            _=safe(self._), term=safe(self.term), language=self.language,
        )
        return environment

    def text(self, template: str, /, **context: Any) -> str:
        """A sentence or paragraph: the Markdown template ``template`` filled with ``context``.

        Line breaks inside a template are joined into one paragraph; a blank
        line starts a new one.
        """
        rendered = self._environment.get_template(f"{template}.md.j2").render(**context)
        # Only ASCII white space is joined: the no-break spaces Babel puts in "12 714" and "60 %" stay.
        paragraphs = [_ASCII_SPACE.sub(" ", p).strip(" ") for p in re.split(r"\n[ \t\r]*\n", rendered)]
        return "\n\n".join(p for p in paragraphs if p)

    def templates(self) -> list[str]:
        """Every template name of this language (without ``.md.j2``)."""
        base = _root() / "templates" / self.language
        return sorted(str(p.relative_to(base))[: -len(".md.j2")] for p in base.rglob("*.md.j2"))


def words(language: str) -> Words:
    """The :class:`Words` of ``language`` (``nb``, ``nn`` or ``en``)."""
    return Words(language)


def context_values(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A result's context as plain values (numbers as floats, tuples as lists), for templates."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in mapping.items()}
