"""Uncertainty: Monte-Carlo, survey bootstrap, tornado and the results.json figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import _net_effect_frames as frames  # noqa: E402
from evalkit import (  # noqa: E402
    NET_EFFECT_FIGURES,
    InputError,
    assumptions_for,
    attribute_jobs,
    cost_per_job,
    net_additional_jobs,
    estimate_net_effect,
    net_effect_figures,
    sensitivity,
    simulate_net_effect,
    survey_deadweight,
)
from evalkit.methods.net_effect.uncertainty import two_piece_uniform  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def collapsed(**values):
    """Assumptions whose ranges are collapsed onto their point values, except those in ``values``."""
    a = assumptions_for(**values)
    ranges = {f"{name}_range": (getattr(a, name), getattr(a, name)) for name in a.ranges if name not in values}
    return assumptions_for(**values, **ranges)


def chain(gross=100.0, assumptions=None, deadweight=None):
    net = net_additional_jobs(gross, assumptions=assumptions, deadweight=deadweight)
    return net, cost_per_job(frames.budget(), frames.projects(), net)


def survey_chain():
    attribution = attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD)
    s = survey_deadweight(frames.survey(), attribution)
    net = net_additional_jobs(attribution, deadweight=s)
    return net, cost_per_job(frames.budget(), frames.projects(), net)


def test_two_piece_uniform_has_the_central_value_as_median():
    u = np.array([0.0, 0.25, 0.5, 0.75, 0.999999])
    assert two_piece_uniform(u, 0.1, 0.0, 0.75).tolist() == pytest.approx([0.0, 0.05, 0.1, 0.425, 0.75], abs=1e-5)
    draws = two_piece_uniform(np.random.default_rng(1).random(20_000), 0.1, 0.0, 0.75)
    assert np.median(draws) == pytest.approx(0.1, abs=0.01)
    assert draws.min() >= 0.0 and draws.max() <= 0.75


def test_collapsed_ranges_give_the_point_estimate():
    net, cost = chain(assumptions=collapsed())
    mc = simulate_net_effect(net, cost, draws=500, seed=1)
    lo, hi = mc.interval("net_additional_jobs")
    assert lo == pytest.approx(55.6875) and hi == pytest.approx(55.6875)
    assert mc.interval("cost_per_net_job") == pytest.approx((1000 / 55.6875, 1000 / 55.6875))
    assert mc.intervals.loc["cost_per_net_job_year", "point"] == pytest.approx(cost.net_job_year_public_nok)


def test_one_uncertain_parameter_by_hand():
    # only leakage varies over 0-0.75 around 0.1: net = 100 (1 - L) 0.75 0.75 1.1 is decreasing in L,
    # so its 5 % / 95 % quantiles come from the 95 % / 5 % quantiles of L under the two-piece uniform
    net, cost = chain(assumptions=collapsed(leakage=0.1))
    mc = simulate_net_effect(net, cost, draws=200_000, seed=3)
    l95 = 0.1 + (0.75 - 0.1) * (2 * 0.95 - 1)  # u = 0.95 lies in the upper half: 0.685
    l05 = 0.1 * (2 * 0.05)  # u = 0.05 lies in the lower half: 0.01
    lo, hi = mc.interval("net_additional_jobs")
    assert lo == pytest.approx(100 * (1 - l95) * 0.61875, rel=0.01)
    assert hi == pytest.approx(100 * (1 - l05) * 0.61875, rel=0.01)


def test_seeded_and_reproducible():
    net, cost = chain()
    a = simulate_net_effect(net, cost, draws=2_000, seed=7)
    b = simulate_net_effect(net, cost, draws=2_000, seed=7)
    c = simulate_net_effect(net, cost, draws=2_000, seed=8)
    assert a.intervals.equals(b.intervals)
    assert not a.intervals.equals(c.intervals)


def test_survey_deadweight_bootstrapped_over_firms():
    # valid answers by firm: F weights 1, 2, 3 with additionality 1, .5, 0 (sum w = 6, sum wa = 2);
    # G weight 2, additionality .5 (sum w = 2, sum wa = 1). Resampling two firms gives
    # FF -> 1 - 4/12, GG -> 1 - 2/4, FG -> 1 - 3/8 with probabilities 1/4, 1/4, 1/2.
    net, cost = survey_chain()
    mc = simulate_net_effect(net, cost, draws=40_000, seed=11)
    assert mc.deadweight_bootstrapped
    dw = mc.draws["deadweight"].round(12)
    freq = dw.value_counts(normalize=True)
    assert set(freq.index) == {round(2 / 3, 12), 0.5, 0.625}
    assert freq[0.625] == pytest.approx(0.5, abs=0.01)
    assert freq[0.5] == pytest.approx(0.25, abs=0.01)
    off = simulate_net_effect(net, cost, draws=2_000, seed=11, bootstrap_survey=False)
    assert not off.deadweight_bootstrapped and off.draws["deadweight"].nunique() > 3


@settings(max_examples=25, deadline=None)
@given(
    gross=st.floats(1.0, 1e4),
    scale=st.sampled_from(["local", "regional", "national"]),
    seed=st.integers(0, 2**32 - 1),
    with_survey=st.booleans(),
)
def test_intervals_contain_the_point_estimate(gross, scale, seed, with_survey):
    if with_survey:
        net, cost = survey_chain()
    else:
        net, cost = chain(gross, assumptions=assumptions_for(scale))
    mc = simulate_net_effect(net, cost, draws=2_000, seed=seed)
    for outcome in mc.intervals.index:
        point, p05, p95 = mc.intervals.loc[outcome, ["point", "p05", "p95"]]
        assert p05 <= point * (1 + 1e-9) and point <= p95 * (1 + 1e-9) or (np.isinf(point) and np.isinf(p95))


def test_tornado_by_hand():
    net, cost = chain(assumptions=collapsed(leakage=0.1))
    t = sensitivity(net, cost)
    assert t.table.index[0] == "leakage"
    base = 100 * 0.75 * 0.75 * 1.1
    assert t.table.loc["leakage", "outcome_low"] == pytest.approx(1000 / base)
    assert t.table.loc["leakage", "outcome_high"] == pytest.approx(1000 / (base * 0.25))
    assert (t.table.drop(index="leakage")["swing"] == 0).all()
    assert t.point_outcome == pytest.approx(1000 / 55.6875)


def test_tornado_ranks_default_ranges_and_persistence_matters_per_job_year():
    net, cost = chain()
    t = sensitivity(net, cost)
    assert t.table.loc["displacement", "outcome_high"] == float("inf")  # 100 % displacement: no net jobs
    assert t.table.index[0] == "displacement"
    assert t.table.loc["persistence_years", "swing"] == 0.0  # not in cost per net job ...
    per_year = sensitivity(net, cost, outcome="cost_per_net_job_year")
    assert per_year.table.loc["persistence_years", "swing"] > 0  # ... but in cost per job-year
    # 1 vs 5 years at 4 %: cost per job-year scales with 1 / annuity
    ratio = per_year.table.loc["persistence_years", "outcome_low"] / per_year.table.loc["persistence_years", "outcome_high"]
    assert ratio == pytest.approx(sum(1.04**-k for k in range(5)))
    assert t.context()["top"] == "displacement" and t.context()["outcome_high"] is None  # unbounded at 100 %
    fig, _ = t.plot()
    plt.close(fig)


def test_tornado_uses_bootstrap_interval_for_survey_deadweight():
    net, cost = survey_chain()
    mc = simulate_net_effect(net, cost, draws=5_000, seed=2)
    t = sensitivity(net, cost, monte_carlo=mc)
    assert (t.table.loc["deadweight", "low"], t.table.loc["deadweight", "high"]) == pytest.approx((0.5, 2 / 3))


def test_invalid_simulation_parameters():
    net, cost = chain()
    with pytest.raises(InputError) as err:
        simulate_net_effect(net, cost, draws=10)
    assert err.value.location.parameter == "mc_draws"
    with pytest.raises(InputError) as err:
        simulate_net_effect(net, cost, seed=-1)
    assert err.value.location.parameter == "seed"
    with pytest.raises(InputError) as err:
        sensitivity(net, cost, outcome="jobs")
    assert err.value.location.parameter == "outcome"


def test_monte_carlo_displays():
    net, cost = chain()
    mc = simulate_net_effect(net, cost, draws=1_000, seed=1)
    c = mc.context()
    assert (c["net_low"], c["net_high"]) == mc.interval("net_additional_jobs") and c["n_draws"] == 1_000
    assert list(mc.tidy().columns) == ["outcome", "point", "p05", "p50", "p95"]
    for outcome in ("net_additional_jobs", "cost_per_net_job"):
        fig, _ = mc.plot_outcome(outcome)
        plt.close(fig)


# -- the whole chain and its results.json figures ----------------------------------------------

def test_net_effect_figures_on_hand_made_frames():
    figures = net_effect_figures(
        projects=frames.projects(), jobs=frames.jobs(), budget=frames.budget(), survey=frames.survey(),
        period=frames.PERIOD, mc_draws=1_000, seed=5,
    )
    assert tuple(figures) == NET_EFFECT_FIGURES
    assert figures["jobs.attributed"] == pytest.approx(9.0)
    assert figures["additionality.deadweight"] == pytest.approx(0.625)
    assert figures["jobs.net_additional"] == pytest.approx(9.0 * 0.9 * 0.375 * 0.75 * 1.1)
    assert figures["cost_per_job.gross_public_nok"] == pytest.approx(1000 / 9.0)
    assert figures["leverage.private_per_programme_nok"] == pytest.approx(500 / 850)
    assert (figures["survey.responses"], figures["survey.response_rate"]) == (3.0, 0.75)
    assert figures["jobs.net_additional.p05"] <= figures["jobs.net_additional"] <= figures["jobs.net_additional.p95"]


def test_analyst_deadweight_overrides_the_survey():
    figures = net_effect_figures(
        projects=frames.projects(), jobs=frames.jobs(), budget=frames.budget(), survey=frames.survey(),
        period=frames.PERIOD, mc_draws=500, deadweight=0.4,
    )
    assert figures["additionality.deadweight"] == 0.4
    assert figures["survey.responses"] == 3.0  # the survey is still reported


def test_net_effect_requires_the_tables():
    with pytest.raises(InputError) as err:
        estimate_net_effect(projects=frames.projects(), jobs=frames.jobs(), period=frames.PERIOD)
    assert err.value.location.parameter == "budget"


@pytest.mark.skipif(not (ROOT / "data" / "vestre_toten").is_dir(), reason="shipped data not present")
def test_shipped_vestre_toten_is_invariant_to_row_order():
    import evalkit as ek

    programme = ek.load_programme(ROOT / "data" / "vestre_toten")
    result = estimate_net_effect(programme, period=(2010, 2016), mc_draws=5_000, seed=1)
    figures = result.figures()
    assert result.attribution.registered_new_fte + result.attribution.registered_secured_fte == pytest.approx(180, abs=1)
    assert result.attribution.expected_jobs == pytest.approx(300, abs=1)
    assert figures["jobs.attributed"] <= result.attribution.registered_new_fte
    assert figures["jobs.net_additional.p05"] <= figures["jobs.net_additional"] <= figures["jobs.net_additional.p95"]
    shuffled = {
        name: getattr(programme, name).sample(frac=1.0, random_state=4)
        for name in ("projects", "jobs", "budget", "survey", "participants")
    }
    again = estimate_net_effect(period=(2010, 2016), mc_draws=5_000, seed=1, **shuffled).figures()
    assert again == pytest.approx(figures, rel=1e-9)


def test_national_scale_claims_no_net_jobs_and_says_so():
    result = estimate_net_effect(projects=frames.projects(), jobs=frames.jobs(), budget=frames.budget(),
                        period=frames.PERIOD, spatial_scale="national", mc_draws=1_000, seed=3)
    figures = result.figures()
    assert figures["jobs.net_additional"] == 0.0 and figures["jobs.net_additional.p05"] == 0.0
    assert figures["cost_per_job.net_additional_public_nok"] == float("inf")
    assert figures["survey.responses"] == 0.0 and np.isnan(figures["survey.response_rate"])
    assert result.tornado.outcome == "net_additional_jobs"  # cost per net job is unbounded at the point
    from evalkit.report.words import Words

    en = Words("en").text("final_evaluation/net_effect", **result.net.context(), net_shown=0, net_low=0, net_high=0)
    assert "no net additional jobs remain in the country" in en
    assert result.cost.context()["unbounded"] and result.cost.context()["net_additional_public_nok"] is None
    assert result.monte_carlo.context()["cost_unbounded"]
    for fig in (result.tornado.plot()[0], result.cost.plot()[0], result.net.plot()[0]):
        plt.close(fig)
