"""Chapters of the evaluator's own: Markdown to nodes, placement among the notebook's chapters, checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import InputError
from evalkit.report.consultant import (
    ChapterSpec,
    check_chapter,
    consultant_nodes,
    format_figure,
    insert_chapters,
    is_share,
    slug,
)
from evalkit.report.document import Heading, Paragraph, Record
from evalkit.report.words import Words
from evalkit.run.evaluation import notebook_contract

from conftest import ROOT

FIGURES = {"jobs.net_additional": 51.31107875876314, "target.attainment": 0.6, "projects.count": 63,
           "jobs.net_additional.p05": 3.8157884336661136, "additionality.deadweight": 0.2620658824869878,
           "counterfactual.p_value": 0.722972972972973, "additionality.multiplier": 1.1,
           "funding.project_support_nok": 17_500_000, "survey.response_rate": 0.8055555555555556}
CHAPTERS = ("summary", "results", "conclusions", "appendix")


def _write(tmp_path: Path, text: str, name: str = "chapter.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _report() -> list:
    """A small report: four chapters, the conclusions with a placeholder paragraph and a record."""
    return [
        Heading("Sammendrag", chapter="summary"), Paragraph("s"),
        Heading("Resultater", chapter="results"), Paragraph("r1"), Heading("Del", level=3), Paragraph("r2"),
        Heading("Konklusjoner", chapter="conclusions"), Paragraph("generated"), Record.of({"x.count": 1}),
        Heading("Metode", chapter="appendix", appendix=True), Paragraph("a"),
    ]


def test_share_rule_and_formats():
    assert is_share("target.attainment") and is_share("survey.response_rate") and is_share("funding.project_support_share")
    assert is_share("additionality.deadweight") and is_share("funding.firm_frame_used")
    assert not is_share("jobs.net_additional.p05") and not is_share("counterfactual.p_value")
    assert not is_share("forecast.rate_nok") and not is_share("forecast.status_frame_used_year")
    nb, en = Words("nb"), Words("en")
    assert format_figure("target.attainment", 0.6, nb) == nb.percent(0.6) == "60\u00a0%"
    assert format_figure("target.attainment", 0.6, en) == "60%"
    assert format_figure("jobs.net_additional", 51.311, nb) == "51"
    assert format_figure("jobs.net_additional.p05", 3.8157, nb) == "3,8"
    assert format_figure("counterfactual.p_value", 0.72297, en) == "0.72"
    assert format_figure("funding.project_support_nok", 17_500_000, nb) == nb.number(17_500_000)
    assert format_figure("jobs.net_additional", 51.311, en, 1) == "51.3"
    assert format_figure("jobs.net_additional", None, nb) == "–"


def test_markdown_becomes_heading_sections_and_paragraphs(tmp_path):
    path = _write(tmp_path, "\n# Våre vurderinger\n\nNetto {{ fig(\"jobs.net_additional\") }} arbeidsplasser,\n"
                            "{{fig('target.attainment')}} av målet.\n\n## Anbefalinger\n\n- én\n- to\n")
    nodes = consultant_nodes(ChapterSpec(path, after="results"), FIGURES, Words("nb"))
    assert [type(n) for n in nodes] == [Heading, Paragraph, Heading, Paragraph]
    assert (nodes[0].text, nodes[0].level, nodes[0].chapter) == ("Våre vurderinger", 2, "vare-vurderinger")
    assert nodes[1].markdown == "Netto 51 arbeidsplasser,\n60\u00a0% av målet."
    assert (nodes[2].text, nodes[2].level, nodes[2].chapter) == ("Anbefalinger", 3, None)
    assert nodes[3].markdown == "- én\n- to"
    en = consultant_nodes(ChapterSpec(path, after="results"), FIGURES, Words("en"))
    assert en[1].markdown == "Netto 51 arbeidsplasser,\n60% av målet."


def test_conclusions_shorthand_gets_the_conclusions_id(tmp_path):
    path = _write(tmp_path, "# Our assessment\n\nText.\n")
    nodes = consultant_nodes(ChapterSpec(path, conclusions=True), FIGURES, Words("en"))
    assert nodes[0].chapter == "conclusions" and nodes[0].level == 2
    assert slug("Økonomi og ÅRSVERK – 2016") == "okonomi-og-arsverk-2016"


def test_insert_after_the_last_node_of_a_chapter_and_before_the_appendix(tmp_path):
    after = _write(tmp_path, "# Intervjuer\n\nTekst.\n", "a.md")
    before = _write(tmp_path, "# Casestudie\n\nTekst.\n", "b.md")
    out = insert_chapters(_report(), [ChapterSpec(after, after="results"), ChapterSpec(before, before="appendix")],
                          FIGURES, Words("nb"))
    texts = [getattr(n, "text", getattr(n, "markdown", None)) for n in out]
    # After the section and paragraph that close 'results', before the next level-2 heading.
    assert texts.index("Intervjuer") == texts.index("r2") + 1
    assert texts[texts.index("Intervjuer") + 2] == "Konklusjoner"
    assert texts.index("Casestudie") == texts.index("Metode") - 2
    assert len(out) == len(_report()) + 4
    # The input is not changed (a pure function).
    assert len(_report()) == 11


def test_two_chapters_after_the_same_chapter_keep_the_files_order(tmp_path):
    one = _write(tmp_path, "# En\n\nx\n", "1.md")
    two = _write(tmp_path, "# To\n\ny\n", "2.md")
    out = insert_chapters(_report(), [ChapterSpec(one, after="summary"), ChapterSpec(two, after="summary")],
                          FIGURES, Words("nb"))
    heads = [n.text for n in out if isinstance(n, Heading) and n.level == 2]
    assert heads == ["Sammendrag", "En", "To", "Resultater", "Konklusjoner", "Metode"]


def test_conclusions_replace_the_notebooks_and_keep_its_records(tmp_path):
    path = _write(tmp_path, "# Våre konklusjoner\n\n{{ fig(\"projects.count\") }} prosjekter.\n")
    out = insert_chapters(_report(), [ChapterSpec(path, conclusions=True)], FIGURES, Words("nb"))
    texts = [getattr(n, "text", getattr(n, "markdown", None)) for n in out]
    assert "generated" not in texts and "Konklusjoner" not in texts
    assert texts[texts.index("Våre konklusjoner") + 1] == "63 prosjekter."
    assert sum(isinstance(n, Record) for n in out) == 1
    # Without a conclusions chapter in the notebook: before the appendix.
    without = [n for n in _report() if getattr(n, "chapter", None) != "conclusions" and getattr(n, "markdown", "") != "generated"]
    placed = insert_chapters(without, [ChapterSpec(path, conclusions=True)], FIGURES, Words("nb"))
    heads = [n.text for n in placed if isinstance(n, Heading) and n.level == 2]
    assert heads == ["Sammendrag", "Resultater", "Våre konklusjoner", "Metode"]


def test_a_title_like_a_notebook_chapter_gets_its_own_id(tmp_path):
    path = _write(tmp_path, "# Results\n\nx\n")
    out = insert_chapters(_report(), [ChapterSpec(path, after="results")], FIGURES, Words("en"))
    ids = [n.chapter for n in out if isinstance(n, Heading) and n.level == 2]
    assert ids == ["summary", "results", "results-2", "conclusions", "appendix"]


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("Tekst uten tittel.\n", 1, "does not start with the chapter's '# ' heading"),
        ("\n\n## Bare en seksjon\n", 3, "does not start with the chapter's '# ' heading"),
        ("", 1, "has no '# ' heading"),
        ("# A\n\nx\n\n# B\n", 5, "second '# ' heading"),
        ("# A\n\nline one\nNet {{ fig(\"jobs.netto\") }}.\n", 4, "'jobs.netto' is not a figure of the report"),
        ("# A\n\n{{ title }}\n", 3, "'{{ title }}' is not a figure"),
        ("# A\n\n{% if x %}y{% endif %}\n", 3, "is not a figure"),
    ],
)
def test_bad_chapter_file_names_file_and_line(tmp_path, text, line, words):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        check_chapter(ChapterSpec(path, after="results"), FIGURES, CHAPTERS)
    assert words in str(caught.value)
    assert caught.value.location.file == path and caught.value.location.row == line


def test_unknown_figure_suggests_the_near_key(tmp_path):
    path = _write(tmp_path, "# A\n\n{{ fig(\"jobs.net_aditional\") }}\n")
    with pytest.raises(InputError, match="Did you mean 'jobs.net_additional'"):
        check_chapter(ChapterSpec(path, after="results"), FIGURES, CHAPTERS)


def test_unknown_chapter_and_missing_file_name_the_evaluation_line(tmp_path):
    evaluation = tmp_path / "e.yaml"
    with pytest.raises(InputError) as caught:
        check_chapter(ChapterSpec(_write(tmp_path, "# A\n"), after="resultater", origin=evaluation, line=7),
                      FIGURES, CHAPTERS)
    assert "'resultater' is not a chapter" in str(caught.value) and "summary, results" in str(caught.value)
    assert (caught.value.location.file, caught.value.location.row) == (evaluation, 7)
    with pytest.raises(InputError) as caught:
        check_chapter(ChapterSpec(tmp_path / "nope.md", after="results", origin=evaluation, line=9), FIGURES, CHAPTERS)
    assert "nope.md does not exist" in str(caught.value) and caught.value.location.row == 9


def test_shipped_chapters_check_against_the_notebook_contract():
    contract = notebook_contract(ROOT / "notebooks" / "final_evaluation.ipynb")
    assert contract.chapters == ("summary", "background", "resources", "activity", "results", "attribution",
                                 "net_effect", "cost", "counterfactual", "triangulation", "conclusions", "appendix")
    for path in sorted((ROOT / "evaluations" / "alstahaug").glob("*.md")):
        check_chapter(ChapterSpec(path, conclusions=True), contract.figures, contract.chapters)
