"""A programme's records: validated loading of its tables (the I/O edge).

:func:`load_programme` reads a folder of tables (CSV or Excel), checks each
against :data:`evalkit.schema.SCHEMAS` and the references between them, and
returns a frozen :class:`Programme`. Any problem is raised as one
:class:`~evalkit.errors.InputError` naming the file, the row (as numbered in
a spreadsheet: header = row 1) and the column. Input files are only read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors

from evalkit._display import ResultDisplay
from evalkit.errors import InputError
from evalkit.schema import (
    BOOLEAN_COLUMNS,
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    SCHEMAS,
)

_TRUE = {"true", "1", "yes", "ja", "sann"}
_FALSE = {"false", "0", "no", "nei", "usann"}
_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True, repr=False)
class Programme(ResultDisplay):
    """A restructuring programme's records, validated.

    Attributes
    ----------
    name
        Name of the data folder (e.g. ``vestre_toten``).
    budget, projects, firms, participants, jobs, survey
        The tables of ``docs/data-model.md``; ``participants`` and ``survey``
        are empty frames with the right columns when not supplied.
    inputs
        ``{file name: sha256}`` of every file read, for the report's provenance.
    """

    name: str
    budget: pd.DataFrame
    projects: pd.DataFrame
    firms: pd.DataFrame
    participants: pd.DataFrame
    jobs: pd.DataFrame
    survey: pd.DataFrame
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def _title(self) -> str:
        return f"Programme {self.name}"

    def to_frame(self) -> pd.DataFrame:
        """Rows per table with the input file's checksum."""
        rows = [
            {"table": t, "rows": len(getattr(self, t))}
            for t in (*REQUIRED_TABLES, *OPTIONAL_TABLES)
        ]
        return pd.DataFrame(rows).set_index("table")

    def summary(self) -> str:
        return (
            f"{len(self.projects)} projects, {len(self.firms)} firms, "
            f"{len(self.jobs)} job registrations, {len(self.survey)} survey answers"
        )


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def find_table(folder: Path, table: str) -> Path | None:
    """The file holding ``table`` in ``folder`` (``table.csv`` or ``table.xlsx``)."""
    found = [folder / f"{table}{suffix}" for suffix in _SUFFIXES if (folder / f"{table}{suffix}").is_file()]
    if len(found) > 1:
        raise InputError(
            f"both {found[0].name} and {found[1].name} exist for the table '{table}'.",
            file=folder,
            hint="Keep one of them.",
        )
    return found[0] if found else None


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read a CSV or the first sheet of an .xlsx file as text, blank cells as missing."""
    try:
        if path.suffix == ".xlsx":
            frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (byte {exc.start}).",
            file=path,
            hint="Save it as CSV UTF-8.",
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError("is empty.", file=path, hint="It needs a header row.") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"cannot be read as CSV ({exc}).", file=path) from None
    except (ValueError, OSError, KeyError) as exc:
        raise InputError(f"cannot be read ({exc}).", file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.str.strip())
    return frame.replace("", pd.NA)


def _row(index_label) -> int | None:
    # Frames keep the default RangeIndex from reading: data row i is spreadsheet row i + 2.
    try:
        return int(index_label) + 2
    except (TypeError, ValueError):
        return None


def validate_table(frame: pd.DataFrame, table: str, path: Path | str) -> pd.DataFrame:
    """Coerce and check one raw table against its schema.

    Raises
    ------
    InputError
        For the first problem found, naming file, row and column.
    """
    schema = SCHEMAS[table]
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"the column '{missing[0]}' is missing.",
            file=path,
            column=missing[0],
            hint=f"Columns of '{table}': {', '.join(schema.columns)} (see docs/data-model.md).",
        )
    frame = frame.copy()
    for column in BOOLEAN_COLUMNS.get(table, ()):
        frame[column] = _to_bool(frame[column], path, column)
    for name, column in schema.columns.items():
        if str(column.dtype) in ("float64", "int64", "Int64"):
            frame[name] = _to_number(frame[name], path, name, integer=str(column.dtype) != "float64")
    for name, column in schema.columns.items():
        repeated = frame[name].duplicated() & frame[name].notna() if column.unique else None
        if repeated is not None and repeated.any():
            label = repeated.idxmax()
            first = frame.index[frame[name] == frame.at[label, name]][0]
            raise InputError(
                f"'{frame.at[label, name]}' appears again (first in row {_row(first)}).",
                file=path,
                row=_row(label),
                column=name,
                hint="Each value in this column must be unique.",
            )
    try:
        valid = schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        raise _first_failure(errors, schema, path) from None
    valid.attrs["source_file"] = str(path)
    return valid


def _to_bool(values: pd.Series, path: Path | str, column: str) -> pd.Series:
    out = []
    for label, value in values.items():
        word = str(value).strip().lower() if not pd.isna(value) else ""
        if word in _TRUE:
            out.append(True)
        elif word in _FALSE:
            out.append(False)
        else:
            raise InputError(
                f"'{value if not pd.isna(value) else ''}' is not a yes/no value.",
                file=path,
                row=_row(label),
                column=column,
                hint="Use true or false.",
            )
    return pd.Series(out, index=values.index, dtype=bool)


def _to_number(values: pd.Series, path: Path | str, column: str, *, integer: bool) -> pd.Series:
    # Coerced here, not by pandera, so that the first bad cell is named with its row.
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numbers.isna()
    if integer:
        bad |= numbers.notna() & (numbers % 1 != 0)
    if bad.any():
        label = bad.idxmax()
        kind = "a whole number" if integer else "a number"
        raise InputError(
            f"'{values[label]}' is not {kind}.",
            file=path,
            row=_row(label),
            column=column,
            hint="Write plain numbers with '.' as decimal mark and no thousands separators, e.g. 125000.50.",
        )
    return numbers.astype("Int64") if integer else numbers.astype(float)


def _first_failure(errors: pandera.errors.SchemaErrors, schema, path) -> InputError:
    cases = errors.failure_cases.copy()
    cases["_row"] = pd.to_numeric(cases["index"], errors="coerce")
    cases = cases.sort_values(["_row", "column"], na_position="first", kind="stable")
    case = cases.iloc[0]
    column = case["column"] if isinstance(case["column"], str) else None
    check = str(case["check"])
    value = case["failure_case"]
    row = _row(case["index"]) if not pd.isna(case["_row"]) else None
    if check.startswith("coerce_dtype"):
        kind = "a number" if "float" in check or "int" in check.lower() else check
        problem = f"'{value}' is not {kind}."
        hint = "Write amounts as plain numbers with '.' as decimal mark, e.g. 125000.50."
    elif check == "not_nullable":
        problem, hint = "is empty.", "Fill in a value."
    elif check == "field_uniqueness":
        problem, hint = f"'{value}' appears more than once.", "Each value in this column must be unique."
    elif check.startswith("isin"):
        allowed = schema.columns[column].checks[0].statistics.get("allowed_values", [])
        problem = f"'{value}' is not an allowed value."
        hint = f"Use one of: {', '.join(sorted(map(str, allowed)))}."
    elif check.startswith("greater_than_or_equal_to"):
        problem, hint = f"'{value}' is negative.", "Amounts and jobs must be >= 0."
    elif check.startswith("str_matches"):
        problem, hint = f"'{value}' is not a 9-digit organisation number.", "Write it without spaces."
    elif check.startswith("in_range"):
        problem, hint = f"'{value}' is not a plausible year.", None
    elif check.startswith("str_length"):
        problem, hint = "is empty.", "Fill in a value."
    else:
        problem, hint = f"'{value}' fails the check {check}.", None
    return InputError(problem, file=path, row=row, column=column, hint=hint)


def _empty(table: str) -> pd.DataFrame:
    schema = SCHEMAS[table]
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in schema.columns})
    return schema.validate(frame)


def load_programme(folder: str | Path) -> Programme:
    """Load and validate a programme's records from a folder.

    Parameters
    ----------
    folder
        A folder with ``budget``, ``projects``, ``firms``, ``jobs`` and
        optionally ``participants`` and ``survey`` tables, each as ``.csv``
        (UTF-8) or ``.xlsx`` (first sheet). See ``docs/data-model.md``.

    Returns
    -------
    Programme

    Raises
    ------
    InputError
        If a file is missing or unreadable, a column is missing, a value has
        the wrong type or range, an id is duplicated, or a row refers to a
        project or firm that does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("is not a folder.", file=folder, hint="Give the programme's data folder.")
    tables: dict[str, pd.DataFrame] = {}
    inputs: dict[str, str] = {}
    for table in (*REQUIRED_TABLES, *OPTIONAL_TABLES):
        path = find_table(folder, table)
        if path is None:
            if table in REQUIRED_TABLES:
                raise InputError(
                    f"the table '{table}' is missing.",
                    file=folder,
                    hint=f"Add {table}.csv or {table}.xlsx (see docs/data-model.md).",
                )
            tables[table] = _empty(table)
            continue
        inputs[path.name] = sha256_of(path)
        tables[table] = validate_table(read_raw_table(path), table, path)
    check_references(tables, folder)
    return Programme(name=folder.name, inputs=inputs, **tables)


