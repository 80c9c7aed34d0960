"""Read call, catalogue and scenario TOML files into validated models.

Every problem in a file is reported at once, with the file and the key (``criteria[2].weight``),
as one :class:`~selection.errors.SelectionError` subclass.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from selection.errors import CallError, CatalogueError, InputError, Problem
from selection.model import Call, CriteriaCatalogue

__all__ = ["read_toml", "load_catalogue", "load_call", "validation_problems", "validate_model",
           "non_finite_problems"]

M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse a TOML file, turning a missing file or a syntax error into ``error``."""
    path = Path(path)
    if not path.is_file():
        raise error(Problem("file not found", file=str(path), hint="check the path"))
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise error(Problem(f"not valid TOML: {exc}", file=str(path))) from None
    except UnicodeDecodeError as exc:
        raise error(Problem(f"not UTF-8 text: {exc}", file=str(path), hint="save as UTF-8")) from None
    problems = non_finite_problems(data, str(path))
    if problems:
        raise error(problems)
    return data


def non_finite_problems(data: Any, file: str | None, prefix: str = "") -> list[Problem]:
    """One problem per ``nan`` or ``inf`` number anywhere in parsed TOML data, naming its key.

    TOML allows ``nan`` and ``inf``; no setting of a call, catalogue or scenario means anything
    with them (``overall_threshold = nan`` would switch a threshold off without a word).

    >>> [str(p) for p in non_finite_problems({"stages": [{"budget": float("inf")}]}, "c.toml")]
    ['c.toml, stages[0].budget: inf is not a finite number. Fix: write a finite number (or remove the key to use its default)']
    """
    out: list[Problem] = []
    if isinstance(data, float) and not math.isfinite(data):
        out.append(Problem(f"{data} is not a finite number", file=file, key=prefix or None,
                           hint="write a finite number (or remove the key to use its default)"))
    elif isinstance(data, dict):
        for k, v in data.items():
            out += non_finite_problems(v, file, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += non_finite_problems(v, file, f"{prefix}[{i}]")
    return out


def _key(loc: tuple, data: Any) -> str:
    """``('criteria', 2, 'weight')`` -> ``criteria[2] (id 'udsyn').weight``."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            try:
                node = node[part]
                if isinstance(node, dict) and "id" in node:
                    out += f" (id {node['id']!r})"
                elif isinstance(node, dict) and "number" in node:
                    out += f" (stage {node['number']})"
            except (IndexError, KeyError, TypeError):
                node = None
        else:
            if out and node is not None and not isinstance(node, (dict, list)):
                continue  # a union member's tag (``threshold.float``) below a plain value
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


_TOML_TYPE = {bool: "true/false", int: "the whole number", float: "the decimal number", str: "the text",
              list: "a list", dict: "a table"}
_EXPECTED = {"int_type": "a whole number", "int_from_float": "a whole number", "float_type": "a number",
             "bool_type": "true or false", "string_type": "text"}


def _strict_message(err: dict) -> tuple[str, str] | None:
    """A message and a fix for a strict-mode type error (``max_selected = "8"``), or ``None``.

    >>> _strict_message({"type": "int_type", "input": "8"})
    ("must be a whole number, not the text '8'", 'write 8 without quotes')
    """
    if err["type"] not in _EXPECTED:
        return None
    expected = _EXPECTED[err["type"]]
    value = err.get("input")
    found = next((name for t, name in _TOML_TYPE.items() if type(value) is t), type(value).__name__)
    text = str(value).strip()
    if expected == "a whole number" and isinstance(value, float) and value.is_integer():
        fix = f"write {int(value)} (no decimals)"
    elif expected in ("a whole number", "a number") and isinstance(value, str) and text:
        fix = f"write {text} without quotes" if text.lstrip("+-").replace(".", "", 1).isdigit() \
            else f"write {expected} without quotes"
    elif expected == "true or false" and isinstance(value, str) and text.lower() in ("true", "false"):
        fix = f"write {text.lower()} without quotes"
    elif expected == "true or false":
        fix = "write true or false, without quotes"
    elif expected == "text":
        fix = f'put the value in quotes: "{value}"'
    else:
        fix = f"write {expected}"
    return f"must be {expected}, not {found} {value!r}", fix


def validation_problems(exc: ValidationError, data: Any, file: str | None) -> list[Problem]:
    """Turn pydantic's errors into :class:`Problem` records naming file and key."""
    return _problems_of(exc.errors(), data, file)


def _problems_of(errors: list, data: Any, file: str | None) -> list[Problem]:
    problems = []
    for err in errors:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"]
        hint = None
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the schema); remove it or check its spelling"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif loc and loc[-1] == "[key]":  # a table name, e.g. [stages.two] where a number belongs
            loc = loc[:-1]
            name = loc[-1] if loc else ""
            msg = f"table name {name!r} is not a whole number"
            hint = ("name the table by its stage number, e.g. [stages.1]" if len(loc) > 1 and loc[-2] == "stages"
                    else "use a whole number")
        elif (strict := _strict_message(err)) is not None:
            msg, hint = strict
        problems.append(Problem(msg, file=file, key=_key(loc, data) or None, hint=hint))
    return problems


