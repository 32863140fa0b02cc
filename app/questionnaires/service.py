"""Questionnaires: drafts, item edits, publishing, import and export. Every write here is audited.

Rules (see docs/QUESTIONNAIRE.md, "Builder"):

- A questionnaire has numbered versions 1..n; a version is a draft or published.
- At most one draft per questionnaire (a partial unique index enforces it). A draft may be
  saved while it has problems, which the editor lists; publishing requires none.
- A published version never changes (here, and in the model's ``before_update`` hook).
  Publishing stores the document with every default written out, so that a later change
  of a default in the core cannot change what a published version means.
- Editing starts a new draft from any version, numbered after the newest.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit import service as audit
from app.extensions import db
from app.platform.columns import utcnow
from app.platform.i18n import translated
from app.platform.tabular import display_name
from app.questionnaires.models import Questionnaire, QuestionnaireVersion, VersionStatus, document_hash
from questionnaire.diff import Change, diff_documents
from questionnaire.interop import Imported, carry_source_names
from questionnaire.readiness import PLACEHOLDER, readiness_problems
from questionnaire.schema import (
    Problem,
    QuestionnaireError,
    format_path,
    normalize_document,
    semantic_problems,
    validate_document,
)
from questionnaire.surveyjs import export_surveyjs, read_surveyjs
from questionnaire.templates import BLANK, template_document
from questionnaire.types import REGISTRY
from questionnaire.xlsform import export_xlsform, read_xlsform
from rules.expressions import ExpressionError, parse_expression

# File formats, chosen by the end of the file name (longest suffix first).
FORMATS = {
    ".surveyjs.json": "surveyjs",
    ".json": "json",
    ".xls": "xlsform",  # the old binary workbook: imported, never written
    ".xlsx": "xlsform",
}
MIMETYPES = {
    "json": "application/json",
    "surveyjs": "application/json",
    "xlsform": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUFFIXES = {fmt: suffix for suffix, fmt in FORMATS.items()}


class BuilderError(ValueError):
    """A user-facing reason why a questionnaire change is refused."""


class DocumentProblems(BuilderError):
    """A document (to publish or import) has problems; ``problems`` lists each with its location."""

    def __init__(self, message: str, problems: list[Problem]):
        super().__init__(message)
        self.problems = list(problems)


class DropsUnconfirmed(DocumentProblems):
    """An imported file holds parts this platform leaves out (listed in ``problems``); the designer has not yet
    confirmed that the draft may be created without them."""


# ------------------------------------------------------------------------------ lookups

def versions_of(questionnaire: Questionnaire) -> list[QuestionnaireVersion]:
    """The versions of a questionnaire, newest first."""
    return list(db.session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == questionnaire.id)
        .order_by(QuestionnaireVersion.number.desc())
    ))


def published_versions():
    """A statement selecting every published version (what a round may point at), newest first."""
    return (select(QuestionnaireVersion).where(QuestionnaireVersion.status == VersionStatus.published)
            .order_by(QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.number.desc()))


def problems_of(version: QuestionnaireVersion) -> list[Problem]:
    """Everything that keeps a version's document from being published (empty when publishable): what the core
    finds wrong, then the builder's placeholder texts and the questions that can never be shown."""
    return validate_document(version.document) or readiness_problems(version.document)


# ------------------------------------------------------------------------------ creating versions

def starter_document(title: str, template: str = BLANK) -> dict:
    """A new questionnaire's first draft: the document of a template; the blank one takes the name as its title."""
    try:
        document = template_document(template)
    except KeyError:
        raise BuilderError(_("There is no template %(name)s.", name=template)) from None
    if template == BLANK:
        document["title"] = {"zh": title}
    return document


def _next_number(questionnaire_id: int) -> int:
    current = db.session.scalar(
        select(func.max(QuestionnaireVersion.number)).where(QuestionnaireVersion.questionnaire_id == questionnaire_id))
    return (current or 0) + 1


