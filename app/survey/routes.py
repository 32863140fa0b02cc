"""The respondent's survey on a phone: open the link (or type the code), answer, submit once.

No account. The secret from the SMS is exchanged for a session on the first visit and the browser is sent to
a clean URL, so that the token stays out of the address bar, the history and Referer headers. That URL is the
whole questionnaire in one document (one_page.py): with JavaScript the phone pages through it and sends every
answer in one POST (``submit``); without, its button opens the paged flow (``page``, ``confirm``), which keeps
a draft on the server. Both are checked by the same resolution of the questionnaire.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf

from app.extensions import db, limiter
from app.platform.access import roles_required, visitors
from app.platform.i18n import select_locale
from app.platform.roles import Role
from app.questionnaires.models import QuestionnaireVersion
from app.rounds import invitations
from app.rounds.invitations import Access
from app.rounds.models import Campaign, Invitation
from app.survey import answering, code_limits, one_page
from app.survey.forms import AccessCodeForm
from forms.factory import Step, build_form_class, steps
from questionnaire.answers import PICKER_FIELD
from questionnaire.schema import validate_document

bp = Blueprint("survey", __name__)
SESSION_KEY = "survey_invitation"
STORE_KEY = "survey_store"


@bp.after_request
def referrer_policy(response):
    """The address with the token is never sent anywhere; the clean pages send it to this site only.

    Not ``no-referrer`` everywhere: over HTTPS, Flask-WTF refuses a POST without a same-origin Referer,
    so pages with forms must let the browser send their own (token-free) address back to this site.
    """
    response.headers["Referrer-Policy"] = "no-referrer" if request.endpoint == "survey.open_link" else "same-origin"
    return response


def _refusal(state: Access):
    """The page for a link that cannot be used; an unknown and an expired link look the same.

    A used invitation is thanked when it is opened again (back, reload, the SMS link once more); a *post* on
    it is a second submission, and is refused.
    """
    used = "survey/used.html" if request.method == "POST" else "survey/thanks.html"
    template = {Access.used: used, Access.closed: "survey/closed.html",
                Access.not_open: "survey/not_open.html"}.get(state, "survey/invalid.html")
    status = 404 if state == Access.unknown else 200
    if _from_script():  # ``final``: nothing more can be sent with this invitation, the phone may forget it
        return jsonify(message=_REFUSALS.get(state, _REFUSALS[Access.unknown])(), final=True), \
            404 if state == Access.unknown else 409
    return render_template(template), status


def _from_script() -> bool:
    """Whether the one-page survey's script sent this request (it reads JSON answers)."""
    return request.headers.get("X-Survey-Flow") == "one-page"


_REFUSALS = {
    Access.used: lambda: gettext("An evaluation has already been submitted with this invitation. Each invitation "
                                 "can be used once. Thank you for taking part."),
    Access.closed: lambda: gettext("This evaluation has closed. Thank you for your interest."),
    Access.not_open: lambda: gettext("This evaluation has not started yet."),
    Access.unknown: lambda: gettext("The link is not valid or has expired. Please open the complete link from your "
                                    "text message, or enter the access code it gives."),
}


def _refused_meanwhile(survey: Survey):
    """The invitation was used (from another tab) or its round closed while this request ran: say which; back
    to the first page if neither (the answers saved were not complete)."""
    db.session.rollback()
    db.session.expire_all()
    state = invitations.access(survey.invitation)
    return _refusal(state) if state != Access.ok else redirect(url_for(".page", number=1))


def _start(invitation: Invitation | None):
    state = invitations.access(invitation)
    if state == Access.used:
        session[SESSION_KEY] = invitation.id  # so that back and reload thank, too
    if state != Access.ok:
        if state != Access.used:
            session.pop(SESSION_KEY, None)
        return _refusal(state)
    if session.get(SESSION_KEY) != invitation.id:
        # A fresh session for this respondent, whatever the browser held before. The same link opened again
        # (a second tab) keeps its session, and so the CSRF token that the first tab's page carries.
        session.clear()
        session[SESSION_KEY] = invitation.id
        session[STORE_KEY] = secrets.token_hex(8)
    return redirect(url_for(".intro"))


