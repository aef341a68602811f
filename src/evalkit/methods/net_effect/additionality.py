"""Additionality: from gross attributed jobs to net additional jobs.

net additional = gross x (1 - leakage) x (1 - deadweight) x (1 - displacement)
x (1 - substitution) x multiplier

(English Partnerships / HCA, *Additionality Guide*; HM Treasury *Green Book*),
reported as a step table in which each factor is applied to the previous step's
output, and drawn as a waterfall.  Deadweight comes from the firm survey when
there is one: each answer to "what would have happened without the support?"
is mapped to an additionality weight (a documented, configurable mapping; no
published Norwegian weights exist), weighted by the attributed jobs of the
project the answer is about (option: by the programme's grant, or equally);
"don't know" is excluded and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from evalkit.results import Result
from evalkit.methods.net_effect.assumptions import Assumptions, assumptions_for
from evalkit.methods.net_effect.attribution import JobAttribution, file_row, require_columns, source_file
from evalkit.errors import InputError

#: Default additionality weight of each survey answer (``None``: excluded).
#: The weights are evalkit's documented choice (no published Norwegian weights exist; Innovasjon Norge reports only
#: the share saying support was decisive).
DEFAULT_ANSWER_WEIGHTS: Mapping[str, float | None] = {
    "would_not_have_happened": 1.0,
    "later_and_smaller": 0.75,
    "smaller": 0.5,
    "later": 0.5,
    "as_planned": 0.0,
    "dont_know": None,
}

WEIGHT_BY: tuple[str, ...] = ("jobs", "grant", "answers")

#: Default (English) labels of the waterfall's steps; ``plot(labels=...)`` overrides them.
STEP_LABELS: dict[str, str] = {
    "gross_new": "gross new jobs (attributed)",
    "secured": "secured jobs counted",
    "gross": "gross jobs",
    "leakage": "leakage",
    "deadweight": "deadweight",
    "displacement": "displacement",
    "substitution": "substitution",
    "multiplier": "multiplier",
    "net": "net additional jobs",
    "ylabel": "full-time jobs",
}



def _check_answer_weights(answer_weights: Mapping[str, float | None] | None) -> dict[str, float | None]:
    weights = dict(DEFAULT_ANSWER_WEIGHTS if answer_weights is None else answer_weights)
    if not weights:
        raise InputError("the answer -> weight mapping is empty.", parameter="answer_weights")
    for answer, weight in weights.items():
        if weight is None:
            continue
        try:
            value = float(weight)
        except (TypeError, ValueError):
            raise InputError(
                f"the weight of answer {answer!r} must be a number in 0-1 or None, got {weight!r}.",
                parameter="answer_weights",
            ) from None
        if not 0.0 <= value <= 1.0:
            raise InputError(
                f"the weight of answer {answer!r} must lie in 0-1, got {value:g}.",
                parameter="answer_weights",
            )
        weights[answer] = value
    if all(w is None for w in weights.values()):
        raise InputError("every answer is excluded; map at least one to a weight.", parameter="answer_weights")
    return weights


@dataclass(frozen=True, eq=False, repr=False)
class SurveyDeadweight(Result):
    """Deadweight estimated from the firm survey.

    Attributes
    ----------
    deadweight
        1 - the weighted mean additionality weight of the valid answers.
    answers
        One row per valid answer: ``org_number``, ``project_id``, ``answer``,
        ``additionality`` (its weight in the mapping) and ``analysis_weight``.
    categories
        One row per answer category: answers, additionality weight, share of
        the analysis weight.
    n_answers, n_excluded
        Answers in the survey, and those excluded ("don't know").
    responding_firms, surveyed_firms, response_rate
        Responding firms that are applicants / applicant firms / their ratio.
    weight_by
        What the answers were weighted by: ``"jobs"``, ``"grant"`` or ``"answers"``.
    note
        Why the weighting fell back, if it did.
    """

    deadweight: float
    answers: pd.DataFrame
    categories: pd.DataFrame
    n_answers: int
    n_excluded: int
    responding_firms: int
    surveyed_firms: int
    response_rate: float
    weight_by: str
    answer_weights: Mapping[str, float | None] = field(default_factory=dict)
    note: str = ""

    @property
    def additionality(self) -> float:
        """Share of the supported activity that is additional (1 - deadweight)."""
        return 1.0 - self.deadweight

    @property
    def n_valid(self) -> int:
        """Answers that enter the deadweight."""
        return self.n_answers - self.n_excluded

    def firm_totals(self) -> pd.DataFrame:
        """Per responding firm: sum of analysis weights and of weight x additionality.

        The bootstrap resamples these rows (firms, not answers, are the sampling unit).
        """
        a = self.answers
        return (
            a.assign(weighted=a["analysis_weight"] * a["additionality"])
            .groupby("org_number")[["analysis_weight", "weighted"]]
            .sum()
        )

    def to_frame(self) -> pd.DataFrame:
        """The answer categories: count, weight and share of the analysis weight."""
        return self.categories

    def summary(self) -> str:
        """One line: deadweight, answers, response rate."""
        return (
            f"Deadweight {self.deadweight:.1%} from {self.n_valid} answers weighted by {self.weight_by} "
            f"({self.n_excluded} 'don't know' excluded); {self.responding_firms} of "
            f"{self.surveyed_firms} firms answered ({self.response_rate:.0%})."
            + (f" {self.note}" if self.note else "")
        )

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates (no words)."""
        return {
            "deadweight": float(self.deadweight),
            "additionality": float(self.additionality),
            "response_rate": float(self.response_rate),
            "responding_firms": int(self.responding_firms),
            "surveyed_firms": int(self.surveyed_firms),
            "n_answers": int(self.n_answers),
            "n_excluded": int(self.n_excluded),
            "n_valid": int(self.n_valid),
            "weight_by": self.weight_by,
        }

    #: Default labels of :meth:`plot` (English message ids; the report translates them).
    PLOT_LABELS: ClassVar[dict[str, str]] = {
        "xlabel": "answers", "title": "What would have happened without the support?"}

    def plot(self, ax: Any = None, *, labels: dict[str, str] | None = None) -> tuple[Any, Any]:
        """Horizontal bars: number of answers per category. Returns ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        words = self._labels(labels)

        if ax is None:
            fig, ax = plt.subplots(figsize=(6.5, 3.2))
        else:
            fig = ax.figure
        table = self.categories
        names = [words.get(str(a), str(a)) for a in table.index]
        ax.barh(names[::-1], table["answers"].to_numpy()[::-1], color="#4c72b0")
        ax.set_xlabel(words["xlabel"])
        if words["title"]:  # a report's caption is the chart's title
            ax.set_title(words["title"])
        fig.tight_layout()
        return fig, ax


def survey_deadweight(
    survey: pd.DataFrame,
    attribution: JobAttribution,
    *,
    weight_by: str = "jobs",
    answer_weights: Mapping[str, float | None] | None = None,
) -> SurveyDeadweight:
    """Deadweight from the firm survey.

    Each answer *i* gets the additionality weight :math:`a_i` of its category
    and an analysis weight :math:`w_i` (the attributed new FTE of the answer's
    firm and project, the programme's grant to it, or 1); then
    deadweight :math:`= 1 - \\sum_i w_i a_i / \\sum_i w_i` over the valid answers.
    Method: Additionality Guide (deadweight from beneficiary surveys);
    categories and default weights in :data:`DEFAULT_ANSWER_WEIGHTS` (evalkit's documented choice:
    no published Norwegian weights exist).

    Parameters
    ----------
    survey
        Survey frame (``org_number``, ``project_id``, ``answer``, ``expected_jobs``).
    attribution
        The job attribution (gives the weights and the surveyed population:
        applicant firms).
    weight_by
        ``"jobs"`` (default), ``"grant"`` or ``"answers"``.  If every valid
        answer has weight 0 (e.g. no attributed jobs), answers count equally and
        ``note`` says so.
    answer_weights
        Mapping answer category -> weight in 0-1, or ``None`` to exclude the
        category; default :data:`DEFAULT_ANSWER_WEIGHTS`.

    Raises
    ------
    evalkit.errors.InputError
        An answer not in the mapping (names file, row and column), a weight
        outside 0-1, an unknown ``weight_by``, no valid answers.
    """
    if weight_by not in WEIGHT_BY:
        raise InputError(
            f"unknown weighting {weight_by!r}.", parameter="weight_by", hint="Use 'jobs', 'grant' or 'answers'."
        )
    weights = _check_answer_weights(answer_weights)
    require_columns(survey, ("org_number", "project_id", "answer"), "survey")
    answers = survey["answer"].astype("string").str.strip()
    unknown = np.flatnonzero(~answers.isin(list(weights)).fillna(False).to_numpy(dtype=bool))
    if unknown.size:
        raise InputError(
            f"unknown survey answer {survey['answer'].iloc[unknown[0]]!r}.",
            file=source_file(survey),
            row=file_row(survey, unknown[0]),
            column="answer",
            hint="Known answers: " + ", ".join(weights) + ".",
        )
    frame = pd.DataFrame(
        {
            "org_number": survey["org_number"].astype(str).to_numpy(),
            "project_id": survey["project_id"].astype(str).to_numpy(),
            "answer": answers.astype(str).to_numpy(),
        }
    )
    frame["additionality"] = frame["answer"].map(lambda a: weights[a]).astype(float)
    excluded = frame["additionality"].isna()
    valid = frame.loc[~excluded].copy()
    if valid.empty:
        raise InputError(
            "the survey has no answer that enters the deadweight (all excluded).",
            file=source_file(survey), column="answer",
            hint="Use the benchmark deadweight instead (leave the survey out).",
        )

    note = ""
    alloc = attribution.allocation.set_index(["org_number", "project_id"])
    keys = pd.MultiIndex.from_frame(valid[["org_number", "project_id"]])
    if weight_by == "jobs":
        w = alloc["attributed_new_fte"].reindex(keys).fillna(0.0).to_numpy()
    elif weight_by == "grant":
        w = alloc["programme_funding_nok"].reindex(keys).to_numpy()
        # an answering firm not linked to the project: its equal part of the grant
        per_project = attribution.projects["grant_paid_nok"] / (attribution.projects["n_firms"] + 1.0)
        fallback = valid["project_id"].map(per_project).fillna(0.0).to_numpy()
        w = np.where(np.isnan(w), fallback, w)
    else:
        w = np.ones(len(valid))
    used = weight_by
    if not np.sum(w) > 0:
        w = np.ones(len(valid))
        used = "answers"
        note = f"All answers had zero {weight_by} weight; answers count equally."
    valid["analysis_weight"] = w
    additionality = float(np.sum(w * valid["additionality"]) / np.sum(w))

    counts = frame["answer"].value_counts()
    wsum = valid.groupby("answer")["analysis_weight"].sum()
    categories = pd.DataFrame(
        {
            "answers": [int(counts.get(a, 0)) for a in weights],
            "additionality_weight": [np.nan if weights[a] is None else weights[a] for a in weights],
            "weight_share": [float(wsum.get(a, 0.0)) / float(np.sum(w)) for a in weights],
        },
        index=pd.Index(list(weights), name="answer"),
    )

    applicants = set(attribution.projects["org_number"].astype(str))
    responding = set(frame["org_number"]) & applicants
    surveyed = len(applicants)
    return SurveyDeadweight(
        deadweight=1.0 - additionality,
        answers=valid.reset_index(drop=True),
        categories=categories,
        n_answers=len(frame),
        n_excluded=int(excluded.sum()),
        responding_firms=len(responding),
        surveyed_firms=surveyed,
        response_rate=len(responding) / surveyed if surveyed else float("nan"),
        weight_by=used,
        answer_weights=weights,
        note=note,
    )


@dataclass(frozen=True, eq=False, repr=False)
class NetAdditionalJobs(Result):
    """Gross-to-net step table of the programme's jobs.

    Attributes
    ----------
    steps
        One row per step: ``step`` (key), ``value`` (the parameter), ``factor``
        applied, ``jobs_before``, ``change``, ``jobs_after`` and ``source``.
    assumptions
        The assumptions used (the deadweight actually used is in ``factors``).
    factors
        ``{leakage, deadweight, displacement, substitution, multiplier}`` used.
    gross_new, gross_secured
        Attributed new and secured FTE.
    public_gross_new, public_gross_secured
        The same attributed to all public funders (for costs incl. co-funders).
    gross_by_year
        Gross jobs (new + secured x weight) by registration year, or ``None``.
    survey
        The survey deadweight used, or ``None``.
    registered_new
        Registered new FTE before attribution, if known.
    """

    steps: pd.DataFrame
    assumptions: Assumptions
    factors: Mapping[str, float]
    gross_new: float
    gross_secured: float
    public_gross_new: float
    public_gross_secured: float
    gross_by_year: pd.Series | None = None
    survey: SurveyDeadweight | None = None
    registered_new: float | None = None

    @property
    def gross(self) -> float:
        """Gross jobs entering additionality: new + secured x secured_weight."""
        return self.gross_new + self.assumptions.secured_weight * self.gross_secured

    @property
    def public_gross(self) -> float:
        """Gross jobs attributed to all public funders together."""
        return self.public_gross_new + self.assumptions.secured_weight * self.public_gross_secured

    @property
    def gross_to_net(self) -> float:
        """The product of the five factors (net / gross)."""
        return gross_to_net_ratio(**self.factors)

    @property
    def net(self) -> float:
        """Net additional jobs (FTE)."""
        return float(self.steps["jobs_after"].iloc[-1])

    @property
    def public_net(self) -> float:
        """Net additional jobs of all public funders' share (same ratio)."""
        return self.public_gross * self.gross_to_net

    def net_by_year(self) -> pd.Series:
        """Net additional jobs by registration year (gross by year x the ratio)."""
        if self.gross_by_year is None:
            return pd.Series({np.nan: self.net}, name="net_additional_jobs")
        return (self.gross_by_year * self.gross_to_net).rename("net_additional_jobs")

    def to_frame(self) -> pd.DataFrame:
        """The step table, indexed by step."""
        return self.steps.set_index("step")

    def tidy(self) -> pd.DataFrame:
        """The step table as a flat frame (one row per step)."""
        return self.steps.copy()

    def summary(self) -> str:
        """One line: gross, net and the ratio."""
        return (
            f"Gross {self.gross:.1f} -> net additional {self.net:.1f} jobs "
            f"(x{self.gross_to_net:.3f}; {self.assumptions.spatial_scale} scale)."
        )

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates (no words)."""
        return {
            "gross": float(self.gross),
            "gross_new": float(self.gross_new),
            "gross_secured": float(self.gross_secured),
            "secured_counted": float(self.gross - self.gross_new),
            "registered_new": None if self.registered_new is None else float(self.registered_new),
            "net": float(self.net),
            "ratio": float(self.gross_to_net),
            "spatial_scale": self.assumptions.spatial_scale,
            "secured_weight": float(self.assumptions.secured_weight),
            **{name: float(value) for name, value in self.factors.items()},
            "deadweight_from_survey": self.survey is not None,
        }

    #: Default labels of :meth:`plot`: the steps, axis and title (English message ids), and the decimal mark.
    PLOT_LABELS: ClassVar[dict[str, str]] = dict(STEP_LABELS) | {
        "ylabel": "full-time jobs", "title": "From gross to net", "decimal_mark": ".", "group_mark": ","}

    def plot(self, ax: Any = None, *, labels: dict[str, str] | None = None) -> tuple[Any, Any]:
        """Waterfall from gross to net additional jobs. Returns ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 3.8))
        else:
            fig = ax.figure
        labels = self._labels(labels)
        marks = {",": labels["group_mark"], ".": labels["decimal_mark"]}
        shown = lambda v: "".join(marks.get(c, c) for c in f"{v:,.1f}")  # noqa: E731
        steps = self.steps
        names, bottoms, heights, colours, texts = [], [], [], [], []
        for _, row in steps.iterrows():
            key = row["step"]
            names.append(labels.get(key, key))
            if key in ("gross_new", "net"):
                bottoms.append(0.0)
                heights.append(row["jobs_after"])
                colours.append("#4c72b0" if key == "gross_new" else "#2a9d8f")
                texts.append(shown(row["jobs_after"]))
            else:
                change = row["change"]
                bottoms.append(min(row["jobs_before"], row["jobs_after"]))
                heights.append(abs(change))
                colours.append("#c44e52" if change < 0 else "#55a868")
                texts.append(("+" if change >= 0 else "") + shown(change))
        x = np.arange(len(names))
        ax.bar(x, heights, bottom=bottoms, color=colours, edgecolor="none")
        for xi, b, h, text in zip(x, bottoms, heights, texts):
            ax.annotate(text, (xi, b + h), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.set_ylabel(labels["ylabel"])
        if labels["title"]:  # a report's caption is the chart's title
            ax.set_title(labels["title"])
        ax.axhline(0, color="black", linewidth=0.6)
        ax.margins(y=0.12)
        fig.tight_layout()
        return fig, ax


def gross_to_net_ratio(
    leakage: float, deadweight: float, displacement: float, substitution: float, multiplier: float
) -> float:
    """(1-L)(1-DW)(1-D)(1-S)M: the Additionality Guide's gross-to-net ratio."""
    return (1 - leakage) * (1 - deadweight) * (1 - displacement) * (1 - substitution) * multiplier


def net_additional_jobs(
    gross: JobAttribution | float,
    *,
    assumptions: Assumptions | None = None,
    deadweight: SurveyDeadweight | float | None = None,
    secured: float = 0.0,
) -> NetAdditionalJobs:
    """Net additional jobs from gross attributed jobs, as a step table.

    net = gross x (1 - leakage) x (1 - deadweight) x (1 - displacement)
    x (1 - substitution) x multiplier, each factor applied to the previous
    step's output (English Partnerships/HCA *Additionality Guide*, ch. 5;
    HM Treasury *Green Book*).  Gross = attributed new FTE + ``secured_weight``
    x attributed secured FTE (secured jobs are not net creation by default).

    Parameters
    ----------
    gross
        A :class:`~evalkit.methods.net_effect.attribution.JobAttribution`, or gross new FTE.
    assumptions
        From :func:`~evalkit.methods.net_effect.assumptions.assumptions_for`; default: local scale.
    deadweight
        A :class:`SurveyDeadweight` (the survey estimate), a share set by the
        analyst, or ``None`` for ``assumptions.deadweight`` (benchmark 25 %).
    secured
        Secured FTE when ``gross`` is a number.

    Returns
    -------
    NetAdditionalJobs

    Examples
    --------
    >>> r = net_additional_jobs(100.0, deadweight=0.25)
    >>> round(r.net, 4)  # 100 x 0.9 x 0.75 x 0.75 x 1.0 x 1.1
    55.6875
    """
    a = assumptions if assumptions is not None else assumptions_for("local")
    survey: SurveyDeadweight | None = None
    dw_source = a.sources.get("deadweight", "")
    if isinstance(deadweight, SurveyDeadweight):
        survey = deadweight
        dw = deadweight.deadweight
        dw_source = f"firm survey: {deadweight.n_valid} answers, weighted by {deadweight.weight_by}"
    elif deadweight is not None:
        try:
            dw = float(deadweight)
        except (TypeError, ValueError):
            raise InputError(f"expected a share in 0-1, got {deadweight!r}.", parameter="deadweight") from None
        if not 0.0 <= dw <= 1.0:
            raise InputError(f"a share must lie in 0-1, got {dw:g}.", parameter="deadweight")
        dw_source = "set by the analyst"
        if not a.ranges["deadweight"][0] <= dw <= a.ranges["deadweight"][1]:
            low, high = a.ranges["deadweight"]
            a = a.model_copy(update={"ranges": {**a.ranges, "deadweight": (min(low, dw), max(high, dw))}})
    else:
        dw = a.deadweight

    by_year: pd.Series | None = None
    registered: float | None = None
    if isinstance(gross, JobAttribution):
        gross_new, gross_secured = gross.attributed_new_fte, gross.attributed_secured_fte
        public_new, public_secured = gross.public_attributed_new_fte, gross.public_attributed_secured_fte
        by_year = (
            gross.by_year["attributed_new_fte"] + a.secured_weight * gross.by_year["attributed_secured_fte"]
        ).rename("gross_jobs")
        registered = gross.registered_new_fte
    else:
        try:
            gross_new, gross_secured = float(gross), float(secured)
        except (TypeError, ValueError):
            raise InputError(f"expected a number of jobs, got {gross!r}.", parameter="gross") from None
        for name, value in (("gross", gross_new), ("secured", gross_secured)):
            if not value >= 0:
                raise InputError(f"jobs must be >= 0, got {value!r}.", parameter=name)
        public_new, public_secured = gross_new, gross_secured

    factors = {
        "leakage": a.leakage,
        "deadweight": dw,
        "displacement": a.displacement,
        "substitution": a.substitution,
        "multiplier": a.multiplier,
    }
    rows: list[dict[str, Any]] = [
        dict(step="gross_new", value=np.nan, factor=np.nan, jobs_before=np.nan, change=np.nan,
             jobs_after=gross_new, source="attribution"),
    ]
    jobs = gross_new + a.secured_weight * gross_secured
    rows.append(dict(step="secured", value=a.secured_weight, factor=np.nan, jobs_before=gross_new,
                     change=jobs - gross_new, jobs_after=jobs,
                     source=f"{gross_secured:.1f} secured FTE x secured_weight; " + a.sources.get("secured_weight", "")))
    for name, value in factors.items():
        factor = value if name == "multiplier" else 1.0 - value
        after = jobs * factor
        rows.append(dict(step=name, value=value, factor=factor, jobs_before=jobs, change=after - jobs,
                         jobs_after=after, source=dw_source if name == "deadweight" else a.sources.get(name, "")))
        jobs = after
    rows.append(dict(step="net", value=np.nan, factor=gross_to_net_ratio(**factors), jobs_before=np.nan,
                     change=np.nan, jobs_after=jobs, source="product of the steps"))
    steps = pd.DataFrame(rows)
    return NetAdditionalJobs(
        steps=steps,
        assumptions=a,
        factors=factors,
        gross_new=gross_new,
        gross_secured=gross_secured,
        public_gross_new=public_new,
        public_gross_secured=public_secured,
        gross_by_year=by_year,
        survey=survey,
        registered_new=registered,
    )
