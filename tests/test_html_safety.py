"""Strings from the inputs show as text in HTML (issue 6, safe output)."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.disclosure import protect_table
from evalkit.html_safety import escape_frame, escape_text, html_table

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def projects() -> pd.DataFrame:
    return pd.DataFrame(
        {"project_id": ["VT-1", "VT-2"], "title": [SCRIPT, 'Tre & "bio" <AS>'], "grant": [1.0, 2.0]},
        index=pd.Index([SCRIPT, "ok"], name="<i>id</i>"),
    )


def test_pandas_to_html_escapes_cells_and_labels(projects):
    page = projects.to_html()
    assert SCRIPT not in page and "<i>id</i>" not in page
    assert ESCAPED in page


def test_html_table_cannot_switch_escaping_off(projects):
    page = html_table(projects, border=0)
    assert SCRIPT not in page and ESCAPED in page
    with pytest.raises(TypeError):
        html_table(projects, escape=False)


def test_styler_does_not_escape_but_escape_frame_makes_it_safe(projects):
    # The reason html_safety exists: a Styler writes strings raw, labels included.
    assert SCRIPT in projects.style.to_html()
    safe = escape_frame(projects).style.to_html()
    assert SCRIPT not in safe and "<i>id</i>" not in safe
    assert ESCAPED in safe
    assert "Tre &amp; &quot;bio&quot; &lt;AS&gt;" in safe


def test_escape_frame_leaves_numbers_and_input_alone(projects):
    before = projects.copy()
    out = escape_frame(projects)
    assert out["grant"].tolist() == [1.0, 2.0]
    assert out.index.name == "&lt;i&gt;id&lt;/i&gt;"
    pd.testing.assert_frame_equal(projects, before)
    assert escape_text(SCRIPT) == ESCAPED
    assert escape_text(3) == "3"


def test_protected_table_html_shows_a_script_title_as_text():
    micro = pd.DataFrame(
        {
            "org_number": [str(900000000 + i) for i in range(6)],
            "title": [SCRIPT] * 3 + ["Trebygg"] * 3,
            "grant": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    page = protect_table(micro, rows="title", value="grant")._repr_html_()
    assert SCRIPT not in page
    assert ESCAPED in page
