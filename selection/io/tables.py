"""Read the call folder's tables: applications, experts and (optional) assignments.

Column layout (one row per application; lists are ``|``-separated; money in whole units of the
call's currency):

``applications.csv``
    application_id, title, lead_organisation, grant_stage<N> (one column per stage with a grant),
    total_budget_per_year, regional_cofinancing_per_year (both optional), and one column per
    attribute the call declares (``[[attributes]]``, see :mod:`selection.vocabulary`; e.g. the
    example call's industries, focus_areas, municipality, rural, partners_creative, ...).
    :func:`application_columns` lists the columns a call knows.
``experts.csv``
    expert_id, name, affiliation, conflicts; optional for ``selection assign``: expertise
    (|-separated declared terms), municipality, kind (|-separated roles, e.g. business | creative),
    max_load
``assignments.csv``
    expert_id, application_id (which expert scores which application), optional stage; see
    :func:`assignments_for_stage` for which stages a file governs.

Checked on input (beside each value): ids that a spreadsheet would read as a formula
(:func:`formula_id_problems`), a stage's money columns and cells (:func:`money_basis_problems`),
columns the call does not know (warnings, :func:`unknown_column_warnings`); a repeated column
name and files that are not CSV text are refused by :mod:`selection.io.csvfile`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from selection.errors import ApplicationError, InputError, Problem
from selection.io.csvfile import (
    CsvTable,
    gc_paused,
    parse_bool,
    parse_list,
    parse_money,
    parse_number,
    read_csv,
)
from selection.io.toml import validation_problems
from selection.model import Application, Expert
from selection.vocabulary import Attribute

__all__ = ["TableSource", "read_applications", "read_experts", "read_assignments", "APPLICATION_COLUMNS",
           "application_columns", "unknown_column_warnings", "money_basis_problems",
           "assignments_for_stage", "formula_id_problems", "FORMULA_STARTS", "application_warnings"]

#: The columns every call's applications table may have (beside its declared attributes and one
#: ``grant_stage<N>`` per stage).
APPLICATION_COLUMNS = [
    "application_id", "title", "lead_organisation", "grant_stage1", "total_budget_per_year",
    "regional_cofinancing_per_year",
]
_REQUIRED_APP = ["application_id", "title", "lead_organisation"]


def application_columns(attributes: Sequence[Attribute], header: Sequence[str] = ()) -> list[str]:
    """The columns a call's applications table may have: the core ones, the ``grant_stage<N>``
    columns of ``header`` and one per declared attribute. Any other column of ``header`` is not
    read (report it by name)."""
    grants = [c for c in header if c.startswith("grant_stage") and c[len("grant_stage"):].isdigit()]
    return list(dict.fromkeys([*APPLICATION_COLUMNS, *grants, *(a.column_name for a in attributes)]))


def _attribute_value(attr: Attribute, text: str) -> tuple[Any, str | None, str | None]:
    """Parse one cell of a declared attribute: ``(value, problem, hint)`` (value ``None`` when
    the cell is empty)."""
    text = text.strip()
    if not text:
        return (False if attr.type == "yes_no" else None), None, None
    if attr.type == "yes_no":
        b = parse_bool(text)
        return (b, None, None) if b is not None else (None, f"{attr.label_en} must be true or false, "
                                                      f"not {text!r}", "write true or false")
    if attr.type == "number":
        x = parse_number(text)
        if x is None:
            return None, f"{text!r} is not a number ({attr.label_en})", "write a number, e.g. 2 or 2,5"
        return (int(x) if float(x).is_integer() else x), None, None
    if attr.type == "money":
        m = parse_money(text)
        if m is None:
            return None, f"{text!r} is not a whole amount of money ({attr.label_en})", "write e.g. 250000"
        return m, None, None
    values = parse_list(text) if attr.type == "several" else [text]
    allowed = attr.value_ids()
    unknown = [v for v in values if allowed and v not in allowed]
    if unknown:
        return None, (f"unknown {attr.label_en.lower()} {', '.join(repr(u) for u in unknown)}"), \
            f"use {', '.join(allowed)} (declared in the call's vocabulary)"
    return (frozenset(values) if attr.type == "several" else text), None, None


#: What the readers take: a file's path, or its table as :func:`~selection.io.csvfile.read_csv`
#: parsed it (so that a caller that needs one file in several readers parses it once).
TableSource = Path | str | CsvTable


def _table(source: TableSource, display_name: str | None = None) -> CsvTable:
    """The parsed table of ``source`` (named ``display_name`` if given); raises
    :class:`InputError` as :func:`~selection.io.csvfile.read_csv` does."""
    if isinstance(source, CsvTable):
        return source if display_name is None or source.name == display_name else source.renamed(display_name)
    return read_csv(source, display_name=display_name)


def _read(source: TableSource, error: type[InputError]) -> CsvTable:
    try:
        return _table(source)
    except InputError as exc:
        raise error(exc.problems) from None


def _missing_columns(table: CsvTable, required: list[str]) -> list[Problem]:
    missing = [c for c in required if c not in table.header]
    if not missing:
        return []
    close = {c: difflib.get_close_matches(c, [h for h in table.header if h not in required], n=1, cutoff=0.6)
             for c in missing}
    renames = [f"{m[0]!r} to {c!r}" for c, m in close.items() if m]
    return [
        Problem(
            f"missing column(s) {', '.join(missing)}; found {', '.join(table.header)}",
            file=table.name,
            row=1,
            hint=(f"rename {', '.join(renames)}" if renames else "use the column names of the example call"),
        )
    ]


@gc_paused()
def read_applications(path: TableSource, attributes: Sequence[Attribute] = ()) -> list[Application]:
    """Read and validate ``applications.csv`` (a path, or its parsed table); every problem is
    reported at once.

    ``attributes`` are the call's declared attributes; each is read from its column (a missing
    required column or empty required cell is a problem; values are checked against the declared
    vocabulary).
    """
    table = _read(path, ApplicationError)
    required = _REQUIRED_APP + [a.column_name for a in attributes if a.required]
    problems = _missing_columns(table, required)
    if problems:
        raise ApplicationError(problems)
    clean = None if _reference_only else _clean_applications(table, attributes)
    if clean is not None:
        return clean
    apps: list[Application] = []
    seen: dict[str, int] = {}
    # each column's reading, found once (not per row): the declared attributes the table has and
    # its grant columns; each distinct cell is parsed once (the parsers are pure)
    declared: list[tuple[Attribute, str, dict[str, tuple[Any, str | None, str | None]]]] = [
        (a, a.column_name, {}) for a in attributes if a.column_name in table.header]
    grant_columns = [(int(col[len("grant_stage"):]), col) for col in table.header
                     if col.startswith("grant_stage") and col[len("grant_stage"):].isdigit()]
    grant_columns = list({stage: col for stage, col in grant_columns}.items())  # the last of a stage wins
    money: dict[str, int | None] = {}
    for row in table.rows:
        v = row.values
        data: dict = {
            "id": v["application_id"],
            "title": v["title"],
            "lead_organisation": v["lead_organisation"],
        }
        row_problems: list[Problem] = []
        attrs: dict[str, Any] = {}
        for a, col, seen_values in declared:
            text = v.get(col, "") or ""
            parsed = seen_values.get(text)
            if parsed is None:
                parsed = seen_values[text] = _attribute_value(a, text)
            value, problem, hint = parsed
            if problem:
                row_problems.append(Problem(problem, file=table.name, row=row.line, column=col, hint=hint))
            elif value is None and a.required:
                row_problems.append(Problem(f"no {a.label_en.lower()} given", file=table.name,
                                            row=row.line, column=col, hint="every application needs one"))
            elif value is not None:
                attrs[a.id] = value
        data["attributes"] = attrs
        parsed_grants = {}
        for stage, col in grant_columns:
            text = v[col]
            key = text or "0"
            amount = money[key] if key in money else money.setdefault(key, parse_money(key))
            if amount is None:
                row_problems.append(Problem(f"{text!r} is not a whole amount of money",
                                            file=table.name, row=row.line, column=f"grant_stage{stage}",
                                            hint="write a whole amount, e.g. 250000"))
            else:
                parsed_grants[stage] = amount
        data["grant_requested"] = parsed_grants
        for col in ("total_budget_per_year", "regional_cofinancing_per_year"):
            text = v.get(col, "0") or "0"
            amount = money[text] if text in money else money.setdefault(text, parse_money(text))
            if amount is None:
                row_problems.append(Problem(f"{text!r} is not a whole amount of money",
                                            file=table.name, row=row.line, column=col,
                                            hint="write a whole amount, e.g. 2500000"))
            data[col] = amount or 0
        try:
            app = Application.model_validate(data)
        except ValidationError as exc:
            for p in validation_problems(exc, data, table.name):
                row_problems.append(Problem(p.message, file=table.name, row=row.line,
                                            column=_COLUMN_OF.get((p.key or "").split(".")[0], p.key)))
            app = None
        row_problems += formula_id_problems(v, ["application_id"], table.name, row.line)
        if v["application_id"] in seen:
            row_problems.append(Problem(
                f"application id {v['application_id']!r} also on row {seen[v['application_id']]}",
                file=table.name, row=row.line, column="application_id", hint="ids must be unique"))
        seen.setdefault(v["application_id"], row.line)
        problems += row_problems
        if app is not None and not row_problems:
            apps.append(app)
    if not table.rows:
        problems.append(Problem("no applications", file=table.name))
    if problems:
        raise ApplicationError(problems)
    return apps


_COLUMN_OF = {"id": "application_id", "grant_requested": "grant_stage"}

#: Tests set this to read every applications table row by row (the reference).
_reference_only = False

#: What :class:`~selection.model.Application` accepts as an id (its ``pattern``, matched whole).
_APPLICATION_ID = re.compile(r"[A-Za-z0-9_.-]+")


def _clean_applications(table: CsvTable, attributes: Sequence[Attribute]) -> list[Application] | None:
    """:func:`read_applications`' result when no row can have a problem, checked column-wise
    (each distinct cell of a column parsed once, the ids and texts as sets); ``None`` when a row
    may have one: the row-by-row reading words it.

    The applications are built without a second validation (``model_construct``) only from
    values the model's validation keeps as they are: ids matching its pattern, titles and
    organisations not empty and with nothing to strip, attribute values as :func:`_attribute_value`
    parses them (stripped texts and sets of texts, yes/no, numbers), amounts that are whole and
    not negative, co-financing not above the total budget; equal to the validated objects (tested
    in ``tests/io/test_scale_tables.py``).
    """
    ids, titles, leads = (table.column(c) for c in ("application_id", "title", "lead_organisation"))
    if not ids or titles is None or leads is None:
        return None
    n = len(ids)
    distinct = set(ids)
    if len(distinct) != len(ids) or not all(
            _APPLICATION_ID.fullmatch(i) and not i.startswith(FORMULA_STARTS) for i in distinct):
        return None  # a repeated id, one the model refuses or one a spreadsheet reads as a formula
    if not all(t and t == t.strip() for t in {*titles, *leads}):
        return None
    columns: list[tuple[str, list[Any]]] = []
    for a in attributes:
        texts = table.column(a.column_name)
        if texts is None:
            continue
        if a.id != a.id.strip():
            return None
        parsed = {t: _attribute_value(a, t) for t in set(texts)}
        if any(problem or (value is None and a.required) or not _kept(value)
               for value, problem, _hint in parsed.values()):
            return None
        # a set of values made again by iterating it, as the model's validation makes it: equal
        # either way, and so also iterated (and written) in the validated object's order
        found = {t: frozenset(list(p[0])) if isinstance(p[0], frozenset) else p[0] for t, p in parsed.items()}
        columns.append((a.id, list(map(found.__getitem__, texts))))
    grant_columns = [(int(col[len("grant_stage"):]), col) for col in table.header
                     if col.startswith("grant_stage") and col[len("grant_stage"):].isdigit()]
    grants: list[tuple[int, list[int]]] = []
    for stage, col in {stage: col for stage, col in grant_columns}.items():  # the last of a stage wins
        amounts = _amounts([t or "0" for t in table.column(col) or ()])
        if amounts is None:
            return None
        grants.append((stage, amounts))
    totals, regional = (_amounts([t or "0" for t in column] if column is not None else ["0"] * n)
                        for column in map(table.column, ("total_budget_per_year", "regional_cofinancing_per_year")))
    if totals is None or regional is None or any(map(int.__gt__, regional, totals)):
        return None
    construct = _constructor()
    return [construct({"id": app_id, "title": title, "lead_organisation": lead,
                       "attributes": {aid: col[i] for aid, col in columns if col[i] is not None},
                       "grant_requested": {stage: col[i] for stage, col in grants},
                       "total_budget_per_year": totals[i], "regional_cofinancing_per_year": regional[i]})
            for i, (app_id, title, lead) in enumerate(zip(ids, titles, leads, strict=True))]


_FIELDS = ("id", "title", "lead_organisation", "attributes", "grant_requested", "total_budget_per_year",
           "regional_cofinancing_per_year")


def _constructor() -> Callable[[dict[str, Any]], Application]:
    """Makes an :class:`Application` of every field's value (a dict in field order) as
    ``Application.model_construct`` does: the instance's ``__dict__`` and fields set, no extra
    and no private values; ``model_construct`` itself if the model has grown anything else (a
    post-init hook, another field)."""
    if (tuple(Application.model_fields) != _FIELDS or Application.__pydantic_post_init__
            or Application.__pydantic_root_model__):
        return lambda values: Application.model_construct(**values)
    new, setattr_ = Application.__new__, object.__setattr__
    fields_set = frozenset(_FIELDS)

    def make(values: dict[str, Any]) -> Application:
        app = new(Application)
        setattr_(app, "__dict__", values)
        setattr_(app, "__pydantic_fields_set__", set(fields_set))
        setattr_(app, "__pydantic_extra__", None)
        setattr_(app, "__pydantic_private__", None)
        return app
    return make


def _kept(value: Any) -> bool:
    """Whether the model's validation of an attribute value keeps it as it is (no text to strip)."""
    if isinstance(value, str):
        return value == value.strip()
    if isinstance(value, frozenset):
        return all(type(v) is str and v == v.strip() for v in value)
    return value is None or type(value) in (bool, int, float)


