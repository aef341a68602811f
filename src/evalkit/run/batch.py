"""Many evaluations at once: local processes or a Dask distributed cluster.

Every evaluation goes through the one render path, :func:`evalkit.run.render.render`,
wrapped by :func:`render_one` so that a failure becomes an :class:`Outcome`
with a one-line reason instead of an exception: one failed evaluation never
stops the others. Every evaluation is checked (:func:`evalkit.run.render.prepare`)
before the first kernel of the batch starts, and only once: a bad evaluation
file is reported at once, and the renders receive what the check found. Local parallelism uses a ``ProcessPoolExecutor`` with the
``forkserver`` start method (``spawn`` where there is no forkserver): a
render starts a Jupyter kernel and must not inherit a forked copy of a
parent's threads or event loops. ``scheduler=`` hands the same function to an
existing Dask cluster (``distributed.Client(address).submit``); the workers
must see the evaluation files and the reports folder at the same paths (a
shared file system).
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.results import ResultDisplay
from evalkit.errors import EvalkitError, InputError
from evalkit.run.parallel import one_job_per_worker

#: Exit codes of a batch: all rendered / at least one failed (same as bad input).
EXIT_OK, EXIT_FAILED = 0, 2


@dataclass(frozen=True)
class Outcome:
    """What happened to one evaluation of a batch.

    Attributes
    ----------
    evaluation
        The evaluation file, as given.
    slug
        Its report folder's name (the file's name without ``.yaml``).
    ok
        Whether the report was written.
    seconds
        Wall time of this evaluation's render.
    folder
        The report folder (when ``ok``).
    reason
        Why it failed, in one line (when not ``ok``).
    """

    evaluation: str
    slug: str
    ok: bool
    seconds: float
    folder: str | None = None
    reason: str | None = None

    def line(self) -> str:
        """One progress line: done / failed with the reason, and the elapsed time."""
        if self.ok:
            return f"done    {self.slug}  {self.seconds:6.1f} s  -> {self.folder}"
        return f"FAILED  {self.slug}  {self.seconds:6.1f} s  {self.reason}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    return first if isinstance(exc, EvalkitError) else f"{type(exc).__name__}: {first}"


def render_one(
    evaluation_path: str | Path,
    output: str | Path | None = None,
    pdf: bool = False,
    reports_root: str | Path = "reports",
    prepared: tuple | None = None,
) -> Outcome:
    """Render one evaluation with :func:`evalkit.run.render.render`; never raise.

    The function that batch runs send to worker processes or Dask workers
    (importable at module level, so it pickles by reference).

    Returns
    -------
    Outcome
        ``ok=False`` with a one-line ``reason`` for any error, expected
        (bad input, a failed cell) or not.
    """
    from evalkit.run.render import render

    started = time.perf_counter()
    slug = Path(evaluation_path).stem
    try:
        result = render(evaluation_path, output, pdf=pdf, reports_root=reports_root, prepared=prepared)
    except Exception as exc:  # one failure must not stop the others: report it, whatever it is
        return Outcome(str(evaluation_path), slug, False, time.perf_counter() - started, reason=_one_line(exc))
    return Outcome(str(evaluation_path), result.slug, True, time.perf_counter() - started, folder=str(result.folder))


@dataclass(frozen=True, repr=False)
class BatchResult(ResultDisplay):
    """The outcomes of a batch, in the order the evaluations were given.

    Attributes
    ----------
    outcomes
        One :class:`Outcome` per evaluation.
    seconds
        Wall time of the whole batch.
    workers
        Parallel renders used (local processes, or ``"dask"``).
    """

    outcomes: tuple[Outcome, ...]
    seconds: float
    workers: int | str = 1

    @property
    def ok(self) -> bool:
        """True when every evaluation rendered."""
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def exit_code(self) -> int:
        """0 when every evaluation rendered, 2 when any failed."""
        return EXIT_OK if self.ok else EXIT_FAILED

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"slug": o.slug, "ok": o.ok, "seconds": round(o.seconds, 2), "folder": o.folder, "reason": o.reason}
             for o in self.outcomes]
        ).set_index("slug")

    def summary(self) -> str:
        done = len(self.outcomes) - len(self.failed)
        text = f"{done} of {len(self.outcomes)} evaluations rendered in {self.seconds:.1f} s ({self.workers} workers)"
        if self.failed:
            text += "; failed: " + ", ".join(o.slug for o in self.failed)
        return text + "."


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server imports the render path once (papermill's import chain takes seconds);
    # each worker forks from it with the modules loaded, and no threads yet.
    context.set_forkserver_preload(["evalkit.run.render", "papermill"])
    return context


def check_batch(evaluations: Sequence[str | Path], jobs: int) -> list[Path]:
    """Check a batch before anything runs: at least one file, ``jobs >= 1``, no two reports in one folder.

    Returns
    -------
    list of Path
        The evaluation files as absolute paths (workers may run elsewhere).

    Raises
    ------
    InputError
        Naming the parameter or the clashing files.
    """
    if not evaluations:
        raise InputError("is empty.", parameter="evaluations", hint="Give at least one evaluation .yaml file.")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"must be a whole number >= 1, got {jobs!r}.", parameter="jobs",
                         hint=f"This machine has {os.cpu_count()} cores.")
    paths = [Path(e).absolute() for e in evaluations]
    seen: dict[str, Path] = {}
    for path in paths:
        if path.stem in seen:
            raise InputError(
                f"{seen[path.stem]} and {path} would both write the report folder '{path.stem}'.",
                parameter="evaluations",
                hint="Give each evaluation file a different name (or list it once).",
            )
        seen[path.stem] = path
    return paths


def render_many(
    evaluations: Sequence[str | Path],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    pdf: bool = False,
    reports_root: str | Path = "reports",
    on_done: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    """Render several evaluations, in parallel, each into ``reports_root/<slug>/``.

    Parameters
    ----------
    evaluations
        Evaluation files; their names must differ (a name is a report folder).
    jobs
        Renders at a time in local processes (1: one after the other, in
        this process). Ignored with ``scheduler``.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:8786``), or
        ``None`` for local processes.
    pdf
        Also write ``report.pdf``.
    reports_root
        Folder of the report folders.
    on_done
        Called with each :class:`Outcome` as soon as it is known (progress).

    Returns
    -------
    BatchResult
        Outcomes in the order given; ``exit_code`` 0 if all rendered, else 2.

    Raises
    ------
    InputError
        For a bad batch (no files, bad ``jobs``, clashing names) or a
        scheduler that cannot be reached; a bad *evaluation* is an outcome.
    """
    paths = check_batch(evaluations, jobs)
    root = str(Path(reports_root).absolute())
    started = time.perf_counter()
    outcomes: dict[int, Outcome] = {}

    def done(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(outcome)

    checked = check_evaluations(paths, pdf, done)
    indices = [i for i in range(len(paths)) if i in checked]

    if scheduler:
        _on_dask(paths, scheduler, pdf, root, done, checked)
        workers: int | str = "dask"
    elif jobs == 1 or len(indices) <= 1:
        for index in indices:
            done(index, render_one(paths[index], None, pdf, root, checked[index]))
        workers = 1
    else:
        workers = min(jobs, len(indices))
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=one_job_per_worker) as pool:
            futures: dict[Future, int] = {pool.submit(render_one, paths[i], None, pdf, root, checked[i]): i for i in indices}
            for future in as_completed(futures):
                index = futures[future]
                done(index, _result_or_failure(future, paths[index]))
    ordered = tuple(outcomes[i] for i in range(len(paths)))
    return BatchResult(ordered, time.perf_counter() - started, workers)


def _result_or_failure(future, path: Path) -> Outcome:
    """A future's outcome; a worker that died (killed, out of memory) becomes a failed outcome."""
    try:
        return future.result()
    except Exception as exc:
        return Outcome(str(path), path.stem, False, 0.0, reason=_one_line(exc))


