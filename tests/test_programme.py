"""Loading a programme's records: good data, and one clear message for each kind of bad data."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import TINY, write_programme
from evalkit import InputError, load_programme


def test_tiny_programme_loads_with_types(tiny_folder):
    programme = load_programme(tiny_folder)
    assert len(programme.projects) == 3
    assert programme.projects["grant_paid_nok"].dtype == float
    assert programme.firms["new_firm"].tolist() == [False, True, False]
    assert programme.firms["org_number"].tolist() == ["111111111", "222222222", "333333333"]
    assert set(programme.inputs) == {f"{t}.csv" for t in TINY}
    assert all(len(h) == 64 for h in programme.inputs.values())


def test_optional_tables_may_be_absent(tmp_path):
    tables = {k: v for k, v in TINY.items() if k not in ("survey", "participants")}
    programme = load_programme(write_programme(tmp_path / "p", tables))
    assert programme.survey.empty and list(programme.survey.columns)[:2] == ["org_number", "project_id"]


def test_excel_tables_load_like_csv(tmp_path):
    folder = tmp_path / "xlsx"
    folder.mkdir()
    for name, frame in TINY.items():
        frame.to_excel(folder / f"{name}.xlsx", index=False)
    programme = load_programme(folder)
    assert programme.projects["grant_paid_nok"].sum() == 800000
    assert programme.jobs["new_fte"].sum() == pytest.approx(6.5)


def _broken(tmp_path, table, change):
    tables = {k: v.copy() for k, v in TINY.items()}
    tables[table] = change(tables[table])
    return write_programme(tmp_path / "broken", tables)


@pytest.mark.parametrize(
    "table, change, where, words",
    [
        ("projects", lambda f: f.drop(columns="grant_paid_nok"), "projects.csv, column 'grant_paid_nok'", "missing"),
        ("projects", lambda f: f.assign(grant_paid_nok=["100000", "abc", "250000"]), "projects.csv, row 3, column 'grant_paid_nok'", "'abc' is not a number"),
        ("projects", lambda f: f.assign(project_id=["P1", "P1", "P3"]), "projects.csv, row 3, column 'project_id'", "appears again (first in row 2)"),
        ("projects", lambda f: f.assign(type=["forstudie", "mainproject", "nettverk"]), "projects.csv, row 3, column 'type'", "not an allowed value"),
        ("budget", lambda f: f.assign(amount_nok=[1, -5, 1, 1]), "budget.csv, row 3, column 'amount_nok'", "negative"),
        ("jobs", lambda f: f.assign(project_id=["P1", "P9", "P2"]), "jobs.csv, row 3, column 'project_id'", "'P9', which is not in projects"),
        ("firms", lambda f: f.assign(new_firm=["false", "maybe", "false"]), "firms.csv, row 3, column 'new_firm'", "not a yes/no"),
        ("firms", lambda f: f.assign(org_number=["111111111", "22222", "333333333"]), "firms.csv, row 3, column 'org_number'", "9-digit"),
        ("projects", lambda f: f.assign(total_cost_nok=[200000, 999, 250000]), "projects.csv, row 3, column 'total_cost_nok'", "not the grant paid plus"),
        ("survey", lambda f: f.assign(answer=["later", "perhaps"]), "survey.csv, row 3, column 'answer'", "not an allowed value"),
    ],
)
def test_bad_data_gives_one_clear_message(tmp_path, table, change, where, words):
    folder = _broken(tmp_path, table, change)
    with pytest.raises(InputError) as caught:
        load_programme(folder)
    message = str(caught.value)
    assert where in message
    assert words in message


def test_missing_table_and_empty_file(tmp_path):
    folder = write_programme(tmp_path / "p")
    (folder / "jobs.csv").unlink()
    with pytest.raises(InputError, match="the table 'jobs' is missing"):
        load_programme(folder)
    (folder / "jobs.csv").write_text("")
    with pytest.raises(InputError, match="jobs.csv: is empty"):
        load_programme(folder)


def test_inputs_are_not_modified(tiny_folder):
    before = {p.name: p.read_bytes() for p in tiny_folder.iterdir()}
    load_programme(tiny_folder)
    assert before == {p.name: p.read_bytes() for p in tiny_folder.iterdir()}


def _firm_values(programme) -> set[str]:
    return set(programme.firms["name"]) | set(programme.firms["org_number"]) | set(programme.projects["title"])


def test_notes_never_quote_a_firm_name_or_number(tmp_path):
    tables = {k: v.copy() for k, v in TINY.items()}
    tables["firms"]["name"] = ["Bjørnstad AS", "Beta AS", "Gamma AS"]
    folder = write_programme(tmp_path / "p", tables)
    text = (folder / "firms.csv").read_text(encoding="utf-8")
    (folder / "firms.csv").write_bytes(text.encode("cp1252"))  # saved as "ANSI": the note speaks of it
    programme = load_programme(folder)
    assert programme.firms["name"].iloc[0] == "Bjørnstad AS"
    notes = [n for n in programme.notes if n.startswith("firms.csv is not UTF-8")]
    assert notes == ["firms.csv is not UTF-8; it was read as Windows-1252 (Latin-1), so that letters such as "
                     "æ, ø and å read right (the first in row 2, column 'name')."]
    assert not any(value in note for note in programme.notes for value in _firm_values(programme))


def test_the_encoding_note_quotes_a_cell_that_names_no_firm(tmp_path):
    tables = {k: v.copy() for k, v in TINY.items()}
    tables["firms"]["name"] = ["Bjørnstad AS", "Beta AS", "Gamma AS"]
    tables["firms"]["sector"] = ["Industri", "Bioøkonomi", "Industri"]
    folder = write_programme(tmp_path / "p", tables)
    (folder / "firms.csv").write_bytes((folder / "firms.csv").read_text(encoding="utf-8").encode("cp1252"))
    notes = load_programme(folder).notes
    assert "firms.csv is not UTF-8; it was read as Windows-1252 (Latin-1), so that e.g. 'Bioøkonomi' reads right." in notes


def test_redaction_withholds_any_quoted_firm_value():
    from evalkit.io.programme import WITHHELD, redact_notes

    firms = pd.DataFrame({"org_number": ["111111111"], "name": ["Alfa AS"]})
    notes = redact_notes(["x.csv: 'Alfa AS' and '111111111' and 'Industri'."], {"firms": firms})
    assert notes == (f"x.csv: {WITHHELD} and {WITHHELD} and 'Industri'.",)


# --- the data folder: only its tables are read, and only they are hashed ------------------------


def test_a_table_linked_from_outside_the_data_folder_is_refused(tmp_path):
    folder = write_programme(tmp_path / "p")
    outside = tmp_path / "elsewhere.csv"
    (folder / "jobs.csv").rename(outside)
    (folder / "jobs.csv").symlink_to(outside)
    with pytest.raises(InputError) as caught:
        load_programme(folder)
    assert str(caught.value).startswith(f"{folder / 'jobs.csv'}: is a symbolic link to {outside}, outside the data folder.")


def test_a_link_inside_the_data_folder_is_read(tmp_path):
    folder = write_programme(tmp_path / "p")
    (folder / "jobs.csv").rename(folder / "jobs-2017.bak")
    (folder / "jobs.csv").symlink_to("jobs-2017.bak")
    assert len(load_programme(folder).jobs) == 3


@pytest.mark.parametrize("name, table", [("survey_2017.csv", "survey"), ("participant.csv", "participants"),
                                         ("Jobber.xlsx", "jobs")])
def test_a_misnamed_table_is_named_with_the_nearest_table(tmp_path, name, table):
    folder = write_programme(tmp_path / "p")
    (folder / name).write_text("x\n1\n")
    with pytest.raises(InputError) as caught:
        load_programme(folder)
    assert str(caught.value).startswith(f"{folder / name}: is not a table of the data model (is it the table '{table}'?).")


def test_an_unknown_file_is_refused(tmp_path):
    folder = write_programme(tmp_path / "p")
    (folder / "oversikt.csv").write_text("x\n1\n")
    with pytest.raises(InputError, match=r"oversikt.csv: is not a table of the data model\. Tables: budget"):
        load_programme(folder)


def test_obvious_non_tables_are_neither_read_nor_hashed(tmp_path):
    folder = write_programme(tmp_path / "p")
    lock = folder / ".~lock.jobs.csv#"
    lock.write_text("someone,host,1;")
    lock.chmod(0)  # LibreOffice's lock file of an open table: not readable by others
    (folder / "README.md").write_text("notes")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / "~$jobs.xlsx").write_bytes(b"lock")
    (folder / "archive").mkdir()
    programme = load_programme(folder)
    assert set(programme.inputs) == {f"{t}.csv" for t in TINY}
    assert ("The data folder holds 5 file(s) that are not tables and were not read: "
            ".DS_Store, .~lock.jobs.csv#, README.md, archive/, ~$jobs.xlsx.") in programme.notes


UNREADABLE = """
import os, sys
sys.path.insert(0, sys.argv[2])
from evalkit.errors import InputError
from evalkit.io.programme import load_programme
if os.getuid() == 0:  # root reads any file: read as nobody, for whom mode 000 means what it means to a consultant
    os.setgid(65534)
    os.setuid(65534)