def _amounts(texts: list[str]) -> list[int] | None:
    """:func:`~selection.io.csvfile.parse_money` of each text (each distinct one once), or
    ``None`` if one is not a whole amount."""
    parsed = {t: parse_money(t) for t in set(texts)}
    if any(m is None for m in parsed.values()):
        return None
    return list(map(parsed.__getitem__, texts))  # type: ignore[arg-type]


@gc_paused()
def read_experts(path: Path | str, application_ids: set[str] | None = None) -> list[Expert]:
    """Read and validate ``experts.csv``; conflicts must name known applications."""
    table = _read(Path(path), ApplicationError)
    problems = _missing_columns(table, ["expert_id", "name"])
    if problems:
        raise ApplicationError(problems)
    experts: list[Expert] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        v = row.values
        data = {"id": v["expert_id"], "name": v["name"], "affiliation": v.get("affiliation", ""),
                "conflicts": parse_list(v.get("conflicts", ""))}
        # optional columns declared for expert assignment (selection.assign)
        for col, key in (("expertise", "expertise"), ("kind", "kind")):
            if v.get(col, ""):
                data[key] = parse_list(v[col])
        if v.get("municipality", ""):
            data["municipality"] = v["municipality"]
        if v.get("max_load", ""):
            data["max_load"] = v["max_load"]
        try:
            experts.append(Expert.model_validate(data))
        except ValidationError as exc:
            for p in validation_problems(exc, data, table.name):
                problems.append(Problem(p.message, file=table.name, row=row.line,
                                        column={"id": "expert_id"}.get(p.key or "", p.key)))
        if application_ids is not None:
            for a in data["conflicts"]:
                if a not in application_ids:
                    problems.append(Problem(f"conflict names unknown application {a!r}",
                                            file=table.name, row=row.line, column="conflicts"))
        problems += formula_id_problems(v, ["expert_id"], table.name, row.line)
        if v["expert_id"] in seen:
            problems.append(Problem(f"expert id {v['expert_id']!r} also on row {seen[v['expert_id']]}",
                                    file=table.name, row=row.line, column="expert_id"))
        seen.setdefault(v["expert_id"], row.line)
    if problems:
        raise ApplicationError(problems)
    return experts


