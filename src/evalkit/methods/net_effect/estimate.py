"""The net effect of a programme in one call: attribution, additionality, cost, uncertainty.

:func:`estimate_net_effect` runs the whole net-effect chain on a programme (anything with the
``.budget .projects .participants .jobs .survey`` frames of
``docs/data-model.md``, e.g. ``evalkit.load_programme(folder)``) and returns the
parts; :func:`net_effect_figures` gives the flat ``results.json`` figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit.results import Result
from evalkit.methods.net_effect.additionality import (
    DEFAULT_ANSWER_WEIGHTS,
    NetAdditionalJobs,
    SurveyDeadweight,
    gross_to_net_ratio,
    net_additional_jobs,
    survey_deadweight,
)
from evalkit.methods.net_effect.assumptions import Assumptions, assumptions_for
from evalkit.methods.net_effect.attribution import JobAttribution, attribute_jobs
from evalkit.methods.net_effect.cost import (
    CostPerJob,
    cost_per_job,
    leverage,
    net_job_years,
    present_value,
    published_benchmarks,
)
from evalkit.errors import InputError
from evalkit.methods.net_effect.uncertainty import MonteCarloResult, Tornado, sensitivity, simulate_net_effect

__all__ = [
    "Assumptions",
    "assumptions_for",
    "JobAttribution",
    "attribute_jobs",
    "SurveyDeadweight",
    "survey_deadweight",
    "DEFAULT_ANSWER_WEIGHTS",
    "NetAdditionalJobs",
    "net_additional_jobs",
    "gross_to_net_ratio",
    "CostPerJob",
    "cost_per_job",
    "leverage",
    "net_job_years",
    "present_value",
    "published_benchmarks",
    "MonteCarloResult",
    "simulate_net_effect",
    "Tornado",
    "sensitivity",
    "NetEffect",
    "estimate_net_effect",
    "net_effect_figures",
    "NET_EFFECT_FIGURES",
]

#: The results.json keys of the net-effect part, in report order.
NET_EFFECT_FIGURES: tuple[str, ...] = (
    "jobs.attributed",
    "additionality.deadweight",
    "additionality.leakage",
    "additionality.displacement",
    "additionality.substitution",
    "additionality.multiplier",
    "jobs.net_additional",
    "jobs.net_additional.p05",
    "jobs.net_additional.p95",
    "jobs.net_job_years",
    "cost_per_job.gross_public_nok",
    "cost_per_job.net_additional_public_nok",
    "cost_per_job.net_additional_public_nok.p05",
    "cost_per_job.net_additional_public_nok.p95",
    "cost_per_job.net_job_year_public_nok",
    "leverage.private_per_programme_nok",
    "survey.responses",
    "survey.response_rate",
)


@dataclass(frozen=True, eq=False, repr=False)
class NetEffect(Result):
    """Everything the net-effect chain computes for one programme."""

    attribution: JobAttribution
    survey: SurveyDeadweight | None
    net: NetAdditionalJobs
    cost: CostPerJob
    monte_carlo: MonteCarloResult
    tornado: Tornado

    def figures(self) -> dict[str, float]:
        """The ``results.json`` figures (keys :data:`NET_EFFECT_FIGURES`)."""
        mc = self.monte_carlo
        f = self.net.factors
        nan = float("nan")
        out = {
            "jobs.attributed": self.attribution.attributed_new_fte,
            "additionality.deadweight": f["deadweight"],
            "additionality.leakage": f["leakage"],
            "additionality.displacement": f["displacement"],
            "additionality.substitution": f["substitution"],
            "additionality.multiplier": f["multiplier"],
            "jobs.net_additional": self.net.net,
            "jobs.net_additional.p05": mc.interval("net_additional_jobs")[0],
            "jobs.net_additional.p95": mc.interval("net_additional_jobs")[1],
            "jobs.net_job_years": self.cost.net_job_years,
            "cost_per_job.gross_public_nok": self.cost.gross_public_nok,
            "cost_per_job.net_additional_public_nok": self.cost.net_additional_public_nok,
            "cost_per_job.net_additional_public_nok.p05": mc.interval("cost_per_net_job")[0],
            "cost_per_job.net_additional_public_nok.p95": mc.interval("cost_per_net_job")[1],
            "cost_per_job.net_job_year_public_nok": self.cost.net_job_year_public_nok,
            "leverage.private_per_programme_nok": self.cost.leverage,
            "survey.responses": float(self.survey.responding_firms) if self.survey else 0.0,
            "survey.response_rate": self.survey.response_rate if self.survey else nan,
        }
        return {key: float(out[key]) for key in NET_EFFECT_FIGURES}

    def to_frame(self) -> pd.DataFrame:
        """The figures as a one-column table."""
        return pd.Series(self.figures(), name="value").to_frame()

    def summary(self) -> str:
        """The net-effect summary line."""
        return self.net.summary() + " " + self.mc_summary()

    def mc_summary(self) -> str:
        """The Monte-Carlo summary line."""
        return self.monte_carlo.summary()

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates: the net step, cost and intervals together."""
        return {
            "attribution": self.attribution.context(),
            "survey": None if self.survey is None else self.survey.context(),
            "net": self.net.context(),
            "cost": self.cost.context(),
            "monte_carlo": self.monte_carlo.context(),
            "tornado": self.tornado.context(),
        }


