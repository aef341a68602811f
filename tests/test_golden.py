"""Every shipped evaluation still gives the figures frozen before the package was laid out by role.

``tests/golden/<evaluation>.json`` holds the ``figures`` of each shipped evaluation's
``results.json``. A change that moves a figure must update its file in the same commit and say why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.run.render import render

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.json"))


@pytest.mark.slow
@pytest.mark.parametrize("golden", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_shipped_evaluation_gives_its_golden_figures(golden, tmp_path):
    evaluation = ROOT / "evaluations" / f"{golden.stem}.yaml"
    result = render(evaluation, output=tmp_path / golden.stem)
    figures = json.loads((result.folder / "results.json").read_text(encoding="utf-8"))["figures"]
    assert figures == json.loads(golden.read_text(encoding="utf-8"))


def test_every_shipped_evaluation_has_golden_figures():
    shipped = {p.stem for p in (ROOT / "evaluations").glob("*.yaml")}
    assert shipped <= {p.stem for p in GOLDEN}
