"""Number formats follow the report's language (Babel), the one formatter every module uses."""

from __future__ import annotations

import math

import pytest

from evalkit import InputError
from evalkit.report import i18n


def test_norwegian_and_english_numbers():
    assert i18n.number(1234567, "nb") == "1\u00a0234\u00a0567"
    assert i18n.number(1234.56, "en", 1) == "1,234.6"
    assert i18n.number(0.5, "nb", 2) == "0,50"
    assert i18n.percent(0.6, "nb") == "60\u00a0%"
    assert i18n.percent(0.6, "en") == "60%"
    assert i18n.nok(17_500_000, "nb") == "17,5 mill. kr"
    assert i18n.nok(17_500_000, "en") == "NOK 17.5 million"


def test_missing_and_infinite_values_read_as_signs():
    assert i18n.number(None, "nb") == "–"
    assert i18n.number(math.nan, "en") == "–"
    assert i18n.number(math.inf, "nb") == "∞"
    assert i18n.number(-math.inf, "en") == "-∞"


def test_unknown_language_names_the_parameter():
    with pytest.raises(InputError, match="parameter 'language'"):
        i18n.number(1, "de")


def test_nynorsk_and_the_one_formatter():
    from evalkit.report.words import Words

    assert i18n.LANGUAGES == ("nb", "nn", "en")
    assert i18n.nok(17_500_000, "nn") == Words("nn").nok(17_500_000) == "17,5 mill. kr"
    assert i18n.percent(0.25, "nn", 1) == "25,0\u00a0%"


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
