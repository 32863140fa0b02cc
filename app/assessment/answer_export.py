"""The answer export of a closed round: the anonymous responses as a workbook, one column per answer key.

Where each question type's answer goes is ``questionnaire.answer_table``'s business; this module reads the round's
responses, keeps the export anonymous, and hands the sheets to the one writer (``app.platform.exports``):

- rows in random order, with no response id and no date (nothing to line a row up with an invitation);
- open-text answers (free comments) left out: they reach departments through the comments release;
- in the department block, the rows of a department fewer than ``SMALL_GROUP_K`` respondents rated left out.
"""
from __future__ import annotations

import secrets
from collections import defaultdict

from flask_babel import gettext as _, pgettext
from sqlalchemy import select

from app.assessment.inputs import COMMENT_TYPES
from app.departments.models import Department
from app.extensions import db
from app.platform import exports, small_groups
from app.platform.exports import Sheet
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import Campaign
from questionnaire.answer_table import Column, columns, tables
from questionnaire.schema import department_block
from questionnaire.types import type_of


def _open_text_keys(doc: dict) -> set[str]:
    """The answer keys of whatever a respondent typed in their own words, outside and inside the department block:
    open-text questions, the short texts of a multiple-text question, and the text of an "other, please specify"
    — typed words can say who wrote them."""
    block = department_block(doc) or {"items": []}
    typed = set()
    for q in [*doc["items"], *block.get("items", [])]:
        if q.get("type") == "department_block":
            continue
        for slot in type_of(q).slots(q):
            if q.get("type") in COMMENT_TYPES or q.get("type") == "multi_text" or slot.answer_key.endswith(".other"):
                typed.add(slot.answer_key)
    return typed


def _header(column: Column) -> str:
    """A column's header: what the question says; its key only where it says nothing."""
    return column.label.strip() or column.key


def _answers(campaign: Campaign) -> dict[str, list[tuple[str | None, str, object]]]:
    """Each response's answers as (department code or None, answer key, value), by response id."""
    codes = dict(db.session.execute(select(Department.id, Department.code)).all())
    rows = db.session.execute(
        select(ResponseAnswer.response_id, ResponseAnswer.department_id, ResponseAnswer.question,
               ResponseAnswer.value).join(Response, Response.id == ResponseAnswer.response_id)
        .where(Response.campaign_id == campaign.id))
    out: dict[str, list] = {rid: [] for rid in db.session.scalars(
        select(Response.id).where(Response.campaign_id == campaign.id))}
    for rid, department_id, key, value in rows:
        out[rid].append((codes.get(department_id) if department_id is not None else None, key, value))
    return out


def sheets(campaign: Campaign) -> list[Sheet]:
    """The respondents' sheet, the departments' sheet and the method sheet."""
    doc = campaign.questionnaire_version.document
    left_out = _open_text_keys(doc)
    top = [c for c in columns(doc, in_block=False) if c.key not in left_out]
    block = [c for c in columns(doc, in_block=True) if c.key not in left_out]
    data = tables(doc, _answers(campaign).items())
    shuffle = secrets.SystemRandom().shuffle

    # The first cell of each row is the response id: used to count raters, never written.
    def keep(header: list, row: list, wanted: list[Column]) -> list:
        at = {key: i for i, key in enumerate(header)}
        return [row[at[c.key]] for c in wanted]

    head, *rows = data["respondents"]
    respondents = [keep(head, row, top) for row in rows]
    shuffle(respondents)

    head, *rows = data["departments"]
    raters: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        raters[row[1]].add(row[0])
    k = small_groups.k()
    small = {code for code, people in raters.items() if len(people) < k}
    names = dict(db.session.execute(select(Department.code, Department.name)).all())
    per_department = [[row[1], names.get(row[1], ""), *keep(head, row, block)] for row in rows if row[1] not in small]
    shuffle(per_department)

    method = [
        [_("Item"), _("Value")],
        [pgettext("export", "Round"), f"{campaign.month} {campaign.title}"],
        [pgettext("answer export", "Responses"), len(respondents)],
        [_("Row order"), _("Rows are in random order; no response number or date is given, so that no row can be "
                           "matched to a respondent.")],
        [_("Open-text answers"), _("Whatever respondents typed in their own words is left out of this export: free "
                                   "comments (released to departments through the comments mechanism), the text of "
                                   "an \"other, please specify\" and short texts. Typed words can say who wrote them.")],
        [_("Small departments"), _("In the department sheet, the rows of a department rated by fewer than %(k)d "
                                   "respondents are left out (%(n)d departments).", k=k, n=len(small))],
        [_("Multiple answers"), _("A multiple choice lists the options picked, separated by a semicolon; a ranking "
                                  "gives each item's rank.")],
    ]
    return [
        Sheet(pgettext("answer export", "Respondents"), [[_header(c) for c in top], *respondents], widths=[18] * len(top)),
        Sheet(pgettext("answer export", "Departments"), [[_("Department code"), _("Department"), *(_header(c) for c in block)],
                                 *per_department], widths=[12, 24, *[18] * len(block)]),
        Sheet(_("Method"), method, [None, None], [20, 100], wrap=(2,)),
    ]


def xlsx_bytes(campaign: Campaign) -> bytes:
    return exports.xlsx_bytes(sheets(campaign))


def filename(campaign: Campaign) -> str:
    return f"answers-{campaign.month}-{campaign.id}.xlsx"
