"""The report a client receives: HTML from document nodes, contents, captions, escaping, tables.xlsx, PDF.

Most tests build an executed notebook from the outputs that document nodes
(shown through the old :class:`evalkit.Report` adapter, or directly) really
display, with no kernel. The PDF is printed by WeasyPrint and read back with
pypdf: A4, the contents' page numbers, the running footer, whole short
tables and figures. One module-scoped render of a small notebook on the tiny
programme covers the full path (kernel, re-rendering, formula-safe xlsx).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pypdf  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from conftest import TINY, write_programme  # noqa: E402
from evalkit.errors import InputError  # noqa: E402
from evalkit.report.document import Figure, Heading, KeyFigures, Note, Paragraph, Record, Table, TitlePage  # noqa: E402
from evalkit.report.files import numbered_tables, write_report  # noqa: E402
from evalkit.report.html import layout, notebook_items, notebook_to_html, render_html  # noqa: E402
from evalkit.report.style import LocaleFormatter, localise_axes  # noqa: E402
from evalkit.report.words import Words  # noqa: E402
from evalkit.report.xlsx import XLSX_EPOCH, NumberedTable, tables_workbook  # noqa: E402

NBSP = "\xa0"  # CLDR's Norwegian group separator
XSS = "<script>alert(1)</script>"
LINK = "[klikk](http://evil.example)"
META = {
    "evalkit_version": "9.9.9",
    "evaluation": "tiny-2010-2011",
    "notebook": "report.ipynb",
    "parameters": {"title": "Tiny", "discount_rate": 0.04, "illustrative_data": True},
    "inputs": {"../data/tiny/projects.csv": "ab" * 32, "tiny.yaml": "cd" * 32},
}
CHAPTER = {"nb": ("Sammendrag", "Aktivitet", "Etter år"), "nn": ("Samandrag", "Aktivitet", "Etter år"),
           "en": ("Summary", "Activity", "By year")}


def _output(node) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data=node._repr_mimebundle_())


# --- a notebook of document nodes, as an executed notebook's cells ----------------------------------------


def _report_cells(language: str) -> list[nbformat.NotebookNode]:
    """A small report made of document nodes, as executed notebook cells."""
    cells: list[nbformat.NotebookNode] = []
    current: list = []

    def show(*nodes) -> None:
        current.extend(_output(node) for node in nodes)

    def cell(source: str) -> None:
        code = nbformat.v4.new_code_cell(source)
        code.outputs = list(current)
        current.clear()
        cells.append(code)

    words = Words(language)
    summary, activity, by_year = CHAPTER[language]
    show(TitlePage(f"Sluttevaluering Tiny {LINK} {XSS}", "2010–2011", (("Program", "Tiny"), ("Periode", "2010–2011")),
                   "ILLUSTRATIVE data."),
         Heading(summary),
         KeyFigures("Nøkkeltall", (("3", "prosjekter"), ("17,5 mill. kr", "prosjektstøtte"))),
         Paragraph(f"Firma {XSS} fikk støtte." if language != "en" else f"Firm {XSS} got support."))
    cell("SECRET_CODE = chapters.summary(...)")
    show(Heading(activity), Heading(by_year, level=3))
    frame = pd.DataFrame(
        {"Beløp": [1234567.5, 250.25], "Prosjekter": [12, 3], "Tittel": [XSS, "Rør & co"]},
        index=pd.Index([2010, 2011], name="År"),
    )
    show(Table.from_frame(frame, f"Prosjekter etter år {LINK}", name="by_year", source="SSB", unit="NOK",
                          number=words.number))
    long = pd.DataFrame({"Verdi": range(60)}, index=pd.Index([f"RAD-{i:03d}" for i in range(60)], name="Radnavn"))
    show(Table.from_frame(long, "Lang tabell", name="long", unit="FTE", number=words.number))
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([2010, 2011, 2012], [500, 1500, 2500])
    localise_axes(fig, language)
    show(Figure.from_matplotlib(fig, "Utvikling", name="development", source="SSB"), Record.of({"projects.count": 3}))
    cell("chapters.activity(...)")
    cells[-1].outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text="PRINTED_DEBUG\n"))
    hidden = nbformat.v4.new_code_cell("x")
    hidden.metadata["tags"] = ["remove-cell"]
    hidden.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>HIDDEN_OUTPUT</p>"})]
    cells.append(hidden)
    shown = nbformat.v4.new_code_cell("result")
    shown.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/html": "<table><tr><td onclick='alert(2)'>RESULT_CELL</td></tr></table><script>alert(3)</script>"
                     "<img src='http://evil.example/x.png'><a href='javascript:alert(4)'>LINKED</a>",
        "text/plain": "result"})]
    cells.append(shown)
    cells.append(nbformat.v4.new_markdown_cell("### Merknad\n\nEn merknad <b>fra</b> forfatteren."))
    return cells


@pytest.fixture(params=["nb", "en", "nn"])
def notebook(request) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = _report_cells(request.param)
    nb.metadata["papermill"] = {"parameters": {"language": request.param}}
    return nb


def _language(notebook) -> str:
    return notebook.metadata["papermill"]["parameters"]["language"]


def test_html_has_no_code_prompts_streams_or_removed_cells(notebook):
    page = notebook_to_html(notebook)
    for absent in ("SECRET_CODE", "report.table", "In&nbsp;[", "In [", "PRINTED_DEBUG", "HIDDEN_OUTPUT", "jp-InputArea"):
        assert absent not in page, absent
    assert page.startswith("<!DOCTYPE html>")


def test_contents_number_chapters_sections_and_list_tables_and_figures(notebook):
    language = _language(notebook)
    page = notebook_to_html(notebook, meta=META)
    toc = page[page.index('<nav class="evalkit-toc">'): page.index("</nav>")]
    summary, activity, by_year = CHAPTER[language]
    for number, text in (("1", summary), ("2", activity), ("2.1", by_year), ("2.2", "Merknad")):
        anchor = "sec-" + number.replace(".", "-")
        assert f'<a href="#{anchor}"><span class="toc-no">{number}</span><span class="toc-text">{text}</span></a>' in toc
        assert f'id="{anchor}"><span class="secno">{number}</span>{text}</h' in page
    words = Words(language)
    appendix = f"{words._('Appendix {letter}', letter='A')}: {words._('Reproducibility')}"
    assert appendix in toc and appendix in page
    assert words._("Contents") in toc and words._("Tables") in toc and words._("Figures") in toc
    table, figure = words._("Table {number}", number=1), words._("Figure {number}", number=1)
    assert f'<span class="toc-no">{table}</span>' in toc and f'<span class="toc-no">{figure}</span>' in toc
    assert f"<figcaption>{table}: Prosjekter etter år" in page and f"<figcaption>{figure}: Utvikling</figcaption>" in page
    assert f"{words._('Source: {source}', source='SSB')}." in page
    assert "target-counter(attr(href), page)" in page  # the PDF's contents show pages


def test_text_from_the_data_is_text_and_the_page_runs_no_scripts(notebook):
    page = notebook_to_html(notebook, meta=META)
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # title, table cell, narrative
    assert "<script" not in page.lower() and "alert(3)" not in page
    assert "Rør &amp; co" in page
    assert "&lt;b&gt;fra&lt;/b&gt;" in page  # raw HTML in Markdown is shown as text
    # Markdown link syntax in a title or caption is text, not a link.
    assert f"<h1 class=\"evalkit-title\">Sluttevaluering Tiny {LINK} &lt;script&gt;" in page
    assert "href=\"http://evil.example" not in page and LINK in page
    # A result's own HTML is shown, with only text and table markup left.
    assert "RESULT_CELL" in page and "onclick" not in page and "evil.example/x.png" not in page
    assert "javascript:" not in page and "LINKED" in page
    assert "default-src 'none'" in page  # CSP: nothing may run or load


def test_key_figures_are_on_the_title_page_before_the_contents(notebook):
    page = notebook_to_html(notebook)
    title = page.index('<section class="evalkit-title-page">')
    box = page.index('<aside class="evalkit-key-figures">')
    note = page.index("ILLUSTRATIVE data.")
    assert title < box < note < page.index('<nav class="evalkit-toc">')
    assert page.count('evalkit-key-figures">') == 1
    assert "<th>Tom</th>" not in page  # an empty fact is left out


def test_numbers_follow_the_language_and_years_stay_ungrouped(notebook):
    page = notebook_to_html(notebook)
    language = _language(notebook)
    if language in ("nb", "nn"):
        assert f'<td class="num">1{NBSP}234{NBSP}567,50</td>' in page
        assert '<td class="num">250,25</td>' in page
        assert '"Side " counter(page) " av " counter(pages)' in page
    else:
        assert '<td class="num">1,234,567.50</td>' in page
        assert '"Page " counter(page) " of " counter(pages)' in page
    assert f'<html lang="{language}">' in page
    assert '<th class="text" scope="row">2010</th>' in page


def test_short_tables_stay_whole_long_ones_may_break(notebook):
    page = notebook_to_html(notebook)
    assert '<figure class="evalkit-table-figure evalkit-short" id="table-1">' in page
    assert '<figure class="evalkit-table-figure evalkit-long" id="table-2">' in page
    css = page[page.index("@media print"):]
    assert "figure.evalkit-short" in css and "break-inside: avoid" in css
    assert "thead { display: table-header-group; }" in css


def test_reproducibility_appendix_shows_version_parameters_and_checksums(notebook):
    page = notebook_to_html(notebook, meta=META)
    appendix = page[page.index("evalkit-appendix-start"):]
    assert "9.9.9" in appendix
    for name in ("discount_rate", "0.04", "illustrative_data", "true", "../data/tiny/projects.csv", "ab" * 32, "cd" * 32):
        assert name in appendix, name
    assert Words(_language(notebook))._("Table {number}", number="A.2") in appendix


def test_a_notebook_appendix_comes_before_reproducibility_and_numbers_its_own_tables():
    words = Words("nb")
    frame = pd.DataFrame({"x": [1, 2]})
    items = [Heading("Innledning"), Table.from_frame(frame, "Først", name="first", number=words.number),
             Heading("Metode", appendix=True), Heading("Data", level=3),
             Table.from_frame(frame, "Datagrunnlag", name="data", number=words.number),
             Heading("Utvalg"), Heading("Detaljer", level=4)]
    document = layout(items, "nb", meta=META)
    heads = [(b.number, b.label, b.node.text) for b in document.contents]
    assert heads == [("1", "", "Innledning"), ("A", "Vedlegg A", "Metode"), ("A.1", "", "Data"),
                     ("B", "Vedlegg B", "Utvalg"), ("C", "Vedlegg C", "Reproduserbarhet")]
    assert [(b.number, b.label) for b in document.tables] == [
        ("1", "Tabell 1"), ("A.1", "Tabell A.1"), ("C.1", "Tabell C.1"), ("C.2", "Tabell C.2")]
    page = render_html(document)
    assert page.count('class="evalkit-appendix-start"') == 1 and "<h4>Detaljer</h4>" in page
    assert [t.table.name for t in numbered_tables(document)] == ["first", "data", "parameters", "inputs_sha256"]


def test_nodes_shown_directly_render_notes_and_later_key_figures():
    words = Words("nn")
    items = [TitlePage("Tittel"), KeyFigures("Nøkkeltal", (("3", "prosjekt"),)), Heading("Samandrag"),
             Note("Eit *varsel* <i>x</i>", tone="warning"), KeyFigures("Fleire", (("4", "bedrifter"),)),
             Paragraph("Tekst."), Record.of({"a": 1.0})]
    page = render_html(layout(items, "nn"))
    assert '<aside class="evalkit-note evalkit-note-warning"><p>Eit <em>varsel</em> &lt;i&gt;x&lt;/i&gt;</p>' in page
    assert page.count('<aside class="evalkit-key-figures">') == 2
    assert words._("Contents") == "Innhald" and "Innhald" in page


def test_a_heading_from_the_data_is_text_in_the_page_and_the_contents():
    page = render_html(layout([Heading(f"Kapittel {LINK} <b>x</b>"), Paragraph("Tekst.")], "nb"))
    shown = f"Kapittel {LINK} &lt;b&gt;x&lt;/b&gt;"
    assert f'<span class="secno">1</span>{shown}</h2>' in page
    assert f'<span class="toc-text">{shown}</span>' in page and "<b>x" not in page


# --- tables.xlsx ------------------------------------------------------------------------------------


def test_xlsx_has_one_sheet_per_table_with_caption_unit_source(notebook, tmp_path):
    language = _language(notebook)
    words = Words(language)
    write_report(notebook_items(notebook), tmp_path, meta=META, language=language)
    book = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    assert book.sheetnames == ["01 by_year", "02 long", "A1 parameters", "A2 inputs_sha256"]
    sheet = book["01 by_year"]
    assert sheet["A1"].value == f"{words._('Table {number}', number=1)}: Prosjekter etter år {LINK}"
    assert sheet["A2"].value == words._("Unit: {unit}", unit="NOK")
    assert sheet["A3"].value == words._("Source: {source}", source="SSB")
    assert [c.value for c in sheet[6]] == ["År", "Beløp", "Prosjekter", "Tittel"]
    assert [c.value for c in sheet[7]] == [2010, 1234567.5, 12, XSS]  # numbers stay numbers, text as text
    assert book["02 long"].max_row == 6 + 60 and book["02 long"]["A3"].value is None
    assert book["A2 inputs_sha256"]["B7"].value == "ab" * 32
    assert (tmp_path / "figures" / "01-development.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads((tmp_path / "results.json").read_text())
    assert results == {"meta": META, "figures": {"projects.count": 3}}


def _formula_cells(data: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [(s.title, c.coordinate) for s in book.worksheets for row in s.iter_rows() for c in row if c.data_type == "f"]


def test_xlsx_stores_text_that_looks_like_a_formula_as_text():
    words = Words("nb")
    risky = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1+1", "-2+3", "\tTAB", "=1+1"]
    frame = pd.DataFrame({"=caption col": risky, "Beløp": [1.0, -2.0, 3.5, 4.0, 5.0, 6.0],
                          "Andel": [0.5, ":", 0.25, 1.0, ":", 0.0]},
                         index=pd.Index(risky, name="@sektor"))
    table = Table.from_frame(frame, "=SUM(A1:A9)", name="=bad", number=words.number, source="=cmd|' /C calc'!A0")
    data = tables_workbook([NumberedTable("1", "Tabell 1", table)])
    assert _formula_cells(data) == []
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet["A"][6:]] == risky and [c.value for c in sheet["B"][6:]] == risky
    assert sheet["A1"].value == "Tabell 1: =SUM(A1:A9)" and sheet["A6"].value == "@sektor"
    assert sheet["B6"].value == "=caption col" and sheet["B6"].data_type == "s"
    assert [c.value for c in sheet["C"][6:]] == [1, -2, 3.5, 4, 5, 6]  # numbers, negative ones too
    assert all(c.data_type == "n" for c in sheet["C"][6:])
    # Only the suppressed cells (":") of a numeric column are text.
    assert [c.data_type for c in sheet["D"][6:]] == ["n", "s", "n", "n", "s", "n"]
    for name in zipfile.ZipFile(io.BytesIO(data)).namelist():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read(name)
    assert sheet["A7"].quotePrefix  # a spreadsheet keeps it text when the cell is edited


def test_xlsx_bytes_do_not_carry_the_time_of_rendering(notebook):
    document = layout(notebook_items(notebook), _language(notebook))
    data = tables_workbook(numbered_tables(document))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert {info.date_time for info in archive.infolist()} == {XLSX_EPOCH}
    core = archive.read("docProps/core.xml").decode()
    assert "1980-01-01T00:00:00Z" in core and "dcterms:modified" in core
    assert tables_workbook(numbered_tables(document)) == data


def test_sheet_names_are_unique_and_short():
    table = Table.from_frame(pd.DataFrame({"a": [1]}), "c", name="x" * 40, number=Words("nb").number)
    other = Table.from_frame(pd.DataFrame({"a": [1]}), "c", name="x" * 30 + "/y", number=Words("nb").number)
    book = openpyxl.load_workbook(io.BytesIO(tables_workbook(
        [NumberedTable("1", "Tabell 1", table), NumberedTable("1", "Tabell 1", other)])))
    assert len(set(book.sheetnames)) == 2 and all(len(n) <= 31 for n in book.sheetnames)


# --- charts and headings -------------------------------------------------------------------------


def test_axis_ticks_follow_the_language():
    fig, ax = plt.subplots()
    ax.plot([2010, 2016], [0, 2000])
    localise_axes(fig, "nb")
    fig.canvas.draw()
    years = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    jobs = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    plt.close(fig)
    assert "2010" in years and "2016" in years
    assert f"1{NBSP}000" in jobs
    formatter = LocaleFormatter("en")
    formatter.set_locs([0.0, 0.5, 1.0])
    assert formatter(0.5) == "0.5" and formatter(1.0) == "1.0"


# --- the PDF: A4, contents' pages, footer, whole figures and short tables ------------------------------


def _long_report(language: str) -> list:
    """A report of several pages in ``language``: chapters of prose, short and long tables, figures."""
    words = Words(language)
    items: list = [TitlePage(f"Tiny {XSS}", facts=(("Periode", "2010–2011"),), note="ILLUSTRATIVE"),
                   KeyFigures("Nøkkeltall", (("3", "prosjekter"),))]
    for chapter in range(1, 6):
        items.append(Heading(f"Kapittel {chapter}"))
        items.append(Paragraph(("Tekst med litt innhold. " * 60).strip()))
        items.append(Heading(f"Del {chapter}.1 om saken", level=3))
        frame = pd.DataFrame({"Verdi": [10 * chapter + i for i in range(8)]},
                             index=pd.Index([f"K{chapter}-rad-{i}" for i in range(8)], name="Rad"))
        items.append(Table.from_frame(frame, f"Kort tabell {chapter}", name=f"short_{chapter}", number=words.number,
                                      source="SSB"))
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.bar(["a", "b"], [1, chapter])
        items.append(Figure.from_matplotlib(fig, f"Søyler {chapter}", name=f"bars_{chapter}", source="SSB"))
    long = pd.DataFrame({"Verdi": range(90)}, index=pd.Index([f"RAD-{i:03d}" for i in range(90)], name="Radnavn"))
    items.append(Table.from_frame(long, "Lang tabell", name="long", number=words.number))
    items.append(Heading("Metode", appendix=True))
    items.append(Paragraph("Metodetekst."))
    return items


@pytest.fixture(scope="module", params=["nb", "en", "nn"])
def printed(request, tmp_path_factory) -> tuple[str, object, list[str]]:
    language = request.param
    folder = tmp_path_factory.mktemp(f"pdf-{language}")
    document = write_report(_long_report(language), folder, meta=META, language=language, pdf=True)
    reader = pypdf.PdfReader(folder / "report.pdf")
    return language, document, reader, [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    return " ".join(text.replace("\u2010", "").replace("-\n", "").split())


def test_pdf_is_a4_with_a_footer_on_every_page_but_the_first(printed):
    language, _, reader, pages = printed
    assert len(pages) > 5
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
    footer = Words(language)._("Page {page} of {pages}")
    assert "Tiny" in pages[0] and footer.format(page=1, pages=len(pages)) not in pages[0]
    for number, text in enumerate(pages[1:], start=2):
        assert footer.format(page=number, pages=len(pages)) in text, number
        assert "Tiny <script>alert(1)</script>" in text  # the title in the footer, as text


def _entry(block) -> tuple[str, str, str]:
    """How a contents line starts, the text it must hold, and what the page it names shows."""
    if block.kind == "heading":
        shown = f"{block.label}: {block.node.text}" if block.label else f"{block.number} {block.node.text}"
        return shown, block.node.text, shown
    return block.label, block.node.caption, f"{block.label}: {block.node.caption}"


def _trailing_number(line: str) -> int:
    digits = ""
    for char in reversed(line.strip()):
        if not char.isdigit():
            break
        digits = char + digits
    return int(digits)


def test_pdf_contents_give_the_page_of_every_heading_table_and_figure(printed):
    language, document, _, pages = printed
    contents = {i for i, text in enumerate(pages) if "......" in text}  # the pages with leaders
    assert min(contents) == 1  # right after the title page
    listing = [_flat(line) for i in sorted(contents) for line in pages[i].splitlines()]
    entries = document.contents + document.tables + document.figures
    for block in entries:
        starts, holds, target = _entry(block)
        line = next(line for line in listing if line.startswith(_flat(starts)) and _flat(holds) in line)
        page = _trailing_number(line)
        assert page - 1 not in contents and _flat(target) in _flat(pages[page - 1]), (target, page)
    assert len(entries) >= 5 + 5 + 6 + 5 + 2  # chapters, sections, tables, figures, appendices


def test_pdf_keeps_short_tables_and_figures_whole_and_repeats_long_headers(printed):
    language, document, reader, pages = printed
    for chapter in range(1, 6):
        first = [i for i, text in enumerate(pages) if f"K{chapter}-rad-0" in text]
        last = [i for i, text in enumerate(pages) if f"K{chapter}-rad-7" in text]
        assert first == last and len(first) == 1, chapter
        caption = Words(language)._("Figure {number}", number=chapter) + f": Søyler {chapter}"
        on = [i for i, text in enumerate(pages) if caption in text and "........" not in text]
        assert len(on) == 1 and len(reader.pages[on[0]].images) >= 1, chapter
        # The figure's source line ("Kilde: SSB.") is on the page of its caption and picture.
        assert Words(language)._("Source: {source}", source="SSB") in pages[on[0]]
    long_pages = [text for text in pages if "RAD-0" in text]
    assert len(long_pages) >= 2 and all("Radnavn" in text for text in long_pages)


# --- one real render, and a second one to compare -----------------------------------------------------

NOTEBOOK_SOURCE = [
    (["parameters"], "\n".join([
        'title: str = "Tiny"  # the report\'s title',
        'data_dir: str = "."  # programme records',
        "period_start: int = 2010  # first year",
        "period_end: int = 2011  # last year",
        'language: str = "nb"  # nb or en',
        'client: str = ""  # who commissioned it',
        'evaluator: str = ""  # who made it',
        'data_date: str = ""  # date of the data',
    ])),
    ([], "\n".join([
        "import evalkit as ek, pandas as pd, matplotlib.pyplot as plt",
        "from evalkit.report.document import Chapter, Figure, Heading, KeyFigures, Record, Table",
        "words = ek.Words(language)",
        "programme = ek.load_programme(data_dir)",
        "by_sector = programme.projects.groupby('sector')[['grant_paid_nok']].sum()",
        "fig, ax = plt.subplots(); ax.bar(['a', 'b'], [1, 2])",
        "Chapter.of(",
        "    Heading('Sammendrag', chapter='summary'),",
        "    KeyFigures('Nøkkeltall', ((str(len(programme.projects)), 'prosjekter'),)),",
        "    Record.of({'projects.count': len(programme.projects), 'grants.paid_nok': float(programme.projects.grant_paid_nok.sum())}),",
        "    Table.from_frame(by_sector, 'Støtte etter næring', name='by_sector', unit='NOK', number=words.number),",
        "    Heading('Prosjekter', chapter='projects'),",
        "    Table.from_frame(programme.projects[['project_id', 'title', 'grant_paid_nok']].set_index('project_id'),",
        "                     'Prosjekter', name='projects', unit='NOK', source='Programmet', number=words.number),",
        "    Figure.from_matplotlib(fig, 'Søyler', name='bars', source='SSB'),",
        ")",
    ])),
]

#: Sector names a spreadsheet would run as formulas if they were stored as formulas.
FORMULA_SECTORS = ['=HYPERLINK("http://x","y")', "@SUM(1)"]


def _tiny_evaluation(root: Path) -> Path:
    """The tiny programme (two of its sectors named like formulas), a notebook and an evaluation file."""
    tables = dict(TINY)
    projects = TINY["projects"].copy()
    projects["sector"] = [FORMULA_SECTORS[0], FORMULA_SECTORS[1], FORMULA_SECTORS[0]]
    tables["projects"] = projects
    write_programme(root / "data" / "tiny", tables)
    nb = nbformat.v4.new_notebook()
    for tags, source in NOTEBOOK_SOURCE:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "tiny.ipynb")
    evaluation = root / "tiny-2010-2011.yaml"
    evaluation.write_text(yaml.safe_dump({
        "title": "Sluttevaluering Tiny 2010–2011", "notebook": "tiny.ipynb", "data": "data/tiny",
        "period": [2010, 2011], "language": "nb", "client": "Kommunen", "evaluator": "evalkit",
    }, allow_unicode=True))
    return evaluation


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny evaluation rendered twice: with PDF, then again without."""
    from evalkit.run.render import render

    root = tmp_path_factory.mktemp("report")
    evaluation = _tiny_evaluation(root)
    first = render(evaluation, root / "first", pdf=True)
    second = render(evaluation, root / "second")
    return first.folder, second.folder


