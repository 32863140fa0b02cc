"""The call-back check's pages: the staff's list, a check (draw, send, report, evidence), and the raiser's link.

Who: complaints handlers run every check and auditors read them (admins hold every role); the policy officer runs
and reads delivery checks (兑现回访) only — a resolution check is not found for them."""
from __future__ import annotations

import io
import zipfile

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.callbacks import calls, delivery, draw, report
from app.callbacks.forms import PURPOSES, AnswerForm, CheckForm, DeliveryAnswerForm
from app.callbacks.models import CallbackCheck, CheckStatus, Purpose
from app.extensions import db
from app.platform.access import roles_required, visitors
from app.platform.actions import bad_request, perform, unconfirmed
from app.platform.exports import XLSX_MIMETYPE, download
from app.platform.forms import ConfirmForm, EmptyForm
from app.platform.jobs import enqueue
from app.platform.roles import Role
from app.rounds.forms import SeedForm

bp = Blueprint("callbacks", __name__)

# Complaints handlers run a check (admins hold every role); auditors read it and replay its draw. The policy officer
# runs delivery checks (兑现回访), and sees no other.
RUN = (Role.complaints, Role.policy)
READ = (Role.complaints, Role.auditor, Role.policy)
EVERY_PURPOSE = (Role.complaints, Role.auditor)


def _purposes() -> list[Purpose]:
    """The purposes of the checks the current user may see (and, if they run checks, create)."""
    return list(Purpose) if current_user.has_role(*EVERY_PURPOSE) else [Purpose.delivery]


def _check_form() -> CheckForm:
    form = CheckForm()
    allowed = _purposes()
    form.purpose.choices = [(p.value, PURPOSES[p]) for p in allowed]
    if len(allowed) == 1 and not form.purpose.raw_data:  # the one purpose this user may choose
        form.purpose.data = allowed[0].value
    return form


def _get(check_id: int) -> CallbackCheck:
    """The check, or 404 when it does not exist or is of a purpose the user may not see."""
    found = db.get_or_404(CallbackCheck, check_id)
    if found.purpose not in _purposes():
        abort(404)
    return found


@bp.route("/admin/callbacks/")
@roles_required(*READ)
def index():
    """Every check the user may see, newest first, and (for those who run them) a form for a new one."""
    return render_template("callbacks/index.html", checks=_checks(), form=_check_form())


def _checks() -> list[CallbackCheck]:
    return list(db.session.scalars(select(CallbackCheck).where(CallbackCheck.purpose.in_(_purposes()))
                                   .order_by(CallbackCheck.id.desc())))


@bp.route("/admin/callbacks/new", methods=["POST"])
@roles_required(*RUN)
def create():
    """Freeze the frame of a period's cases (closed; or paid or delivered) and record its commitment (step 1)."""
    def again(form: CheckForm):
        return render_template("callbacks/index.html", checks=_checks(), form=form), 400

    return perform(_check_form(), lambda f: draw.create(f.period_start.data, f.period_end.data, f.minimum.data,
                                                        f.maximum.data, current_user, f.purpose.data),
                   done=lambda check: _("Frame frozen: %(n)d cases. Publish the commitment before setting the seed.",
                                        n=check.frame_size),
                   back=url_for(".index"), refused=draw.CallbackError,
                   then=lambda check: url_for(".check", check_id=check.id), invalid=again)


@bp.route("/admin/callbacks/<int:check_id>")
@roles_required(*READ)
def check(check_id: int):
    """A check: its frame and commitment, the seed, the draw and its verification, sending, and the report."""
    found = _get(check_id)
    drawn = found.status in (CheckStatus.drawn, CheckStatus.closed)
    is_delivery = found.purpose == Purpose.delivery
    return render_template(
        "callbacks/check.html", check=found, waiting=report.waiting(found),
        rows=report.delivery_rows(found) if is_delivery else report.rows(found),
        follow_ups=delivery.follow_ups(found) if is_delivery else [],
        runner=current_user.has_role(*RUN), delivery=is_delivery,
        verification=draw.verify(found) if drawn else None, unsent=calls.unsent(found) if drawn else 0,
        strata=draw.strata(found), seed_form=SeedForm(), form=EmptyForm(),
        confirm_form=ConfirmForm())


def _step(check_id: int, form, work, *, invalid=None):
    found = _get(check_id)
    return perform(form, lambda f: work(found, f), done=lambda message: message,
                   back=url_for(".check", check_id=check_id), refused=draw.CallbackError, invalid=invalid)


