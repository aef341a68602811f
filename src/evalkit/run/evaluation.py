"""An evaluation file: which notebook renders which programme, with which parameters.

An evaluation is a small YAML file (see ``evaluations/``)::

    title: Sluttevaluering av omstillingsprogrammet i Vestre Toten 2010-2016
    notebook: ../notebooks/final_evaluation.ipynb   # relative to this file
    data: ../data/vestre_toten                      # relative to this file
    period: [2010, 2016]
    target_jobs: 300
    language: nb
    client: Innovasjon Norge
    evaluator: evalkit
    parameters:                                     # passed to the notebook
      discount_rate: 0.04

The file's settings and its ``parameters`` are checked against the
notebook's declared parameters (names and types) before any kernel starts.

``data`` and ``period`` belong to one programme; a notebook that studies no
single programme's records (the portfolio research notebook) is given
neither, and then receives no ``data_dir``, ``period_start`` or ``period_end``.
"""

from __future__ import annotations

import ast
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evalkit.errors import InputError
from evalkit.report.words import LANGUAGES


class Evaluation(BaseModel):
    """A validated evaluation file. Paths are resolved against the file's folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    notebook: Path
    data: Path | None = None
    period: tuple[int, int] | None = None
    target_jobs: float | None = Field(default=None, gt=0)
    language: str = "nb"
    client: str = ""
    evaluator: str = ""
    data_date: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    source: Path | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @model_validator(mode="after")
    def _period(self) -> "Evaluation":
        if self.period is not None and self.period[0] > self.period[1]:
            raise ValueError("period must be [first year, last year] with first <= last")
        return self

    @property
    def slug(self) -> str:
        """The evaluation file's name without ``.yaml``: the report folder's name."""
        return self.source.stem if self.source else "evaluation"

    def notebook_parameters(self) -> dict[str, Any]:
        """Everything the notebook receives: the file's settings, then its ``parameters``."""
        base: dict[str, Any] = {"title": self.title}
        if self.data is not None:
            base["data_dir"] = str(self.data)
        if self.period is not None:
            base |= {"period_start": self.period[0], "period_end": self.period[1]}
        base |= {
            "language": self.language,
            "client": self.client,
            "evaluator": self.evaluator,
            "data_date": self.data_date,
        }
        if self.target_jobs is not None:
            base["target_jobs"] = self.target_jobs
        return base | dict(self.parameters)


