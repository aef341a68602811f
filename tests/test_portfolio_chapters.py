"""The portfolio report's chapters: node kinds, figures, and every template in three languages."""

from __future__ import annotations

import copy
import itertools
import re

import pytest

from evalkit.io.register import programme_register
from evalkit.io.ssb import read_population_panel
from evalkit.methods.counterfactual.portfolio_study import portfolio_study
from evalkit.report.chapters import portfolio as chapters
from evalkit.report.document import (Chapter, Figure, Heading, KeyFigures, Note, Paragraph, Record, Table, TitlePage,
                                     dumps, node_from_json)
from evalkit.report.words import LANGUAGES, Words

CHAPTER_IDS = {"summary", "register", "design", "staggered", "pooled", "pretrends", "results", "conclusions", "appendix"}
TEMPLATES = ["appendix", "conclusion", "design", "pooled", "pretrend_warning", "pretrends", "register", "results",
             "staggered", "subtitle", "summary", "title_note"]
#: Bokmål forms that have no place in nynorsk text.
BOKMAL_ONLY = re.compile(r"\b(ikke|fra|hva|hvor|hvordan|mye|bare|deres|kommuner|arbeidsplasser|programmene|"
                         r"folketallet|sammenligning\w*|utenfor|allerede|eller ikke)\b")


@pytest.fixture(scope="module")
def study():
    return portfolio_study(read_population_panel(), programme_register(), bootstrap=49, permutations=49,
                           placebos=19, seed=2)


@pytest.fixture(scope="module")
def documents(study):
    return {lang: chapters.all_chapters(study, Words(lang), title="Tittel", client="Oppdragsgiver",
                                        evaluator="evalkit", data_date="2026-01-01") for lang in LANGUAGES}


def test_chapters_are_made_of_nodes_in_report_order(documents, study):
    for lang, document in documents.items():
        assert isinstance(document, Chapter)
        kinds = [type(n) for n in document]
        assert kinds[0] is TitlePage
        headings = document.of_kind(Heading)
        assert [h.chapter for h in headings] == ["summary", "register", "design", "staggered", "pooled",
                                                 "pretrends", "results", "conclusions", "appendix"]
        assert {h.chapter for h in headings} == CHAPTER_IDS
        assert [h.appendix for h in headings] == [False] * 8 + [True]
        assert len(document.of_kind(KeyFigures)) == 1
        assert [f.name for f in document.of_kind(Figure)] == ["event_study", "pooled_synthetic_control"]
        assert all(len(f.png) > 1000 for f in document.of_kind(Figure))
        names = [t.name for t in document.of_kind(Table)]
        assert len(names) == len(set(names)) and {"register", "staggered_did", "pooled_prefit", "results"} <= set(names)
        assert all(p.markdown.strip() for p in document.of_kind(Paragraph))


def test_the_summary_records_the_seven_figures(documents, study):
    for document in documents.values():
        records = document.of_kind(Record)
        assert len(records) == 1
        assert document.figures() == pytest.approx(study.figures())
        assert len(document.figures()) == 7


def test_nodes_survive_the_trip_through_the_notebook(documents):
    for node in documents["nn"]:
        again = node_from_json(node.to_json())
        assert dumps(again) == dumps(node)


def test_the_register_table_names_municipalities_and_sources(documents, study):
    table = next(t for t in documents["nb"].of_kind(Table) if t.name == "register")
    assert len(table.cells) == 35
    row = dict(zip(table.header, next(r for r in table.cells if r[0] == "Ringeriksregionen")))
    assert row["Kommuner (2024)"] == "Ringerike, Jevnaker og Hole"
    assert row["År"] == "2013–2019" and row["Kilde"] == "Innovasjon Norge" and row["I analysen"] == "ja"
    assert dict(zip(table.header, next(r for r in table.cells if r[0] == "Berlevåg")))["År"] == "2007–"
    sources = next(t for t in documents["en"].of_kind(Table) if t.name == "register_sources")
    counts = {r[0]: int(r[1]) for r in sources.cells}
    assert counts["Innovasjon Norge"] == 9
    assert sum(counts.values()) >= 35  # a programme with two publishers counts for each


def test_the_staggered_table_has_both_comparison_groups_and_both_outcomes(documents):
    table = next(t for t in documents["en"].of_kind(Table) if t.name == "staggered_did")
    assert {(r[0], r[1]) for r in table.cells} == {
        (o, c) for o in ("Log population (x 100)", "Population index (first year = 100)")
        for c in ("Never treated", "Not yet treated")}
    results = next(t for t in documents["en"].of_kind(Table) if t.name == "results")
    assert {r[0] for r in results.cells} == {"Staggered DiD", "Pooled synthetic control"}