def _add_draft(questionnaire: Questionnaire, document: dict, *, based_on=None, source: str = "",
               actor=None) -> QuestionnaireVersion:
    version = QuestionnaireVersion(
        questionnaire=questionnaire, number=_next_number(questionnaire.id) if questionnaire.id else 1,
        status=VersionStatus.draft, document=document, based_on=based_on, source=source[:200],
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(version)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another designer opened a draft of the same questionnaire at the same moment.
        raise BuilderError(_("This questionnaire already has a draft: edit it, or discard it first.")) from None
    return version


def create(name: str, document: dict | None = None, *, template: str = BLANK, source: str = "",
           actor=None) -> QuestionnaireVersion:
    """A new questionnaire with draft version 1: the given document, else the template's (blank by default)."""
    name = name.strip()
    if not name:
        raise BuilderError(_("Give the questionnaire a name."))
    if len(name) > 200:
        raise BuilderError(_("A name has at most 200 characters."))
    questionnaire = Questionnaire(name=name, created_by_id=actor.id if actor is not None else None)
    db.session.add(questionnaire)
    db.session.flush()
    version = _add_draft(questionnaire, document or starter_document(name, template), source=source, actor=actor)
    audit.record("questionnaire.create", f"questionnaire:{questionnaire.id}",
                 {"name": name} if document else {"name": name, "template": template}, actor=actor)
    return version


def start_draft(base: QuestionnaireVersion, *, actor=None) -> QuestionnaireVersion:
    """A new draft (numbered after the newest version) holding a copy of ``base``'s document."""
    questionnaire = base.questionnaire
    existing = db.session.scalar(select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == questionnaire.id, QuestionnaireVersion.status == VersionStatus.draft))
    if existing is not None:
        raise BuilderError(_("Version %(number)d is already a draft of this questionnaire: edit it, or discard it "
                             "first.", number=existing.number))
    version = _add_draft(questionnaire, copy.deepcopy(base.document), based_on=base,
                         source=f"v{base.number}", actor=actor)
    audit.record("questionnaire.draft", f"questionnaire_version:{version.id}",
                 {"questionnaire": questionnaire.id, "number": version.number, "based_on": base.number}, actor=actor)
    return version


def discard_draft(version: QuestionnaireVersion, *, actor=None) -> None:
    """Delete a draft (and its questionnaire, if that leaves it without any version)."""
    _require_draft(version)
    questionnaire = version.questionnaire
    audit.record("questionnaire.discard", f"questionnaire_version:{version.id}",
                 {"questionnaire": questionnaire.id, "number": version.number}, actor=actor)
    db.session.delete(version)
    db.session.flush()
    if not versions_of(questionnaire):
        db.session.delete(questionnaire)


def publish(version: QuestionnaireVersion, *, actor=None) -> None:
    """Validate and freeze a draft: defaults written out, SHA-256 of the canonical JSON recorded."""
    _require_draft(version)
    problems = problems_of(version)
    if problems:
        raise DocumentProblems(_("The questionnaire has problems; it can be published once they are fixed."), problems)
    document = normalize_document(version.document)
    version.document = document
    version.document_hash = document_hash(document)
    version.status = VersionStatus.published
    version.published_at = utcnow()
    version.published_by_id = actor.id if actor is not None else None
    db.session.flush()
    audit.record("questionnaire.publish", f"questionnaire_version:{version.id}", {
        "questionnaire": version.questionnaire_id, "number": version.number, "hash": version.document_hash,
    }, actor=actor)


def _require_draft(version: QuestionnaireVersion) -> None:
    if not version.is_draft:
        raise BuilderError(_("Version %(number)d is published and can no longer change; start a new draft from it.",
                             number=version.number))


# ------------------------------------------------------------------------------ editing a draft

def _edit(version: QuestionnaireVersion, op: str, details: dict, change, *, actor=None):
    """Apply ``change`` to a copy of the draft's document, store it, audit it; returns what ``change`` returns."""
    _require_draft(version)
    document = copy.deepcopy(version.document)
    result = change(document)
    version.document = document  # a new object, so the JSON column is seen as changed
    audit.record("questionnaire.edit", f"questionnaire_version:{version.id}", {"op": op, **details}, actor=actor)
    return result


def save_document(version: QuestionnaireVersion, document: dict, *, actor=None) -> list[Problem]:
    """Replace a draft's whole document; returns its problems (a draft may be saved with problems)."""
    if not isinstance(document, dict):
        raise BuilderError(_("A questionnaire document is a JSON object."))

    def change(doc):
        doc.clear()
        doc.update(copy.deepcopy(document))

    _edit(version, "replace", {}, change, actor=actor)
    return validate_document(version.document)