@gc_paused()
def read_assignments(
    path: TableSource, expert_ids: set[str], application_ids: set[str], stage: int | None = None
) -> dict[str, frozenset[str]]:
    """Read ``assignments.csv`` (a path, or its parsed table): expert id -> the application ids
    assigned to that expert.

    An optional ``stage`` column says which stage a row is for (``selection assign`` writes it
    when the file holds several stages); with ``stage`` given, only that stage's rows count.
    """
    table = _read(path, ApplicationError)
    problems = _missing_columns(table, ["expert_id", "application_id"])
    if problems:
        raise ApplicationError(problems)
    clean = _clean_assignments(table, expert_ids, application_ids, stage)
    if clean is not None:
        return clean
    out: dict[str, set[str]] = {}
    for row in table.rows:
        e, a = row.values["expert_id"], row.values["application_id"]
        if "stage" in table.header:
            text = row.values.get("stage", "").strip()
            if not text.isdigit():
                problems.append(Problem(f"stage {text!r} is not a stage number", file=table.name,
                                        row=row.line, column="stage", hint="write 1, 2, ..."))
                continue
            if stage is not None and int(text) != stage:
                continue
        problems += formula_id_problems(row.values, ["expert_id", "application_id"], table.name, row.line)
        if e not in expert_ids:
            problems.append(Problem(f"unknown expert {e!r}", file=table.name, row=row.line,
                                    column="expert_id"))
        if a not in application_ids:
            problems.append(Problem(f"unknown application {a!r}", file=table.name, row=row.line,
                                    column="application_id"))
        out.setdefault(e, set()).add(a)
    if problems:
        raise ApplicationError(problems)
    return {e: frozenset(s) for e, s in out.items()}


