"""Property-based fuzzing of the readers: whatever the bytes, only ``InputError`` escapes.

10 000 generated files in all (the budgets below add up; ``EVALKIT_FUZZ_SCALE=10`` runs ten
times as many). The readers are called directly, not through the command line, on small
files: raw bytes, CSV text built from tricky cells, byte mutations of valid tables, other
encodings, whole folders, Excel workbooks, SSB Statbank exports and JSON-stat2 datasets. Runs derandomised so
that ``make test`` is repeatable; set ``EVALKIT_FUZZ_RANDOM=1`` to explore new examples.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import TINY, write_programme  # noqa: E402

import evalkit  # noqa: E402
from evalkit.errors import InputError  # noqa: E402
from evalkit.io.programme import check_table, load_programme, read_excel_table, read_table_bytes  # noqa: E402
from evalkit.io.schema import SCHEMAS  # noqa: E402

SCALE = int(os.environ.get("EVALKIT_FUZZ_SCALE", "1"))
#: Examples per strategy; they add up to 10 000 at scale 1.
BUDGET = {
    "raw_bytes": 3000,
    "tricky_cells": 2400,
    "mutated_tables": 3000,
    "encodings": 600,
    "folders": 100,  # whole loads are ~50 ms each: few, the per-file strategies cover the cells
    "excel": 100,
    "statbank": 500,
    "jsonstat": 300,
}
assert sum(BUDGET.values()) == 10_000


def fuzz(name: str):
    return settings(
        max_examples=BUDGET[name] * SCALE,
        deadline=None,
        derandomize=not os.environ.get("EVALKIT_FUZZ_RANDOM"),
        database=None,
        suppress_health_check=list(HealthCheck),
    )


TABLES = sorted(SCHEMAS)
CLEAN = {name: frame.to_csv(index=False).encode("utf-8") for name, frame in TINY.items()}


def read_and_check(data: bytes, table: str) -> None:
    """The reader as the loader runs it, for one file: only InputError may escape."""
    try:
        frame, notes = read_table_bytes(data, f"{table}.csv", table)
        check_table(frame, table, f"{table}.csv", notes)
    except InputError as error:
        assert error.location.file is not None  # every message names the file
        assert str(error)


@fuzz("raw_bytes")
@given(data=st.binary(max_size=400), table=st.sampled_from(TABLES))
def test_raw_bytes(data: bytes, table: str) -> None:
    read_and_check(data, table)


TRICKY = [
    "", " ", "0", "1", "-1", "2010", "2012.5", "1e308", "1e999", "-0", "nan", "NaN", "inf", "-inf", "1,500",
    "1 500", "1\u00a0500,25", "1.500,25", "1.250.000", "1,250,000.50", "12,5", ",5", "5,", "٣", "１２",
    "99999999999999999999999", "0x10", "true", "False", "ja", "nei", "100430002", "10043000", "P1", "VT-2010-01",
    "later", "Later", "forstudie", "project_support", "æøå", "\u2212" + "5", "\"", "\"\"", "'", "a\"b",
    "\"quoted, comma\"", ";", "\t", "\\", "NULL", "None", "#N/A", "=SUM(A1)", "<script>", "\ufeff", "\u200b",
]
CELL = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))


@st.composite
def csv_texts(draw) -> tuple[bytes, str]:
    table = draw(st.sampled_from(TABLES))
    columns = list(SCHEMAS[table].columns)
    header = draw(st.one_of(
        st.just(columns),
        st.permutations(columns),
        st.lists(st.sampled_from(columns + ["Project_ID", " year", "extra", ""]), max_size=10),
    ))
    separator = draw(st.sampled_from([",", ";", "\t", ",", ","]))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [separator.join(header)] + [separator.join(row) for row in rows]
    return newline.join(lines).encode("utf-8"), table


@fuzz("tricky_cells")
@given(case=csv_texts())
def test_tricky_cells(case: tuple[bytes, str]) -> None:
    read_and_check(*case)


@st.composite
def mutated(draw) -> tuple[bytes, str]:
    table = draw(st.sampled_from(sorted(CLEAN)))
    data = bytearray(CLEAN[table])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["replace", "insert", "delete", "duplicate_line", "swap_cell"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "replace" and data:
            data[position] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[position:position] = draw(st.sampled_from([b",", b";", b"\"", b"\n", b"\r", b" ", b"\xff", b"\x00", b"-", b"9" * 20, b",5", b"\xef\xbb\xbf"]))
        elif kind == "delete" and data:
            del data[position:position + draw(st.integers(1, 8))]
        elif kind == "duplicate_line":
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
            data = bytearray(b"\n".join(lines))
        else:
            text = bytes(data).decode("utf-8", "replace").split(",")
            index = draw(st.integers(0, len(text) - 1))
            text[index] = draw(CELL)
            data = bytearray(",".join(text).encode("utf-8"))
    return bytes(data), table


@fuzz("mutated_tables")
@given(case=mutated())
def test_mutated_tables(case: tuple[bytes, str]) -> None:
    read_and_check(*case)


@fuzz("encodings")
@given(
    table=st.sampled_from(sorted(CLEAN)),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
    name=st.sampled_from(["Bjørnstad AS", "Åsen Sag", "Ærø & Co", "Plain AS"]),
)
def test_other_encodings_read_the_same(table: str, encoding: str, name: str) -> None:
    frame = TINY[table].copy()
    if table == "firms":
        frame.loc[0, "name"] = name
    text = frame.to_csv(index=False)
    raw, notes = read_table_bytes(text.encode(encoding), f"{table}.csv", table)
    checked = check_table(raw, table, f"{table}.csv", notes)
    if table == "firms":
        assert checked.loc[0, "name"] == name  # recovered, not mangled
    assert len(checked) == len(frame)
    # Said in the notes exactly when the bytes were not plain UTF-8.
    assert bool(notes) == (encoding in ("utf-8-sig", "utf-16") or encoding in ("cp1252", "latin-1") and not text.isascii())


@fuzz("folders")
@given(case=mutated())
def test_whole_folders(case: tuple[bytes, str]) -> None:
    data, table = case
    with tempfile.TemporaryDirectory() as work:
        folder = write_programme(Path(work) / "p")
        (folder / f"{table}.csv").write_bytes(data)
        try:
            programme = load_programme(folder)
        except InputError as error:
            assert error.location.file is not None or error.location.parameter is not None
        else:
            assert len(programme.projects) >= 1


# Characters a worksheet cannot hold (openpyxl refuses to write them; no real workbook has them).
EXCEL_CELL = CELL.map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text))


@fuzz("excel")
@given(
    rows=st.lists(st.lists(st.one_of(EXCEL_CELL, st.integers(-10, 10**6), st.floats(allow_nan=True)), max_size=7), max_size=6),
    top=st.integers(0, 3),
    sheets=st.integers(1, 3),
)
def test_excel_workbooks(rows, top: int, sheets: int) -> None:
    columns = list(SCHEMAS["firms"].columns)
    body = pd.DataFrame([columns] + [(r + [""] * len(columns))[: len(columns)] for r in rows])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        for number in range(sheets):
            body.to_excel(writer, sheet_name=f"Ark{number + 1}", index=False, header=False, startrow=top)
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "firms.xlsx"
        path.write_bytes(buffer.getvalue())
        try:
            frame, notes = read_excel_table(path, "firms")
            check_table(frame, "firms", path, notes)
        except InputError as error:
            assert error.location.file is not None


STATBANK_HEADERS = ['"region";"age";"Persons 2019";"Persons 2020"', "region\tage\tPersons 2019", '"region","Persons 2019"']
STATBANK_CELLS = st.one_of(st.sampled_from(['"K-3443 Vestre Toten"', '"0529 Vestre Toten"', "..", ":", "1 234", "12,5", "x", "", '"'] + TRICKY[:20]), st.text(max_size=8))


@st.composite
def statbank_files(draw) -> bytes:
    header = draw(st.sampled_from(STATBANK_HEADERS))
    sep = "\t" if "\t" in header else (";" if ";" in header else ",")
    rows = draw(st.lists(st.lists(STATBANK_CELLS, max_size=5), max_size=4))
    title = draw(st.sampled_from(["", "07459: Population\n\n"]))
    text = title + "\n".join([header] + [sep.join(r) for r in rows])
    return text.encode(draw(st.sampled_from(["latin-1", "utf-8"])), "replace") + draw(st.binary(max_size=8))


@fuzz("statbank")
@given(data=statbank_files(), encoding=st.sampled_from([None, None, "utf-8", "latin-1"]))
def test_statbank_exports(data: bytes, encoding: str | None) -> None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "ssb.csv"
        path.write_bytes(data)
        try:
            frame = evalkit.read_statbank_csv(path, encoding=encoding)
        except InputError as error:
            assert error.location.file is not None
        else:
            assert len(frame) >= 1 and frame["value"].map(lambda v: v != v or abs(v) < float("inf")).all()
            assert frame["status"].isna().eq(frame["value"].notna()).all()  # a symbol exactly where no number


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(allow_nan=False), st.text(max_size=6))
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
SMALL_DATASET = {
    "class": "dataset", "id": ["Region", "Tid"], "size": [2, 2], "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
    "dimension": {"Region": {"category": {"index": {"3443": 0, "3407": 1}, "label": {"3443": "Vestre Toten"}}},
                  "Tid": {"category": {"index": ["2020", "2021"], "unit": {"2020": {"base": "personer"}}}}},
    "value": [1, None, 2.5, 3], "status": {"1": ".."}, "extension": {"px": {"tableid": "07984"}},
}


def _paths(node: object, prefix: tuple = ()):
    """Every place in a JSON document, as the keys leading to it."""
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, prefix + (index,))


@st.composite
def jsonstat_documents(draw) -> object:
    """A small valid dataset with 1-3 places deleted or replaced by arbitrary JSON."""
    doc = json.loads(json.dumps(SMALL_DATASET))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        if not path:
            doc = draw(JSON_ANY)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON_ANY)
    return doc


@fuzz("jsonstat")
@given(doc=jsonstat_documents(), as_text=st.booleans())
def test_jsonstat_datasets(doc: object, as_text: bool) -> None:
    try:
        frame = evalkit.read_jsonstat(json.dumps(doc) if as_text else doc)  # type: ignore[arg-type]
    except InputError as error:
        # A body is a str starting with '{' or '['; any other str (e.g. '5') is taken as a path.
        assert error.location.parameter == "source" or error.location.file is not None
    else:
        assert frame["value"].dtype == float and len(frame) == len(frame["status"])
