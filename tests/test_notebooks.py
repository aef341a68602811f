"""Every report notebook, tested twice (the notebooker idea): a sanity test and a regression test.

Sanity: a cell tagged ``parameters`` in which every assignment is a parameter
papermill can read, with a type and a help comment (so ``evalkit params`` and
``papermill --help-notebook`` explain it), committed without outputs.
Regression: it renders with its defaults and hands over its key figures.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from evalkit.run.evaluation import notebook_parameters
from evalkit.run.render import KERNEL, collect_figures

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Figures the default render of a notebook must give (published totals of its case).
EXPECTED = {
    "final_evaluation.ipynb": {"projects.count": 63, "funding.project_support_nok": 17_500_000},
    "programme_monitoring.ipynb": {"projects.count": 17, "funding.granted_nok": 5_500_000, "region.municipalities": 5},
    # Its figures are Record nodes, which collect_figures does not read yet: tests/test_portfolio_notebook.py checks them.
    "portfolio_research.ipynb": {},
}


def _parameters_cell(notebook: Path) -> nbformat.NotebookNode:
    cells = [c for c in nbformat.read(notebook, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{notebook.name}: needs exactly one cell tagged 'parameters'"
    return cells[0]


def test_there_are_notebooks_and_each_has_a_regression_case():
    names = {n.name for n in NOTEBOOKS}
    assert {"final_evaluation.ipynb", "programme_monitoring.ipynb"} <= names
    assert names <= set(EXPECTED), f"add the new notebook to EXPECTED: {names - set(EXPECTED)}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_typed_and_explained(notebook):
    cell = _parameters_cell(notebook)
    assigned = [node.target.id for node in ast.parse(cell.source).body if isinstance(node, ast.AnnAssign)]
    untyped = [node.targets[0].id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)]
    assert not untyped, f"{notebook.name}: parameters without a type: {untyped}"
    declared = notebook_parameters(notebook)
    # A line papermill cannot parse (a quote in the help comment, say) silently drops the parameter.
    assert list(declared) == assigned
    for name, spec in declared.items():
        assert spec["type"] not in ("None", ""), f"{notebook.name}: {name} has no type"
        assert spec["help"].strip(), f"{notebook.name}: {name} has no help comment"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(notebook):
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert nb.metadata["kernelspec"]["name"] == "evalkit"


@pytest.mark.slow  # final_evaluation grows with the method chapters: 4-40 s depending on the machine's load
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_renders_with_its_defaults(notebook, tmp_path):
    import papermill

    out = tmp_path / notebook.name
    papermill.execute_notebook(str(notebook), str(out), kernel_name=KERNEL, cwd=str(notebook.parent),
                               progress_bar=False, log_output=False)
    figures = collect_figures(nbformat.read(out, as_version=4))
    for key, value in EXPECTED[notebook.name].items():
        assert figures[key] == pytest.approx(value), key
