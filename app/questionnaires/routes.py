"""The questionnaire builder: versions, the draft editor, item pages, preview, publish, diff, import, export."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.departments.models import Department
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import bad_request, perform, unconfirmed
from app.platform.exports import download
from app.platform.forms import ConfirmForm, EmptyForm
from app.platform.i18n import select_locale, translated
from app.platform.roles import Role
from app.questionnaires import service
from app.questionnaires.forms import (
    TEMPLATE_LABELS,
    TYPE_LABELS,
    AddItemForm,
    ImportForm,
    ItemForm,
    NewQuestionnaireForm,
    SettingsForm,
)
from app.questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaire.schema import dimension_labels, format_path
from rules.expressions import ExpressionError

bp = Blueprint("questionnaires", __name__)


def _page_of(version_id: int, anchor: str | None = None) -> str:
    """The page of a version (at an anchor)."""
    return url_for(".version", version_id=version_id, _anchor=anchor)


def _back(version: QuestionnaireVersion, anchor: str | None = None):
    return redirect(_page_of(version.id, anchor))


def _item_path(loc: str) -> str:
    """The JSON path prefix of the item at ``loc`` ("1.3" -> "items[1].items[3]"), to match problems."""
    parts: list = []
    for index in loc.split("."):
        parts += ["items", int(index)]
    return format_path(parts)


def _active_departments() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in db.session.scalars(Department.ordered().where(Department.active.is_(True)))]


# ------------------------------------------------------------------------------ lists

@bp.route("/")
@roles_required(Role.designer)
def index():
    """Every questionnaire with its versions, and the forms to create or import one."""
    questionnaires = db.session.scalars(Questionnaire.ordered()).all()
    return render_template("questionnaires/index.html", questionnaires=questionnaires, button_form=EmptyForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.designer)
def create():
    """The new questionnaire page: a name and the template to start from; creates draft version 1 from it."""
    form = NewQuestionnaireForm()
    if request.method == "GET":
        return render_template("questionnaires/new.html", form=form, templates=TEMPLATE_LABELS)
    return perform(form, lambda form: service.create(form.name.data, template=form.template.data, actor=current_user),
                   done=_("Questionnaire created: version 1 is a draft."), back=url_for(".create"),
                   then=lambda version: _page_of(version.id), refused=service.BuilderError)


@bp.route("/templates/<key>.xlsx")
@roles_required(Role.designer)
def template_xlsform(key: str):
    """Download a template as an XLSForm, to fill in elsewhere and import."""
    try:
        exported = service.export_template(key)
    except service.BuilderError:
        abort(404)
    return download(exported.data, exported.filename, exported.mimetype)


# ------------------------------------------------------------------------------ one version

@bp.route("/versions/<int:version_id>")
@roles_required(Role.designer)
def version(version_id: int):
    """A version: the editor for a draft, a read-only view for a published version."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    problems = service.problems_of(version) if version.is_draft else []
    settings = SettingsForm(formdata=None, data={
        "title_zh": (version.document.get("title") or {}).get("zh", ""),
        "title_en": (version.document.get("title") or {}).get("en", ""),
        "description_zh": (version.document.get("description") or {}).get("zh", ""),
        "description_en": (version.document.get("description") or {}).get("en", ""),
    })
    items = service.item_locations(version.document)
    has_block = any(item.get("type") == "department_block" for _loc, item, _in in items)
    return render_template(
        "questionnaires/version.html", version=version, questionnaire=version.questionnaire,
        versions=service.versions_of(version.questionnaire), items=items, problems=problems,
        type_labels=TYPE_LABELS, add_form=AddItemForm(), settings_form=settings, button_form=EmptyForm(),
        confirm=ConfirmForm(),
        has_block=has_block, dimensions=dimension_labels(version.document, select_locale()),
    )


@bp.route("/versions/<int:version_id>/settings", methods=["POST"])
@roles_required(Role.designer)
def settings(version_id: int):
    """Change a draft's title and description."""
    version = db.get_or_404(QuestionnaireVersion, version_id)

    def save(form: SettingsForm):
        service.update_settings(version, {"zh": form.title_zh.data, "en": form.title_en.data},
                                {"zh": form.description_zh.data, "en": form.description_en.data}, actor=current_user)

    return perform(SettingsForm(), save, done=_("Saved."), back=_page_of(version_id), refused=service.BuilderError)


@bp.route("/versions/<int:version_id>/items", methods=["POST"])
@roles_required(Role.designer)
def add_item(version_id: int):
    """Append a new question (or page) and open it for editing."""
    version = db.get_or_404(QuestionnaireVersion, version_id)

    def add(form: AddItemForm) -> str:
        return service.add_item(version, form.type.data, in_block=form.where.data == "block", actor=current_user)

    return perform(AddItemForm(), add, done=None, back=_page_of(version_id),
                   then=lambda loc: url_for(".edit_item", version_id=version_id, loc=loc),
                   refused=service.BuilderError, invalid=bad_request)


