"""The counterfactual analysis in the library and its chapters: same figures as before, words from the results."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from conftest import ROOT
from evalkit.io import ssb
from evalkit.methods.counterfactual.analysis import (
    P_VALUE_LEVELS,
    counterfactual_analysis,
    default_pre_period,
    p_value_level,
)
from evalkit.report.chapters import counterfactual as chapters
from evalkit.report.document import Figure, Heading, Paragraph, Record, Table
from evalkit.report.words import LANGUAGES, Words

GOLDEN = json.loads((ROOT / "tests" / "golden" / "vestre-toten-2010-2016.json").read_text(encoding="utf-8"))
FIGURE_KEYS = ("counterfactual.att", "counterfactual.p_value", "counterfactual.pre_rmspe", "did.att", "did.se")
#: The seven donors the shipped case weights (Grue, Hammerfest, Kongsvinger, Rælingen, Ullensaker, Røros, Hamar)
#: and ten others: the same synthetic control in a fifth of the time (17 placebo refits instead of 147).
SMALL_POOL = ["3417", "5603", "3401", "3224", "3209", "5025", "3403",
              "1101", "1121", "1130", "1506", "1520", "1535", "1566", "1806", "1833", "1865"]


@pytest.fixture(scope="module")
def panel():
    return ssb.read_population_panel(ssb.table_path("population"))


@pytest.fixture(scope="module")
def hierarchy():
    return ssb.read_municipality_hierarchy(ssb.table_path("hierarchy"))


@pytest.fixture(scope="module")
def shipped(panel, hierarchy):
    # The shipped evaluation's call: Vestre Toten, programme from 2010, default donors and pre-period.
    return counterfactual_analysis(panel, hierarchy, treated="3443", period_start=2010, placebo_jobs=2)


@pytest.fixture(scope="module")
def analysis(panel, hierarchy):
    return counterfactual_analysis(panel, hierarchy, treated="3443", period_start=2010, donors=SMALL_POOL)


def _net_effect(net=51.0, interval=(4.0, 81.0)):
    return SimpleNamespace(net=SimpleNamespace(net=net), monte_carlo=SimpleNamespace(interval=lambda key: interval))


@pytest.mark.slow  # 147 placebo refits: 5-15 s depending on the machine's load
def test_the_shipped_case_gives_the_frozen_figures(shipped):
    figures = shipped.figures()
    assert set(figures) == set(FIGURE_KEYS)
    for key in FIGURE_KEYS:
        assert figures[key] == GOLDEN[key], key
    assert shipped.pre_period == (2005, 2009)  # the panel's years before 2010
    assert len(shipped.donors) == 147 and not shipped.donors_given
    # All 147 donors: the event study rejects parallel pre-trends, so the DiD is not credible and the
    # grade drops from 3 to 2 although the synthetic control fits well.
    assert shipped.pre_fit_good and shipped.pretrend_rejected and not shipped.did_credible
    assert shipped.grade.level == 2
    assert shipped.compare(51.0, (4.0, 81.0)).verdict == "too_small"
    text = Words("en").text("final_evaluation/counterfactual_did", **{**shipped.context(), "name": "Vestre Toten"})
    assert "not credible" in text


def test_the_same_synthetic_control_from_its_own_donors(analysis):
    # The weighted donors alone give the shipped synthetic control (the placebo p-value has other units).
    assert analysis.sc.att == pytest.approx(GOLDEN["counterfactual.att"], abs=1e-9)
    assert analysis.sc.pre_rmspe == pytest.approx(GOLDEN["counterfactual.pre_rmspe"], abs=1e-9)
    assert analysis.donors_given and analysis.placebo.gaps.shape[1] == len(SMALL_POOL) + 1


def test_names_not_codes_in_the_weights_and_facts_from_the_data(analysis):
    weights = analysis.weights_table()
    assert list(weights.columns) == ["municipality", "weight"]
    assert weights["municipality"].iloc[0] == "Grue"
    assert not weights["municipality"].str.fullmatch(r"\d{4}").any()
    assert analysis.treated_name == "Vestre Toten"
    assert analysis.population == 12_714  # 1 January 2009, SSB table 07459
    assert analysis.region_name == "Gjøvik"


def test_pre_period_follows_the_programme_start(panel, hierarchy, analysis):
    assert default_pre_period(panel, 2012) == (2005, 2011)
    later = counterfactual_analysis(panel, hierarchy, treated="3443", period_start=2012, donors=SMALL_POOL)
    assert later.pre_period == (2005, 2011) and later.base_year == 2011
    assert later.sc.treatment_start == 2012
    assert later.sc.fit_periods == tuple(range(2005, 2012))
    assert later.events.coefficients.index.min() == 2005 - 2012
    fig, ax = later.plot_event_study()
    assert "0 = 2012" in ax.get_xlabel()
    words = Words("en")
    method = chapters.counterfactual_method(later, words)
    text = " ".join(n.markdown for n in method if isinstance(n, Paragraph))
    assert "Fit period 2005–2011, effect from 2012" in text and "index with 2011 = 100" in text
    assert "given in the evaluation" in text
    table = next(n for n in method if isinstance(n, Table))
    assert ("Fit period", "2005–2011", "Years before the programme's start") in table.cells


def test_a_fit_period_after_the_start_is_refused(panel, hierarchy):
    from evalkit.errors import InputError

    with pytest.raises(InputError, match="before the programme's start"):
        counterfactual_analysis(panel, hierarchy, treated="3443", period_start=2010, pre_period=[2005, 2010])
    with pytest.raises(InputError, match="population"):
        counterfactual_analysis(panel, hierarchy, treated="3443", period_start=2010, outcome="employment")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_chapters_render_in_every_language(analysis, language):
    words = Words(language)
    chapter = chapters.counterfactual(analysis, words, municipality_name="Vestre Toten")
    assert isinstance(chapter.nodes[0], Heading) and chapter.nodes[0].chapter == "counterfactual"
    assert chapter.figures() == analysis.figures()
    assert [n.name for n in chapter.of_kind(Figure)] == ["synthetic_control", "placebo", "event_study"]
    assert [n.name for n in chapter.of_kind(Table)] == ["donor_weights", "did"]
    text = " ".join(n.markdown for n in chapter.of_kind(Paragraph))
    # Words.text joins a paragraph's lines on any whitespace, the number's no-break space included.
    assert "Vestre Toten" in text and words.number(12_714) in text and "Grue" in text
    assert "{" not in text and "}" not in text
    tri = chapters.triangulation(analysis, _net_effect(), words, municipality_name="Vestre Toten")
    assert tri.nodes[0].chapter == "triangulation"
    tri_text = tri.of_kind(Paragraph)[0].markdown
    assert words.number(51) in tri_text and words.number(12_714) in tri_text
    method = chapters.counterfactual_method(analysis, words)
    assert method.nodes[0].level == 3
    assert not any(isinstance(n, Record) for n in tri.nodes + method.nodes)


def test_the_verdict_follows_the_sizes(analysis):
    low, high = analysis.compare(51.0).band_low_inhabitants, analysis.compare(51.0).band_high_inhabitants
    assert low < 0 < 51 < high  # 51 jobs lie inside the placebos' noise band: no contradiction, no proof
    assert analysis.compare(51.0, (4.0, 81.0)).verdict == "too_small"
    # 3 000 jobs should have shown as a gap; the population gap is negative and not unusual.
    assert analysis.compare(3000.0, (2500.0, 3500.0)).verdict == "missing"
    assert analysis.compare(3000.0).contradict


def test_a_credible_did_is_said_to_be_credible(analysis):
    # With these 17 donors parallel pre-trends are not rejected: the DiD counts, the grade stays 3.
    assert analysis.events.pretrend_p > 0.05 and analysis.did_credible
    assert analysis.grade.level == 3
    text = Words("en").text("final_evaluation/counterfactual_did", **{**analysis.context(), "name": "Vestre Toten"})
    assert "so the estimate is credible" in text


def _ctx(analysis, **changes):
    return {**analysis.context(), "name": "Vestre Toten", **changes}


@pytest.mark.parametrize("language", LANGUAGES)
def test_sentences_change_with_the_results(analysis, language):
    words = Words(language)
    text = lambda name, **c: words.text(f"final_evaluation/{name}", **_ctx(analysis, **c))  # noqa: E731
    assert p_value_level(0.01) == "clear" and p_value_level(0.08) == "weak" and p_value_level(0.7) == "none"
    significant = text("counterfactual_result", p_value=0.01, p_level=p_value_level(0.01))
    noise = text("counterfactual_result", p_value=0.7, p_level=p_value_level(0.7))
    weak = text("counterfactual_result", p_value=0.08, p_level=p_value_level(0.08))
    assert len({significant, noise, weak}) == 3
    assert words.number(0.01, 2) in significant and words.number(0.7, 2) in noise
    assert words.number(P_VALUE_LEVELS[0], 2) in weak
    above = text("counterfactual_result", att=2.3, att_abs=2.3, above=True)
    below = text("counterfactual_result", att=-2.3, att_abs=2.3, above=False)
    assert above != below
    poor_fit = text("counterfactual_result", pre_rmspe=0.9, pre_fit_good=False)
    assert poor_fit != below and words.number(0.9, 2) in poor_fit
    credible = text("counterfactual_did", pretrend_rejected=False, pretrend_p=0.4, did_p_level="none", did_p=0.3)
    rejected = text("counterfactual_did")
    assert credible != rejected and words.number(0.4, 3) in credible

    tri = {}
    for verdict in ("too_small", "weak_agree", "missing", "agree", "same_direction", "opposite"):
        ctx = {**analysis.compare(51.0, (4.0, 81.0)).context(), "verdict": verdict}
        tri[verdict] = words.text("final_evaluation/triangulation_verdict", **{**_ctx(analysis), **ctx})
    assert len(set(tri.values())) == 6
    base = {**_ctx(analysis), **analysis.compare(51.0).context()}
    assert words.text("final_evaluation/triangulation_verdict", **{**base, "did_credible": True, "did_p_level": "clear"}) \
        != words.text("final_evaluation/triangulation_verdict", **base)
