"""Shared fixtures: a tiny hand-made programme whose figures are computed by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVALUATION = ROOT / "evaluations" / "vestre-toten-2010-2016.yaml"

# Two firms, three projects, one participant. Hand-computed figures are in the tests.
TINY = {
    "budget": pd.DataFrame(
        {
            "year": [2010, 2010, 2011, 2011],
            "source": ["County", "County", "County", "Municipality"],
            "category": ["project_support", "administration", "project_support", "other"],
            "amount_nok": [300000, 100000, 500000, 100000],
        }
    ),
    "projects": pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "org_number": ["111111111", "222222222", "111111111"],
            "title": ["Pre-study", "Main project", "Network"],
            "type": ["forstudie", "hovedprosjekt", "nettverk"],
            "sector": ["Industri", "IKT", "Industri"],
            "year": [2010, 2011, 2011],
            "grant_approved_nok": [100000, 500000, 250000],
            "grant_paid_nok": [100000, 450000, 250000],
            "total_cost_nok": [200000, 1000000, 250000],
            "cofunding_innovasjon_norge_nok": [0, 300000, 0],
            "cofunding_other_public_nok": [0, 0, 0],
            "cofunding_private_nok": [100000, 250000, 0],
        }
    ),
    "firms": pd.DataFrame(
        {
            "org_number": ["111111111", "222222222", "333333333"],
            "name": ["Alfa AS", "Beta AS", "Gamma AS"],
            "sector": ["Industri", "IKT", "Industri"],
            "new_firm": ["false", "true", "false"],
            "founded_year": [1990, 2011, None],
            "employees_before": [50, 0, 12],
        }
    ),
    "participants": pd.DataFrame({"project_id": ["P3"], "org_number": ["333333333"]}),
    "jobs": pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P2"],
            "org_number": ["111111111", "222222222", "222222222"],
            "year": [2011, 2011, 2012],
            "new_fte": [1.5, 2.0, 3.0],
            "secured_fte": [2.0, 0.0, 0.5],
        }
    ),
    "survey": pd.DataFrame(
        {
            "org_number": ["111111111", "222222222"],
            "project_id": ["P1", "P2"],
            "answer": ["later", "would_not_have_happened"],
            "expected_jobs": [4.0, 6.0],
        }
    ),
}


def write_programme(folder: Path, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write a programme's tables as CSV files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (tables or TINY).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    return write_programme(tmp_path / "tiny")


@pytest.fixture
def evaluation_copy(tmp_path: Path) -> Path:
    """A copy of the default evaluation, its data and notebook, safe to break."""
    for sub in ("evaluations", "notebooks", "data/vestre_toten", "data/ssb"):
        shutil.copytree(ROOT / sub, tmp_path / sub, ignore=shutil.ignore_patterns("*.ipynb_checkpoints"))
    return tmp_path / "evaluations" / DEFAULT_EVALUATION.name