def _clean_assignments(table: CsvTable, expert_ids: set[str], application_ids: set[str],
                       stage: int | None) -> dict[str, frozenset[str]] | None:
    """:func:`read_assignments`' result when no row it reads has a problem, checked column-wise
    (each distinct id once); ``None`` when one may have: the row-by-row reading words it."""
    expert_column = table.column("expert_id")
    application_column = table.column("application_id")
    if expert_column is None or application_column is None:
        return None
    stages = table.column("stage")
    if stages is not None:
        stages = [t.strip() for t in stages]
        if not all(t.isdigit() for t in set(stages)):
            return None
        if stage is not None:
            keep = [int(t) == stage for t in stages]
            expert_column = [e for e, k in zip(expert_column, keep, strict=True) if k]
            application_column = [a for a, k in zip(application_column, keep, strict=True) if k]
    experts, applications = set(expert_column), set(application_column)
    if not (experts <= expert_ids and applications <= application_ids):
        return None
    if any(map(_formula_like, experts | applications)):
        return None
    out: dict[str, set[str]] = {}
    for e, a in zip(expert_column, application_column, strict=True):
        out.setdefault(e, set()).add(a)
    return {e: frozenset(s) for e, s in out.items()}


def _formula_like(text: str) -> bool:
    """Whether :func:`formula_id_problems` finds a problem in the id ``text``."""
    raw = text.lstrip(" ")
    return raw.startswith(FORMULA_STARTS) or _INNER_FORMULA.search(raw) is not None