def update_settings(version: QuestionnaireVersion, title: dict, description: dict, *, actor=None) -> None:
    """Change the title and description (local texts) of a draft."""
    if not (title.get("zh") or "").strip():
        raise BuilderError(_("The Chinese title is required."))

    def change(doc):
        doc["title"] = _local(title)
        if (description.get("zh") or "").strip():
            doc["description"] = _local(description)
        else:
            doc.pop("description", None)

    _edit(version, "settings", {}, change, actor=actor)


def _local(text: dict) -> dict:
    out = {"zh": (text.get("zh") or "").strip()}
    if (text.get("en") or "").strip():
        out["en"] = text["en"].strip()
    return out


# Items are addressed by position: "3" is the fourth top-level item, "3.1" the second question of the
# department block standing at position 3. ``expected_key`` guards against a page that is out of date.
LOCATION = re.compile(r"^(\d{1,4})(?:\.(\d{1,4}))?$")


def _locate(doc: dict, loc: str, expected_key: str | None = None) -> tuple[list, int]:
    match = LOCATION.match(loc or "")
    items = doc.get("items") if isinstance(doc.get("items"), list) else None
    if match is None or items is None:
        raise BuilderError(_("No such item."))
    i, j = int(match.group(1)), match.group(2)
    if i >= len(items):
        raise BuilderError(_("No such item."))
    container, index = items, i
    if j is not None:
        block = items[i]
        if not isinstance(block, dict) or block.get("type") != "department_block" or not isinstance(block.get("items"), list):
            raise BuilderError(_("No such item."))
        container, index = block["items"], int(j)
        if index >= len(container):
            raise BuilderError(_("No such item."))
    if expected_key is not None and (container[index] or {}).get("key") != expected_key:
        raise BuilderError(_("The questionnaire has changed since this page was loaded; please try again."))
    return container, index


def get_item(version: QuestionnaireVersion, loc: str) -> dict:
    """A copy of the item at ``loc``."""
    container, index = _locate(version.document, loc)
    return copy.deepcopy(container[index])


def item_locations(document: dict) -> list[tuple[str, dict, bool]]:
    """(location, item, in the department block) for every item, in document order."""
    out = []
    for i, item in enumerate(document.get("items") or []):
        if not isinstance(item, dict):
            continue
        out.append((str(i), item, False))
        if item.get("type") == "department_block":
            for j, sub in enumerate(item.get("items") or []):
                if isinstance(sub, dict):
                    out.append((f"{i}.{j}", sub, True))
    return out


def _all_keys(doc: dict) -> set[str]:
    return {item.get("key") for _loc, item, _b in item_locations(doc)}


def _fresh_key(doc: dict, stem: str) -> str:
    keys = _all_keys(doc)
    stem = re.sub(r"[^a-z0-9_]", "_", stem.lower()).strip("_")[:32] or "q"
    if not stem[0].isalpha():
        stem = "q_" + stem
    stem = re.sub(r"_+", "_", stem)
    n = 1
    while f"{stem}_{n}" in keys:
        n += 1
    return f"{stem}_{n}" if stem in keys or stem == "q" else stem


def new_item(qtype: str, key: str) -> dict:
    """A fresh item of ``qtype`` with starting content: Chinese placeholders the designer replaces."""
    label = _placeholder(PLACEHOLDER["question"])
    if qtype == "section":
        return {"type": "section", "key": key, "label": _placeholder(PLACEHOLDER["page"])}
    item: dict = {"type": qtype, "key": key, "label": label}
    if qtype in ("single", "multiple", "dropdown", "ranking"):
        item["options"] = [{"value": value, "label": _placeholder(text)}
                           for value, text in zip("ab", PLACEHOLDER["options"])]
    elif qtype == "note":
        item["label"] = _placeholder(PLACEHOLDER["note"])
    elif qtype == "multi_text":
        item["fields"] = [{"key": f"f{n}", "label": _placeholder(text)}
                          for n, text in enumerate(PLACEHOLDER["fields"], 1)]
    elif qtype == "matrix":
        item["rows"] = [{"key": f"r{n}", "label": _placeholder(text)} for n, text in enumerate(PLACEHOLDER["rows"], 1)]
    elif qtype == "rating":
        item["not_familiar"] = True
    elif qtype == "department_block":
        item["label"] = {"zh": "近期您与以下哪些部门打过交道？", "en": "Which of these departments have you dealt with recently?"}
        item["min_picks"] = 1
        item["items"] = [{"type": "rating", "key": _unused(key, "overall"), "label": {"zh": "总体满意度",
                          "en": "Overall satisfaction"}, "not_familiar": True, "scored": True}]
    return item


