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

import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from evalkit._version import __version__
from evalkit.errors import InputError, RenderError
from evalkit.run.evaluation import Evaluation, check_parameters, load_evaluation, notebook_parameters
from evalkit.io.programme import Programme, check_period, load_programme, sha256_of

#: Kernel that runs reports: the interpreter evalkit itself runs in.
KERNEL = "python3"
#: Arguments of the kernel process. Its log goes to our stderr; at the default level every render
#: printed ipykernel's warning on unencrypted local TCP, so only its errors are let through.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)
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


def prepare(evaluation_path: str | Path, *, pdf: bool = False) -> tuple[Evaluation, dict[str, Any]]:
    """Check an evaluation before anything runs; return it and the notebook's parameters.

    Everything is checked here, once, before a kernel starts: the evaluation
    file, every parameter's name, type, range and allowed values (the
    notebook's parameters cell and its ``.contract.yaml``), the SSB folder
    and municipality, the programme's records, and the evaluator's own
    chapters (files, headings, chapter ids, figure keys).

    Parameters
    ----------
    evaluation_path
        The evaluation's YAML file.
    pdf
        The render will print a PDF: check that WeasyPrint and Pango load.

    Returns
    -------
    (Evaluation, dict)
        The evaluation and every notebook parameter with its value (the
        notebook's defaults, then what the evaluation file sets).

    Raises
    ------
    InputError
        For a bad evaluation file, an unknown, mistyped or out-of-range
        parameter, bad programme records, a bad chapter of the evaluator's
        own, or (with ``pdf``) no Pango to print with.
    """
    evaluation, effective, _ = _prepare(evaluation_path, pdf=pdf)
    return evaluation, effective


def _prepare(evaluation_path: str | Path, *, pdf: bool = False) -> tuple[Evaluation, dict[str, Any], Programme | None]:
    if pdf:
        check_pdf_printer()
    evaluation = load_evaluation(evaluation_path)
    declared = notebook_parameters(evaluation.notebook)
    for setting, parameter in (("data", "data_dir"), ("period", "period_start")):
        # Optional only for notebooks that read no single programme's records (portfolio research).
        if getattr(evaluation, setting) is None and parameter in declared:
            raise InputError(
                f"the setting '{setting}' is missing.",
                file=evaluation.source,
                hint=f"The notebook {evaluation.notebook.name} evaluates one programme: add '{setting}:' to the file.",
            )
    parameters = evaluation.notebook_parameters()
    check_parameters(parameters, declared, file=evaluation.source)
    effective = {name: spec["default"] for name, spec in declared.items()} | parameters
    check_ssb_parameters(effective, evaluation)
    check_consultant_chapters(evaluation)
    check_counterfactual_parameters(effective, evaluation)
    programme = None
    if evaluation.data is not None:  # a notebook without one programme's records (portfolio research) has none
        programme = load_programme(evaluation.data)  # bad records are reported here, with file/row/column
        if evaluation.period is not None:
            check_period(programme, evaluation.period)
        check_monitoring_parameters(effective, evaluation, programme)
    return evaluation, effective, programme


def check_consultant_chapters(evaluation: Evaluation) -> None:
    """Check the evaluator's own chapters against the notebook's contract (chapter ids, figure keys).

    Raises
    ------
    InputError
        Naming the evaluation file or the chapter file, and the line.
    """
    from evalkit.report.consultant import check_chapter
    from evalkit.run.evaluation import notebook_contract

    specs = evaluation.consultant_chapters()
    if not specs:
        return
    contract = notebook_contract(evaluation.notebook)
    for spec in specs:
        check_chapter(spec, contract.figures, contract.chapters)


