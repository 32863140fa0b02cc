"""The enterprise's side of the policy window, on a phone, without login or JavaScript.

- ``/p/<token>/apply`` (POST): start an application from the personal push page (the notice's link is its identity);
- ``/w/apply/<code>``: start one from an item's public page with the USCC and an SMS code to the profile's phone;
- ``/w/<token>``: the application's tracking page (the draft while it is filled in), with the enterprise's actions
  at its stage: hand in the draft, hand in missing materials, answer a 免申即享 offer, confirm receipt;
- ``/w/ask/<code>`` and ``/w/q/<token>``: a question about an item, and its page where the answer shows.

Tokens are masked in every log (app.platform.log_masking), and no Referer leaves the site (same-origin).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.casework import attachments
from app.casework.errors import CaseError
from app.extensions import db, limiter
from app.platform.access import visitors
from app.platform.actions import bad_request, perform
from app.platform.forms import EmptyForm
from app.policy import notices
from app.policy.explain import lines, result_label
from app.policy.models import ItemStatus, PolicyItem
from app.policy.push import LINK_PATH
from app.policy_window import kind, labels  # noqa: F401  (the kind registered with the engine; the step labels)
from app.policy_window import links, online, tracking
from app.policy_window.models import PolicyCase
from app.policy_window.public_forms import (
    CodeForm,
    ConsentForm,
    DraftForm,
    HandInForm,
    QuestionForm,
    ReceiptForm,
    UsccForm,
)
from app.profiles.models import EnterpriseProfile

bp = Blueprint("policy_window_public", __name__)

APPLYING = "policy_apply"  # the session's note of who asked for a code for which item


def _link_limit() -> str:
    return current_app.config["POLICY_WINDOW_LINK_RATE_LIMIT"]


def _form_limit() -> str:
    return current_app.config["POLICY_WINDOW_FORM_RATE_LIMIT"]


def _private(response):
    """A page whose address carries the token: never cached; the Referer goes to this site only (same-origin, the
    site's default), which its forms need — over HTTPS, Flask-WTF refuses a POST without a same-origin Referer."""
    response = current_app.make_response(response)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _invalid():
    return _private((render_template("policy_window/public/invalid.html"), 404))


def _case(token: str) -> PolicyCase:
    found = links.find(token)
    if found is None:
        abort(404)
    return found


@bp.errorhandler(404)
def not_found(error):
    return _invalid()


# --------------------------------------------------------------------------- starting an application

@bp.route(LINK_PATH + "<token>/apply", methods=["POST"])
@visitors
@limiter.limit(_link_limit)
def apply_from_notice(token: str):
    """开始申请 on the personal push page: the draft of this item for this enterprise (the same one if it exists)."""
    access, notice = notices.access(token)
    if notice is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        case = online.start_from_notice(notice)
    except CaseError as error:
        db.session.rollback()
        return _private(render_template("policy_window/public/refused.html", reason=str(error)))
    db.session.commit()
    return _private(redirect(url_for(".track", token=links.token(case))))


def _public_item(code: str) -> PolicyItem:
    item = db.session.scalar(select(PolicyItem).where(PolicyItem.code == code))
    if item is None or item.status != ItemStatus.published or item.current is None:
        abort(404)
    return item


@bp.route("/w/apply/<code>", methods=["GET", "POST"])
@visitors
@limiter.limit(_form_limit, methods=["POST"])
def apply(code: str):
    """Apply online from the item's public page: the USCC first; a code goes to the profile's contact phone."""
    item = _public_item(code)
    if not online.applicable(item.current):
        abort(404)
    form = UsccForm()
    if form.validate_on_submit():
        profile = online.applicant(form.uscc.data)
        if profile is None:  # unknown, or no phone on record: one message for both
            session.pop(APPLYING, None)
            return _private(render_template("policy_window/public/apply_at_window.html", item=item,
                                   windows=online.windows()))
        sent = online.send_code(profile)
        db.session.commit()
        if not sent:
            form.uscc.errors = [_("No more codes can be sent to this enterprise's phone today. Please try again "
                                  "tomorrow or apply at a window.")]
            return _private(render_template("policy_window/public/apply.html", item=item, form=form))
        session[APPLYING] = {"profile": profile.id, "item": item.id}
        return redirect(url_for(".apply_code", code=code))
    return _private(render_template("policy_window/public/apply.html", item=item, form=form))


@bp.route("/w/apply/<code>/code", methods=["GET", "POST"])
@visitors
@limiter.limit(_link_limit, methods=["POST"])
def apply_code(code: str):
    """The code from the SMS: right, the draft opens; wrong, it counts against the code's attempts."""
    item = _public_item(code)
    pending = session.get(APPLYING) or {}
    profile = db.session.get(EnterpriseProfile, pending.get("profile") or 0)
    if profile is None or pending.get("item") != item.id:
        return redirect(url_for(".apply", code=code))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            case = online.start_with_code(item.current, profile, form.code.data)
        except CaseError as error:
            db.session.rollback()
            form.code.errors = [str(error)]
        else:
            db.session.commit()
            session.pop(APPLYING, None)
            return _private(redirect(url_for(".track", token=links.token(case))))
    return _private(render_template("policy_window/public/code.html", item=item, form=form))


# --------------------------------------------------------------------------- the tracking page and its actions

@bp.route(links.TRACK_PATH + "<token>")
@visitors
@limiter.limit(_link_limit)
def track(token: str):
    """Where the application is, who has it, the deadline, what it needs, the decision, payments, the history."""
    case = _case(token)
    draft_form = DraftForm()
    draft_form.material.choices = [("", _("(none)"))] + [(m["name"], m["name"]) for m in case.materials]
    hand_in_form = HandInForm()
    hand_in_form.names.choices = [(n, n) for n in case.supplement_list or []]
    return _private(render_template(
        "policy_window/public/track.html", case=case, page=tracking.page(case), token=token,
        lines=lines(case.version, case.trace or []), draft_form=draft_form, submit_form=EmptyForm(),
        hand_in_form=hand_in_form, receipt_form=ReceiptForm(), consent_form=ConsentForm(),
        eligibility=result_label(case.eligibility) if case.eligibility else ""))


@bp.route(links.TRACK_PATH + "<token>/draft", methods=["POST"])
@visitors
@limiter.limit(_link_limit)
def save_draft(token: str):
    """Keep the declared figures (the eligibility re-run on them) and scans of the draft."""
    case = _case(token)
    form = DraftForm()
    form.material.choices = [("", "")] + [(m["name"], m["name"]) for m in case.materials]
    declared = {key: request.form.get(f"fig_{key}", "").strip() for key in online.declared_fields(case.version)}
    return _private(perform(form, lambda f: online.save_draft(case, declared, attachments.files_of(f.files),
                                                              f.material.data or ""),
                            done=_("Saved."), back=url_for(".track", token=token), refused=CaseError))


@bp.route(links.TRACK_PATH + "<token>/submit", methods=["POST"])
@visitors
@limiter.limit(_link_limit)
def submit(token: str):
    case = _case(token)
    return _private(perform(EmptyForm(), lambda f: online.submit(case),
                            done=_("Your application was handed in. The window will tell you by SMS when it is "
                                   "accepted."),
                            back=url_for(".track", token=token), refused=CaseError, invalid=bad_request))


@bp.route(links.TRACK_PATH + "<token>/hand-in", methods=["POST"])
@visitors
@limiter.limit(_link_limit)
def hand_in(token: str):
    """Hand in the missing materials online."""
    case = _case(token)
    form = HandInForm()
    form.names.choices = [(n, n) for n in case.supplement_list or []]
    return _private(perform(form, lambda f: online.hand_in(case, f.names.data, attachments.files_of(f.files)),
                            done=lambda complete: _("Thank you: the window has your materials.") if complete
                            else _("Thank you. Some materials are still missing: see the list."),
                            back=url_for(".track", token=token), refused=CaseError))


@bp.route(links.TRACK_PATH + "<token>/receipt", methods=["POST"])
@visitors
@limiter.limit(_link_limit)
def receipt(token: str):
    """The enterprise confirms the money (or the delivery) arrived, with how satisfied it is."""
    case = _case(token)
    return _private(perform(ReceiptForm(), lambda f: online.confirm_receipt(case, f.satisfaction.data,
                                                                            f.comment.data or ""),
                            done=_("Thank you for confirming."), back=url_for(".track", token=token),
                            refused=CaseError))


@bp.route(links.TRACK_PATH + "<token>/consent", methods=["POST"])
@visitors
@limiter.limit(_link_limit)
def consent(token: str):
    """The answer to a 免申即享 offer."""
    case = _case(token)
    return _private(perform(ConsentForm(), lambda f: online.consent(case, f.choice.data, f.note.data or ""),
                            done=_("Thank you: your answer was recorded."), back=url_for(".track", token=token),
                            refused=CaseError))


# --------------------------------------------------------------------------- questions

@bp.route("/w/ask/<code>", methods=["GET", "POST"])
@visitors
@limiter.limit(_form_limit, methods=["POST"])
def ask(code: str):
    """A question about an item, with the mobile its answer goes to."""
    item = _public_item(code)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            _consultation, token = online.ask(item, form.question.data, form.phone.data)
        except CaseError as error:
            db.session.rollback()
            form.phone.errors = [str(error)]
        else:
            db.session.commit()
            return _private(redirect(url_for(".question", token=token)))
    return _private(render_template("policy_window/public/ask.html", item=item, form=form))


@bp.route(online.QUESTION_PATH + "<token>")
@visitors
@limiter.limit(_link_limit)
def question(token: str):
    """The question and, once given, its answer."""
    found = online.find_question(token)
    if found is None:
        abort(404)
    return _private(render_template("policy_window/public/question.html", consultation=found))