#: First characters that make Excel (and LibreOffice) read a cell as a formula, or that Excel
#: strips: an id starting with one of them would not survive a round trip through a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_id_problems(values: Mapping[str, str], columns: Iterable[str], file: str, line: int
                        ) -> list[Problem]:
    """A problem for each id among ``columns`` of a row that a spreadsheet would read as a formula
    (it starts with ``= + - @``, a tab or a carriage return).

    Ids are joined on, so they are never rewritten (an output that quoted ``-KP1`` as ``'-KP1``
    would no longer join with its input); such an id is refused where it enters instead.

    >>> print(formula_id_problems({"application_id": "=1+2"}, ["application_id"], "a.csv", 3)[0])
    a.csv, row 3, column application_id: id '=1+2' starts with '=', which a spreadsheet reads as a formula. Fix: rename it so that it starts with a letter or digit (e.g. KP-01), in every file that uses it
    """
    out = []
    for col in columns:
        text = values.get(col, "") or ""
        raw = text.lstrip(" ")
        if raw.startswith(FORMULA_STARTS):
            out.append(Problem(f"id {text!r} starts with {raw[0]!r}, which a spreadsheet reads as a formula",
                               file=file, row=line, column=col,
                               hint="rename it so that it starts with a letter or digit (e.g. KP-01), "
                                    "in every file that uses it"))
        elif _INNER_FORMULA.search(raw):  # a spreadsheet splitting the line at ';' starts a cell there
            out.append(Problem(f"id {text!r} holds ';', a tab or a line break followed by a formula "
                               "character, which a spreadsheet splitting at ';' reads as a formula",
                               file=file, row=line, column=col,
                               hint="rename it without ';', tabs or line breaks (e.g. KP-01), in every "
                                    "file that uses it"))
    return out


