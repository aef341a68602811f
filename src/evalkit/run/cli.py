"""The ``evalkit`` command.

``evalkit render EVALUATION.yaml [-o DIR] [--pdf]`` renders an evaluation into
``reports/<slug>/``; ``evalkit render A.yaml B.yaml ... [--jobs N | --scheduler
ADDRESS] [-o ROOT]`` renders several, in parallel, with one progress line per
evaluation (one failure does not stop the others); ``evalkit params NOTEBOOK``
lists a notebook's parameters (with their allowed values); ``evalkit chapters
NOTEBOOK`` lists the ids of its chapters, after or before which an evaluation
file can place chapters of its own. A problem with the input is printed as one
message, with exit code 2 and no traceback (``--debug`` shows it); a batch
exits with 0 only if every evaluation rendered, else 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evalkit._version import __version__
from evalkit.errors import EvalkitError

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)

    render = commands.add_parser("render", help="render evaluations into report folders")
    render.add_argument("evaluations", nargs="+", type=Path, metavar="EVALUATION.yaml")
    render.add_argument("-o", "--output", type=Path,
                        help="report folder (default reports/<slug>/); with several evaluations, the folder of their report folders")
    render.add_argument("--pdf", action="store_true", help="also write report.pdf (A4)")
    render.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help="render N evaluations at a time in local processes (default 1)")
    render.add_argument("--scheduler", metavar="ADDRESS",
                        help="send the renders to a Dask distributed scheduler (e.g. tcp://127.0.0.1:8786)")

    params = commands.add_parser("params", help="list a notebook's parameters")
    params.add_argument("notebook", type=Path)

    chapters = commands.add_parser("chapters", help="list a notebook's chapter ids (for chapters: in an evaluation file)")
    chapters.add_argument("notebook", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "render":
            return _render(args)
        if args.command == "chapters":
            return _chapters(args)
        return _params(args)
    except EvalkitError as exc:
        if args.debug:
            raise
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("evalkit: interrupted", file=sys.stderr)
        return 130


def _render(args: argparse.Namespace) -> int:
    if len(args.evaluations) == 1 and not args.scheduler:
        from evalkit.run.render import render

        result = render(args.evaluations[0], args.output, pdf=args.pdf)
        print(f"{result.slug}: done in {result.seconds:.1f} s -> {result.folder}")
        return 0
    return _render_batch(args)


def _render_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from evalkit.run.batch import check_batch, render_many

    check_batch(args.evaluations, args.jobs)  # bad batch: one message before anything starts
    # The bar goes to stderr (hidden when it is not a terminal); the lines to stdout.
    with tqdm(total=len(args.evaluations), unit="evaluation", file=sys.stderr, disable=None, leave=False,
              dynamic_ncols=True) as bar:
        def progress(outcome) -> None:
            bar.write(outcome.line(), file=sys.stdout)
            bar.update(1)

        result = render_many(args.evaluations, jobs=args.jobs, scheduler=args.scheduler, pdf=args.pdf,
                             reports_root=args.output or "reports", on_done=progress)
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    return result.exit_code


def _params(args: argparse.Namespace) -> int:
    from evalkit.run.evaluation import notebook_parameters

    for name, spec in notebook_parameters(args.notebook).items():
        allowed = spec["allowed"].describe() if spec.get("allowed") else ""
        comment = "; ".join(part for part in (allowed, spec["help"]) if part)
        print(f"{name}: {spec['type']} = {spec['default']!r}" + (f"  # {comment}" if comment else ""))
    return 0


def _chapters(args: argparse.Namespace) -> int:
    from evalkit.errors import InputError
    from evalkit.run.evaluation import contract_path, notebook_contract

    if not args.notebook.is_file():
        raise InputError("does not exist.", file=args.notebook, hint="Give the path of a report notebook (.ipynb).")
    contract = notebook_contract(args.notebook)
    if not contract.chapters:
        raise InputError("declares no chapters.", file=args.notebook,
                         hint=f"List them in {contract_path(args.notebook).name} (chapters: [...]).")
    for chapter in contract.chapters:
        print(chapter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