@bp.route("/versions/<int:version_id>/items/<loc>", methods=["GET", "POST"])
@roles_required(Role.designer)
def edit_item(version_id: int, loc: str):
    """Edit one item: texts, condition, scoring and its options or rows."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    try:
        stored = service.get_item(version, loc)
    except service.BuilderError:
        abort(404)
    if not version.is_draft:
        flash(_("Version %(number)d is published and can no longer change; start a new draft from it.",
                number=version.number), "error")
        return _back(version)
    qtype = stored.get("type")
    if qtype not in TYPE_LABELS:
        abort(404)
    if request.method == "GET":
        form = ItemForm(formdata=None, data=ItemForm.data_from_item(stored), qtype=qtype)
    else:
        form = ItemForm(qtype=qtype)
        operation = request.form.get("table_op", "")
        if operation:
            # A button of the options/rows table: rearrange the rows in the form, save nothing yet.
            if not EmptyForm().validate_on_submit():
                abort(400)
            data = form.rearranged(operation)
            if data is None:
                abort(400)
            form = ItemForm(formdata=None, data=data, qtype=qtype)
        elif form.validate_on_submit():
            try:
                problems = service.update_item(version, loc, form.to_item(stored), expected_key=stored.get("key"),
                                               actor=current_user)
            except (service.BuilderError, ExpressionError) as exc:
                db.session.rollback()
                flash(translated(exc), "error")
            else:
                db.session.commit()
                mine = [p for p in problems if p.path.startswith(_item_path(loc))]
                if not mine:
                    flash(_("Saved."), "success")
                    return _back(version, f"item-{loc}")
                flash(_("Saved, but this question still has problems; it must be fixed before publishing."), "error")
                return render_template("questionnaires/item.html", version=version, loc=loc, form=form, qtype=qtype,
                                       type_labels=TYPE_LABELS, item_problems=mine, item_path=_item_path(loc))
    return render_template("questionnaires/item.html", version=version, loc=loc, form=form, qtype=qtype,
                           type_labels=TYPE_LABELS, item_problems=[], item_path=_item_path(loc))


ITEM_ACTIONS = {
    "duplicate": lambda v, loc, key: service.duplicate_item(v, loc, expected_key=key, actor=current_user),
    "delete": lambda v, loc, key: service.delete_item(v, loc, expected_key=key, actor=current_user) and loc,
    "up": lambda v, loc, key: service.move_item(v, loc, "up", expected_key=key, actor=current_user),
    "down": lambda v, loc, key: service.move_item(v, loc, "down", expected_key=key, actor=current_user),
}


@bp.route("/versions/<int:version_id>/items/<loc>/<any(duplicate, delete, up, down):action>", methods=["POST"])
@roles_required(Role.designer)
def item_action(version_id: int, loc: str, action: str):
    """Duplicate, delete, or move an item one place up or down (POST buttons of the editor)."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    deleting = action == "delete"
    return perform(EmptyForm(), lambda form: ITEM_ACTIONS[action](version, loc, request.form.get("key")),
                   done=_("Question %(key)s deleted.", key=request.form.get("key", "")) if deleting else None,
                   back=_page_of(version_id),
                   then=None if deleting else lambda new_loc: _page_of(version_id, f"item-{new_loc}"),
                   refused=service.BuilderError, invalid=bad_request)


@bp.route("/versions/<int:version_id>/items/<loc>/position", methods=["POST"])
@roles_required(Role.designer)
def move_item_to(version_id: int, loc: str):
    """Move an item to a position in its list (drag and drop; answers JSON)."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    position = request.form.get("position", "")
    if not EmptyForm().validate_on_submit() or not position.isdigit():
        return jsonify(error="bad request"), 400
    try:
        new_loc = service.move_item_to(version, loc, int(position), expected_key=request.form.get("key"),
                                       actor=current_user)
    except service.BuilderError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 409
    db.session.commit()
    return jsonify(location=new_loc)


@bp.route("/check-expression", methods=["POST"])
@roles_required(Role.designer)
def check_expression():
    """Validate-as-you-type: the syntax error of a condition, with its position (answers JSON)."""
    if not EmptyForm().validate_on_submit():
        return jsonify(error="bad request"), 400
    text = request.form.get("expression", "")[:1000]
    error = service.check_expression(text)
    if error is not None:
        return jsonify(ok=False, position=error.position + 1, pointer=error.pointer(),
                       message=_("Syntax error at character %(position)d: %(message)s",
                                 position=error.position + 1, message=translated(error)))
    # Where the condition stands (its draft, item and field, sent by the item page): the draft's own check of it.
    version = db.session.get(QuestionnaireVersion, request.form.get("version_id", type=int) or 0)
    problems = service.condition_problems(version, request.form.get("loc", ""), request.form.get("field", ""),
                                          text) if version is not None and version.is_draft else []
    if problems:
        return jsonify(ok=False, problems=problems, message="\n".join(problems), pointer="")
    return jsonify(ok=True)


# ------------------------------------------------------------------------------ life cycle

@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@roles_required(Role.designer)
def publish(version_id: int):
    """Validate and freeze a draft."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return unconfirmed(_page_of(version.id))(form)
    try:
        service.publish(version, actor=current_user)
    except service.DocumentProblems as exc:
        db.session.rollback()
        flash(ngettext_problems(len(exc.problems)), "error")
        return _back(version, "problems")
    except service.BuilderError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(version)
    db.session.commit()
    flash(_("Version %(number)d is published. It can no longer change; rounds can use it now.",
            number=version.number), "success")
    return _back(version)


