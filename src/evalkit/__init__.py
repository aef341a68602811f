"""evalkit: final evaluations of regional restructuring programmes.

The public API, in the domain's words: load a programme's records, summarise
what went in and came out, claim what the programme caused (attribution,
additionality, cost per job), compare with a counterfactual, and render it
all as a report. Each function returns a frozen result that shows itself as a
table in JupyterLab.
"""

__version__ = "0.1.0"

from evalkit.errors import InputError, RenderError
from evalkit.evaluation import load_evaluation, notebook_parameters
from evalkit.gross_jobs import cost_per_registered_job, expected_jobs, gross_jobs, target_attainment
from evalkit.portfolio import firms_reached, portfolio
from evalkit.programme import Programme, load_programme
from evalkit.monitoring import budget_forecast, budget_status, priority_spread, region_population
from evalkit.publish import Report
from evalkit.method_appendix import net_effect_choices, net_effect_method  # the method appendix's text (issue 5)
from evalkit.style import apply_report_style, report_style  # one chart style for reports (issue 5)
from evalkit.disclosure import ProtectedTable, firm_pseudonyms, protect_table, publishable_firm_names
from evalkit.net_effect import *  # noqa: F403  attribution, additionality, cost per job, uncertainty (issue 3)
from evalkit import counterfactual, ssb
from evalkit.counterfactual import comparison_donors, maryland_grade, outcome_index, triangulate
from evalkit.did import did, event_study
from evalkit.ssb import harmonise_municipality_codes, read_jsonstat, read_population_panel, read_statbank_csv
from evalkit.synthetic_control import synthetic_control
from evalkit.parallel import available_jobs
