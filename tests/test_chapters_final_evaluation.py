"""The final evaluation's chapters: the nodes and figures each returns, in every language, with no client in the code."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

import nbformat
import pandas as pd
import pytest

import evalkit as ek
from conftest import ROOT
from evalkit.methods.net_effect.estimate import NET_EFFECT_FIGURES
from evalkit.report.chapters import final_evaluation as fe
from evalkit.report.document import Figure, Heading, KeyFigures, Paragraph, Record, Table, TitlePage, dumps
from evalkit.report.words import LANGUAGES, Words

CLIENT_WORDS = ("Vestre Toten", "Raufoss", "Oppland", "SMB Utvikling", "Toten")


@dataclass
class Analysis:
    programme: Any
    funds: Any
    gross: Any
    target: Any
    net_effect: Any
    cost_registered: Any
    period: tuple[int, int]


def _analyse(programme, period, target_jobs, **kwargs) -> Analysis:
    funds, gross = ek.portfolio(programme), ek.gross_jobs(programme)
    target = ek.target_attainment(gross, target_jobs, ek.expected_jobs(programme))
    effect = ek.estimate_net_effect(programme, period=period, mc_draws=300, seed=1, **kwargs)
    return Analysis(programme, funds, gross, target, effect, ek.cost_per_registered_job(funds, gross), period)


@pytest.fixture
def tiny(tiny_folder) -> Analysis:
    return _analyse(ek.load_programme(tiny_folder), (2010, 2011), 10.0)


@pytest.fixture(scope="module")
def vestre_toten() -> Analysis:
    return _analyse(ek.load_programme(ROOT / "data" / "vestre_toten"), (2010, 2016), 300.0)


def _all_chapters(a: Analysis, words: Words, **background: Any) -> list[Any]:
    return [
        fe.title_page(title="Sluttevaluering", period=a.period, words=words, municipality_name="Testby",
                      client="Oppdragsgiver AS", illustrative_data=True),
        fe.summary(a.funds, a.gross, a.target, a.net_effect, a.cost_registered, words),
        fe.background(a.funds, words, municipality_name="Testby", period=a.period, **background),
        fe.resources(a.funds, words),
        fe.activity(a.funds, a.programme, a.net_effect, words),
        fe.results(a.gross, a.target, words),
        fe.attribution(a.net_effect, a.programme, words),
        fe.net_effect(a.net_effect, words),
        fe.cost(a.net_effect, a.cost_registered, words),
        fe.data_quality(a.programme, words),
    ]


def _text(chapter) -> str:
    return " ".join(json.dumps({k: v for k, v in json.loads(dumps(n)).items() if k != "png"}, ensure_ascii=False)
                    for n in chapter)


def _paragraphs(chapter) -> str:
    return " ".join(n.markdown for n in chapter.of_kind(Paragraph))


def _table(chapter, name) -> Table:
    return next(t for t in chapter.of_kind(Table) if t.name == name)


# ------------------------------------------------------------------------------------------ kinds and figures
def test_each_chapter_has_its_heading_id_and_node_kinds(tiny):
    words = Words("nb")
    chapters = _all_chapters(tiny, words)
    ids = [h.chapter for c in chapters for h in c.of_kind(Heading)]
    assert ids == ["summary", "background", "resources", "activity", "results", "attribution", "net_effect", "cost"]
    assert isinstance(chapters[0].nodes[0], TitlePage) and len(chapters[0]) == 1
    summary = chapters[1]
    assert [type(n) for n in summary] == [Heading, KeyFigures, Paragraph, Record]
    assert [t.name for t in chapters[3].of_kind(Table)] == ["funds_by_year", "funds_by_source"]
    assert [t.name for t in chapters[4].of_kind(Table)] == ["projects_by_type", "projects_by_sector", "projects_by_year"]
    assert [f.name for f in chapters[5].of_kind(Figure)] == ["jobs_vs_target"]
    assert [t.name for t in chapters[6].of_kind(Table)] == ["attribution", "attribution_by_sector"]
    assert [t.name for t in chapters[7].of_kind(Table)] == ["survey", "gross_to_net"]
    assert [f.name for f in chapters[8].of_kind(Figure)] == ["tornado"]
    assert [type(n) for n in chapters[9]] == [Paragraph]  # no notes on the input: a sentence, no table


def test_records_are_the_figures_results_json_had(tiny):
    words = Words("en")
    summary = fe.summary(tiny.funds, tiny.gross, tiny.target, tiny.net_effect, tiny.cost_registered, words)
    expected = tiny.funds.figures() | tiny.gross.figures() | tiny.target.figures() | tiny.cost_registered.figures()
    assert summary.figures() == dict(Record.of(expected).figures) and set(summary.figures()) == set(expected)
    cost = fe.cost(tiny.net_effect, tiny.cost_registered, words)
    assert set(cost.figures()) == set(NET_EFFECT_FIGURES)
    assert cost.figures()["jobs.net_additional"] == pytest.approx(tiny.net_effect.net.net)


def test_summary_on_vestre_toten_adds_up_and_gives_the_net_effect(vestre_toten):
    a = vestre_toten
    for language in LANGUAGES:
        chapter = fe.summary(a.funds, a.gross, a.target, a.net_effect, a.cost_registered, Words(language))
        text = _paragraphs(chapter)
        assert "180" in text and "131" in text and "49" in text and "63" in text
        net = str(round(a.net_effect.net.net))
        assert net in text
        values = dict((label, value) for value, label in chapter.of_kind(KeyFigures)[0].items)
        assert values[Words(language).term("registered_jobs")] == "180"
    en = _paragraphs(fe.summary(a.funds, a.gross, a.target, a.net_effect, a.cost_registered, Words("en")))
    assert "180 new and secured jobs (131 new and 49 secured)" in en and "about 51 net additional jobs" in en
    assert "about NOK 426,000" in en  # cost per net job, rounded to thousands


def test_shown_parts_add_up_and_say_about_when_rounding_moves_the_total(tiny):
    # Tiny: 6.5 new + 2.5 secured = 9.0; shown 7 + 3 = 10, so the text says "about 10".
    nb = _paragraphs(fe.summary(tiny.funds, tiny.gross, tiny.target, tiny.net_effect, tiny.cost_registered, Words("nb")))
    assert "om lag 10 nye og sikrede arbeidsplasser (7 nye og 3 sikrede)" in nb
    en = _paragraphs(fe.results(tiny.gross, tiny.target, Words("en")))
    assert "About 10 are registered" in en and "7 new and 3 secured" in en


def test_counterfactual_sentence_only_with_its_context(tiny):
    words = Words("nn")
    without = fe.summary(tiny.funds, tiny.gross, tiny.target, tiny.net_effect, tiny.cost_registered, words)
    context = {"treated_name": "Testby", "period_start": 2010, "att": -2.34, "p_value": 0.72, "has_conformal": True, "ci_low": -5.0, "ci_high": 1.5, "ci_finite": True, "ci_level": 0.9, "ci_covers_zero": True, "mde": 5.9, "mde_inhabitants": 751.0}
    with_it = fe.summary(tiny.funds, tiny.gross, tiny.target, tiny.net_effect, tiny.cost_registered, words,
                         counterfactual_context=context)
    assert len(with_it.of_kind(Paragraph)) == len(without.of_kind(Paragraph)) + 1
    assert "2,3 indekspoeng under" in with_it.of_kind(Paragraph)[-1].markdown
    # The headline interval is the conformal one, and the design says what it could have detected.
    assert "1,5 indekspoeng og omfattar null (inga verknad)" in with_it.of_kind(Paragraph)[-1].markdown
    assert "751 innbyggjarar" in with_it.of_kind(Paragraph)[-1].markdown


def test_background_leaves_out_what_the_evaluation_does_not_give(tiny):
    words = Words("nb")
    bare = _paragraphs(fe.background(tiny.funds, words, municipality_name="Testby", period=(2010, 2011)))
    assert "gikk tapt" not in bare and "Testby fikk status som omstillingsområde fra 2010." in bare
    assert "1,0 mill. kr" in bare and "County" in bare and "Municipality" in bare  # funding by source from the budget
    full = fe.background(tiny.funds, words, municipality_name="Testby", period=(2010, 2011), jobs_lost=550,
                         jobs_lost_share=0.17, background_story="Fabrikken *stengte*.")
    paragraphs = [n.markdown for n in full.of_kind(Paragraph)]
    assert "om lag 550 arbeidsplasser (om lag 17" in paragraphs[0]
    assert paragraphs[1] == "Fabrikken *stengte*."  # the consultant's own Markdown, as one paragraph


def test_activity_sentences_follow_the_data(tiny):
    nb = _paragraphs(fe.activity(tiny.funds, tiny.programme, tiny.net_effect, Words("nb")))
    assert "ett nettverk" in nb and "runde" not in nb and "én av dem er en ny bedrift" in nb
    en = _paragraphs(fe.activity(tiny.funds, tiny.programme, tiny.net_effect, Words("en")))
    assert "set up one network" in en and "competence" not in en


def test_one_grouping_of_sectors_protects_both_sector_tables(vestre_toten):
    a = vestre_toten
    projects = a.programme.projects.copy()
    # One firm alone in its sector: hidden in one table, it must not show in the other.
    lone = projects.index[projects["org_number"] == projects["org_number"].iloc[0]]
    projects.loc[lone, "sector"] = "Gruvedrift"
    programme = type("P", (), {"projects": projects, "firms": a.programme.firms})()
    words = Words("nb")
    activity = fe.activity(a.funds, programme, a.net_effect, words)
    attribution = fe.attribution(a.net_effect, programme, words)
    grants = _table(activity, "projects_by_sector")
    jobs = _table(attribution, "attribution_by_sector")
    grant_rows = {row[0] for row in grants.cells}
    job_rows = {row[0] for row in jobs.cells} - {"Sum"}
    assert "Gruvedrift" not in grant_rows | job_rows
    assert "Andre næringer" in grant_rows and grant_rows == job_rows
    assert "Gruvedrift" in grants.note and "Gruvedrift" in jobs.note
    # No sector total is hidden in either table: what one shows, the other shows too.
    assert all(row[2] != ":" for row in grants.cells)
    assert all(row[-1] != ":" for row in jobs.cells)


def test_tiny_programme_sectors_are_all_too_small(tiny):
    words = Words("en")
    grants = _table(fe.activity(tiny.funds, tiny.programme, tiny.net_effect, words), "projects_by_sector")
    assert [row[0] for row in grants.cells] == ["Other sectors"] and grants.cells[0][2] == ":"
    jobs = _table(fe.attribution(tiny.net_effect, tiny.programme, words), "attribution_by_sector")
    assert {row[0] for row in jobs.cells} == {"Other sectors", "Total"}


def test_firm_table_only_when_names_may_be_published(tiny):
    words = Words("en")
    assert "attribution_by_firm" not in [t.name for t in fe.attribution(tiny.net_effect, tiny.programme, words).of_kind(Table)]
    internal = fe.attribution(tiny.net_effect, tiny.programme, words, publish_firm_names=True)
    assert "Alfa AS" in " ".join(c for row in _table(internal, "attribution_by_firm").cells for c in row)


def test_no_survey_no_survey_table(tiny_folder):
    programme = ek.load_programme(tiny_folder)
    effect = ek.estimate_net_effect(programme, period=(2010, 2011), mc_draws=200, seed=1, use_survey_deadweight=False)
    object.__setattr__(effect, "survey", None)
    chapter = fe.net_effect(effect, Words("en"))
    assert [t.name for t in chapter.of_kind(Table)] == ["gross_to_net"]


def test_no_net_jobs_at_national_scale_is_said_in_every_language(tiny_folder):
    a = _analyse(ek.load_programme(tiny_folder), (2010, 2011), 10.0, spatial_scale="national")
    assert a.net_effect.net.net == 0
    for language in LANGUAGES:
        words = Words(language)
        text = _paragraphs(fe.summary(a.funds, a.gross, a.target, a.net_effect, a.cost_registered, words))
        text += _paragraphs(fe.net_effect(a.net_effect, words)) + _paragraphs(fe.cost(a.net_effect, a.cost_registered, words))
        assert words.term("net_additional_jobs") in text
    en = _paragraphs(fe.cost(a.net_effect, a.cost_registered, Words("en")))
    assert "no finite cost per net job" in en


# ------------------------------------------------------------------------------------------ words
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_client_words_without_the_clients_parameters(tiny, language):
    text = " ".join(_text(c) for c in _all_chapters(tiny, Words(language)))
    for word in CLIENT_WORDS:
        assert word not in text, word


def test_vestre_toten_chapters_name_no_place_but_the_data_s(vestre_toten):
    # The budget names its funders (data); the templates and labels add no place of their own.
    text = " ".join(_text(c) for c in _all_chapters(vestre_toten, Words("nb")))
    assert "Raufoss" not in text and "SMB Utvikling" not in text
    for c in _all_chapters(vestre_toten, Words("nb"))[1:]:
        for heading in c.of_kind(Heading):
            assert "Toten" not in heading.text


def test_every_template_renders_in_every_language(tiny, tiny_folder, monkeypatch):
    used: dict[str, set[str]] = {language: set() for language in LANGUAGES}
    original = Words.text

    def record(self, template, /, **context):
        used[self.language].add(template)
        return original(self, template, **context)

    monkeypatch.setattr(Words, "text", record)
    national = _analyse(ek.load_programme(tiny_folder), (2010, 2011), 10.0, spatial_scale="national")
    for language in LANGUAGES:
        words = Words(language)
        _all_chapters(tiny, words, jobs_lost=10, jobs_lost_share=0.5)
        _all_chapters(national, words)
        fe.summary(tiny.funds, tiny.gross, tiny.target, tiny.net_effect, tiny.cost_registered, words,
                   counterfactual_context={"treated_name": "X", "period_start": 2010, "att": 1.0, "p_value": 0.01, "has_conformal": True, "ci_low": -5.0, "ci_high": 1.5, "ci_finite": True, "ci_level": 0.9, "ci_covers_zero": True, "mde": 5.9, "mde_inhabitants": 751.0})
        ek.net_effect_method(tiny.net_effect, language=language)
    for language in LANGUAGES:
        have = {t for t in Words(language).templates() if t.startswith("final_evaluation/")}
        mine = {t for t in have if not t.split("/")[1].startswith(("counterfactual_", "triangulation_", "method_"))}
        assert mine - used[language] == set(), language


def test_glossary_terms_are_the_same_everywhere(vestre_toten):
    nb = " ".join(_text(c) for c in _all_chapters(vestre_toten, Words("nb")))
    assert "netto addisjonelle arbeidsplasser" in nb and "kalkulasjonsrente" in nb
    assert "netto addisjonelle årsverk" not in nb and "diskonteringsrente" not in nb
    nn = " ".join(_text(c) for c in _all_chapters(vestre_toten, Words("nn")))
    assert "netto addisjonelle arbeidsplassar" in nn and "verksemder" in nn and "bedrifter" not in nn


# ------------------------------------------------------------------------------------------ the notebook
def test_notebook_chapter_cells_are_one_call_each():
    nb = nbformat.read(ROOT / "notebooks" / "final_evaluation.ipynb", as_version=4)
    for index in (2, 3, 4, 5, 6, 7, 8, 9, 10, 14):
        source = nb.cells[index].source
        tree = ast.parse(source)
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), index
        call = tree.body[0].value
        assert isinstance(call, ast.Call) and ast.unparse(call.func).startswith("chapters."), index
        assert "pick(" not in source and 'f"' not in source, index
    setup = nb.cells[1].source
    assert "report.pick" not in setup and "report.say" not in setup and 'f"' not in setup
    parameters = nb.cells[0].source
    for word in ("Raufoss", "Oppland", "SMB", "550"):
        assert word not in parameters
