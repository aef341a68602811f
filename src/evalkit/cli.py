"""The ``evalkit`` command.

``evalkit render EVALUATION.yaml [-o DIR] [--pdf]`` renders an evaluation into
``reports/<slug>/``; ``evalkit params NOTEBOOK`` lists a notebook's
parameters. A problem with the input is printed as one message, with exit
code 2 and no traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evalkit import __version__
from evalkit.errors import EvalkitError

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)

    render = commands.add_parser("render", help="render evaluations into report folders")
    render.add_argument("evaluations", nargs="+", type=Path, metavar="EVALUATION.yaml")
    render.add_argument("-o", "--output", type=Path, help="report folder (default reports/<slug>/)")
    render.add_argument("--pdf", action="store_true", help="also write report.pdf (A4)")

    params = commands.add_parser("params", help="list a notebook's parameters")
    params.add_argument("notebook", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "render":
            return _render(args)
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
    from evalkit.render import render

    if args.output and len(args.evaluations) > 1:
        print("evalkit: error: -o works with one evaluation only", file=sys.stderr)
        return EXIT_BAD_INPUT
    for evaluation in args.evaluations:
        result = render(evaluation, args.output, pdf=args.pdf)
        print(f"{result.slug}: done in {result.seconds:.1f} s -> {result.folder}")
    return 0


def _params(args: argparse.Namespace) -> int:
    from evalkit.evaluation import notebook_parameters

    for name, spec in notebook_parameters(args.notebook).items():
        print(f"{name}: {spec['type']} = {spec['default']!r}" + (f"  # {spec['help']}" if spec["help"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
