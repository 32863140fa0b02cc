"""All models, imported here so that Alembic and the app see one metadata."""
from app.models.audit import AuditEntry, AuditLogImmutable
from app.models.department import Department, DepartmentKind
from app.models.respondent import MemberStatus, Respondent, RespondentCategory, StagedImport
from app.models.user import Role, User

__all__ = [
    "AuditEntry", "AuditLogImmutable", "Department", "DepartmentKind", "MemberStatus", "Respondent",
    "RespondentCategory", "Role", "StagedImport", "User",
]
