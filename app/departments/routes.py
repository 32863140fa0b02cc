"""Admin pages for departments: list, add, edit, deactivate, import."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.departments import service
from app.departments.forms import DepartmentForm, ImportForm
from app.departments.models import Department, DepartmentKind
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import bad_request, perform
from app.platform.forms import EmptyForm
from app.platform.roles import Role

bp = Blueprint("departments", __name__)

VIEWERS = (Role.operator, Role.hr, Role.designer, Role.complaints, Role.forum, Role.policy, Role.window, Role.auditor)


@bp.route("/")
@roles_required(*VIEWERS)
def index():
    """All departments, filtered by kind, status and a search text."""
    query = Department.ordered()
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    search = request.args.get("q", "").strip()
    if kind in DepartmentKind.__members__:
        query = query.where(Department.kind == DepartmentKind(kind))
    if status in ("active", "inactive"):
        query = query.where(Department.active.is_(status == "active"))
    if search:
        pattern = f"%{search}%"
        query = query.where(Department.name.ilike(pattern) | Department.code.ilike(pattern))
    departments = db.session.scalars(query).all()
    return render_template("departments/index.html", departments=departments, kind=kind, status=status,
                           search=search, button_form=EmptyForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def create():
    """Add one department."""
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = service.create(form.code.data, form.name.data, form.kind.data,
                                        form.sort_order.data or 0, form.active.data)
        except service.DepartmentError as exc:
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Department %(name)s added.", name=department.name), "success")
            return redirect(url_for(".index"))
    return render_template("departments/edit.html", form=form, department=None)


@bp.route("/<int:department_id>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
def edit(department_id: int):
    """Change a department's code, name, kind, order or status."""
    department = db.get_or_404(Department, department_id)
    form = DepartmentForm(obj=department)
    if request.method == "GET":
        form.kind.data = department.kind.value
    if form.validate_on_submit():
        try:
            service.update(department, form.code.data, form.name.data, form.kind.data,
                           form.sort_order.data or 0, form.active.data)
        except service.DepartmentError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Department %(name)s saved.", name=department.name), "success")
            return redirect(url_for(".index"))
    return render_template("departments/edit.html", form=form, department=department)


@bp.route("/<int:department_id>/active", methods=["POST"])
@roles_required(Role.admin)
def set_active(department_id: int):
    """Deactivate or reactivate a department (a POST button on the list)."""
    department = db.get_or_404(Department, department_id)
    active = request.form.get("active") == "1"
    done = _("%(name)s is now active.", name=department.name) if active \
        else _("%(name)s is now inactive.", name=department.name)
    return perform(EmptyForm(), lambda form: service.set_active(department, active), done=done,
                   back=url_for(".index"), invalid=bad_request)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.admin)
def import_departments():
    """Upload a CSV/XLSX; every row is checked before anything is written."""
    form = ImportForm()
    outcome = None
    if form.validate_on_submit():
        upload = form.file.data
        outcome = service.import_file(upload.filename or "", upload.read())
        if outcome.ok:
            db.session.commit()
            flash(_("Import done: %(added)d added, %(updated)d updated, %(unchanged)d unchanged.",
                    added=outcome.added, updated=outcome.updated, unchanged=outcome.unchanged), "success")
            return redirect(url_for(".index"))
        db.session.rollback()
    return render_template("departments/import.html", form=form, outcome=outcome)