def _in_union(loc: tuple, data: Any) -> bool:
    """Whether an error's location runs past the value into a union member's tag
    (``('x', 'int')`` for ``x: int | str``): such a value may well be valid as another member."""
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict):
            return False
        else:
            return True
    return False


def validate_model(
    model: type[M], data: dict[str, Any], file: str | None, error: type[InputError]
) -> M:
    """``model.model_validate(data)`` with strict types, raising ``error`` with every problem
    located.

    Types are checked strictly (pydantic strict mode): ``max_selected = "8"`` or ``= 8.0`` is an
    error, not 8, and ``if_available = "yes"`` is not true. Only table keys (``[stages.1]`` of a
    scenario, which TOML always reads as text) are converted.
    """
    try:
        model.model_validate(data, strict=True)
    except ValidationError as exc:
        # only scalar type errors count here; anything else is judged by the lax validation below
        real = [e for e in exc.errors() if e["type"] in _EXPECTED and "[key]" not in e["loc"]
                and not _in_union(e["loc"], data)]
        if real:
            raise error(_problems_of(real, data, file)) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(validation_problems(exc, data, file)) from None


def load_catalogue(path: Path | str) -> CriteriaCatalogue:
    """Load and validate a criteria catalogue (see ``criteria/*.toml``)."""
    path = Path(path)
    return validate_model(CriteriaCatalogue, read_toml(path, CatalogueError), str(path), CatalogueError)


def _with_vocabulary(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The call's data with the ``[[attributes]]`` of the vocabulary file it names (``vocabulary =
    "vocabulary.toml"``, relative to the call file) added after its own inline ones."""
    name = data.get("vocabulary")
    if not isinstance(name, str):
        return data
    vpath = (path.parent / name).resolve()
    if not vpath.is_file():
        raise CallError(Problem(f"the call names vocabulary file {name!r}, which does not exist ({vpath})",
                                file=str(path), key="vocabulary", hint="give a path relative to the call file"))
    vocab = read_toml(vpath, CallError)
    extra = set(vocab) - {"schema_version", "attributes"}
    if extra or not isinstance(vocab.get("attributes", []), list):
        raise CallError(Problem(f"a vocabulary file holds schema_version and [[attributes]] only; found "
                                f"{', '.join(sorted(extra)) or 'attributes that are not a list of tables'}",
                                file=str(vpath), hint="see examples/kreative-partnerskaber/vocabulary.toml"))
    return {**data, "attributes": list(data.get("attributes") or []) + list(vocab.get("attributes") or [])}


def load_call(path: Path | str) -> tuple[Call, dict[int, CriteriaCatalogue]]:
    """Load a call file and every stage's catalogue (paths relative to the call file).

    Returns the call and its catalogues by stage number. Problems in the call file and in every
    catalogue are reported together.
    """
    path = Path(path)
    data = read_toml(path, CallError)
    data = _with_vocabulary(data, path)
    call = validate_model(Call, data, str(path), CallError)
    problems: list[Problem] = []
    catalogues: dict[int, CriteriaCatalogue] = {}
    for i, stage in enumerate(call.stages):
        cat_path = (path.parent / stage.catalogue).resolve()
        if not cat_path.is_file():
            problems.append(
                Problem(
                    f"stage {stage.number} names catalogue {stage.catalogue!r}, which does not exist "
                    f"({cat_path})",
                    file=str(path),
                    key=f"stages[{i}].catalogue",
                    hint="give a path relative to the call file",
                )
            )
            continue
        try:
            cat = load_catalogue(cat_path)
        except CatalogueError as exc:
            problems.extend(exc.problems)
            continue
        if cat.stage != stage.number:
            problems.append(
                Problem(
                    f"catalogue {cat.id!r} serves stage {cat.stage}, but stage {stage.number} uses it",
                    file=str(path),
                    key=f"stages[{i}].catalogue",
                )
            )
        catalogues[stage.number] = cat
    if problems:
        raise CallError(problems)
    return call, catalogues