def load_evaluation(path: str | Path) -> Evaluation:
    """Read and validate an evaluation file.

    Raises
    ------
    InputError
        If the file is missing, is not YAML, has an unknown or mistyped key,
        or names a notebook or data folder that does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("does not exist.", file=path, hint="Give the path of an evaluation .yaml file.")
    try:
        text = path.read_text(encoding="utf-8-sig")
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}).", file=path, hint="Save it as UTF-8.") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror}).", file=path) from None
    except _DuplicateKey as exc:
        raise InputError(
            f"the setting '{exc.key}' is given twice (also in line {exc.first}).",
            file=path,
            row=exc.line,
            hint="Keep one of them; YAML would silently use the last.",
        ) from None
    except (yaml.YAMLError, TypeError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"is not valid YAML ({getattr(exc, 'problem', exc)}).",
            file=path,
            row=mark.line + 1 if mark else None,
        ) from None
    if raw is None:
        raise InputError("is empty.", file=path, hint="Write the settings title, notebook, data and period.")
    if not isinstance(raw, dict):
        raise InputError("must be a mapping of settings (title, notebook, data, ...).", file=path)
    unnamed = [k for k in raw if not isinstance(k, str)]
    if unnamed:
        raise InputError(f"the setting name {unnamed[0]!r} is not a word.", file=path, hint="Write settings as name: value.")
    folder = path.resolve().parent
    for key in ("notebook", "data"):
        if isinstance(raw.get(key), str):
            raw[key] = (folder / raw[key]).resolve()
    try:
        evaluation = Evaluation(**raw, source=path.resolve())
    except ValidationError as exc:
        raise _setting_error(exc, path) from None
    if not evaluation.notebook.is_file():
        raise InputError(f"the notebook {evaluation.notebook} does not exist.", file=path, row=_line_of(path, "notebook"))
    if evaluation.data is not None and not evaluation.data.is_dir():
        raise InputError(f"the data folder {evaluation.data} does not exist.", file=path, row=_line_of(path, "data"))
    return evaluation


_SETTINGS = tuple(k for k in Evaluation.model_fields if k != "source")


def _setting_error(exc: ValidationError, path: Path) -> InputError:
    """One message for pydantic's errors: an unknown key first (with a near name), then the rest."""
    errors = exc.errors()
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    error = extra[0] if extra else errors[0]
    key = ".".join(str(p) for p in error["loc"]) or "period"  # the only model-level check is the period's
    hint = "Settings: " + ", ".join(_SETTINGS) + "."
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, _SETTINGS, n=1, cutoff=0.6)
        problem = "is not a known setting" + (f" (did you mean '{close[0]}'?)" if close else "")
    elif error["type"] == "missing":
        problem, hint = "is missing", f"Add '{key}:' to the file. " + hint
    else:
        problem = str(error["msg"]).removeprefix("Value error, ")
        problem = problem[0].lower() + problem[1:] if problem else "is not valid"
        given = error.get("input")
        if not isinstance(given, (dict, list, tuple)) and given is not None:
            problem += f" (got {given!r})"
    return InputError(
        f"the setting '{key}': {problem}." if not problem.startswith("is ") else f"the setting '{key}' {problem}.",
        file=path,
        row=_line_of(path, key.split(".")[0]),
        hint=hint,
    )


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key given twice (plain YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: let the base class report it
                continue
            if first is not None:
                raise _DuplicateKey(str(key), line, first)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _line_of(path: Path, key: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if line.lstrip().startswith(f"{key}:"):
            return number
    return None


# --- the notebook's declared parameters -------------------------------------------------------

_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
}


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares in its ``parameters`` cell.

    Returns
    -------
    dict
        ``{name: {"type": str, "default": value, "help": str}}`` in cell order,
        as papermill infers them from ``name: type = default  # help`` lines.
    """
    import papermill

    try:
        declared = papermill.inspect_notebook(str(notebook))
    except Exception as exc:  # papermill raises several kinds for a broken notebook
        raise InputError(f"cannot be read as a notebook ({exc}).", file=notebook) from None
    if not declared:
        raise InputError("has no cell tagged 'parameters'.", file=notebook)
    out = {}
    for name, spec in declared.items():
        try:
            default = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            default = spec["default"]
        out[name] = {"type": spec["inferred_type_name"], "default": default, "help": spec["help"]}
    return out


def check_parameters(values: dict[str, Any], declared: dict[str, dict[str, Any]], *, file: Path | None = None) -> None:
    """Reject parameters the notebook does not declare or whose type differs.

    Raises
    ------
    InputError
        Naming the parameter, what was given and what the notebook expects.
    """
    for name, value in values.items():
        if name not in declared:
            close = _closest(name, declared)
            raise InputError(
                "is not a parameter of the notebook.",
                file=file,
                parameter=name,
                hint=(f"Did you mean '{close}'? " if close else "")
                + f"Known parameters: {', '.join(declared)}.",
            )
        expected = declared[name]["type"]
        # "float | None" or "Optional[float]": None is allowed, otherwise the named type.
        optional = "None" in expected or expected.startswith("Optional")
        if optional and value is None:
            continue
        base = expected.replace("Optional[", "").replace("| None", "").replace("None |", "")
        base = base.split("[")[0].replace("typing.", "").strip()
        allowed = _TYPES.get(base)
        if base in ("tuple", "list"):
            allowed = (list, tuple)
        if allowed is None or value is None and declared[name]["default"] is None:
            continue
        wrong = not isinstance(value, allowed) or (base in ("int", "float") and isinstance(value, bool))
        if wrong:
            raise InputError(
                f"must be of type {expected}, got {value!r} ({type(value).__name__}).",
                file=file,
                parameter=name,
            )


def _closest(name: str, declared: dict[str, Any]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.7)
    return match[0] if match else None