_INNER_FORMULA = re.compile(r'[;\t\r\n]"*[=+\-@\t\r]')


def unknown_column_warnings(header: Sequence[str], known: Iterable[str], file: str) -> list[Problem]:
    """A warning for each column of ``header`` that is not among ``known`` (and so not read),
    naming the closest known name (:func:`difflib.get_close_matches`).

    The caller gives the known names: for ``applications.csv`` :func:`application_columns` of the
    call's declared attributes.

    >>> print(unknown_column_warnings(["application_id", "grant_stage_1"],
    ...                               ["application_id", "grant_stage1"], "a.csv")[0])
    a.csv, row 1, column grant_stage_1: unknown column 'grant_stage_1' is not read. Fix: did you mean 'grant_stage1'? Rename it, or delete the column
    """
    known = list(dict.fromkeys(known))
    out = []
    for h in header:
        if not h or h in known:
            continue
        close = difflib.get_close_matches(h, known, n=1, cutoff=0.6)
        hint = (f"did you mean {close[0]!r}? Rename it, or delete the column" if close
                else "delete the column, or declare it in the call if it is an attribute the rules use")
        out.append(Problem(f"unknown column {h!r} is not read", file=file, row=1, column=h, hint=hint))
    return out


def application_warnings(path: TableSource, attributes: Sequence[Attribute] = (),
                         display_name: str | None = None) -> list[Problem]:
    """Warnings for the columns of an applications table (a path, or its parsed table) that the
    call does not know (see :func:`unknown_column_warnings`); nothing if the file cannot be read
    (that is an error reported by :func:`read_applications`)."""
    try:
        table = _table(path, display_name)
    except InputError:
        return []
    return unknown_column_warnings(table.header, application_columns(attributes, table.header), table.name)


