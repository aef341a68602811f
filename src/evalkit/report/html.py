"""The report a client receives, from an executed notebook: HTML, PDF, tables.xlsx, figures/*.png.

The HTML is assembled here from the notebook's *outputs* (never its code):
the title page (with the first key-figures box on it), a numbered table of
contents built from the chapter (h2) and section (h3) headings, lists of
tables and figures, the chapters, and a last appendix on reproducibility
(evalkit's version, the parameters and every input's sha256, from
``results.json``'s ``meta``). Words and number formats follow the report's
language (``nb`` / ``en``). The same HTML, with its print stylesheet
(``templates/report.css``: A4, page numbers, no figure or short table split
across pages, header rows repeated on long tables), is printed to PDF by
headless Chromium (:mod:`evalkit.report.pdf`); the table of contents of the PDF
gets page numbers from a first print.

``tables.xlsx`` holds every table of the report, one sheet each, with its
caption, unit and source; its bytes depend on its content only (fixed
document dates and zip timestamps), so re-rendering the same evaluation
gives the same file.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import nbformat
import pandas as pd

from evalkit.report.i18n import check_language
from evalkit.report.document import NODE_MIME
from evalkit.report.publish import CHART_META, KIND, TABLE_MIME, _html_table

#: Words of the report's own parts, per language.
WORDS: dict[str, dict[str, str]] = {
    "nb": {
        "contents": "Innhold",
        "tables": "Tabeller",
        "figures": "Figurer",
        "table": "Tabell",
        "figure": "Figur",
        "source": "Kilde",
        "unit": "Enhet",
        "note": "Merk",
        "appendix": "Vedlegg",
        "page": "Side",
        "of": "av",
        "reproducibility": "Reproduserbarhet",
        "parameters": "Parametre notatboka ble kjørt med",
        "inputs": "Inndata og sjekksummer (sha256)",
        "parameter": "Parameter",
        "value": "Verdi",
        "file": "Fil",
        "repro_text": (
            "Rapporten er laget med evalkit {version} fra notatboka {notebook} (evaluering «{evaluation}»). "
            "Tabellene under viser parametrene og sjekksummen (sha256) til hver fil rapporten bygger på; "
            "en leser kan kontrollere at inndataene er de samme ved å regne ut sjekksummene på nytt "
            "(for eksempel med sha256sum). Gjengis samme evaluering på nytt med de samme inndataene, blir "
            "results.json byte for byte lik og tables.xlsx får samme innhold."
        ),
        "environment": "Programvare: Python {python}, pandas {pandas}, NumPy {numpy}, matplotlib {matplotlib}.",
    },
    "nn": {
        "contents": "Innhald",
        "tables": "Tabellar",
        "figures": "Figurar",
        "table": "Tabell",
        "figure": "Figur",
        "source": "Kjelde",
        "unit": "Eining",
        "note": "Merk",
        "appendix": "Vedlegg",
        "page": "Side",
        "of": "av",
        "reproducibility": "Reproduserbarheit",
        "parameters": "Parametrar notatboka vart køyrd med",
        "inputs": "Inndata og sjekksummar (sha256)",
        "parameter": "Parameter",
        "value": "Verdi",
        "file": "Fil",
        "repro_text": (
            "Rapporten er laga med evalkit {version} frå notatboka {notebook} (evaluering «{evaluation}»). "
            "Tabellane under viser parametrane og sjekksummen (sha256) til kvar fil rapporten byggjer på; "
            "ein lesar kan kontrollere at inndataa er dei same ved å rekne ut sjekksummane på nytt "
            "(til dømes med sha256sum). Blir same evaluering gjengitt på nytt med dei same inndataa, blir "
            "results.json byte for byte lik og tables.xlsx får same innhald."
        ),
        "environment": "Programvare: Python {python}, pandas {pandas}, NumPy {numpy}, matplotlib {matplotlib}.",
    },
    "en": {
        "contents": "Contents",
        "tables": "Tables",
        "figures": "Figures",
        "table": "Table",
        "figure": "Figure",
        "source": "Source",
        "unit": "Unit",
        "note": "Note",
        "appendix": "Appendix",
        "page": "Page",
        "of": "of",
        "reproducibility": "Reproducibility",
        "parameters": "Parameters the notebook ran with",
        "inputs": "Inputs and checksums (sha256)",
        "parameter": "Parameter",
        "value": "Value",
        "file": "File",
        "repro_text": (
            "This report was made with evalkit {version} from the notebook {notebook} (evaluation '{evaluation}'). "
            "The tables below give the parameters and the checksum (sha256) of every file the report is made from; "
            "a reader can check that the inputs are the same by computing the checksums again "
            "(for instance with sha256sum). Rendering the same evaluation again from the same inputs gives a "
            "byte-identical results.json and the same content in tables.xlsx."
        ),
        "environment": "Software: Python {python}, pandas {pandas}, NumPy {numpy}, matplotlib {matplotlib}.",
    },
}

#: Cell tags that keep a cell out of the client's report (the notebook still runs it).
REMOVE_TAGS = frozenset({"remove-cell", "remove_cell", "hide", "remove-output", "remove_output"})
#: Fixed document dates and zip timestamps of tables.xlsx (the zip format's earliest date).
XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)

_HEADING = re.compile(r"<h([1-4])>(.*?)</h\1>", re.S)
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.S | re.I)


@dataclass
class TocEntry:
    """A numbered heading of the report."""

    level: int  # 2 chapter, 3 section
    number: str  # "2", "2.1", "A", "A.1"
    text: str  # the heading's inner HTML (already escaped)
    anchor: str
    label: str = ""  # "Vedlegg A: " before an appendix's title


@dataclass
class Layout:
    """The report's parts, before they are put into the page template."""

    language: str
    title: str = ""
    title_page: str = ""
    key_figures: str = ""
    body: list[str] = field(default_factory=list)
    toc: list[TocEntry] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)  # (anchor, caption)
    figures: list[tuple[str, str]] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)  # anchor -> page in the PDF (after a first print)

    @property
    def anchors(self) -> list[str]:
        """Every anchor the contents list: headings, tables, figures."""
        return [e.anchor for e in self.toc] + [a for a, _ in self.tables] + [a for a, _ in self.figures]