try:
    load_programme(sys.argv[1])
except InputError as error:
    print(error)
"""


def test_an_unreadable_table_is_an_input_error(tmp_path):
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    shared = Path(tempfile.mkdtemp(dir="/tmp"))  # a folder another user can enter (pytest's are private)
    try:
        shared.chmod(0o755)
        folder = write_programme(shared / "p")
        folder.chmod(0o755)
        for p in folder.iterdir():
            p.chmod(0o644)
        (folder / "jobs.csv").chmod(0)
        src = str(Path(__file__).resolve().parents[1] / "src")
        done = subprocess.run([sys.executable, "-c", UNREADABLE, str(folder), src], capture_output=True, text=True)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.stdout.strip() == (f"{folder / 'jobs.csv'}: cannot be read (Permission denied). Check that the "
                                       "file is readable (its permissions, or whether another program locks it).")
    finally:
        import shutil

        shutil.rmtree(shared, ignore_errors=True)


def test_the_report_hashes_exactly_the_files_read(evaluation_copy):
    from evalkit.run.evaluation import load_evaluation
    from evalkit.run.render import _input_files

    evaluation = load_evaluation(evaluation_copy)
    (evaluation.data / ".~lock.jobs.csv#").write_text("x")
    (evaluation.data / "README.md").write_text("notes")
    hashes = _input_files(evaluation, {})
    data = sorted(k for k in hashes if k.startswith("../data/"))
    assert data == [f"../data/vestre_toten/{t}.csv" for t in sorted(TINY)]


# --- Excel: what the values alone do not show --------------------------------------------------


def _workbook(path, sheets, *, hidden=(), formula=None, merged=None, hidden_rows=(), autofilter=False):
    """Write a workbook with openpyxl (which saves formulas without values, as programs do)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if pd.isna(v) else v for v in row])
        if title in hidden:
            sheet.sheet_state = "hidden"
    first = book.worksheets[0]
    if formula:
        first[formula[0]] = formula[1]
    if merged:
        first.merge_cells(merged)
    for row in hidden_rows:
        first.row_dimensions[row].hidden = True
    if autofilter:
        first.auto_filter.ref = first.dimensions
    book.save(path)