def _basis_columns(stage: Any) -> list[tuple[str, str]]:
    """``(column, why)`` for every money column a stage's rules read."""
    out = []
    uses_cost = stage.budget is not None or getattr(stage, "objective", "score") in ("score_per_dkk", "funding_line")
    if uses_cost:
        col = f"grant_stage{stage.number}" if stage.budget_basis == "grant" else stage.budget_basis
        basis = "grants" if stage.budget_basis == "grant" else stage.budget_basis.replace("_", " ")
        why = (f"stage {stage.number} budgets {basis}"
               if stage.budget is not None else f"stage {stage.number}'s objective {stage.objective}")
        out.append((col, why))
    if stage.total_budget_cap_per_year is not None:
        out += [("total_budget_per_year", f"stage {stage.number} caps the total budget per year")]
    if stage.max_regional_share is not None:
        out += [("total_budget_per_year", f"stage {stage.number} caps the regional share"),
                ("regional_cofinancing_per_year", f"stage {stage.number} caps the regional share")]
    cost_col = f"grant_stage{stage.number}" if stage.budget_basis == "grant" else stage.budget_basis
    for rule in getattr(stage, "shares", None) or []:  # share rules count money too
        for basis in (rule.of, rule.within):
            col = {"cost": cost_col, "grant": f"grant_stage{stage.number}"}.get(basis, basis)
            if col.startswith("grant_stage") or col in ("total_budget_per_year", "regional_cofinancing_per_year"):
                out.append((col, f"a share rule of stage {stage.number} counts {basis.replace('_', ' ')}"))
    return list(dict.fromkeys(out))


def money_basis_problems(path: TableSource, stages: Iterable[Any], display_name: str | None = None
                         ) -> list[Problem]:
    """Problems when a stage's money basis has no column in the applications table, or a blank
    cell: a stage that budgets grants with no ``grant_stage<N>`` column would otherwise give every
    application a grant of 0.

    ``stages`` are the call's :class:`~selection.model.Stage` objects; each column a stage's
    budget, objective, total-budget cap or regional-share cap reads must exist and be filled in
    on every row. ``path`` may be the table parsed already.
    """
    try:
        table = _table(path, display_name)
    except InputError:
        return []  # reported by read_applications
    problems: list[Problem] = []
    wanted: dict[str, str] = {}
    for st in stages:
        for col, why in _basis_columns(st):
            wanted.setdefault(col, why)
    grants = [h for h in table.header if h.startswith("grant")]
    for col, why in wanted.items():
        if col not in table.header:
            close = difflib.get_close_matches(col, table.header, n=1, cutoff=0.6)
            problems.append(Problem(
                f"{why}, but the table has no column {col!r}"
                + (f" (found {', '.join(grants)})" if grants and col.startswith("grant") else ""),
                file=table.name, row=1, column=col,
                hint=(f"rename column {close[0]!r} to {col!r}" if close else f"add a column {col!r} with "
                      "every application's amount")))
            continue
        if all(v.strip() for v in set(table.column(col) or ())):
            continue  # no cell blank: the rows need not be looked at one by one
        blank = [r.line for r in table.rows if not (r.values.get(col) or "").strip()]
        for line in blank:
            problems.append(Problem(f"no amount given; {why}", file=table.name, row=line, column=col,
                                    hint="write the amount (0 if there is none)"))
    return problems


def assignments_for_stage(path: TableSource, expert_ids: set[str], application_ids: set[str],
                          stage: int, from_earlier_stage: bool = False) -> dict[str, frozenset[str]] | None:
    """The assignment that governs stage ``stage``'s scores, or ``None`` when none does.

    With a ``stage`` column, the rows of that stage (``None`` if there are none). Without one, the
    rows are the assignment of the stage(s) that score every application; a stage that chooses
    among an earlier stage's selection (``from_earlier_stage``) is then not governed by them.
    A missing file governs nothing. ``path`` may be the file's table, parsed already.
    """
    if not isinstance(path, CsvTable) and not Path(path).is_file():
        return None
    table = _read(path, ApplicationError)
    if "stage" not in table.header and from_earlier_stage:
        return None
    return read_assignments(table, expert_ids, application_ids, stage) or None