class _Numbering:
    """Chapter and section numbers: 1, 1.1, ... then appendices A, A.1, ..."""

    def __init__(self) -> None:
        self.chapter = 0
        self.section = 0
        self.appendix = 0
        self.in_appendix = False

    def start_appendices(self) -> None:
        self.in_appendix = True

    def next(self, level: int) -> str:
        if level == 2:
            self.section = 0
            if self.in_appendix:
                self.appendix += 1
                return _letter(self.appendix)
            self.chapter += 1
            return str(self.chapter)
        self.section += 1
        parent = _letter(self.appendix) if self.in_appendix else str(self.chapter)
        return f"{parent}.{self.section}"

    def next_appendix_letter(self) -> str:
        return _letter(self.appendix + 1)


def _letter(n: int) -> str:
    return chr(ord("A") + n - 1) if 1 <= n <= 26 else str(n)


def _markdown(text: str) -> str:
    import mistune

    # escape=True: raw HTML in narrative (a firm name with "<") shows as text, never as markup.
    render = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return str(render(text))


def report_language(notebook: nbformat.NotebookNode, evaluation: Any = None) -> str:
    """The report's language: the evaluation's, else the notebook's ``language`` parameter, else ``nb``."""
    if evaluation is not None and getattr(evaluation, "language", None):
        return check_language(evaluation.language)
    parameters = notebook.get("metadata", {}).get("papermill", {}).get("parameters", {})
    return check_language(parameters.get("language", "nb"))


