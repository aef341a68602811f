"""The status report's chapters: document nodes from the results, sentences judged by named thresholds."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from evalkit import InputError, load_programme
from evalkit.io.ssb import read_population_panel, table_path
from evalkit.report.chapters import monitoring as ch
from evalkit.report.document import Chapter, Figure, Heading, KeyFigures, Paragraph, Record, Table, TitlePage
from evalkit.report.words import LANGUAGES, Words

GJOVIKREGIONEN = ["3407", "3442", "3443", "3447", "3448"]
FACTS = dict(illustrative_data=True, predecessor="Vestre Toten", board_members={"municipalities": 4, "business": 2},
             early_phase_priority=True, expected_full_use=True, evaluation_year=2019)


@pytest.fixture(scope="module")
def panel():
    return read_population_panel(table_path("population"))


def _status(programme, panel, **options):
    return ch.monitoring(programme, panel, period_start=2017, period_end=2018, municipality_codes=GJOVIKREGIONEN,
                         population_year=2017, region_name="Gjøvikregionen", **options)


@pytest.fixture(scope="module")
def gjovik(panel):
    return _status(load_programme(ROOT / "data" / "gjovikregionen"), panel, **FACTS)


def _text(chapter: Chapter) -> str:
    return "\n".join(n.markdown for n in chapter if isinstance(n, Paragraph))


def test_the_thresholds_by_hand():
    assert ch.pace(1.48, 4.02) == "much_higher" and ch.pace(1.0, 1.5) == "higher"
    assert ch.pace(1.0, 1.05) == "same" and ch.pace(1.0, 0.5) == "lower" and ch.pace(0, 1) == "much_higher"
    # Three sectors: each needs >= 1/6 of the priority grants.
    assert ch.well_spread({"a": 0.37, "b": 0.34, "c": 0.29})
    assert not ch.well_spread({"a": 0.70, "b": 0.20, "c": 0.10})
    assert not ch.well_spread({"a": 1.0})
    assert ch.target_comparison(0.9, 0.9) == "in_line" and ch.target_comparison(0.8, 0.9) == "below"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_chapter_in_every_language(gjovik, language):
    words = Words(language)
    title = ch.title_page(gjovik, words, title="T", client="C", evaluator="E", data_date="2018-12-31", version="1")
    assert isinstance(title.nodes[0], TitlePage) and "ILLUST" in title.nodes[0].note
    ids = []
    for chapter in ch.CHAPTERS:
        out = chapter(gjovik, words)
        assert isinstance(out, Chapter) and isinstance(out.nodes[0], Heading)
        ids.append(out.nodes[0].chapter)
        for node in out:
            json.dumps(node.to_json())  # what the renderer reads
    assert ids == ["summary", "background", "population", "budget", "priorities", "forecast", "activity", "appendix"]
    text = "\n".join(_text(c(gjovik, words)) for c in ch.CHAPTERS)
    assert "Vestre Toten" in text and "2019" in text
    assert "{" not in text and "None" not in text


def test_summary_records_the_golden_figures(gjovik):
    chapter = ch.summary(gjovik, Words("nb"))
    golden = json.loads((ROOT / "tests" / "golden" / "gjovikregionen-2017-2018.json").read_text(encoding="utf-8"))
    assert chapter.figures() == golden
    assert len(chapter.of_kind(KeyFigures)) == 1 and len(chapter.of_kind(Record)) == 1


def test_sentences_follow_the_results(gjovik):
    nb = Words("nb")
    assert "godt fordelt" in _text(ch.priorities(gjovik, nb))
    assert "langsom start i 2017" in _text(ch.budget(gjovik, nb))
    assert "i tråd med målet" in _text(ch.budget(gjovik, nb))
    assert "de øvrige er 2 hovedprosjekter" in _text(ch.priorities(gjovik, nb))
    assert "Styret har 6 medlemmer: 4 fra kommunene og 2 fra næringslivet" in _text(ch.background(gjovik, nb))
    assert "Styret har 6 medlemer: 4 frå kommunane og 2 frå næringslivet" in _text(ch.background(gjovik, Words("nn")))


def test_client_facts_are_left_out_when_not_given(panel, tiny_folder):
    status = _status(load_programme(ROOT / "data" / "gjovikregionen"), panel)
    nb = Words("nb")
    background = _text(ch.background(status, nb))
    assert "Styret" not in background and "viderefører" not in background and "tidligfaseprosjekter" not in background
    assert "planlagt" not in _text(ch.activity(status, nb))
    assert "Programmet selv ventet" not in _text(ch.forecast(status, nb))
    assert ch.title_page(status, nb, title="T").nodes[0].note == ""
    sources = {n.source for n in ch.budget(status, nb) if isinstance(n, (Table, Figure))}
    assert sources == {"programmets budsjett og prosjektdata"}


def test_a_concentrated_programme_is_not_called_well_spread(panel, tiny_folder):
    # The tiny programme: Industri 350 000, IKT 500 000, Bioøkonomi nothing.
    tiny = load_programme(tiny_folder)
    status = ch.monitoring(tiny, panel, period_start=2010, period_end=2011, municipality_codes=["3443"],
                           population_year=2011, region_name="Vestre Toten")
    text = _text(ch.priorities(status, Words("nb")))
    assert "godt fordelt" not in text and "Bare 2 av 3 prioriterte bransjer" in text
    assert "1 nettverk" in text and "1 hovedprosjekt" in text
    en = _text(ch.budget(status, Words("en")))
    assert "much higher pace" in en and "less than the target" in en
    population = _text(ch.population(status, Words("en")))
    assert "in 1 municipality" in population and "largest" not in population


def test_an_unknown_board_group_names_the_parameter(panel):
    with pytest.raises(InputError, match="board_members"):
        _status(load_programme(ROOT / "data" / "gjovikregionen"), panel, board_members={"kommunene": 4})
