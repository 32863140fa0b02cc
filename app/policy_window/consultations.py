"""Consultation (集中咨询): questions asked at a window, by phone or online, their answers, and turning one into an
application in one step.

Window staff log a consultation for their own window (the enterprise from its profile or by a typed name, the item
if there is one, the question, the answer if given at once). A question asked online (created by the enterprise's
pages, with a phone and a tracking link) gets its answer by one SMS with that link. Audited without personal data.
"""
from __future__ import annotations

import importlib

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case as when, select

from app.audit import service as audit
from app.casework.errors import CaseError
from app.extensions import db
from app.platform.columns import utcnow
from app.platform.phones import current_vault
from app.policy.models import ItemStatus, PolicyItem, PolicyWindow
from app.policy_window import intake
from app.policy_window.models import Channel, Consultation, PolicyCase
from app.profiles.models import EnterpriseProfile
from app.sms.notify import send_one, within_daily_cap

QUESTION_MAX, ANSWER_MAX = 4000, 8000


def target(consultation: Consultation) -> str:
    return f"policy_consultation:{consultation.id}"


def _text(value: str, message: str, maximum: int) -> str:
    value = (value or "").strip()
    if not value:
        raise CaseError(message)
    if len(value) > maximum:
        raise CaseError(_("At most %(n)d characters.", n=maximum))
    return value


def log(window: PolicyWindow, channel: Channel | str, question: str, *, profile: EnterpriseProfile | None = None,
        enterprise_name: str = "", item: PolicyItem | None = None, answer: str = "", actor=None) -> Consultation:
    """A consultation taken at ``window`` (by the window's staff), answered at once if ``answer`` is given."""
    try:
        channel = Channel(channel)
    except ValueError:
        raise CaseError(_("Choose how the question was asked.")) from None
    name = (enterprise_name or "").strip()[:200]
    if profile is None and not name:
        raise CaseError(_("Choose the enterprise's profile or type its name."))
    consultation = Consultation(window=window, channel=channel, profile=profile,
                                enterprise_name=profile.name if profile is not None else name, item=item,
                                question=_text(question, _("Write the question."), QUESTION_MAX), asked_at=utcnow())
    answer = (answer or "").strip()
    if answer:
        consultation.answer = _text(answer, _("Write the answer."), ANSWER_MAX)
        consultation.answered_at = utcnow()
        consultation.answered_by_id = actor.id if actor is not None else None
    db.session.add(consultation)
    db.session.flush()
    audit.record("policy_window.consultation.create", target(consultation),
                 {"window": window.id, "channel": channel.value, "item": item.code if item else "",
                  "profile": profile is not None, "answered": bool(answer)}, actor=actor)
    return consultation


def _question_url(consultation: Consultation) -> str | None:
    """The enterprise's tracking address of an online question, from the enterprise's side when it is there."""
    try:  # app.policy_window.online (the enterprise's side) builds that address, once it is part of the build
        online = importlib.import_module("app.policy_window.online")
    except ModuleNotFoundError:
        return None
    question_url = getattr(online, "question_url", None)
    return question_url(consultation) if question_url is not None else None


def send_answer(consultation: Consultation, link: str) -> bool:
    """One SMS to the number an online question left, with ``link`` (its tracking page); within the daily cap.
    True when the gateway accepted it."""
    if consultation.channel != Channel.online or not consultation.phone:
        return False
    vault = current_vault()
    number = vault.open(consultation.phone)
    if not within_daily_cap(vault.lookup_hash(number)):
        return False
    config = current_app.config
    return send_one(number, kind="policy_answer", template_code=config["POLICY_SMS_ANSWER_TEMPLATE_CODE"],
                    template_text=config["POLICY_SMS_ANSWER_TEMPLATE_TEXT"], params={"link": link},
                    reference=f"policy-consultation-{consultation.id}")


def answer(consultation: Consultation, text: str, actor, link: str | None = None) -> bool:
    """Answer (or correct the answer of) a consultation; an online question's answer goes out by SMS with its
    tracking link. Returns whether an SMS was accepted by the gateway."""
    consultation.answer = _text(text, _("Write the answer."), ANSWER_MAX)
    first = consultation.answered_at is None
    consultation.answered_at = utcnow()
    consultation.answered_by_id = actor.id if actor is not None else None
    sent = False
    if consultation.channel == Channel.online and consultation.phone:
        link = link or _question_url(consultation)
        sent = send_answer(consultation, link) if link else False
    audit.record("policy_window.consultation.answer", target(consultation),
                 {"first": first, "channel": consultation.channel.value, "sms": sent}, actor=actor)
    return sent


def apply(consultation: Consultation, actor) -> PolicyCase:
    """Turn the consultation into an application at its window in one step (its enterprise and item are set)."""
    if consultation.case_id is not None:
        raise CaseError(_("This consultation has been turned into an application already."))
    if consultation.profile is None or consultation.item is None:
        raise CaseError(_("Choose the enterprise's profile and the item first."))
    item = consultation.item
    if item.status != ItemStatus.published or item.current is None:
        raise CaseError(_("Applications are taken only for the current version of a published item."))
    case = intake.start_at_window(item.current, consultation.profile, consultation.window, actor)
    if consultation.channel != Channel.window:
        case.visits = 0  # asked by phone or online: the enterprise has not come to the window (yet)
    consultation.case_id = case.id
    audit.record("policy_window.consultation.apply", target(consultation), {"case": case.tracking_number},
                 actor=actor)
    return case


def set_subject(consultation: Consultation, *, profile: EnterpriseProfile | None, item: PolicyItem | None,
                actor) -> None:
    """Name the enterprise's profile and the item of a consultation (to turn it into an application)."""
    if profile is not None:
        consultation.profile = profile
        consultation.enterprise_name = profile.name
    if item is not None:
        consultation.item = item
    audit.record("policy_window.consultation.edit", target(consultation),
                 {"profile": consultation.profile is not None, "item": item.code if item else ""}, actor=actor)


def listing(query, *, unanswered_only: bool = False, channel: str = ""):
    """A scoped select of consultations, unanswered first, then the latest."""
    if unanswered_only:
        query = query.where(Consultation.answered_at.is_(None))
    if channel in {c.value for c in Channel}:
        query = query.where(Consultation.channel == Channel(channel))
    return query.order_by(when((Consultation.answered_at.is_(None), 0), else_=1), Consultation.asked_at.desc(),
                          Consultation.id.desc())


def published_items() -> list[PolicyItem]:
    """Items an application or a consultation may name: published, with their current version."""
    return list(db.session.scalars(select(PolicyItem).where(PolicyItem.status == ItemStatus.published)
                                   .order_by(PolicyItem.code)))