def layout(notebook: nbformat.NotebookNode, language: str = "nb") -> Layout:
    """Walk an executed notebook's outputs (and Markdown cells) into the report's parts.

    Code is never shown. Kept: Report outputs (title page, key figures,
    headings, prose, tables, charts), other HTML and images (as a result's
    ``_repr_html_`` shows itself), Markdown cells. Left out: streams
    (``print``), errors, plain-text reprs and JavaScript. Cells tagged
    ``remove-cell`` (or ``hide``) are left out entirely.
    """
    parts = Layout(language=check_language(language))
    numbering = _Numbering()
    for cell in notebook.cells:
        if REMOVE_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown":
            parts.body.append(_number_headings(_markdown(cell.source), parts, numbering))
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            _place(output, parts, numbering)
    return parts


def _place(output: nbformat.NotebookNode, parts: Layout, numbering: _Numbering) -> None:
    data = output.get("data", {})
    meta = output.get("metadata", {})
    kind = meta.get(KIND)
    if NODE_MIME in data:
        _place_node(data[NODE_MIME], parts, numbering)
    elif kind == "title_page" and not parts.title_page:
        parts.title_page = data["text/html"]
        parts.title = str(data.get("text/plain", ""))
    elif kind == "key_figures" and not parts.key_figures:
        parts.key_figures = data["text/html"]  # the first box goes on page one
    elif "text/markdown" in data:
        if kind == "appendix":
            numbering.start_appendices()
        parts.body.append(_number_headings(_markdown(data["text/markdown"]), parts, numbering, appendix=kind == "appendix"))
    elif "text/html" in data:
        markup = _SCRIPT.sub("", data["text/html"])
        if TABLE_MIME in data:
            table = data[TABLE_MIME]
            parts.tables.append((f"table-{table['number']}", table["caption"]))
            parts.body.append(markup)
        elif CHART_META in meta:
            chart = meta[CHART_META]
            parts.figures.append((f"figure-{chart['number']}", chart["caption"]))
            parts.body.append(markup)
        else:
            parts.body.append(f"<div class='evalkit-output'>{markup}</div>")
    elif "image/png" in data:
        parts.body.append(f"<figure class='evalkit-plain'><img src='data:image/png;base64,{_b64(data['image/png'])}' alt=''/></figure>")