def _with_consultant_chapters(nodes: list, evaluation: Evaluation, figures: dict[str, Any], language: str) -> list:
    """The report's nodes with the evaluator's own chapters (``conclusions:``, ``chapters:``) placed among them.

    The seam between the executed notebook and the report: call it on the
    nodes read from the notebook (``document.nodes_of``) just before the
    report is written. The chapters were checked by :func:`prepare`.
    """
    specs = evaluation.consultant_chapters()
    if not specs:
        return list(nodes)
    from evalkit.report.consultant import insert_chapters
    from evalkit.report.words import Words

    return insert_chapters(nodes, specs, figures, Words(language))


def check_pdf_printer() -> None:
    """Make sure the PDF can be printed (WeasyPrint and the system's Pango); checked before a kernel starts.

    Raises
    ------
    InputError
        If WeasyPrint or Pango cannot be loaded, so that a render asked for a
        PDF fails at once instead of after running the notebook.
    """
    from evalkit.report.pdf import check_pdf_support

    check_pdf_support()


#: The SSB file listing today's municipalities (see the PROVENANCE.md shipped beside it).
MUNICIPALITY_FILE = "municipality_hierarchy_b2024.csv"


def check_ssb_parameters(parameters: dict[str, Any], evaluation: Evaluation) -> None:
    """Check the SSB folder exists and the municipality code is one of today's municipalities.

    Raises
    ------
    InputError
        Naming the parameter ``ssb_dir`` or ``municipality_code``.
    """
    ssb = _resolve(parameters.get("ssb_dir"), evaluation)
    if ssb is not None and not ssb.is_dir():
        raise InputError(
            f"the folder {ssb} does not exist.",
            file=evaluation.source,
            parameter="ssb_dir",
            hint="Give the folder with the SSB statistics, relative to the notebook.",
        )
    code = parameters.get("municipality_code")
    from evalkit.io.ssb import default_data_dir

    listing = (ssb if ssb is not None else default_data_dir()) / MUNICIPALITY_FILE
    if not code or listing is None or not listing.is_file():
        return
    import pandas as pd

    known = pd.read_csv(listing, dtype=str, usecols=["municipality_code", "municipality_name"])
    if str(code) not in set(known["municipality_code"]):
        hint = "Use today's 4-digit code as text, e.g. '3443' (Vestre Toten)."
        changes = listing.parent / "municipality_code_redistricting_to_b2024.csv"
        if changes.is_file():
            moves = pd.read_csv(changes, dtype=str, usecols=["municipality_code_original", "municipality_code_current"])
            now = sorted(set(moves.loc[moves["municipality_code_original"] == str(code), "municipality_code_current"]))
            if now:
                hint = f"'{code}' is an old code; today it is {' or '.join(repr(c) for c in now)}."
        raise InputError(
            f"'{code}' is not a municipality code in force (2024 borders).",
            file=evaluation.source,
            parameter="municipality_code",
            hint=hint,
        )


def _municipality_codes(parameters: dict[str, Any], evaluation: Evaluation) -> set[str] | None:
    """Today's municipality codes from the SSB listing the render uses (None if it is not there)."""
    from evalkit.io.ssb import default_data_dir

    ssb = _resolve(parameters.get("ssb_dir"), evaluation)
    listing = (ssb if ssb is not None else default_data_dir()) / MUNICIPALITY_FILE
    if not listing.is_file():
        return None
    import pandas as pd

    return set(pd.read_csv(listing, dtype=str, usecols=["municipality_code"])["municipality_code"])


def _codes(value: Any, name: str, evaluation: Evaluation) -> list[str]:
    """A list parameter of municipality codes, each written as text."""
    codes = list(value or [])
    for code in codes:
        if not isinstance(code, str):
            raise InputError(
                f"the code {code!r} is not text.",
                file=evaluation.source,
                parameter=name,
                hint="Write municipality codes in quotes, e.g. ['3407', '3442'] (a leading 0 is part of a code).",
            )
    repeated = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
    if repeated is not None:
        raise InputError(
            f"'{repeated}' is listed twice.",
            file=evaluation.source,
            parameter=name,
            hint="List each municipality once.",
        )
    return codes


