"""The evaluation file's keys (background, conclusions, chapters) and the checks before the kernel."""

from __future__ import annotations

import re

import shutil
from pathlib import Path

import pytest

from conftest import DEFAULT_EVALUATION, ROOT
from evalkit.errors import InputError
from evalkit.run.cli import main
from evalkit.run.evaluation import (
    SET_BY_THE_FILE,
    load_evaluation,
    notebook_contract,
    notebook_parameters,
)
from evalkit.run.render import prepare

NOTEBOOK = ROOT / "notebooks" / "final_evaluation.ipynb"
MONITORING = ROOT / "notebooks" / "programme_monitoring.ipynb"


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the evaluations folder beside the real notebooks and data (paths stay valid)."""
    folder = tmp_path / "evaluations"
    shutil.copytree(ROOT / "evaluations", folder)
    for name in ("notebooks", "data"):
        (tmp_path / name).symlink_to(ROOT / name)
    return folder


def _evaluation(project: Path, extra: str = "", replace: tuple[str, str] | None = None) -> Path:
    text = (project / DEFAULT_EVALUATION.name).read_text(encoding="utf-8")
    # The cases add their own background and illustrative_data: the shipped file's would repeat them.
    text = re.sub(r"(?m)^background:.*\n(?:  .*\n)*", "", text)
    text = re.sub(r"(?m)^  illustrative_data:.*\n", "", text)
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = project / "case.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        prepare(path)
    return caught.value


def _line(path: Path, start: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.lstrip().startswith(start))


# --- background ------------------------------------------------------------------------------

def test_background_becomes_notebook_parameters(project):
    path = _evaluation(project, "background:\n  jobs_lost: 210\n  jobs_lost_share: 0.06\n"
                                "  story:\n    nb: Kommunen mistet **210** arbeidsplasser.\n    en: The municipality lost 210 jobs.\n")
    evaluation = load_evaluation(path)
    values = evaluation.notebook_parameters()
    assert values["jobs_lost"] == 210 and values["jobs_lost_share"] == 0.06
    assert values["background_story"] == "Kommunen mistet **210** arbeidsplasser."
    english = load_evaluation(_evaluation(project, "background:\n  story: {nb: a, en: b}\n",
                                          replace=("language: nb", "language: en")))
    assert english.notebook_parameters()["background_story"] == "b"


def test_story_without_the_reports_language_is_refused(project):
    path = _evaluation(project, "background:\n  story: {en: only English}\n")
    with pytest.raises(InputError, match="no text in the report's language 'nb'"):
        load_evaluation(path)


@pytest.mark.parametrize("name", sorted(SET_BY_THE_FILE))
def test_parameters_may_not_set_what_a_setting_sets(project, name):
    path = _evaluation(project, f"  {name}: 1\n")
    with pytest.raises(InputError) as caught:
        load_evaluation(path)
    message = str(caught.value)
    assert f"'{name}' is set by the evaluation file's setting '{SET_BY_THE_FILE[name].split(':')[0]}'" in message
    assert f"write {SET_BY_THE_FILE[name]}: ... instead" in message
    assert caught.value.location.row == len(path.read_text().splitlines())


def test_illustrative_data_stays_a_notebook_parameter(project):
    _, parameters = prepare(_evaluation(project, "  illustrative_data: false\n"))
    assert parameters["illustrative_data"] is False


# --- ranges and allowed values ---------------------------------------------------------------

@pytest.mark.parametrize(
    "old, new, message",
    [
        ("discount_rate: 0.04", "discount_rate: 4",
         "parameter 'discount_rate': must be between 0 and 0.2 (a share: 4 % is 0.04)."),
        ("spatial_scale: local", "spatial_scale: regionalt",
         "parameter 'spatial_scale': must be one of local, regional, national (got 'regionalt'). Did you mean 'regional'?"),
        ("realisation_rate: 0.5", "realisation_rate: 50",
         "parameter 'realisation_rate': must be between 0 and 1 (a share: 50 % is 0.5)."),
        ("mc_draws: 10000", "mc_draws: 10", "parameter 'mc_draws': must be between 100 and 1000000 (got 10)."),
        ("attribution_basis: public_funding", "attribution_basis: grant",
         "parameter 'attribution_basis': must be one of public_funding, total_cost (got 'grant')."),
        ("persistence_years: 3", "persistence_years: -1", "parameter 'persistence_years': must be between 0 and 30 (got -1)."),
    ],
)
def test_range_and_allowed_values_one_line_with_the_line(project, old, new, message):
    path = _evaluation(project, replace=(old, new))
    error = _error(path)
    assert str(error).endswith(message), str(error)
    assert error.location.row == _line(path, new.split(":")[0] + ":")
    assert "\n" not in str(error)


def test_an_optional_share_may_be_none_or_in_range(project):
    _, parameters = prepare(_evaluation(project, "  deadweight: 0.3\n  multiplier: null\n"))
    assert parameters["deadweight"] == 0.3 and parameters["multiplier"] is None
    assert "between 0 and 1 (a share: 30 % is 0.3)" in str(_error(_evaluation(project, "  deadweight: 30\n")))
    assert "must be between 1 and 3 (got 0.5)" in str(_error(_evaluation(project, "  multiplier: 0.5\n")))


def test_every_limit_is_on_a_declared_parameter_and_is_met_by_the_defaults():
    for notebook in (NOTEBOOK, MONITORING):
        declared = notebook_parameters(notebook)
        contract = notebook_contract(notebook)
        assert contract.allowed and set(contract.allowed) <= set(declared)
        for name, rule in contract.allowed.items():
            if declared[name]["default"] is not None:
                assert rule.problem(declared[name]["default"]) is None, name


def test_shipped_evaluations_pass_the_checks():
    for path in sorted((ROOT / "evaluations").glob("*.yaml")):
        evaluation = load_evaluation(path)
        declared = notebook_parameters(evaluation.notebook)
        for name, value in evaluation.parameters.items():
            rule = declared[name]["allowed"]
            assert rule is None or rule.problem(value) is None, (path.name, name)


def test_params_shows_the_allowed_values(capsys):
    assert main(["params", str(NOTEBOOK)]) == 0
    out = capsys.readouterr().out
    assert "discount_rate: float = 0.04  # [0, 0.2], a share; real discount rate" in out
    assert "spatial_scale: str = 'local'  # one of: local, regional, national; scale of the net effect" in out


# --- YAML mistakes read like advice ----------------------------------------------------------

def test_unquoted_date_says_write_it_in_quotes(project):
    path = _evaluation(project, replace=('data_date: "2017-12-31"', "data_date: 2017-12-31"))
    with pytest.raises(InputError) as caught:
        load_evaluation(path)
    assert 'write the date in quotes, e.g. data_date: "2017-12-31"' in str(caught.value)
    assert caught.value.location.row == _line(path, "data_date:")


def test_code_as_a_number_and_no_for_a_language(project):
    error = _error(_evaluation(project, replace=('municipality_code: "3443"', "municipality_code: 3443")))
    assert "must be of type str" in str(error) and 'write it in quotes, "3443"' in str(error)
    with pytest.raises(InputError, match="YAML reads yes/no"):
        load_evaluation(_evaluation(project, replace=("language: nb", "language: no")))


def test_colon_in_a_title_says_quote_it(project):
    path = _evaluation(project, replace=("title: Slutt", "title: Omstilling: slutt"))
    with pytest.raises(InputError, match="must be in quotes"):
        load_evaluation(path)


def test_nynorsk_is_a_report_language(project):
    assert load_evaluation(_evaluation(project, replace=("language: nb", "language: nn"))).language == "nn"


# --- chapters of the evaluator's own ---------------------------------------------------------

def test_chapters_are_resolved_per_language_with_their_lines(project):
    (project / "own").mkdir()
    for name in ("a.md", "a-en.md", "c.md"):
        (project / "own" / name).write_text("# Title\n\nText.\n")
    path = _evaluation(project, "conclusions: own/c.md\nchapters:\n  - {file: {nb: own/a.md, en: own/a-en.md}, after: results}\n")
    specs = load_evaluation(path).consultant_chapters()
    assert [s.file for s in specs] == [project / "own" / "c.md", project / "own" / "a.md"]
    assert specs[0].conclusions and specs[1].after == "results"
    assert [s.line for s in specs] == [_line(path, "conclusions:"), _line(path, "- {file:")]
    prepare(path)  # the files, headings and ids pass


@pytest.mark.parametrize(
    "chapter, where, words",
    [
        ("# T\n\n{{ fig(\"jobs.netto\") }}\n", "md", "'jobs.netto' is not a figure of the report"),
        ("Bare tekst\n", "md", "does not start with the chapter's '# ' heading"),
        (None, "yaml", "does not exist"),
    ],
)
def test_a_bad_chapter_stops_before_the_kernel_exit_2_and_no_report(project, tmp_path, capsys, chapter, where, words):
    md = project / "own.md"
    if chapter is not None:
        md.write_text(chapter)
    path = _evaluation(project, "chapters:\n  - file: own.md\n    after: results\n")
    out = tmp_path / "out"
    assert main(["render", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert (str(md) if where == "md" else str(path)) in err
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_unknown_chapter_id_lists_the_ids(project):
    (project / "own.md").write_text("# T\n")
    path = _evaluation(project, "chapters:\n  - file: own.md\n    after: resultater\n")
    error = _error(path)
    assert "'resultater' is not a chapter of the notebook" in str(error) and "summary, background, resources" in str(error)
    assert error.location.row == _line(path, "- file:")


def test_chapter_needs_exactly_one_place(project):
    with pytest.raises(InputError, match="one place"):
        load_evaluation(_evaluation(project, "chapters:\n  - {file: own.md, after: results, before: appendix}\n"))


def test_chapters_command_lists_the_ids(capsys):
    assert main(["chapters", str(NOTEBOOK)]) == 0
    assert capsys.readouterr().out.split() == list(notebook_contract(NOTEBOOK).chapters)
    assert main(["chapters", str(MONITORING)]) == 0
    assert capsys.readouterr().out.split() == ["summary", "background", "budget", "activity", "priorities",
                                               "forecast", "population", "appendix"]


def test_figure_keys_are_the_golden_ones_and_documented():
    """The contract's figures are what a render records (the golden files are renders' results.json)."""
    import json

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for notebook, golden in ((NOTEBOOK, "vestre-toten-2010-2016"), (NOTEBOOK, "alstahaug-2013-2019"),
                             (MONITORING, "gjovikregionen-2017-2018")):
        figures = json.loads((ROOT / "tests" / "golden" / f"{golden}.json").read_text())
        assert sorted(figures) == sorted(notebook_contract(notebook).figures), golden
    for key in notebook_contract(NOTEBOOK).figures:
        bare = key.removesuffix(".p05").removesuffix(".p95")
        assert f"`{key}`" in readme or f"`{bare}" in readme, key


# --- a batch checks every evaluation first, and once -----------------------------------------

def test_a_batch_checks_every_evaluation_before_any_render_and_only_once(project, monkeypatch):
    import evalkit.run.render as render_module
    from evalkit.run.batch import render_many
    from evalkit.run.render import RenderResult

    good = _evaluation(project)
    bad = project / "bad.yaml"
    bad.write_text(good.read_text().replace("discount_rate: 0.04", "discount_rate: 4"))
    events: list[str] = []
    real_prepare = render_module._prepare

    def prepare(path, *, pdf=False):
        events.append(f"check {Path(path).stem}")
        return real_prepare(path, pdf=pdf)

    def render(path, output=None, *, pdf=False, reports_root="reports", prepared=None):
        assert prepared is not None  # what the batch's check found: not checked again
        events.append(f"render {Path(path).stem}")
        return RenderResult(Path(path).stem, Path(reports_root) / Path(path).stem, {})

    monkeypatch.setattr(render_module, "_prepare", prepare)
    monkeypatch.setattr(render_module, "render", render)
    result = render_many([good, bad], jobs=1, reports_root=project / "reports")
    assert events == ["check case", "check bad", "render case"]
    assert [o.ok for o in result.outcomes] == [True, False] and result.exit_code == 2
    assert "must be between 0 and 0.2 (a share: 4 % is 0.04)" in result.outcomes[1].reason
