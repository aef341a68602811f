"""Additionality: gross-to-net step table, survey deadweight, assumptions."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evalkit.report.words import Words  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import _net_effect_frames as frames  # noqa: E402
import pandas as pd  # noqa: E402

from evalkit.methods.net_effect.attribution import file_row  # noqa: E402
from evalkit.methods.net_effect.cost import cost_by_year  # noqa: E402
from evalkit.io.programme import check_table, read_excel_table, read_table_bytes  # noqa: E402
from evalkit import (  # noqa: E402
    DEFAULT_ANSWER_WEIGHTS,
    InputError,
    assumptions_for,
    attribute_jobs,
    net_additional_jobs,
    survey_deadweight,
)


@pytest.fixture
def attribution():
    return attribute_jobs(frames.projects(), frames.jobs(), period=frames.PERIOD, survey=frames.survey())


# -- gross to net -------------------------------------------------------------------------------

def test_local_defaults_by_hand():
    # 100 x (1-0.10) x (1-0.25) x (1-0.25) x (1-0) x 1.1 = 55.6875
    r = net_additional_jobs(100.0)
    assert r.net == pytest.approx(55.6875)
    steps = r.to_frame()
    assert steps.loc["leakage", "jobs_after"] == pytest.approx(90.0)
    assert steps.loc["deadweight", "jobs_after"] == pytest.approx(67.5)
    assert steps.loc["displacement", "jobs_after"] == pytest.approx(50.625)
    assert steps.loc["substitution", "change"] == 0.0
    assert steps.loc["multiplier", "change"] == pytest.approx(5.0625)
    # each step applies to the previous step's output
    body = steps.loc["secured":"multiplier"]
    assert body["jobs_before"].iloc[1:].tolist() == pytest.approx(body["jobs_after"].iloc[:-1].tolist())
    assert list(r.tidy()["step"]) == ["gross_new", "secured", "leakage", "deadweight", "displacement",
                                      "substitution", "multiplier", "net"]


def test_regional_and_national_scales():
    # regional: displacement 50 %: 100 x 0.9 x 0.75 x 0.5 x 1.1 = 37.125
    assert net_additional_jobs(100.0, assumptions=assumptions_for("regional")).net == pytest.approx(37.125)
    # national: no net creation without supply-side evidence
    national = net_additional_jobs(100.0, assumptions=assumptions_for("national"))
    assert national.net == 0.0
    assert national.factors["multiplier"] == 1.0


def test_zero_and_full_factors():
    none = assumptions_for(leakage=0.0, deadweight=0.0, displacement=0.0, substitution=0.0, multiplier=1.0)
    assert net_additional_jobs(42.0, assumptions=none).net == pytest.approx(42.0)
    assert net_additional_jobs(42.0, assumptions=assumptions_for(leakage=1.0)).net == 0.0
    assert net_additional_jobs(42.0, deadweight=1.0).net == 0.0
    assert net_additional_jobs(42.0, assumptions=assumptions_for(substitution=1.0)).net == 0.0
    assert net_additional_jobs(0.0).net == 0.0


def test_secured_jobs_only_by_explicit_weight():
    # default: secured jobs never count
    assert net_additional_jobs(10.0, secured=20.0).gross == 10.0
    half = assumptions_for(secured_weight=0.5, leakage=0.0, deadweight=0.0, displacement=0.0, multiplier=1.0)
    r = net_additional_jobs(10.0, secured=20.0, assumptions=half)
    assert r.gross == pytest.approx(20.0)
    assert r.net == pytest.approx(20.0)
    assert r.to_frame().loc["secured", "change"] == pytest.approx(10.0)


def test_net_from_attribution_and_sentence(attribution):
    r = net_additional_jobs(attribution)
    assert r.gross == pytest.approx(9.0)
    assert r.net == pytest.approx(9.0 * 0.556875)
    assert r.net_by_year().sum() == pytest.approx(r.net)
    c = r.context()
    assert c["registered_new"] == pytest.approx(16.0) and c["net"] == pytest.approx(r.net)
    assert c["spatial_scale"] == "local" and c["deadweight"] == r.factors["deadweight"]
    en = Words("en").text("final_evaluation/net_effect", **c, net_shown=5, net_low=1, net_high=9)
    nb = Words("nb").text("final_evaluation/net_effect", **c, net_shown=5, net_low=1, net_high=9)
    assert "16 registered new" in en and "5 net additional jobs in the municipality" in en
    assert "16 registrerte nye årsverk" in nb and "kommunen" in nb
    fig, ax = r.plot(labels={"title": "Fra brutto til netto", "decimal_mark": ","})
    assert len(ax.patches) == 8
    plt.close(fig)


def test_analyst_deadweight_widens_its_range():
    r = net_additional_jobs(10.0, deadweight=0.9)
    assert r.factors["deadweight"] == 0.9
    assert r.assumptions.range_of("deadweight") == (0.1, 0.9)
    assert "analyst" in r.to_frame().loc["deadweight", "source"]
    with pytest.raises(InputError) as err:
        net_additional_jobs(10.0, deadweight=1.5)
    assert err.value.location.parameter == "deadweight"


@settings(max_examples=200, deadline=None)
@given(
    gross=st.floats(0, 1e4, allow_nan=False),
    leakage=st.floats(0, 1), deadweight=st.floats(0, 1), displacement=st.floats(0, 1),
    substitution=st.floats(0, 1), multiplier=st.floats(1, 3),
)
def test_net_never_exceeds_gross_times_multiplier(gross, leakage, deadweight, displacement, substitution, multiplier):
    a = assumptions_for(leakage=leakage, deadweight=deadweight, displacement=displacement,
                        substitution=substitution, multiplier=multiplier)
    r = net_additional_jobs(gross, assumptions=a)
    assert 0.0 <= r.net <= gross * multiplier * (1 + 1e-12)
    assert r.net == pytest.approx(gross * r.gross_to_net)


# -- survey deadweight --------------------------------------------------------------------------

def test_survey_deadweight_weighted_by_attributed_jobs(attribution):
    s = survey_deadweight(frames.survey(), attribution)
    # weights 1, 2, 3, 2 (attributed FTE of F-p1, F-p2, F-p3, G-q1); additionality 1, .5, 0, .5
    # -> (1 + 1 + 0 + 1) / 8 = 0.375
    assert s.deadweight == pytest.approx(0.625)
    assert (s.n_answers, s.n_excluded, s.n_valid) == (5, 1, 4)
    assert (s.responding_firms, s.surveyed_firms) == (3, 4)  # K did not answer
    assert s.response_rate == pytest.approx(0.75)
    assert s.to_frame().loc["dont_know", "answers"] == 1
    assert s.to_frame()["weight_share"].sum() == pytest.approx(1.0)


def test_survey_deadweight_by_grant_and_by_answers(attribution):
    # grants 100, 200, 300, 50: (100 + 100 + 0 + 25) / 650
    assert survey_deadweight(frames.survey(), attribution, weight_by="grant").deadweight == pytest.approx(1 - 225 / 650)
    assert survey_deadweight(frames.survey(), attribution, weight_by="answers").deadweight == pytest.approx(0.5)


def test_survey_configurable_mapping(attribution):
    weights = {**DEFAULT_ANSWER_WEIGHTS, "later": 1.0, "smaller": None}
    s = survey_deadweight(frames.survey(), attribution, answer_weights=weights, weight_by="answers")
    # valid: would_not 1, later 1, as_planned 0 -> 2/3 additional
    assert s.deadweight == pytest.approx(1 / 3)
    assert s.n_excluded == 2


def test_unknown_survey_answer_names_file_row_column(attribution):
    survey = frames.survey()
    survey.loc[2, "answer"] = "maybe"
    with pytest.raises(InputError) as err:
        survey_deadweight(survey, attribution)
    loc = err.value.location
    assert (loc.file, loc.row, loc.column) == ("survey.csv", 4, "answer")
    assert "would_not_have_happened" in str(err.value)


def test_bad_mapping_and_all_excluded_rejected(attribution):
    with pytest.raises(InputError) as err:
        survey_deadweight(frames.survey(), attribution, answer_weights={**DEFAULT_ANSWER_WEIGHTS, "later": 1.5})
    assert err.value.location.parameter == "answer_weights"
    survey = frames.survey().assign(answer="dont_know")
    with pytest.raises(InputError, match="no answer"):
        survey_deadweight(survey, attribution)
    with pytest.raises(InputError) as err:
        survey_deadweight(frames.survey(), attribution, weight_by="size")
    assert err.value.location.parameter == "weight_by"


def test_zero_job_weights_fall_back_to_answers(attribution):
    survey = frames.survey().iloc[[4]].assign(answer="as_planned")  # H: no jobs
    s = survey_deadweight(survey, attribution)
    assert s.weight_by == "answers" and "equally" in s.note
    assert s.deadweight == 1.0


def test_survey_result_displays(attribution):
    s = survey_deadweight(frames.survey(), attribution)
    nb, en = (Words(lang).text("final_evaluation/survey", **s.context()) for lang in ("nb", "en"))
    assert "62\xa0%" in nb and "3 av 4" in nb
    assert "62%" in en
    fig, _ = s.plot()
    plt.close(fig)


def test_survey_deadweight_feeds_the_step_table(attribution):
    s = survey_deadweight(frames.survey(), attribution)
    r = net_additional_jobs(attribution, deadweight=s)
    assert r.factors["deadweight"] == pytest.approx(0.625)
    assert "firm survey: 4 answers" in r.to_frame().loc["deadweight", "source"]
    assert r.net == pytest.approx(9.0 * 0.9 * 0.375 * 0.75 * 1.1)


# -- assumptions --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"leakage": 1.2}, "leakage"),
        ({"displacement": -0.1}, "displacement"),
        ({"multiplier": 0.9}, "multiplier"),
        ({"spatial_scale": "county"}, "spatial_scale"),
        ({"leakages": 0.1}, "leakages"),
        ({"leakage_range": (0.0, 0.05)}, "leakage"),
        ({"multiplier_range": (0.5, 2.0)}, "multiplier"),
        ({"persistence_years": 0}, "persistence_years"),
    ],
)
def test_invalid_assumptions_name_the_parameter(kwargs, parameter):
    with pytest.raises(InputError) as err:
        assumptions_for(**kwargs)
    assert err.value.location.parameter == parameter


def test_defaults_as_in_domain():
    local = assumptions_for()
    assert (local.leakage, local.deadweight, local.displacement, local.substitution, local.multiplier) == (
        0.10, 0.25, 0.25, 0.0, 1.1)
    assert local.range_of("leakage") == (0.0, 0.75)
    assert local.range_of("deadweight") == (0.10, 0.75)
    assert local.range_of("multiplier") == (1.0, 1.7)
    assert local.range_of("persistence_years") == (1.0, 5.0)
    assert local.range_of("discount_rate") == (0.02, 0.06)
    assert (local.persistence_years, local.discount_rate, local.secured_weight) == (3.0, 0.04, 0.0)
    assert assumptions_for("regional").displacement == 0.5
    assert assumptions_for().to_frame().loc["leakage", "high"] == 0.75


# -- row numbers are the file's rows ---------------------------------------------------

SURVEY_WITH_BLANK_ROW = (
    "org_number,project_id,answer,expected_jobs\n"
    "100000001,p1,would_not_have_happened,3\n"  # row 2
    "\n"  # row 3: blank, dropped by the loader
    "100000001,p2,later,\n"  # row 4: the answer the analyst's mapping leaves out
)
WITHOUT_LATER = {k: v for k, v in DEFAULT_ANSWER_WEIGHTS.items() if k != "later"}


def _survey_from(data: bytes, name: str = "survey.csv"):
    frame, notes = read_table_bytes(data, name, "survey")
    return check_table(frame, "survey", name, notes)


def test_unknown_answer_after_a_blank_row_names_its_file_row(attribution):
    survey = _survey_from(SURVEY_WITH_BLANK_ROW.encode("utf-8"))
    assert survey.attrs["file_rows"] == [2, 4]
    with pytest.raises(InputError) as err:
        survey_deadweight(survey, attribution, answer_weights=WITHOUT_LATER)
    loc = err.value.location
    assert (loc.file, loc.row, loc.column) == ("survey.csv", 4, "answer")  # not position 1 + 2 = 3


def test_unknown_answer_below_an_excel_title_names_its_sheet_row(attribution, tmp_path):
    lines = [line.split(",") for line in SURVEY_WITH_BLANK_ROW.splitlines() if line]
    rows = [["Spørreundersøkelse 2017", "", "", ""], [""] * 4, *lines]
    path = tmp_path / "survey.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False, header=False)  # header in sheet row 3
    frame, notes = read_excel_table(path, "survey")
    survey = check_table(frame, "survey", path, notes)
    assert survey.attrs["file_rows"] == [4, 5]
    with pytest.raises(InputError) as err:
        survey_deadweight(survey, attribution, answer_weights=WITHOUT_LATER)
    assert (err.value.location.row, err.value.location.column) == (5, "answer")


def test_attribution_names_the_file_row_of_a_job_for_an_unknown_project():
    text = "project_id,org_number,year,new_fte,secured_fte\np1,100000001,2012,6,1\n\n\nz9,100000001,2013,1,0\n"
    frame, notes = read_table_bytes(text.encode("utf-8"), "jobs.csv", "jobs")
    jobs = check_table(frame, "jobs", "jobs.csv", notes)
    with pytest.raises(InputError) as err:
        attribute_jobs(frames.projects(), jobs, period=frames.PERIOD)
    loc = err.value.location
    assert (loc.file, loc.row, loc.column) == ("jobs.csv", 5, "project_id")


def test_cost_names_the_file_row_of_a_negative_amount():
    budget = pd.DataFrame({"year": [2010, 2011], "category": ["administration", "project_support"],
                           "amount_nok": [100.0, -5.0]})
    budget.attrs.update(source_file="budget.xlsx", file_rows=[7, 9])  # as the loader leaves them
    with pytest.raises(InputError) as err:
        cost_by_year(budget)
    assert (err.value.location.file, err.value.location.row) == ("budget.xlsx", 9)


def test_file_row_falls_back_to_a_spreadsheet_numbering():
    built = pd.DataFrame({"a": [1, 2, 3]})
    assert [file_row(built, i) for i in range(3)] == [2, 3, 4]
    built.attrs["file_rows"] = [3, 8, 10]
    assert [file_row(built, i) for i in range(3)] == [3, 8, 10]