@bp.route("/s/<token>")
@visitors
@limiter.limit(lambda: current_app.config["SURVEY_TOKEN_RATE_LIMIT"])
def open_link(token: str):
    """A personal link from the SMS: trade it for a session, then go to a clean URL."""
    _single_statements()
    return _start(invitations.find(token, "link"))


@bp.route("/s", methods=["GET", "POST"])
@visitors
def enter_code():
    """The fixed link of the SMS: the respondent types the access code it carried.

    Only wrong codes count against the limits, per client, network and code prefix (code_limits.py).
    """
    form = AccessCodeForm()
    if form.validate_on_submit():
        guard = code_limits.Guard(form.code.data)
        refusal = guard.refusal()
        if refusal is not None:
            raise refusal
        invitation = invitations.find(form.code.data, "code")
        if invitation is not None:
            return _start(invitation)
        guard.count_wrong()
        form.code.errors.append(gettext("This code is not valid. Check it against the text message."))
    return render_template("survey/code.html", form=form)


@dataclass
class Survey:
    """The session's invitation and what its pages are built from, as plain values read once per request.

    Nothing here is read again after a commit. The invitation, its round, its use and its draft come in one
    query; the document of a published version and its form classes are cached per process (they never
    change); the round's departments are read at most every 30 s (answering.open_round_departments).
    """

    invitation: Invitation
    campaign: Campaign
    version_id: int
    document: dict  # shared by every request: never modify it
    cache_key: tuple | None
    departments: list[tuple[str, str]]
    department_ids: dict[str, int]
    data: dict  # the answers saved so far
    visit: answering.Visit  # held so that the draft's row stays in the session (no second SELECT to save it)
    kinds: list[tuple[str, str, str]]  # (code, name, kind) of the round's departments, for the picker's groups

    def picked(self, data: dict | None = None) -> list[tuple[str, str]]:
        """(code, name) of the departments picked in these answers (the saved ones by default), in order."""
        codes = (self.data if data is None else data).get(PICKER_FIELD)
        codes = {codes} if isinstance(codes, str) else set(codes) if isinstance(codes, list) else set()
        return [d for d in self.departments if d[0] in codes]

    def pages(self, data: dict | None = None) -> list[Step]:
        """The respondent's pages for these answers (the saved ones by default)."""
        data = self.data if data is None else data
        picked = self.picked(data)
        # Departments nobody picked only hold hidden questions: leaving them out changes no page.
        return steps(self.document, [code for code, _name in picked], data=data, departments=picked)

    def form_class(self, step: Step | None = None) -> type:
        """The form of one page."""
        return build_form_class(self.document, self.departments, base=FlaskForm, gettext=gettext,
                                locale=select_locale(), step=step, cache_key=self.cache_key)

    def final_form_class(self, data: dict | None = None) -> type:
        """The whole questionnaire for the final check, with the picked departments only: the others' questions
        are hidden, so they would add fields that can hold no answer (a round may have dozens of departments)."""
        return build_form_class(self.document, self.picked(data), base=FlaskForm, gettext=gettext,
                                locale=select_locale(), cache_key=self.cache_key)


