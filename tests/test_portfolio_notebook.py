"""The portfolio research notebook and its evaluation files: checked before a kernel starts, and run."""

from __future__ import annotations

import nbformat
import pytest

from conftest import ROOT
from evalkit.io.register import programme_register
from evalkit.io.ssb import read_population_panel
from evalkit.methods.counterfactual.portfolio_study import portfolio_study
from evalkit.report.document import Record, TitlePage, nodes_of
from evalkit.run.evaluation import load_evaluation
from evalkit.run.render import KERNEL, prepare

NOTEBOOK = ROOT / "notebooks" / "portfolio_research.ipynb"
EVALUATIONS = {"portfolio-research.yaml": "nb", "portfolio-research-nn.yaml": "nn", "portfolio-research-en.yaml": "en"}
FIGURE_KEYS = {
    "portfolio.programmes", "portfolio.att.simple", "portfolio.att.simple.se", "portfolio.att.dynamic",
    "portfolio.pooled_sc.att", "portfolio.pooled_sc.p_value", "portfolio.pretrend_p",
}


@pytest.mark.parametrize("name", sorted(EVALUATIONS))
def test_evaluations_need_no_programme_records(name):
    evaluation, parameters = prepare(ROOT / "evaluations" / name)
    assert evaluation.data is None and evaluation.period is None
    assert evaluation.language == EVALUATIONS[name]
    given = evaluation.notebook_parameters()
    assert not {"data_dir", "period_start", "period_end"} & set(given)
    assert parameters["min_pre_years"] == 3 and parameters["bootstrap"] == 999


def test_a_programme_evaluation_still_gets_its_data_and_period():
    evaluation = load_evaluation(ROOT / "evaluations" / "vestre-toten-2010-2016.yaml")
    given = evaluation.notebook_parameters()
    assert given["period_start"] == 2010 and given["period_end"] == 2016
    assert given["data_dir"].endswith("vestre_toten")


@pytest.mark.parametrize("setting", ["data", "period"])
def test_a_programme_notebook_still_needs_data_and_period(tmp_path, setting):
    from evalkit.errors import InputError

    source = (ROOT / "evaluations" / "vestre-toten-2010-2016.yaml").read_text(encoding="utf-8")
    kept = [line for line in source.splitlines() if not line.startswith(f"{setting}:")]
    text = "\n".join(kept).replace("../notebooks/", f"{ROOT}/notebooks/").replace("../data/", f"{ROOT}/data/")
    path = tmp_path / "evaluation.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"'{setting}' is missing"):
        prepare(path)


def test_each_chapter_has_its_own_cell():
    cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    calls = [c.source for c in cells[2:]]
    assert all(s.startswith("chapters.") and "\n" not in s for s in calls)
    assert len(calls) == 10


@pytest.mark.slow  # runs the study in a kernel: about 10 s
def test_the_notebook_runs_and_records_the_seven_figures(tmp_path):
    import papermill

    parameters = {"bootstrap": 49, "permutations": 49, "placebos": 9, "seed": 4, "language": "nn"}
    out = tmp_path / NOTEBOOK.name
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters=parameters, kernel_name=KERNEL,
                               cwd=str(NOTEBOOK.parent), progress_bar=False, log_output=False)
    executed = nbformat.read(out, as_version=4)
    nodes = [n for cell in executed.cells if cell.cell_type == "code" for n in nodes_of(cell.get("outputs", []))]
    assert isinstance(nodes[0], TitlePage)
    figures = {}
    for node in nodes:
        if isinstance(node, Record):
            figures.update(dict(node.figures))
    assert set(figures) == FIGURE_KEYS
    expected = portfolio_study(read_population_panel(), programme_register(), bootstrap=49, permutations=49,
                               placebos=9, seed=4).figures()
    assert figures == pytest.approx(expected)
    assert figures["portfolio.programmes"] == 26