def _placeholder(text: dict) -> dict:
    # Chinese only: a designer who writes the Chinese text leaves no English placeholder behind (an item
    # without English shows its Chinese); publishing is refused while one remains (questionnaire.readiness).
    return {"zh": text["zh"]}


def _unused(taken: str, wanted: str) -> str:
    return wanted if wanted != taken else wanted + "_1"


def add_item(version: QuestionnaireVersion, qtype: str, *, in_block: bool = False, actor=None) -> str:
    """Append a new item of ``qtype`` at the end of the questionnaire or of the department block; returns its location."""
    if qtype not in REGISTRY:
        raise BuilderError(_("Unknown question type."))
    if in_block and not REGISTRY[qtype].in_block:
        raise BuilderError(_("Pages and the department block cannot go inside the department block."))

    def change(doc):
        items = doc.setdefault("items", [])
        if qtype == "department_block" and any(i.get("type") == "department_block" for i in items):
            raise BuilderError(_("A questionnaire has one department block at most."))
        key = _fresh_key(doc, "departments" if qtype == "department_block" else "page" if qtype == "section" else "q")
        item = new_item(qtype, key)
        if qtype == "department_block":
            item["items"][0]["key"] = _fresh_key({"items": items + [{"key": key}]}, "overall")
        if in_block:
            block_at = next((n for n, i in enumerate(items) if i.get("type") == "department_block"), None)
            if block_at is None:
                raise BuilderError(_("This questionnaire has no department block yet."))
            items[block_at].setdefault("items", []).append(item)
            return f"{block_at}.{len(items[block_at]['items']) - 1}", key
        items.append(item)
        return str(len(items) - 1), key

    loc, _key = _edit(version, "add", {"type": qtype}, change, actor=actor)
    return loc


def update_item(version: QuestionnaireVersion, loc: str, item: dict, *, expected_key: str | None = None,
                actor=None) -> list[Problem]:
    """Replace the item at ``loc``; returns the document's problems after the change."""
    if item.get("show_if") is not None or item.get("required_if") is not None:
        for name in ("show_if", "required_if"):
            if item.get(name):
                parse_expression(item[name])  # raises ExpressionError: callers show it next to the field

    def change(doc):
        container, index = _locate(doc, loc, expected_key)
        if container[index].get("type") != item.get("type"):
            raise BuilderError(_("The type of a question cannot change; add a new question instead."))
        if item.get("type") == "department_block":
            item["items"] = container[index].get("items", [])  # the block's questions are edited one by one
        container[index] = carry_source_names(container[index], item)

    _edit(version, "update", {"key": item.get("key")}, change, actor=actor)
    return validate_document(version.document)


def duplicate_item(version: QuestionnaireVersion, loc: str, *, expected_key: str | None = None, actor=None) -> str:
    """Insert a copy (with a new key) right after the item; returns the copy's location."""

    def change(doc):
        container, index = _locate(doc, loc, expected_key)
        original = container[index]
        if original.get("type") == "department_block":
            raise BuilderError(_("A questionnaire has one department block at most."))
        twin = copy.deepcopy(original)
        twin["key"] = _fresh_key(doc, f"{original.get('key', 'q')}_copy")
        container.insert(index + 1, twin)
        head, _sep, _tail = loc.partition(".")
        return (f"{head}.{index + 1}" if "." in loc else str(index + 1)), twin["key"]

    new_loc, _key = _edit(version, "duplicate", {"key": expected_key}, change, actor=actor)
    return new_loc


