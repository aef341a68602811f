"""The programme data model as validation schemas (see ``docs/data-model.md``).

Each table of a programme's records has a :mod:`pandera` schema. Tables are
read as text and coerced here, so that a wrong value is reported with the
row and column a person sees in the file, not as a pandas exception.
"""

from __future__ import annotations

import pandera.pandas as pa

#: Project phases / kinds (``kompetanse``: competence programmes such as SMB Utvikling).
PROJECT_TYPES = ("forstudie", "forprosjekt", "hovedprosjekt", "nettverk", "kompetanse")
#: What the programme's own funds were used for.
BUDGET_CATEGORIES = ("project_support", "administration", "other")
#: The firm survey's additionality question ("what would have happened without the support?").
SURVEY_ANSWERS = (
    "would_not_have_happened",
    "later_and_smaller",
    "smaller",
    "later",
    "as_planned",
    "dont_know",
)

_ORG_NUMBER = r"^\d{9}$"


def _money(nullable: bool = False) -> pa.Column:
    return pa.Column(float, pa.Check.ge(0), nullable=nullable, coerce=True)


def _text(**kwargs) -> pa.Column:
    return pa.Column(str, pa.Check.str_length(min_value=1), coerce=True, **kwargs)


#: Years a programme's records can hold (regional restructuring began in the 1980s).
FIRST_YEAR, LAST_YEAR = 1980, 2100
#: More full-time equivalents than this in one registration is a typing error (a whole county's jobs).
MAX_FTE_PER_ROW = 10_000


def _year() -> pa.Column:
    return pa.Column(int, pa.Check.in_range(FIRST_YEAR, LAST_YEAR), coerce=True)


def _fte() -> pa.Column:
    return pa.Column(float, [pa.Check.ge(0), pa.Check.le(MAX_FTE_PER_ROW)], coerce=True)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "budget": pa.DataFrameSchema(
        {
            "year": _year(),
            "source": _text(),
            "category": pa.Column(str, pa.Check.isin(BUDGET_CATEGORIES), coerce=True),
            "amount_nok": _money(),
        },
        strict=False,
    ),
    "projects": pa.DataFrameSchema(
        {
            "project_id": _text(unique=True),
            "org_number": pa.Column(str, pa.Check.str_matches(_ORG_NUMBER), coerce=True),
            "title": _text(),
            "type": pa.Column(str, pa.Check.isin(PROJECT_TYPES), coerce=True),
            "sector": _text(),
            "year": _year(),
            "grant_approved_nok": _money(),
            "grant_paid_nok": _money(),
            "total_cost_nok": _money(),
            "cofunding_innovasjon_norge_nok": _money(),
            "cofunding_other_public_nok": _money(),
            "cofunding_private_nok": _money(),
        },
        strict=False,
    ),
    "firms": pa.DataFrameSchema(
        {
            "org_number": pa.Column(
                str, pa.Check.str_matches(_ORG_NUMBER), unique=True, coerce=True
            ),
            "name": _text(),
            "sector": _text(),
            "new_firm": pa.Column(bool, coerce=False),
            "founded_year": pa.Column("Int64", pa.Check.in_range(1800, 2100), nullable=True, coerce=True),
            "employees_before": pa.Column(int, pa.Check.ge(0), coerce=True),
        },
        strict=False,
    ),
    "participants": pa.DataFrameSchema(
        {
            "project_id": _text(),
            "org_number": pa.Column(str, pa.Check.str_matches(_ORG_NUMBER), coerce=True),
        },
        strict=False,
    ),
    "jobs": pa.DataFrameSchema(
        {
            "project_id": _text(),
            "org_number": pa.Column(str, pa.Check.str_matches(_ORG_NUMBER), coerce=True),
            "year": _year(),
            "new_fte": _fte(),
            "secured_fte": _fte(),
        },
        strict=False,
    ),
    "survey": pa.DataFrameSchema(
        {
            "org_number": pa.Column(str, pa.Check.str_matches(_ORG_NUMBER), coerce=True),
            "project_id": _text(),
            "answer": pa.Column(str, pa.Check.isin(SURVEY_ANSWERS), coerce=True),
            "expected_jobs": _money(nullable=True),
        },
        strict=False,
    ),
}

#: Tables a programme must have; the others may be absent.
REQUIRED_TABLES = ("budget", "projects", "firms", "jobs")
OPTIONAL_TABLES = ("participants", "survey")
BOOLEAN_COLUMNS = {"firms": ("new_firm",)}
#: Columns whose values identify a firm (its name, its organisation number in the public register,
#: a project title, which often names the applicant): never quoted in the data-quality notes.
FIRM_IDENTIFYING = {
    "firms": ("org_number", "name"),
    "projects": ("org_number", "title"),
    "participants": ("org_number",),
    "jobs": ("org_number",),
    "survey": ("org_number",),
}

#: What a failed check means, in words a consultant understands.
CHECK_WORDS = {
    "greater_than_or_equal_to(0)": "must be a number >= 0",
    "str_matches": "must be a 9-digit organisation number",
    "isin": "must be one of {allowed}",
    "in_range": "must be a year",
    "str_length": "must not be empty",
    "field_uniqueness": "must be unique, but this value appears more than once",
    "not_nullable": "must not be empty",
}
