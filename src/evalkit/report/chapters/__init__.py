"""The report's chapters: functions of the analysis results that return a :class:`~evalkit.report.document.Chapter`.

Each chapter takes the results it reports on and a
:class:`~evalkit.report.words.Words` (the report's language) and returns the
chapter's nodes: a heading that carries the chapter's id, paragraphs made
from templates, tables, figures and the ``results.json`` figures it records.
A notebook calls one function per chapter and nothing else, so a chapter is
tested, and reads the same, whichever notebook shows it.

- :mod:`evalkit.report.chapters.final_evaluation`: the final evaluation
  (title page, summary, background, resources, activity, results against the
  target, attribution, net effect, cost per job, data quality);
- :mod:`evalkit.report.chapters.counterfactual`: the counterfactual, triangulation and its method section;
- :mod:`evalkit.report.chapters.monitoring`: the status report of a running programme;
- :mod:`evalkit.report.chapters.portfolio`: the research report on many programmes.
"""

from __future__ import annotations

import importlib
from typing import Any

#: The chapter modules, loaded on first use (``evalkit.chapters.final_evaluation``).
MODULES = ("final_evaluation", "counterfactual", "monitoring", "portfolio")


def __getattr__(name: str) -> Any:
    if name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