def _unknown_code(codes: list[str], known: set[str] | None, name: str, evaluation: Evaluation) -> None:
    unknown = [c for c in codes if known is not None and c not in known]
    if unknown:
        raise InputError(
            f"'{unknown[0]}' is not a municipality code in force (2024 borders).",
            file=evaluation.source,
            parameter=name,
            hint="Use today's 4-digit codes as text (see evalkit/data/ssb/municipality_hierarchy_b2024.csv).",
        )


def check_counterfactual_parameters(parameters: dict[str, Any], evaluation: Evaluation) -> None:
    """Check the counterfactual's settings: donors, excluded donors and the pre-period.

    Raises
    ------
    InputError
        If ``comparison_donors`` holds the programme municipality itself, a
        code twice or an unknown code; if ``exclude_donors`` holds an unknown
        code; if ``pre_period`` is not two years [first, last] of at least two
        years ending before the programme period.
    """
    known = None
    if "comparison_donors" in parameters or "exclude_donors" in parameters:
        known = _municipality_codes(parameters, evaluation)
    if "comparison_donors" in parameters:
        donors = _codes(parameters["comparison_donors"], "comparison_donors", evaluation)
        treated = parameters.get("municipality_code")
        if treated in donors:
            raise InputError(
                f"holds '{treated}', the programme municipality itself (municipality_code).",
                file=evaluation.source,
                parameter="comparison_donors",
                hint="The comparison is made of other municipalities: leave it out.",
            )
        _unknown_code(donors, known, "comparison_donors", evaluation)
    if "exclude_donors" in parameters:
        _unknown_code(_codes(parameters["exclude_donors"], "exclude_donors", evaluation), known, "exclude_donors", evaluation)
    if parameters.get("pre_period") is not None:  # None: the panel's years before the start
        pre = parameters["pre_period"]
        start = evaluation.period[0]
        if (not isinstance(pre, (list, tuple)) or len(pre) != 2
                or not all(isinstance(y, int) and not isinstance(y, bool) for y in pre) or pre[0] > pre[1]):
            raise InputError(
                f"must be [first year, last year], got {pre!r}.",
                file=evaluation.source,
                parameter="pre_period",
                hint=f"E.g. [{start - 5}, {start - 1}]: years before the programme began in {start}.",
            )
        if pre[1] >= start:
            raise InputError(
                f"[{pre[0]}, {pre[1]}] overlaps the programme period {evaluation.period[0]}-{evaluation.period[1]}.",
                file=evaluation.source,
                parameter="pre_period",
                hint=f"The comparison is fitted on years before the programme: end it in {start - 1} or earlier.",
            )
        if pre[1] - pre[0] < 1:
            raise InputError(
                f"[{pre[0]}, {pre[1]}] is one year; the comparison needs at least two years before the programme.",
                file=evaluation.source,
                parameter="pre_period",
                hint=f"E.g. [{pre[1] - 4}, {pre[1]}].",
            )


def check_monitoring_parameters(parameters: dict[str, Any], evaluation: Evaluation, programme: Programme) -> None:
    """Check a status report's settings against the records: priority sectors and municipalities.

    Raises
    ------
    InputError
        If a priority sector is no project's sector (a misspelling would
        report it as empty), or ``municipality_codes`` lists a code twice or an
        unknown code.
    """
    if "priority_sectors" in parameters:
        sectors = sorted(set(programme.projects["sector"]))
        for sector in list(parameters["priority_sectors"] or []):
            if sector not in sectors:
                import difflib

                close = difflib.get_close_matches(str(sector), sectors, n=1, cutoff=0.6)
                raise InputError(
                    f"'{sector}' is not the sector of any project"
                    + (f" (did you mean '{close[0]}'?)." if close else "."),
                    file=evaluation.source,
                    parameter="priority_sectors",
                    hint="Write the sectors as in projects.sector: " + ", ".join(sectors) + ".",
                )
    if "municipality_codes" in parameters:
        codes = _codes(parameters["municipality_codes"], "municipality_codes", evaluation)
        _unknown_code(codes, _municipality_codes(parameters, evaluation), "municipality_codes", evaluation)


