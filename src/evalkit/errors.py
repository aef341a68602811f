"""Errors that reach the user as one clear message.

Every problem with a user's input (a data file, an evaluation file, a
notebook parameter) is raised as an :class:`InputError`. The command-line
interface prints its message and exits with code 2, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where in an input a problem sits (any part may be unknown)."""

    file: str | Path | None = None
    row: int | None = None  # 1-based line/row number as a person sees it in the file
    column: str | None = None
    parameter: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.parameter is not None:
            parts.append(f"parameter '{self.parameter}'")
        return ", ".join(parts)


class EvalkitError(Exception):
    """Base class of the errors evalkit reports to a user."""


class InputError(EvalkitError, ValueError):
    """A user's input is wrong; the message says where and what to do.

    Parameters
    ----------
    problem
        What is wrong, in one sentence.
    file, row, column, parameter
        Where it is. ``row`` is the row number a person sees in a
        spreadsheet (header = row 1, first data row = row 2).
    hint
        What to do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        parameter: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.location = Location(file, row, column, parameter)
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.hint:
            text += f" {self.hint}"
        return text


class RenderError(EvalkitError, RuntimeError):
    """A report could not be rendered (a notebook cell failed, output not writable)."""
