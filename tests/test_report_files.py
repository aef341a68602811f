"""The report a client receives: HTML without code, TOC, captions, escaping, tables.xlsx, A4 PDF, reproducibility.

Most tests build a notebook from the outputs a :class:`evalkit.Report` really
displays (captured, no kernel). One module-scoped render of a small notebook
on the tiny programme covers the full path: PDF and re-rendering.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

import evalkit.report.publish as publish  # noqa: E402
from conftest import write_programme  # noqa: E402
from evalkit.errors import InputError, RenderError  # noqa: E402
from evalkit.report.pdf import html_to_pdf  # noqa: E402
from evalkit.report.html import (  # noqa: E402
    XLSX_EPOCH,
    notebook_to_html,
    tables_of,
    tables_workbook,
    write_outputs,
)
from evalkit.report.style import LocaleFormatter, localise_axes  # noqa: E402

NBSP = "\xa0"  # CLDR's Norwegian group separator
XSS = "<script>alert(1)</script>"
META = {
    "evalkit_version": "9.9.9",
    "evaluation": "tiny-2010-2011",
    "notebook": "report.ipynb",
    "parameters": {"title": "Tiny", "discount_rate": 0.04, "illustrative_data": True},
    "inputs": {"../data/tiny/projects.csv": "ab" * 32, "tiny.yaml": "cd" * 32},
}


# --- a notebook from captured Report outputs -------------------------------------------------------


def _report_cells(language: str, monkeypatch) -> list[nbformat.NotebookNode]:
    """Run a small report's calls with ``Report`` and return them as executed notebook cells."""
    cells: list[nbformat.NotebookNode] = []
    current: list = []

    def capture(data, metadata=None):
        current.append(nbformat.v4.new_output("display_data", data=data, metadata=metadata or {}))

    def cell(source: str) -> None:
        code = nbformat.v4.new_code_cell(source)
        code.outputs = list(current)
        current.clear()
        cells.append(code)

    monkeypatch.setattr(publish, "_display", capture)
    report = publish.Report(language=language)
    report.title_page(title="Sluttevaluering Tiny", subtitle="2010–2011", facts={"Program": "Tiny", "Periode": "2010–2011"},
                      note="ILLUSTRATIVE data.")
    report.heading(nb="Sammendrag", en="Summary")
    report.key_figures({"prosjekter": "3", "prosjektstøtte": "17,5 mill. kr"}, caption="Nøkkeltall")
    report.say(nb=f"Firma {XSS} fikk støtte.", en=f"Firm {XSS} got support.")
    cell("SECRET_CODE = report.heading(nb='Sammendrag', en='Summary')")
    report.heading(nb="Aktivitet", en="Activity")
    report.heading(nb="Etter år", en="By year", level=3)
    frame = pd.DataFrame(
        {"Beløp": [1234567.5, 250.25], "Prosjekter": [12, 3], "Tittel": [XSS, "Rør & co"]},
        index=pd.Index([2010, 2011], name="År"),
    )
    report.table(frame, report.pick(nb="Prosjekter etter år", en="Projects by year"), name="by_year",
                 source="SSB", unit="NOK")
    long = pd.DataFrame({"Verdi": range(60)}, index=pd.Index([f"rad {i}" for i in range(60)], name="Rad"))
    report.table(long, report.pick(nb="Lang tabell", en="Long table"), name="long", unit="FTE")
    fig, ax = plt.subplots()
    ax.plot([2010, 2011, 2012], [500, 1500, 2500])
    report.figure(fig, report.pick(nb="Utvikling", en="Development"), name="development", source="SSB")
    report.record({"projects.count": 3})
    cell("report.table(...)")
    cells[-1].outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text="PRINTED_DEBUG\n"))
    hidden = nbformat.v4.new_code_cell("x")
    hidden.metadata["tags"] = ["remove-cell"]
    hidden.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>HIDDEN_OUTPUT</p>"})]
    cells.append(hidden)
    cells.append(nbformat.v4.new_markdown_cell("### Merknad\n\nEn merknad <b>fra</b> forfatteren."))
    return cells


