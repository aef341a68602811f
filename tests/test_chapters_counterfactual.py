"""The counterfactual analysis in the library and its chapters: same figures as before, words from the results."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from conftest import ROOT
from evalkit.io import ssb
from evalkit.io.register import programme_register
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
FIGURE_KEYS = ("counterfactual.att", "counterfactual.p_value", "counterfactual.pre_rmspe", "did.att", "did.se",
               "counterfactual.ci.low", "counterfactual.ci.high", "counterfactual.p_value.conformal",
               "counterfactual.placebo.perfect_prefits", "counterfactual.donors", "counterfactual.mde",
               "sdid.att", "sdid.se", "did.pretrend_p")
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
    return counterfactual_analysis(panel, hierarchy, treated="3443", period_start=2010, placebo_jobs=2,
                                   register=programme_register(), sdid_seed=20100101)


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
        assert figures[key] == pytest.approx(GOLDEN[key], rel=1e-9, abs=1e-12), key
    assert shipped.pre_period == (2005, 2009)  # the panel's years before 2010
    assert len(shipped.donors) == 100 and not shipped.donors_given
    # All 100 donors: the event study rejects parallel pre-trends, so the DiD is not credible and the
    # grade drops from 3 to 2 although the synthetic control fits well.
    assert shipped.pre_fit_good and shipped.pretrend_rejected and not shipped.did_credible
    assert shipped.grade.level == 2
    assert shipped.compare(51.0, (4.0, 81.0)).verdict == "too_small"
    text = Words("en").text("final_evaluation/counterfactual_did", **{**shipped.context(), "name": "Vestre Toten"})
    assert "not credible" in text


def test_the_same_synthetic_control_from_its_own_donors(analysis):
    # The weighted donors alone give the synthetic control of the former 147-donor pool (size and region
    # rules only), whose figures were frozen before the structure rules came in.
    assert analysis.sc.att == pytest.approx(-2.3343968235360744, abs=1e-9)
    assert analysis.sc.pre_rmspe == pytest.approx(0.11337754029480783, abs=1e-9)
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
    assert [n.name for n in chapter.of_kind(Table)] == ["donor_weights", "estimators", "counterfactual_robustness"]
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


# --------------------------------------------------------------------------- the careful evaluator's page

from evalkit.methods.counterfactual import analysis as cf  # noqa: E402
from evalkit.methods.counterfactual.synthetic_control import PlaceboResult  # noqa: E402
from evalkit.report.document import Note  # noqa: E402


def _placebo(pre, post, treated="T"):
    """A PlaceboResult from per-unit constant pre- and post-period gaps (2 pre years, 2 post years)."""
    import pandas as pd

    gaps = pd.DataFrame({u: [pre[u], -pre[u], post[u], post[u]] for u in pre}, index=[2000, 2001, 2002, 2003])
    return PlaceboResult(treated=treated, outcome="y", treatment_start=2002, fit_periods=(2000, 2001), gaps=gaps)


def test_panel_quality_rules_leave_out_approximate_and_jumping_series(panel, hierarchy):
    data = panel[panel["year"] >= 2005]
    donors, removed = cf.donor_pool(data, hierarchy, treated="3443", base_year=2009, last_year=2026,
                                    population_range=(0, 1e9), metropolitan_regions=(), register=None)
    approximate = set(panel.loc[panel["approximate"], "municipality_code"])
    assert approximate and not approximate & set(donors)
    # Etnedal's series jumps by 27 % in a year (a border change): above MAX_YEARLY_JUMP, left out.
    assert cf.MAX_YEARLY_JUMP == 0.15
    row = removed.set_index("municipality_code").loc["3450"]
    assert row["rule"] == "jump" and row["max_jump"] > 0.25
    kept, _ = cf.donor_pool(data, hierarchy, treated="3443", base_year=2009, last_year=2026,
                            population_range=(0, 1e9), metropolitan_regions=(), register=None,
                            exclude_approximate=False, max_yearly_jump=None)
    assert "3450" in kept and approximate <= set(kept) | {"3443"}


@pytest.mark.slow  # the shipped case: 100 placebo refits
def test_structure_rules_remove_metropolitan_and_programme_municipalities(shipped, hierarchy):
    counts = shipped.rule_counts()
    assert list(counts) == list(cf.DONOR_RULES)
    assert counts["metropolitan"] > 0 and counts["programme"] > 0 and counts["own_region"] == 4
    # Every municipality but the treated one is either a donor or removed by exactly one rule.
    assert len(shipped.donors) + sum(counts.values()) == 356
    metro = set(hierarchy.loc[hierarchy["ba_region_name"].isin(cf.METROPOLITAN_BA_REGIONS), "municipality_code"])
    assert len(metro) == 45 and not metro & set(shipped.donors)
    assert set(cf.METROPOLITAN_BA_REGIONS) <= set(hierarchy["ba_region_name"])
    # Åmot (programme 2001-2007) and Meråker (2006-2013) overlap the fit or effect years.
    assert not {"3422", "5034"} & set(shipped.donors)
    assert cf._programme_municipalities(programme_register(), 2005, 2026, treated="3443") >= {"3422", "5034"}
    assert "5605" not in cf._programme_municipalities(
        programme_register().loc[["sor-varanger-1991"]], 2005, 2026, treated="3443")
    method = chapters.counterfactual_method(shipped, Words("en"))
    rules = next(n for n in method.of_kind(Table) if n.name == "counterfactual_donor_rules")
    assert any("Outside the metropolitan" in str(c[0]) and str(counts["metropolitan"]) in c for c in rules.cells)
    quality = next(n for n in method.of_kind(Table) if n.name == "counterfactual_panel_quality")
    listed = {c[0] for c in quality.cells}
    assert {"Ålesund", "Haram", "Etnedal", "Narvik"} <= listed


def test_an_approximate_treated_unit_gets_a_warning(panel, hierarchy):
    # Narvik (1806) is rebuilt from a split municipality: the page warns before the first sentence.
    narvik = counterfactual_analysis(panel, hierarchy, treated="1806", period_start=2015, donors=SMALL_POOL[:12])
    assert narvik.treated_approximate
    chapter = chapters.counterfactual(narvik, Words("nn"), municipality_name="Narvik")
    notes = chapter.of_kind(Note)
    assert len(notes) == 1 and notes[0].tone == "warning" and "Narvik" in notes[0].markdown
    assert not chapters.counterfactual(narvik.__class__(**{**narvik.__dict__, "treated_approximate": False}),
                                       Words("nn"), municipality_name="Narvik").of_kind(Note)


def test_perfect_prefits_and_the_trimmed_p_value_from_the_placebo_table():
    placebo = _placebo(pre={"T": 1.0, "A": 0.0, "B": 1.0, "C": 3.0, "D": 0.5},
                       post={"T": 4.0, "A": 0.1, "B": 5.0, "C": 30.0, "D": 0.2})
    assert cf.perfect_prefits(placebo) == 1  # A fits exactly: its ratio is infinite
    # Ratios: T 4, A inf, B 5, C 10, D 0.4; classic rank of T is 4 of 5.
    assert placebo.p_value == pytest.approx(4 / 5)
    # C's pre-MSPE is 9 > 5 x 1: left out; T ranks 3 of 4 (A, B above it).
    p, kept = cf.trimmed_p_value(placebo)
    assert (p, kept) == (pytest.approx(3 / 4), 4)


def test_minimum_detectable_effect_is_the_placebo_quantile():
    import numpy as np

    post = {"T": 0.0, **{f"U{i}": float(i) * (-1) ** i for i in range(1, 11)}}
    placebo = _placebo(pre={u: 1.0 for u in post}, post=post)
    assert cf.minimum_detectable_effect(placebo, 0.9) == pytest.approx(np.quantile(np.arange(1, 11), 0.9))
    assert cf.minimum_detectable_effect(placebo, 0.5) == pytest.approx(5.5)


@pytest.mark.slow  # the shipped case: 100 placebo refits
def test_headline_interval_is_conformal_and_in_the_figures(shipped):
    from evalkit.methods.counterfactual.conformal import conformal_inference

    wide = shipped.data.pivot(index="year", columns="municipality_code", values="pop_index")
    again = conformal_inference(wide["3443"].to_numpy(), wide[list(shipped.donors)].to_numpy(), 5, alpha=0.1)
    figures = shipped.figures()
    assert figures["counterfactual.ci.low"] == again.ci_low and figures["counterfactual.ci.high"] == again.ci_high
    assert figures["counterfactual.ci.low"] < shipped.sc.att < figures["counterfactual.ci.high"]
    assert figures["counterfactual.placebo.perfect_prefits"] == int((shipped.placebo.to_frame()
                                                                     .query("not treated")["pre_rmspe"] < 1e-6).sum())
    assert figures["counterfactual.donors"] == len(shipped.donors)
    assert figures["counterfactual.mde"] == shipped.mde > 0
    words = Words("en")
    text = " ".join(n.markdown for n in chapters.counterfactual(shipped, words, municipality_name="Vestre Toten")
                    .of_kind(Paragraph))
    assert f"runs from {words.number(again.ci_low, 1)} to {words.number(again.ci_high, 1)}" in text
    assert f"{figures['counterfactual.placebo.perfect_prefits']} of the placebo municipalities" in text


@pytest.mark.slow  # the shipped case: 100 placebo refits
def test_three_estimators_side_by_side_with_their_credibility(shipped):
    frame = shipped.estimators()
    assert list(frame["estimator"]) == ["synthetic_control", "sdid", "did"]
    assert frame.loc[2, "credible"] == shipped.did_credible is False  # the pre-trend test rejects
    assert shipped.sdid.se_method == "placebo" and shipped.sdid.reps == cf.SDID_REPS
    assert shipped.figures()["sdid.att"] == shipped.sdid.att
    for language in LANGUAGES:
        words = Words(language)
        chapter = chapters.counterfactual(shipped, words, municipality_name="Vestre Toten")
        table = next(n for n in chapter.of_kind(Table) if n.name == "estimators")
        assert len(table.cells) == 3
        why = table.cells[2][-1]
        # The pre-trend test's p is below a thousandth: the reason says so.
        assert shipped.events.pretrend_p < 0.001 and f"p < {words.number(0.001, 3)}" in why


@pytest.mark.slow  # the shipped case: 100 placebo refits
def test_the_triangulation_says_whether_the_jobs_could_show(shipped):
    small, large = shipped.compare(51.0), shipped.compare(5000.0)
    assert not small.detectable and large.detectable
    assert small.mde_inhabitants == pytest.approx(shipped.mde / 100 * shipped.population)
    for language in LANGUAGES:
        words = Words(language)
        ctx = {**_ctx(shipped), **small.context()}
        no = words.text("final_evaluation/triangulation_verdict", **ctx)
        yes = words.text("final_evaluation/triangulation_verdict", **{**ctx, **large.context()})
        assert no != yes and words.number(small.mde_inhabitants) in no
    en = Words("en").text("final_evaluation/triangulation_verdict", **{**_ctx(shipped), **small.context()})
    assert "could not have shown in the population at all" in en and "an assumption" in en


@pytest.mark.slow  # the shipped case: 100 placebo refits
def test_robustness_rows_change_one_choice_each(shipped):
    result = cf.robustness(shipped)
    table = result.to_frame()
    assert list(table["check"]) == list(cf.ROBUSTNESS_ROWS)
    main = table.set_index("check")
    assert main.at["main", "att"] == shipped.sc.att and main.at["sdid", "att"] == shipped.sdid.att
    assert main.at["did", "att"] == shipped.did.att
    top = shipped.weights_table(0).iloc[0]["municipality"]
    assert main.at["leave_one_out", "detail"] == top and main.at["leave_one_out", "n_donors"] == 99
    assert main.at["no_structure_rules", "n_donors"] > 100 and main.at["wider_population", "n_donors"] > 100
    assert main.at["shorter_fit", "detail"] == "2007-2009"  # the chapter prints an en dash
    assert table["p_value"].between(0, 1).all()
    words = Words("nb")
    chapter = chapters.counterfactual(shipped, words, municipality_name="Vestre Toten")
    rob = next(n for n in chapter.of_kind(Table) if n.name == "counterfactual_robustness")
    assert len(rob.cells) == len(cf.ROBUSTNESS_ROWS)


@pytest.mark.slow  # the shipped case: 100 placebo refits
def test_names_not_codes_in_the_shipped_weights_and_legends(shipped):
    weights = shipped.weights_table()
    assert not weights["municipality"].str.fullmatch(r"\d{4}").any()
    fig, axes = shipped.plot()
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend[0] == "Vestre Toten" and not any(t.isdigit() for t in legend)


@pytest.mark.slow  # the shipped case: 100 placebo refits
def test_the_contract_and_readme_list_the_new_figures(shipped):
    import yaml

    contract = yaml.safe_load((ROOT / "notebooks" / "final_evaluation.contract.yaml").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in FIGURE_KEYS:
        assert key in contract["figures"], key
        assert f"`{key}`" in readme, key
    assert set(shipped.figures()) == set(FIGURE_KEYS)


@pytest.mark.slow
def test_a_warm_render_gives_the_cold_renders_results(tmp_path, monkeypatch):
    from evalkit.run.render import render

    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path / "cache"))
    evaluation = ROOT / "evaluations" / "vestre-toten-2010-2016.yaml"
    cold = render(evaluation, output=tmp_path / "cold")
    stored = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_dir())
    # Both expensive calls of the setup cell are in the cache after the cold render.
    assert any("counterfactual_analysis" in n for n in stored) and any("estimate_net_effect" in n for n in stored)
    warm = render(evaluation, output=tmp_path / "warm")
    read = lambda r: (r.folder / "results.json").read_text(encoding="utf-8")  # noqa: E731
    assert json.loads(read(cold))["figures"] == json.loads(read(warm))["figures"]
