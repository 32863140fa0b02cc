"""The department's decision (posted from the engine's assignment page), the window's review of it, payments,
delivery and the receipt confirmed by phone: ``/admin/window/decisions/…``.

The liaison decides only on its own department's lead assignment (403 for another department's); the window's
pages go through ``scope`` (window staff see their own window's applications only: another's is a 404).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.casework.errors import CaseError
from app.casework.models import AssignmentStatus, CaseAssignment, CaseKind, CaseStatus
from app.departments.models import Department
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import perform
from app.platform.calendar import local_today
from app.platform.roles import Role
from app.policy.explain import field_label, lines, result_label
from app.policy.notices import benefit_lines, wan
from app.policy_window import budget, decisions, kind, payments, scope  # noqa: F401  (kind: the engine knows it)
from app.policy_window.decision_forms import DecisionForm, DeliveryForm, PaymentForm, PhoneVerdictForm, ReviewForm
from app.policy_window.labels import decision_label, receipt_label, stage_label
from app.policy_window.models import Decision, PolicyCase, Stage

bp = Blueprint("policy_decisions", __name__, url_prefix="/admin/window/decisions")
WINDOW = (Role.window, Role.policy)


@bp.app_template_global()
def policy_decision_labels():
    return {"stage": stage_label, "decision": decision_label, "receipt": receipt_label, "wan": wan,
            "field": field_label, "result": result_label}


def _decision_form(case: PolicyCase, formdata=None) -> DecisionForm:
    kwargs = {} if formdata is not False else {"formdata": None}
    form = DecisionForm(**kwargs)
    form.failed.choices = [("", _("— choose —"))] + [
        (str(c.index), c.label + (f"（{c.legal_ref}）" if c.legal_ref else "")
         + (f" · {_('checked by a person')}" if c.review else ""))
        for c in decisions.conditions(case.version)] + [(decisions.OTHER, _("Another condition (name its provision)"))]
    form.missing.choices = [(m, m) for m in case.version.materials or []]
    return form


@bp.app_template_global()
def policy_decision_view(item: CaseAssignment) -> dict:
    """What the lead department's decision form shows: the conditions with the trace, what the rule gives this
    application, the figures declared and the form (``policy_window/decision/_answer.html``)."""
    case = item.case
    return {"form": _decision_form(case, formdata=False), "lines": lines(case.version, case.trace or []),
            "ceiling": decisions.ceiling(case), "amounted": decisions.amounted(case.version),
            "benefit": benefit_lines(case.version, None), "declared": case.declared or {},
            "deciding": case.stage == Stage.handling}


# --------------------------------------------------------------------------- the department decides

def _own_lead(assignment_id: int) -> CaseAssignment:
    item = db.one_or_404(select(CaseAssignment).join(CaseAssignment.case).where(
        CaseAssignment.id == assignment_id, CaseAssignment.status != AssignmentStatus.withdrawn))
    if item.case.kind != CaseKind.policy:
        abort(404)
    if item.department_id != current_user.department_id:
        abort(403)
    return item


@bp.route("/assignment/<int:assignment_id>", methods=["POST"])
@roles_required(Role.liaison)
def decide(assignment_id: int):
    """The lead department's decision on its assignment."""
    item = _own_lead(assignment_id)
    case = item.case
    back = url_for("casework.assignment", assignment_id=item.id)

    def work(form: DecisionForm):
        missing = list(form.missing.data or []) + (form.other_missing.data or "").splitlines()
        return decisions.decide(item, form.decision.data, amount=form.amount.data or None,
                                amount_reason=form.amount_reason.data or "", failed=form.failed.data or None,
                                legal_ref=form.legal_ref.data or "", note=form.note.data or "", missing=missing,
                                actor=current_user)

    return perform(_decision_form(case), work, done=_("The decision is recorded."), back=back,
                   then=url_for("casework.inbox"), refused=CaseError)


# --------------------------------------------------------------------------- the window reviews

def _case(number: str) -> PolicyCase:
    return scope.case_by_number_or_404(current_user, number)


@bp.route("/<number>/review")
@roles_required(*WINDOW)
def review(number: str):
    """The department's decision as it stands, with the conditions and the figures, and the window's review."""
    case = _case(number)
    return render_template("policy_window/decision/review.html", case=case, form=ReviewForm(formdata=None),
                           call_form=PhoneVerdictForm(formdata=None), lines=lines(case.version, case.trace or []),
                           failed=decisions.failed_condition(case), ceiling=decisions.ceiling(case),
                           text=decisions.decision_text(case) if case.decision else "",
                           waiting=case.stage == Stage.review and case.decision is not None,
                           all_answered=case.status == CaseStatus.replied,
                           call_open=case.stage == Stage.rejected and case.status == CaseStatus.confirming)


