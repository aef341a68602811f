"""Portfolio, gross jobs, target attainment and cost per registered job on hand-computed cases."""

from __future__ import annotations

import math

import pytest

import evalkit as ek


@pytest.fixture
def tiny(tiny_folder):
    return ek.load_programme(tiny_folder)


def test_portfolio_hand_computed(tiny):
    p = ek.portfolio(tiny)
    assert (p.projects, p.firms_reached, p.new_firms, p.networks, p.competence_rounds) == (3, 3, 1, 1, 0)
    assert p.project_support_nok == 800000  # grants paid 100k + 450k + 250k
    assert p.programme_total_nok == 1000000
    assert p.project_support_share == pytest.approx(0.8)
    assert p.administration_share == pytest.approx(0.1)
    assert p.funds_by_year.loc[2011, "total"] == 600000
    assert p.funds_by_source.to_dict() == {"County": 900000, "Municipality": 100000}
    assert p.projects_by_sector.loc["Industri", "projects"] == 2
    assert p.projects_by_sector.loc["Industri", "share_of_grants"] == pytest.approx(350000 / 800000)


def test_gross_jobs_new_and_secured_kept_apart(tiny):
    g = ek.gross_jobs(tiny)
    assert (g.new, g.secured, g.total) == (6.5, 2.5, 9.0)
    assert g.by_year["cumulative"].tolist() == [5.5, 9.0]
    assert g.by_project.loc["P2", "total"] == 5.5
    assert g.figures()["jobs.registered.secured"] == 2.5


def test_target_attainment_and_expected(tiny):
    g = ek.gross_jobs(tiny)
    t = ek.target_attainment(g, 12, ek.expected_jobs(tiny))
    assert t.attainment == pytest.approx(0.75)
    assert t.expected == 10.0
    fig, ax = t.plot()
    assert len(ax.patches) == 2 and len(ax.lines) == 2
    with pytest.raises(ek.InputError, match="target_jobs"):
        ek.target_attainment(g, 0)


def test_cost_per_registered_job(tiny):
    c = ek.cost_per_registered_job(ek.portfolio(tiny), ek.gross_jobs(tiny))
    assert c.project_support_nok == pytest.approx(800000 / 9)
    assert c.programme_total_nok == pytest.approx(1000000 / 9)


def test_cost_per_job_without_jobs_is_undefined(tiny, tmp_path):
    from conftest import TINY, write_programme

    tables = dict(TINY, jobs=TINY["jobs"].iloc[0:0])
    empty = ek.load_programme(write_programme(tmp_path / "nojobs", tables))
    c = ek.cost_per_registered_job(ek.portfolio(empty), ek.gross_jobs(empty))
    assert math.isnan(c.project_support_nok)


def test_results_show_themselves_as_tables(tiny):
    html = ek.portfolio(tiny)._repr_html_()
    assert "<table" in html and "firms reached" in html
