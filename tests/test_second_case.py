"""The second shipped case (ILLUSTRATIVE Alstahaug 2013-2019): its data, its evaluation files, its renders.

The generator is seeded and writes the same bytes on every run; the data are unlike the first case's
(other years, other size, no networks or competence rounds, no participants.csv). Rendered in nb, nn and
en, its report carries no fact or name of Vestre Toten, and its results.json has exactly the figure keys
of the notebook's contract.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from evalkit.run.evaluation import load_evaluation, notebook_contract
from evalkit.run.render import render

DATA = ROOT / "data" / "alstahaug"
GENERATOR = ROOT / "data" / "generators" / "alstahaug.py"
EVALUATIONS = {"nb": "alstahaug-2013-2019", "nn": "alstahaug-2013-2019-nn", "en": "alstahaug-2013-2019-en"}
#: Facts and names of the first case that must not leak into the second case's report.
FIRST_CASE = ("Vestre Toten", "Raufoss", "Oppland", "SMB Utvikling", "550", "3443", "13 000")


def test_generator_reproduces_the_shipped_files(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path)], check=True, cwd=GENERATOR.parent)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in DATA.iterdir()) == ["budget.csv", "firms.csv", "jobs.csv", "projects.csv", "survey.csv"]
    for name in written:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_the_second_case_is_unlike_the_first():
    projects = pd.read_csv(DATA / "projects.csv", dtype={"org_number": str})
    budget = pd.read_csv(DATA / "budget.csv")
    jobs = pd.read_csv(DATA / "jobs.csv")
    assert sorted(projects["year"].unique()) == list(range(2013, 2020))
    assert set(projects["type"]) == {"forstudie", "forprosjekt", "hovedprosjekt"}  # no networks, no competence rounds
    assert not (DATA / "participants.csv").exists()
    assert len(projects) == 38 and budget["amount_nok"].sum() == 16_800_000
    assert set(budget["source"]) == {"Nordland fylkeskommune", "Alstahaug kommune"}
    assert jobs["new_fte"].sum() == 62.0 and jobs["secured_fte"].sum() == 24.0
    assert projects["org_number"].str.startswith("1").all()  # fictitious: real numbers start with 8 or 9
    first = pd.read_csv(ROOT / "data" / "vestre_toten" / "firms.csv", dtype={"org_number": str})
    firms = pd.read_csv(DATA / "firms.csv", dtype={"org_number": str})
    assert not set(firms["org_number"]) & set(first["org_number"]) and not set(firms["name"]) & set(first["name"])


def test_the_municipality_has_eight_pre_years_and_unchanged_borders():
    from evalkit.io.ssb import default_data_dir

    ssb = default_data_dir()
    population = pd.read_csv(ssb / "ssb07459_population_jan1_municipalities_b2024_2005_2026.csv", dtype={"municipality_code": str})
    years = sorted(population.loc[population["municipality_code"] == "1820", "year"])
    assert [y for y in years if y < 2013] == list(range(2005, 2013))
    moves = pd.read_csv(ssb / "municipality_code_redistricting_to_b2024.csv", dtype=str)
    assert set(moves.loc[moves["municipality_code_current"] == "1820", "municipality_code_original"]) == {"1820"}
    assert set(moves.loc[moves["municipality_code_current"] == "1820", "weighting"]) == {"1.0"}


def _visible_text(html: str) -> str:
    """The report's text: no embedded images (base64 holds any digits), no tags."""
    html = re.sub(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+", "", html)
    return re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").replace("\u202f", " ")


def _leaks(text: str) -> list[str]:
    found = []
    for fact in FIRST_CASE:
        if fact[0].isdigit():  # a number on its own, not part of a longer one ("1 550 000", "35507")
            pattern = rf"(?<![\d.,])(?<!\d )" + re.escape(fact) + r"(?![\d]|[ ,.]\d)"
        else:
            pattern = re.escape(fact)
        if re.search(pattern, text):
            found.append(fact)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_second_case_renders_without_a_fact_of_the_first(language, tmp_path):
    evaluation = ROOT / "evaluations" / f"{EVALUATIONS[language]}.yaml"
    notebook = load_evaluation(evaluation).notebook
    result = render(evaluation, output=tmp_path / "report")
    figures = json.loads((result.folder / "results.json").read_text(encoding="utf-8"))["figures"]
    assert sorted(figures) == sorted(notebook_contract(notebook).figures)
    assert figures == json.loads((ROOT / "tests" / "golden" / f"{EVALUATIONS[language]}.json").read_text())
    assert figures["projects.count"] == 38 and figures["networks.count"] == 0 and figures["competence_rounds.count"] == 0

    text = _visible_text((result.folder / "report.html").read_text(encoding="utf-8"))
    assert "Alstahaug" in text
    # The evaluator's conclusions chapter is in the report, its {{ fig(...) }} filled from the render's figures.
    conclusions = Path(load_evaluation(evaluation).consultant_chapters()[0].file).read_text(encoding="utf-8")
    title = next(line[2:].strip() for line in conclusions.splitlines() if line.startswith("# "))
    assert title in text and "{{" not in text
    assert not _leaks(text)


def test_leak_finder_finds_numbers_only_on_their_own():
    assert _leaks("om lag 550 arbeidsplasser") == ["550"]
    assert _leaks("kr 1 550 000 og 35507 og 0,550") == []
    assert _leaks("over 13 000 innbyggere") == ["13 000"]
    assert _leaks("Raufoss Industripark") == ["Raufoss"]