@bp.route("/<number>/review", methods=["POST"])
@roles_required(*WINDOW)
def review_decision(number: str):
    case = _case(number)
    back = url_for(".review", number=case.tracking_number)

    def work(form: ReviewForm):
        decisions.review(case, current_user, form.verdict.data == "confirm", form.note.data or "")

    return perform(ReviewForm(), work, back=back, refused=CaseError,
                   done=lambda _result: (_("The decision is sent to the enterprise.") if case.stage != Stage.handling
                                         else _("The decision is sent back to the department.")))


@bp.route("/<number>/rejection-call", methods=["POST"])
@roles_required(*WINDOW)
def rejection_call(number: str):
    """The enterprise, called, has the rejection: its verdict closes the case."""
    case = _case(number)
    return perform(PhoneVerdictForm(), lambda form: decisions.close_rejected(case, form.satisfaction.data,
                                                                             current_user),
                   done=_("The case is closed."), back=url_for(".review", number=case.tracking_number),
                   refused=CaseError)


# --------------------------------------------------------------------------- payment and delivery

def _payment_form(formdata=None) -> PaymentForm:
    form = PaymentForm() if formdata is None else PaymentForm(formdata=None)
    form.department.choices = [(d.id, d.name) for d in db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.sort_order, Department.name))]
    return form


def _payments_page(case: PolicyCase, form: PaymentForm, needs_reason: bool = False, status: int = 200):
    item = case.version.item
    if form.department.data is None and case.version.department_id:
        form.department.data = case.version.department_id
    return render_template("policy_window/decision/payments.html", case=case, form=form,
                           delivery_form=DeliveryForm(formdata=None), receipt_form=PhoneVerdictForm(formdata=None),
                           money=decisions.paid_in_money(case.version), budget_total=budget.total(item),
                           budget_used=budget.used(item), budget_left=budget.left(item),
                           outstanding=payments.outstanding(case), needs_reason=needs_reason,
                           payable=case.stage in payments.PAYABLE and case.decision in (Decision.approved,
                                                                                         Decision.partly),
                           today=local_today()), status


@bp.route("/<number>/payments")
@roles_required(*WINDOW)
def payment_list(number: str):
    """The payments (or the delivery) of an approved application, the item's budget, and the receipt."""
    return _payments_page(_case(number), _payment_form(formdata=False))


@bp.route("/<number>/payments", methods=["POST"])
@roles_required(*WINDOW)
def pay(number: str):
    """One payment. Past the budget without a reason, the page comes back with the reason's field to fill in."""
    case = _case(number)
    form = _payment_form()
    if not form.validate_on_submit():
        db.session.rollback()
        return _payments_page(case, form, status=422)
    department = db.session.get(Department, form.department.data)
    try:
        payments.record_payment(case, form.amount.data, form.paid_on.data, form.voucher.data, department,
                                current_user, over_budget_reason=form.over_budget_reason.data or "")
    except payments.OverBudget as refused:
        db.session.rollback()
        form.over_budget_reason.errors = [str(refused)]
        return _payments_page(case, form, needs_reason=True, status=422)
    except CaseError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for(".payment_list", number=case.tracking_number))
    db.session.commit()
    flash(_("The payment is recorded."), "success")
    return redirect(url_for(".payment_list", number=case.tracking_number))


@bp.route("/<number>/delivery", methods=["POST"])
@roles_required(*WINDOW)
def deliver(number: str):
    case = _case(number)
    return perform(DeliveryForm(), lambda form: payments.record_delivery(case, form.note.data, current_user),
                   done=_("The delivery is recorded."), back=url_for(".payment_list", number=case.tracking_number),
                   refused=CaseError)


@bp.route("/<number>/receipt", methods=["POST"])
@roles_required(*WINDOW)
def receipt(number: str):
    """The enterprise confirmed on the phone that it received the money or the delivery."""
    case = _case(number)
    return perform(PhoneVerdictForm(),
                   lambda form: payments.confirm_receipt_by_phone(case, current_user, form.satisfaction.data,
                                                                  form.note.data or ""),
                   done=_("The receipt is confirmed and the case closed."),
                   back=url_for(".payment_list", number=case.tracking_number), refused=CaseError)
