"""An evaluation file: which notebook renders which programme, with which parameters.

An evaluation is a small YAML file (see ``evaluations/``)::

    title: Sluttevaluering av omstillingsprogrammet i Vestre Toten 2010-2016
    notebook: ../notebooks/final_evaluation.ipynb   # relative to this file
    data: ../data/vestre_toten                      # relative to this file
    period: [2010, 2016]
    target_jobs: 300
    language: nb                                    # nb, nn or en
    client: Innovasjon Norge
    evaluator: evalkit
    background:                                     # why the programme was set up
      jobs_lost: 550
      jobs_lost_share: 0.17
      story: |                                      # Markdown; or {nb: ..., nn: ..., en: ...}
        Kommunen mistet ...
    conclusions: conclusions.md                     # the evaluator's own conclusions chapter
    chapters:                                       # more chapters of the evaluator's own
      - {file: interviews.md, after: results}       # or {nb: intervjuer.md, en: interviews.md}
      - {file: case.md, before: appendix}
    parameters:                                     # passed to the notebook
      discount_rate: 0.04

The file's settings and its ``parameters`` are checked against the
notebook's declared parameters (names, types, ranges and allowed values;
see :func:`notebook_parameters`) and its contract (chapters and figures;
see :func:`notebook_contract`) before any kernel starts.

``data`` and ``period`` belong to one programme; a notebook that studies no
single programme's records (the portfolio research notebook) is given
neither, and then receives no ``data_dir``, ``period_start`` or ``period_end``.
"""

from __future__ import annotations

import ast
import datetime
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evalkit.errors import InputError
from evalkit.report.words import LANGUAGES

#: A Markdown file of the evaluator's own, or one per language (``{nb: a.md, en: b.md}``).
ChapterFile = Path | dict[str, Path]


class Background(BaseModel):
    """Why the programme was set up: the notebook's ``jobs_lost``, ``jobs_lost_share``, ``background_story``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jobs_lost: float | None = Field(default=None, ge=0)
    jobs_lost_share: float | None = Field(default=None, ge=0, le=1)
    story: str | dict[str, str] | None = None

    @field_validator("story")
    @classmethod
    def _story(cls, value: Any) -> Any:
        if isinstance(value, dict):
            _check_languages(value)
        return value


class ChapterEntry(BaseModel):
    """One chapter of the evaluator's own: a Markdown file placed after (or before) a notebook chapter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: ChapterFile
    after: str | None = None
    before: str | None = None

    @field_validator("file")
    @classmethod
    def _file(cls, value: Any) -> Any:
        if isinstance(value, dict):
            _check_languages(value)
        return value

    @model_validator(mode="after")
    def _one_place(self) -> "ChapterEntry":
        if (self.after is None) == (self.before is None):
            raise ValueError("give the chapter one place: after: CHAPTER or before: CHAPTER (see evalkit chapters NOTEBOOK)")
        return self


def _check_languages(mapping: dict[str, Any]) -> None:
    unknown = [k for k in mapping if k not in LANGUAGES]
    if unknown:
        raise ValueError(f"'{unknown[0]}' is not a report language (use {', '.join(LANGUAGES)})")


