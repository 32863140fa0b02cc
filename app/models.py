"""All models, imported here so that Alembic and the app see one metadata."""
from app.accounts.models import User
from app.assessment.models import (
    Assessment,
    AssessmentFrozen,
    AssessmentResult,
    AssessmentScheme,
    AssessmentStatus,
    CommentRelease,
    CommentReleaseRecord,
)
from app.audit.models import AuditEntry, AuditLogImmutable
from app.callbacks.models import (
    CallbackAnswer,
    CallbackCall,
    CallbackCheck,
    CallbackFrameMember,
    CallbackSealedAnswer,
)
from app.casework.models import (
    AssignmentStatus,
    Case,
    CaseAssignment,
    CaseAttachment,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Confirmation,
    Outcome,
    Satisfaction,
)
from app.complaints.models import Complaint, ComplaintCategory
from app.departments.models import Department, DepartmentKind
from app.forum.models import (
    Chair,
    ForumInvitation,
    ForumMeeting,
    ForumProblem,
    InvitationSource,
    MeetingStatus,
    ProblemCategory,
)
from app.platform.roles import Role
from app.policy.models import (
    DeliveryMode,
    InvestmentPromise,
    ItemKind,
    ItemStatus,
    Policy,
    PolicyItem,
    PolicyItemVersion,
    PolicyLevel,
    PolicyMatchResult,
    PolicyMatchRun,
    PolicyNotice,
    PolicyPush,
    PolicyWindow,
    PromiseStatus,
)
from app.profiles.models import EnterpriseProfile
from app.policy_window.models import (
    AutomaticBatch,
    Consultation,
    PolicyCase,
    PolicyPayment,
    PolicySmsCode,
    WindowPost,
)
from app.pool.models import MemberStatus, Respondent, RespondentCategory, StagedImport
from app.questionnaires.models import PublishedVersionImmutable, Questionnaire, QuestionnaireVersion, VersionStatus
from app.realtime.models import (
    FollowUpStatus,
    FollowUpTask,
    RealtimeRating,
    RealtimeSmsCode,
    ServicePoint,
    ServicePointKind,
)
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import (
    Campaign,
    CampaignStatus,
    Draw,
    DrawStatus,
    FrameMember,
    Invitation,
    InvitationSubmission,
    InvitationToken,
    LinkMode,
    Stratification,
    SurveyDraft,
)
from app.sms.models import SmsDailyCount, SmsOutbox

__all__ = [
    "AuditEntry", "AuditLogImmutable", "Department", "DepartmentKind", "MemberStatus", "Respondent",
    "RespondentCategory", "Role", "StagedImport", "User",
    "PublishedVersionImmutable", "Questionnaire", "QuestionnaireVersion", "VersionStatus",
    "Campaign", "CampaignStatus", "Stratification", "Draw", "DrawStatus", "FrameMember", "Invitation", "LinkMode",
    "InvitationSubmission", "InvitationToken", "Response", "ResponseAnswer", "SmsDailyCount", "SmsOutbox",
    "SurveyDraft",
    "FollowUpStatus", "FollowUpTask", "RealtimeRating", "RealtimeSmsCode", "ServicePoint", "ServicePointKind",
    "AssignmentStatus", "Case", "CaseAssignment", "CaseAttachment", "CaseEvent", "CaseKind", "CaseStatus",
    "Confirmation", "Outcome", "Satisfaction", "Complaint", "ComplaintCategory",
    "Chair", "ForumInvitation", "ForumMeeting", "ForumProblem", "InvitationSource", "MeetingStatus", "ProblemCategory",
    "Assessment", "AssessmentFrozen", "AssessmentResult", "AssessmentScheme", "AssessmentStatus", "CommentRelease",
    "CommentReleaseRecord",
    "CallbackAnswer", "CallbackCall", "CallbackCheck", "CallbackFrameMember", "CallbackSealedAnswer",
    "EnterpriseProfile", "DeliveryMode", "InvestmentPromise", "ItemKind", "ItemStatus", "Policy", "PolicyItem",
    "PolicyItemVersion", "PolicyLevel", "PolicyMatchResult", "PolicyMatchRun", "PolicyNotice", "PolicyPush",
    "PolicyWindow", "PromiseStatus",
    "AutomaticBatch", "Consultation", "PolicyCase", "PolicyPayment", "WindowPost",
]
