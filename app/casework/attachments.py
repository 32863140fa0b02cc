"""A case's files: checked whole before anything is stored (count, size, type sniffed from the first bytes),
kept under the attachment folder by a random name, downloaded under the case's number.

The raiser's files may reveal who they are: departments see them only once an organiser shares them. A
department's evidence is shared with the organisers from the start.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_file
from werkzeug.wrappers import Response
from flask_babel import gettext as _
from sqlalchemy import select

from app.audit import service as audit
from app.casework.errors import CaseError
from app.casework.models import AssignmentStatus, Case, CaseAssignment, CaseAttachment, CaseKind
from app.extensions import db
from app.platform.tabular import display_name

# Content sniffing: the file's first bytes decide its type, never its name.
SIGNATURES = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
]


@dataclass(frozen=True)
class Upload:
    """A checked file, ready to be stored."""

    name: str
    data: bytes
    content_type: str
    extension: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's magic bytes, or None for a type that is not allowed."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return None


def check_uploads(files: list[tuple[str, bytes]]) -> list[Upload]:
    """Check every file (count, size, sniffed type) before anything is stored; CaseError names the first problem."""
    config = current_app.config
    files = [(name, data) for name, data in files if name or data]
    if len(files) > config["COMPLAINT_ATTACHMENT_MAX_FILES"]:
        raise CaseError(_("At most %(n)d files can be attached.", n=config["COMPLAINT_ATTACHMENT_MAX_FILES"]))
    checked = []
    for name, data in files:
        shown = display_name(name) or "file"  # stored and shown: no folders, no control characters
        if len(data) > config["COMPLAINT_ATTACHMENT_MAX_BYTES"]:
            raise CaseError(_("%(name)s is larger than %(mb)d MB.", name=shown,
                                    mb=config["COMPLAINT_ATTACHMENT_MAX_BYTES"] // (1024 * 1024)))
        if not data:
            raise CaseError(_("%(name)s is empty.", name=shown))
        kind = sniff(data)
        if kind is None:
            raise CaseError(_("%(name)s is not a PDF, PNG or JPEG file.", name=shown))
        checked.append(Upload(shown, data, *kind))
    return checked


def files_of(field) -> list[tuple[str, bytes]]:
    """(name, content) of each file uploaded in a form's file field, read up to one byte over the limit so that
    an oversize file is detected without reading all of it."""
    limit = current_app.config["COMPLAINT_ATTACHMENT_MAX_BYTES"]
    return [(f.filename or "", f.read(limit + 1)) for f in (field.data or []) if f and (f.filename or "")]


def attachment_dir() -> Path:
    path = Path(current_app.config["COMPLAINT_ATTACHMENT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(case: Case, upload: Upload, assignment: CaseAssignment | None = None, actor=None) -> CaseAttachment:
    """Keep a checked file; a department's evidence (with ``assignment``) is shared at once, a raiser's is not."""
    stored_name = f"{secrets.token_hex(16)}.{upload.extension}"
    (attachment_dir() / stored_name).write_bytes(upload.data)
    attachment = CaseAttachment(
        case=case, assignment=assignment, stored_name=stored_name, original_name=upload.name,
        content_type=upload.content_type, size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(),
        uploaded_by_id=actor.id if actor is not None else None, shared=assignment is not None)
    db.session.add(attachment)
    return attachment


def attachment_path(attachment: CaseAttachment) -> Path:
    return attachment_dir() / attachment.stored_name


def may_download(user, attachment: CaseAttachment, organiser_role) -> bool:
    """Organisers (``organiser_role``) see every file; a liaison sees its own department's evidence and the
    raiser's files shared with it."""
    from app.platform.roles import Role

    if user.has_role(organiser_role):
        return True
    if user.role != Role.liaison or user.department_id is None:
        return False
    assigned = {a.department_id for a in attachment.case.assignments if a.status != AssignmentStatus.withdrawn}
    if user.department_id not in assigned:
        return False
    if attachment.assignment is not None:
        return attachment.assignment.department_id == user.department_id
    return attachment.shared


def share(attachment: CaseAttachment, actor=None) -> None:
    """Let the assigned departments see a raiser's file once an organiser has checked it reveals nobody."""
    attachment.shared = True
    case = attachment.case
    audit.record(f"{case.kind.value}.attachment.share", f"{case.kind.value}:{case.tracking_number}",
                 {"attachment_id": attachment.id}, actor=actor)


def of_kind(attachment_id: int, kind: CaseKind) -> CaseAttachment:
    """A file of a case of ``kind`` (404 for any other kind's: each kind's pages serve only their own files)."""
    return db.one_or_404(select(CaseAttachment).join(CaseAttachment.case)
                         .where(CaseAttachment.id == attachment_id, Case.kind == kind))


def download(user, attachment: CaseAttachment, organiser_role) -> Response:
    """The file as a download named after its case's number, for whoever may read it (403 otherwise); audited."""
    if not may_download(user, attachment, organiser_role):
        abort(403)
    path = attachment_path(attachment)
    if not path.is_file():
        abort(404)
    case = attachment.case
    audit.record(f"{case.kind.value}.attachment.download", f"{case.kind.value}:{case.tracking_number}",
                 {"attachment_id": attachment.id}, actor=user)
    db.session.commit()
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=f"{case.tracking_number}-{attachment.id}.{attachment.stored_name.rsplit('.', 1)[-1]}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