def delete_item(version: QuestionnaireVersion, loc: str, *, expected_key: str | None = None, actor=None) -> str:
    """Remove the item at ``loc``; returns its key."""

    def change(doc):
        container, index = _locate(doc, loc, expected_key)
        return container.pop(index).get("key", "")

    return _edit(version, "delete", {"key": expected_key}, change, actor=actor)


def move_item(version: QuestionnaireVersion, loc: str, direction: str, *, expected_key: str | None = None,
              actor=None) -> str:
    """Move an item one place up or down within its list (top level or department block); returns its new location."""
    if direction not in ("up", "down"):
        raise BuilderError(_("No such item."))

    def change(doc):
        container, index = _locate(doc, loc, expected_key)
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(container):
            return loc  # already first or last: nothing to do
        container[index], container[target] = container[target], container[index]
        head = loc.partition(".")[0]
        return f"{head}.{target}" if "." in loc else str(target)

    return _edit(version, "move", {"key": expected_key, "direction": direction}, change, actor=actor)


def move_item_to(version: QuestionnaireVersion, loc: str, position: int, *, expected_key: str | None = None,
                 actor=None) -> str:
    """Move an item to ``position`` (0-based) within its list, e.g. after drag and drop."""

    def change(doc):
        container, index = _locate(doc, loc, expected_key)
        target = max(0, min(position, len(container) - 1))
        container.insert(target, container.pop(index))
        head = loc.partition(".")[0]
        return f"{head}.{target}" if "." in loc else str(target)

    return _edit(version, "move", {"key": expected_key, "position": position}, change, actor=actor)


def check_expression(text: str) -> ExpressionError | None:
    """The syntax error of an expression, or None when it parses."""
    try:
        parse_expression(text)
    except ExpressionError as exc:
        return exc
    return None


CONDITION_FIELDS = ("show_if", "required_if")


def condition_problems(version: QuestionnaireVersion, loc: str, field: str, text: str) -> list[str]:
    """What the draft's check would say of ``text`` as the condition ``field`` of the item at ``loc`` (unknown
    questions, options that do not exist, questions asked later …), in the same words; [] when it has nothing."""
    if field not in CONDITION_FIELDS:
        return []
    doc = copy.deepcopy(version.document)
    try:
        container, index = _locate(doc, loc)
    except BuilderError:
        return []
    if not isinstance(container[index], dict):
        return []
    container[index][field] = text
    head, _, sub = loc.partition(".")
    path = format_path(("items", int(head)) + (("items", int(sub)) if sub else ()) + (field,))
    return [translated(p) for p in semantic_problems(doc) if p.path == path]


# ------------------------------------------------------------------------------ diff

def diff(old: QuestionnaireVersion, new: QuestionnaireVersion) -> list[Change]:
    """The changes from ``old`` to ``new``; DocumentProblems if either document is invalid."""
    for version in (old, new):
        problems = validate_document(version.document)
        if problems:
            raise DocumentProblems(_("Version %(number)d has problems, so it cannot be compared yet.",
                                     number=version.number), problems)
    return diff_documents(old.document, new.document)


# ------------------------------------------------------------------------------ import / export

def format_of(filename: str) -> str:
    """The file format a name stands for: json, surveyjs or xlsform; BuilderError otherwise."""
    lower = (filename or "").lower()
    for suffix, fmt in FORMATS.items():
        if lower.endswith(suffix):
            return fmt
    raise BuilderError(_("Choose a .json, .surveyjs.json, .xlsx or .xls file."))


def _no_constant(name: str):
    raise _NotJSON(_("not valid JSON: %(name)s is not a number JSON allows", name=name))


class _NotJSON(ValueError):
    pass


def read_document(filename: str, data: bytes, *, allow_drops: bool = False) -> Imported:
    """Parse and validate an uploaded questionnaire: the document and the parts of the file left out.

    DocumentProblems lists every located problem; DropsUnconfirmed lists what would be left out, unless
    ``allow_drops`` (the designer has seen that list and confirmed it)."""
    imported = _read(filename, data)
    if imported.dropped and not allow_drops:
        raise DropsUnconfirmed(_("Some parts of this file cannot be imported and would be left out (listed below). "
                                 "Nothing was changed: to import the rest, confirm that they are left out and "
                                 "import the file again."), imported.dropped)
    return imported