@bp.route("/admin/callbacks/<int:check_id>/seed", methods=["POST"])
@roles_required(*RUN)
def set_seed(check_id: int):
    """Step 2: the seed, typed (announced after the commitment) or generated."""
    def work(found: CallbackCheck, form: SeedForm) -> str:
        typed = None if request.form.get("action") == "generate" else (form.seed.data or "")
        draw.set_seed(found, current_user, typed)
        return _("Seed recorded.")

    return _step(check_id, SeedForm(), work)


@bp.route("/admin/callbacks/<int:check_id>/draw", methods=["POST"])
@roles_required(*RUN)
def run_draw(check_id: int):
    """Step 3: draw the cases to call back."""
    return _step(check_id, EmptyForm(), lambda found, form: _("%(n)d cases drawn.", n=draw.draw(found, current_user)),
                 invalid=bad_request)


@bp.route("/admin/callbacks/<int:check_id>/send", methods=["POST"])
@roles_required(*RUN)
def send(check_id: int):
    """Send every drawn raiser who has no link yet an SMS with their one-time link."""
    back = url_for(".check", check_id=check_id)

    def work(found: CallbackCheck, form: ConfirmForm) -> str:
        if found.status != CheckStatus.drawn:
            raise draw.CallbackError(_("Links can be sent only after the draw and before the check is closed."))
        enqueue(calls.send, found.id, current_user.id)
        return _("Sending the links. Refresh the page to follow it.")

    return _step(check_id, ConfirmForm(), work, invalid=unconfirmed(back))


@bp.route("/admin/callbacks/<int:check_id>/close", methods=["POST"])
@roles_required(*RUN)
def close(check_id: int):
    """Close the check: links stop working and every answer joins the report."""
    back = url_for(".check", check_id=check_id)

    def work(found: CallbackCheck, form: ConfirmForm) -> str:
        calls.close(found, current_user)
        return _("The check is closed; its links no longer work.")

    return _step(check_id, ConfirmForm(), work, invalid=unconfirmed(back))


@bp.route("/admin/callbacks/<int:check_id>/evidence.zip")
@roles_required(*READ)
def evidence(check_id: int):
    """frame.csv, plan.json, seed.txt, commitment.txt, selected.csv: what tools/verify_draw.py replays."""
    found = _get(check_id)
    if found.status not in (CheckStatus.drawn, CheckStatus.closed):
        abort(404)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in draw.evidence_files(found).items():
            archive.writestr(f"callback-{found.id}/{name}", content)
    return download(buffer.getvalue(), f"callback-{found.id}-draw.zip", "application/zip")


@bp.route("/admin/callbacks/<int:check_id>/report.xlsx")
@roles_required(*READ)
def export(check_id: int):
    """The report per department as a workbook with Chinese headers."""
    found = _get(check_id)
    return download(report.workbook(found), f"callback-{found.id}-{found.period_start}-{found.period_end}.xlsx",
                    XLSX_MIMETYPE)


# --- the raiser's page ----------------------------------------------------------------------------------------

@bp.route(calls.LINK_PATH + "<token>", methods=["GET", "POST"])
@visitors
def answer(token: str):
    """The raiser's one page: three questions (four for a delivery check), answered once, anonymously."""
    access, call = calls.find(token)
    if access != calls.Access.ok:
        return render_template("callbacks/gone.html", access=access.value), 404 if access == calls.Access.unknown \
            else 410
    if call.check.purpose == Purpose.delivery:
        return _answer_delivery(call)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            calls.answer(call, form.solved.data, form.satisfied.data, form.returns.data)
        except draw.CallbackError:
            return render_template("callbacks/gone.html", access=calls.Access.used.value), 410
        return redirect(url_for(".thanks"))
    return render_template("callbacks/answer.html", form=form), 400 if form.is_submitted() else 200


def _answer_delivery(call):
    """The enterprise's one page of a delivery check: four questions and, if not received, a request for contact."""
    form = DeliveryAnswerForm()
    if form.validate_on_submit():
        try:
            calls.answer_delivery(call, form.received.data, form.amount_right.data, form.visits.data,
                                  form.satisfied.data, follow_up=form.follow_up.data)
        except draw.CallbackError:
            return render_template("callbacks/gone.html", access=calls.Access.used.value), 410
        return redirect(url_for(".thanks"))
    return render_template("callbacks/answer_delivery.html", form=form), 400 if form.is_submitted() else 200


@bp.route(calls.LINK_PATH + "thanks")
@visitors
def thanks():
    """After the answers: thanks, and what happens with them."""
    return render_template("callbacks/thanks.html")