def _single_statements() -> None:
    """Run this request's statements without a surrounding transaction.

    For the GET pages, which read (and at most mark the invitation opened, one UPDATE): each statement is its
    own transaction, which saves the BEGIN and ROLLBACK round trips that a page shown about twelve times per
    respondent would otherwise pay. Called before the request's first query.
    """
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def with_invitation(view):
    """Give the view the session's invitation and questionnaire, or show why it cannot answer."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method == "GET":
            _single_statements()
        found = answering.visit(session.get(SESSION_KEY) or 0)
        state = invitations.access(found and found.invitation, submitted=found and found.submitted)
        if found and found.submitted and request.method == "POST" and answering.submitted_with(
                found.invitation.id, _submission_key()):
            # A retry of the submission that used it (also after the round closed meanwhile): it arrived.
            return redirect(url_for(".thanks"), 303)
        if state != Access.ok:
            return _refusal(state)
        campaign = found.invitation.campaign
        document, cache_key = answering.questionnaire_document(campaign.questionnaire_version_id,
                                                               found.version_hash)
        rows = answering.open_round_departments(campaign)
        survey = Survey(found.invitation, campaign, campaign.questionnaire_version_id, document, cache_key,
                        [(code, name) for code, name, _id, _kind in rows],
                        {code: id_ for code, _name, id_, _kind in rows}, found.draft, found,
                        [(code, name, kind) for code, name, _id, kind in rows])
        return view(survey, *args, **kwargs)

    return wrapper


@bp.route("/s/survey")
@visitors
@with_invitation
def intro(survey: Survey):
    """The whole questionnaire in one document. Its first screen says why you were chosen, what 背靠背 promises
    and how long it takes; without JavaScript its button opens the paged flow (continuing a saved draft)."""
    document = one_page.document_for(survey.cache_key, survey.document, survey.kinds, select_locale(),
                                     survey.campaign.id)
    # The phone keeps its answers in progress under a key made for this session, never the invitation's.
    store = session.get(STORE_KEY, "0")
    html = render_template("survey/one_page.html", campaign=survey.campaign, resume=bool(survey.data),
                           document=document, store=store)
    # Counted here, not when the link is followed: mail and link scanners follow links but keep no cookies.
    if not survey.invitation.opened:
        answering.mark_opened(survey.invitation)
        db.session.commit()
    return html


@bp.route("/s/survey/<int:number>", methods=["GET", "POST"])
@visitors
@with_invitation
def page(survey: Survey, number: int):
    """One page of the questionnaire; its answers are saved on the server before moving on."""
    data, pages = survey.data, survey.pages()
    if not 1 <= number <= len(pages):
        return redirect(url_for(".confirm"))
    step = pages[number - 1]
    Form = survey.form_class(step)
    form = Form(prior=data) if request.method == "POST" else Form(formdata=None, data=data, prior=data,
                                                                  meta={"csrf": False})
    if request.method == "POST" and form.is_submitted():
        valid = form.validate_on_submit()
        fields = set(form._fields) - {"csrf_token"}
        kept = {k: v for k, v in data.items() if k not in fields}
        kept.update(form.visible_data())
        going_back = request.form.get("nav") == "back"  # (CSRFProtect has already refused a POST without a token)
        if valid or going_back:
            if not answering.save_draft(survey.invitation, kept):
                return _refused_meanwhile(survey)
            db.session.commit()
            if going_back:
                return redirect(url_for(".page", number=max(number - 1, 1)) if number > 1 else url_for(".intro"))
            # The picker may have changed the pages that follow; count them again.
            pages = survey.pages(kept)
            return redirect(url_for(".page", number=number + 1) if number < len(pages) else url_for(".confirm"))
    department_pages = [p for p in pages if p.kind == "department"]
    return render_template("survey/page.html", form=form, layout=form.layout(), number=number, total=len(pages),
                           campaign=survey.campaign, step=step, departments=dict(survey.departments),
                           department_number=department_pages.index(step) + 1 if step in department_pages else 0,
                           department_total=len(department_pages))


@bp.route("/s/survey/confirm", methods=["GET", "POST"])
@visitors
@with_invitation
def confirm(survey: Survey):
    """Check everything once more, then submit — once."""
    data = survey.data
    Final = survey.final_form_class()
    # A check of the saved answers, not a form post: the POST's CSRF token is checked below.
    final = Final(formdata=None, data=data, prior=data, meta={"csrf": False})
    complete = final.validate()
    if request.method == "POST" and FlaskForm().validate_on_submit():
        if not complete:  # a simultaneous submission may have just used the invitation (and taken the draft)
            return _refused_meanwhile(survey)
        try:
            answering.submit(survey.invitation, survey.version_id, final.answers(), survey.department_ids)
        except answering.AlreadySubmitted:
            return render_template("survey/used.html"), 200
        except answering.RoundClosed:
            return _refused_meanwhile(survey)
        return redirect(url_for(".thanks"))
    picked = {code for code, _name in survey.picked()}
    layout = [entry for entry in final.layout() if entry.department is None or entry.department in picked]
    return render_template("survey/confirm.html", layout=layout, form=final, complete=complete,
                           campaign=survey.campaign, departments=dict(survey.departments),
                           total=len(survey.pages()), submit_form=FlaskForm())


def _submission_key() -> str | None:
    """The one-page survey's id of this submission (32 hex characters made by the phone), if it sent one."""
    key = request.form.get("submission_id", "")
    return key if len(key) == 32 and all(c in "0123456789abcdef" for c in key) else None