#: Notebook parameters the evaluation file sets with its own settings, and the setting to use instead.
SET_BY_THE_FILE: dict[str, str] = {
    "title": "title",
    "data_dir": "data",
    "period_start": "period",
    "period_end": "period",
    "language": "language",
    "client": "client",
    "evaluator": "evaluator",
    "data_date": "data_date",
    "target_jobs": "target_jobs",
    "jobs_lost": "background: jobs_lost",
    "jobs_lost_share": "background: jobs_lost_share",
    "background_story": "background: story",
}


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
    background: Background | None = None
    conclusions: ChapterFile | None = None
    chapters: tuple[ChapterEntry, ...] = ()
    parameters: dict[str, Any] = Field(default_factory=dict)
    source: Path | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("conclusions")
    @classmethod
    def _conclusions(cls, value: Any) -> Any:
        if isinstance(value, dict):
            _check_languages(value)
        return value

    @model_validator(mode="after")
    def _period(self) -> "Evaluation":
        if self.period is not None and self.period[0] > self.period[1]:
            raise ValueError("period must be [first year, last year] with first <= last")
        story = self.background.story if self.background else None
        if isinstance(story, dict) and self.language not in story:
            raise ValueError(f"background.story has no text in the report's language '{self.language}' "
                             f"(given: {', '.join(story)})")
        return self

    @property
    def slug(self) -> str:
        """The evaluation file's name without ``.yaml``: the report folder's name."""
        return self.source.stem if self.source else "evaluation"

    def notebook_parameters(self) -> dict[str, Any]:
        """Everything the notebook receives: the file's settings, its ``background``, then its ``parameters``.

        ``background.story`` given per language reaches the notebook as the
        one string of the report's language.
        """
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
        background = self.background
        if background is not None:
            if background.jobs_lost is not None:
                base["jobs_lost"] = background.jobs_lost
            if background.jobs_lost_share is not None:
                base["jobs_lost_share"] = background.jobs_lost_share
            if background.story is not None:
                base["background_story"] = (background.story if isinstance(background.story, str)
                                            else background.story[self.language])
        return base | dict(self.parameters)

    def consultant_chapters(self) -> list[Any]:
        """The evaluator's own chapters (``conclusions:`` first, then ``chapters:``), for the report's language.

        Returns
        -------
        list of :class:`evalkit.report.consultant.ChapterSpec`
            Each with the Markdown file of the report's language and the
            evaluation file's line that asks for it (for messages).
        """
        from evalkit.report.consultant import ChapterSpec

        specs = []
        if self.conclusions is not None:
            specs.append(ChapterSpec(self._file_in_language(self.conclusions, ("conclusions",)), after=None, before=None,
                                     conclusions=True, origin=self.source, line=self._line("conclusions")))
        for index, entry in enumerate(self.chapters):
            specs.append(ChapterSpec(self._file_in_language(entry.file, ("chapters", index, "file")), after=entry.after,
                                     before=entry.before, origin=self.source, line=self._line("chapters", index)))
        return specs

    def _file_in_language(self, value: ChapterFile, where: tuple[Any, ...]) -> Path:
        if isinstance(value, Path):
            return value
        if self.language not in value:
            raise InputError(
                f"the chapter has no file in the report's language '{self.language}'.",
                file=self.source,
                row=self._line(*where),
                hint=f"Add '{self.language}: FILE.md' (given: {', '.join(value)}).",
            )
        return value[self.language]

    def _line(self, *keys: Any) -> int | None:
        return yaml_line(self.source, *keys) if self.source else None


