"""The report's HTML, from document nodes: numbered, with contents, lists of tables and figures.

The renderer reads the executed notebook's *outputs* (never its code): the
document nodes a chapter displayed (:mod:`evalkit.report.document`, under
:data:`~evalkit.report.document.NODE_MIME`), and, as before, Markdown cells
and the plain HTML or PNG a result showed of itself (sanitised). Cells
tagged ``remove-cell`` are left out.

:func:`layout` puts the pieces in order and numbers them: chapters ``1, 2,
...`` and sections ``2.1``; appendices ``A, B, ...`` (``A.1``); tables and
figures ``Tabell 3`` in the main text and ``Tabell A.1`` in an appendix. It
builds the title page (:class:`~evalkit.report.document.TitlePage` with the
first :class:`~evalkit.report.document.KeyFigures` box on it), the contents
and, from ``results.json``'s ``meta``, a last appendix on reproducibility.
:func:`render_html` turns that into one self-contained page with the Jinja2
templates in ``templates/`` (autoescaped: every string from a node is text).
Prose is Markdown, rendered by mistune with ``escape=True``, so HTML in the
data shows as text. The print stylesheet (CSS Paged Media: A4, running
footer, contents page numbers from ``target-counter``) is the same page's,
and :mod:`evalkit.report.pdf` prints it with WeasyPrint in one pass.

Every word of the renderer comes from the catalogue
(:class:`evalkit.report.words.Words`) or a template.
"""

from __future__ import annotations

import base64
import binascii
import json
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from evalkit.report.document import (
    NODE_MIME,
    Figure,
    Heading,
    KeyFigures,
    Node,
    Note,
    Paragraph,
    Record,
    Table,
    TitlePage,
    node_from_json,
)
from evalkit.report.words import Words, check_language

#: Cell tags that keep a cell out of the client's report (the notebook still runs it).
REMOVE_TAGS = frozenset({"remove-cell", "remove_cell", "hide", "remove-output", "remove_output"})
#: Tags and attributes a result's own HTML (``_repr_html_``) may keep: text and tables, pictures
#: only as ``data:`` URIs; no links, scripts, styles or headings that would upset the numbering.
_RAW_TAGS = frozenset({
    "b", "br", "caption", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt", "em", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
_RAW_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}, "img": {"src", "alt"}}
#: Note tones a template may style.
NOTE_TONES = ("info", "warning")


# --- what the notebook showed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Html:
    """Markup the renderer made itself (mistune, or the sanitiser): placed as it is."""

    markup: str


@dataclass(frozen=True)
class Image:
    """A plain picture a result showed (not a numbered figure)."""

    png: str


Item = Node | Html | Image


@cache
def _markdown_renderer():
    import mistune

    # escape=True: raw HTML in prose (a firm called "<b>AS") is shown as text, never as markup.
    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def markdown_html(text: str) -> str:
    """Markdown as HTML; HTML inside the text is escaped, unsafe link targets are dropped."""
    return str(_markdown_renderer()(text))


@cache
def _markdown_splitter():
    import mistune
    from mistune.renderers.html import HTMLRenderer

    class Blocks(HTMLRenderer):
        """Renders a Markdown cell to a list: chapter and section headings as nodes, the rest as HTML."""

        def __call__(self, tokens, state):  # type: ignore[override]
            out: list[Item] = []
            pending: list[dict] = []
            for token in tokens:
                level = token.get("attrs", {}).get("level") if token["type"] == "heading" else None
                if level in (2, 3):
                    if pending:
                        out.append(Html(self.render_tokens(pending, state)))
                        pending = []
                    out.append(Heading(_plain_text(token), level=level))
                else:
                    pending.append(token)
            if pending:
                out.append(Html(self.render_tokens(pending, state)))
            return out

    return mistune.create_markdown(renderer=Blocks(escape=True), plugins=["table", "strikethrough"])


def _plain_text(token: Mapping[str, Any]) -> str:
    if "children" in token:
        return "".join(_plain_text(child) for child in token["children"])
    return str(token.get("raw", ""))


def markdown_items(text: str) -> list[Item]:
    """A Markdown cell as report items: its ``##``/``###`` headings numbered like the chapters' own."""
    return list(_markdown_splitter()(text))