def check_evaluations(paths: Sequence[Path], pdf: bool, done: Callable[[int, Outcome], None]) -> dict[int, tuple]:
    """Check every evaluation of a batch before any kernel starts (:func:`evalkit.run.render.prepare`).

    A bad evaluation becomes a failed :class:`Outcome` at once (passed to
    ``done``); the others are returned by index with what the check found,
    so that their renders do not check them again.
    """
    from evalkit.run.render import _prepare

    checked: dict[int, tuple] = {}
    for index, path in enumerate(paths):
        started = time.perf_counter()
        try:
            checked[index] = _prepare(path, pdf=pdf)
        except EvalkitError as exc:
            done(index, Outcome(str(path), path.stem, False, time.perf_counter() - started, reason=_one_line(exc)))
    return checked


def _on_dask(paths: list[Path], scheduler: str, pdf: bool, root: str, done: Callable[[int, Outcome], None],
             checked: dict[int, tuple]) -> None:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError("needs the package 'distributed'.", parameter="scheduler",
                         hint="Install evalkit[cluster].") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({_one_line(exc)}).", parameter="scheduler",
                         hint="Start one (dask scheduler / LocalCluster) or check the address.") from None
    batch = uuid.uuid4().hex[:8]  # keys unique per batch, so a long-lived scheduler never mixes two runs
    with client:
        # pure=False: rendering the same file twice is two renders, not a cached result.
        futures = {client.submit(render_one, str(paths[i]), None, pdf, root, checked[i], pure=False,
                                 key=f"evalkit-render-{batch}-{i}-{paths[i].stem}"): i
                   for i in sorted(checked)}
        for future in dask_completed(list(futures)):
            index = futures[future]
            done(index, _result_or_failure(future, paths[index]))
