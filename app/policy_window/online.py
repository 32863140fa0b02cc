"""The enterprise's side of the window, online: starting an application (from its push link, or with its USCC and
an SMS code to the profile's contact phone), filling in the draft and handing it in, handing in missing materials,
confirming receipt, answering a 免申即享 offer, and asking a question from an item's public page.

Every state change goes through ``cases.move``; the request commits (except ``check_code``, whose failed attempt
must count although the start is refused).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.audit import service as audit
from app.casework import attachments
from app.casework import service as casework
from app.casework.errors import CaseError
from app.casework.models import CaseStatus, Satisfaction
from app.extensions import db
from app.platform import security
from app.platform.columns import utcnow
from app.platform.links import public_base_url
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.policy.explain import rule_set
from app.policy.models import DeliveryMode, ItemStatus, PolicyItem, PolicyItemVersion, PolicyNotice, PolicyWindow
from app.policy_window import cases, decisions, intake, payments
from app.policy_window.models import (
    OPEN_STAGES,
    Channel,
    Consent,
    Consultation,
    Origin,
    PolicyCase,
    PolicySmsCode,
    Receipt,
    Stage,
)
from app.profiles.models import EnterpriseProfile
from app.sms.notify import send_one, within_daily_cap
from eligibility.fields import BY_KEY, NUMBER, STORED

APPLICABLE = (DeliveryMode.review, DeliveryMode.instant)  # 免申即享 items are offered, not applied for
QUESTION_PATH = "/w/q/"
QUESTION_MAX = 1000


class OnlineError(CaseError):
    """A user-facing reason why an online step is refused."""


# --------------------------------------------------------------------------- starting an application

def window_for(profile: EnterpriseProfile) -> PolicyWindow:
    """The window of the enterprise's district if there is one, else the city's (district "")."""
    order = (PolicyWindow.sort_order, PolicyWindow.id)
    for district in ([profile.district] if profile.district else []) + [""]:
        found = db.session.scalars(select(PolicyWindow).where(PolicyWindow.district == district)
                                   .order_by(*order)).first()
        if found is not None:
            return found
    raise OnlineError(_("No policy window is set up yet: please ask the government service centre."))


def windows() -> list[PolicyWindow]:
    """Every window, the city's first: where to apply in person."""
    return list(db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.district != "", PolicyWindow.sort_order,
                                                                  PolicyWindow.name)))


def applicable(version: PolicyItemVersion) -> bool:
    """Whether the enterprise may apply for this version online (a published item's current version, not 免申即享)."""
    item = version.item
    return (version.mode in APPLICABLE and item.status == ItemStatus.published
            and item.current_version_id == version.id)


def existing(version: PolicyItemVersion, profile: EnterpriseProfile) -> PolicyCase | None:
    """The enterprise's application for this version that is still open, if any."""
    return db.session.scalars(select(PolicyCase).where(
        PolicyCase.item_version_id == version.id, PolicyCase.profile_id == profile.id,
        PolicyCase.stage.in_(OPEN_STAGES)).order_by(PolicyCase.id)).first()


def start(version: PolicyItemVersion, profile: EnterpriseProfile) -> PolicyCase:
    """The enterprise's draft for ``version``: the open application it already has, or a new one (no duplicates)."""
    if not applicable(version):
        raise OnlineError(_("This item cannot be applied for online."))
    found = existing(version, profile)
    if found is not None:
        return found
    return cases.open_case(version, profile, window_for(profile), Origin.online)


def start_from_notice(notice: PolicyNotice) -> PolicyCase:
    """Start (or find) the application from a push notice: the current version of the notice's item."""
    current = notice.version.item.current
    if current is None:
        raise OnlineError(_("This item cannot be applied for online."))
    return start(current, notice.profile)


# --------------------------------------------------------------------------- identity: USCC + SMS code

def _code_hash(profile: EnterpriseProfile, code: str) -> str:
    return security.keyed_hash("policy:sms-code", f"{profile.id}:{code}", 64)


def applicant(uscc: str) -> EnterpriseProfile | None:
    """The profile of a USCC that can receive a code (it has a contact phone); None otherwise — the caller shows
    one message for both cases, so the page never tells whether a code is on record."""
    code = "".join(str(uscc or "").split()).upper()[:18]
    if not code:
        return None
    profile = db.session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.uscc == code))
    return profile if profile is not None and profile.contact_phone else None


