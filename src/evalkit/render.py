"""The one render path: an evaluation file in, a finished report folder out.

Used by the command line (``evalkit render``), the tests and batch runs.
Everything is checked before a kernel starts (the evaluation file, the
notebook's parameters, the programme's records); the notebook runs with
papermill into a temporary folder, which is moved into place only when every
output is written, so a failed or interrupted render never leaves a
half-written report. The executed notebook of a failed render is kept in
``<report folder>.failed/`` for debugging.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from evalkit import __version__
from evalkit.errors import InputError, RenderError
from evalkit.evaluation import Evaluation, check_parameters, load_evaluation, notebook_parameters
from evalkit.programme import load_programme, sha256_of
from evalkit.publish import FIGURES_MIME

#: Kernel that runs reports: the interpreter evalkit itself runs in.
KERNEL = "python3"
#: Parameters whose values are machine-specific paths: recorded relative in results.json.
PATH_PARAMETERS = ("data_dir", "ssb_dir")


@dataclass(frozen=True)
class RenderResult:
    """Where a render put its report, and what it found."""

    slug: str
    folder: Path
    figures: dict[str, Any] = field(repr=False)
    seconds: float = 0.0

    @property
    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())


def prepare(evaluation_path: str | Path) -> tuple[Evaluation, dict[str, Any]]:
    """Check an evaluation before anything runs; return it and the notebook's parameters.

    Raises
    ------
    InputError
        For a bad evaluation file, an unknown or mistyped parameter, or bad
        programme records.
    """
    evaluation = load_evaluation(evaluation_path)
    declared = notebook_parameters(evaluation.notebook)
    parameters = evaluation.notebook_parameters()
    check_parameters(parameters, declared, file=evaluation.source)
    load_programme(evaluation.data)  # bad records are reported here, with file/row/column
    effective = {name: spec["default"] for name, spec in declared.items()} | parameters
    return evaluation, effective


def _input_files(evaluation: Evaluation, parameters: dict[str, Any]) -> dict[str, str]:
    """sha256 of every file the report is made from, keyed by a path relative to the evaluation."""
    base = evaluation.source.parent if evaluation.source else Path.cwd()
    files = [evaluation.source, evaluation.notebook, *sorted(p for p in evaluation.data.rglob("*") if p.is_file())]
    ssb = _resolve(parameters.get("ssb_dir"), evaluation)
    if ssb is not None and ssb.is_dir():
        files += sorted(p for p in ssb.glob("*") if p.is_file())
    return {os.path.relpath(p, base): sha256_of(p) for p in files if p is not None}


def _resolve(value: Any, evaluation: Evaluation) -> Path | None:
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else (evaluation.notebook.parent / path).resolve()


def _meta(evaluation: Evaluation, parameters: dict[str, Any]) -> dict[str, Any]:
    base = evaluation.source.parent if evaluation.source else Path.cwd()
    shown = dict(parameters)
    for name in PATH_PARAMETERS:
        if shown.get(name):
            resolved = _resolve(shown[name], evaluation) if name != "data_dir" else evaluation.data
            shown[name] = os.path.relpath(resolved, base)
    return {
        "evalkit_version": __version__,
        "evaluation": evaluation.slug,
        "notebook": os.path.relpath(evaluation.notebook, base),
        "parameters": shown,
        "inputs": _input_files(evaluation, parameters),
    }


def collect_figures(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """Merge every key figure the notebook recorded (``Report.record``), later wins."""
    figures: dict[str, Any] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FIGURES_MIME in data:
                figures.update(data[FIGURES_MIME])
    return figures


def results_json(meta: dict[str, Any], figures: dict[str, Any]) -> str:
    """``results.json`` text: sorted keys, no timestamps, so equal inputs give equal bytes."""
    return json.dumps({"meta": meta, "figures": figures}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def default_folder(evaluation: Evaluation, reports_root: str | Path = "reports") -> Path:
    """``reports/<slug>/``."""
    return Path(reports_root) / evaluation.slug


def render(
    evaluation_path: str | Path,
    output: str | Path | None = None,
    *,
    pdf: bool = False,
    reports_root: str | Path = "reports",
) -> RenderResult:
    """Render an evaluation into its report folder.

    Parameters
    ----------
    evaluation_path
        The evaluation's YAML file.
    output
        Report folder; default ``reports/<slug>/`` (slug: the file's name
        without ``.yaml``).
    pdf
        Also print the HTML report to ``report.pdf`` (A4, headless Chromium).
    reports_root
        Folder of the default report folders.

    Returns
    -------
    RenderResult

    Raises
    ------
    InputError
        Bad input, found before the kernel starts.
    RenderError
        A notebook cell failed (the partial notebook is kept in
        ``<folder>.failed/``) or the output could not be written.
    """
    started = time.perf_counter()
    evaluation, parameters = prepare(evaluation_path)
    target = Path(output) if output else default_folder(evaluation, reports_root)
    target = target.absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror}).", file=target.parent,
                         hint="Choose another output folder with -o.") from None
    try:
        notebook = _execute(evaluation, parameters, staging, target)
        figures = collect_figures(notebook)
        meta = _meta(evaluation, parameters)
        (staging / "results.json").write_text(results_json(meta, figures), encoding="utf-8")
        from evalkit.report_html import write_outputs

        write_outputs(notebook, staging, evaluation=evaluation, pdf=pdf, meta=meta)
        _swap_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RenderResult(evaluation.slug, target, figures, time.perf_counter() - started)


def _execute(evaluation: Evaluation, parameters: dict[str, Any], staging: Path, target: Path) -> nbformat.NotebookNode:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed = staging / "report.ipynb"
    try:
        papermill.execute_notebook(
            str(evaluation.notebook),
            str(executed),
            parameters=evaluation.notebook_parameters(),
            kernel_name=KERNEL,
            cwd=str(evaluation.notebook.parent),
            progress_bar=False,
            log_output=False,
            report_mode=False,
        )
    except PapermillExecutionError as exc:
        failed = target.parent / f"{target.name}.failed"
        shutil.rmtree(failed, ignore_errors=True)
        failed.mkdir(parents=True)
        if executed.exists():
            shutil.copy2(executed, failed / "report.ipynb")
        raise RenderError(
            f"{evaluation.notebook.name}: cell {exc.exec_count or exc.cell_index} failed with "
            f"{exc.ename}: {exc.evalue} (the executed notebook is in {failed})"
        ) from None
    return nbformat.read(executed, as_version=4)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` so that a complete report is always there."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    os.replace(staging, target)  # same folder, so an atomic rename
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(target.parent / f"{target.name}.failed", ignore_errors=True)
