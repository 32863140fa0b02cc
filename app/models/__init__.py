"""All models, imported here so that Alembic and the app see one metadata."""
from app.models.assessment import (
    Assessment, AssessmentFrozen, AssessmentResult, AssessmentScheme, AssessmentStatus, CommentRelease,
    CommentReleaseRecord,
)
from app.models.audit import AuditEntry, AuditLogImmutable
from app.models.complaint import (
    AssignmentStatus, Complaint, ComplaintAssignment, ComplaintAttachment, ComplaintCategory, ComplaintEvent,
    ComplaintStatus, Satisfaction,
)
from app.models.campaign import Campaign, CampaignStatus, LinkMode, Stratification
from app.models.department import Department, DepartmentKind
from app.models.draw import Draw, DrawStatus, FrameMember, Invitation
from app.models.questionnaire import (
    PublishedVersionImmutable, Questionnaire, QuestionnaireVersion, VersionStatus,
)
from app.models.survey import (
    InvitationSubmission, InvitationToken, Response, ResponseAnswer, SealedResponse, SmsDailyCount, SmsOutbox,
    SurveyDraft,
)
from app.models.realtime import (
    FollowUpStatus, FollowUpTask, RealtimeRating, RealtimeSmsCode, ServicePoint, ServicePointKind,
)
from app.models.respondent import MemberStatus, Respondent, RespondentCategory, StagedImport
from app.models.user import Role, User

__all__ = [
    "AuditEntry", "AuditLogImmutable", "Department", "DepartmentKind", "MemberStatus", "Respondent",
    "RespondentCategory", "Role", "StagedImport", "User",
    "PublishedVersionImmutable", "Questionnaire", "QuestionnaireVersion", "VersionStatus",
    "Campaign", "CampaignStatus", "Stratification", "Draw", "DrawStatus", "FrameMember", "Invitation", "LinkMode",
    "InvitationSubmission", "InvitationToken", "Response", "ResponseAnswer", "SmsDailyCount", "SmsOutbox",
    "SurveyDraft",
    "FollowUpStatus", "FollowUpTask", "RealtimeRating", "RealtimeSmsCode", "ServicePoint", "ServicePointKind",
    "AssignmentStatus", "Complaint", "ComplaintAssignment", "ComplaintAttachment", "ComplaintCategory",
    "ComplaintEvent", "ComplaintStatus", "Satisfaction",
    "Assessment", "AssessmentFrozen", "AssessmentResult", "AssessmentScheme", "AssessmentStatus", "CommentRelease",
    "CommentReleaseRecord",
]
