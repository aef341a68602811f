"""evalkit: final evaluations of regional restructuring programmes.

The public API, in the domain's words: load a programme's records, summarise
what went in and came out, claim what the programme caused (attribution,
additionality, cost per job), compare with a counterfactual, and render it
all as a report. Each function returns a frozen result that shows itself as a
table in JupyterLab.

``import evalkit as ek`` is the one entry point. Names load on first use (the
lazy ``__getattr__`` map pyfixest uses), so ``import evalkit`` and the light
modules (``evalkit.errors``) do not pull in the numeric stack.
"""

from __future__ import annotations

import importlib
from typing import Any

from evalkit._version import __version__

#: Public name -> the module that defines it.
_API: dict[str, str] = {
    # evalkit.errors
    "InputError": "evalkit.errors",
    "RenderError": "evalkit.errors",

    # evalkit.run.evaluation
    "load_evaluation": "evalkit.run.evaluation",
    "notebook_contract": "evalkit.run.evaluation",
    "notebook_parameters": "evalkit.run.evaluation",

    # evalkit.run.cache
    "cached": "evalkit.run.cache",

    # evalkit.run.render
    "render": "evalkit.run.render",

    # evalkit.methods.descriptive.gross_jobs
    "cost_per_registered_job": "evalkit.methods.descriptive.gross_jobs",
    "expected_jobs": "evalkit.methods.descriptive.gross_jobs",
    "gross_jobs": "evalkit.methods.descriptive.gross_jobs",
    "target_attainment": "evalkit.methods.descriptive.gross_jobs",

    # evalkit.methods.descriptive.portfolio
    "firms_reached": "evalkit.methods.descriptive.portfolio",
    "portfolio": "evalkit.methods.descriptive.portfolio",

    # evalkit.io.programme
    "Programme": "evalkit.io.programme",
    "load_programme": "evalkit.io.programme",

    # evalkit.methods.descriptive.monitoring
    "budget_forecast": "evalkit.methods.descriptive.monitoring",
    "budget_status": "evalkit.methods.descriptive.monitoring",
    "priority_spread": "evalkit.methods.descriptive.monitoring",
    "region_population": "evalkit.methods.descriptive.monitoring",


    # evalkit.report.words
    "Words": "evalkit.report.words",

    # evalkit.report.method_appendix
    "net_effect_choices": "evalkit.report.method_appendix",
    "net_effect_method": "evalkit.report.method_appendix",

    # evalkit.report.style
    "apply_report_style": "evalkit.report.style",
    "report_style": "evalkit.report.style",

    # evalkit.methods.disclosure
    "ProtectedTable": "evalkit.methods.disclosure",
    "firm_pseudonyms": "evalkit.methods.disclosure",
    "protect_table": "evalkit.methods.disclosure",
    "publishable_firm_names": "evalkit.methods.disclosure",

    # evalkit.methods.net_effect.assumptions
    "Assumptions": "evalkit.methods.net_effect.assumptions",
    "assumptions_for": "evalkit.methods.net_effect.assumptions",

    # evalkit.methods.net_effect.attribution
    "JobAttribution": "evalkit.methods.net_effect.attribution",
    "attribute_jobs": "evalkit.methods.net_effect.attribution",

    # evalkit.methods.net_effect.additionality
    "DEFAULT_ANSWER_WEIGHTS": "evalkit.methods.net_effect.additionality",
    "NetAdditionalJobs": "evalkit.methods.net_effect.additionality",
    "SurveyDeadweight": "evalkit.methods.net_effect.additionality",
    "gross_to_net_ratio": "evalkit.methods.net_effect.additionality",
    "net_additional_jobs": "evalkit.methods.net_effect.additionality",
    "survey_deadweight": "evalkit.methods.net_effect.additionality",

    # evalkit.methods.net_effect.cost
    "CostPerJob": "evalkit.methods.net_effect.cost",
    "cost_per_job": "evalkit.methods.net_effect.cost",
    "leverage": "evalkit.methods.net_effect.cost",
    "net_job_years": "evalkit.methods.net_effect.cost",
    "present_value": "evalkit.methods.net_effect.cost",
    "published_benchmarks": "evalkit.methods.net_effect.cost",

    # evalkit.methods.net_effect.uncertainty
    "MonteCarloResult": "evalkit.methods.net_effect.uncertainty",
    "Tornado": "evalkit.methods.net_effect.uncertainty",
    "sensitivity": "evalkit.methods.net_effect.uncertainty",
    "simulate_net_effect": "evalkit.methods.net_effect.uncertainty",

    # evalkit.methods.net_effect.estimate
    "NET_EFFECT_FIGURES": "evalkit.methods.net_effect.estimate",
    "NetEffect": "evalkit.methods.net_effect.estimate",
    "estimate_net_effect": "evalkit.methods.net_effect.estimate",
    "net_effect_figures": "evalkit.methods.net_effect.estimate",

    # evalkit.methods.counterfactual.design
    "comparison_donors": "evalkit.methods.counterfactual.design",
    "maryland_grade": "evalkit.methods.counterfactual.design",
    "outcome_index": "evalkit.methods.counterfactual.design",
    "triangulate": "evalkit.methods.counterfactual.design",

    # evalkit.methods.counterfactual.analysis
    "CounterfactualAnalysis": "evalkit.methods.counterfactual.analysis",
    "counterfactual_analysis": "evalkit.methods.counterfactual.analysis",

    # evalkit.methods.counterfactual.did
    "did": "evalkit.methods.counterfactual.did",
    "event_study": "evalkit.methods.counterfactual.did",

    # evalkit.io.ssb
    "harmonise_municipality_codes": "evalkit.io.ssb",
    "read_jsonstat": "evalkit.io.ssb",
    "read_population_panel": "evalkit.io.ssb",
    "read_statbank_csv": "evalkit.io.ssb",

    # evalkit.methods.counterfactual.synthetic_control
    "synthetic_control": "evalkit.methods.counterfactual.synthetic_control",
    "CrossValidation": "evalkit.methods.counterfactual.synthetic_control",
    # evalkit.methods.counterfactual.pooled / staggered, evalkit.io.register
    "pooled_synthetic_control": "evalkit.methods.counterfactual.pooled",
    "staggered_did": "evalkit.methods.counterfactual.staggered",
    "programme_register": "evalkit.io.register",
    "programme_cohorts": "evalkit.io.register",
    "synthetic_did": "evalkit.methods.counterfactual.sdid",
    "conformal_inference": "evalkit.methods.counterfactual.conformal",
    "portfolio_study": "evalkit.methods.counterfactual.portfolio_study",
    "PortfolioStudy": "evalkit.methods.counterfactual.portfolio_study",

    # evalkit.run.parallel
    "available_jobs": "evalkit.run.parallel",
}
#: Modules reachable as attributes (``ek.ssb.read_municipality_hierarchy``).
_MODULES: dict[str, str] = {'ssb': 'evalkit.io.ssb', 'counterfactual': 'evalkit.methods.counterfactual.design', 'i18n': 'evalkit.report.i18n',
                           'chapters': 'evalkit.report.chapters'}

__all__ = sorted([*_API, *_MODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
