"""Staff accounts: list, create, role and department, deactivate/reactivate, password and two-factor reset
(admins); and every account's own password and second factor.

Every change goes through app/accounts/service.py, which audits it and refuses
to lock the platform out (no self-deactivation, never without an active admin).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from wtforms import SelectChoice

from app.accounts import service as accounts, two_factor
from app.accounts.forms import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    CreateUserForm,
    DisableTwoFactorForm,
    ResetPasswordForm,
    RoleForm,
)
from app.accounts.models import User
from app.departments.models import Department
from app.extensions import db, limiter
from app.platform.access import role_label, roles_required, staff_only
from app.platform.actions import perform
from app.platform.forms import EmptyForm
from app.platform.roles import Role

bp = Blueprint("users", __name__)

PER_PAGE = 50
NO_DEPARTMENT = 0


def _fill_choices(form: RoleForm) -> None:
    form.role.choices = [SelectChoice(r.value, role_label(r)) for r in Role]
    form.department_id.choices = [SelectChoice(NO_DEPARTMENT, _("— none —"))] + [
        SelectChoice(d.id, f"{d.code} {d.name}")
        for d in db.session.scalars(Department.ordered().where(Department.active.is_(True)))]


def _chosen(form: RoleForm) -> tuple[Role, Department | None]:
    department = db.session.get(Department, form.department_id.data) if form.department_id.data else None
    return Role(form.role.data), department


@bp.route("/admin/users/")
@roles_required(Role.admin)
def index():
    """Every staff account: username, name, role, department, status, last login."""
    page = db.paginate(accounts.accounts_query(), per_page=PER_PAGE, error_out=False)
    return render_template("users/index.html", page=page)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def create():
    """Add a staff account with one role and an initial password."""
    form = CreateUserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        role, department = _chosen(form)
        try:
            user = accounts.create_user(form.username.data, form.password.data, role,
                                        display_name=form.display_name.data or "", department=department)
            accounts.set_mobile(user, form.mobile.data or "")  # checked by the form already
        except accounts.AccountError as exc:
            db.session.rollback()
            form.username.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for(".index"))
    return render_template("users/new.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def edit(user_id: int):
    """An account: change its name, role and department; deactivate or reactivate it; reset its password."""
    user = db.get_or_404(User, user_id)
    form = RoleForm(obj=user)
    _fill_choices(form)
    if request.method == "GET":
        form.role.data = user.role.value
        form.department_id.data = user.department_id or NO_DEPARTMENT
        form.mobile.data = user.mobile_masked  # never the full number: typing a new one replaces it
    if form.validate_on_submit():
        role, department = _chosen(form)
        try:
            changed = accounts.change_role(user, role, department, actor=current_user,
                                           display_name=form.display_name.data or "")
            if not form.mobile_unchanged(user):
                changed = accounts.set_mobile(user, form.mobile.data or "", actor=current_user) or changed
        except accounts.AccountError as exc:
            db.session.rollback()
            form.role.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for(".edit", user_id=user.id))
    return render_template("users/edit.html", user=user, form=form, button=EmptyForm(),
                           password_form=ResetPasswordForm(formdata=None), min_length=accounts.MIN_PASSWORD_LENGTH,
                           two_factor_required=two_factor.required_for(user))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.admin)
def set_active(user_id: int):
    """Deactivate (no more logins; open sessions end) or reactivate an account."""
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    done = _("Account %(name)s reactivated.", name=user.username) if active else \
        _("Account %(name)s deactivated: it can no longer log in.", name=user.username)
    return perform(EmptyForm(), lambda form: accounts.set_active(user, active, actor=current_user), done=done,
                   back=url_for(".edit", user_id=user.id), refused=accounts.AccountError)


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@roles_required(Role.admin)
def reset_password(user_id: int):
    """Set a new password for an account (tell its owner in person); its open sessions end."""
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.password.data, actor=current_user)
        except accounts.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            if user.id == current_user.id:
                login_user(user)  # keep this session: the admin just chose the new password
                flash(_("The password of %(name)s is reset.", name=user.username), "success")
            else:
                flash(_("The password of %(name)s is reset; they must choose their own at their next login.",
                        name=user.username), "success")
    else:
        flash(_("Type the new password."), "error")
    return redirect(url_for(".edit", user_id=user.id))


def _own_account_key() -> str:
    """Guesses at the current password count per account, whichever address they come from."""
    return f"password-change:{getattr(current_user, 'id', '')}"


def _current_password_refused(response) -> bool:
    """Only a wrong current password counts as a guess: a new one the policy refuses does not."""
    return bool(g.get("current_password_refused"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_only
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"], key_func=_own_account_key,
               deduct_when=_current_password_refused)
def change_password():
    """Any staff account changes its own password, giving the current one (the first page of an account whose
    password an administrator chose)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(current_user, form.current.data, form.password.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            g.current_password_refused = isinstance(exc, accounts.WrongPassword)
            (form.current if isinstance(exc, accounts.WrongPassword) else form.password).errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this session goes on; the others end
            flash(_("Your password is changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("users/password.html", form=form, min_length=accounts.MIN_PASSWORD_LENGTH)


@bp.route("/admin/users/<int:user_id>/two-factor/reset", methods=["POST"])
@roles_required(Role.admin)
def reset_two_factor(user_id: int):
    """Remove an account's second factor (its owner lost the phone): its sessions end, and it sets one up again."""
    user = db.get_or_404(User, user_id)
    done = _("The two-factor authentication of %(name)s is reset; they set it up again at their next login.",
             name=user.username)
    return perform(EmptyForm(), lambda form: two_factor.reset(user, actor=current_user), done=done,
                   back=url_for(".edit", user_id=user.id), refused=two_factor.TwoFactorError)


# --------------------------------------------------------------------------- the own second factor

def _code_refused(response) -> bool:
    """Only a wrong code or password counts as a guess."""
    return bool(g.get("two_factor_refused"))


def _two_factor_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _own_two_factor_key() -> str:
    return f"two-factor:{getattr(current_user, 'id', '')}"


def _two_factor_page(confirm_form=None, disable_form=None):
    user = current_user._get_current_object()
    secret = two_factor.pending_secret(user)
    return render_template(
        "users/two_factor.html", required=two_factor.required_for(user), secret=secret,
        secret_grouped=two_factor.grouped(secret) if secret else "",
        recovery_left=two_factor.remaining_recovery_codes(user) if user.two_factor_enabled else 0,
        confirm_form=confirm_form or ConfirmTwoFactorForm(formdata=None),
        disable_form=disable_form or DisableTwoFactorForm(formdata=None), button=EmptyForm())


@bp.route("/account/two-factor", endpoint="two_factor")
@staff_only
def two_factor_page():
    """The account's second factor: its state, the set-up (QR code and key) or turning it off."""
    return _two_factor_page()


@bp.route("/account/two-factor/start", methods=["POST"])
@staff_only
def two_factor_start():
    """Make a new key to set up (replacing one not confirmed yet)."""
    return perform(EmptyForm(), lambda form: two_factor.start_enrolment(current_user._get_current_object()),
                   done=None, back=url_for(".two_factor"), refused=two_factor.TwoFactorError)


@bp.route("/account/two-factor/qr.svg")
@staff_only
def two_factor_qr():
    """The QR code of the account's own key being set up (never of a confirmed one: 404 then)."""
    user = current_user._get_current_object()
    secret = two_factor.pending_secret(user)
    if secret is None:
        abort(404)
    return Response(two_factor.qr_svg(two_factor.provisioning_uri(user, secret)), mimetype="image/svg+xml")


@bp.route("/account/two-factor/confirm", methods=["POST"])
@staff_only
@limiter.limit(_two_factor_limit, methods=["POST"], key_func=_own_two_factor_key, deduct_when=_code_refused)
def two_factor_confirm():
    """Turn the second factor on with the app's first code; show the recovery codes, once."""
    form = ConfirmTwoFactorForm()
    if not form.validate_on_submit():
        return _two_factor_page(confirm_form=form)
    try:
        codes = two_factor.confirm_enrolment(current_user._get_current_object(), form.password.data,
                                             form.code.data)
    except accounts.WrongPassword as exc:
        db.session.rollback()
        g.two_factor_refused = True
        form.password.errors.append(str(exc))
        return _two_factor_page(confirm_form=form)
    except two_factor.TwoFactorError as exc:
        db.session.rollback()
        g.two_factor_refused = isinstance(exc, two_factor.WrongCode)
        form.code.errors.append(str(exc))
        return _two_factor_page(confirm_form=form)
    db.session.commit()
    login_user(current_user._get_current_object())  # this session goes on (with a code given); the others end
    return render_template("users/two_factor_codes.html", codes=codes)


@bp.route("/account/two-factor/disable", methods=["POST"])
@staff_only
@limiter.limit(_two_factor_limit, methods=["POST"], key_func=_own_two_factor_key, deduct_when=_code_refused)
def two_factor_disable():
    """Turn the own second factor off (roles that require it cannot), giving the password and a code."""
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor.disable(current_user._get_current_object(), form.password.data, form.code.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            wrong_password = isinstance(exc, accounts.WrongPassword)
            g.two_factor_refused = wrong_password or isinstance(exc, two_factor.WrongCode)
            (form.password if wrong_password else form.code).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Two-factor authentication is off."), "success")
            return redirect(url_for(".two_factor"))
    return _two_factor_page(disable_form=form)