@pytest.fixture(params=["nb", "en"])
def notebook(request, monkeypatch) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = _report_cells(request.param, monkeypatch)
    nb.metadata["papermill"] = {"parameters": {"language": request.param}}
    return nb


def test_html_has_no_code_prompts_streams_or_removed_cells(notebook):
    page = notebook_to_html(notebook)
    for absent in ("SECRET_CODE", "report.table", "In&nbsp;[", "In [", "PRINTED_DEBUG", "HIDDEN_OUTPUT", "jp-InputArea"):
        assert absent not in page, absent
    assert page.startswith("<!DOCTYPE html>")


def test_toc_numbers_chapters_sections_and_lists_tables_and_figures(notebook):
    page = notebook_to_html(notebook, meta=META)
    toc = page[page.index("<nav class='evalkit-toc'>"): page.index("</nav>")]
    nb = notebook.metadata["papermill"]["parameters"]["language"] == "nb"
    expect = [("1", "Sammendrag" if nb else "Summary"), ("2", "Aktivitet" if nb else "Activity"),
              ("2.1", "Etter år" if nb else "By year"), ("2.2", "Merknad")]
    for number, text in expect:
        assert f"<span class='toc-no'>{number}</span><span class='toc-text'><a href='#sec-{number.replace('.', '-')}'>{text}</a>" in toc
        assert f"id='sec-{number.replace('.', '-')}'><span class='secno'>{number}</span>{text}</h" in page
    appendix = "Vedlegg A: Reproduserbarhet" if nb else "Appendix A: Reproducibility"
    assert appendix in toc and appendix in page
    assert ("Innhold" if nb else "Contents") in toc
    for caption in (("Tabell 1: Prosjekter etter år", "Tabell 2: Lang tabell", "Figur 1: Utvikling") if nb
                    else ("Table 1: Projects by year", "Table 2: Long table", "Figure 1: Development")):
        number, text = caption.split(": ")
        assert caption in page  # the caption at the table/figure
        assert f"{number}</span><span class='toc-text'><a" in toc and text in toc  # and in the list
    assert ("Kilde: SSB." if nb else "Source: SSB.") in page


def test_text_from_the_data_is_escaped_and_the_page_runs_no_scripts(notebook):
    page = notebook_to_html(notebook, meta=META)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # table cell and narrative
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
    assert "<script" not in page.lower()
    assert "Rør &amp; co" in page
    assert "&lt;b&gt;fra&lt;/b&gt;" in page  # raw HTML in Markdown is shown as text
    assert "script-src" in page or "default-src 'none'" in page  # CSP: nothing may run or load


def test_key_figures_are_on_the_title_page_before_the_contents(notebook):
    page = notebook_to_html(notebook)
    title = page.index("<section class='evalkit-title-page'>")
    box = page.index("<aside class='evalkit-key-figures'>")
    note = page.index("ILLUSTRATIVE data.")
    assert title < box < note < page.index("<nav class='evalkit-toc'>")
    assert page.count("evalkit-key-figures'>") == 1


def test_numbers_follow_the_language_and_years_stay_ungrouped(notebook):
    page = notebook_to_html(notebook)
    if notebook.metadata["papermill"]["parameters"]["language"] == "nb":
        assert f"<td class='num'>1{NBSP}234{NBSP}567,50</td>" in page
        assert "<td class='num'>250,25</td>" in page
        assert "<html lang=\"nb\">" in page and "Side \" counter(page) \" av" in page
    else:
        assert "<td class='num'>1,234,567.50</td>" in page
        assert "<html lang=\"en\">" in page and "Page \" counter(page) \" of" in page
    assert "<th scope='row' class='text'>2010</th>" in page


