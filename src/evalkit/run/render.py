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
from evalkit.io.programme import check_period, load_programme, sha256_of
from evalkit.report.publish import FIGURES_MIME

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

    Parameters
    ----------
    evaluation_path
        The evaluation's YAML file.
    pdf
        The render will print a PDF: check that Chromium is there.

    Raises
    ------
    InputError
        For a bad evaluation file, an unknown or mistyped parameter, bad
        programme records, or (with ``pdf``) no Chromium to print with.
    """
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
    if evaluation.data is not None:  # a notebook without one programme's records (portfolio research) has none
        programme = load_programme(evaluation.data)  # bad records are reported here, with file/row/column
        if evaluation.period is not None:
            check_period(programme, evaluation.period)
    return evaluation, effective


def check_pdf_printer() -> Path:
    """The Chromium that will print the PDF; checked before a kernel starts.

    Raises
    ------
    InputError
        If no Chromium is found, so that a render asked for a PDF fails at
        once instead of after running the notebook.
    """
    from evalkit.report.pdf import find_chromium

    browser = find_chromium()
    if browser is None:
        override = os.environ.get("EVALKIT_CHROMIUM")
        raise InputError(
            f"PDF output needs Chromium, but EVALKIT_CHROMIUM={override} is not a file."
            if override else "PDF output needs Chromium, which is not installed.",
            parameter="pdf",
            hint="On Debian/Ubuntu: apt-get install chromium (or set EVALKIT_CHROMIUM to a Chromium executable); "
                 "or render without --pdf to get the HTML report only.",
        )
    return browser


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


def _input_files(evaluation: Evaluation, parameters: dict[str, Any]) -> dict[str, str]:
    """sha256 of every file the report is made from, keyed by a path relative to the evaluation."""
    base = evaluation.source.parent if evaluation.source else Path.cwd()
    data = sorted(p for p in evaluation.data.rglob("*") if p.is_file()) if evaluation.data is not None else []
    files = [evaluation.source, evaluation.notebook, *data]
    ssb = _resolve(parameters.get("ssb_dir"), evaluation)
    if ssb is not None and ssb.is_dir():
        files += sorted(p for p in ssb.glob("*") if p.is_file())
    hashes = {os.path.relpath(p, base): sha256_of(p) for p in files if p is not None}
    if ssb is None:
        # The SSB tables shipped with evalkit: named by their place in the package, not on this machine.
        from evalkit.io.ssb import TABLE_FILES, default_data_dir

        shipped = default_data_dir()
        hashes |= {f"evalkit/data/ssb/{name}": sha256_of(shipped / name) for name in sorted(TABLE_FILES.values())}
    return hashes


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
    evaluation, parameters = prepare(evaluation_path, pdf=pdf)
    target = Path(output) if output else default_folder(evaluation, reports_root)
    target = target.absolute()
    check_output_folder(target, evaluation, parameters)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        recover_interrupted(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{STAGING_MARK}-{os.getpid()}-", dir=target.parent))
    except OSError as exc:
        raise InputError(
            f"cannot be written ({exc.strerror}).",
            file=target.parent,
            hint="Choose a folder you can write to, with -o.",
        ) from None
    try:
        with _terminate_as_interrupt():
            notebook = _execute(evaluation, parameters, staging, target)
            figures = collect_figures(notebook)
            meta = _meta(evaluation, parameters)
            try:
                (staging / "results.json").write_text(results_json(meta, figures), encoding="utf-8")
                from evalkit.report.html import write_outputs

                write_outputs(notebook, staging, evaluation=evaluation, pdf=pdf, meta=meta)
                _give_normal_mode(staging)
                _swap_into_place(staging, target)
            except OSError as exc:
                raise RenderError(
                    f"{target}: the report could not be written ({exc.strerror or exc}); "
                    "the previous report, if any, is unchanged."
                ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RenderResult(evaluation.slug, target, figures, time.perf_counter() - started)


#: Marks a folder as a render in progress (never mistaken for a report: hidden and so named).
STAGING_MARK = "rendering"
#: Files that make a folder an evalkit report (one of them suffices).
REPORT_FILES = ("results.json", "report.ipynb")


def check_output_folder(target: Path, evaluation: Evaluation, parameters: dict[str, Any]) -> None:
    """Refuse an output folder whose replacement would lose someone's files.

    Raises
    ------
    InputError
        If the folder is a file, holds the evaluation's inputs (data,
        notebook, evaluation file, SSB folder), or exists with files in it
        but is not an evalkit report (it would be replaced).
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
    if target.is_dir() and any(target.iterdir()) and not any((target / f).is_file() for f in REPORT_FILES):
        raise InputError(
            "exists and holds files, but is not an evalkit report; it would be replaced.",
            file=target,
            hint=hint,
        )


def recover_interrupted(target: Path) -> None:
    """Tidy up after a render that was killed: restore the previous report, drop stale staging folders.

    A render is killed at worst between moving the old report aside and
    moving the new one in; then the old one is put back. Staging folders of
    processes that no longer run are removed.
    """
    parent = target.parent
    if not parent.is_dir():
        return
    for path in parent.glob(f".{target.name}.*"):
        pid = _pid_of(path.name, target.name)
        if pid is None or _alive(pid):
            continue
        if ".old-" in path.name and not target.exists():
            os.replace(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _pid_of(name: str, target_name: str) -> int | None:
    rest = name[len(target_name) + 2:]
    for mark in (f"{STAGING_MARK}-", "old-"):
        if rest.startswith(mark):
            digits = rest[len(mark):].split("-")[0]
            return int(digits) if digits.isdigit() else None
    return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a folder of ours from before is stale by definition
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def _first_line(text: str) -> str:
    return (str(text).strip().splitlines() or [""])[0][:300]


def _keep_failed(executed: Path, target: Path) -> Path:
    """Keep the partial executed notebook in ``<folder>.failed/`` for debugging."""
    failed = target.parent / f"{target.name}.failed"
    shutil.rmtree(failed, ignore_errors=True)
    failed.mkdir(parents=True, exist_ok=True)
    if executed.exists():
        shutil.copy2(executed, failed / "report.ipynb")
    return failed


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
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
        os.replace(staging, target)  # same folder, so an atomic rename
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(target.parent / f"{target.name}.failed", ignore_errors=True)


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