def test_rerendering_gives_identical_results_and_tables(rendered):
    first, second = rendered
    assert (first / "results.json").read_bytes() == (second / "results.json").read_bytes()
    results = json.loads((first / "results.json").read_text())
    assert results["figures"] == {"projects.count": 3, "grants.paid_nok": 800000}
    assert results["meta"]["inputs"]["data/tiny/projects.csv"]
    assert (first / "tables.xlsx").read_bytes() == (second / "tables.xlsx").read_bytes()
    book = openpyxl.load_workbook(first / "tables.xlsx")
    assert book.sheetnames == ["01 by_sector", "02 projects", "A1 parameters", "A2 inputs_sha256"]
    page = (first / "report.html").read_text()
    assert "Vedlegg A: Reproduserbarhet" in page and results["meta"]["inputs"]["data/tiny/projects.csv"] in page
    # No title page in the notebook: one from the evaluation file.
    assert '<h1 class="evalkit-title">Sluttevaluering Tiny 2010–2011</h1>' in page and "<td>Kommunen</td>" in page


def test_sector_names_like_formulas_are_text_in_the_workbook(rendered):
    data = (rendered[0] / "tables.xlsx").read_bytes()
    assert _formula_cells(data) == []
    sheet = openpyxl.load_workbook(io.BytesIO(data))["01 by_sector"]
    sectors = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(7, sheet.max_row + 1)}
    assert sectors == {FORMULA_SECTORS[0]: 350000, FORMULA_SECTORS[1]: 450000}
    assert all(sheet.cell(row=r, column=2).data_type == "n" for r in range(7, sheet.max_row + 1))
    page = (rendered[0] / "report.html").read_text()
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in page and "@SUM(1)" in page


