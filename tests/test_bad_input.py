"""The catalogue of bad input (docs/bad-input.md): one case per class, each through ``evalkit render``.

Every failing class must give exit code 2, one message naming the file/row/column
or the parameter, no traceback, no report folder, and leave the inputs' bytes
unchanged. Recoverable classes are read correctly and said in ``Programme.notes``.
The message column of docs/bad-input.md is checked against the real messages;
regenerate it with ``.venv/bin/python tests/test_bad_input.py``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import DEFAULT_EVALUATION, ROOT  # noqa: E402

from evalkit import InputError, load_programme, read_population_panel, read_statbank_csv, ssb  # noqa: E402
from evalkit.run.cli import main  # noqa: E402
from evalkit.run.render import prepare  # noqa: E402

CATALOGUE = ROOT / "docs" / "bad-input.md"
DATA = Path("data") / "vestre_toten"
EVALUATION = Path("evaluations") / DEFAULT_EVALUATION.name


# --- how to break a copy of the default evaluation ----------------------------------------------


#: The evaluation the cases break: fixed here, so that the catalogue's row numbers do not move
#: when the shipped evaluation file changes.
EVALUATION_TEXT = """\
title: Sluttevaluering av omstillingsprogrammet i Vestre Toten 2010-2016
notebook: ../notebooks/final_evaluation.ipynb
data: ../data/vestre_toten
period: [2010, 2016]
target_jobs: 300
language: nb
client: Vestre Toten kommune
evaluator: evalkit
parameters:
  municipality_code: '3443'
  municipality_name: Vestre Toten
"""


def _copy(root: Path) -> Path:
    for sub in ("notebooks", "data/vestre_toten", "data/ssb"):
        shutil.copytree(ROOT / sub, root / sub, ignore=shutil.ignore_patterns("*.ipynb_checkpoints", "*.old", "*.bak"))
    (root / EVALUATION).parent.mkdir(parents=True)
    (root / EVALUATION).write_text(EVALUATION_TEXT, encoding="utf-8")
    return root


def _table(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def _write(root: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(root / DATA / f"{name}.csv", index=False)


def _cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one cell; ``row`` as a person sees it (header = row 1)."""

    def change(root: Path) -> None:
        frame = _table(root, name)
        frame.loc[row - 2, column] = value
        _write(root, name, frame)

    return change


def _text(name: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / DATA / f"{name}.csv"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return change


def _bytes(name: str, data: bytes, suffix: str = ".csv", *, remove: bool = False) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        if remove:
            (root / DATA / f"{name}.csv").unlink()
        (root / DATA / f"{name}{suffix}").write_bytes(data)

    return change


def _setting(**changes) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / EVALUATION
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, value in changes.items():
            if key.startswith("parameters."):
                data["parameters"][key.split(".", 1)[1]] = value
            elif value is None:
                data.pop(key, None)
            else:
                data[key] = value
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200), encoding="utf-8")

    return change


MONITORING_TEXT = """\
title: Statusrapport for Gjøvikregionen 2017-2018
notebook: ../notebooks/programme_monitoring.ipynb
data: ../data/gjovikregionen
period: [2017, 2018]
language: nb
data_date: "2018-12-31"
parameters:
  region_name: Gjøvikregionen
  municipality_codes: ["3407", "3442", "3443", "3447", "3448"]
  priority_sectors: [Industri, IKT, Bioøkonomi]
"""


def _monitoring(**changes) -> Callable[[Path], None]:
    """The evaluation file becomes a status report of Gjøvikregionen (its own data copied in), then changed."""

    def change(root: Path) -> None:
        shutil.copytree(ROOT / "data" / "gjovikregionen", root / "data" / "gjovikregionen")
        (root / EVALUATION).write_text(MONITORING_TEXT, encoding="utf-8")
        _setting(**changes)(root)

    return change


def _yaml_text(text: str | bytes) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / EVALUATION
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    return change


def _excel(name: str, sheets: dict[str, pd.DataFrame], header_rows: list[list[str]] | None = None) -> Callable[[Path], None]:
    """Replace ``name.csv`` by a workbook; ``header_rows`` replace the header (a multi-row header)."""

    def change(root: Path) -> None:
        frames = {sheet: frame(root) if callable(frame) else frame for sheet, frame in sheets.items()}
        (root / DATA / f"{name}.csv").unlink()
        path = root / DATA / f"{name}.xlsx"
        with pd.ExcelWriter(path) as writer:
            for sheet, frame in frames.items():
                if header_rows:
                    top = pd.DataFrame(header_rows)
                    body = pd.DataFrame(frame.to_numpy())
                    pd.concat([top, body]).to_excel(writer, sheet_name=sheet, index=False, header=False)
                else:
                    frame.to_excel(writer, sheet_name=sheet, index=False)

    return change


def _firms(root: Path) -> pd.DataFrame:
    return _table(root, "firms")


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1]}).to_excel(buffer, index=False)
    return buffer.getvalue()


def _drop_column(name: str, column: str) -> Callable[[Path], None]:
    return lambda root: _write(root, name, _table(root, name).drop(columns=column))