@bp.route("/s/survey/submit", methods=["POST"])
@visitors
@with_invitation
def submit(survey: Survey):
    """The one-page survey's single POST: every answer at once, checked exactly as the paged flow checks them
    (conditions evaluated again, hidden answers dropped, required answers present, values in range)."""
    data = request.form.to_dict(flat=False)
    final = survey.final_form_class(data)(formdata=request.form, prior={}, meta={"csrf": False})
    if not final.validate():
        errors = {name: [str(e) for e in field.errors] for name, field in final._fields.items() if field.errors}
        return jsonify(message=gettext("Some answers need another look: they are marked on the page."),
                       errors=errors), 422
    try:
        answering.submit(survey.invitation, survey.version_id, final.answers(), survey.department_ids,
                         submission_key=_submission_key())
    except answering.AlreadySubmitted:
        if answering.submitted_with(survey.invitation.id, _submission_key()):
            return redirect(url_for(".thanks"), 303)
        return jsonify(message=_REFUSALS[Access.used](), final=True), 409
    except answering.RoundClosed:
        return jsonify(message=_REFUSALS[Access.closed](), final=True), 409
    return redirect(url_for(".thanks"), 303)


@bp.errorhandler(CSRFError)
def expired_form(error):
    """A survey form whose token no longer holds (a session lost, a very old tab): nothing typed is thrown away.

    The one-page survey gets a fresh token to send again with; a paged form is shown again with what was typed.
    Never the staff pages' error, never the staff login.
    """
    message = gettext("This page had been open for a long time, or in another window. Nothing was lost: check the "
                      "answers and press the button again.")
    if _from_script():
        return jsonify(message=message, csrf_token=generate_csrf()), 400
    return render_template("survey/expired.html", message=message, form=request.form, back=request.path), 400


@bp.route("/s/thanks")
@visitors
def thanks():
    """After a submission."""
    return render_template("survey/thanks.html")


@dataclass(frozen=True)
class PreviewRound:
    """What the respondent's page shows of its round, for a preview: the questionnaire's title, no closing day."""

    title: str
    closes_on: None = None


@bp.route("/admin/questionnaires/versions/<int:version_id>/preview")
@roles_required(Role.designer)
def preview(version_id: int):
    """The builder's preview: the respondent's one-page survey of any version (a draft too) at phone size, with
    the departments active now, marked 预览; it has no invitation, and so nothing can be submitted."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    problems = validate_document(version.document)
    if problems:
        return render_template("survey/preview_problems.html", version=version, problems=problems)
    locale = select_locale()
    return render_template("survey/one_page.html", campaign=PreviewRound(version.title(locale)), resume=False,
                           document=one_page.preview_document(version.document, locale), store="preview",
                           preview=version)