def send_code(profile: EnterpriseProfile) -> bool:
    """Send a 6-digit code to the profile's contact phone (only its keyed hash kept, expiring); False when the
    number's daily cap is reached or the gateway refused."""
    vault = current_vault()
    number = vault.open(profile.contact_phone)
    if not within_daily_cap(vault.lookup_hash(number)):
        audit.record("policy.code_sent", f"profile:{profile.id}", {"sent": False, "capped": True}, anonymous=True)
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    config = current_app.config
    record = PolicySmsCode(profile_id=profile.id, code_hash=_code_hash(profile, code),
                           expires_at=utcnow() + timedelta(minutes=config["POLICY_SMS_CODE_TTL_MINUTES"]))
    db.session.add(record)
    db.session.flush()
    sent = send_one(number, kind="policy_code", template_code=config["POLICY_SMS_CODE_TEMPLATE_CODE"],
                    template_text=config["POLICY_SMS_CODE_TEMPLATE_TEXT"], params={"code": code},
                    reference=f"pc{record.id}")
    audit.record("policy.code_sent", f"profile:{profile.id}", {"sent": sent}, anonymous=True)
    return sent


def check_code(profile: EnterpriseProfile, code: str) -> None:
    """Accept the latest code sent to the profile, or OnlineError. A wrong code counts against its attempts
    (committed here, although the start is refused); a right one uses up every code of the profile."""
    wrong = _("The code is wrong or has expired. Ask for a new one.")
    record = db.session.scalars(select(PolicySmsCode).where(PolicySmsCode.profile_id == profile.id)
                                .order_by(PolicySmsCode.id.desc())).first()
    if (record is None or record.expires_at <= utcnow()
            or record.attempts >= current_app.config["POLICY_SMS_CODE_ATTEMPTS"]):
        raise OnlineError(wrong)
    record.attempts += 1
    if not hmac.compare_digest(record.code_hash, _code_hash(profile, (code or "").strip())):
        db.session.commit()  # the failed attempt counts even though the start is refused
        raise OnlineError(wrong)
    db.session.execute(delete(PolicySmsCode).where(PolicySmsCode.profile_id == profile.id)
                       .execution_options(synchronize_session=False))


def start_with_code(version: PolicyItemVersion, profile: EnterpriseProfile, code: str) -> PolicyCase:
    check_code(profile, code)
    return start(version, profile)


# --------------------------------------------------------------------------- the draft

def declared_fields(version: PolicyItemVersion) -> list[str]:
    """The figures an application for this version declares: the stored number fields its rules read, and the
    base of a rate-based award."""
    keys = list(rule_set(version).fields)
    if version.benefit_kind == "rate" and version.rate_base:
        keys.append(version.rate_base)
    out: list[str] = []
    for key in keys:
        field = BY_KEY.get(key)
        if field is not None and field.kind == NUMBER and key in STORED and key not in out:
            out.append(key)
    return out


def _require(case: PolicyCase, *stages: Stage) -> None:
    if case.stage not in stages:
        raise OnlineError(_("This step is not possible at the application's present stage."))


def _store(case: PolicyCase, files: list[tuple[str, bytes]], label: str = "") -> int:
    """Check every file first, then keep them on the case, shared with its departments (an application is never
    anonymous); returns how many."""
    uploads = attachments.check_uploads(files)
    for upload in uploads:
        if label:
            upload = replace(upload, name=f"{label} - {upload.name}"[:200])
        attachments.store(case, upload).shared = True
    return len(uploads)


def save_draft(case: PolicyCase, declared: dict, files: list[tuple[str, bytes]] | None = None,
               material: str = "") -> None:
    """Keep the declared figures (eligibility re-run on them with its trace) and any scans of the draft."""
    _require(case, Stage.draft)
    allowed = set(declared_fields(case.version))
    case.declared = cases.clean_declared({k: v for k, v in (declared or {}).items() if k in allowed})
    cases.check_eligibility(case)
    if material and material not in {m["name"] for m in case.materials}:
        raise OnlineError(_("Choose one of the materials of the checklist."))
    stored = _store(case, files or [], material)
    audit.record("policy.draft_saved", casework.target(case),
                 {"declared": sorted(case.declared), "files": stored, "eligibility": case.eligibility},
                 anonymous=True)


def submit(case: PolicyCase) -> None:
    """Hand the draft in: it goes to the window (no visit counted: it came online)."""
    _require(case, Stage.draft)
    cases.move(case, Stage.intake, "handed_in")