def _input_files(evaluation: Evaluation, parameters: dict[str, Any], data_files: dict[str, str] | None = None) -> dict[str, str]:
    """sha256 of every file the report is made from, keyed by a path relative to the evaluation.

    ``data_files`` are the programme's files as the loader read them (``Programme.inputs``):
    only those are listed, not whatever else lies in the data folder (a lock file, notes).
    """
    base = evaluation.source.parent if evaluation.source else Path.cwd()
    if data_files is None:
        data_files = load_programme(evaluation.data).inputs if evaluation.data is not None else {}
    hashes = {os.path.relpath(p, base): sha256_of(p) for p in (evaluation.source, evaluation.notebook) if p is not None}
    if evaluation.data is not None:
        hashes |= {os.path.relpath(evaluation.data / name, base): digest for name, digest in data_files.items()}
    from evalkit.io.ssb import TABLE_FILES, default_data_dir

    ssb = _resolve(parameters.get("ssb_dir"), evaluation)
    if ssb is not None and ssb.is_dir():
        # The reference tables the notebooks read from the folder (ssb.table_path), not every file in it.
        hashes |= {os.path.relpath(ssb / name, base): sha256_of(ssb / name)
                   for name in sorted(TABLE_FILES.values()) if (ssb / name).is_file()}
    if ssb is None:
        # The SSB tables shipped with evalkit: named by their place in the package, not on this machine.
        shipped = default_data_dir()
        hashes |= {f"evalkit/data/ssb/{name}": sha256_of(shipped / name) for name in sorted(TABLE_FILES.values())}
    return dict(sorted(hashes.items()))


def _resolve(value: Any, evaluation: Evaluation) -> Path | None:
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else (evaluation.notebook.parent / path).resolve()


def _meta(evaluation: Evaluation, parameters: dict[str, Any], data_files: dict[str, str] | None = None) -> dict[str, Any]:
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
        "inputs": _input_files(evaluation, parameters, data_files),
    }