def _rename_column(name: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda root: _write(root, name, _table(root, name).rename(columns={old: new}))


def _remove(relative: str) -> Callable[[Path], None]:
    return lambda root: (root / relative).unlink()


def _many(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        for one in changes:
            one(root)

    return change


@dataclass(frozen=True)
class Case:
    """One class of bad input: how to make it, and what the message must name.

    For :data:`CASES`, ``change`` breaks a copy of the default evaluation that ``evalkit render``
    then reads; for :data:`API_CASES`, it makes its input under the folder and calls the library.
    """

    key: str
    klass: str
    example: str
    change: Callable[[Path], object]
    names: tuple[str, ...]  # substrings the message must hold (file, row, column, parameter)
    output: str | None = None  # the -o argument relative to the copy (default: out)


def _excel_workbook(name: str, *, sheets: tuple[str, ...] = (), hidden: tuple[str, ...] = (), formula=None, merged=None,
                    date=None, hidden_rows: tuple[int, ...] = ()) -> Callable[[Path], None]:
    """Replace ``name.csv`` by a workbook written with openpyxl (formulas without values, as programs save them)."""

    def change(root: Path) -> None:
        import datetime

        from openpyxl import Workbook

        frame = _table(root, name)
        (root / DATA / f"{name}.csv").unlink()
        book = Workbook()
        book.remove(book.active)
        for title in sheets or (name,):
            sheet = book.create_sheet(title)
            if title == (sheets or (name,))[-1]:
                sheet.append(list(frame.columns))
                for row in frame.itertuples(index=False):
                    sheet.append([_typed(v) for v in row])
            if title in hidden:
                sheet.sheet_state = "hidden"
        sheet = book[(sheets or (name,))[-1]]
        if formula:
            sheet[formula[0]] = formula[1]
        if merged:
            sheet.merge_cells(merged)
        if date:
            column = list(frame.columns).index(date[1]) + 1
            sheet.cell(row=date[0], column=column).value = datetime.datetime(1899, 12, 30) + datetime.timedelta(
                days=int(frame.loc[date[0] - 2, date[1]]))
        for row in hidden_rows:
            sheet.row_dimensions[row].hidden = True
        book.save(root / DATA / f"{name}.xlsx")

    return change


def _typed(value: str) -> object:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value or None


def _zip_bomb(name: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        import zipfile

        (root / DATA / f"{name}.csv").unlink()
        with zipfile.ZipFile(root / DATA / f"{name}.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                for _ in range(201):
                    part.write(b" " * (1 << 20))

    return change


def _repeat_row(name: str, row: int) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        frame = _table(root, name)
        _write(root, name, pd.concat([frame, frame.iloc[[row - 2]]], ignore_index=True))

    return change


def _outsider(name: str) -> Callable[[Path], None]:
    """Row 2 of ``name`` given to a firm of the register that takes no part in that row's project."""

    def change(root: Path) -> None:
        frame, projects, participants = _table(root, name), _table(root, "projects"), _table(root, "participants")
        project = frame.loc[0, "project_id"]
        members = set(projects.loc[projects["project_id"] == project, "org_number"]) | set(
            participants.loc[participants["project_id"] == project, "org_number"])
        frame.loc[0, "org_number"] = next(o for o in _table(root, "firms")["org_number"] if o not in members)
        _write(root, name, frame)

    return change


def _budget_support(amount: float) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        budget = _table(root, "budget")
        support = budget["category"] == "project_support"
        budget.loc[support, "amount_nok"] = f"{amount / support.sum():.2f}"
        _write(root, "budget", budget)

    return change


def _link_outside(name: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / DATA / f"{name}.csv").rename(root / f"{name}.csv")
        (root / DATA / f"{name}.csv").symlink_to(root / f"{name}.csv")

    return change


def _earlier_report_with_own_file(root: Path) -> None:
    from evalkit.run.render import write_manifest

    (root / "previous").mkdir()
    (root / "previous" / "results.json").write_text("{}")
    write_manifest(root / "previous")
    (root / "previous" / "letter.docx").write_text("mine")


def _multi_header_firms(root: Path) -> pd.DataFrame:
    return _table(root, "firms")


FIRM_COLUMNS = ["org_number", "name", "sector", "new_firm", "founded_year", "employees_before"]

CASES: list[Case] = [
    # -- data files: the file itself
    Case("missing_table", "missing required table", "jobs.csv deleted", _remove(f"{DATA}/jobs.csv"),
         ("vestre_toten", "'jobs' is missing")),
    Case("empty_file", "empty file", "projects.csv has 0 bytes", _bytes("projects", b""),
         ("projects.csv", "is empty")),
    Case("header_only", "header but no rows", "firms.csv has only its header line",
         _text("firms", lambda t: t.splitlines()[0] + "\n"), ("firms.csv", "row 2", "no data rows")),
    Case("blank_lines_on_top", "blank lines above the header", "two empty lines, then the header",
         _text("budget", lambda t: "\n\n" + t), ("budget.csv", "row 1", "blank line")),
    Case("binary_file", "binary file", "projects.csv holds NUL bytes", _bytes("projects", b"\x00\x01\x02garbage\xff\xfe\x00"),
         ("projects.csv", "binary")),
    Case("xlsx_named_csv", "workbook saved as .csv", "an .xlsx file named projects.csv", _bytes("projects", _xlsx_bytes()),
         ("projects.csv", "Excel workbook")),
    Case("old_excel", "old .xls format", "jobs.xls instead of jobs.csv", _bytes("jobs", b"\xd0\xcf\x11\xe0", ".xls", remove=True),
         ("jobs.xls", "old Excel format")),
    Case("csv_and_xlsx", "two files for one table", "jobs.csv and jobs.xlsx", _bytes("jobs", _xlsx_bytes(), ".xlsx"),
         ("jobs.csv", "jobs.xlsx", "Keep one")),
    Case("name_case", "file name in another case", "Jobs.csv instead of jobs.csv",
         lambda root: (root / DATA / "jobs.csv").rename(root / DATA / "Jobs.csv"), ("Jobs.csv", "Rename it to jobs.csv")),
    Case("corrupt_xlsx", "corrupt workbook", "firms.xlsx is truncated", _bytes("firms", _xlsx_bytes()[:200], ".xlsx", remove=True),
         ("firms.xlsx", "cannot be read as an Excel workbook")),
    Case("excel_ambiguous_sheets", "Excel: table on which sheet?", "firms.xlsx with data on sheets 'A' and 'B'",
         _excel("firms", {"A": _firms, "B": _firms}), ("firms.xlsx", "none is named 'firms'")),
    Case("excel_multirow_header", "Excel: header over several rows (merged cells)", "column names split over rows 1-2",
         _excel("firms", {"firms": _firms}, [FIRM_COLUMNS[:3] + ["", "", ""], ["", "", ""] + FIRM_COLUMNS[3:]]),
         ("firms.xlsx", "row 1", "spread over rows 1, 2")),
    Case("excel_formula_without_value", "Excel: a formula without a saved value", "firms.xlsx written by a program, =F2*2 in F3",
         _excel_workbook("firms", formula=("F3", "=F2*2")), ("firms.xlsx", "row 3", "formula without a saved value")),
    Case("excel_hidden_sheets_only", "Excel: the table only on a hidden sheet", "firms on hidden sheet 'Ark1', 'Forside' empty",
         _excel_workbook("firms", sheets=("Forside", "Ark1"), hidden=("Ark1",)), ("firms.xlsx", "only on hidden sheets")),
    Case("excel_date_in_year", "Excel: a date in a year column", "2011 typed into a date cell: 03.07.1905",
         _excel_workbook("jobs", date=(3, "year")), ("jobs.xlsx", "row 3", "column 'year'", "holds a date")),
    Case("excel_merged_cells", "Excel: merged cells in the table", "sector merged over rows 2-3",
         _excel_workbook("firms", merged="C2:C3"), ("firms.xlsx", "row 3", "column 'sector'", "merged cells C2:C3")),
    Case("xlsx_too_large", "Excel: a workbook that unpacks to more than 200 MB", "a zip bomb named jobs.xlsx (201 MB of spaces)",
         _zip_bomb("jobs"), ("jobs.xlsx", "unpacks to 201 MB")),
    Case("too_many_cells", "row with more cells than the header", "an unquoted comma decimal: 433000,50",
         _text("budget", lambda t: t.replace("administration,433000.00", "administration,433000,50", 1)),
         ("budget.csv", "row 2", "has 5 cells where the header has 4")),
    Case("unclosed_quote", "unclosed quote", 'a title starting with " and never closed',
         _text("projects", lambda t: t.replace(",Forprosjekt: robotisert", ',"Forprosjekt: robotisert', 1)),
         ("projects.csv", "quote")),
    Case("table_link_outside", "table linked from outside the data folder", "jobs.csv a symlink to ../../jobs.csv",
         _link_outside("jobs"), ("jobs.csv", "symbolic link", "outside the data folder")),
    Case("misnamed_optional_table", "optional table misnamed (silently left out before)", "survey_2017.csv for survey.csv",
         lambda root: (root / DATA / "survey.csv").rename(root / DATA / "survey_2017.csv"),
         ("survey_2017.csv", "is it the table 'survey'")),
    Case("misnamed_participants", "optional table misnamed in the singular", "participant.csv for participants.csv",
         lambda root: (root / DATA / "participants.csv").rename(root / DATA / "participant.csv"),
         ("participant.csv", "is it the table 'participants'")),
    Case("unknown_file", "a file that is not a table", "oversikt.csv in the data folder",
         lambda root: (root / DATA / "oversikt.csv").write_text("a,b\n1,2\n"), ("oversikt.csv", "not a table of the data model")),
    # -- columns
    Case("missing_column", "missing column", "projects.csv without grant_paid_nok", _drop_column("projects", "grant_paid_nok"),
         ("projects.csv", "column 'grant_paid_nok'", "missing")),
    Case("misspelt_column", "misspelt column", "grant_payd_nok", _rename_column("projects", "grant_paid_nok", "grant_payd_nok"),
         ("projects.csv", "column 'grant_paid_nok'", "'grant_payd_nok' a misspelling")),
    Case("duplicate_column", "column twice", "two 'sector' columns",
         _text("firms", lambda t: "\n".join(line + "," + line.split(",")[2] for line in t.splitlines()) + "\n"),
         ("firms.csv", "row 1", "column 'sector'", "appears twice")),
    # -- cells
    Case("non_numeric_amount", "non-numeric amount", "amount_nok = 'tre millioner'", _cell("budget", 4, "amount_nok", "tre millioner"),
         ("budget.csv", "row 4", "column 'amount_nok'", "not a number")),
    Case("negative_amount", "negative amount", "grant_paid_nok = -5000", _cell("projects", 3, "grant_paid_nok", "-5000"),
         ("projects.csv", "row 3", "column 'grant_paid_nok'", "negative")),
    Case("ambiguous_comma", "ambiguous thousands/decimal comma", "amount_nok = \"1,500\"", _cell("budget", 2, "amount_nok", "1,500"),
         ("budget.csv", "row 2", "column 'amount_nok'", "comma decimal or a thousands separator")),
    Case("infinite_amount", "infinite or huge amount", "new_fte = 1e999", _cell("jobs", 2, "new_fte", "1e999"),
         ("jobs.csv", "row 2", "column 'new_fte'", "too large")),
    Case("fractional_year", "year not a whole number", "year = 2012.5", _cell("jobs", 3, "year", "2012.5"),
         ("jobs.csv", "row 3", "column 'year'", "whole number")),
    Case("implausible_year", "implausible year", "year = 212", _cell("budget", 2, "year", "212"),
         ("budget.csv", "row 2", "column 'year'", "plausible year")),
    Case("empty_key", "NaN/empty in a key", "project_id empty", _cell("projects", 5, "project_id", ""),
         ("projects.csv", "row 5", "column 'project_id'", "is empty")),
    Case("empty_required", "empty required cell", "a firm without a name", _cell("firms", 4, "name", ""),
         ("firms.csv", "row 4", "column 'name'", "is empty")),
    Case("duplicate_project", "duplicate project id", "VT-2010-01 twice", _cell("projects", 3, "project_id", "VT-2010-01"),
         ("projects.csv", "row 3", "column 'project_id'", "appears again (first in row 2)")),
    Case("duplicate_firm", "duplicate organisation number", "a firm listed twice", _cell("firms", 3, "org_number", "100430002"),
         ("firms.csv", "row 3", "column 'org_number'", "appears again")),
    Case("bad_org_number", "organisation number not 9 digits", "org_number = 12345678", _cell("firms", 2, "org_number", "12345678"),
         ("firms.csv", "row 2", "column 'org_number'", "9-digit")),
    Case("not_yes_no", "not a yes/no value", "new_firm = 'kanskje'", _cell("firms", 2, "new_firm", "kanskje"),
         ("firms.csv", "row 2", "column 'new_firm'", "yes/no")),
    Case("unknown_budget_category", "unknown budget category", "category = 'lønn'", _cell("budget", 2, "category", "lønn"),
         ("budget.csv", "row 2", "column 'category'", "not an allowed value")),
    Case("unknown_project_type", "unknown project type", "type = 'mainproject'", _cell("projects", 2, "type", "mainproject"),
         ("projects.csv", "row 2", "column 'type'", "not an allowed value")),
    Case("unknown_survey_answer", "unknown survey category", "answer = 'Later'", _cell("survey", 2, "answer", "Later"),
         ("survey.csv", "row 2", "column 'answer'", "Did you mean 'later'")),
    # -- references and consistency
    Case("jobs_unknown_project", "jobs for an unknown project", "project_id = VT-2099-99", _cell("jobs", 2, "project_id", "VT-2099-99"),
         ("jobs.csv", "row 2", "column 'project_id'", "not in projects")),
    Case("jobs_unknown_firm", "jobs for an unknown firm", "org_number = 999999999", _cell("jobs", 2, "org_number", "999999999"),
         ("jobs.csv", "row 2", "column 'org_number'", "not in firms")),
    Case("project_unknown_firm", "project of an unknown firm", "applicant 999999999", _cell("projects", 2, "org_number", "999999999"),
         ("projects.csv", "row 2", "column 'org_number'", "not in firms")),
    Case("participant_unknown_project", "participant in an unknown project", "project_id = X-1", _cell("participants", 2, "project_id", "X-1"),
         ("participants.csv", "row 2", "column 'project_id'", "not in projects")),
    Case("cost_mismatch", "total cost is not the sum of its parts", "total_cost_nok = 999", _cell("projects", 2, "total_cost_nok", "999"),
         ("projects.csv", "row 2", "column 'total_cost_nok'", "not the grant paid plus")),
    Case("paid_over_approved", "more paid than approved", "grant_approved_nok below grant_paid_nok",
         _cell("projects", 2, "grant_approved_nok", "1000"), ("projects.csv", "row 2", "column 'grant_paid_nok'", "more grant was paid")),
    Case("jobs_before_approval", "jobs before the project was approved", "jobs in 2009 for a 2010 project", _cell("jobs", 2, "year", "2009"),
         ("jobs.csv", "row 2", "column 'year'", "before their project")),
    Case("survey_twice", "firm answered twice", "the same firm and project twice in survey.csv",
         _cell("survey", 3, "project_id", "VT-2010-01"), ("survey.csv", "row 3", "column 'project_id'", "answered twice")),
    Case("jobs_twice", "the same jobs registered twice", "jobs.csv row 2 repeated at the end", _repeat_row("jobs", 2),
         ("jobs.csv", "registered twice", "rows 2 and")),
    Case("jobs_firm_outside_project", "jobs of a firm not in the project", "a firm that is neither applicant nor participant",
         _outsider("jobs"), ("jobs.csv", "row 2", "neither its applicant nor one of its participants")),
    Case("survey_firm_outside_project", "survey answer about a project the firm is not in", "a firm answering about another's project",
         _outsider("survey"), ("survey.csv", "row 2", "neither its applicant nor one of its participants")),
    Case("grants_over_budget", "grants paid above the budget's project support", "project support cut to 1 000 000 NOK",
         _budget_support(1_000_000), ("budget.csv", "more than the budget's project support")),
    Case("absurd_fte", "absurd FTE in one row", "new_fte = 25000", _cell("jobs", 2, "new_fte", "25000"),
         ("jobs.csv", "row 2", "column 'new_fte'", "not plausible")),
    Case("year_before_1980", "a year before regional restructuring existed", "year = 1975", _cell("budget", 2, "year", "1975"),
         ("budget.csv", "row 2", "column 'year'", "between 1980 and 2100")),
    # -- the evaluation period
    Case("project_outside_period", "project approved outside the period", "year = 2018 in a 2010-2016 evaluation",
         _many(_cell("projects", 2, "year", "2018"), _cell("jobs", 2, "year", "2018"), _cell("jobs", 3, "year", "2018")),
         ("projects.csv", "row 2", "column 'year'", "outside the programme period 2010-2016")),
    Case("budget_before_period", "funds before the period", "budget year 2008", _cell("budget", 2, "year", "2008"),
         ("budget.csv", "row 2", "column 'year'", "before the programme period")),
    # -- the evaluation file
    Case("evaluation_missing", "evaluation file missing", "render missing.yaml", _remove(str(EVALUATION)),
         ("vestre-toten-2010-2016.yaml", "does not exist")),
    Case("evaluation_empty", "evaluation file empty", "0 bytes", _yaml_text(""), ("vestre-toten-2010-2016.yaml", "is empty")),
    Case("evaluation_not_yaml", "evaluation not YAML", "title: [unclosed", _yaml_text("title: [unclosed\nperiod: [2010, 2016]\n"),
         ("vestre-toten-2010-2016.yaml", "row 2", "not valid YAML")),
    Case("evaluation_not_mapping", "evaluation not a mapping", "a YAML list", _yaml_text("- title\n- data\n"),
         ("vestre-toten-2010-2016.yaml", "mapping of settings")),
    Case("evaluation_not_utf8", "evaluation not UTF-8", "Latin-1 'ø' in the title", _yaml_text("title: Gj\xf8vik\n".encode("latin-1")),
         ("vestre-toten-2010-2016.yaml", "not UTF-8")),
    Case("evaluation_alias", "YAML anchors and aliases", "client: &c X / evaluator: *c",
         lambda root: (root / EVALUATION).write_text(EVALUATION_TEXT.replace("client: Vestre Toten kommune", "client: &c Vestre Toten kommune")
                                                      .replace("evaluator: evalkit", "evaluator: *c")),
         ("vestre-toten-2010-2016.yaml", "row 7", "anchors or aliases")),
    Case("evaluation_alias_bomb", "YAML alias bomb (billion laughs)", "nine levels of lists of aliases",
         _yaml_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
             f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)) + EVALUATION_TEXT),
         ("vestre-toten-2010-2016.yaml", "row 1", "anchors or aliases")),
    Case("evaluation_merge_key", "YAML merge key", "parameters: {<<: {...}}",
         lambda root: (root / EVALUATION).write_text(EVALUATION_TEXT.replace("parameters:\n", "parameters:\n  <<: {seed: 1}\n")),
         ("vestre-toten-2010-2016.yaml", "row 10", "merge keys")),
    Case("unquoted_date", "a date setting without quotes", "data_date: 2017-12-31",
         lambda root: (root / EVALUATION).write_text(EVALUATION_TEXT + "data_date: 2017-12-31\n"),
         ("vestre-toten-2010-2016.yaml", "row 12", 'write the date in quotes, e.g. data_date: "2017-12-31"')),
    Case("unknown_setting", "unknown setting", "colour: blue", _setting(colour="blue"),
         ("vestre-toten-2010-2016.yaml", "'colour' is not a known setting")),
    Case("misspelt_setting", "misspelt setting", "titel instead of title", _setting(title=None, titel="Evaluering"),
         ("vestre-toten-2010-2016.yaml", "'title'")),
    Case("duplicate_setting", "setting given twice", "two 'period:' lines",
         lambda root: (root / EVALUATION).write_text((root / EVALUATION).read_text() + "period: [2010, 2017]\n"),
         ("vestre-toten-2010-2016.yaml", "row 12", "'period' is given twice")),
    Case("period_wrong_type", "period of the wrong type", "period: 2010-2016", _setting(period="2010-2016"),
         ("vestre-toten-2010-2016.yaml", "row 4", "'period'")),
    Case("period_reversed", "period reversed", "period: [2016, 2010]", _setting(period=[2016, 2010]),
         ("vestre-toten-2010-2016.yaml", "period must be [first year, last year]")),
    Case("unknown_language", "unknown report language", "language: de", _setting(language="de"),
         ("vestre-toten-2010-2016.yaml", "'language'", "nb")),
    Case("negative_target", "negative target", "target_jobs: -300", _setting(target_jobs=-300),
         ("vestre-toten-2010-2016.yaml", "'target_jobs'", "greater than 0")),
    Case("notebook_missing", "notebook missing", "notebook: ../notebooks/nope.ipynb", _setting(notebook="../notebooks/nope.ipynb"),
         ("vestre-toten-2010-2016.yaml", "row 2", "nope.ipynb does not exist")),
    Case("data_folder_missing", "data folder missing", "data: ../data/nowhere", _setting(data="../data/nowhere"),
         ("vestre-toten-2010-2016.yaml", "row 3", "nowhere does not exist")),
    # -- notebook parameters
    Case("unknown_parameter", "unknown (mistyped) parameter", "municipality_nam: X", _setting(**{"parameters.municipality_nam": "X"}),
         ("parameter 'municipality_nam'", "Did you mean 'municipality_name'")),
    Case("parameter_wrong_type", "parameter of the wrong type", "municipality_code: 3443 (a number)",
         _setting(**{"parameters.municipality_code": 3443}), ("parameter 'municipality_code'", "must be of type str")),
    Case("parameter_text_for_number", "text for a number parameter", "persistence_years: many",
         _setting(**{"parameters.persistence_years": "many"}),
         ("parameter 'persistence_years'", "must be of type float")),
    Case("ssb_dir_missing", "SSB folder missing", "ssb_dir: ../data/nope", _setting(**{"parameters.ssb_dir": "../data/nope"}),
         ("parameter 'ssb_dir'", "does not exist")),
    Case("unknown_municipality", "unknown municipality code", "municipality_code: '9999'",
         _setting(**{"parameters.municipality_code": "9999"}), ("parameter 'municipality_code'", "'9999' is not a municipality code")),
    Case("old_municipality_code", "municipality code from before a merger", "municipality_code: '0529'",
         _setting(**{"parameters.municipality_code": "0529"}), ("parameter 'municipality_code'", "today it is '3443'")),
    Case("donors_hold_treated", "comparison donors holding the programme municipality", "comparison_donors: ['3443', '3401']",
         _setting(**{"parameters.comparison_donors": ["3443", "3401"]}), ("parameter 'comparison_donors'", "'3443'")),
    Case("donors_repeated", "a comparison donor listed twice", "comparison_donors: ['3401', '3405', '3401']",
         _setting(**{"parameters.comparison_donors": ["3401", "3405", "3401"]}), ("parameter 'comparison_donors'", "listed twice")),
    Case("exclude_donors_unknown", "an unknown code in exclude_donors", "exclude_donors: ['9999']",
         _setting(**{"parameters.exclude_donors": ["9999"]}), ("parameter 'exclude_donors'", "'9999' is not a municipality code")),
    Case("pre_period_overlaps", "pre-period overlapping the programme", "pre_period: [2005, 2011] for a 2010-2016 programme",
         _setting(**{"parameters.pre_period": [2005, 2011]}), ("parameter 'pre_period'", "overlaps the programme period")),
    Case("pre_period_one_year", "pre-period of one year", "pre_period: [2009, 2009]",
         _setting(**{"parameters.pre_period": [2009, 2009]}), ("parameter 'pre_period'", "at least two years")),
    Case("priority_sector_misspelt", "monitoring: a priority sector no project has", "priority_sectors: [Industy, IKT]",
         _monitoring(**{"parameters.priority_sectors": ["Industy", "IKT"]}), ("parameter 'priority_sectors'", "did you mean 'Industri'")),
    Case("municipality_codes_repeated", "monitoring: a municipality listed twice", "municipality_codes: ['3407', '3443', '3407']",
         _monitoring(**{"parameters.municipality_codes": ["3407", "3443", "3407"]}), ("parameter 'municipality_codes'", "listed twice")),
    # -- the output location
    Case("output_is_file", "output is a file", "-o notes.txt", lambda root: (root / "notes.txt").write_text("mine"),
         ("notes.txt", "is a file"), output="notes.txt"),
    Case("output_foreign_folder", "output folder exists and is not a report", "-o a folder of one's own documents",
         lambda root: (root / "mine").mkdir() or (root / "mine" / "letter.docx").write_text("x"),
         ("mine", "not an evalkit report"), output="mine"),
    Case("output_report_with_own_file", "report folder holding a file no render wrote",
         "-o an earlier report, with one's own letter.docx added", _earlier_report_with_own_file,
         ("previous", "files no render wrote", "letter.docx"), output="previous"),
    Case("output_is_data", "output would replace the inputs", "-o data/vestre_toten", lambda root: None,
         ("vestre_toten", "evaluation's input"), output=str(DATA)),
    Case("output_read_only", "read-only output location", "-o /sys/evalkit-report", lambda root: None,
         ("/sys", "cannot be written"), output="/sys/evalkit-report"),
]


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def run_case(case: Case, root: Path, capsys) -> tuple[int, str, dict[str, str], dict[str, str], Path]:
    """Break a fresh copy as the case says, render it, return (code, stderr, hashes before/after, output)."""
    _copy(root)
    case.change(root)
    before = _hashes(root)
    out = root / (case.output or "out") if not (case.output or "").startswith("/") else Path(case.output)
    code = main(["render", str(root / EVALUATION), "-o", str(out)])
    err = capsys.readouterr().err
    return code, err, before, _hashes(root), out


def normalise(message: str, root: Path) -> str:
    """The message without the machine-specific folder, as the catalogue shows it."""
    text = message.strip().removeprefix("evalkit: error: ")
    text = text.replace(str(root.resolve()) + "/", "").replace(str(root) + "/", "")
    # The notebook's parameter list grows as the report does; the catalogue need not follow it.
    return re.sub(r"Known parameters: .*$", "Known parameters: (the notebook's list).", text)


def documented() -> dict[str, tuple[str, str, str]]:
    """``{key: (class, example, message)}`` from docs/bad-input.md."""
    rows = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 5 and cells[0].isdigit():
            key = cells[1].split("`")[1] if "`" in cells[1] else cells[1]
            rows[key] = (cells[2], cells[3].strip("`"), cells[4].strip("`"))
    return rows


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_bad_input_gives_one_clear_message(case: Case, tmp_path: Path, capsys) -> None:
    root = tmp_path / "copy"
    code, err, before, after, out = run_case(case, root, capsys)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), err
    assert "Traceback" not in err
    for name in case.names:
        assert name in err, (name, err)
    if case.output is None:  # the output location is part of these cases' input
        assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")] if out.parent.is_dir() else True
    assert not (root / "reports").exists()
    assert before == after  # inputs are never modified
    message = normalise(err, root)
    assert documented().get(case.key, (None, None, None))[2] == message, (
        "docs/bad-input.md is out of date: run .venv/bin/python tests/test_bad_input.py"
    )


