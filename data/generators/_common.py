"""Helpers shared by the ILLUSTRATIVE programme-data generators.

Nothing here describes a real firm: organisation numbers come from a range
that no real Norwegian entity uses (real ones start with 8 or 9), yet they
pass the Brønnøysund mod-11 check so that validators accept them.

The writers format every value themselves (fixed decimals, sorted rows,
"\\n" line endings, UTF-8) so that a re-run reproduces the files byte for byte.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

#: Weights of the Brønnøysund organisation number check digit (digits 1-8).
ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def org_check_digit(first_eight: str) -> int | None:
    """Check digit of a Norwegian organisation number (modulus 11).

    Returns ``None`` when the eight digits cannot carry a valid check digit
    (remainder 1 gives 10), which the register never issues.
    Source: Brønnøysundregistrene, "Organisasjonsnummeret" (vekttall 3 2 7 6 5 4 3 2, modulus 11).
    """
    total = sum(int(d) * w for d, w in zip(first_eight, ORG_NUMBER_WEIGHTS, strict=True))
    remainder = total % 11
    if remainder == 0:
        return 0
    check = 11 - remainder
    return None if check == 10 else check


def fictitious_org_numbers(start: int, count: int) -> list[str]:
    """``count`` valid 9-digit organisation numbers from the 8-digit base ``start`` upwards.

    Bases whose check digit would be 10 are skipped. Use a ``start`` below
    80 000 000 so that the numbers cannot belong to a real entity.
    """
    numbers: list[str] = []
    base = start
    while len(numbers) < count:
        first_eight = f"{base:08d}"
        check = org_check_digit(first_eight)
        if check is not None:
            numbers.append(first_eight + str(check))
        base += 1
    return numbers


def allocate(weights: Sequence[float], total: int, minimum: int = 0) -> list[int]:
    """Split the integer ``total`` over ``weights`` exactly (largest remainder).

    Every positive weight gets at least ``minimum`` units first; zero weights get 0.
    This is how the generators hit published totals exactly while keeping the
    random spread.
    """
    n_positive = sum(1 for w in weights if w > 0)
    rest = total - minimum * n_positive
    if rest < 0 or n_positive == 0:
        raise ValueError(f"cannot allocate {total} over {n_positive} positive weights")
    weight_sum = float(sum(weights))
    raw = [rest * w / weight_sum for w in weights]
    units = [math.floor(r) for r in raw]
    short = rest - sum(units)
    # Ties broken by position so that the result is deterministic.
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - units[i]), i))
    for i in order[:short]:
        units[i] += 1
    return [u + (minimum if w > 0 else 0) for u, w in zip(units, weights, strict=True)]


def round_to(value: float, unit: int) -> int:
    """``value`` rounded to a whole multiple of ``unit`` (amounts in whole thousands, say)."""
    return int(round(value / unit)) * unit


def money(amount: float) -> str:
    """NOK with two fixed decimals (the generators only produce whole kroner)."""
    return f"{amount:.2f}"


def fte(value: float) -> str:
    """Full-time equivalents with one fixed decimal."""
    return f"{value:.1f}"


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write one table as UTF-8 CSV with "\\n" line endings; rows must already be sorted strings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


HEADERS: dict[str, tuple[str, ...]] = {
    "budget": ("year", "source", "category", "amount_nok"),
    "projects": (
        "project_id",
        "org_number",
        "title",
        "type",
        "sector",
        "year",
        "grant_approved_nok",
        "grant_paid_nok",
        "total_cost_nok",
        "cofunding_innovasjon_norge_nok",
        "cofunding_other_public_nok",
        "cofunding_private_nok",
    ),
    "firms": ("org_number", "name", "sector", "new_firm", "founded_year", "employees_before"),
    "participants": ("project_id", "org_number"),
    "jobs": ("project_id", "org_number", "year", "new_fte", "secured_fte"),
    "survey": ("org_number", "project_id", "answer", "expected_jobs"),
}