def test_rendered_pdf_is_a4_and_numbers_its_pages(rendered):
    reader = pypdf.PdfReader(rendered[0] / "report.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert all(abs(float(p.mediabox.width) - 595.28) < 1 for p in reader.pages)
    assert "Innhold" in pages[1] and f"Side 2 av {len(pages)}" in pages[1]
    line = next(line for line in pages[1].splitlines() if "Prosjekter" in line and line.strip().startswith("2"))
    assert "2 Prosjekter" in pages[int(line.split()[-1]) - 1]


# --- the render as a client and an operator see it ----------------------------------------------------


def _cli(args: list[str], *, cwd: Path, umask: int | None = None, env: dict | None = None):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "evalkit.run.cli", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def test_cli_render_prints_one_line_and_the_folder_follows_the_umask(tmp_path):
    evaluation = _tiny_evaluation(tmp_path)
    done = _cli(["render", str(evaluation), "-o", str(tmp_path / "out"), "--pdf"], cwd=tmp_path, umask=0o027)
    assert done.returncode == 0, done.stderr
    # Nothing but the one result line: no kernel log, no WeasyPrint warnings.
    assert "IPKernelApp" not in done.stderr and done.stderr == ""
    assert done.stdout.count("\n") == 1 and done.stdout.startswith("tiny-2010-2011: done in ")
    # mkdtemp makes the staging folder 0700; the finished report is a normal folder under umask 027.
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "out" / "report.html").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "out" / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_report_folder_mode_follows_a_permissive_umask(tmp_path):
    evaluation = _tiny_evaluation(tmp_path)
    done = _cli(["render", str(evaluation), "-o", str(tmp_path / "out")], cwd=tmp_path, umask=0o002)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o775


