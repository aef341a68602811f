"""The ILLUSTRATIVE programme data: reproducible, calibrated to the published totals, consistent.

The checks read the committed CSV files with pandas (not the generators' internals), so they
test what users load. Published targets: /work/shared/seed/vestre_toten_presentation.txt and
data/ssb/vestre_toten_omstilling_facts.csv (see data/README.md).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evalkit.io.programme import load_programme

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
GENERATORS = DATA / "generators"
TABLES = ("budget", "projects", "firms", "participants", "jobs", "survey")
MUNICIPALITIES = {
    "Gjøvik kommune": "3407",
    "Østre Toten kommune": "3442",
    "Vestre Toten kommune": "3443",
    "Søndre Land kommune": "3447",
    "Nordre Land kommune": "3448",
}


def read(folder: str, table: str) -> pd.DataFrame:
    return pd.read_csv(DATA / folder / f"{table}.csv", dtype={"org_number": str})


def org_number_is_valid(number: str) -> bool:
    """Brønnøysund mod-11 check, written independently of the generators."""
    if not re.fullmatch(r"\d{9}", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:8], (3, 2, 7, 6, 5, 4, 3, 2)))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(number[8])


@pytest.fixture(scope="module", params=["vestre_toten", "gjovikregionen"])
def regenerated(request, tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(request.param)
    subprocess.run(
        [sys.executable, str(GENERATORS / f"{request.param}.py"), str(out)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return request.param, out


# --- reproducibility -------------------------------------------------------------------


def test_generator_reproduces_committed_files_byte_for_byte(regenerated):
    folder, out = regenerated
    for table in TABLES:
        committed = (DATA / folder / f"{table}.csv").read_bytes()
        assert (out / f"{table}.csv").read_bytes() == committed, f"{folder}/{table}.csv differs"


@pytest.mark.parametrize("folder", ["vestre_toten", "gjovikregionen"])
def test_files_are_utf8_with_unix_line_endings(folder):
    for table in TABLES:
        raw = (DATA / folder / f"{table}.csv").read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw
        assert raw.endswith(b"\n")


def test_org_number_check_matches_a_published_number():
    # Brønnøysundregistrene's own organisation number is 974 760 673.
    assert org_number_is_valid("974760673")
    assert not org_number_is_valid("974760672")
    assert not org_number_is_valid("97476067")


@pytest.mark.parametrize("folder", ["vestre_toten", "gjovikregionen"])
def test_org_numbers_are_valid_and_clearly_fictitious(folder):
    firms = read(folder, "firms")
    assert firms["org_number"].is_unique
    for number in firms["org_number"]:
        assert org_number_is_valid(number), number
        # Real organisation numbers start with 8 or 9.
        assert number[0] not in "89", number


@pytest.mark.parametrize("folder", ["vestre_toten", "gjovikregionen"])
def test_referential_integrity(folder):
    projects, firms = read(folder, "projects"), read(folder, "firms")
    known_firms, known_projects = set(firms["org_number"]), set(projects["project_id"])
    assert projects["project_id"].is_unique
    assert set(projects["org_number"]) <= known_firms
    for table in ("participants", "jobs", "survey"):
        frame = read(folder, table)
        assert set(frame["project_id"]) <= known_projects, table
        assert set(frame["org_number"]) <= known_firms, table


@pytest.mark.parametrize("folder", ["vestre_toten", "gjovikregionen"])
def test_the_loader_accepts_the_data(folder):
    programme = load_programme(DATA / folder)
    assert len(programme.projects) == len(read(folder, "projects"))


@pytest.mark.parametrize("folder", ["vestre_toten", "gjovikregionen"])
def test_total_cost_is_grant_plus_cofunding_exactly(folder):
    p = read(folder, "projects")
    cofunding = p[
        ["cofunding_innovasjon_norge_nok", "cofunding_other_public_nok", "cofunding_private_nok"]
    ].sum(axis=1)
    assert (p["total_cost_nok"] == p["grant_paid_nok"] + cofunding).all()
    assert (p["grant_approved_nok"] >= p["grant_paid_nok"]).all()
    assert (p["cofunding_private_nok"] > 0).all()  # every project is a firm project


# --- Vestre Toten 2010-2016 ----------------------------------------------------------


def test_vestre_toten_projects():
    p = read("vestre_toten", "projects")
    assert len(p) == 63
    assert p["year"].between(2010, 2016).all()
    assert p["grant_paid_nok"].sum() == 17_500_000
    assert (p["grant_approved_nok"] > p["grant_paid_nok"]).sum() >= 5
    counts = p["type"].value_counts()
    assert counts["nettverk"] == 2
    assert counts["kompetanse"] == 2
    smb = p[p["type"] == "kompetanse"]
    assert smb["title"].str.contains("SMB Utvikling").all()
    assert smb["year"].nunique() == 2
    sectors = p["sector"].value_counts()
    assert sectors.index[0] == "Industri" and sectors["Industri"] / len(p) >= 0.4
    assert {"IKT", "Bioøkonomi", "Reiseliv", "Handel og service"} <= set(sectors.index)
    assert (p["cofunding_innovasjon_norge_nok"] > 0).any()
    assert (p["cofunding_other_public_nok"] > 0).any()


@pytest.mark.parametrize(
    "kind, low, high",
    [("forstudie", 40_000, 160_000), ("forprosjekt", 100_000, 420_000), ("hovedprosjekt", 250_000, 1_500_000)],
)
def test_vestre_toten_grant_sizes_fit_the_phase(kind, low, high):
    p = read("vestre_toten", "projects")
    paid = p.loc[p["type"] == kind, "grant_paid_nok"]
    assert paid.between(low, high).all(), paid.describe()


def test_vestre_toten_budget():
    b = read("vestre_toten", "budget")
    assert set(b["category"]) == {"project_support", "administration", "other"}
    assert (b["amount_nok"] >= 0).all()
    by_source = b.groupby(["source", "year"])["amount_nok"].sum()
    municipality = by_source["Vestre Toten kommune"]
    county = by_source["Oppland fylkeskommune"]
    assert list(municipality.index) == list(range(2010, 2017))
    assert (municipality == 500_000).all()
    # 2.5 MNOK a year plus 0.875 MNOK of extra county funds for the two SMB Utvikling rounds.
    assert (county >= 2_500_000).all()
    assert county.sum() == 7 * 2_500_000 + 875_000
    assert b["amount_nok"].sum() == 21_875_000
    support = b.loc[b["category"] == "project_support", "amount_nok"].sum()
    assert support == 17_500_000
    assert support / b["amount_nok"].sum() == 0.8
    support_by_year = b[b["category"] == "project_support"].groupby("year")["amount_nok"].sum()
    paid_by_year = read("vestre_toten", "projects").groupby("year")["grant_paid_nok"].sum()
    pd.testing.assert_series_equal(support_by_year, paid_by_year, check_names=False)


def test_vestre_toten_firms_and_participants():
    firms = read("vestre_toten", "firms")
    projects, participants = read("vestre_toten", "projects"), read("vestre_toten", "participants")
    assert len(firms) == 59
    reached = set(projects["org_number"]) | set(participants["org_number"])
    assert len(reached) == 59
    new = firms[firms["new_firm"]]
    assert len(new) == 6
    assert new["founded_year"].between(2010, 2016).all()
    assert (firms["employees_before"] >= 100).sum() >= 3
    assert firms["employees_before"].max() <= 600
    assert firms["employees_before"].median() <= 20
    assert not firms["name"].str.contains("Nammo|Hydro|Benteler|Raufoss", case=False).any()
    # Participants are the members of networks and SMB Utvikling rounds.
    kinds = participants.merge(projects[["project_id", "type"]], on="project_id")["type"]
    assert set(kinds) == {"nettverk", "kompetanse"}
    own = participants.merge(projects[["project_id", "org_number"]], on=["project_id", "org_number"])
    assert own.empty  # an applicant is not also its own project's participant


def test_vestre_toten_jobs():
    jobs, projects = read("vestre_toten", "jobs"), read("vestre_toten", "projects")
    assert jobs["new_fte"].sum() == 131.0
    assert jobs["secured_fte"].sum() == 49.0
    assert jobs["new_fte"].sum() + jobs["secured_fte"].sum() == 180.0
    assert jobs["year"].between(2010, 2017).all()
    assert (jobs["year"] == 2017).any()  # some registered after the programme period
    raw = (DATA / "vestre_toten" / "jobs.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in raw:
        for value in line.split(",")[3:]:
            assert re.fullmatch(r"\d+\.\d", value), line
    merged = jobs.merge(projects[["project_id", "type", "year"]], on="project_id", suffixes=("", "_project"))
    assert (merged["year"] >= merged["year_project"]).all()
    assert (merged["type"] == "forstudie").sum() <= 3
    assert (jobs.groupby("org_number")["project_id"].nunique() > 1).any()
    assert not jobs.duplicated(["project_id", "org_number", "year"]).any()


def test_vestre_toten_survey():
    survey, projects = read("vestre_toten", "survey"), read("vestre_toten", "projects")
    applicants = set(projects["org_number"])
    respondents = set(survey["org_number"])
    assert respondents <= applicants
    assert 0.75 <= len(respondents) / len(applicants) <= 0.85
    allowed = {"would_not_have_happened", "later_and_smaller", "smaller", "later", "as_planned", "dont_know"}
    assert set(survey["answer"]) == allowed
    decisive = ~survey["answer"].isin(["as_planned", "dont_know"])
    assert 0.85 <= decisive.mean() <= 0.91
    assert survey["expected_jobs"].sum() == 300.0
    assert survey["expected_jobs"].isna().any()
    # Each answer is the applicant's, about its own project.
    pairs = survey.merge(projects[["project_id", "org_number"]], on=["project_id", "org_number"])
    assert len(pairs) == len(survey)


# --- Gjøvikregionen 2017-2018 ----------------------------------------------------------


def test_gjovikregionen_projects():
    p = read("gjovikregionen", "projects")
    assert len(p) == 17
    assert set(p["year"]) == {2017, 2018}
    assert (p["year"] == 2017).sum() < (p["year"] == 2018).sum()  # slow start in 2017
    assert p["grant_approved_nok"].sum() == 5_500_000
    ongoing = p[p["year"] == 2018]
    assert (ongoing["grant_paid_nok"] < ongoing["grant_approved_nok"]).sum() >= 5
    assert p["type"].isin(["forstudie", "forprosjekt"]).mean() >= 2 / 3
    sectors = p["sector"].value_counts()
    assert set(sectors.index) == {"Industri", "IKT", "Bioøkonomi"}
    assert sectors.min() >= 4


def test_gjovikregionen_budget_is_the_plan_paid_by_population():
    b = read("gjovikregionen", "budget")
    assert set(b["source"]) == set(MUNICIPALITIES)
    assert set(b["year"]) == {2017, 2018, 2019, 2020}
    assert set(b["category"]) == {"project_support", "administration"}
    per_year = b.groupby("year")["amount_nok"].sum()
    assert (per_year == 5_250_000).all()
    support = b[b["category"] == "project_support"].groupby("year")["amount_nok"].sum()
    assert (support == 0.9 * per_year).all()
    # Gjøvik: 30 319 of 70 875 inhabitants on 1.1.2017 -> 5.25 MNOK x 0.4278 = 2 245 852 NOK.
    gjovik = b[(b["year"] == 2017) & (b["source"] == "Gjøvik kommune")]["amount_nok"].sum()
    assert gjovik == 2_246_000
    from evalkit.io.ssb import table_path

    pop = pd.read_csv(table_path("population"), dtype={"municipality_code": str})
    pop = pop[pop["year"] == 2017].set_index("municipality_code")["pop"]
    paid_in = b[b["year"] == 2017].groupby("source")["amount_nok"].sum()
    codes = [MUNICIPALITIES[s] for s in paid_in.index]
    expected = 5_250_000 * pop[codes].to_numpy() / pop[codes].sum()
    assert abs(paid_in.to_numpy() - expected).max() <= 1_000


def test_gjovikregionen_has_no_survey_or_participants_yet():
    for table in ("participants", "survey"):
        frame = read("gjovikregionen", table)
        assert frame.empty
        assert list(frame.columns)  # header present
    jobs = read("gjovikregionen", "jobs")
    assert len(jobs) <= 5 and (jobs["year"] == 2018).all()
    firms = read("gjovikregionen", "firms")
    assert firms["new_firm"].sum() >= 1
    assert set(read("gjovikregionen", "projects")["org_number"]) == set(firms["org_number"])