def test_the_conclusion_sets_the_results_beside_the_earlier_studies(documents, study):
    context = chapters._context(study)
    text = {lang: "\n\n".join(p.markdown for p in documents[lang].nodes[documents[lang].nodes.index(
        next(h for h in documents[lang].of_kind(Heading) if h.chapter == "conclusions")) + 1:][:5]
        if isinstance(p, Paragraph)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert "Telemarksforsking" in text[lang] and "Distriktssenteret" in text[lang]
        assert "53" in text[lang]
    assert "what population can and cannot show about jobs" in text["en"].lower()
    if context["pretrend_rejects"]:
        assert "selection" in text["en"] and "seleksjon" in text["nb"] and "seleksjon" in text["nn"]
        assert any(isinstance(n, Note) and n.tone == "warning" for n in documents["en"])


# --------------------------------------------------------------------------- every template, many results


def variants(study):
    """The real context, and versions with other results: signs, significance, counts, no placebos, index."""
    base = chapters._context(study)
    out = [base]
    for sign, p_value, pre, placebos, rejects in itertools.product((-1, 1), (0.002, 0.4), (0.0001, 0.6), (0, 19),
                                                                   (True, False)):
        c = copy.deepcopy(base)
        p = c["primary"]
        for key in ("att", "att_share", "ci_low_share", "ci_high_share", "dynamic_att"):
            p[key] = sign * abs(p[key])
        p["p_value"], p["pretrend_p"], p["placebos"] = p_value, pre, placebos
        p["pre_mean"], p["pre_mean_share"] = sign * 0.004, sign * 0.004
        p["pre_outside_band"] = 0 if pre > 0.05 else 2
        c["primary_pooled"]["p_value"] = 1 - p_value
        c["primary_pooled"]["perfect_fit_share"] = 0.2 if placebos else 0.9
        c["pretrend_rejects"] = rejects
        out.append(c)
    few = copy.deepcopy(base)
    few["programme_status"] = {k: 1 for k in few["programme_status"]}
    few["excluded"] = {k: 1 for k in few["excluded"]}
    few["regional_programmes"] = 0
    none = copy.deepcopy(base)
    none["programme_status"] = {k: (v if k == "used" else 0) for k, v in none["programme_status"].items()}
    none["excluded"] = {k: 0 for k in none["excluded"]}
    index = copy.deepcopy(base)
    index["primary"] = copy.deepcopy(index["did"]["index"]["never_treated"])
    index["primary"] |= {"placebos": 0, "pretrend_placebo_reject_share": float("nan"),
                         "pretrend_p_calibrated": float("nan"), "pre_mean_p": float("nan")}
    index["primary_pooled"] = copy.deepcopy(index["pooled"]["index"]) | {
        k: base["primary_pooled"][k] for k in ("perfect_fits", "perfect_fit_share", "min_pre_years", "max_pre_years",
                                               "post_significant", "post_periods")}
    index["primary_pooled"]["att_share"] = index["primary_pooled"]["att"] / 100
    index["primary"]["att_share"] = index["primary"]["att"] / 100
    index["primary"]["ci_high_share"] = index["primary"]["ci_high"] / 100
    index["primary"]["ci_low_share"] = index["primary"]["ci_low"] / 100
    return out + [few, none, index]


def sentences_are_well_formed(text: str) -> list[str]:
    problems = []
    if re.search(r"[a-zæøå\)%]\.[A-ZÆØÅ]", text):
        problems.append("a sentence runs into the next without a space")
    if re.search(r"  | \.|\( | \)| ,", text):
        problems.append("stray space")
    if "{{" in text or "{%" in text:
        problems.append("template syntax left in the text")
    return problems


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_well_in_three_languages(study, template):
    for n, context in enumerate(variants(study)):
        texts = {}
        for lang in LANGUAGES:
            text = Words(lang).text(f"portfolio/{template}", **context, publishers=20)
            assert text.strip(), (template, lang, n)
            assert not sentences_are_well_formed(text), (template, lang, n, sentences_are_well_formed(text), text)
            texts[lang] = text
        assert texts["nb"] != texts["nn"], (template, n)
        found = BOKMAL_ONLY.findall(texts["nn"])
        assert not found, (template, n, found)


def test_the_conclusion_follows_the_results(study):
    words = Words("en")
    base = variants(study)
    texts = [words.text("portfolio/conclusion", **c) for c in base[1:]]
    # Each result the conclusion can meet gets its own first sentence.
    assert len({t.split(".")[0] for t in texts}) >= 4
    null = next(c for c in base[1:] if c["primary"]["p_value"] > 0.05 and not c["pretrend_rejects"])
    assert words.text("portfolio/conclusion", **null).startswith(
        "**The data show no measurable effect of the programmes on population.**")
