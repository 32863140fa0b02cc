"""The respondent's survey on a phone: open the link (or type the code), answer page by page, submit once.

No account, no JavaScript needed. The secret from the SMS is exchanged for a
session on the first visit and the browser is sent to a clean URL, so that the
token stays out of the address bar, the history and Referer headers.
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from app.access import public
from app.extensions import db, limiter
from app.i18n import select_locale
from app.models import Invitation
from app.services import invitations, responses
from app.services.invitations import Access
from forms.questionnaire import build_form_class, steps
from forms.questionnaire.answers import PICKER_FIELD
from forms.survey import AccessCodeForm

bp = Blueprint("survey", __name__)
SESSION_KEY = "survey_invitation"


@bp.after_request
def no_referrer(response):
    """Respondent pages never tell other sites where the visitor came from."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refusal(state: Access):
    """The page for a link that cannot be used; an unknown and an expired link look the same."""
    template = {Access.used: "survey/used.html", Access.closed: "survey/closed.html",
                Access.not_open: "survey/not_open.html"}.get(state, "survey/invalid.html")
    return render_template(template), 404 if state == Access.unknown else 200


def _start(invitation: Invitation | None):
    state = invitations.access(invitation)
    if state != Access.ok:
        session.pop(SESSION_KEY, None)
        return _refusal(state)
    session.clear()  # a fresh session for the respondent, whatever the browser held before
    session[SESSION_KEY] = invitation.id
    return redirect(url_for(".intro"))


@bp.route("/s/<token>")
@public
@limiter.limit(lambda: current_app.config["SURVEY_TOKEN_RATE_LIMIT"])
def open_link(token: str):
    """A personal link from the SMS: trade it for a session, then go to a clean URL."""
    return _start(invitations.find(token, "link"))


@bp.route("/s", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["ACCESS_CODE_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["ACCESS_CODE_GLOBAL_RATE_LIMIT"], methods=["POST"],
               key_func=lambda: "access-code-all-clients")
def enter_code():
    """The fixed link of the SMS: the respondent types the access code it carried."""
    form = AccessCodeForm()
    if form.validate_on_submit():
        invitation = invitations.find(form.code.data, "code")
        if invitation is not None:
            return _start(invitation)
        form.code.errors.append(gettext("This code is not valid. Check it against the text message."))
    return render_template("survey/code.html", form=form)


def with_invitation(view):
    """Give the view the session's invitation, or show why it cannot answer."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        invitation = db.session.get(Invitation, session.get(SESSION_KEY) or 0)
        state = invitations.access(invitation)
        if state != Access.ok:
            return _refusal(state)
        return view(invitation, *args, **kwargs)

    return wrapper


def _context(invitation: Invitation):
    """The questionnaire document, the departments, the saved answers and the pages."""
    version = invitation.campaign.questionnaire_version
    departments = responses.department_choices(invitation)
    data = responses.load_draft(invitation)
    picked = [c for c in data.get(PICKER_FIELD, []) if c in dict(departments)]
    pages = steps(version.document, picked, data=data, departments=departments)
    return version, departments, data, pages


def _form_class(version, departments, step=None):
    return build_form_class(version.document, departments, base=FlaskForm, gettext=gettext,
                            locale=select_locale(), step=step)


@bp.route("/s/survey")
@public
@with_invitation
def intro(invitation: Invitation):
    """Why you were chosen, what 背靠背 promises, how long it takes; continue where you left off."""
    version, _departments, data, pages = _context(invitation)
    # Counted here, not when the link is followed: mail and link scanners follow links but keep no cookies.
    responses.mark_opened(invitation)
    db.session.commit()
    return render_template("survey/intro.html", campaign=invitation.campaign, version=version,
                           resume=bool(data), pages=len(pages))


@bp.route("/s/survey/<int:number>", methods=["GET", "POST"])
@public
@with_invitation
def page(invitation: Invitation, number: int):
    """One page of the questionnaire; its answers are saved on the server before moving on."""
    version, departments, data, pages = _context(invitation)
    if not 1 <= number <= len(pages):
        return redirect(url_for(".confirm"))
    step = pages[number - 1]
    Form = _form_class(version, departments, step)
    form = Form(prior=data) if request.method == "POST" else Form(formdata=None, data=data, prior=data,
                                                                  meta={"csrf": False})
    if request.method == "POST" and form.is_submitted():
        valid = form.validate_on_submit()
        fields = set(form._fields) - {"csrf_token"}
        kept = {k: v for k, v in data.items() if k not in fields}
        kept.update(form.visible_data())
        going_back = request.form.get("nav") == "back"  # (CSRFProtect has already refused a POST without a token)
        if valid or going_back:
            responses.save_draft(invitation, kept)
            db.session.commit()
            if going_back:
                return redirect(url_for(".page", number=max(number - 1, 1)) if number > 1 else url_for(".intro"))
            # The picker may have changed the pages that follow; count them again.
            _v, _d, data, pages = _context(invitation)
            return redirect(url_for(".page", number=number + 1) if number < len(pages) else url_for(".confirm"))
    return render_template("survey/page.html", form=form, layout=form.layout(), number=number, total=len(pages),
                           campaign=invitation.campaign, step=step, departments=dict(departments))


@bp.route("/s/survey/confirm", methods=["GET", "POST"])
@public
@with_invitation
def confirm(invitation: Invitation):
    """Check everything once more, then submit — once."""
    version, departments, data, pages = _context(invitation)
    Final = _form_class(version, departments)
    # A check of the saved answers, not a form post: the POST's CSRF token is checked below.
    final = Final(formdata=None, data=data, prior=data, meta={"csrf": False})
    complete = final.validate()
    if request.method == "POST" and FlaskForm().validate_on_submit():
        if not complete:
            # A simultaneous submission may have just used the invitation (and taken the draft with it).
            db.session.expire_all()
            state = invitations.access(invitation)
            return _refusal(state) if state != Access.ok else redirect(url_for(".page", number=1))
        try:
            responses.submit(invitation, version.id, final.answers())
        except responses.AlreadySubmitted:
            return render_template("survey/used.html"), 200
        session.pop(SESSION_KEY, None)
        return redirect(url_for(".thanks"))
    picked = set(data.get(PICKER_FIELD, []))
    layout = [entry for entry in final.layout() if entry.department is None or entry.department in picked]
    return render_template("survey/confirm.html", layout=layout, form=final, complete=complete,
                           campaign=invitation.campaign, departments=dict(departments), total=len(pages),
                           submit_form=FlaskForm())


@bp.route("/s/thanks")
@public
def thanks():
    """After a submission."""
    return render_template("survey/thanks.html")