def _xlsx_programme(tmp_path, table, **options):
    folder = write_programme(tmp_path / "x")
    frame = TINY[table].copy()
    (folder / f"{table}.csv").unlink()
    sheets = options.pop("sheets", None) or {table: frame}
    _workbook(folder / f"{table}.xlsx", sheets, **options)
    return folder


def test_a_formula_without_a_saved_value_is_refused(tmp_path):
    folder = _xlsx_programme(tmp_path, "firms", formula=("F3", "=F2*2"))
    with pytest.raises(InputError) as caught:
        load_programme(folder)
    assert str(caught.value) == (
        f"{folder / 'firms.xlsx'}, row 3, column 'employees_before': the cell F3 of the sheet 'firms' holds a formula without a "
        "saved value (=F2*2). Open and save it in Excel (which saves the values), or paste values (Paste Special, Values).")


def test_a_hidden_sheet_is_never_chosen(tmp_path):
    firms = TINY["firms"]
    folder = _xlsx_programme(tmp_path, "firms", sheets={"firms": firms.iloc[:1], "Ark1": firms}, hidden=("firms",))
    programme = load_programme(folder)
    assert len(programme.firms) == 3  # from the visible sheet, not the hidden one named like the table
    assert "firms.xlsx: the sheet 'firms' is hidden and was not read (hidden sheets never are)." in programme.notes


