"""The programme status report: hand-computed small cases and the shipped Gjøvikregionen totals."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from evalkit.io.ssb import read_population_panel, table_path
import pytest

from conftest import ROOT, TINY, write_programme
from evalkit import InputError, load_programme
from evalkit.methods.descriptive.monitoring import (
    budget_forecast,
    budget_status,
    priority_spread,
    region_population,
)
from evalkit.report.i18n import category_name, phase_name, sector_name
from evalkit.report.words import LANGUAGES, Words

POPULATION = table_path("population")
GJOVIKREGIONEN = ["3407", "3442", "3443", "3447", "3448"]


@pytest.fixture
def tiny(tiny_folder):
    return load_programme(tiny_folder)


def _four_year_programme(folder, grants: dict[int, float]):
    """A frame of 2010-2013, each year 400 000 to firms and 100 000 to administration; one project per grant."""
    budget = pd.DataFrame(
        [(y, "Owner", c, a) for y in (2010, 2011, 2012, 2013)
         for c, a in (("project_support", 400_000), ("administration", 100_000))],
        columns=["year", "source", "category", "amount_nok"],
    )
    ids = [f"P{i}" for i in range(len(grants))]
    projects = pd.DataFrame({
        "project_id": ids, "org_number": "111111111", "title": "t", "type": "forstudie", "sector": "Industri",
        "year": list(grants), "grant_approved_nok": list(grants.values()), "grant_paid_nok": list(grants.values()),
        "total_cost_nok": list(grants.values()), "cofunding_innovasjon_norge_nok": 0,
        "cofunding_other_public_nok": 0, "cofunding_private_nok": 0,
    })
    tables = dict(TINY, budget=budget, projects=projects,
                  participants=TINY["participants"].iloc[0:0],
                  jobs=pd.DataFrame({"project_id": ["P0"], "org_number": ["111111111"], "year": [2011],
                                     "new_fte": [1.0], "secured_fte": [0.0]}),
                  survey=TINY["survey"].iloc[0:0])
    return load_programme(write_programme(folder, tables))


# --- budget status ------------------------------------------------------------------------------


def test_budget_status_by_hand(tiny):
    status = budget_status(tiny, 2011)
    # Frame 2010: 300 000 + 100 000; 2011: 500 000 + 100 000 (other). Firms: 300 000 + 500 000.
    assert status.frame_nok == 1_000_000
    assert status.firm_frame_nok == 800_000
    # Approved 100 000 (2010) + 500 000 + 250 000 (2011); paid 100 000 + 450 000 + 250 000.
    assert status.granted_nok == 850_000
    assert status.paid_nok == 800_000
    assert status.projects == 3
    assert status.firm_share == pytest.approx(0.85)
    assert status.firm_frame_used == pytest.approx(850 / 800)
    assert status.firm_share_planned == pytest.approx(0.8)
    table = status.by_year
    assert table.loc[2010, "granted_nok"] == 100_000 and table.loc[2011, "projects"] == 2
    assert table.loc[2011, "administration_nok"] == 0
    assert table["cumulative_granted_nok"].tolist() == [100_000, 850_000]
    figures = status.figures()
    assert figures["funding.granted_nok"] == 850_000 and figures["funding.firm_share_target"] == 0.9
    assert figures["projects.count"] == 3


def test_budget_status_counts_only_years_to_the_status(tmp_path):
    programme = _four_year_programme(tmp_path / "p", {2010: 100_000, 2011: 300_000})
    status = budget_status(programme, 2011)
    assert status.frame_nok == 1_000_000  # two years of 500 000
    assert status.frame_period_nok == 2_000_000
    assert status.firm_share == pytest.approx(0.4)
    assert status.by_year.loc[2013, "granted_nok"] == 0


@pytest.mark.parametrize(
    ("year", "kwargs", "parameter"),
    [(2012, {}, "status_year"), (2011, {"firm_share_target": 1.5}, "firm_share_target"),
     (2011, {"firm_share_target": 0}, "firm_share_target")],
)
def test_budget_status_rejects_bad_parameters(tiny, year, kwargs, parameter):
    with pytest.raises(InputError) as info:
        budget_status(tiny, year, **kwargs)
    assert info.value.location.parameter == parameter


def test_budget_status_rejects_grants_after_the_status_year(tiny):
    with pytest.raises(InputError, match="P2 was granted after the status year 2010"):
        budget_status(tiny, 2010)


# --- forecast -----------------------------------------------------------------------------------


def test_forecast_at_last_years_rate_by_hand(tmp_path):
    status = budget_status(_four_year_programme(tmp_path / "p", {2010: 100_000, 2011: 300_000}), 2011)
    forecast = budget_forecast(status)
    assert forecast.rate_nok == 300_000
    assert forecast.path["granted_cumulative_nok"].tolist() == [100_000, 400_000, 700_000, 1_000_000]
    assert forecast.path["firm_frame_cumulative_nok"].tolist() == [400_000, 800_000, 1_200_000, 1_600_000]
    assert forecast.path["kind"].tolist() == ["actual", "actual", "forecast", "forecast"]
    assert forecast.budget_use_share == pytest.approx(1_000_000 / 1_600_000)
    # 400 000 of the 2010-2011 firm frame left at 300 000 a year: used up during 2013.
    assert forecast.status_frame_used_year == 2013
    assert forecast.figures()["forecast.budget_use_share"] == 0.625
    # The assumption is said by the report's template, from the forecast's context.
    assumption = {lang: Words(lang).text("monitoring/forecast_assumption", **forecast.context()) for lang in LANGUAGES}
    assert "300 000 kr i året" in assumption["nb"].replace("\u00a0", " ") and "kvart år frå 2012 til 2013" in assumption["nn"]
    assert "as much is granted each year from 2012 to 2013 as in 2011" in assumption["en"]


def test_forecast_at_the_mean_rate_and_a_shorter_horizon(tmp_path):
    status = budget_status(_four_year_programme(tmp_path / "p", {2010: 100_000, 2011: 300_000}), 2011)
    mean = budget_forecast(status, method="mean")
    assert mean.rate_nok == 200_000
    assert mean.granted_end_nok == 800_000 and mean.budget_use_share == pytest.approx(0.5)
    assert mean.status_frame_used_year == 2013  # exactly two years of 200 000
    short = budget_forecast(status, end_year=2012)
    assert short.budget_use_share == pytest.approx(700_000 / 1_200_000)


def test_forecast_with_no_grants_in_the_status_year_never_uses_the_frame(tmp_path):
    status = budget_status(_four_year_programme(tmp_path / "p", {2010: 100_000}), 2011)
    forecast = budget_forecast(status)
    assert forecast.rate_nok == 0 and forecast.status_frame_used_year is None
    assert forecast.budget_use_share == pytest.approx(100_000 / 1_600_000)
    assert forecast.context()["status_frame_used_year"] is None


def test_forecast_when_the_frame_is_already_used(tiny):
    forecast = budget_forecast(budget_status(tiny, 2011))
    assert forecast.status_frame_used_year == 2011  # 850 000 granted of an 800 000 firm frame
    assert forecast.budget_use_share == pytest.approx(850 / 800)


@pytest.mark.parametrize(("kwargs", "parameter"), [({"method": "trend"}, "forecast_method"), ({"end_year": 2010}, "end_year")])
def test_forecast_rejects_bad_parameters(tiny, kwargs, parameter):
    with pytest.raises(InputError) as info:
        budget_forecast(budget_status(tiny, 2011), **kwargs)
    assert info.value.location.parameter == parameter


# --- priorities ---------------------------------------------------------------------------------


def test_priority_spread_by_hand(tiny):
    spread = priority_spread(tiny, priority_sectors=("Industri",))
    # Industri: P1 forstudie 100 000 and P3 nettverk 250 000; IKT: P2 hovedprosjekt 500 000.
    assert list(spread.projects.index) == ["Industri", "IKT"]
    assert list(spread.projects.columns) == ["forstudie", "hovedprosjekt", "nettverk", "total"]
    assert spread.projects.loc["Industri", "total"] == 2
    assert spread.granted.loc["IKT", "hovedprosjekt"] == 500_000
    assert spread.priority_sector_share == pytest.approx(350 / 850)
    assert spread.early_phase_share == pytest.approx(100 / 850)
    assert spread.early_phase_projects == 1
    assert spread.priority_sectors_covered == 1
    tidy = spread.tidy()
    assert len(tidy) == 3 and tidy["granted_nok"].sum() == 850_000
    assert spread.by_phase().loc["nettverk", "share_of_grants"] == pytest.approx(250 / 850)


def test_priority_sector_without_projects_is_shown_and_not_covered(tiny):
    spread = priority_spread(tiny, priority_sectors=("IKT", "Bioøkonomi"))
    assert list(spread.projects.index) == ["IKT", "Bioøkonomi", "Industri"]
    assert spread.projects.loc["Bioøkonomi", "total"] == 0
    assert spread.priority_sectors_covered == 1
    assert spread.priority_sector_share == pytest.approx(500 / 850)
    with pytest.raises(InputError):
        priority_spread(tiny, priority_sectors=())


# --- the region ---------------------------------------------------------------------------------


def test_region_population_by_hand():
    panel = pd.DataFrame({"municipality_code": ["0001", "0002", "0001"], "municipality_name": ["A", "B", "A"],
                          "year": [2017, 2017, 2018], "population": [1_000, 3_000, 1_100]})
    region = region_population(panel, ["2", "1"], 2017)  # codes are zero-padded
    assert region.total == 4_000 and region.municipalities == 2
    assert region.by_municipality.index.tolist() == ["0002", "0001"]
    assert region.by_municipality["share"].tolist() == [0.75, 0.25]
    with pytest.raises(InputError, match="0002 has no population on 1 January 2018"):
        region_population(panel, ["0001", "0002"], 2018)
    with pytest.raises(InputError):
        region_population(panel, [], 2017)


def test_gjovikregionen_has_about_70_000_inhabitants():
    region = region_population(read_population_panel(POPULATION), GJOVIKREGIONEN, 2017)
    # SSB 07459, 1 January 2017 (as in data/generators/gjovikregionen.py).
    assert region.by_municipality["population"].tolist() == [30_319, 14_887, 13_179, 5_717, 6_773]
    assert region.total == 70_875
    assert region.figures() == {"region.population": 70_875, "region.municipalities": 5, "region.population_year": 2017}


def test_population_reader_names_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_population_panel(tmp_path / "none.csv")
    (tmp_path / "bad.csv").write_text("code,year\n0301,2017\n")
    with pytest.raises(InputError) as info:
        read_population_panel(tmp_path / "bad.csv")
    assert info.value.location.column == "municipality_code"


# --- the shipped data: the published status end 2018 ------------------------------------------


@pytest.fixture(scope="module")
def gjovik():
    return load_programme(ROOT / "data" / "gjovikregionen")


def test_shipped_status_gives_the_published_totals(gjovik):
    status = budget_status(gjovik, 2018)
    # "I alt innvilget støtte til 17 prosjekter med til sammen ca. 5,5 mill. kr"
    assert status.projects == 17
    assert status.granted_nok == 5_500_000
    # "vel 5 mill. kr/år", "90 % av rammen skal ut til bedriftene"
    assert status.by_year["frame_nok"].min() > 5_000_000
    assert status.firm_share_planned == pytest.approx(0.9)
    assert status.firm_share == pytest.approx(5.5 / 10.5)
    assert status.paid_nok <= status.granted_nok


def test_shipped_priorities_and_forecast(gjovik):
    spread = priority_spread(gjovik)
    assert spread.priority_sector_share == 1.0 and spread.priority_sectors_covered == 3
    assert spread.projects["total"].sum() == 17
    forecast = budget_forecast(budget_status(gjovik, 2018))
    # 2018's pace (4.02 MNOK) for 2019 and 2020: 5.5 + 2 x 4.02 = 13.54 of 4 x 4.725 MNOK.
    assert forecast.granted_end_nok == pytest.approx(13_540_000)
    assert forecast.budget_use_share == pytest.approx(13.54 / 18.9)
    assert forecast.status_frame_used_year == 2019


def test_results_plot_and_show_themselves(gjovik, tiny):
    status = budget_status(gjovik, 2018)
    results = [status, priority_spread(gjovik), budget_forecast(status),
               region_population(read_population_panel(POPULATION), GJOVIKREGIONEN, 2017)]
    for result in results:
        fig, ax = result.plot()
        assert ax.has_data() and fig is ax.figure
        assert "<table" in result._repr_html_() and type(result).__name__ in repr(result)
        assert all(isinstance(k, str) for k in result.context())
        assert all(isinstance(v, (int, float)) or v is None for v in result.figures().values())
        assert not any(isinstance(v, float) and math.isnan(v) for v in result.figures().values())
        matplotlib.pyplot.close(fig)
    fig, ax = status.plot()
    assert len(ax.patches) == 3 * 2  # frame, granted, paid for 2017 and 2018
    matplotlib.pyplot.close(fig)


def test_names_by_language():
    assert phase_name("forstudie", "en") == "Pre-study" and phase_name("forstudie", "nb") == "Forstudie"
    assert sector_name("Bioøkonomi", "en") == "Bioeconomy" and sector_name("Bioøkonomi", "nb") == "Bioøkonomi"
    assert sector_name("Romfart", "en") == "Romfart"
    assert phase_name("hovedprosjekt", "nn") == "Hovudprosjekt" and sector_name("Annet", "nn") == "Anna"
    assert category_name("forprosjekt", "en") == "Pre-project" and category_name(2017, "en") == 2017


def test_frames_held_by_results_are_copies(gjovik):
    status = budget_status(gjovik, 2018)
    held = status.by_year
    held["granted_nok"] = 0.0
    frame = status.to_frame()
    frame.loc[2017, "projects"] = 99
    assert status.granted_nok == 5_500_000 and status.by_year.loc[2017, "projects"] == 5