def collect_figures(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """Every key figure the notebook recorded (its :class:`~evalkit.report.document.Record` nodes), later wins."""
    from evalkit.report.html import figures_of, notebook_items

    return figures_of(notebook_items(notebook))


def results_json(meta: dict[str, Any], figures: dict[str, Any]) -> str:
    """``results.json`` text: sorted keys, no timestamps, so equal inputs give equal bytes."""
    from evalkit.report.files import results_json as text

    return text(meta, figures)


def default_folder(evaluation: Evaluation, reports_root: str | Path = "reports") -> Path:
    """``reports/<slug>/``."""
    return Path(reports_root) / evaluation.slug


def render(
    evaluation_path: str | Path,
    output: str | Path | None = None,
    *,
    pdf: bool = False,
    reports_root: str | Path = "reports",
    prepared: tuple[Evaluation, dict[str, Any], Programme | None] | None = None,
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
        Also print the HTML report to ``report.pdf`` (A4, WeasyPrint).
    reports_root
        Folder of the default report folders.
    prepared
        What ``_prepare`` returned for this evaluation (with its programme), when the caller
        checked it already (a batch checks every evaluation before any
        kernel starts): it is not checked twice.

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
    evaluation, parameters, programme = prepared if prepared is not None else _prepare(evaluation_path, pdf=pdf)
    target = Path(output) if output else default_folder(evaluation, reports_root)
    target = report_folder(target)
    check_output_folder(target, evaluation, parameters)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        recover_interrupted(target)
        staging, lock = _new_staging(target)
    except OSError as exc:
        raise InputError(
            f"cannot be written ({exc.strerror}).",
            file=target.parent,
            hint="Choose a folder you can write to, with -o.",
        ) from None
    try:
        with _terminate_as_interrupt():
            notebook = _execute(evaluation, parameters, staging, target)
            meta = _meta(evaluation, parameters, programme.inputs if programme is not None else {})
            try:
                figures = _write_report(notebook, staging, evaluation, meta, pdf)
                write_manifest(staging)
                _give_normal_mode(staging)
                _swap_into_place(staging, target)
            except OSError as exc:
                raise RenderError(
                    f"{target}: the report could not be written ({exc.strerror or exc}); "
                    "the previous report, if any, is unchanged."
                ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (target / LOCK_FILE).unlink()  # the lock travelled into the report with the swap
        os.close(lock)
    return RenderResult(evaluation.slug, target, figures, time.perf_counter() - started)


def report_folder(output: str | Path) -> Path:
    """The folder a render writes: ``output`` made absolute, through a symbolic link to its target.

    A link given with ``-o`` stays a link: the folder it points to is replaced.
    """
    path = Path(output).absolute()
    return Path(os.path.realpath(path)) if path.is_symlink() else path


#: Marks a folder as a render in progress (never mistaken for a report: hidden and so named).
STAGING_MARK = "rendering"
#: Marks the previous report moved aside for a moment (where folders cannot be swapped in one step).
OLD_MARK = "old"
#: The list of the files a render wrote, in the report folder: a render replaces only such a folder.
MANIFEST = ".evalkit-manifest.json"
#: Lock file in a staging folder, locked (``flock``) by its render for as long as it runs.
LOCK_FILE = ".evalkit-render.lock"
#: A staging folder without a lock file is stale when older than this (its render died at birth).
UNLOCKED_GRACE_SECONDS = 600


def write_manifest(folder: Path) -> None:
    """List every file of the report folder (paths relative to it) in :data:`MANIFEST`."""
    files = sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink()) and p.name not in (MANIFEST, LOCK_FILE)
    )
    text = json.dumps({"evalkit_version": __version__, "files": files}, indent=1) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def read_manifest(folder: Path) -> set[str] | None:
    """The files :func:`write_manifest` listed, or None if the folder has no readable manifest."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    return {str(f) for f in listed} if isinstance(listed, list) else None


def foreign_files(folder: Path) -> list[str]:
    """Files in ``folder`` that no render wrote (all of them when it has no manifest)."""
    present = sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )
    listed = read_manifest(folder)
    ours = (listed or set()) | ({MANIFEST, LOCK_FILE} if listed is not None else set())
    return [f for f in present if f not in ours]


def check_output_folder(target: Path, evaluation: Evaluation, parameters: dict[str, Any]) -> None:
    """Refuse an output folder whose replacement would lose someone's files.

    A render replaces only what a render wrote: an existing folder must be
    empty, or hold exactly files listed in its :data:`MANIFEST`.

    Raises
    ------
    InputError
        If the folder is a file, holds the evaluation's inputs (data,
        notebook, evaluation file, SSB folder), or exists with a file that
        no render wrote (or without a manifest).
    """
    hint = "Choose another output folder with -o (a new folder, or an earlier report)."
    if target.exists() and not target.is_dir():
        raise InputError("is a file, not a folder.", file=target, hint=hint)
    inputs = [p for p in (evaluation.data, evaluation.notebook, evaluation.source) if p is not None]
    ssb = _resolve(parameters.get("ssb_dir"), evaluation)
    if ssb is not None:
        inputs.append(ssb)
    resolved = target.resolve()
    for item in inputs:
        item = Path(item).resolve()
        if item == resolved or resolved in item.parents or item in resolved.parents and item.is_dir():
            raise InputError(
                f"would replace or sit inside the evaluation's input {item}.",
                file=target,
                hint=hint,
            )
    if not target.is_dir():
        return
    try:
        foreign = foreign_files(target)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror}).", file=target, hint=hint) from None
    if foreign:
        why = (f"holds files no render wrote (e.g. '{foreign[0]}'; its {MANIFEST} does not list it)"
               if read_manifest(target) is not None
               else f"holds files but is not an evalkit report (no {MANIFEST}, e.g. '{foreign[0]}')")
        raise InputError(f"exists and {why}; it would be replaced.", file=target, hint=hint)


def _new_staging(target: Path) -> tuple[Path, int]:
    """A hidden staging folder beside ``target``, and the descriptor of its lock, held (``flock``)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{STAGING_MARK}-", dir=target.parent))
    try:
        lock = os.open(staging / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, lock


def _stale(staging: Path) -> bool:
    """Whether no render holds the staging folder's lock (its render ended or was killed).

    A lock, not a process id: two renders in different PID namespaces (containers) sharing a
    folder cannot see each other's processes, but they see each other's locks.
    """
    try:
        lock = os.open(staging / LOCK_FILE, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        # Between mkdtemp and the lock's creation, or killed there: judge by age.
        try:
            return time.time() - staging.lstat().st_mtime > UNLOCKED_GRACE_SECONDS
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: that render is running
    finally:
        os.close(lock)  # also releases the lock if we got it
    return True


def recover_interrupted(target: Path) -> None:
    """Tidy up after a render that was killed: restore the previous report, drop stale staging folders.

    A render is killed at worst between moving the old report aside and
    moving the new one in; then the old one is put back. Staging folders no
    render holds the lock of are removed; the old report moved aside is
    named after its render's staging folder, so it is judged by that lock.
    """
    parent = target.parent
    if not parent.is_dir():
        return
    staging_prefix = f".{target.name}.{STAGING_MARK}-"
    old_prefix = f".{target.name}.{OLD_MARK}-"
    for path in sorted(parent.glob(f".{target.name}.*")):
        if path.is_symlink() or not path.is_dir():
            continue
        if path.name.startswith(staging_prefix):
            if _stale(path):
                shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(old_prefix):
            staging = parent / (staging_prefix + path.name[len(old_prefix):])
            if staging.is_dir() and not _stale(staging):
                continue  # its render is between its two renames
            if not target.exists():
                os.replace(path, target)
            else:
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _terminate_as_interrupt():
    """Turn SIGTERM into KeyboardInterrupt while rendering, so that clean-up runs.

    Only in the main thread (signal handlers cannot be set elsewhere).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt("terminated")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _execute(evaluation: Evaluation, parameters: dict[str, Any], staging: Path, target: Path) -> nbformat.NotebookNode:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed = staging / "report.ipynb"
    try:
        with _kernel_environment(target):
            papermill.execute_notebook(
                str(evaluation.notebook),
                str(executed),
                parameters=evaluation.notebook_parameters(),
                kernel_name=KERNEL,
                cwd=str(evaluation.notebook.parent),
                progress_bar=False,
                log_output=False,
                report_mode=False,
                extra_arguments=list(KERNEL_ARGUMENTS),
            )
    except PapermillExecutionError as exc:
        failed = _keep_failed(executed, target)
        line = next((ln.strip() for ln in (exc.source or "").splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
        cell = f"cell {exc.exec_count or exc.cell_index}" + (f" ({line[:60]})" if line else "")
        raise RenderError(
            f"{evaluation.notebook.name}: {cell} failed with {exc.ename}: {_first_line(exc.evalue)} "
            f"(the executed notebook is in {failed})"
        ) from None
    except (RuntimeError, OSError, TimeoutError) as exc:
        # The kernel died or did not start: nbclient raises these, not a cell error.
        failed = _keep_failed(executed, target)
        raise RenderError(
            f"{evaluation.notebook.name}: the notebook could not run ({type(exc).__name__}: {_first_line(str(exc))})"
            + (f" (the executed notebook is in {failed})" if (failed / "report.ipynb").exists() else "")
        ) from None
    return nbformat.read(executed, as_version=4)


def _write_report(notebook: nbformat.NotebookNode, staging: Path, evaluation: Evaluation, meta: dict[str, Any],
                  pdf: bool) -> dict[str, Any]:
    """The report's files from the executed notebook's document nodes; returns the recorded figures."""
    from evalkit.report.files import write_report
    from evalkit.report.html import fallback_title_page, figures_of, notebook_items, report_language
    from evalkit.report.words import Words

    language = report_language(notebook, evaluation)
    items = notebook_items(notebook)
    items = _with_consultant_chapters(items, evaluation, figures_of(items), language)
    title_page = fallback_title_page(Words(language), title=evaluation.title, period=evaluation.period,
                                     client=evaluation.client, evaluator=evaluation.evaluator,
                                     data_date=evaluation.data_date)
    write_report(items, staging, meta=meta, language=language, pdf=pdf, title_page=title_page)
    return figures_of(items)


#: The kernel's linear algebra runs on one thread: the same inputs then give the same figures to the last
#: digit whatever the machine's core count (a threaded BLAS sums in another order), and small solves are
#: faster on one thread on small machines. Set them yourself to override.
KERNEL_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _kernel_environment(target: Path):
    """The kernel's environment: a cache folder (``EVALKIT_CACHE``, ``.cache/`` beside the report folder) and
    one BLAS thread (:data:`KERNEL_THREADS`), each unless already set.

    The kernel inherits this process's environment when it starts; the
    variables are restored afterwards. See :mod:`evalkit.run.cache`.
    """
    from evalkit.run.cache import CACHE_ENV, DEFAULT_FOLDER

    defaults = {CACHE_ENV: str(target.parent / DEFAULT_FOLDER)} | {name: "1" for name in KERNEL_THREADS}
    added = [name for name in defaults if name not in os.environ]
    os.environ.update({name: defaults[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _first_line(text: str) -> str:
    return (str(text).strip().splitlines() or [""])[0][:300]


def _keep_failed(executed: Path, target: Path) -> Path:
    """Keep the partial executed notebook in ``<folder>.failed/`` for debugging."""
    failed = target.parent / f"{target.name}.failed"
    if _ours(failed):
        shutil.rmtree(failed, ignore_errors=True)
        failed.mkdir(parents=True, exist_ok=True)
    else:  # a folder of someone's own under that name: left alone
        failed = Path(tempfile.mkdtemp(prefix=f"{target.name}.failed-", dir=target.parent))
    if executed.exists():
        shutil.copy2(executed, failed / "report.ipynb")
    write_manifest(failed)
    return failed


def _ours(folder: Path) -> bool:
    """Whether ``folder`` may be replaced: absent, or holding only files a render listed as its own."""
    if folder.is_symlink() or folder.exists() and not folder.is_dir():
        return False
    try:
        return not folder.exists() or not foreign_files(folder)
    except OSError:
        return False


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows (threads may be rendering)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _give_normal_mode(staging: Path) -> None:
    """Give the report folder the mode a plain ``mkdir`` would (mkdtemp makes it owner-only).

    The files and subfolders inside were created normally and already follow the umask.
    """
    os.chmod(staging, 0o777 & ~_umask())


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` so that a complete report is always there.

    On Linux the two folders are exchanged in one atomic ``renameat2``
    (``RENAME_EXCHANGE``); elsewhere the old report is first moved aside
    under a name :func:`recover_interrupted` restores if the process dies
    between the two renames.
    """
    if target.exists() and _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous report
    else:
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.{OLD_MARK}-{staging.name.rsplit(f'.{STAGING_MARK}-', 1)[1]}"
            os.replace(target, old)
        os.replace(staging, target)  # same folder, so an atomic rename
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    failed = target.parent / f"{target.name}.failed"
    if failed.exists() and _ours(failed):
        shutil.rmtree(failed, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0
