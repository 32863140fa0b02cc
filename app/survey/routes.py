"""The respondent's survey on a phone: open the link (or type the code), answer page by page, submit once.

No account, no JavaScript needed. The secret from the SMS is exchanged for a
session on the first visit and the browser is sent to a clean URL, so that the
token stays out of the address bar, the history and Referer headers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from app.extensions import db, limiter
from app.platform.access import visitors
from app.platform.i18n import select_locale
from app.rounds import invitations
from app.rounds.invitations import Access
from app.rounds.models import Campaign, Invitation
from app.survey import answering
from app.survey.forms import AccessCodeForm
from forms.factory import Step, build_form_class, steps
from questionnaire.answers import PICKER_FIELD

bp = Blueprint("survey", __name__)
SESSION_KEY = "survey_invitation"


@bp.after_request
def referrer_policy(response):
    """The address with the token is never sent anywhere; the clean pages send it to this site only.

    Not ``no-referrer`` everywhere: over HTTPS, Flask-WTF refuses a POST without a same-origin Referer,
    so pages with forms must let the browser send their own (token-free) address back to this site.
    """
    response.headers["Referrer-Policy"] = "no-referrer" if request.endpoint == "survey.open_link" else "same-origin"
    return response


def _refusal(state: Access):
    """The page for a link that cannot be used; an unknown and an expired link look the same."""
    template = {Access.used: "survey/used.html", Access.closed: "survey/closed.html",
                Access.not_open: "survey/not_open.html"}.get(state, "survey/invalid.html")
    return render_template(template), 404 if state == Access.unknown else 200


def _refused_meanwhile(survey: Survey):
    """The invitation was used (from another tab) or its round closed while this request ran: say which; back
    to the first page if neither (the answers saved were not complete)."""
    db.session.rollback()
    db.session.expire_all()
    state = invitations.access(survey.invitation)
    return _refusal(state) if state != Access.ok else redirect(url_for(".page", number=1))


def _start(invitation: Invitation | None):
    state = invitations.access(invitation)
    if state != Access.ok:
        session.pop(SESSION_KEY, None)
        return _refusal(state)
    session.clear()  # a fresh session for the respondent, whatever the browser held before
    session[SESSION_KEY] = invitation.id
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

    def final_form_class(self) -> type:
        """The whole questionnaire for the final check, with the picked departments only: the others' questions
        are hidden, so they would add fields that can hold no answer (a round may have dozens of departments)."""
        return build_form_class(self.document, self.picked(), base=FlaskForm, gettext=gettext,
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
        if state != Access.ok:
            return _refusal(state)
        campaign = found.invitation.campaign
        document, cache_key = answering.questionnaire_document(campaign.questionnaire_version_id,
                                                               found.version_hash)
        rows = answering.open_round_departments(campaign)
        survey = Survey(found.invitation, campaign, campaign.questionnaire_version_id, document, cache_key,
                        [(code, name) for code, name, _id in rows], {code: id_ for code, _name, id_ in rows},
                        found.draft, found)
        return view(survey, *args, **kwargs)

    return wrapper


@bp.route("/s/survey")
@visitors
@with_invitation
def intro(survey: Survey):
    """Why you were chosen, what 背靠背 promises, how long it takes; continue where you left off."""
    html = render_template("survey/intro.html", campaign=survey.campaign, resume=bool(survey.data),
                           pages=len(survey.pages()))
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
    return render_template("survey/page.html", form=form, layout=form.layout(), number=number, total=len(pages),
                           campaign=survey.campaign, step=step, departments=dict(survey.departments))


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
        session.pop(SESSION_KEY, None)
        return redirect(url_for(".thanks"))
    picked = {code for code, _name in survey.picked()}
    layout = [entry for entry in final.layout() if entry.department is None or entry.department in picked]
    return render_template("survey/confirm.html", layout=layout, form=final, complete=complete,
                           campaign=survey.campaign, departments=dict(survey.departments),
                           total=len(survey.pages()), submit_form=FlaskForm())


@bp.route("/s/thanks")
@visitors
def thanks():
    """After a submission."""
    return render_template("survey/thanks.html")