def _place_node(node: dict, parts: Layout, numbering: _Numbering) -> None:
    """A document node (:mod:`evalkit.report.document`) as the old layout's HTML (a bridge until the renderer reads nodes)."""
    words = WORDS[parts.language]
    kind, esc = node.get("kind"), html.escape
    if kind == "heading":
        if node.get("appendix"):
            numbering.start_appendices()
        level = node.get("level", 2)
        parts.body.append(_number_headings(f"<h{level}>{esc(node['text'])}</h{level}>", parts, numbering,
                                           appendix=bool(node.get("appendix"))))
    elif kind == "paragraph":
        parts.body.append(_markdown(node["markdown"]))
    elif kind == "note":
        parts.body.append(f"<aside class='evalkit-note evalkit-{esc(node.get('tone', 'info'))}'>{_markdown(node['markdown'])}</aside>")
    elif kind == "title_page" and not parts.title_page:
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in node.get("facts", []) if v)
        parts.title = node["title"]
        parts.title_page = (
            "<section class='evalkit-title-page'>"
            f"<h1 class='evalkit-title'>{esc(node['title'])}</h1>"
            + (f"<p class='evalkit-subtitle'>{esc(node['subtitle'])}</p>" if node.get("subtitle") else "")
            + f"<table class='evalkit-title-facts'>{rows}</table>"
            + (f"<p class='evalkit-data-note'>{esc(node['note'])}</p>" if node.get("note") else "")
            + "</section>")
    elif kind == "key_figures":
        cells = "".join(f"<div class='evalkit-kf'><div class='evalkit-kf-value'>{esc(str(v))}</div>"
                        f"<div class='evalkit-kf-label'>{esc(k)}</div></div>" for v, k in node["items"])
        box = (f"<aside class='evalkit-key-figures'><div class='evalkit-kf-caption'>{esc(node['caption'])}</div>"
               f"<div class='evalkit-kf-grid'>{cells}</div></aside>")
        if parts.key_figures:
            parts.body.append(box)
        else:
            parts.key_figures = box
    elif kind == "table":
        number = len(parts.tables) + 1
        title = f"{words['table']} {number}: {node['caption']}"
        numeric = node.get("numeric", [])
        index_columns = node.get("index_columns", 0)
        head = "".join(f"<th class='{'num' if n else 'text'}' scope='col'>{esc(h)}</th>" for h, n in zip(node["header"], numeric))
        body = "".join(
            "<tr>" + "".join(
                (f"<th scope='row' class='text'>{esc(c)}</th>" if i < index_columns
                 else f"<td class='{'num' if numeric[i] else 'text'}'>{esc(c)}</td>") for i, c in enumerate(row)) + "</tr>"
            for row in node["cells"])
        foot = " ".join(p for p in (esc(node["note"]) if node.get("note") else "",
                                    f"{words['source']}: {esc(node['source'])}." if node.get("source") else "") if p)
        size = "evalkit-short" if len(node["cells"]) <= 25 else "evalkit-long"
        parts.tables.append((f"table-{number}", title))
        parts.body.append(
            f"<figure class='evalkit-table-figure {size}' id='table-{number}'><figcaption>{esc(title)}</figcaption>"
            f"<table class='evalkit-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            + (f"<p class='evalkit-source'>{foot}</p>" if foot else "") + "</figure>")
    elif kind == "figure":
        number = len(parts.figures) + 1
        title = f"{words['figure']} {number}: {node['caption']}"
        foot = " ".join(p for p in (esc(node["note"]) if node.get("note") else "",
                                    f"{words['source']}: {esc(node['source'])}." if node.get("source") else "") if p)
        parts.figures.append((f"figure-{number}", title))
        parts.body.append(
            f"<figure class='evalkit-chart' id='figure-{number}'>"
            f"<img src='data:image/png;base64,{node['png']}' alt='{esc(title, quote=True)}'/>"
            f"<figcaption>{esc(title)}</figcaption>" + (f"<p class='evalkit-source'>{foot}</p>" if foot else "") + "</figure>")


def _b64(value: str | list[str]) -> str:
    return "".join(value).replace("\n", "") if isinstance(value, list) else value.replace("\n", "")


def _number_headings(markup: str, parts: Layout, numbering: _Numbering, *, appendix: bool = False) -> str:
    """Number h2/h3 headings, give them anchors and list them in the table of contents."""
    words = WORDS[parts.language]

    def number(match: re.Match[str]) -> str:
        level, text = int(match.group(1)), match.group(2).strip()
        if level not in (2, 3):
            return match.group(0)
        first_appendix = appendix and level == 2 and numbering.appendix == 0
        no = numbering.next(level)
        anchor = f"sec-{no.replace('.', '-')}"
        label = f"{words['appendix']} {no}: " if numbering.in_appendix and level == 2 else ""
        parts.toc.append(TocEntry(level, no, text, anchor, label))
        css = " class='evalkit-appendix-start'" if first_appendix else ""
        shown = f"{label}{text}" if label else f"<span class='secno'>{no}</span>{text}"
        return f"<h{level}{css} id='{anchor}'>{shown}</h{level}>"

    return _HEADING.sub(number, markup)


def _toc_html(parts: Layout) -> str:
    words = WORDS[parts.language]

    def page(anchor: str) -> str:
        number = parts.pages.get(anchor)
        return f"<span class='toc-page'>{number}</span>" if number else ""

    items = "".join(
        f"<li class='toc-{e.level}'><span class='toc-no'>{'' if e.label else e.number}</span>"
        f"<span class='toc-text'><a href='#{e.anchor}'>{e.label}{e.text}</a></span>{page(e.anchor)}</li>"
        for e in parts.toc
    )
    out = f"<nav class='evalkit-toc'><h2>{words['contents']}</h2><ol>{items}</ol>"
    for heading, entries in ((words["tables"], parts.tables), (words["figures"], parts.figures)):
        if entries:
            listed = "".join(
                f"<li class='toc-item'><span class='toc-no'>{html.escape(caption.split(':', 1)[0])}</span>"
                f"<span class='toc-text'><a href='#{anchor}'>{html.escape(caption.split(':', 1)[-1].strip())}</a></span>"
                f"{page(anchor)}</li>"
                for anchor, caption in entries
            )
            out += f"<h3>{heading}</h3><ol>{listed}</ol>"
    return out + "</nav>"


# --- the reproducibility appendix ----------------------------------------------------------------


def _shown_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def reproducibility_tables(meta: dict[str, Any], language: str, letter: str) -> list[dict]:
    """The appendix's two tables (parameters; inputs with sha256) as Report table payloads."""
    words = WORDS[check_language(language)]
    parameters = pd.DataFrame(
        {words["value"]: [_shown_value(v) for v in meta.get("parameters", {}).values()]},
        index=pd.Index(list(meta.get("parameters", {})), name=words["parameter"]),
    )
    inputs = pd.DataFrame(
        {"sha256": list(meta.get("inputs", {}).values())},
        index=pd.Index(list(meta.get("inputs", {})), name=words["file"]),
    )
    out = []
    for position, (frame, name, caption) in enumerate(
        ((parameters, "parameters", words["parameters"]), (inputs, "inputs_sha256", words["inputs"])), start=1
    ):
        out.append({
            "number": f"{letter}.{position}",
            "name": name,
            "caption": f"{words['table']} {letter}.{position}: {caption}",
            "source": None,
            "unit": None,
            "note": None,
            "index": True,
            "index_names": [frame.index.name],
            "language": language,
            "data": json.loads(frame.to_json(orient="split")),
            "_frame": frame,
        })
    return out


def _appendix_html(meta: dict[str, Any], parts: Layout, numbering: _Numbering, tables: list[dict]) -> str:
    words = WORDS[parts.language]
    first = numbering.appendix == 0
    numbering.start_appendices()
    # Only the first appendix starts a new page (an earlier one may have started them already).
    heading = _number_headings(f"<h2>{words['reproducibility']}</h2>", parts, numbering, appendix=first)
    import matplotlib
    import numpy

    text = words["repro_text"].format(
        version=html.escape(str(meta.get("evalkit_version", ""))),
        notebook=html.escape(str(meta.get("notebook", ""))),
        evaluation=html.escape(str(meta.get("evaluation", ""))),
    )
    environment = words["environment"].format(
        python=".".join(map(str, sys.version_info[:3])), pandas=pd.__version__,
        numpy=numpy.__version__, matplotlib=matplotlib.__version__,
    )
    blocks = [heading, f"<p>{text}</p>", f"<p>{html.escape(environment)}</p>"]
    for table in tables:
        body = _html_table(table["_frame"], {}, index=True, language=parts.language)
        body = body.replace("<table class='evalkit-table'>", f"<table class='evalkit-table evalkit-repro evalkit-repro-{table['name']}'>", 1)
        if table["name"] == "inputs_sha256":
            body = body.replace("<td class='text'>", "<td class='text evalkit-hash'>")
        anchor = f"table-{table['number'].replace('.', '-')}"
        parts.tables.append((anchor, table["caption"]))
        blocks.append(
            f"<figure class='evalkit-table-figure evalkit-long' id='{anchor}'>"
            f"<figcaption>{html.escape(table['caption'])}</figcaption>{body}</figure>"
        )
    return "".join(blocks)


# --- the page -------------------------------------------------------------------------------------


def _template(name: str) -> str:
    return resources.files("evalkit.report").joinpath("templates", name).read_text(encoding="utf-8")


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (for the running footer)."""
    return '"' + "".join(c if c.isalnum() or c in " .,:;-–()/" else f"\\{ord(c):x} " for c in text) + '"'


def _fallback_title_page(evaluation: Any, language: str) -> str:
    """A title page from the evaluation file, for notebooks that do not make one."""
    words = {"nb": ("Periode", "Oppdragsgiver", "Evaluator", "Dato for data"),
             "nn": ("Periode", "Oppdragsgjevar", "Evaluator", "Dato for data"),
             "en": ("Period", "Client", "Evaluator", "Date of data")}[language]
    period = getattr(evaluation, "period", None)
    facts = zip(words, (f"{period[0]}–{period[1]}" if period else "", evaluation.client, evaluation.evaluator,
                        evaluation.data_date))
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts if v)
    return (f"<section class='evalkit-title-page'><h1 class='evalkit-title'>{html.escape(evaluation.title)}</h1>"
            f"<table class='evalkit-title-facts'>{rows}</table></section>")


def _assemble(parts: Layout, body_html: str, page_markers: bool = False) -> str:
    words = WORDS[parts.language]
    title_page = parts.title_page
    if parts.key_figures:
        box = parts.key_figures
        if title_page:
            # Page one shows the key figures, above the note on the data.
            cut = title_page.find("<p class='evalkit-data-note'>")
            cut = cut if cut >= 0 else title_page.rfind("</section>")
            title_page = title_page[:cut] + box + title_page[cut:]
        else:
            body_html = box + body_html
    if page_markers:
        # Invisible, layout-neutral markers that a first print reveals the headings' pages with.
        for anchor in parts.anchors:
            body_html = body_html.replace(
                f"id='{anchor}'>", f"id='{anchor}'><span style='position:absolute;font-size:1px;"
                f"color:white'>@@{anchor}@@</span>", 1)
    footer = f"{words['page']} \" counter(page) \" {words['of']} \" counter(pages)"
    page_css = (
        "@page { @bottom-right { content: \"" + footer + "; }"
        f" @bottom-left {{ content: {_css_string(parts.title)}; }} }}\n"
        "@page :first { @bottom-right { content: none; } @bottom-left { content: none; } }"
    )
    from evalkit._version import __version__

    return Template(_template("report.html")).substitute(
        lang=parts.language,
        title=html.escape(parts.title),
        generator=f"evalkit {__version__}",
        css=_template("report.css"),
        page_css=page_css,
        body=title_page + _toc_html(parts) + "<main>" + body_html + "</main>",
    )


def notebook_to_html(
    notebook: nbformat.NotebookNode,
    *,
    language: str | None = None,
    meta: dict[str, Any] | None = None,
    evaluation: Any = None,
) -> str:
    """The report as one self-contained HTML page (no code, no prompts, no scripts).

    Parameters
    ----------
    notebook
        An executed notebook whose outputs were made with :class:`evalkit.Report`.
    language
        ``nb`` or ``en``; default: the evaluation's or the notebook's ``language``.
    meta
        ``results.json``'s ``meta`` (version, parameters, inputs' sha256): adds
        the reproducibility appendix.
    evaluation
        The :class:`~evalkit.run.evaluation.Evaluation`, for a title page when the
        notebook has none.
    """
    return _render_document(notebook, language=language, meta=meta, evaluation=evaluation)[0]


def _render_document(notebook, *, language=None, meta=None, evaluation=None):
    language = check_language(language) if language else report_language(notebook, evaluation)
    parts = layout(notebook, language)
    if not parts.title_page and evaluation is not None:
        parts.title_page = _fallback_title_page(evaluation, language)
        parts.title = evaluation.title
    if not parts.title and evaluation is not None:
        parts.title = evaluation.title
    appendix_tables: list[dict] = []
    body = "".join(parts.body)
    if meta is not None:
        numbering = _Numbering()
        numbering.appendix = sum(1 for e in parts.toc if e.label)
        letter = numbering.next_appendix_letter()
        appendix_tables = reproducibility_tables(meta, language, letter)
        body += _appendix_html(meta, parts, numbering, appendix_tables)
    return _assemble(parts, body), parts, body, appendix_tables


# --- tables.xlsx and figures ----------------------------------------------------------------------


def tables_of(notebook: nbformat.NotebookNode) -> list[dict]:
    """Every table the notebook showed with ``Report.table`` or as a Table node, in order."""
    out: list[dict] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if TABLE_MIME in data:
                out.append(data[TABLE_MIME])
            elif data.get(NODE_MIME, {}).get("kind") == "table":
                node = data[NODE_MIME]
                number = len(out) + 1
                language = report_language(notebook)
                out.append({"number": number, "name": node["name"], "caption": node["caption"],
                            "source": node.get("source"), "unit": node.get("unit"), "note": node.get("note"),
                            "index": False, "language": language,
                            "data": {"columns": list(node["header"]), "data": [list(r) for r in node["values"]]}})
    return out


def charts_of(notebook: nbformat.NotebookNode) -> list[tuple[dict, bytes]]:
    """Every chart the notebook showed with ``Report.figure``: (metadata, PNG bytes)."""
    charts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get(CHART_META)
            node = output.get("data", {}).get(NODE_MIME, {})
            if meta and "image/png" in output.get("data", {}):
                charts.append((meta, base64.b64decode(_b64(output["data"]["image/png"]))))
            elif node.get("kind") == "figure":
                charts.append(({"number": len(charts) + 1, "name": node["name"]}, base64.b64decode(node["png"])))
    return charts


def _sheet_name(table: dict, used: set[str]) -> str:
    number = table["number"]
    label = f"{number:02d}" if isinstance(number, int) else str(number).replace(".", "")
    name = f"{label} {table['name']}"
    for bad in "[]:*?/\\":
        name = name.replace(bad, "-")
    name = name[:31]
    candidate, n = name, 2
    while candidate.lower() in used:  # Excel sheet names are unique regardless of case
        suffix = f"~{n}"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _excel_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def tables_workbook(tables: list[dict], language: str = "nb") -> bytes:
    """``tables.xlsx`` as bytes: one sheet per table, caption, unit, source and note above the data.

    Numbers stay numbers (in the table's unit, as the notebook computed
    them); the header row is frozen. The bytes depend on the tables only.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    rule = Border(bottom=Side(style="thin", color="1F3B5A"))
    for table in tables:
        words = WORDS.get(table.get("language") or language, WORDS["nb"])
        sheet = workbook.create_sheet(_sheet_name(table, used))
        sheet["A1"] = table["caption"]
        sheet["A1"].font = Font(bold=True, size=12)
        # Fixed places (unit A2, source A3, note A4, header row 6), so every sheet reads the same way.
        for row, key in enumerate(("unit", "source", "note"), start=2):
            if table.get(key):
                sheet.cell(row=row, column=1, value=f"{words[key]}: {table[key]}")
        data = table["data"]
        with_index = table.get("index", True) and "index" in data
        index_names = table.get("index_names") or [None]
        header = ([n or "" for n in index_names] if with_index else []) + [
            " – ".join(map(str, c)) if isinstance(c, list) else str(c) for c in data["columns"]
        ]
        head_row = 6
        for column, label in enumerate(header, start=1):
            cell = sheet.cell(row=head_row, column=column, value=label)
            cell.font, cell.border = bold, rule
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        for offset, values in enumerate(data["data"], start=1):
            labels = data["index"][offset - 1] if with_index else []
            labels = labels if isinstance(labels, list) else [labels]
            for column, value in enumerate([*labels, *values], start=1):
                cell = sheet.cell(row=head_row + offset, column=column, value=_excel_value(value))
                if isinstance(cell.value, int) and not (1800 <= cell.value <= 2200):
                    cell.number_format = "#,##0"
        sheet.freeze_panes = sheet.cell(row=head_row + 1, column=1)
        for column in range(1, len(header) + 1):
            cells = [sheet.cell(row=r, column=column).value for r in range(head_row, sheet.max_row + 1)]
            width = max((len(str(v)) for v in cells if v is not None), default=8)
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 70)
    if not tables:
        workbook.create_sheet("empty")
    workbook.properties.creator = "evalkit"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    """The same zip with fixed timestamps (entries and document properties), so bytes follow content."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = "%04d-%02d-%02dT%02d:%02d:%02dZ" % XLSX_EPOCH
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), content)
            info = zipfile.ZipInfo(item.filename, date_time=XLSX_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content)
    return out.getvalue()


def write_tables_xlsx(tables: list[dict], path: Path, language: str = "nb") -> None:
    """Write :func:`tables_workbook` to ``path``."""
    Path(path).write_bytes(tables_workbook(tables, language))


# --- page numbers for the PDF's table of contents -------------------------------------------------


def _heading_pages(pdf: Path, anchors: list[str]) -> dict[str, int]:
    """Page of each heading marker in a first print (needs poppler's pdftotext; {} without it)."""
    tool = shutil.which("pdftotext")
    if tool is None or not anchors:
        return {}
    done = subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=60)
    if done.returncode != 0:
        return {}
    pages = done.stdout.decode("utf-8", "replace").split("\f")
    found = {}
    for number, text in enumerate(pages, start=1):
        for anchor in re.findall(r"@@((?:sec|table|figure)-[0-9A-Z-]+)@@", text):
            found.setdefault(anchor, number)
    return found