def test_short_tables_stay_whole_long_ones_may_break(notebook):
    page = notebook_to_html(notebook)
    assert "<figure class='evalkit-table-figure evalkit-short' id='table-1'>" in page
    assert "<figure class='evalkit-table-figure evalkit-long' id='table-2'>" in page
    css = page[page.index("@media print"):]
    assert "figure.evalkit-short" in css and "break-inside: avoid" in css
    assert "thead { display: table-header-group; }" in css


def test_reproducibility_appendix_shows_version_parameters_and_checksums(notebook):
    page = notebook_to_html(notebook, meta=META)
    appendix = page[page.index("evalkit-appendix-start"):]
    assert "9.9.9" in appendix
    for name in ("discount_rate", "0.04", "illustrative_data", "true", "../data/tiny/projects.csv", "ab" * 32, "cd" * 32):
        assert name in appendix, name
    assert "Tabell A.2" in appendix or "Table A.2" in appendix


# --- tables.xlsx ------------------------------------------------------------------------------------


def test_xlsx_has_one_sheet_per_table_with_caption_unit_source(notebook, tmp_path):
    write_outputs(notebook, tmp_path, meta=META)
    book = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    nb = notebook.metadata["papermill"]["parameters"]["language"] == "nb"
    assert book.sheetnames == ["01 by_year", "02 long", "A1 parameters", "A2 inputs_sha256"]
    sheet = book["01 by_year"]
    assert sheet["A1"].value == ("Tabell 1: Prosjekter etter år" if nb else "Table 1: Projects by year")
    assert sheet["A2"].value == ("Enhet: NOK" if nb else "Unit: NOK")
    assert sheet["A3"].value == ("Kilde: SSB" if nb else "Source: SSB")
    header = [c.value for c in sheet[6]]
    assert header == ["År", "Beløp", "Prosjekter", "Tittel"]
    assert [c.value for c in sheet[7]] == [2010, 1234567.5, 12, XSS]  # numbers stay numbers, text as text
    assert book["02 long"].max_row == 6 + 60 and book["02 long"]["A3"].value is None
    assert book["A2 inputs_sha256"]["B7"].value == "ab" * 32
    assert (tmp_path / "figures" / "01-development.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_xlsx_bytes_do_not_carry_the_time_of_rendering(notebook):
    data = tables_workbook(tables_of(notebook))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert {info.date_time for info in archive.infolist()} == {XLSX_EPOCH}
    core = archive.read("docProps/core.xml").decode()
    assert "1980-01-01T00:00:00Z" in core and "dcterms:modified" in core


def test_sheet_names_are_unique_and_short():
    table = {"number": 1, "name": "x" * 40, "caption": "c", "data": {"columns": ["a"], "index": [0], "data": [[1]]}}
    book = openpyxl.load_workbook(io.BytesIO(tables_workbook([table, table | {"name": "x" * 40 + "/y"}])))
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


def test_heading_level_must_be_a_heading(monkeypatch):
    monkeypatch.setattr(publish, "_display", lambda *a, **k: None)
    with pytest.raises(InputError, match="parameter 'level'"):
        publish.Report().heading(nb="x", en="x", level=7)


def test_missing_chromium_is_a_clear_render_error(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    (tmp_path / "r.html").write_text("<p>x</p>")
    with pytest.raises(RenderError, match="apt-get install chromium"):
        html_to_pdf(tmp_path / "r.html", tmp_path / "r.pdf")


# --- one real render, with PDF, and a second one to compare -------------------------------------

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
        "report = ek.Report(language=language)",
        "programme = ek.load_programme(data_dir)",
        "report.title_page(title=title, facts={'Periode': f'{period_start}–{period_end}'}, note='ILLUSTRATIVE')",
        "report.heading(nb='Sammendrag', en='Summary')",
        "report.key_figures({'prosjekter': str(len(programme.projects))}, caption='Nøkkeltall')",
        "report.record({'projects.count': len(programme.projects), 'grants.paid_nok': float(programme.projects.grant_paid_nok.sum())})",
        "for chapter in range(1, 5):",
        "    report.heading(nb=f'Kapittel {chapter}', en=f'Chapter {chapter}')",
        "    report.say(nb='Tekst. ' * 80, en='Text. ' * 80)",
        "    report.table(programme.projects[['project_id', 'title', 'grant_paid_nok']].set_index('project_id'),",
        "                 f'Prosjekter {chapter}', name=f'projects_{chapter}', unit='NOK', source='Programmet')",
        "long = pd.DataFrame({'Verdi': range(90)}, index=pd.Index([f'RAD-{i:03d}' for i in range(90)], name='Radnavn'))",
        "report.table(long, 'Lang tabell', name='long', unit='FTE')",
        "fig, ax = plt.subplots(); ax.bar(['a', 'b'], [1, 2])",
        "report.figure(fig, 'Søyler', name='bars', source='SSB')",
    ])),
]