def load_evaluation(path: str | Path) -> Evaluation:
    """Read and validate an evaluation file.

    Raises
    ------
    InputError
        If the file is missing, is not YAML, has an unknown or mistyped key,
        sets a notebook parameter again that one of its settings sets, or
        names a notebook or data folder that does not exist.
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
    except _Refused as exc:
        raise InputError(exc.problem, file=path, row=exc.line, hint=exc.hint) from None
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
            hint=_yaml_advice(exc),
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
    raw["conclusions"] = _resolve_files(raw.get("conclusions"), folder)
    if isinstance(raw.get("chapters"), list):
        raw["chapters"] = [entry | {"file": _resolve_files(entry.get("file"), folder)} if isinstance(entry, dict) else entry
                           for entry in raw["chapters"]]
    if raw["conclusions"] is None:
        del raw["conclusions"]
    parameters = raw.get("parameters")
    if isinstance(parameters, dict):
        for name in parameters:
            if name in SET_BY_THE_FILE:
                setting = SET_BY_THE_FILE[name]
                raise InputError(
                    f"'{name}' is set by the evaluation file's setting '{setting.split(':')[0]}', not under parameters.",
                    file=path,
                    row=yaml_line(path, "parameters", name),
                    parameter=name,
                    hint=f"Remove it from parameters and write {setting}: ... instead.",
                )
    try:
        evaluation = Evaluation(**raw, source=path.resolve())
    except ValidationError as exc:
        raise _setting_error(exc, path) from None
    if not evaluation.notebook.is_file():
        raise InputError(f"the notebook {evaluation.notebook} does not exist.", file=path, row=_line_of(path, "notebook"))
    if evaluation.data is not None and not evaluation.data.is_dir():
        raise InputError(f"the data folder {evaluation.data} does not exist.", file=path, row=_line_of(path, "data"))
    return evaluation


def _resolve_files(value: Any, folder: Path) -> Any:
    """A chapter file (or a language -> file mapping) relative to the evaluation file, made absolute."""
    if isinstance(value, str):
        return (folder / value).resolve()
    if isinstance(value, dict):
        return {k: (folder / v).resolve() if isinstance(v, str) else v for k, v in value.items()}
    return value


_SETTINGS = tuple(k for k in Evaluation.model_fields if k != "source")


def _yaml_advice(exc: BaseException) -> str | None:
    """What to do about a YAML syntax error, in words (YAML's own messages are terse)."""
    problem = str(getattr(exc, "problem", "") or "")
    if "mapping values are not allowed" in problem:
        return "A value with ': ' in it must be in quotes, e.g. title: \"Omstilling: sluttrapport\"."
    if "found character '\\t'" in problem or "\t" in problem:
        return "Indent with spaces, not tabs."
    if "could not find expected ':'" in problem:
        return "Each setting is name: value on its own line; text over several lines needs '|' (story: |)."
    return None


def _value_advice(value: Any, expected: str) -> str | None:
    """Advice on a value YAML read differently than meant (an unquoted date, yes/no, a code as a number)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f'YAML reads an unquoted date as a date: write the date in quotes, "{value.isoformat()}".'
    if isinstance(value, bool) and "str" in expected:
        return "YAML reads yes/no/on/off/true/false without quotes as true/false: write the text in quotes."
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "str" in expected:
        return f'A code is text: write it in quotes, "{value}".'
    return None


def _setting_error(exc: ValidationError, path: Path) -> InputError:
    """One message for pydantic's errors: an unknown key first (with a near name), then the rest."""
    errors = exc.errors()
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    error = extra[0] if extra else errors[0]
    loc = [p for p in error["loc"] if not (isinstance(p, str) and p in ("Path", "dict[str,Path]", "str", "dict[str,str]"))]
    key = ".".join(str(p) for p in loc) or "period"  # the only model-level check is the period's
    hint = "Settings: " + ", ".join(_SETTINGS) + "."
    given = error.get("input")
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _SETTINGS if len(loc) == 1 else list(_NESTED.get(str(loc[0]), ())),
                                          n=1, cutoff=0.6)
        problem = "is not a known setting" + (f" (did you mean '{close[0]}'?)" if close else "")
        if len(loc) > 1:
            hint = f"Settings of {loc[0]}: " + ", ".join(_NESTED.get(str(loc[0]), ())) + "."
    elif error["type"] == "missing":
        problem, hint = "is missing", f"Add '{key}:' to the file. " + hint
    else:
        problem = str(error["msg"]).removeprefix("Value error, ")
        problem = problem[0].lower() + problem[1:] if problem else "is not valid"
        if isinstance(given, (datetime.date, datetime.datetime)):
            # YAML reads an unquoted 2017-12-31 as a date, not as the text the setting is.
            problem = f'is a date; write the date in quotes, e.g. {key}: "{given.isoformat()}"'
        elif not isinstance(given, (dict, list, tuple)) and given is not None:
            problem += f" (got {given!r})"
            advice = _value_advice(given, "str") if error["type"] in ("string_type",) else None
            if advice:
                hint = advice
    return InputError(
        f"the setting '{key}': {problem}." if not problem.startswith("is ") else f"the setting '{key}' {problem}.",
        file=path,
        row=yaml_line(path, *loc) or _line_of(path, str(loc[0]) if loc else "period"),
        hint=hint,
    )


