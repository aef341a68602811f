"""The one render path, end to end: the default evaluation's figures, and bad input stopped early."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import DEFAULT_EVALUATION, ROOT
from evalkit.run.cli import main
from evalkit.run.render import render


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render") / "vestre-toten"
    render(DEFAULT_EVALUATION, out)
    return out


def test_default_evaluation_gives_the_published_figures(rendered):
    figures = json.loads((rendered / "results.json").read_text())["figures"]
    assert figures["projects.count"] == 63
    assert figures["funding.project_support_nok"] == 17_500_000
    assert figures["funding.project_support_share"] == pytest.approx(0.8)
    assert figures["jobs.registered.total"] == 180
    assert figures["jobs.registered.new"] > figures["jobs.registered.secured"]
    assert figures["target.jobs"] == 300
    assert figures["target.attainment"] == pytest.approx(0.6)
    assert figures["jobs.expected.total"] == 300
    assert figures["firms.new"] == 6
    assert figures["networks.count"] == 2
    assert figures["cost_per_job.registered.project_support_nok"] == pytest.approx(17_500_000 / 180, abs=0.01)


def test_report_folder_has_its_files_and_no_code(rendered):
    for name in ("report.ipynb", "report.html", "results.json", "tables.xlsx"):
        assert (rendered / name).is_file(), name
    html = (rendered / "report.html").read_text()
    assert "import evalkit" not in html and "report.heading" not in html
    assert "data:image/png;base64," in html
    assert "ILLUSTRATIVE" in html


def test_results_meta_is_reproducible(rendered, tmp_path):
    meta = json.loads((rendered / "results.json").read_text())["meta"]
    assert meta["parameters"]["data_dir"] == "../data/vestre_toten"
    assert meta["inputs"]["../data/vestre_toten/projects.csv"]
    text = (rendered / "results.json").read_text()
    assert "/tmp" not in text and str(ROOT) not in text  # no machine-specific paths
    again = tmp_path / "again"
    render(DEFAULT_EVALUATION, again)
    assert (again / "results.json").read_bytes() == (rendered / "results.json").read_bytes()


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    "change, words",
    [
        ({"parameters": {"discount_rat": 0.04}}, "parameter 'discount_rat'"),
        ({"parameters": {"municipality_code": 3443}}, "must be of type str"),
        ({"colour": "blue"}, "the setting 'colour' is not a known setting"),
        ({"language": "de"}, "language"),
        ({"period": [2016, 2010]}, "period"),
    ],
)
def test_bad_evaluation_file_exit_2_and_no_report(evaluation_copy, tmp_path, capsys, change, words):
    data = yaml.safe_load(evaluation_copy.read_text()) | change
    if "parameters" in change:
        data["parameters"] = yaml.safe_load(evaluation_copy.read_text())["parameters"] | change["parameters"]
    bad = _write(evaluation_copy.with_name("bad.yaml"), data)
    out = tmp_path / "out"
    assert main(["render", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize(
    "table, old, new, words",
    [
        ("projects.csv", "grant_paid_nok", "grant_payd_nok", "column 'grant_paid_nok'"),
        ("projects.csv", ",VT-2010-01,", ",VT-2010-02,", "appears again"),
    ],
)
def test_bad_data_exit_2_and_no_report(evaluation_copy, tmp_path, capsys, table, old, new, words):
    path = evaluation_copy.parents[1] / "data" / "vestre_toten" / table
    text = path.read_text()
    assert old in text or old.strip(",") in text
    path.write_text(text.replace(old, new, 1) if old in text else text.replace(old.strip(","), new.strip(","), 1))
    out = tmp_path / "out"
    assert main(["render", str(evaluation_copy), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and table in err
    assert not out.exists()


def test_non_numeric_amount_named_with_row(evaluation_copy, tmp_path, capsys):
    path = evaluation_copy.parents[1] / "data" / "vestre_toten" / "budget.csv"
    lines = path.read_text().splitlines()
    fields = lines[3].split(",")
    fields[-1] = "tre millioner"
    lines[3] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    assert main(["render", str(evaluation_copy), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "budget.csv, row 4, column 'amount_nok': 'tre millioner' is not a number" in err


def test_cli_runs_as_a_program(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "evalkit.run.cli", "render", str(tmp_path / "missing.yaml")],
        capture_output=True, text=True,
    )
    assert done.returncode == 2
    assert "missing.yaml: does not exist" in done.stderr and "Traceback" not in done.stderr


def test_params_lists_the_notebook_parameters(capsys):
    assert main(["params", str(ROOT / "notebooks" / "final_evaluation.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "target_jobs: float = 300.0  # the programme's target" in out


def test_default_report_publishes_no_firm_names(rendered):
    """publish_firm_names defaults to False: no firm's name or org number reaches the published files."""
    import pandas as pd

    firms = pd.read_csv(ROOT / "data" / "vestre_toten" / "firms.csv", dtype=str)
    html = (rendered / "report.html").read_text()
    from openpyxl import load_workbook

    cells = " ".join(
        str(c) for ws in load_workbook(rendered / "tables.xlsx").worksheets for row in ws.iter_rows(values_only=True) for c in row
    )
    for name, org in zip(firms["name"], firms["org_number"]):
        assert name not in html and name not in cells, name
        assert org not in html and org not in cells, org