def _frame(programme: Any, name: str, given: pd.DataFrame | None) -> pd.DataFrame | None:
    if given is not None:
        return given
    return getattr(programme, name, None) if programme is not None else None


def estimate_net_effect(
    programme: Any = None,
    *,
    period: tuple[int, int],
    projects: pd.DataFrame | None = None,
    jobs: pd.DataFrame | None = None,
    budget: pd.DataFrame | None = None,
    survey: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    spatial_scale: str = "local",
    attribution_basis: str = "public_funding",
    realisation_rate: float | None = None,
    discount_rate: float | None = None,
    persistence_years: float | None = None,
    include_cofunders: bool = False,
    survey_weight_by: str = "jobs",
    answer_weights: dict[str, float | None] | None = None,
    use_survey_deadweight: bool = True,
    mc_draws: int = 10_000,
    seed: int = 20100101,
    **assumption_overrides: Any,
) -> NetEffect:
    """Attribution, additionality, cost per job and uncertainty of a programme.

    Parameters
    ----------
    programme
        An object with ``.projects .jobs .budget .survey .participants`` frames
        (e.g. from ``evalkit.load_programme``); frames given as keywords win.
    period
        ``(first_year, last_year)`` of the programme.
    spatial_scale, attribution_basis, realisation_rate, discount_rate, persistence_years
        See :func:`~evalkit.methods.net_effect.assumptions.assumptions_for`,
        :func:`~evalkit.methods.net_effect.attribution.attribute_jobs`, :func:`~evalkit.methods.net_effect.cost.cost_per_job`.
    include_cofunders
        Public cost includes the public co-funders' money.
    survey_weight_by, answer_weights
        See :func:`~evalkit.methods.net_effect.additionality.survey_deadweight`.
    use_survey_deadweight
        Take deadweight from the survey when there is one (default) rather than
        the benchmark.
    mc_draws, seed
        Monte-Carlo draws and seed.
    **assumption_overrides
        ``leakage=...``, ``displacement_range=(lo, hi)``, ``secured_weight=...`` etc.
    """
    projects = _frame(programme, "projects", projects)
    jobs = _frame(programme, "jobs", jobs)
    budget = _frame(programme, "budget", budget)
    survey = _frame(programme, "survey", survey)
    participants = _frame(programme, "participants", participants)
    for name, frame in (("projects", projects), ("jobs", jobs), ("budget", budget)):
        if frame is None:
            raise InputError(f"the {name} table is missing.", parameter=name,
                             hint="Pass a programme or the frame as a keyword.")
    assumptions = assumptions_for(
        spatial_scale, realisation_rate=realisation_rate, discount_rate=discount_rate,
        persistence_years=persistence_years, **assumption_overrides,
    )
    attribution = attribute_jobs(
        projects, jobs, period=period, attribution_basis=attribution_basis, participants=participants,
        survey=survey, realisation_rate=assumptions.realisation_rate,
    )
    deadweight: SurveyDeadweight | None = None
    if survey is not None and len(survey):
        deadweight = survey_deadweight(survey, attribution, weight_by=survey_weight_by, answer_weights=answer_weights)
    use = deadweight if (use_survey_deadweight and deadweight is not None and assumption_overrides.get("deadweight") is None) else None
    net = net_additional_jobs(attribution, assumptions=assumptions, deadweight=use)
    cost = cost_per_job(budget, projects, net, include_cofunders=include_cofunders)
    mc = simulate_net_effect(net, cost, draws=mc_draws, seed=seed)
    # with no net jobs at the point values, cost per net job is unbounded: rank by net jobs instead
    outcome = "cost_per_net_job" if net.net > 0 else "net_additional_jobs"
    tornado = sensitivity(net, cost, outcome=outcome, monte_carlo=mc)
    return NetEffect(attribution=attribution, survey=deadweight, net=net, cost=cost, monte_carlo=mc, tornado=tornado)


def net_effect_figures(programme: Any = None, **kwargs: Any) -> dict[str, float]:
    """The ``results.json`` figures of the net effect as a flat dict.

    Takes the arguments of :func:`estimate_net_effect`; keys :data:`NET_EFFECT_FIGURES`.
    """
    return estimate_net_effect(programme, **kwargs).figures()