def _read(filename: str, data: bytes) -> Imported:
    fmt = format_of(filename)
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise BuilderError(_("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)))
    try:
        if fmt == "xlsform":
            return read_xlsform(data)
        try:
            parsed = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
        except UnicodeDecodeError:
            raise QuestionnaireError([Problem("", _("the file is not UTF-8 text"))]) from None
        except json.JSONDecodeError as exc:
            # json's own reason is English: the line and column say where to look.
            raise QuestionnaireError([Problem("", _("not valid JSON: an error at line %(line)d, column %(column)d",
                                                    line=exc.lineno, column=exc.colno))]) from None
        except _NotJSON as exc:
            raise QuestionnaireError([Problem("", str(exc))]) from None
        except RecursionError:
            raise QuestionnaireError([Problem("", _("not valid JSON for a questionnaire: nested far too deeply"))]) \
                from None
        except ValueError:  # an integer of thousands of digits
            raise QuestionnaireError([Problem("", _("not valid JSON for a questionnaire: a number is far too "
                                                    "long"))]) from None
        if fmt == "surveyjs":
            return read_surveyjs(parsed)
        problems = validate_document(parsed)
        if problems:
            raise QuestionnaireError(problems)
        return Imported(parsed)
    except QuestionnaireError as exc:
        raise DocumentProblems(_("The file cannot be imported; nothing was changed."), exc.problems) from None


def import_file(filename: str, data: bytes, *, questionnaire: Questionnaire | None = None,
                allow_drops: bool = False, actor=None) -> QuestionnaireVersion:
    """Import a file as a new draft: of ``questionnaire`` if given, else of a new questionnaire.

    A file with parts that cannot be imported becomes a draft only with ``allow_drops`` (DropsUnconfirmed lists
    them otherwise); the audit entry counts what was left out."""
    imported = read_document(filename, data, allow_drops=allow_drops)
    document = imported.document
    name = display_name(filename)
    if questionnaire is None:
        title = document["title"]["zh"].strip()[:200] or name or "问卷"
        version = create(title, document, source=name, actor=actor)
    else:
        if questionnaire.draft is not None:
            raise BuilderError(_("Version %(number)d is already a draft of this questionnaire: edit it, or discard "
                                 "it first.", number=questionnaire.draft.number))
        version = _add_draft(questionnaire, document, source=name, actor=actor)
    audit.record("questionnaire.import", f"questionnaire_version:{version.id}", {
        "questionnaire": version.questionnaire_id, "number": version.number, "file": name,
        "format": format_of(filename), "left_out": len(imported.dropped),
    }, actor=actor)
    return version


@dataclass(frozen=True)
class Export:
    """An exported file: its bytes, media type and a suggested name."""

    data: bytes
    mimetype: str
    filename: str


def export(version: QuestionnaireVersion, fmt: str, departments: list[tuple[str, str]] | None = None) -> Export:
    """A version as native JSON, XLSForm or SurveyJS (the latter two need a valid document)."""
    if fmt not in MIMETYPES:
        raise BuilderError(_("Choose a .json, .surveyjs.json or .xlsx file."))
    if fmt != "json" and validate_document(version.document):
        raise BuilderError(_("Only a questionnaire without problems can be exported to XLSForm or SurveyJS."))
    if fmt == "xlsform":
        try:
            data = export_xlsform(version.document)
        except QuestionnaireError as exc:  # a text XLSForm cannot write (both kinds of quotes): said, not a 500
            raise BuilderError("; ".join(translated(p) for p in exc.problems)) from None
    else:
        document = version.document if fmt == "json" else export_surveyjs(version.document, departments)
        data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    filename = f"questionnaire-{version.questionnaire_id}-v{version.number}{SUFFIXES[fmt]}"
    return Export(data, MIMETYPES[fmt], filename)


def export_template(key: str) -> Export:
    """The XLSForm of a template (the exporter's output of the document a new questionnaire starts from)."""
    try:
        document = template_document(key)
    except KeyError:
        raise BuilderError(_("There is no template %(name)s.", name=key)) from None
    return Export(export_xlsform(document), MIMETYPES["xlsform"], f"template-{key}{SUFFIXES['xlsform']}")