def test_data_only_on_hidden_sheets_is_refused(tmp_path):
    folder = _xlsx_programme(tmp_path, "firms", sheets={"Forside": TINY["firms"].iloc[:0, :0], "Ark1": TINY["firms"]},
                             hidden=("Ark1",))
    with pytest.raises(InputError, match=r"firms.xlsx: holds data only on hidden sheets \('Ark1'\)\. Unhide"):
        load_programme(folder)


def test_hidden_and_filtered_rows_are_read_and_counted(tmp_path):
    folder = _xlsx_programme(tmp_path, "jobs", hidden_rows=(3,), autofilter=True)
    programme = load_programme(folder)
    assert programme.jobs["new_fte"].sum() == pytest.approx(6.5)  # nothing dropped
    assert ("jobs.xlsx: 1 row(s) of the sheet 'jobs' are hidden or filtered out (the sheet has a filter) (3); "
            "they were read like the others (a hidden row is still a row of the table).") in programme.notes


def test_a_date_in_a_year_column_says_so(tmp_path):
    import datetime

    jobs = TINY["jobs"].copy().astype(object)
    jobs.loc[1, "year"] = datetime.datetime(1905, 7, 4)  # 2011 typed into a date-formatted cell
    folder = _xlsx_programme(tmp_path, "jobs", sheets={"jobs": jobs})
    with pytest.raises(InputError) as caught:
        load_programme(folder)
    assert str(caught.value).startswith(
        f"{folder / 'jobs.xlsx'}, row 3, column 'year': '1905-07-04' holds a date, not a year. Write the year as a number")


def test_merged_cells_are_named_as_merged(tmp_path):
    folder = _xlsx_programme(tmp_path, "firms", merged="C2:C3")
    with pytest.raises(InputError) as caught:
        load_programme(folder)
    assert str(caught.value) == (
        f"{folder / 'firms.xlsx'}, row 3, column 'sector': is part of the merged cells C2:C3, whose value only the "
        "first cell holds. Unmerge the cells in Excel and fill in the value in every row.")


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_parsing(tmp_path):
    import zipfile

    from evalkit.io.programme import MAX_XLSX_UNPACKED

    folder = write_programme(tmp_path / "p")
    (folder / "jobs.csv").unlink()
    with zipfile.ZipFile(folder / "jobs.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b" " * (1 << 20)
            for _ in range(MAX_XLSX_UNPACKED // len(block) + 1):
                part.write(block)
    with pytest.raises(InputError, match=r"jobs.xlsx: unpacks to 201 MB, more than the 200 MB evalkit opens\."):
        load_programme(folder)


# --- blank rows cost what they are: nothing ----------------------------------------------------


def _hang_breaker(seconds=120):
    """Stop a test that would run for hours (a quadratic loop) instead of hanging the suite."""
    import signal

    def stop(signum, frame):  # noqa: ARG001
        raise AssertionError(f"still loading after {seconds} s")

    signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)


def test_two_hundred_thousand_trailing_blank_rows_load(tmp_path):
    folder = write_programme(tmp_path / "p")
    with open(folder / "jobs.csv", "a") as handle:
        handle.write(",,,,\n" * 200_000)
    _hang_breaker()
    try:
        programme = load_programme(folder)
    finally:
        import signal

        signal.alarm(0)
    assert len(programme.jobs) == 3
    assert "jobs.csv ends with 200000 blank row(s); they were ignored." in programme.notes