def _tiny_evaluation(root: Path) -> Path:
    """The tiny programme, its notebook and evaluation file under ``root``; returns the evaluation."""
    write_programme(root / "data" / "tiny")
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
    first = render(evaluation, root / "first", pdf=shutil.which("chromium") is not None)
    second = render(evaluation, root / "second")
    return first.folder, second.folder


def test_rerendering_gives_identical_results_and_tables(rendered):
    first, second = rendered
    assert (first / "results.json").read_bytes() == (second / "results.json").read_bytes()
    results = json.loads((first / "results.json").read_text())
    assert results["figures"] == {"projects.count": 3, "grants.paid_nok": 800000}
    assert results["meta"]["inputs"]["data/tiny/projects.csv"]

    def cells(path: Path) -> dict:
        book = openpyxl.load_workbook(path)
        return {name: [[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames}

    assert cells(first / "tables.xlsx") == cells(second / "tables.xlsx")
    assert (first / "tables.xlsx").read_bytes() == (second / "tables.xlsx").read_bytes()
    assert len(cells(first / "tables.xlsx")) == 5 + 2  # five tables + the appendix's two
    page = (first / "report.html").read_text()
    assert "Vedlegg A: Reproduserbarhet" in page and results["meta"]["inputs"]["data/tiny/projects.csv"] in page


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="PDF needs Debian's chromium (apt-get install chromium)")
@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="checking the PDF needs poppler-utils (pdfinfo)")
def test_pdf_is_a4_with_pages_numbers_contents_and_whole_tables(rendered):
    pdf = rendered[0] / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages > 3
    text = _pdf_pages(pdf)
    assert "Sluttevaluering Tiny" in text[0] and "Side 1" not in text[0]  # no page number on the cover
    assert "Innhold" in text[1] and f"Side 2 av {pages}" in text[1]
    # The contents give each chapter's page: "1 Sammendrag ..... 3" and the chapter is on that page.
    toc_line = next(line for line in text[1].splitlines() if "Kapittel 3" in line)
    page_of_chapter = int(toc_line.split()[-1])
    assert "Kapittel 3" in text[page_of_chapter - 1]
    # A short table never breaks: its first and last rows are on the same page.
    for page in text:
        if "P1" in page:
            assert "P3" in page
    # The long table's header row is repeated on every page it runs over.
    long_pages = [page for page in text if "RAD-0" in page]
    assert len(long_pages) >= 2 and all("Radnavn" in page for page in long_pages)


# --- the render as a client and an operator see it (issue 5 follow-ups) -----------------------------