def sanitised_html(markup: str) -> str:
    """A result's own HTML with only text, tables and embedded pictures left (nh3, an allowlist)."""
    import nh3

    return nh3.clean(markup, tags=set(_RAW_TAGS), attributes={k: set(v) for k, v in _RAW_ATTRIBUTES.items()},
                     url_schemes={"data"}, clean_content_tags={"script", "style"}, link_rel=None)


def _joined(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_items(notebook: Any) -> list[Item]:
    """What an executed notebook shows in its report, in order.

    Kept: document nodes (:data:`NODE_MIME`), Markdown cells, other
    ``text/markdown``, ``text/html`` (sanitised) and ``image/png`` outputs.
    Left out: code, streams (``print``), errors, plain-text reprs, and every
    cell tagged ``remove-cell`` (or ``hide``).
    """
    items: list[Item] = []
    for cell in notebook.cells:
        if REMOVE_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown":
            items.extend(markdown_items(_joined(cell.source)))
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = output.get("data", {})
            if NODE_MIME in data:
                items.append(node_from_json(data[NODE_MIME]))
            elif "text/markdown" in data:
                items.extend(markdown_items(_joined(data["text/markdown"])))
            elif "text/html" in data:
                items.append(Html(sanitised_html(_joined(data["text/html"]))))
            elif "image/png" in data:
                items.append(Image(_joined(data["image/png"]).replace("\n", "")))
    return items


def figures_of(items: Iterable[Item]) -> dict[str, float | int | None]:
    """Every results.json figure the :class:`~evalkit.report.document.Record` nodes hold; later wins."""
    figures: dict[str, float | int | None] = {}
    for item in items:
        if isinstance(item, Record):
            figures.update(dict(item.figures))
    return figures


def report_language(notebook: Any, evaluation: Any = None) -> str:
    """The report's language: the evaluation's, else the notebook's ``language`` parameter, else ``nb``."""
    if evaluation is not None and getattr(evaluation, "language", None):
        return check_language(evaluation.language)
    parameters = notebook.get("metadata", {}).get("papermill", {}).get("parameters", {})
    return check_language(parameters.get("language", "nb"))


# --- the layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One placed part of the report's body, with the number and anchor the renderer gave it."""

    kind: str  # heading, paragraph, note, table, figure, key_figures, html, image
    node: Node | None = None
    number: str = ""  # "2", "2.1", "A" (headings); "3", "A.1" (tables, figures)
    anchor: str = ""
    label: str = ""  # "Tabell 3", "Vedlegg A"
    markup: str = ""  # HTML made by mistune or the sanitiser
    png: str = ""
    classes: tuple[str, ...] = ()
    starts_appendices: bool = False

    @property
    def file_label(self) -> str:
        """The number as it leads a sheet or file name: ``03``, ``A1``."""
        return self.number.zfill(2) if self.number.isdigit() else self.number.replace(".", "")


@dataclass
class Document:
    """The report laid out: title page, body blocks, and what the contents list."""

    language: str
    title: str = ""
    title_page: TitlePage | None = None
    key_figures: KeyFigures | None = None
    blocks: list[Block] = field(default_factory=list)

    @property
    def contents(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading" and b.anchor]

    @property
    def tables(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "table"]

    @property
    def figures(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "figure"]


def _letter(n: int) -> str:
    return chr(ord("A") + n - 1) if 1 <= n <= 26 else str(n)


class _Numbers:
    """Chapters 1, 2, ..., sections 2.1; then appendices A, B, ... (A.1); tables and figures per part."""

    def __init__(self) -> None:
        self.chapter = 0
        self.appendix = 0
        self.section = 0
        self.in_appendix = False
        self.main = {"table": 0, "figure": 0}
        self.per_appendix = {"table": 0, "figure": 0}

    def heading(self, node: Heading) -> tuple[str, bool]:
        """The heading's number ("" if none) and whether it starts the appendices."""
        starts = False
        if node.level == 2:
            if node.appendix and not self.in_appendix:
                self.in_appendix = starts = True
            self.section = 0
            if self.in_appendix:
                self.appendix += 1
                self.per_appendix = {"table": 0, "figure": 0}
                return _letter(self.appendix), starts
            self.chapter += 1
            return str(self.chapter), starts
        if node.level == 3:
            parent = _letter(self.appendix) if self.in_appendix else (str(self.chapter) if self.chapter else "")
            if not parent:
                return "", starts
            self.section += 1
            return f"{parent}.{self.section}", starts
        return "", starts

    def next(self, kind: str) -> str:
        if self.in_appendix:
            self.per_appendix[kind] += 1
            return f"{_letter(self.appendix)}.{self.per_appendix[kind]}"
        self.main[kind] += 1
        return str(self.main[kind])


def _anchor(prefix: str, number: str) -> str:
    return f"{prefix}-{number.replace('.', '-')}"


def _shown_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def reproducibility_nodes(meta: Mapping[str, Any], words: Words) -> list[Node]:
    """The last appendix: how the report was made (evalkit's version, parameters, inputs' sha256)."""
    import matplotlib
    import numpy
    import pandas as pd

    text = words.text(
        "report/reproducibility",
        version=str(meta.get("evalkit_version", "")),
        notebook=str(meta.get("notebook", "")),
        evaluation=str(meta.get("evaluation", "")),
        python=".".join(map(str, sys.version_info[:3])),
        pandas=pd.__version__,
        numpy=numpy.__version__,
        matplotlib=matplotlib.__version__,
    )
    parameters = dict(meta.get("parameters", {}))
    inputs = dict(meta.get("inputs", {}))
    parameter_frame = pd.DataFrame(
        {words._("Value"): [_shown_value(v) for v in parameters.values()]},
        index=pd.Index(list(parameters), name=words._("Parameter"), dtype=object),
    )
    input_frame = pd.DataFrame(
        {"sha256": list(inputs.values())}, index=pd.Index(list(inputs), name=words._("File"), dtype=object),
    )
    return [
        Heading(words._("Reproducibility"), level=2, chapter="reproducibility", appendix=True),
        Paragraph(text),
        Table.from_frame(parameter_frame, words._("Parameters the notebook ran with"), name="parameters",
                         number=words.number),
        Table.from_frame(input_frame, words._("Inputs and checksums (sha256)"), name="inputs_sha256",
                         number=words.number),
    ]


#: Extra classes of the reproducibility tables (paths and checksums break anywhere; names stay whole).
_REPRO_CLASSES = {"parameters": ("evalkit-repro", "evalkit-repro-parameters"),
                  "inputs_sha256": ("evalkit-repro", "evalkit-repro-inputs")}


def fallback_title_page(words: Words, *, title: str, period: Sequence[int] | None = None, client: str = "",
                        evaluator: str = "", data_date: str = "") -> TitlePage:
    """A title page from the evaluation file, for a notebook that shows none."""
    facts = (
        (words._("Period"), f"{period[0]}–{period[1]}" if period else ""),
        (words._("Client"), client or ""),
        (words._("Evaluator"), evaluator or ""),
        (words._("Date of data"), str(data_date or "")),
    )
    return TitlePage(title=title, facts=tuple((k, v) for k, v in facts if v))


def layout(
    items: Iterable[Item],
    language: str = "nb",
    *,
    meta: Mapping[str, Any] | None = None,
    title_page: TitlePage | None = None,
    title: str = "",
) -> Document:
    """Number and place the report's items.

    Parameters
    ----------
    items
        Nodes and plain outputs (:func:`notebook_items`), in order.
    language
        ``nb``, ``nn`` or ``en``: the words of labels ("Tabell 3", "Vedlegg A").
    meta
        ``results.json``'s ``meta``: adds the reproducibility appendix.
    title_page, title
        Used when the items hold no :class:`~evalkit.report.document.TitlePage`.
    """
    words = Words(language)
    document = Document(language=words.language)
    numbers = _Numbers()
    placed = [(item, False) for item in items]
    if meta is not None:
        placed += [(node, True) for node in reproducibility_nodes(meta, words)]
    for item, repro in placed:
        if isinstance(item, TitlePage):
            if document.title_page is None:
                document.title_page = item
            continue
        if isinstance(item, KeyFigures) and document.key_figures is None:
            document.key_figures = item  # the first box goes on page one
            continue
        block = _place(item, numbers, words, repro=repro)
        if block is not None:
            document.blocks.append(block)
    if document.title_page is None:
        document.title_page = title_page
    document.title = document.title_page.title if document.title_page else title
    return document


def _place(item: Item, numbers: _Numbers, words: Words, *, repro: bool = False) -> Block | None:
    if isinstance(item, Heading):
        number, starts = numbers.heading(item)
        if item.level > 3:
            return Block("heading", item)
        label = words._("Appendix {letter}", letter=number) if numbers.in_appendix and item.level == 2 else ""
        anchor = _anchor("sec", number) if number else ""  # unnumbered: not in the contents
        return Block("heading", item, number=number, anchor=anchor, label=label, starts_appendices=starts)
    if isinstance(item, Paragraph):
        return Block("paragraph", item, markup=markdown_html(item.markdown))
    if isinstance(item, Note):
        return Block("note", item, markup=markdown_html(item.markdown),
                     classes=(f"evalkit-note-{item.tone if item.tone in NOTE_TONES else 'info'}",))
    if isinstance(item, Table):
        number = numbers.next("table")
        return Block("table", item, number=number, anchor=_anchor("table", number),
                     label=words._("Table {number}", number=number),
                     classes=_REPRO_CLASSES.get(item.name, ()) if repro else ())
    if isinstance(item, Figure):
        _check_png(item.png)
        number = numbers.next("figure")
        return Block("figure", item, number=number, anchor=_anchor("figure", number),
                     label=words._("Figure {number}", number=number))
    if isinstance(item, KeyFigures):
        return Block("key_figures", item)
    if isinstance(item, Html):
        return Block("html", markup=item.markup)
    if isinstance(item, Image):
        _check_png(item.png)
        return Block("image", png=item.png)
    return None  # Record: results.json only


def _check_png(data: str) -> bytes:
    """The PNG bytes of a base64 text; refuses anything else (it goes into an attribute and a file)."""
    try:
        png = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a figure's picture is not base64-encoded PNG") from None
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("a figure's picture is not a PNG")
    return png


def png_bytes(block: Block) -> bytes:
    """The PNG of a figure block."""
    return _check_png(block.node.png if isinstance(block.node, Figure) else block.png)


# --- the page -------------------------------------------------------------------------------------


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal; anything but plain letters and marks is a CSS escape."""
    from markupsafe import Markup

    safe = " .,:;-–()/"
    return Markup('"' + "".join(c if c.isalnum() or c in safe else f"\\{ord(c):x} " for c in str(text)) + '"')


def _counter_parts(label: str) -> list[tuple[str, str]]:
    """``"Side {page} av {pages}"`` as (kind, value) parts: text, or a CSS counter (page, pages)."""
    parts: list[tuple[str, str]] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(label):
        if literal:
            parts.append(("text", literal))
        if name is not None:
            if name not in ("page", "pages"):
                raise ValueError(f"{label!r}: only {{page}} and {{pages}} can be counted")
            parts.append(("counter", name))
    return parts


@cache
def _environment():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("evalkit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["css_string"] = _css_string
    return environment


def _stylesheet() -> str:
    return resources.files("evalkit.report").joinpath("templates", "report.css").read_text(encoding="utf-8")


def labels(words: Words) -> dict[str, str]:
    """The renderer's own words in the report's language."""
    return {
        "contents": words._("Contents"),
        "tables": words._("Tables"),
        "figures": words._("Figures"),
    }


def render_html(document: Document) -> str:
    """The report as one self-contained HTML page (no code, no scripts, nothing loaded)."""
    from markupsafe import Markup

    from evalkit._version import __version__

    words = Words(document.language)
    return _environment().get_template("report.html.j2").render(
        language=document.language,
        title=document.title,
        generator=f"evalkit {__version__}",
        css=Markup(_stylesheet()),
        footer=_counter_parts(words._("Page {page} of {pages}")),
        document=document,
        words=labels(words),
        source=lambda text: words._("Source: {source}", source=text),
        markup=Markup,
    )


def notebook_to_html(notebook: Any, *, language: str | None = None, meta: Mapping[str, Any] | None = None) -> str:
    """The report of an executed notebook as one HTML page (see :func:`layout`)."""
    language = check_language(language) if language else report_language(notebook)
    return render_html(layout(notebook_items(notebook), language, meta=meta))