def check_references(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Check that rows refer to known projects and firms, and project costs add up."""
    projects = tables["projects"]
    firm_ids = set(tables["firms"]["org_number"])
    project_ids = set(projects["project_id"])
    refs = [
        ("projects", "org_number", firm_ids, "firm", "firms"),
        ("participants", "project_id", project_ids, "project", "projects"),
        ("participants", "org_number", firm_ids, "firm", "firms"),
        ("jobs", "project_id", project_ids, "project", "projects"),
        ("jobs", "org_number", firm_ids, "firm", "firms"),
        ("survey", "project_id", project_ids, "project", "projects"),
        ("survey", "org_number", firm_ids, "firm", "firms"),
    ]
    for table, column, known, what, where in refs:
        frame = tables[table]
        unknown = ~frame[column].isin(known)
        if unknown.any():
            label = unknown.idxmax()
            raise InputError(
                f"refers to the {what} '{frame.at[label, column]}', which is not in {where}.",
                file=frame.attrs.get("source_file", folder / table),
                row=_row(label),
                column=column,
                hint=f"Add it to {where} or correct the {what}.",
            )
    parts = projects[
        ["grant_paid_nok", "cofunding_innovasjon_norge_nok", "cofunding_other_public_nok", "cofunding_private_nok"]
    ].sum(axis=1)
    off = (parts - projects["total_cost_nok"]).abs() > 1.0
    if off.any():
        label = off.idxmax()
        raise InputError(
            f"total cost {projects.at[label, 'total_cost_nok']:.0f} is not the grant paid plus the "
            f"co-funding ({parts[label]:.0f}).",
            file=projects.attrs.get("source_file"),
            row=_row(label),
            column="total_cost_nok",
            hint="total_cost_nok = grant_paid_nok + the three cofunding_* columns.",
        )
    over = projects["grant_paid_nok"] > projects["grant_approved_nok"] + 1.0
    if over.any():
        label = over.idxmax()
        raise InputError(
            "more grant was paid than approved.",
            file=projects.attrs.get("source_file"),
            row=_row(label),
            column="grant_paid_nok",
        )
