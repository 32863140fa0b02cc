"""A round's survey inputs: the questionnaire's scored items, and the round's invitations, responses and answers
as the arrays the pure core (``scoring``) computes on, with the hash that vouches for them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from app.assessment.errors import ScoringError
from app.departments.models import Department
from app.extensions import db
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import Campaign, Invitation, InvitationSubmission
from questionnaire.schema import department_block
from questionnaire.types import type_of

COMMENT_TYPES = ("text", "textarea")


# --------------------------------------------------------------------------- the questionnaire's items

@dataclass(frozen=True)
class ItemTable:
    """The scored department items of a questionnaire document: weight and dimension per answer key."""

    weight: dict[str, float]
    dimension: dict[str, str]
    comments: tuple[str, ...]

    @property
    def dimensions(self) -> list[str]:
        """The dimensions, in the questionnaire's order."""
        return list(dict.fromkeys(self.dimension.values()))


def item_table(doc: dict) -> ItemTable:
    """Weights and dimensions of the scored items asked per department; the department text questions."""
    block = department_block(doc) or {"items": []}
    weight, dimension, comments = {}, {}, []
    for q in block.get("items", []):
        qtype = type_of(q)
        if q.get("type") in COMMENT_TYPES:
            comments.append(q["key"])
        if not (qtype.scorable and q.get("scored")):
            continue
        for slot in qtype.slots(q):
            w = float(qtype.slot_weight(q, slot))
            if w > 0:  # an item of weight 0 is not a scored item (the core refuses it)
                weight[slot.answer_key] = w
                dimension[slot.answer_key] = q.get("dimension") or q["key"]
    return ItemTable(weight, dimension, tuple(comments))


# --------------------------------------------------------------------------- the round as arrays

@dataclass
class RoundInputs:
    """Everything the estimate depends on, as arrays (responses sorted by their random id)."""

    invited_stratum: np.ndarray
    invited_pi: np.ndarray
    invited_responded: np.ndarray
    response_id: np.ndarray
    response_stratum: np.ndarray
    response_pi: np.ndarray
    answer_unit: np.ndarray      # positions into the response arrays
    answer_department: np.ndarray
    answer_question: np.ndarray
    answer_score: np.ndarray     # NaN = missing ("not familiar")
    stratum_sizes: dict[str, int]
    items: ItemTable
    questionnaire_version_id: int | None
    departments: list[Department] = field(default_factory=list)

    def digest(self) -> str:
        """SHA-256 of the canonical input arrays (docs/ASSESSMENT.md, "Input hash")."""
        h = hashlib.sha256()

        def part(name: str, data: bytes) -> None:
            h.update(f"{name}:{len(data)}:".encode())
            h.update(data)

        def text(values) -> bytes:
            return "\x1f".join(map(str, values)).encode("utf-8")

        order = np.lexsort((self.invited_responded, self.invited_pi, self.invited_stratum))
        part("invited_stratum", text(self.invited_stratum[order]))
        part("invited_pi", self.invited_pi[order].astype("<f8").tobytes())
        part("invited_responded", self.invited_responded[order].astype("u1").tobytes())
        part("response_id", text(self.response_id))
        part("response_stratum", text(self.response_stratum))
        part("response_pi", self.response_pi.astype("<f8").tobytes())
        order = np.lexsort((self.answer_question, self.answer_department, self.answer_unit))
        part("answer_unit", self.answer_unit[order].astype("<i8").tobytes())
        part("answer_department", self.answer_department[order].astype("<i8").tobytes())
        part("answer_question", text(self.answer_question[order]))
        part("answer_score", self.answer_score[order].astype("<f8").tobytes())
        part("stratum_sizes", text(f"{k}={v}" for k, v in sorted(self.stratum_sizes.items())))
        part("item_weights", text(f"{k}={self.items.weight[k]!r}|{self.items.dimension[k]}"
                                  for k in sorted(self.items.weight)))
        return h.hexdigest()


def load_inputs(campaign: Campaign) -> RoundInputs:
    """The round's invitations, responses and scored answers as arrays: one query each."""
    version = campaign.questionnaire_version
    if version is None:
        raise ScoringError(_("The round has no questionnaire version."))
    table = item_table(version.document)
    submitted = select(InvitationSubmission.invitation_id)
    inv = db.session.execute(
        select(Invitation.stratum, Invitation.inclusion_probability, Invitation.id.in_(submitted))
        .where(Invitation.campaign_id == campaign.id)).all()
    resp = db.session.execute(
        select(Response.id, Response.stratum, Response.inclusion_probability)
        .where(Response.campaign_id == campaign.id).order_by(Response.id)).all()
    ans = db.session.execute(
        select(ResponseAnswer.response_id, ResponseAnswer.department_id, ResponseAnswer.question,
               ResponseAnswer.score)
        .join(Response, Response.id == ResponseAnswer.response_id)
        .where(Response.campaign_id == campaign.id, ResponseAnswer.department_id.is_not(None),
               ResponseAnswer.question.in_(list(table.weight) or [""]))).all()

    def columns(rows, n, dtypes):
        if not rows:
            return [np.zeros(0, dtype=t) for t in dtypes]
        cols = list(zip(*rows))
        return [np.array(cols[i], dtype=dtypes[i]) for i in range(n)]

    inv_stratum, inv_pi, inv_responded = columns(inv, 3, (str, float, bool))
    resp_id, resp_stratum, resp_pi = columns(resp, 3, (str, str, float))
    a_resp, a_dept, a_question, a_score = columns(ans, 4, (str, np.int64, str, object))
    a_score = np.array([np.nan if s is None else s for s in a_score], dtype=float) if a_score.size else \
        np.zeros(0)
    unit = np.searchsorted(resp_id, a_resp) if resp_id.size else np.zeros(0, dtype=np.int64)
    draw = campaign.current_draw
    return RoundInputs(inv_stratum, inv_pi, inv_responded, resp_id, resp_stratum, resp_pi, unit.astype(np.int64),
                       a_dept, a_question, a_score, dict(draw.stratum_sizes) if draw else {}, table,
                       version.id, list(campaign.departments))
