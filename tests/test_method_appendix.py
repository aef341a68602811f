"""The method appendix says the choices that were really used, with their sources, in nb and en."""

from __future__ import annotations

import pytest

import evalkit as ek
from evalkit.errors import InputError
from evalkit.report.method_appendix import net_effect_choices, net_effect_method

NBSP, WJ = "\xa0", "\u2060"


@pytest.fixture
def programme(tiny_folder):
    return ek.load_programme(tiny_folder)


def _effect(programme, **kwargs):
    return ek.estimate_net_effect(programme, period=(2010, 2011), mc_draws=200, seed=1, **kwargs)


def test_defaults_cite_the_additionality_guide_and_r109_and_the_survey(programme):
    effect = _effect(programme)
    table = net_effect_choices(effect, language="en")
    assert list(table.columns) == ["Choice", "Range", "Source"]
    assert table.loc["Leakage", "Choice"] == "10%" and table.loc["Leakage", "Range"] == f"0{WJ}–{WJ}75%"
    assert "Additionality Guide" in table.loc["Leakage", "Source"]
    assert table.loc["Displacement", "Source"].endswith("– local")
    assert table.loc["Multiplier", "Choice"] == "1.1" and table.loc["Multiplier", "Range"] == f"1.0{WJ}–{WJ}1.7"
    assert table.loc["Discount rate", "Choice"] == "4%" and "R-109" in table.loc["Discount rate", "Source"]
    assert table.loc["Persistence", "Choice"] == f"3{NBSP}years"
    # The tiny survey: 'later' (0.5) and 'would not have happened' (1.0), weighted by attributed jobs.
    assert table.loc["Deadweight", "Source"].startswith("the firm survey: 2 answers from 2 of ")
    assert table.loc["Deadweight", "Choice"] == ek.Words("en").percent(effect.net.factors["deadweight"], 1 if
                                                                round(effect.net.factors["deadweight"] * 100, 6) % 1 else 0)
    assert table.loc["Attribution", "Choice"] == "programme's share of public funding"


def test_a_changed_value_is_marked_as_set_in_the_evaluation_and_national_scale_cites_dclg(programme):
    table = net_effect_choices(_effect(programme, leakage=0.2, spatial_scale="national"), language="nb")
    assert table.loc["Lekkasje", "Valg"] == f"20{NBSP}%" and table.loc["Lekkasje", "Kilde"] == "satt i evalueringen"
    assert "DCLG" in table.loc["Fortrengning", "Kilde"] and table.loc["Fortrengning", "Valg"] == f"100{NBSP}%"
    assert table.loc["Multiplikator", "Valg"] == "1,0"
    # Deadweight given by hand: the survey is not used, and the row says so.
    by_hand = net_effect_choices(_effect(programme, deadweight=0.4), language="en")
    assert by_hand.loc["Deadweight", "Choice"] == "40%" and by_hand.loc["Deadweight", "Source"] == "set in the evaluation"


def test_method_paragraph_follows_the_parameters(programme):
    effect = _effect(programme, persistence_years=5, discount_rate=0.06)
    nb = net_effect_method(effect, attribution_basis="total_cost", include_cofunders=True, mc_draws=200, seed=7, language="nb")
    nb = " ".join(nb.split())  # a template's whitespace (no-break spaces too) reads as one space
    assert "sin andel av prosjektkostnaden" in nb and "varighet (5 år)" in nb and "kalkulasjonsrente 6 %" in nb
    assert "medregnet andre offentlige medfinansiørers midler" in nb and "200 Monte Carlo-trekk (frø 7)" in nb
    en = net_effect_method(effect, language="en", mc_draws=10_000, seed=1)
    assert "share of the public funding" in en and "10,000 Monte-Carlo draws" in en and "without other public" in en
    nn = net_effect_method(effect, language="nn", mc_draws=200, seed=1)
    assert "kalkulasjonsrente" in nn and "arbeidsplassar" in nn and "Monte Carlo-trekk" in nn


def test_bad_attribution_basis_and_language_are_input_errors(programme):
    effect = _effect(programme)
    with pytest.raises(InputError, match="attribution_basis"):
        net_effect_choices(effect, attribution_basis="grant")
    with pytest.raises(InputError, match="language"):
        net_effect_method(effect, language="de")
