"""Read the call folder's tables: applications, experts and (optional) assignments.

Column layout (one row per application; lists are ``|``-separated; money in whole DKK):

``applications.csv``
    application_id, title, lead_organisation, industries, focus_areas, municipality, rural,
    grant_stage<N> (one column per stage with a grant), total_budget_per_year,
    regional_cofinancing_per_year, partners_creative, partners_commercial, partners_cultural,
    partners_public, partners_private, partners_regional, partners_national,
    partners_international
``experts.csv``
    expert_id, name, affiliation, conflicts
``assignments.csv``
    expert_id, application_id (which expert scores which application)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from selection.errors import ApplicationError, InputError, Problem
from selection.io.csvfile import CsvTable, parse_bool, parse_list, parse_money, read_csv
from selection.io.toml import validation_problems
from selection.model import Application, Expert, PartnerMix

__all__ = ["read_applications", "read_experts", "read_assignments", "APPLICATION_COLUMNS"]

APPLICATION_COLUMNS = [
    "application_id", "title", "lead_organisation", "industries", "focus_areas", "municipality",
    "rural", "grant_stage1", "total_budget_per_year", "regional_cofinancing_per_year",
] + [f"partners_{k}" for k in PartnerMix.model_fields]  # fmt: skip
_REQUIRED_APP = ["application_id", "title", "lead_organisation", "industries", "municipality"]


def _read(path: Path, error: type[InputError]) -> CsvTable:
    try:
        return read_csv(path)
    except InputError as exc:
        raise error(exc.problems) from None


def _missing_columns(table: CsvTable, required: list[str]) -> list[Problem]:
    missing = [c for c in required if c not in table.header]
    if not missing:
        return []
    return [
        Problem(
            f"missing column(s) {', '.join(missing)}; found {', '.join(table.header)}",
            file=table.name,
            row=1,
            hint="use the column names of the example call",
        )
    ]


def read_applications(path: Path | str) -> list[Application]:
    """Read and validate ``applications.csv``; every problem is reported at once."""
    table = _read(Path(path), ApplicationError)
    problems = _missing_columns(table, _REQUIRED_APP)
    if problems:
        raise ApplicationError(problems)
    apps: list[Application] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        v = row.values
        data: dict = {
            "id": v["application_id"],
            "title": v["title"],
            "lead_organisation": v["lead_organisation"],
            "industries": parse_list(v["industries"]),
            "focus_areas": parse_list(v.get("focus_areas", "")),
            "municipality": v["municipality"],
        }
        row_problems: list[Problem] = []
        rural = parse_bool(v.get("rural", ""))
        if rural is None:
            row_problems.append(Problem(f"rural must be true or false, not {v['rural']!r}",
                                        file=table.name, row=row.line, column="rural"))
        data["rural"] = bool(rural)
        grants = {}
        for col in table.header:
            if col.startswith("grant_stage") and col[len("grant_stage"):].isdigit():
                grants[int(col[len("grant_stage"):])] = v[col]
        money_cols = {"total_budget_per_year": v.get("total_budget_per_year", "0") or "0",
                      "regional_cofinancing_per_year": v.get("regional_cofinancing_per_year", "0") or "0"}
        parsed_grants = {}
        for stage, text in grants.items():
            amount = parse_money(text or "0")
            if amount is None:
                row_problems.append(Problem(f"{text!r} is not a whole amount of money",
                                            file=table.name, row=row.line, column=f"grant_stage{stage}",
                                            hint="write whole DKK, e.g. 250000"))
            else:
                parsed_grants[stage] = amount
        data["grant_requested"] = parsed_grants
        for col, text in money_cols.items():
            amount = parse_money(text)
            if amount is None:
                row_problems.append(Problem(f"{text!r} is not a whole amount of money",
                                            file=table.name, row=row.line, column=col,
                                            hint="write whole DKK, e.g. 2500000"))
            data[col] = amount or 0
        partners = {}
        for k in PartnerMix.model_fields:
            text = v.get(f"partners_{k}", "") or "0"
            if not text.isdigit():
                row_problems.append(Problem(f"{text!r} is not a count of partners", file=table.name,
                                            row=row.line, column=f"partners_{k}"))
            else:
                partners[k] = int(text)
        data["partners"] = partners
        try:
            app = Application.model_validate(data)
        except ValidationError as exc:
            for p in validation_problems(exc, data, table.name):
                row_problems.append(Problem(p.message, file=table.name, row=row.line,
                                            column=_COLUMN_OF.get((p.key or "").split(".")[0], p.key)))
            app = None
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


def read_experts(path: Path | str, application_ids: set[str] | None = None) -> list[Expert]:
    """Read and validate ``experts.csv``; conflicts must name known applications."""
    table = _read(Path(path), ApplicationError)
    problems = _missing_columns(table, ["expert_id", "name"])
    if problems:
        raise ApplicationError(problems)
    experts, seen = [], {}
    for row in table.rows:
        v = row.values
        data = {"id": v["expert_id"], "name": v["name"], "affiliation": v.get("affiliation", ""),
                "conflicts": parse_list(v.get("conflicts", ""))}
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
        if v["expert_id"] in seen:
            problems.append(Problem(f"expert id {v['expert_id']!r} also on row {seen[v['expert_id']]}",
                                    file=table.name, row=row.line, column="expert_id"))
        seen.setdefault(v["expert_id"], row.line)
    if problems:
        raise ApplicationError(problems)
    return experts


def read_assignments(
    path: Path | str, expert_ids: set[str], application_ids: set[str]
) -> dict[str, frozenset[str]]:
    """Read ``assignments.csv``: expert id -> the application ids assigned to that expert."""
    table = _read(Path(path), ApplicationError)
    problems = _missing_columns(table, ["expert_id", "application_id"])
    if problems:
        raise ApplicationError(problems)
    out: dict[str, set[str]] = {}
    for row in table.rows:
        e, a = row.values["expert_id"], row.values["application_id"]
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
