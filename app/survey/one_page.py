"""The one-page survey: the whole questionnaire version as one document, rendered once and served to everyone.

The pages (the questions of every section, the picker grouped by kind, one department page with ``{dept}``
in its field names that the browser repeats for each department picked, the review) and the script's spec
are the same for every respondent of a round in one language: they are rendered once per process and kept.
Only the CSRF token and the round's title are added per request.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from itertools import groupby

from flask import render_template, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm
from markupsafe import Markup

from app.departments.models import Department, DepartmentKind
from app.extensions import db
from forms.factory import build_form_class, steps
from questionnaire.answers import PICKER_FIELD
from questionnaire.browser import DEPARTMENT_PLACEHOLDER, browser_spec
from questionnaire.schema import department_block

_CACHE: OrderedDict[tuple, Document] = OrderedDict()
_CACHE_SIZE = 32
_LOCK = threading.Lock()  # gthread workers share the cache


@dataclass(frozen=True)
class Document:
    """The rendered pages (HTML without the CSRF token) and the script's spec (JSON text)."""

    pages: Markup
    spec: str


def _kind_label(kind: str) -> str:
    return {DepartmentKind.service.value: gettext("Service departments"),
            DepartmentKind.key_unit.value: gettext("Key units")}.get(kind, kind)


def _render(document: dict, departments: list[tuple[str, str, str]], locale: str, round_id: int) -> Document:
    placeholder = [(DEPARTMENT_PLACEHOLDER, "")]
    pages = []
    for step in steps(document, [DEPARTMENT_PLACEHOLDER]):
        Form = build_form_class(document, placeholder, base=FlaskForm, gettext=gettext, locale=locale, step=step)
        form = Form(formdata=None, meta={"csrf": False})
        pages.append((step, form, form.layout()))
    block = department_block(document)
    groups = [(_kind_label(kind), [(code, name) for code, name, _kind in rows])
              for kind, rows in groupby(sorted(departments, key=lambda d: d[2] != DepartmentKind.service.value),
                                        key=lambda d: d[2])]
    html = render_template("survey/_document.html", pages=pages, groups=groups, picker_field=PICKER_FIELD,
                           block=block, locale=locale)
    spec = browser_spec(document)
    spec.update(
        round=round_id,
        picker=PICKER_FIELD,
        departments=[code for code, _name, _kind in departments],
        names={code: name for code, name, _kind in departments},
        thanks=url_for("survey.thanks"),
        text={
            "required": gettext("This question is required."),
            "invalid": gettext("Please check this answer."),
            "start": gettext("Start"),
            "next": gettext("Next"),
            "department": gettext("Department %(n)s of %(total)s"),
            "picked": gettext("%(n)s departments ticked"),
            "search_options": gettext("Type to narrow the list"),
            "failed": gettext("The answers could not be sent: the connection may have dropped. They are kept on "
                              "this phone; press Submit again."),
        },
    )
    # JSON inside <script type="application/json">: no < > & at all, so no label can end the element or open
    # a comment that swallows the page's script.
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Document(Markup(html), text)


def document_for(version_key: tuple, document: dict, departments: list[tuple[str, str, str]], locale: str,
                 round_id: int) -> Document:
    """The one-page document of a questionnaire version for a round's departments, rendered at most once."""
    if version_key is None:  # a document no key names (not a published version): nothing to share
        return _render(document, departments, locale, round_id)
    key = (version_key, tuple(departments), locale, round_id)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    cached = _render(document, departments, locale, round_id)  # outside the lock: two renders at worst
    with _LOCK:
        _CACHE[key] = cached
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return cached


def active_departments() -> list[tuple[str, str, str]]:
    """(code, name, kind) of the departments active now, in display order: what a preview offers to pick."""
    rows = db.session.scalars(Department.ordered().where(Department.active.is_(True)))
    return [(d.code, d.name, d.kind.value) for d in rows]


def preview_document(document: dict, locale: str) -> Document:
    """The one-page document of any version (a draft too) with the active departments, rendered afresh."""
    return _render(document, active_departments(), locale, 0)
