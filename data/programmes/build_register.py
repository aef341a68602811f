"""Build ``register.csv`` from ``register_input.tsv``.

The input holds one row per programme with the municipality codes that were in
force when the programme started (``orig_codes``).  This script maps them to
2024 codes with ``src/evalkit/data/ssb/municipality_code_redistricting_to_b2024.csv`` and
checks the result against ``src/evalkit/data/ssb/municipality_hierarchy_b2024.csv``.

Run from the repository root::

    .venv/bin/python data/programmes/build_register.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from evalkit.io.register import COLUMNS
from evalkit.io.ssb import default_data_dir

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SSB = default_data_dir()



def _redistricting() -> list[dict[str, str]]:
    with open(SSB / "municipality_code_redistricting_to_b2024.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _hierarchy_codes() -> set[str]:
    with open(SSB / "municipality_hierarchy_b2024.csv", newline="", encoding="utf-8") as f:
        return {r["municipality_code"] for r in csv.DictReader(f)}


def map_code(code: str, year: int, table: list[dict[str, str]]) -> list[str]:
    """2024 code(s) that ``code`` counted towards in ``year``.

    A code used in the programme's first year is looked up for that year.  If
    the table has no range covering the year (codes introduced later, or a
    code given in its post-reform form), every row for the code is used; the
    mapping must then still be unambiguous.
    """
    rows = [r for r in table if r["municipality_code_original"] == code]
    in_year = [r for r in rows if int(r["year_from"]) <= year <= int(r["year_to"])]
    use = in_year or rows
    targets = sorted({r["municipality_code_current"] for r in use})
    if not targets:
        raise ValueError(f"code {code} not in the redistricting table")
    if not in_year and len(targets) > 1:
        raise ValueError(f"code {code} maps ambiguously outside {year}: {targets}")
    return targets


def build() -> list[dict[str, str]]:
    table = _redistricting()
    valid = _hierarchy_codes()
    with open(HERE / "register_input.tsv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out = []
    for r in rows:
        first = int(r["first"])
        codes: list[str] = []
        for c in r["orig_codes"].split(";"):
            for t in map_code(c.strip(), first, table):
                if t not in codes:
                    codes.append(t)
        bad = [c for c in codes if c not in valid]
        if bad:
            raise ValueError(f"{r['id']}: {bad} not in the 2024 hierarchy")
        out.append(
            {
                "programme_id": r["id"],
                "name": r["name"],
                "municipality_codes": ";".join(codes),
                "first_year": r["first"],
                "last_year": r["last"],
                "source_publisher": r["publisher"],
                "source_title": r["title"],
                "source_url": r["url"],
                "source_quote": r["quote"],
            }
        )
    out.sort(key=lambda d: (int(d["first_year"]), d["programme_id"]))
    return out


def main() -> int:
    rows = build()
    with open(ROOT / "src" / "evalkit" / "data" / "programmes" / "register.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
