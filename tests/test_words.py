"""Every language has every template, catalogue entry and glossary term that another language has."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from evalkit.report.words import LANGUAGES, Words, catalogue, glossary, markdown_text

SRC = Path(__file__).resolve().parents[1] / "src" / "evalkit"


def test_every_language_has_every_template():
    names = {language: set(Words(language).templates()) for language in LANGUAGES}
    every = set().union(*names.values())
    for language, have in names.items():
        assert every - have == set(), f"templates missing in {language}"


def _labels_in_code() -> set[tuple[str | None, str]]:
    """Every ``words._("...")`` / ``w._("...")`` label written in the library (what pybabel extracts)."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("_", "gettext")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                context = next((k.value.value for k in node.keywords if k.arg == "context"
                                and isinstance(k.value, ast.Constant)), None)
                found.add((context, node.args[0].value))
    return found


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_label_in_the_code_is_translated(language):
    missing = _labels_in_code() - set(catalogue(language))
    assert not missing, f"{language}.po lacks {sorted(missing, key=str)[:10]}"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogues_have_the_same_entries(language):
    assert set(catalogue(language)) == set(catalogue("nb"))


def test_every_glossary_term_has_every_language():
    for term, texts in glossary().items():
        assert set(texts) == set(LANGUAGES), term
        assert all(texts.values()), term


def test_values_from_the_data_are_text_in_markdown():
    assert markdown_text("[klikk](http://x)\n## Falsk kapittel") == r"\[klikk\]\(http://x\) \#\# Falsk kapittel"


def test_numbers_and_lists_follow_the_language():
    assert Words("nn").nok(17_500_000) == "17,5 mill. kr"
    assert Words("en").nok(17_500_000) == "NOK 17.5 million"
    assert Words("nb").join(["a", "b", "c"]) == "a, b og c"
    assert Words("en").percent(0.6) == "60%"
    assert Words("nb").number(float("inf")) == "∞"


def test_a_name_from_the_evaluation_file_is_text_in_the_report(tmp_path):
    """A municipality name with a link and a newline plus '## ...' makes no live link and no fake chapter."""
    from conftest import write_programme
    from evalkit.io.programme import load_programme
    from evalkit.methods.descriptive.portfolio import portfolio
    from evalkit.report.chapters import final_evaluation as fe
    from evalkit.report.document import Paragraph
    from evalkit.report.html import markdown_html

    funds = portfolio(load_programme(write_programme(tmp_path)))
    hostile = "Testby [klikk](http://evil.example)\n## Falsk kapittel"
    chapter = fe.background(funds, Words("nb"), municipality_name=hostile, period=(2010, 2011), jobs_lost=100.0)
    html = "".join(markdown_html(node.markdown) for node in chapter if isinstance(node, Paragraph))
    assert "Falsk kapittel" in html and "[klikk](http://evil.example)" in html
    assert "<a " not in html and "<h2" not in html and "<h1" not in html
