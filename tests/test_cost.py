"""Cost per job: present values, job-years, leverage, benchmarks, properties."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import _net_effect_frames as frames  # noqa: E402
from evalkit import (  # noqa: E402
    InputError,
    assumptions_for,
    attribute_jobs,
    cost_per_job,
    leverage,
    net_additional_jobs,
    net_job_years,
    present_value,
    published_benchmarks,
)
from evalkit.methods.net_effect.cost import cost_by_year, persistence_annuity  # noqa: E402

NO_REDUCTION = dict(leakage=0.0, deadweight=0.0, displacement=0.0, substitution=0.0, multiplier=1.0)


def test_present_value_by_hand():
    assert present_value(pd.Series({2010: 100.0, 2011: 104.0}), 0.04, 2010) == pytest.approx(200.0)
    assert present_value(pd.Series({2012: 121.0}), 0.10, 2010) == pytest.approx(100.0)
    assert present_value(pd.Series(dtype=float), 0.04, 2010) == 0.0


def test_persistence_annuity_by_hand():
    assert persistence_annuity(3, 0.0) == pytest.approx(3.0)
    assert persistence_annuity(3, 0.04) == pytest.approx(1 + 1 / 1.04 + 1 / 1.04**2)
    assert persistence_annuity(2.5, 0.10) == pytest.approx(1 + 1 / 1.1 + 0.5 / 1.21)
    assert np.allclose(persistence_annuity(np.array([1.0, 2.5]), np.array([0.0, 0.1])), [1.0, 1 + 1 / 1.1 + 0.5 / 1.21])


def test_net_job_years_by_hand():
    assert net_job_years(pd.Series({2012: 10.0}), 3) == pytest.approx(30.0)
    # 10 jobs from 2012 for 3 years, discounted to 2010 at 4 %
    expected = 10 * (1.04**-2 + 1.04**-3 + 1.04**-4)
    assert net_job_years(pd.Series({2012: 10.0}), 3, 0.04, 2010) == pytest.approx(expected)


def test_cost_per_job_by_hand():
    # public cost 1000 (admin 100 in 2010, project support 900 in 2011), 10 jobs, no reductions
    net = net_additional_jobs(10.0, assumptions=assumptions_for(**NO_REDUCTION))
    c = cost_per_job(frames.budget(), frames.projects(), net)
    assert c.gross_public_nok == pytest.approx(100.0)
    assert c.net_additional_public_nok == pytest.approx(100.0)
    assert c.net_job_years == pytest.approx(30.0)
    t = c.table
    assert t.loc[("public", "net job-year"), "nok_per_job"] == pytest.approx(1000 / 30)
    assert t.loc[("project_support", "gross job"), "nok_per_job"] == pytest.approx(90.0)
    # PV at 4 % to 2010; jobs without a year count from the base year
    pv_cost = 100 + 900 / 1.04
    assert t.loc[("public", "gross job"), "cost_pv_nok"] == pytest.approx(pv_cost)
    assert c.net_job_year_public_nok == pytest.approx(pv_cost / (10 * (1 + 1 / 1.04 + 1 / 1.04**2)))
    assert "100 NOK per gross job" in c.summary()


def test_cost_per_job_with_default_additionality():
    # 10 gross x 0.556875 = 5.56875 net; 1000 NOK
    c = cost_per_job(frames.budget(), frames.projects(), net_additional_jobs(10.0))
    assert c.net_additional_public_nok == pytest.approx(1000 / 5.56875)
    assert c.net_additional_public_nok >= c.gross_public_nok


def test_cost_from_attribution_uses_years_and_cofunders():
    attribution = attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD)
    net = net_additional_jobs(attribution, assumptions=assumptions_for(**NO_REDUCTION))
    c = cost_per_job(frames.budget(), frames.projects(), net, discount_rate=0.0, persistence_years=2)
    assert c.gross_public_nok == pytest.approx(1000 / 9.0)
    assert c.net_job_years == pytest.approx(18.0)
    both = cost_per_job(frames.budget(), frames.projects(), net, include_cofunders=True)
    # co-funders' public money: IN 350 + other public 200 -> 1550 NOK; all registered new FTE (16) are public-funded
    assert both.table.loc[("public", "gross job"), "cost_nok"] == pytest.approx(1550.0)
    assert both.gross_public_nok == pytest.approx(1550 / 16)
    assert both.table.loc[("project_support", "gross job"), "jobs"] == pytest.approx(9.0)
    assert cost_by_year(frames.budget(), frames.projects()).loc[2011, "cofunders_public_nok"] == pytest.approx(250.0)  # p2 200 + q1 50


def test_leverage_and_benchmarks():
    # private 200 + 0 + 200 + 0 + 100 + 0 = 500 over grants 850
    assert leverage(frames.projects()) == pytest.approx(500 / 850)
    b = published_benchmarks(gbp_nok=13.0).set_index("source")
    assert b.loc["NAO", "value"] == 60_000 and b.loc["SQW", "value"] == 14_000
    assert b.loc["SQW", "value_nok"] == pytest.approx(182_000)
    assert np.isnan(published_benchmarks().loc[0, "value_nok"])


def test_no_net_jobs_means_infinite_cost():
    net = net_additional_jobs(10.0, assumptions=assumptions_for("national"))
    c = cost_per_job(frames.budget(), frames.projects(), net)
    assert c.net_additional_public_nok == float("inf")


def test_invalid_cost_inputs_rejected():
    net = net_additional_jobs(10.0)
    with pytest.raises(InputError) as err:
        cost_per_job(frames.budget(), frames.projects(), net, discount_rate=4)
    assert err.value.location.parameter == "discount_rate"
    with pytest.raises(InputError) as err:
        cost_per_job(frames.budget(), frames.projects(), net, persistence_years=0)
    assert err.value.location.parameter == "persistence_years"
    budget = frames.budget()
    budget.loc[1, "amount_nok"] = -5.0
    budget.attrs["source_file"] = "budget.csv"
    with pytest.raises(InputError) as err:
        cost_per_job(budget, frames.projects(), net)
    assert (err.value.location.file, err.value.location.row, err.value.location.column) == ("budget.csv", 3, "amount_nok")


def test_cost_result_displays():
    c = cost_per_job(frames.budget(), frames.projects(), net_additional_jobs(10.0))
    context = c.context()
    assert context["gross_public_nok"] == pytest.approx(c.gross_public_nok) and context["unbounded"] is False
    assert set(c.tidy().columns) == {"basis", "measure", "variable", "value"}
    fig, _ = c.plot()
    plt.close(fig)


@settings(max_examples=150, deadline=None)
@given(
    gross=st.floats(0.1, 1e4), leakage=st.floats(0, 0.99), deadweight=st.floats(0, 0.99),
    displacement=st.floats(0, 0.99), substitution=st.floats(0, 0.99), multiplier=st.floats(1, 3),
)
def test_cost_per_net_job_not_below_cost_per_gross_job(gross, leakage, deadweight, displacement, substitution,
                                                      multiplier):
    a = assumptions_for(leakage=leakage, deadweight=deadweight, displacement=displacement,
                        substitution=substitution, multiplier=multiplier)
    net = net_additional_jobs(gross, assumptions=a)
    c = cost_per_job(frames.budget(), frames.projects(), net)
    if net.gross_to_net <= 1.0:
        assert c.net_additional_public_nok >= c.gross_public_nok * (1 - 1e-12)
    else:
        assert c.net_additional_public_nok < c.gross_public_nok