def _cli(args: list[str], *, cwd: Path, umask: int | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    import os
    import sys

    return subprocess.run(
        [sys.executable, "-m", "evalkit.run.cli", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def test_cli_render_prints_one_line_and_the_folder_follows_the_umask(tmp_path):
    evaluation = _tiny_evaluation(tmp_path)
    done = _cli(["render", str(evaluation), "-o", str(tmp_path / "out")], cwd=tmp_path, umask=0o027)
    assert done.returncode == 0, done.stderr
    # Nothing but the one result line: no kernel log ("[IPKernelApp] WARNING | ... without encryption").
    assert "IPKernelApp" not in done.stderr and done.stderr == ""
    assert done.stdout.count("\n") == 1 and done.stdout.startswith("tiny-2010-2011: done in ")
    # mkdtemp makes the staging folder 0700; the finished report is a normal folder under umask 027.
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "out" / "report.html").stat().st_mode & 0o777 == 0o640


def test_report_folder_mode_follows_a_permissive_umask(tmp_path):
    evaluation = _tiny_evaluation(tmp_path)
    done = _cli(["render", str(evaluation), "-o", str(tmp_path / "out")], cwd=tmp_path, umask=0o002)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o775


def test_pdf_without_chromium_fails_before_the_kernel_starts(tmp_path, monkeypatch):
    import evalkit.report.pdf
    import evalkit.run.render as render_module

    def no_kernel(*args, **kwargs):
        raise AssertionError("the notebook ran although the PDF could not be printed")

    evaluation = _tiny_evaluation(tmp_path)
    monkeypatch.setattr(evalkit.report.pdf, "find_chromium", lambda: None)
    monkeypatch.setattr(render_module, "_execute", no_kernel)
    with pytest.raises(InputError, match="needs Chromium") as error:
        render_module.render(evaluation, tmp_path / "out", pdf=True)
    assert "apt-get install chromium" in str(error.value) and "without --pdf" in str(error.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.failed").exists()
    # Without --pdf the same evaluation is not refused for want of a browser.
    render_module.prepare(evaluation, pdf=False)


def test_cli_pdf_with_a_browser_that_is_not_there_is_one_message_and_no_kernel(tmp_path):
    evaluation = _tiny_evaluation(tmp_path)
    # An empty PATH: no chromium to find (and no jupyter either, so a kernel start would fail differently).
    done = _cli(["render", str(evaluation), "-o", str(tmp_path / "out"), "--pdf"], cwd=tmp_path,
                env={"PATH": str(tmp_path / "empty"), "EVALKIT_CHROMIUM": ""})
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert done.stderr.startswith("evalkit: error: parameter 'pdf': PDF output needs Chromium")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.failed").exists()
    elsewhere = _cli(["render", str(evaluation), "-o", str(tmp_path / "out"), "--pdf"], cwd=tmp_path,
                     env={"EVALKIT_CHROMIUM": str(tmp_path / "no-such-browser")})
    assert elsewhere.returncode == 2 and "EVALKIT_CHROMIUM=" in elsewhere.stderr
    assert not (tmp_path / "out").exists()


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
    import re

    from evalkit.run.render import render

    evaluation = Path(__file__).resolve().parents[1] / "evaluations" / "vestre-toten-2010-2016-en.yaml"
    folder = render(evaluation, tmp_path / "en").folder
    page = (folder / "report.html").read_text(encoding="utf-8")
    start = page.index("class='evalkit-appendix-start'")
    body = page[page.index("<body>"): start]  # before the appendices (parameters are shown as given)
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<img [^>]+>", "", body))
    for word in NORWEGIAN_CATEGORIES:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), word
    assert "Pre-project" in text and "Bioeconomy" in text and "Competence programme" in text
    book = openpyxl.load_workbook(folder / "tables.xlsx")
    for name in book.sheetnames:
        values = {str(c.value) for row in book[name].iter_rows() for c in row if c.value is not None}
        assert not values & set(NORWEGIAN_CATEGORIES), name
    # The method appendix states its choices.
    appendix = page[start:]
    assert "Method and data quality" in appendix and "Additionality Guide" in appendix and "R-109" in appendix
