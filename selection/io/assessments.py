"""The operator's written professional assessment of each application (a stage's
``assessments`` folder), attached to the application's dossier in the report.

The call asks the operator to hand in "en faglig vurdering af de 8" with the maturation phase's
report (§7). The secretariat puts one plain-text file per application into the folder the stage
names (``assessments = "assessments/stage2"`` in the call file)::

    assessments/stage2/KP-03.md        one text for both languages
    assessments/stage2/KP-07.da.md     the Danish text ...
    assessments/stage2/KP-07.en.md     ... and the English one

(``.txt`` as well as ``.md``). Every problem is reported at once, by file: a name that is not an
application of the call, a file that is not UTF-8 text, an empty file, more than 100,000
characters, the same application and language twice (``KP-03.md`` beside ``KP-03.da.md``), a
sub-folder, or a symbolic link that leads out of the call folder. A file for an application the
stage does not choose among is reported at run time as a warning, not an error.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from selection.errors import InputError, Problem

__all__ = ["Assessment", "read_assessments", "MAX_CHARS", "assessment_rows"]

#: Longest assessment read (characters); a longer file is refused (an assessment is a few pages).
MAX_CHARS = 100_000
_NAME = re.compile(r"^(?P<app>[A-Za-z0-9_.-]+?)(?:\.(?P<lang>da|en))?\.(?:md|txt)$")


@dataclass(frozen=True)
class Assessment:
    """One application's assessment: the text per language (``"da"``, ``"en"`` or ``""`` for a
    text that serves both) and the files it came from."""

    application_id: str
    texts: tuple[tuple[str, str], ...]
    files: tuple[Path, ...]

    def text(self, lang: str) -> str:
        """The text in ``lang``, else the one for both languages, else the other language's."""
        by = dict(self.texts)
        return by.get(lang) or by.get("") or next(iter(by.values()), "")


def read_assessments(folder: Path, *, root: Path, application_ids: set[str]) -> dict[str, Assessment]:
    """Read a stage's assessment folder (see the module docstring); application id -> assessment.

    Raises
    ------
    InputError
        With every problem, each naming its file (relative to the call folder ``root``).
    """
    rel = _rel(root, folder)
    if not folder.is_dir():
        raise InputError(Problem("the call names this assessment folder, which does not exist", file=rel,
                                 hint="create it and put one file per application into it "
                                      "(<application_id>.md), or remove 'assessments' from the stage"))
    problems: list[Problem] = []
    texts: dict[str, dict[str, tuple[str, Path]]] = {}
    root_real = root.resolve()
    for path in sorted(folder.iterdir()):
        name = _rel(root, path)
        if path.name.startswith("."):
            continue  # editor and system files (.DS_Store, .~lock)
        if path.is_symlink() and not path.resolve().is_relative_to(root_real):
            problems.append(Problem(f"leads through a symbolic link to {path.resolve()}, outside the call folder",
                                    file=name, hint="copy the file into the call folder instead of linking to it"))
            continue
        if path.is_dir():
            problems.append(Problem("a folder among the assessments", file=name,
                                    hint="put the files directly into the assessment folder"))
            continue
        m = _NAME.match(path.name)
        if m is None:
            problems.append(Problem("not an assessment file name", file=name,
                                    hint="name it <application_id>.md (or .txt; .da.md / .en.md per language)"))
            continue
        app, lang = m.group("app"), m.group("lang") or ""
        if app not in application_ids:
            problems.append(Problem(f"no application {app!r} in applications.csv", file=name,
                                    hint="name the file after the application's id, e.g. KP-03.md"))
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem("not UTF-8 text", file=name,
                                    hint="save it as plain text in UTF-8 (in Word: Save as > Plain text > UTF-8)"))
            continue
        text = text.replace("\r\n", "\n").strip()
        if not text:
            problems.append(Problem("the assessment is empty", file=name, hint="write the assessment, or remove the file"))
            continue
        if len(text) > MAX_CHARS:
            problems.append(Problem(f"{len(text):,} characters; at most {MAX_CHARS:,} are read", file=name,
                                    hint="shorten it; attach long material to the application instead"))
            continue
        have = texts.setdefault(app, {})
        clash = lang in have or (lang == "" and have) or (lang != "" and "" in have)
        if clash:
            other = next(iter(have.values()))[1]
            problems.append(Problem(f"a second assessment of {app} (also {_rel(root, other)})", file=name,
                                    hint=f"keep either {app}.md for both languages or {app}.da.md and {app}.en.md"))
            continue
        have[lang] = (text, path)
    if problems:
        raise InputError(problems)
    return {app: Assessment(app, tuple((lang, t) for lang, (t, _) in sorted(by.items())),
                            tuple(p for _, (_, p) in sorted(by.items())))
            for app, by in sorted(texts.items())}


def assessment_rows(assessments: dict[str, Assessment], application_ids: list[str], *, root: Path) -> list[dict]:
    """Rows of ``assessments-stage<N>.csv``: one per application and language, for the
    applications given (in their order)."""
    rows = []
    for app in application_ids:
        a = assessments.get(app)
        if a is None:
            continue
        for (lang, text), path in zip(a.texts, a.files, strict=True):
            rows.append({"application_id": app, "language": lang or "da+en", "text": text,
                         "file": _rel(root, path)})
    return rows


def _rel(root: Path, p: Path) -> str:
    try:
        return Path(os.path.abspath(p)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(p)