def ngettext_problems(count: int) -> str:
    from flask_babel import ngettext

    return ngettext("Not published: %(num)d problem to fix first.", "Not published: %(num)d problems to fix first.",
                    count)


@bp.route("/versions/<int:version_id>/draft", methods=["POST"])
@roles_required(Role.designer)
def start_draft(version_id: int):
    """Start a new draft from any version."""
    base = db.get_or_404(QuestionnaireVersion, version_id)
    return perform(EmptyForm(), lambda form: service.start_draft(base, actor=current_user),
                   done=lambda draft: _("Version %(number)d is a new draft, copied from version %(base)d.",
                                        number=draft.number, base=base.number),
                   back=_page_of(version_id), then=lambda draft: _page_of(draft.id), refused=service.BuilderError,
                   invalid=bad_request)


@bp.route("/versions/<int:version_id>/discard", methods=["POST"])
@roles_required(Role.designer)
def discard(version_id: int):
    """Delete a draft."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    return perform(ConfirmForm(), lambda form: service.discard_draft(version, actor=current_user),
                   done=_("The draft was discarded."), back=_page_of(version_id), then=url_for(".index"),
                   refused=service.BuilderError, invalid=unconfirmed(_page_of(version_id)))


# ------------------------------------------------------------------------------ diff (the preview is the respondent's page: survey.preview)

@bp.route("/<int:questionnaire_id>/diff")
@roles_required(Role.designer)
def diff(questionnaire_id: int):
    """The changes between two versions of a questionnaire (default: the newest and the one before)."""
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    versions = service.versions_of(questionnaire)
    by_number = {v.number: v for v in versions}
    new_number = request.args.get("new", type=int) or (versions[0].number if versions else None)
    old_number = request.args.get("old", type=int) or (new_number - 1 if new_number else None)
    old, new = by_number.get(old_number), by_number.get(new_number)
    changes, problems, error = [], [], None
    if old is not None and new is not None:
        try:
            changes = service.diff(old, new)
        except service.DocumentProblems as exc:
            error, problems = str(exc), exc.problems
    return render_template("questionnaires/diff.html", questionnaire=questionnaire, versions=versions, old=old,
                           new=new, changes=changes, problems=problems, error=error)


# ------------------------------------------------------------------------------ import and export

@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.designer)
def import_questionnaire():
    """Upload a native JSON, XLSForm or SurveyJS file; it becomes a draft once it has no problems."""
    form = ImportForm()
    questionnaires = db.session.scalars(Questionnaire.ordered()).all()
    form.questionnaire.choices = [("new", _("a new questionnaire"))] + [
        (str(q.id), _("a new draft of %(name)s", name=q.name)) for q in questionnaires]
    problems, error, dropped = [], None, False
    if form.validate_on_submit():
        upload = form.file.data
        target = None
        if form.questionnaire.data != "new":
            target = db.session.get(Questionnaire, int(form.questionnaire.data))
        try:
            version = service.import_file(upload.filename or "", upload.read(), questionnaire=target,
                                          allow_drops=form.allow_drops.data, actor=current_user)
        except service.DocumentProblems as exc:
            db.session.rollback()
            error, problems = str(exc), exc.problems
            dropped = isinstance(exc, service.DropsUnconfirmed)
        except service.BuilderError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Imported as draft version %(number)d.", number=version.number), "success")
            return _back(version)
    # ``translate`` renders the reasons of left-out parts, which the pure importers give as templates.
    return render_template("questionnaires/import.html", form=form, problems=problems, error=error,
                           dropped=dropped)


@bp.route("/versions/<int:version_id>/export/<any(json, xlsform, surveyjs):fmt>")
@roles_required(Role.designer)
def export(version_id: int, fmt: str):
    """Download a version as native JSON, XLSForm (.xlsx) or SurveyJS JSON."""
    version = db.get_or_404(QuestionnaireVersion, version_id)
    try:
        exported = service.export(version, fmt, _active_departments() if fmt == "surveyjs" else None)
    except service.BuilderError as exc:
        flash(str(exc), "error")
        return _back(version)
    return download(exported.data, exported.filename, exported.mimetype)