def test_pdf_without_pango_fails_before_the_kernel_starts(tmp_path, monkeypatch, capsys):
    import builtins

    import evalkit.run.render as render_module
    from evalkit.run.cli import main

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    def no_kernel(*args, **kwargs):
        raise AssertionError("the notebook ran although the PDF could not be printed")

    evaluation = _tiny_evaluation(tmp_path)
    monkeypatch.setattr(builtins, "__import__", no_pango)
    monkeypatch.delitem(__import__("sys").modules, "weasyprint", raising=False)
    monkeypatch.setattr(render_module, "_execute", no_kernel)
    with pytest.raises(InputError, match="Pango") as error:
        render_module.render(evaluation, tmp_path / "out", pdf=True)
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in str(error.value) and "without --pdf" in str(error.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.failed").exists()
    assert main(["render", str(evaluation), "-o", str(tmp_path / "out"), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evalkit: error: parameter 'pdf': PDF output needs the system library Pango")
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()
    # Without --pdf the same evaluation is not refused.
    render_module.prepare(evaluation, pdf=False)


#: Category values of the data model (projects.type, projects.sector) that an English report must translate.
NORWEGIAN_CATEGORIES = ("forstudie", "forprosjekt", "hovedprosjekt", "nettverk", "kompetanse",
                        "Industri", "IKT", "Bioøkonomi", "Reiseliv", "Handel og service")


def test_every_category_of_the_data_model_has_an_english_name():
    from evalkit.report import i18n

    for value in NORWEGIAN_CATEGORIES:
        english = i18n.category_name(value, "en")
        assert english != value and not any(english == v for v in NORWEGIAN_CATEGORIES), value
    assert i18n.category_name("forprosjekt", "en") == "Pre-project" and i18n.category_name("Industri", "en") == "Industry"
    assert i18n.category_name("forprosjekt", "nb") == "Forprosjekt" and i18n.category_name("Industri", "nb") == "Industri"
    assert i18n.category_name("Romfart", "en") == "Romfart"  # an unknown sector is shown as written


@pytest.mark.slow  # renders the Vestre Toten English evaluation (~25-35 s)
def test_english_report_shows_no_norwegian_category_names(tmp_path):
    from html.parser import HTMLParser

    from evalkit.run.render import render

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    evaluation = Path(__file__).resolve().parents[1] / "evaluations" / "vestre-toten-2010-2016-en.yaml"
    folder = render(evaluation, tmp_path / "en").folder
    page = (folder / "report.html").read_text(encoding="utf-8")
    start = page.index('class="evalkit-appendix-start"')
    body = page[page.index("<body>"): start]  # before the appendices (parameters are shown as given)
    reader = Text()
    reader.feed(body)
    words = {w.strip(".,:;()") for part in reader.parts for w in part.split()}
    text = " ".join(reader.parts)
    for word in NORWEGIAN_CATEGORIES:
        assert (word not in words) if " " not in word else (word not in text), word
    assert "Pre-project" in text and "Bioeconomy" in text and "Competence programme" in text
    book = openpyxl.load_workbook(folder / "tables.xlsx")
    for name in book.sheetnames:
        values = {str(c.value) for row in book[name].iter_rows() for c in row if c.value is not None}
        assert not values & set(NORWEGIAN_CATEGORIES), name
    # The method appendix states its choices.
    appendix = page[start:]
    assert "Method and data quality" in appendix and "Additionality Guide" in appendix and "R-109" in appendix