def _print_pdf(parts: Layout, body: str, folder: Path) -> None:
    from evalkit.report.pdf import Chromium

    # One browser for both prints: it starts once (about a second), each print takes about half.
    with tempfile.TemporaryDirectory(prefix="evalkit-print-") as scratch, Chromium() as browser:
        first = Path(scratch) / "marked.html"
        first.write_text(_assemble(parts, body, page_markers=True), encoding="utf-8")
        browser.print_pdf(first, Path(scratch) / "marked.pdf")
        pages = _heading_pages(Path(scratch) / "marked.pdf", parts.anchors)
        if not pages:  # no headings, or no pdftotext: the first print is the report
            shutil.move(str(Path(scratch) / "marked.pdf"), folder / "report.pdf")
            return
        parts.pages = pages
        # Page numbers sit right of the contents' lines and never wrap them, so the pages stay where they were.
        final = Path(scratch) / "report.html"
        final.write_text(_assemble(parts, body), encoding="utf-8")
        browser.print_pdf(final, folder / "report.pdf")


def write_outputs(
    notebook: nbformat.NotebookNode,
    folder: Path,
    *,
    evaluation: Any = None,
    pdf: bool = False,
    meta: dict[str, Any] | None = None,
) -> None:
    """Write report.html, tables.xlsx, figures/*.png (and report.pdf) into ``folder``.

    Parameters
    ----------
    notebook
        The executed notebook.
    folder
        The (staging) report folder.
    evaluation
        The evaluation rendered (language, title); optional.
    pdf
        Also print ``report.pdf`` (A4) with headless Chromium.
    meta
        ``results.json``'s ``meta``: adds the reproducibility appendix and its tables.
    """
    folder = Path(folder)
    document, parts, body, appendix_tables = _render_document(notebook, meta=meta, evaluation=evaluation)
    (folder / "report.html").write_text(document, encoding="utf-8")
    tables = tables_of(notebook) + [{k: v for k, v in t.items() if k != "_frame"} for t in appendix_tables]
    write_tables_xlsx(tables, folder / "tables.xlsx", parts.language)
    charts = charts_of(notebook)
    if charts:
        (folder / "figures").mkdir(exist_ok=True)
        for meta_chart, png in charts:
            (folder / "figures" / f"{meta_chart['number']:02d}-{meta_chart['name']}.png").write_bytes(png)
    if pdf:
        _print_pdf(parts, body, folder)
