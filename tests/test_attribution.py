"""Job attribution: hand-computed cases, errors and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import _net_effect_frames as frames
from evalkit import InputError, attribute_jobs


def one_project(grant=100.0, innovasjon=100.0, other=0.0, private=200.0, new=10.0, secured=2.0, year=2012):
    projects = pd.DataFrame(
        {
            "project_id": ["P"], "org_number": ["A"], "year": [2010],
            "grant_paid_nok": [grant], "total_cost_nok": [grant + innovasjon + other + private],
            "cofunding_innovasjon_norge_nok": [innovasjon], "cofunding_other_public_nok": [other],
            "cofunding_private_nok": [private],
        }
    )
    jobs = pd.DataFrame({"project_id": ["P"], "org_number": ["A"], "year": [year],
                         "new_fte": [new], "secured_fte": [secured]})
    return projects, jobs


def test_one_project_public_funding_share():
    # share = 100 / (100 + 100 + 0) = 0.5 of 10 new and 2 secured
    projects, jobs = one_project()
    a = attribute_jobs(projects, jobs, period=(2010, 2016))
    assert a.attributed_new_fte == pytest.approx(5.0)
    assert a.attributed_secured_fte == pytest.approx(1.0)
    assert a.projects.loc["P", "programme_share"] == pytest.approx(0.5)
    assert a.registered_new_fte == 10.0


def test_one_project_total_cost_share():
    # share = 100 / 400 = 0.25; all public funders together 200 / 400 = 0.5
    projects, jobs = one_project()
    a = attribute_jobs(projects, jobs, period=(2010, 2016), attribution_basis="total_cost")
    assert a.attributed_new_fte == pytest.approx(2.5)
    assert a.public_attributed_new_fte == pytest.approx(5.0)


def test_programme_alone_is_credited_everything_and_zero_grant_nothing():
    projects, jobs = one_project(innovasjon=0.0, private=0.0)
    assert attribute_jobs(projects, jobs, period=(2010, 2016)).attributed_new_fte == pytest.approx(10.0)
    projects, jobs = one_project(grant=0.0)
    assert attribute_jobs(projects, jobs, period=(2010, 2016)).attributed_new_fte == 0.0


def test_firm_with_three_cofunded_projects_is_credited_once():
    a = attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD)
    f = a.firms.loc["F"]
    # F: programme funding 600 of public funding 1000 over p1-p3 -> 0.6 x 10 registered new FTE
    assert f["n_projects"] == 3
    assert f["firm_share"] == pytest.approx(0.6)
    assert f["attributed_new_fte"] == pytest.approx(6.0)
    assert f["attributed_secured_fte"] == pytest.approx(0.6)
    # apportioned 100 : 200 : 300 across p1, p2, p3 (p2 registered nothing itself)
    assert a.projects.loc[["p1", "p2", "p3"], "attributed_new_fte"].tolist() == pytest.approx([1.0, 2.0, 3.0])
    assert (a.firms["attributed_new_fte"] <= a.firms["registered_new_fte"] + 1e-12).all()


def test_totals_in_period_after_and_per_firm():
    a = attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD)
    assert a.attributed_new_fte == pytest.approx(9.0)  # F 6 + G 2 + K 1
    assert a.attributed_new_fte_in_period == pytest.approx(6.6)  # F 3.6 + G 2 + K 1 (2016 is inside)
    assert a.attributed_new_fte_after == pytest.approx(2.4)  # F's 4 FTE in 2017 x 0.6
    assert a.firms.loc["G", "attributed_new_fte"] == pytest.approx(2.0)
    assert a.firms.loc["K", "attributed_new_fte"] == pytest.approx(1.0)
    assert a.projects.loc["h1", "attributed_new_fte"] == 0.0
    assert a.by_year.loc[2017, "attributed_new_fte"] == pytest.approx(2.4)
    assert a.by_year["attributed_new_fte"].sum() == pytest.approx(9.0)
    # the totals table answers "where did these jobs come from?"
    assert a.tidy()["attributed_new_fte"].sum() == pytest.approx(9.0)
    assert a.to_frame().loc["registered", "new_fte"] == 16.0


def test_network_participants_share_the_project_funding():
    projects, jobs = one_project(new=3.0, secured=0.0)
    jobs["org_number"] = ["B"]
    participants = pd.DataFrame({"project_id": ["P", "P"], "org_number": ["B", "C"]})
    a = attribute_jobs(projects, jobs, period=(2010, 2016), participants=participants)
    # A, B, C each carry a third of grant and basis: B's share stays 0.5
    assert a.projects.loc["P", "n_firms"] == 3
    assert a.firms.loc["B", "attributed_new_fte"] == pytest.approx(1.5)


def test_expected_jobs_reported_apart_with_realisation_rate():
    a = attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD, survey=frames.survey(),
                       realisation_rate=0.5)
    assert a.expected_jobs == pytest.approx(20.0)  # 10 + 4 + 6; empty answers skipped
    assert a.expected_jobs_answers == 3
    assert a.expected_jobs_realised == pytest.approx(10.0)
    assert a.expected_jobs_attributed == pytest.approx(11.0)  # 10 x 0.5 + 4 x 0.75 + 6 x 0.5
    assert a.attributed_new_fte == pytest.approx(9.0)  # registered jobs untouched


def test_context_fills_the_attribution_sentence_in_every_language():
    from evalkit.report.words import Words, check_language

    a = attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD)
    c = a.context()
    assert c["attributed_new_fte"] == pytest.approx(9.0) and c["registered_new_fte"] == pytest.approx(16.0)
    text = {lang: Words(lang).text("final_evaluation/attribution", **c, cofunded=0, projects=3) for lang in ("nb", "nn", "en")}
    assert "9,0" in text["nb"] and "16,0" in text["nb"] and "16,0" in text["nn"]
    assert "9.0" in text["en"]
    assert "JobAttribution" in repr(a) and "<table" in a._repr_html_()
    with pytest.raises(InputError, match="language"):
        check_language("de")


def test_unknown_basis_names_the_parameter():
    with pytest.raises(InputError) as err:
        attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD, attribution_basis="grant")
    assert err.value.location.parameter == "attribution_basis"


def test_job_row_for_unknown_project_names_file_row_column():
    jobs = frames.jobs()
    jobs.loc[3, "project_id"] = "zz"
    jobs.attrs["source_file"] = "jobs.csv"
    with pytest.raises(InputError) as err:
        attribute_jobs(frames.projects(), jobs, period=frames.PERIOD)
    assert (err.value.location.file, err.value.location.row, err.value.location.column) == ("jobs.csv", 5, "project_id")


def test_jobs_before_the_period_and_bad_period_rejected():
    jobs = frames.jobs()
    jobs.loc[0, "year"] = 2008
    with pytest.raises(InputError) as err:
        attribute_jobs(frames.projects(), jobs, period=frames.PERIOD)
    assert (err.value.location.row, err.value.location.column) == (2, "year")
    with pytest.raises(InputError, match="period"):
        attribute_jobs(frames.projects(), frames.jobs(), period=(2016, 2010))


def test_negative_amount_missing_column_and_bad_share_rejected():
    projects = frames.projects()
    projects.loc[2, "cofunding_private_nok"] = -1.0
    with pytest.raises(InputError) as err:
        attribute_jobs(projects, frames.jobs(), period=frames.PERIOD)
    assert (err.value.location.row, err.value.location.column) == (4, "cofunding_private_nok")
    with pytest.raises(InputError) as err:
        attribute_jobs(frames.projects().drop(columns="grant_paid_nok"), frames.jobs(), period=frames.PERIOD)
    assert err.value.location.column == "grant_paid_nok"
    with pytest.raises(InputError) as err:
        attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD, realisation_rate=1.5)
    assert err.value.location.parameter == "realisation_rate"


def test_grant_above_total_cost_rejected():
    projects = frames.projects()
    projects.loc[0, "total_cost_nok"] = 50.0
    with pytest.raises(InputError) as err:
        attribute_jobs(projects, frames.jobs(), period=frames.PERIOD, attribution_basis="total_cost")
    assert (err.value.location.row, err.value.location.column) == (2, "total_cost_nok")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    basis=st.sampled_from(["public_funding", "total_cost"]),
    new=st.lists(st.floats(0, 50, allow_nan=False), min_size=5, max_size=5),
)
def test_invariant_to_row_order_and_never_above_registered(seed, basis, new):
    jobs = frames.jobs().assign(new_fte=new)
    a = attribute_jobs(frames.projects(), jobs, period=frames.PERIOD, attribution_basis=basis)
    rng = np.random.default_rng(seed)
    shuffled = attribute_jobs(
        frames.projects().sample(frac=1.0, random_state=rng.integers(2**31)),
        jobs.sample(frac=1.0, random_state=rng.integers(2**31)),
        period=frames.PERIOD, attribution_basis=basis,
    )
    pd.testing.assert_frame_equal(a.firms, shuffled.firms, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(a.projects, shuffled.projects, check_exact=False, rtol=1e-12)
    assert (a.firms["attributed_new_fte"] <= a.firms["registered_new_fte"] + 1e-9).all()
    assert a.attributed_new_fte_in_period + a.attributed_new_fte_after == pytest.approx(a.attributed_new_fte)
    assert a.attributed_new_fte <= a.public_attributed_new_fte + 1e-9