_NESTED = {"background": tuple(Background.model_fields), "chapters": tuple(ChapterEntry.model_fields)}


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _Refused(Exception):
    def __init__(self, problem: str, line: int, hint: str) -> None:
        super().__init__(problem)
        self.problem, self.line, self.hint = problem, line, hint


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key given twice (plain YAML keeps the last silently),
    anchors and aliases (a few lines of aliases can expand to gigabytes), and merge keys."""

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("evaluation files may not use YAML anchors or aliases (&, *).",
                           event.start_mark.line + 1, "Write the values out.")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused("evaluation files may not use YAML merge keys (<<:).", key_node.start_mark.line + 1,
                               "Write the keys out.")
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


def yaml_line(path: Path, *keys: Any) -> int | None:
    """The line (1-based) of the value at ``keys`` in a YAML file (``("chapters", 0)``: the first chapter entry).

    ``None`` when the file cannot be read or the keys lead nowhere; the key's own line for a mapping key.
    """
    try:
        node = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if match is None:
                return None
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return None
    return line


# --- what a notebook declares: parameters, chapters, figures ----------------------------------

#: Suffix of the file next to a notebook that declares its chapters, figures and allowed parameter values.
CONTRACT_SUFFIX = ".contract.yaml"


@dataclass(frozen=True)
class Allowed:
    """The values a parameter may take, beyond its type (from the notebook's contract).

    ``between`` (inclusive bounds, either may be None), ``one_of`` (a list of
    allowed values) and ``share`` (a number between 0 and 1 written as a
    share: the message for ``4`` says "4 % is 0.04").
    """

    low: float | None = None
    high: float | None = None
    one_of: tuple[Any, ...] = ()
    share: bool = False

    def describe(self) -> str:
        """The rule as ``evalkit params`` prints it: ``[0, 0.2]``, ``[1, ...]``, ``one of: a, b``."""
        parts = []
        if self.low is not None or self.high is not None:
            parts.append(f"[{_plain(self.low) if self.low is not None else '...'}, {_plain(self.high) if self.high is not None else '...'}]")
        if self.one_of:
            parts.append("one of: " + ", ".join(str(v) for v in self.one_of))
        if self.share:
            parts.append("a share")
        return ", ".join(parts)

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` in one phrase, or None when it is allowed (lists: each item)."""
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if self.one_of and item not in self.one_of:
                return "must be one of " + ", ".join(str(v) for v in self.one_of)
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                continue
            outside = (self.low is not None and item < self.low) or (self.high is not None and item > self.high) or not math.isfinite(item)
            if not outside:
                continue
            if self.low is not None and self.high is not None:
                text = f"must be between {_plain(self.low)} and {_plain(self.high)}"
            elif self.low is not None:
                text = f"must be at least {_plain(self.low)}"
            else:
                text = f"must be at most {_plain(self.high)}"
            if self.share and item > 1 and (self.high is None or item / 100 <= self.high):
                text += f" (a share: {_plain(item)} % is {_plain(item / 100)})"
            return text
        return None


def _plain(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class NotebookContract:
    """What a notebook declares about itself, read before a kernel starts.

    Attributes
    ----------
    chapters
        The ids of its chapters in report order (``Heading.chapter``): where
        an evaluator's own chapter can be placed.
    figures
        The keys of the figures it records in ``results.json``: what an
        evaluator's chapter can quote with ``{{ fig("key") }}``.
    allowed
        Parameter name -> :class:`Allowed` values.
    file
        The contract file (None when the notebook has none).
    """

    chapters: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    allowed: Mapping[str, Allowed] = field(default_factory=dict)
    file: Path | None = None


def contract_path(notebook: str | Path) -> Path:
    """``notebooks/final_evaluation.ipynb`` -> ``notebooks/final_evaluation.contract.yaml``."""
    notebook = Path(notebook)
    return notebook.with_name(notebook.stem + CONTRACT_SUFFIX)


def notebook_contract(notebook: str | Path) -> NotebookContract:
    """Read the contract next to a notebook (``<notebook>.contract.yaml``); an empty one if there is none.

    The file has three optional keys::

        chapters: [summary, background, ...]        # the ids of the notebook's chapters, in order
        figures: [projects.count, ...]              # every results.json key the notebook records
        parameters:                                 # allowed values beyond the type
          discount_rate: {between: [0, 0.2], share: true}
          mc_draws: {at_least: 100}
          spatial_scale: {one_of: [local, regional, national]}

    Raises
    ------
    InputError
        If the contract is not valid YAML of that shape.
    """
    path = contract_path(notebook)
    if not path.is_file():
        return NotebookContract()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"is not valid YAML ({exc}).", file=path) from None
    unknown = set(raw) - {"chapters", "figures", "parameters"} if isinstance(raw, dict) else {"?"}
    if unknown:
        raise InputError(f"has unknown keys {sorted(map(str, unknown))}.", file=path, hint="Keys: chapters, figures, parameters.")
    allowed = {}
    for name, rule in (raw.get("parameters") or {}).items():
        if not isinstance(rule, dict) or set(rule) - {"between", "at_least", "at_most", "one_of", "share"}:
            raise InputError(f"the rule of '{name}' must be a mapping of between, at_least, at_most, one_of, share.",
                             file=path, row=yaml_line(path, "parameters", name))
        low, high = rule.get("between", [rule.get("at_least"), rule.get("at_most")])
        allowed[str(name)] = Allowed(low, high, tuple(rule.get("one_of", ())), bool(rule.get("share", False)))
    return NotebookContract(
        chapters=tuple(str(c) for c in raw.get("chapters") or ()),
        figures=tuple(str(f) for f in raw.get("figures") or ()),
        allowed=allowed,
        file=path,
    )


_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
}


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: its ``parameters`` cell and the allowed values of its contract.

    Returns
    -------
    dict
        ``{name: {"type": str, "default": value, "help": str, "allowed": Allowed | None}}``
        in cell order: name, type, default and help as papermill infers them
        from ``name: type = default  # help`` lines; ``allowed`` from the
        ``parameters`` of :func:`notebook_contract`.

    Raises
    ------
    InputError
        If the notebook cannot be read or has no ``parameters`` cell, or its
        contract limits a parameter the cell does not declare.
    """
    import papermill

    try:
        declared = papermill.inspect_notebook(str(notebook))
    except Exception as exc:  # papermill raises several kinds for a broken notebook
        raise InputError(f"cannot be read as a notebook ({exc}).", file=notebook) from None
    if not declared:
        raise InputError("has no cell tagged 'parameters'.", file=notebook)
    contract = notebook_contract(notebook)
    stray = sorted(set(contract.allowed) - set(declared))
    if stray:
        raise InputError(f"limits '{stray[0]}', which is not a parameter of {Path(notebook).name}.", file=contract.file,
                         row=yaml_line(contract.file, "parameters", stray[0]) if contract.file else None)
    out = {}
    for name, spec in declared.items():
        try:
            default = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            default = spec["default"]
        out[name] = {"type": spec["inferred_type_name"], "default": default, "help": spec["help"],
                     "allowed": contract.allowed.get(name)}
    return out


def check_parameters(
    values: dict[str, Any],
    declared: dict[str, dict[str, Any]],
    *,
    file: Path | None = None,
) -> None:
    """Reject parameters the notebook does not declare, whose type differs or whose value is not allowed.

    Every message is one line naming the parameter (and, with ``file``, the
    line of the evaluation file that sets it).

    Raises
    ------
    InputError
        Naming the parameter, what was given and what the notebook expects.
    """
    for name, value in values.items():
        row = _parameter_line(file, name)
        if name not in declared and name in SET_BY_THE_FILE:
            raise InputError(
                f"the notebook has no parameter '{name}', so it cannot use the setting '{SET_BY_THE_FILE[name]}'.",
                file=file,
                row=row,
                hint="Remove the setting, or render with a notebook that declares the parameter (evalkit params NOTEBOOK).",
            )
        if name not in declared:
            close = _closest(name, declared)
            raise InputError(
                "is not a parameter of the notebook.",
                file=file,
                row=row,
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
        base = base.split("[")[0].replace("typing.", "").strip().strip("\"'")
        allowed = _TYPES.get(base)
        if base in ("tuple", "list"):
            allowed = (list, tuple)
        if allowed is not None and not (value is None and declared[name]["default"] is None):
            wrong = not isinstance(value, allowed) or (base in ("int", "float") and isinstance(value, bool))
            if wrong:
                shown = f"the date {value}" if isinstance(value, datetime.date) else repr(value)
                raise InputError(
                    f"must be of type {expected}, got {shown} ({type(value).__name__}).",
                    file=file,
                    row=row,
                    parameter=name,
                    hint=_value_advice(value, base),
                )
        rule = declared[name].get("allowed")
        problem = rule.problem(value) if rule is not None else None
        if problem:
            close = difflib.get_close_matches(str(value), [str(v) for v in rule.one_of], n=1, cutoff=0.6) if rule.one_of else []
            raise InputError(
                f"{problem} (got {value!r})." if not rule.share or "%" not in problem else f"{problem}.",
                file=file,
                row=row,
                parameter=name,
                hint=f"Did you mean '{close[0]}'?" if close else None,
            )


def _parameter_line(file: Path | None, name: str) -> int | None:
    """The line that sets a parameter: under ``parameters``, or the setting that sets it."""
    if file is None or not Path(file).is_file():
        return None
    if name in SET_BY_THE_FILE:
        return yaml_line(Path(file), *SET_BY_THE_FILE[name].replace(" ", "").split(":"))
    return yaml_line(Path(file), "parameters", name)


def _closest(name: str, declared: dict[str, Any]) -> str | None:
    match = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.7)
    return match[0] if match else None
