"""Chapters of the evaluator's own: Markdown files placed among the notebook's chapters.

An evaluation file may add chapters written by the evaluator (interviews, a
case study, the conclusions)::

    conclusions: conclusions.md                  # becomes the conclusions chapter
    chapters:
      - {file: interviews.md, after: results}    # after the LAST node of chapter 'results'
      - {file: {nb: case.md, en: case-en.md}, before: appendix}

A chapter file is Markdown:

- its first ``# `` heading is the chapter's title: a ``Heading(level=2)``,
  numbered and listed in the contents like the notebook's chapters;
- ``## `` (``### ``) headings are its sections (level 3, 4);
- every other block (separated by a blank line) is a :class:`Paragraph`;
- ``{{ fig("jobs.net_additional") }}`` writes a ``results.json`` figure in the
  report's number format; ``{{ fig("key", 1) }}`` with one decimal.

How a figure is written (one rule, :func:`format_figure`): a key whose last
part (after dropping ``.p05``/``.p95``) ends in one of :data:`SHARE_ENDINGS`
is a share, written as a percentage (``60 %``); every other figure is a
number with the language's marks, with no decimals from 10 up (and for whole
numbers), one decimal from 1 to 10, two below 1 (``0,72``). A missing figure
is ``–``.

Everything that can be wrong with a chapter (a missing file, no ``# ``
heading, an unknown chapter id or figure key, other ``{{ }}`` markup) is
found by :func:`check_chapter` before the kernel starts, as one
:class:`~evalkit.errors.InputError` naming the file and line. The nodes are
made after the notebook ran, when the figures are known:
:func:`consultant_nodes` and :func:`insert_chapters` are pure functions on
:mod:`evalkit.report.document` nodes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import InputError
from evalkit.report.document import Heading, Node, Paragraph, Record

#: A key is a share (written as a percentage) when its last part ends in one of these.
SHARE_ENDINGS = ("share", "rate", "attainment", "deadweight", "leakage", "displacement", "substitution", "used")
#: Suffixes of interval bounds, dropped before :data:`SHARE_ENDINGS` is applied.
BOUND_SUFFIXES = ("p05", "p95")
#: The chapter id of the ``conclusions:`` shorthand.
CONCLUSIONS = "conclusions"

_FIG = re.compile(r"\{\{\s*fig\(\s*(['\"])(?P<key>[^'\"]+)\1\s*(?:,\s*(?P<decimals>\d)\s*)?\)\s*\}\}")
_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class ChapterSpec:
    """One chapter of the evaluator's own, as the evaluation file asks for it.

    Attributes
    ----------
    file
        The Markdown file (in the report's language).
    after, before
        The notebook chapter id it follows (placed after that chapter's last
        node) or precedes; one of the two.
    conclusions
        The ``conclusions:`` shorthand: the chapter gets the id
        ``conclusions`` and takes the place of the notebook's conclusions
        chapter (its results.json records are kept), or, when the notebook
        has none, goes before the appendix.
    origin, line
        The evaluation file and its line that asks for the chapter (for messages).
    """

    file: Path
    after: str | None = None
    before: str | None = None
    conclusions: bool = False
    origin: Path | None = None
    line: int | None = None


@dataclass(frozen=True)
class _Block:
    kind: str  # "title", "section", "paragraph"
    text: str
    line: int
    level: int = 0


def is_share(key: str) -> bool:
    """Whether the figure ``key`` is a share (see :data:`SHARE_ENDINGS`)."""
    parts = key.split(".")
    while len(parts) > 1 and parts[-1] in BOUND_SUFFIXES:
        parts.pop()
    return parts[-1].endswith(SHARE_ENDINGS)


def format_figure(key: str, value: Any, words: Any, decimals: int | None = None) -> str:
    """A results.json figure as the report writes it (the module's rule), in ``words``' language."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return words.number(None) if value is None else str(value)
    if is_share(key):
        return words.percent(value, 0 if decimals is None else decimals)
    if decimals is None:
        size = abs(float(value))
        decimals = 0 if float(value).is_integer() or size >= 10 else (1 if size >= 1 else 2)
    return words.number(value, decimals)


def slug(text: str) -> str:
    """A chapter id from a title: ``Våre vurderinger`` -> ``vare-vurderinger``."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "chapter"


def _read(spec: ChapterSpec) -> list[_Block]:
    """The chapter file's blocks; every structural mistake as one InputError with file and line."""
    path = Path(spec.file)
    if not path.is_file():
        raise InputError(
            f"the chapter file {path} does not exist.",
            file=spec.origin or path,
            row=spec.line,
            hint="Give the Markdown file's path relative to the evaluation file.",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}).", file=path, hint="Save it as UTF-8.") from None
    blocks: list[_Block] = []
    paragraph: list[str] = []
    start = 0

    def flush() -> None:
        if paragraph:
            blocks.append(_Block("paragraph", "\n".join(paragraph), start))
            paragraph.clear()

    fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fence = not fence
        match = _HEADING.match(line) if not fence else None
        if match:
            flush()
            level = len(match.group(1))
            if level == 1:
                if any(b.kind == "title" for b in blocks):
                    raise InputError("has a second '# ' heading: a file is one chapter.", file=path, row=number,
                                     hint="Make it a section with '## ', or put the other chapter in its own file.")
                kind = "title"
            elif level in (2, 3):
                kind = "section"
            else:
                raise InputError(f"has a level-{level} heading; chapters have '# ', '## ' and '### ' only.", file=path, row=number)
            if not blocks and kind != "title":
                raise InputError("does not start with the chapter's '# ' heading.", file=path, row=number,
                                 hint="Begin the file with '# Title of the chapter'.")
            blocks.append(_Block(kind, match.group(2), number, level + 1))
        elif line.strip():
            if not blocks:
                raise InputError("does not start with the chapter's '# ' heading.", file=path, row=number,
                                 hint="Begin the file with '# Title of the chapter'.")
            if not paragraph:
                start = number
            paragraph.append(line.rstrip())
        else:
            flush()
    flush()
    if not blocks:
        raise InputError("has no '# ' heading (the chapter's title).", file=path, row=1,
                         hint="Begin the file with '# Title of the chapter'.")
    return blocks


def _figure_keys(block: _Block, path: Path) -> list[tuple[str, int]]:
    """The figure keys a block quotes, with their lines; other ``{{ }}``/``{% %}`` markup is refused."""
    out = []
    for offset, line in enumerate(block.text.splitlines()):
        rest = _FIG.sub("", line)
        stray = _MARKUP.search(rest)
        if stray:
            raise InputError(
                f"'{stray.group(0)}' is not a figure: write {{{{ fig(\"key\") }}}}.",
                file=path,
                row=block.line + offset,
                hint="Only fig(\"key\") or fig(\"key\", decimals) can be used inside {{ }}.",
            )
        out += [(m.group("key"), block.line + offset) for m in _FIG.finditer(line)]
    return out


def check_chapter(spec: ChapterSpec, figure_keys: Iterable[str], chapter_ids: Sequence[str]) -> None:
    """Check an evaluator's chapter before the kernel starts.

    Parameters
    ----------
    spec
        The chapter as the evaluation file asks for it.
    figure_keys
        The keys the notebook records (its contract's ``figures``).
    chapter_ids
        The notebook's chapter ids (its contract's ``chapters``).

    Raises
    ------
    InputError
        For an unknown chapter id (naming the evaluation file and line), a
        missing file, a file without a ``# `` heading, or an unknown figure
        key or other markup (naming the chapter file and line).
    """
    place = spec.after if spec.after is not None else spec.before
    if not spec.conclusions and place not in chapter_ids:
        raise InputError(
            f"'{place}' is not a chapter of the notebook." if chapter_ids else
            "the notebook declares no chapters, so no chapter can be placed in it.",
            file=spec.origin,
            row=spec.line,
            parameter="chapters",
            hint=f"Chapters: {', '.join(chapter_ids)} (evalkit chapters NOTEBOOK)." if chapter_ids else
            "Declare them in the notebook's .contract.yaml (chapters: [...]).",
        )
    blocks = _read(spec)
    known = set(figure_keys)
    for block in blocks:
        for key, line in _figure_keys(block, Path(spec.file)):
            if key not in known:
                import difflib

                close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
                raise InputError(
                    f"'{key}' is not a figure of the report.",
                    file=spec.file,
                    row=line,
                    hint=(f"Did you mean '{close[0]}'? " if close else "")
                    + "The figures are listed in README (The figures in results.json).",
                )


def consultant_nodes(spec: ChapterSpec, figures: Mapping[str, Any], words: Any) -> list[Node]:
    """The nodes of one chapter of the evaluator's own.

    Parameters
    ----------
    spec
        The chapter (its Markdown file).
    figures
        The report's results.json figures (dotted key -> number).
    words
        :class:`evalkit.report.words.Words` of the report's language: numbers
        and shares in its format (:func:`format_figure`).

    Returns
    -------
    list of Node
        ``Heading(title, level=2, chapter=<id>)`` (id ``conclusions`` for
        the shorthand, else the title's :func:`slug`), then ``Heading(level=3
        or 4)`` for sections and :class:`Paragraph` for the other blocks.

    Raises
    ------
    InputError
        As :func:`check_chapter` for the file's structure; a figure key not
        in ``figures`` is written as ``–`` (a declared figure the notebook did
        not record), since keys were checked before the kernel.
    """
    path = Path(spec.file)

    def fill(block: _Block) -> str:
        _figure_keys(block, path)  # refuses stray markup
        return _FIG.sub(lambda m: format_figure(m.group("key"), figures.get(m.group("key")), words,
                                                int(m.group("decimals")) if m.group("decimals") else None), block.text)

    nodes: list[Node] = []
    for block in _read(spec):
        if block.kind == "title":
            title = fill(block)
            nodes.append(Heading(title, level=2, chapter=CONCLUSIONS if spec.conclusions else slug(title)))
        elif block.kind == "section":
            nodes.append(Heading(fill(block), level=block.level))
        else:
            nodes.append(Paragraph(fill(block)))
    return nodes


def _chapter_spans(nodes: Sequence[Node]) -> dict[str, tuple[int, int]]:
    """Chapter id -> (index of its level-2 heading, index after its last node)."""
    starts = [(i, n) for i, n in enumerate(nodes) if isinstance(n, Heading) and n.level == 2]
    spans = {}
    for position, (index, heading) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(nodes)
        if heading.chapter:
            spans.setdefault(heading.chapter, (index, end))
    return spans


def insert_chapters(nodes: Sequence[Node], chapters: Sequence[ChapterSpec], figures: Mapping[str, Any],
                    words: Any) -> list[Node]:
    """The report's nodes with the evaluator's chapters placed among them.

    ``after: X`` goes after the last node of chapter ``X`` (before the next
    level-2 heading); ``before: X`` goes just before chapter ``X``'s heading;
    the ``conclusions`` shorthand replaces the notebook's ``conclusions``
    chapter (keeping its :class:`Record` nodes, so no results.json figure is
    lost) or, without one, goes before the appendix (or at the end).
    Chapters asking for the same place keep the evaluation file's order.

    Raises
    ------
    InputError
        If a chapter id is not in ``nodes`` (the notebook did not show the
        chapter its contract declares), naming the evaluation file and line.
    """
    out = list(nodes)
    placed: set[int] = set()  # the evaluator's chapter headings already placed (by identity)
    # Placed one by one; each insertion recomputes the spans, so later chapters see earlier ones.
    for spec in chapters:
        made = consultant_nodes(spec, figures, words)
        spans = _chapter_spans(out)
        own = made[0]
        if not spec.conclusions and own.chapter in spans:  # a title like a notebook chapter's: keep ids unique
            number = 2
            while f"{own.chapter}-{number}" in spans:
                number += 1
            made[0] = Heading(own.text, level=2, chapter=f"{own.chapter}-{number}")
        if spec.conclusions:
            if CONCLUSIONS in spans:
                start, end = spans[CONCLUSIONS]
                kept = [n for n in out[start:end] if isinstance(n, Record)]
                out[start:end] = made + kept
                continue
            appendix = next((i for i, n in enumerate(out) if isinstance(n, Heading) and n.level == 2
                             and (n.appendix or n.chapter == "appendix")), len(out))
            out[appendix:appendix] = made
            continue
        place = spec.after if spec.after is not None else spec.before
        if place not in spans:
            raise InputError(
                f"the report has no chapter '{place}' to place {Path(spec.file).name} "
                + ("after." if spec.after is not None else "before."),
                file=spec.origin,
                row=spec.line,
                parameter="chapters",
                hint=f"The report's chapters: {', '.join(spans)}.",
            )
        start, end = spans[place]
        if spec.after is not None:
            # Past the evaluator's chapters already placed after the same chapter: the file's order is kept.
            while end < len(out) and id(out[end]) in placed:
                end = next((i for i in range(end + 1, len(out)) if isinstance(out[i], Heading) and out[i].level == 2),
                           len(out))
        at = end if spec.after is not None else start
        out[at:at] = made
        placed.add(id(made[0]))
    return out
