"""Read call, catalogue and scenario TOML files into validated models.

Every problem in a file is reported at once, with the file and the key (``criteria[2].weight``),
as one :class:`~selection.errors.SelectionError` subclass.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from selection.errors import CallError, CatalogueError, InputError, Problem
from selection.model import Call, CriteriaCatalogue

__all__ = ["read_toml", "load_catalogue", "load_call", "validation_problems", "validate_model"]

M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse a TOML file, turning a missing file or a syntax error into ``error``."""
    path = Path(path)
    if not path.is_file():
        raise error(Problem("file not found", file=str(path), hint="check the path"))
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise error(Problem(f"not valid TOML: {exc}", file=str(path))) from None
    except UnicodeDecodeError as exc:
        raise error(Problem(f"not UTF-8 text: {exc}", file=str(path), hint="save as UTF-8")) from None


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
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def validation_problems(exc: ValidationError, data: Any, file: str | None) -> list[Problem]:
    """Turn pydantic's errors into :class:`Problem` records naming file and key."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the schema); remove it or check its spelling"
        elif err["type"] == "missing":
            msg = "required key is missing"
        problems.append(Problem(msg, file=file, key=_key(loc, data) or None))
    return problems


def validate_model(
    model: type[M], data: dict[str, Any], file: str | None, error: type[InputError]
) -> M:
    """``model.model_validate(data)``, raising ``error`` with every problem located."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(validation_problems(exc, data, file)) from None


def load_catalogue(path: Path | str) -> CriteriaCatalogue:
    """Load and validate a criteria catalogue (see ``criteria/*.toml``)."""
    path = Path(path)
    return validate_model(CriteriaCatalogue, read_toml(path, CatalogueError), str(path), CatalogueError)


def load_call(path: Path | str) -> tuple[Call, dict[int, CriteriaCatalogue]]:
    """Load a call file and every stage's catalogue (paths relative to the call file).

    Returns the call and its catalogues by stage number. Problems in the call file and in every
    catalogue are reported together.
    """
    path = Path(path)
    data = read_toml(path, CallError)
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
