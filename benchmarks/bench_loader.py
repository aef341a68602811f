"""Benchmark: the programme loader's throughput against ``pandas.read_csv`` of the same file.

Cases (each a programme folder; the big table is the one timed against pandas):

- ``projects 200k``: a ``projects.csv`` of 200 000 real rows (12 columns);
- ``jobs 200k real``: a ``jobs.csv`` of 200 000 real rows (5 columns);
- ``jobs 3 + 200k blank``: a ``jobs.csv`` of 3 rows and 200 000 trailing ``,,,,`` rows (1 MB);
- ``jobs.xlsx 200k real`` / ``jobs.xlsx 3 + 200k blank``: the same as workbooks (blank rows
  as formatted empty cells, as Excel keeps them).

``load_programme`` (reading, checking every cell against the schema, the references between
tables) and the baseline ``pandas.read_csv`` (or ``pandas.read_excel``) of the big table run
interleaved, several repeats; the table gives median and min-max seconds and the ratio of
medians. The goal: blank rows cost no more than real rows (``blank/real`` well below 1).
Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_loader.py [repeats]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from evalkit.io.programme import load_programme  # noqa: E402

ROWS = 200_000


def _base(n_projects: int, years: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(1)
    firms = pd.DataFrame({
        "org_number": [str(900000000 + i) for i in range(n_projects)],
        "name": [f"Bedrift {i} AS" for i in range(n_projects)],
        "sector": rng.choice(["Industri", "IKT", "Reiseliv"], n_projects),
        "new_firm": rng.choice(["true", "false"], n_projects),
        "founded_year": rng.integers(1950, 2010, n_projects),
        "employees_before": rng.integers(0, 200, n_projects),
    })
    paid = rng.integers(10, 500, n_projects) * 1000.0
    projects = pd.DataFrame({
        "project_id": [f"P-{i:06d}" for i in range(n_projects)],
        "org_number": firms["org_number"],
        "title": [f"Prosjekt {i}" for i in range(n_projects)],
        "type": rng.choice(["forstudie", "forprosjekt", "hovedprosjekt"], n_projects),
        "sector": firms["sector"],
        "year": 2010,
        "grant_approved_nok": paid,
        "grant_paid_nok": paid,
        "total_cost_nok": paid * 2,
        "cofunding_innovasjon_norge_nok": paid / 2,
        "cofunding_other_public_nok": 0.0,
        "cofunding_private_nok": paid / 2,
    })
    budget = pd.DataFrame({"year": [2010, 2010], "source": ["Fylket", "Fylket"],
                           "category": ["project_support", "administration"], "amount_nok": [paid.sum(), 1e6]})
    n_jobs = n_projects * years
    jobs = pd.DataFrame({
        "project_id": np.repeat(projects["project_id"].to_numpy(), years),
        "org_number": np.repeat(projects["org_number"].to_numpy(), years),
        "year": np.tile(np.arange(2010, 2010 + years), n_projects),
        "new_fte": rng.integers(0, 20, n_jobs) / 2,
        "secured_fte": rng.integers(0, 20, n_jobs) / 2,
    })
    return {"budget": budget, "projects": projects, "firms": firms, "jobs": jobs}


def _write(folder: Path, tables: dict[str, pd.DataFrame], *, blank: int = 0, xlsx: str | None = None) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        if name == xlsx:
            _workbook(folder / f"{name}.xlsx", frame, blank)
            continue
        frame.to_csv(folder / f"{name}.csv", index=False)
        if blank and name == "jobs":
            with open(folder / "jobs.csv", "a") as handle:
                handle.write(",,,,\n" * blank)
    return folder


def _workbook(path: Path, frame: pd.DataFrame, blank: int) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("jobs")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    from openpyxl.cell import WriteOnlyCell

    bold = Font(bold=True)
    for _ in range(blank):  # formatted empty cells: what a sheet of "blank" rows holds
        cell = WriteOnlyCell(sheet, value=None)
        cell.font = bold
        sheet.append([cell] * 5)
    book.save(path)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(repeats: int) -> None:
    load_start = os.getloadavg()
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}")
    print(f"repeats: {repeats} (interleaved), OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        few = _base(3)
        cases = {
            "projects 200k": (_write(root / "projects", _base(ROWS)), "projects.csv"),
            "jobs 200k real": (_write(root / "jobs_real", _base(ROWS // 10, years=10)), "jobs.csv"),
            "jobs 3 + 200k blank": (_write(root / "jobs_blank", few, blank=ROWS), "jobs.csv"),
            "jobs.xlsx 200k real": (_write(root / "xlsx_real", _base(ROWS // 10, years=10), xlsx="jobs"), "jobs.xlsx"),
            "jobs.xlsx 3 + 200k blank": (_write(root / "xlsx_blank", few, blank=ROWS, xlsx="jobs"), "jobs.xlsx"),
        }
        for name, (folder, big) in cases.items():
            size = (folder / big).stat().st_size
            print(f"  {name}: {big} {size / 1e6:.1f} MB")
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(repeats):
            for name, (folder, big) in cases.items():
                path = folder / big
                read = pd.read_excel if big.endswith(".xlsx") else pd.read_csv
                times.setdefault((name, "load_programme"), []).append(timed(lambda: load_programme(folder)))
                times.setdefault((name, "pandas"), []).append(timed(lambda: read(path)))
    print(f"{'case':26} {'method':15} {'median s':>9} {'min-max s':>15} {'vs pandas':>10}")
    medians = {}
    for name, _ in cases.items():
        base = statistics.median(times[(name, "pandas")])
        for method in ("load_programme", "pandas"):
            ts = times[(name, method)]
            medians[(name, method)] = statistics.median(ts)
            print(f"{name:26} {method:15} {statistics.median(ts):9.3f} {min(ts):7.3f}-{max(ts):7.3f} "
                  f"{statistics.median(ts) / base:10.2f}")
    for kind in ("jobs", "jobs.xlsx"):
        blank = medians[(f"{kind} 3 + 200k blank", "load_programme")]
        real = medians[(f"{kind} 200k real", "load_programme")]
        print(f"{kind}: 200 000 blank rows / 200 000 real rows (load_programme medians): {blank / real:.2f}")
    load_end = os.getloadavg()
    print(f"load average at end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