def hand_in(case: PolicyCase, names: list[str], files: list[tuple[str, bytes]]) -> bool:
    """Hand in missing materials online: the named items of the open list, with their scans. The window's own
    hand-in (``intake.hand_in``) with no visit counted; back at the window once the list is complete (True)."""
    _require(case, Stage.supplement)
    names = [n for n in dict.fromkeys(names or []) if n]
    if not names or any(n not in (case.supplement_list or []) for n in names):
        raise OnlineError(_("Choose the missing materials you hand in."))
    if not [f for f in files if f[0] or f[1]]:
        raise OnlineError(_("Attach the scans of the materials you hand in."))
    intake.hand_in(case, names, files, in_person=False, actor=None)
    return case.stage == Stage.intake


# --------------------------------------------------------------------------- receipt and consent

def confirm_receipt(case: PolicyCase, satisfaction: Satisfaction | str, comment: str = "") -> None:
    """The enterprise confirms from its link that the money (or the delivery) arrived, with its rating: the
    application is delivered and the engine's case closes as solved with its own verdict (``payments``)."""
    _require(case, Stage.paid)
    try:
        satisfaction = Satisfaction(satisfaction)
    except ValueError:
        raise OnlineError(_("Choose how satisfied you are.")) from None
    if satisfaction == Satisfaction.unreachable:
        raise OnlineError(_("Choose how satisfied you are."))
    payments.confirm_receipt(case, Receipt.link, satisfaction, comment=(comment or "").strip()[:500])


def consent(case: PolicyCase, choice: Consent | str, note: str = "") -> None:
    """The enterprise's answer to a 免申即享 offer: accept (to the window's review), decline (the case ends) or ask
    to correct its data (back to the window with the note)."""
    _require(case, Stage.consent)
    try:
        choice = Consent(choice)
    except ValueError:
        raise OnlineError(_("Choose your answer.")) from None
    note = (note or "").strip()[:1000]
    if choice == Consent.correction and len(note) < 5:
        raise OnlineError(_("Say which data are wrong and what they should be (at least 5 characters)."))
    case.consent, case.consent_at = choice, utcnow()
    if choice == Consent.accepted:
        cases.move(case, Stage.review, "consented")
        decisions.take_offer(case)  # the prepared decision, answered in the engine: the window reviews it
    elif choice == Consent.declined:
        cases.move(case, Stage.declined, "consent_declined", note)
        if case.status == CaseStatus.submitted:
            casework.decline(case, note if len(note) >= 5 else _("The enterprise declined the offer."))
    else:
        cases.move(case, Stage.intake, "correction", note)


# --------------------------------------------------------------------------- questions asked online

def _question_digest(token: str) -> str:
    return hashlib.sha256(f"policy-question:{token}".encode()).hexdigest()


def question_token(consultation: Consultation) -> str:
    """The question page's token, derived (an HMAC) so that the answer's SMS carries the same link."""
    message = f"policy-question-link:{consultation.id}:{consultation.asked_at.isoformat()}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:32]


def question_url(consultation: Consultation) -> str:
    """The address of an online question's page, where its answer shows (for the answer's SMS)."""
    return f"{public_base_url()}{QUESTION_PATH}{question_token(consultation)}"


def find_question(token: str) -> Consultation | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Consultation).where(Consultation.token_hash == _question_digest(token)))


def ask(item: PolicyItem, question: str, phone: str) -> tuple[Consultation, str]:
    """A question about ``item`` asked online: kept for the city's window (no profile: anyone may ask), with the
    mobile the answer goes to; returns it and its page's token."""
    question = (question or "").strip()
    if len(question) < 5:
        raise OnlineError(_("Write your question (at least 5 characters)."))
    if len(question) > QUESTION_MAX:
        raise OnlineError(_("At most %(n)d characters.", n=QUESTION_MAX))
    try:
        e164 = normalise(phone)
    except PhoneError:
        raise OnlineError(_("Not a valid mainland China mobile number.")) from None
    window = db.session.scalars(select(PolicyWindow).where(PolicyWindow.district == "")
                                .order_by(PolicyWindow.sort_order, PolicyWindow.id)).first() \
        or db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.sort_order, PolicyWindow.id)).first()
    if window is None:
        raise OnlineError(_("No policy window is set up yet: please ask the government service centre."))
    consultation = Consultation(window=window, channel=Channel.online, item=item, question=question,
                                phone=current_vault().seal(e164), phone_masked=mask(e164), asked_at=utcnow())
    db.session.add(consultation)
    db.session.flush()
    token = question_token(consultation)
    consultation.token_hash = _question_digest(token)
    audit.record("policy.asked_online", f"consultation:{consultation.id}", {"item": item.code, "window": window.id},
                 anonymous=True)
    return consultation, token
