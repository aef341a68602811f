"""Number formats follow the report's language (Babel, through the one formatter, Words), and chart ticks too."""

from __future__ import annotations

import math

import pytest

from evalkit import InputError
from evalkit.report import i18n
from evalkit.report.words import Words


def test_norwegian_and_english_numbers():
    nb, en = Words("nb"), Words("en")
    assert nb.number(1234567) == "1\u00a0234\u00a0567"
    assert en.number(1234.56, 1) == "1,234.6"
    assert nb.number(0.5, 2) == "0,50"
    assert nb.percent(0.6) == "60\u00a0%"
    assert en.percent(0.6) == "60%"
    assert nb.nok(17_500_000) == "17,5 mill. kr"
    assert en.nok(17_500_000) == "NOK 17.5 million"


def test_missing_and_infinite_values_read_as_signs():
    assert Words("nb").number(None) == "–"
    assert Words("en").number(math.nan) == "–"
    assert Words("nb").number(math.inf) == "∞"
    assert Words("en").number(-math.inf) == "-∞"


def test_unknown_language_names_the_parameter():
    with pytest.raises(InputError, match="parameter 'language'"):
        Words("de")


def test_nynorsk():
    assert i18n.LANGUAGES == ("nb", "nn", "en")
    assert Words("nn").nok(17_500_000) == "17,5 mill. kr"
    assert Words("nn").percent(0.25, 1) == "25,0\u00a0%"


def test_axis_ticks_show_the_decimals_they_need():
    import matplotlib.pyplot as plt

    from evalkit.report.style import localise_axes

    fig, ax = plt.subplots()
    ax.plot([0, 2.0], [0, 1])
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    localise_axes(fig, "nb")
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0,00", "0,25", "0,50", "0,75", "1,00"]
    plt.close(fig)