def test_catalogue_lists_every_class_once() -> None:
    rows = documented()
    recovered = {c.key for c in RECOVERED}
    assert set(rows) == {c.key for c in CASES} | recovered | {c.key for c in API_CASES}
    assert len(CASES) >= 40


# --- recoverable, unambiguous mistakes: read correctly and said in the notes --------------------


@dataclass(frozen=True)
class Recovered:
    key: str
    klass: str
    example: str
    change: Callable[[Path], None]
    check: Callable[[object], bool]  # the loaded Programme holds the right values
    note: str  # words the note must hold


def _norwegian_budget(root: Path) -> None:
    frame = _table(root, "budget")
    frame.loc[0, "amount_nok"] = "433 000,00"
    frame.loc[1, "amount_nok"] = "38000,5"
    (root / DATA / "budget.csv").write_text(frame.to_csv(index=False, sep=";"), encoding="utf-8")


def _latin1_firms(root: Path) -> None:
    text = (root / DATA / "firms.csv").read_text(encoding="utf-8")
    (root / DATA / "firms.csv").write_bytes(text.encode("cp1252"))


def _excel_one_sheet_of_three(root: Path) -> None:
    frame = _table(root, "firms")
    (root / DATA / "firms.csv").unlink()
    with pd.ExcelWriter(root / DATA / "firms.xlsx") as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Forside")
        frame.to_excel(writer, sheet_name="Ark1", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Ark2")


def _excel_title_above_header(root: Path) -> None:
    frame = _table(root, "projects")
    frame["grant_paid_nok"] = frame["grant_paid_nok"].astype(float).map(lambda v: f"{v:,.2f}".replace(",", "\u00a0").replace(".", ","))
    (root / DATA / "projects.csv").unlink()
    with pd.ExcelWriter(root / DATA / "projects.xlsx") as writer:
        pd.DataFrame([["Prosjektoversikt Vestre Toten"], [""]]).to_excel(writer, sheet_name="projects", index=False, header=False)
        frame.to_excel(writer, sheet_name="projects", index=False, startrow=2)


def _non_tables(root: Path) -> None:
    (root / DATA / "README.md").write_text("notes on the data")
    (root / DATA / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    lock = root / DATA / ".~lock.jobs.csv#"
    lock.write_text(",kari,laptop,28.02.2018 10:12,file:///home/kari/.config/libreoffice/4;")
    lock.chmod(0)


RECOVERED: list[Recovered] = [
    Recovered("non_tables_ignored", "files that are obviously not tables", "README.md, .DS_Store, an unreadable .~lock.jobs.csv#",
              _non_tables, lambda p: ".~lock.jobs.csv#" not in p.inputs and len(p.inputs) == 6,
              "not tables and were not read"),
    Recovered("excel_hidden_sheet", "Excel: a hidden sheet named like the table", "hidden sheet 'firms', the table on 'Ark1'",
              _excel_workbook("firms", sheets=("firms", "Ark1"), hidden=("firms",)),
              lambda p: len(p.firms) == len(load_programme(ROOT / DATA).firms), "is hidden and was not read"),
    Recovered("excel_hidden_rows", "Excel: hidden or filtered rows (counted and read, not dropped)", "rows 3 and 5 of jobs.xlsx hidden",
              _excel_workbook("jobs", hidden_rows=(3, 5)),
              lambda p: p.jobs["new_fte"].sum() == load_programme(ROOT / DATA).jobs["new_fte"].sum(), "are hidden"),
    Recovered("utf8_bom", "UTF-8 byte-order mark", "CSV UTF-8 from Excel",
              lambda root: (root / DATA / "jobs.csv").write_bytes(b"\xef\xbb\xbf" + (root / DATA / "jobs.csv").read_bytes()),
              lambda p: list(p.jobs.columns)[0] == "project_id", "jobs.csv starts with a UTF-8 byte-order mark"),
    Recovered("latin1", "Latin-1 / Windows-1252 encoding", "firms.csv saved as ANSI", _latin1_firms,
              lambda p: p.firms["name"].str.contains("ø|å|æ|Ø|Å|Æ").any(), "firms.csv is not UTF-8; it was read as Windows-1252"),
    Recovered("norwegian_csv", "';' separator and comma decimals", "433 000,00 in a ';' file", _norwegian_budget,
              lambda p: p.budget["amount_nok"].iloc[:2].tolist() == [433000.0, 38000.5],
              "written the Norwegian way (e.g. '433 000,00' in row 2)"),
    Recovered("trailing_blank_rows", "trailing blank rows", "three empty rows at the end",
              _text("jobs", lambda t: t + ",,,,\n\n,,,,\n"), lambda p: len(p.jobs) == len(load_programme(ROOT / DATA).jobs),
              "jobs.csv ends with 3 blank row(s)"),
    Recovered("blank_row_inside", "blank row in the middle", "an empty line after row 3",
              _text("budget", lambda t: "\n".join(t.splitlines()[:3] + [""] + t.splitlines()[3:]) + "\n"),
              lambda p: list(p.budget.attrs["file_rows"][:4]) == [2, 3, 5, 6], "budget.csv has blank row(s) 4"),
    Recovered("header_case", "column name in another case", "Project_ID, Year",
              lambda root: _write(root, "jobs", _table(root, "jobs").rename(columns={"project_id": "Project_ID", "year": " Year"})),
              lambda p: "project_id" in p.jobs.columns, "were read as 'project_id', 'year'"),
    Recovered("excel_one_sheet", "Excel: several sheets, one with data", "sheets Forside, Ark1, Ark2", _excel_one_sheet_of_three,
              lambda p: len(p.firms) == len(load_programme(ROOT / DATA).firms), "read from the sheet 'Ark1'"),
    Recovered("excel_title_rows", "Excel: title above the header, no-break-space thousands", "a title in row 1, header in row 3",
              _excel_title_above_header,
              lambda p: p.projects["grant_paid_nok"].sum() == load_programme(ROOT / DATA).projects["grant_paid_nok"].sum(),
              "column names are in row 3"),
]


@pytest.mark.parametrize("case", RECOVERED, ids=[c.key for c in RECOVERED])
def test_recoverable_mistake_is_read_and_noted(case: Recovered, tmp_path: Path) -> None:
    root = _copy(tmp_path / "copy")
    case.change(root)
    before = _hashes(root)
    prepare(root / EVALUATION)  # the render path accepts it
    programme = load_programme(root / DATA)
    assert case.check(programme)
    notes = [n for n in programme.notes if case.note in n]
    assert notes, programme.notes
    assert _hashes(root) == before
    assert documented()[case.key][2] == notes[0]


def test_rows_after_a_blank_row_keep_their_numbers(tmp_path: Path) -> None:
    root = _copy(tmp_path / "copy")
    lines = (root / DATA / "budget.csv").read_text().splitlines()
    lines.insert(3, "")
    lines[5] = lines[5].rsplit(",", 1)[0] + ",-1"  # the 5th data row now sits on line 6
    (root / DATA / "budget.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"budget.csv, row 6, column 'amount_nok'"):
        load_programme(root / DATA)


# --- API-level classes (no CLI path yet): assumptions and SSB readers ---------------------------


def test_assumptions_outside_their_range_name_the_parameter() -> None:
    from evalkit.methods.net_effect.assumptions import assumptions_for

    with pytest.raises(InputError, match="parameter 'leakage'"):
        assumptions_for(leakage=1.5)
    with pytest.raises(InputError, match="parameter 'multiplier'"):
        assumptions_for(multiplier=0.8)


# --- API-level classes: the SSB readers and the analysis functions --------------------------------


STATBANK_HEADER = '"region";"age";"Persons 2019"\n'


def _statbank(body: str, **options) -> Callable[[Path], object]:
    """Write a small Statbank export (Latin-1, as downloaded) and read it with ``options``."""

    def call(root: Path) -> object:
        path = root / "07459.csv"
        path.write_bytes((STATBANK_HEADER + body).encode("latin-1"))
        return read_statbank_csv(path, **options)

    return call


def _jsonstat(text: str, reader: str = "read_jsonstat") -> Callable[[Path], object]:
    def call(root: Path) -> object:
        path = root / "05300.json"
        path.write_text(text, encoding="utf-8")
        return getattr(ssb, reader)(path)

    return call


def _dataset_text(**changes) -> str:
    doc = {"class": "dataset", "id": ["Region", "Tid"], "size": [1, 2],
           "dimension": {"Region": {"category": {"index": ["3443"]}}, "Tid": {"category": {"index": ["2020", "2021"]}}},
           "value": [6000, 6100], "role": {"time": ["Tid"]}}
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not None}, indent=1)


def _panel(text: str) -> Callable[[Path], object]:
    def call(root: Path) -> object:
        path = root / "ssb07459.csv"
        path.write_text(text, encoding="utf-8")
        return read_population_panel(path)

    return call


def _survey_answer_left_out(root: Path) -> object:
    from evalkit import DEFAULT_ANSWER_WEIGHTS, attribute_jobs, survey_deadweight
    from evalkit.io.programme import check_table, read_table_bytes

    programme = load_programme(ROOT / DATA)
    first = programme.survey.iloc[0]
    text = f"org_number,project_id,answer,expected_jobs\n{first['org_number']},{first['project_id']},as_planned,\n\n"
    text += f"{first['org_number']},{first['project_id']},later,\n"
    frame, notes = read_table_bytes(text.encode("utf-8"), "survey.csv", "survey")
    survey = check_table(frame, "survey", "survey.csv", notes)
    attribution = attribute_jobs(programme.projects, programme.jobs, period=(2010, 2016))
    weights = {k: v for k, v in DEFAULT_ANSWER_WEIGHTS.items() if k != "later"}
    return survey_deadweight(survey, attribution, answer_weights=weights)


def _unreadable_table(root: Path) -> object:
    from unittest import mock

    folder = root / "data"
    shutil.copytree(ROOT / DATA, folder)
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "jobs.csv":  # what mode 000 gives a user who is not root
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    with mock.patch.object(Path, "read_bytes", read_bytes):
        return load_programme(folder)


API_CASES: list[Case] = [
    Case("unreadable_table", "table file that cannot be read", "jobs.csv with mode 000 (tests/test_programme.py runs it as nobody)",
         _unreadable_table, ("jobs.csv", "cannot be read (Permission denied)")),
    Case("statbank_header_only", "Statbank export: header, no rows", "07459.csv with only its header line",
            _statbank(""), ("07459.csv", "row 2", "no data rows")),
    Case("statbank_folder", "Statbank export: a folder given", "read_statbank_csv('exports'), a folder",
            lambda root: (root / "exports").mkdir() or read_statbank_csv(root / "exports"), ("exports", "is a folder")),
    Case("statbank_wrong_encoding", "Statbank export: encoding given does not fit", "encoding='utf-8' on a Latin-1 'Søndre Land'",
            _statbank('"3447 Søndre Land";"Alle";"5"\n', encoding="utf-8"),
            ("07459.csv", "row 2", "not utf-8 text")),
    Case("statbank_nan_cell", "Statbank export: 'nan' or 'inf' as a value", "Persons 2019 = nan",
            _statbank('"3443 Vestre Toten";"Alle";"nan"\n'), ("07459.csv", "row 2", "column 'Persons 2019'", "neither a number")),
    Case("statbank_underscore_number", "Statbank export: a Python-style number", "Persons 2019 = 1_000",
            _statbank('"3443 Vestre Toten";"Alle";"1_000"\n'), ("07459.csv", "row 2", "column 'Persons 2019'", "neither a number")),
    Case("statbank_short_row", "Statbank export: a row with too few fields", "a row without its value",
            _statbank('"3443 Vestre Toten";"Alle";"1"\n"3447 Søndre Land";"Alle"\n'), ("07459.csv", "row 3", "2 fields")),
    Case("jsonstat_not_json", "JSON-stat2: not JSON", "a response cut off after 3 lines",
            _jsonstat('{\n "class": "dataset",\n "id": ["Region",\n'), ("05300.json", "row 4", "not valid JSON")),
    Case("jsonstat_missing_key", "JSON-stat2: a required key missing", "no 'size'",
            _jsonstat(_dataset_text(size=None)), ("05300.json", "no 'size'")),
    Case("jsonstat_value_length", "JSON-stat2: 'value' does not fit 'size'", "3 values for 1 x 2 cells",
            _jsonstat(_dataset_text(value=[1, 2, 3])), ("05300.json", "'value' has 3 cells but the dimensions give 2")),
    Case("employment_quarterly", "employment table: time not in years", "Tid = 2020K1",
            _jsonstat(_dataset_text(dimension={"Region": {"category": {"index": ["3443"]}},
                                               "Tid": {"category": {"index": ["2020K1", "2020K2"]}}}), "read_employment_table"),
            ("05300.json", "'2020K1' is not a year")),
    Case("population_not_a_number", "population panel: a count that is not a number", "pop = x after a blank line",
            _panel("municipality_code,municipality_name,year,pop\n3443,Vestre Toten,2017,13300\n\n3443,Vestre Toten,2018,x\n"),
            ("ssb07459.csv", "row 4", "column 'pop'", "whole number")),
    Case("population_missing_column", "population panel: a column missing", "no municipality_name",
            _panel("municipality_code,year,pop\n3443,2017,13300\n"), ("ssb07459.csv", "column 'municipality_name'", "missing")),
    Case("survey_answer_outside_mapping", "survey answer the analyst's mapping leaves out", "'later' after a blank row, mapping without 'later'",
            _survey_answer_left_out, ("survey.csv", "row 4", "column 'answer'", "unknown survey answer")),
]


@pytest.mark.parametrize("case", API_CASES, ids=[c.key for c in API_CASES])
def test_api_bad_input_gives_one_input_error(case: Case, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        case.change(tmp_path)
    message = normalise(str(err.value), tmp_path)
    assert "\n" not in message
    for name in case.names:
        assert name in message, (name, message)
    assert documented().get(case.key, (None, None, None))[2] == message, (
        "docs/bad-input.md is out of date: run .venv/bin/python tests/test_bad_input.py"
    )


# --- the catalogue: docs/bad-input.md -----------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_catalogue(work: Path) -> None:
    """Regenerate docs/bad-input.md from the real messages."""

    class _Capture:
        def readouterr(self):
            return _Result(sys.stderr.getvalue())

    @dataclass
    class _Result:
        err: str

    lines = [
        "# Bad input: the catalogue",
        "",
        "Every class of bad input evalkit was tried with, what the example was, and the message",
        "`evalkit render` gives (exit code 2, no traceback, no report folder, inputs unchanged).",
        "Generated from the real messages by `.venv/bin/python tests/test_bad_input.py`;",
        "`tests/test_bad_input.py` fails when a message here differs from the real one.",
        "Paths are shown relative to the evaluation's project folder (the copy used in the test).",
        "",
        "## Rejected, with one message",
        "",
        "| # | key | class | example | message |",
        "|---|---|---|---|---|",
    ]
    for number, case in enumerate(CASES, start=1):
        root = work / case.key
        old = sys.stderr
        sys.stderr = io.StringIO()
        try:
            _, err, *_ = run_case(case, root, _Capture())
        finally:
            sys.stderr = old
        lines.append(f"| {number} | `{case.key}` | {_md(case.klass)} | `{_md(case.example)}` | `{_md(normalise(err, root))}` |")
    lines += [
        "",
        "## Recoverable and unambiguous: read correctly, said in the data-quality appendix",
        "",
        "These are not errors: the loader reads them right and adds the note to `Programme.notes`,",
        "which the report shows in its \"Data og metode / Data and method\" chapter.",
        "",
        "| # | key | class | example | message |",
        "|---|---|---|---|---|",
    ]
    for number, case in enumerate(RECOVERED, start=len(CASES) + 1):
        root = _copy(work / case.key)
        case.change(root)
        note = next(n for n in load_programme(root / DATA).notes if case.note in n)
        lines.append(f"| {number} | `{case.key}` | {_md(case.klass)} | `{_md(case.example)}` | `{_md(note)}` |")
    lines += [
        "",
        "## Rejected through the library's API: SSB readers and analysis functions",
        "",
        "Called directly (not through `evalkit render`): one `InputError` naming the file, row and column",
        "(or the parameter). Row numbers are the file's lines: blank lines and a title above the header count.",
        "A Statbank export is read as UTF-8 when its bytes are UTF-8, else as Latin-1 (`attrs[\"encoding\"]`",
        "says which); `tests/test_fuzz_readers.py` feeds the readers generated files and documents.",
        "",
        "| # | key | class | example | message |",
        "|---|---|---|---|---|",
    ]
    for number, api in enumerate(API_CASES, start=len(CASES) + len(RECOVERED) + 1):
        root = work / api.key
        root.mkdir(parents=True)
        try:
            api.change(root)
        except InputError as error:
            message = normalise(str(error), root)
        else:
            raise AssertionError(f"{api.key}: no InputError")
        lines.append(f"| {number} | `{api.key}` | {_md(api.klass)} | `{_md(api.example)}` | `{_md(message)}` |")
    lines += [
        "",
        "Also: a share outside 0-1 (`assumptions_for(leakage=1.5)`) and a multiplier below 1 give an `InputError`",
        "naming the parameter (see `evalkit.methods.net_effect.assumptions`).",
        "",
        "## Judgement calls",
        "",
        "- **Hidden or filtered rows in a workbook are read and counted in a note, not dropped and not refused.**",
        "  A hidden row is still a row of the register: dropping it would change the figures without anyone",
        "  deciding so, and refusing would make people unhide rows they hid only to look at others. The note",
        "  (in the report's data-quality appendix) names the rows, so a row hidden *to leave it out* is seen.",
        "- **Hidden sheets are never read.** A hidden sheet named like the table is noted; data only on hidden",
        "  sheets is refused (unhide it, or copy the table to a visible sheet).",
        "- **Budget years after the evaluation period are accepted** (a status report's frame plans the years",
        "  ahead, as Gjøvikregionen's budget does to 2020); budget years *before* the period are refused",
        "  (`budget_before_period`). Grants paid above the budget's `project_support` are refused.",
        "- **Obvious non-tables in the data folder are ignored, not opened, and listed in a note**: hidden files",
        "  and folders, README/notes/licence files, documents (.md, .pdf, .docx, .txt, ...), backups (.bak, .old,",
        "  `~`), `.DS_Store`, `Thumbs.db`, office lock files (`.~lock.*#`, `~$*`). Any other file is refused",
        "  with the nearest table name, so that a misnamed optional table is never silently left out.",
        "- **Data-quality notes never quote a firm's name, organisation number or project title**, whatever",
        "  `publish_firm_names` says: the notes are published in the report; the row and column are given instead.",
        "- **An output folder is replaced only if every file in it is listed in its `.evalkit-manifest.json`**",
        "  (written by each render); a report from before manifests existed must be moved or emptied once.",
        "",
    ]
    CATALOGUE.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        write_catalogue(Path(work))
    print(f"wrote {CATALOGUE}")


# --- no jobs at all is a real state: the report renders ---------------------------------------------


def test_an_axis_of_zeros_gets_tick_labels() -> None:
    import matplotlib.pyplot as plt

    from evalkit.report.style import LocaleFormatter

    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [0.0, 0.0])
    ax.yaxis.set_major_formatter(LocaleFormatter("nb"))
    ax.set_ylim(0, 1e-12)  # what a chart scaled to its largest value gets when every value is 0
    fig.canvas.draw()  # log10 of a zero tick spacing failed here
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "0"
    plt.close(fig)


def _no_jobs(kind: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        jobs = _table(root, "jobs")
        if kind == "header_only":
            jobs = jobs.iloc[:0]
        else:
            jobs["new_fte"], jobs["secured_fte"] = "0", "0"
        _write(root, "jobs", jobs)

    return change


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["header_only", "all_zero"])
def test_a_programme_without_jobs_renders(kind: str, tmp_path: Path, capsys) -> None:
    root = _copy(tmp_path / "copy")
    _no_jobs(kind)(root)
    code = main(["render", str(root / EVALUATION), "-o", str(root / "out")])
    assert code == 0, capsys.readouterr().err
    figures = json.loads((root / "out" / "results.json").read_text())["figures"]
    assert figures["jobs.registered.total"] == 0
