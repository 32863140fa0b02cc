"""The policy catalogue: policies, their items and the items' versions, from draft to published, expired or repealed.

An item's readable code is ``ZC<policy id, 4 digits>-<n, 2 digits>`` (``ZC0007-03`` is the third item of policy 7):
short enough to type on the command line, stable for the item's life, and it tells which policy an item belongs
to. The platform assigns it; an import may name an existing draft's code to update that draft.

Versions: a draft's content is edited in place (version 1 until it is published). Editing a published item makes
version n+1, which becomes current — published — at once; older versions are never touched, so that match runs,
pushes and notices that point to them keep reading the rules they were decided by. An expired or repealed item is
not edited.

A draft may be incomplete (an import or an officer's work in progress); publishing checks it all
(``publish_problems``), and so does every new version of a published item. Every change records an audit entry in
the caller's transaction.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import asdict, dataclass, field, fields as dataclass_fields
from datetime import date
from decimal import Decimal
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.audit import service as audit
from app.casework.attachments import sniff
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.platform.i18n import translated
from app.platform.tabular import display_name
from app.policy import matching
from app.policy.models import (
    DeliveryMode,
    ItemKind,
    ItemStatus,
    Policy,
    PolicyItem,
    PolicyItemVersion,
    PolicyLevel,
)
from eligibility import industries
from eligibility.benefits import FIXED, KINDS as BENEFIT_KINDS, RATE, TEXT
from eligibility.evaluation import rule_errors
from eligibility.fields import SIZES


class PolicyError(ValueError):
    """A user-facing reason why a change to the catalogue is refused."""


# --------------------------------------------------------------------------- limits and choices

MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_BUDGET = Decimal("99999999999999.99")  # Numeric(16, 2)
MAX_RATE = Decimal("9999.999")  # Numeric(7, 3)
MAX_PROMISED_DAYS = 365
MAX_MATERIALS = 50
MAX_RULES = 50
SECTION_LETTERS = tuple(industries.SECTIONS)  # GB/T 4754-2017 门类, A–T


def industry_sections() -> list[tuple[str, str]]:
    """(letter, "letter name") of the GB/T 4754 sections an item may target."""
    return [(letter, f"{letter} {name}") for letter, name in industries.SECTIONS.items()]


def safe_link(url: str) -> bool:
    """A source link the page may show: http or https, with a host, no spaces."""
    return bool(re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url, flags=re.IGNORECASE))


# --------------------------------------------------------------------------- attachments

ATTACHMENT_TYPES = "PDF, DOC, DOCX, OFD, PNG, JPEG"


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    content_type: str


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return {info.filename for info in archive.infolist()[:2000]}
    except (zipfile.BadZipFile, ValueError, OSError):
        return set()


def _sniff_document(data: bytes) -> str | None:
    """The content type from the file's first bytes (never its name): PDF, PNG, JPEG, DOC, DOCX or OFD."""
    known = sniff(data)
    if known is not None:
        return known[0]
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    if data.startswith(b"PK\x03\x04"):
        names = _zip_names(data)
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "OFD.xml" in names:
            return "application/ofd"
    return None


def check_attachment(filename: str, data: bytes) -> Attachment:
    """A policy's document checked before it is stored: not empty, within the size limit, of an allowed type."""
    shown = display_name(filename) or "file"
    limit = current_app.config["POLICY_ATTACHMENT_MAX_BYTES"]
    if not data:
        raise PolicyError(_("%(name)s is empty.", name=shown))
    if len(data) > limit:
        raise PolicyError(_("%(name)s is larger than %(mb)d MB.", name=shown, mb=limit // (1024 * 1024)))
    content_type = _sniff_document(data)
    if content_type is None:
        raise PolicyError(_("%(name)s is not one of the allowed types (%(types)s).", name=shown,
                            types=ATTACHMENT_TYPES))
    return Attachment(shown, data, content_type)


# --------------------------------------------------------------------------- policies

@dataclass
class PolicyFields:
    title: str
    issuer: str
    level: PolicyLevel
    doc_number: str = ""
    issued_on: date | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    source_url: str = ""
    full_text: str = ""


def _check_policy(values: PolicyFields) -> None:
    if not values.title.strip():
        raise PolicyError(_("A policy needs a title."))
    if not values.issuer.strip():
        raise PolicyError(_("A policy needs its issuing body."))
    if values.source_url and not safe_link(values.source_url):
        raise PolicyError(_("The source link must start with http:// or https://."))
    if values.valid_from and values.valid_to and values.valid_to < values.valid_from:
        raise PolicyError(_("The policy cannot end before it starts."))


def _policy_changes(policy: Policy, values: PolicyFields) -> list[str]:
    changed = []
    for name, value in asdict(values).items():
        if getattr(policy, name) != value:
            setattr(policy, name, value)
            changed.append(name)
    return changed


def create_policy(values: PolicyFields, attachment: Attachment | None = None, *, actor=None) -> Policy:
    _check_policy(values)
    policy = Policy(**asdict(values))
    if attachment is not None:
        _attach(policy, attachment)
    db.session.add(policy)
    db.session.flush()
    audit.record("policy.create", f"policy:{policy.id}", {"title": policy.title, "level": policy.level.value},
                 actor=actor)
    return policy


def update_policy(policy: Policy, values: PolicyFields, attachment: Attachment | None = None, *,
                  remove_attachment: bool = False, actor=None) -> list[str]:
    """Change a policy's fields (and its document); the names of the fields changed."""
    _check_policy(values)
    changed = _policy_changes(policy, values)
    if attachment is not None:
        _attach(policy, attachment)
        changed.append("attachment")
    elif remove_attachment and policy.attachment_name:
        policy.attachment_name, policy.attachment_type, policy.attachment = "", "", None
        changed.append("attachment")
    if changed:
        audit.record("policy.update", f"policy:{policy.id}", {"changes": changed}, actor=actor)
    return changed


def _attach(policy: Policy, attachment: Attachment) -> None:
    policy.attachment_name = attachment.name
    policy.attachment_type = attachment.content_type
    policy.attachment = attachment.data


def policy_by_reference(text: str) -> Policy | None:
    """A policy by its 文号 (document number), or by its number on the platform (``ZC0007`` or ``7``)."""
    text = text.strip()
    if not text:
        return None
    found = db.session.scalar(select(Policy).where(Policy.doc_number == text).order_by(Policy.id).limit(1))
    if found is not None:
        return found
    match = re.fullmatch(r"(?:ZC)?0*(\d{1,9})", text, flags=re.IGNORECASE)
    return db.session.get(Policy, int(match.group(1))) if match else None


def policy_code(policy: Policy) -> str:
    return f"ZC{policy.id:04d}"


# --------------------------------------------------------------------------- an item's content

@dataclass
class ItemContent:
    """Everything a version holds, as the forms and the import give it."""

    name: str
    kind: ItemKind
    department_id: int | None
    mode: DeliveryMode
    benefit_kind: str = TEXT
    amount: Decimal | None = None
    rate: Decimal | None = None
    rate_base: str = ""
    cap: Decimal | None = None
    benefit_text: str = ""
    budget: Decimal | None = None
    materials: list[str] = field(default_factory=list)
    promised_days: int = 20
    rules: list[dict[str, str]] = field(default_factory=list)
    reviews: list[dict[str, str]] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    summary: str = ""


CONTENT_FIELDS = tuple(f.name for f in dataclass_fields(ItemContent))


def content_of(version: PolicyItemVersion) -> ItemContent:
    return ItemContent(**{name: getattr(version, name) for name in CONTENT_FIELDS})


def rule_problems(rules: list[dict[str, str]]) -> dict[int, list[str]]:
    """The errors of each rule's expression (translated), by the rule's index; empty when every rule is valid."""
    found: dict[int, list[str]] = {}
    for index, rule in enumerate(rules):
        expression = (rule.get("expression") or "").strip()
        if not expression:
            found[index] = [_("The rule has no expression.")]
            continue
        errors = [translated(e) for e in rule_errors(expression)]
        if not (rule.get("label") or "").strip():
            errors.append(_("The rule needs a label in plain words."))
        if errors:
            found[index] = errors
    return found


def _check_saveable(content: ItemContent) -> None:
    """What any version must satisfy, draft or not: it fits its columns and names things that exist."""
    if not content.name.strip():
        raise PolicyError(_("An item needs a name."))
    if len(content.name) > 200:
        raise PolicyError(_("The item's name is longer than %(limit)d characters.", limit=200))
    if content.department_id is None or db.session.get(Department, content.department_id) is None:
        raise PolicyError(_("Choose the responsible department."))
    if content.benefit_kind not in BENEFIT_KINDS:
        raise PolicyError(_("Unknown kind of benefit."))
    for value, limit in ((content.amount, MAX_AMOUNT), (content.cap, MAX_AMOUNT), (content.budget, MAX_BUDGET),
                         (content.rate, MAX_RATE)):
        if value is not None and not (0 <= value <= limit):
            raise PolicyError(_("Amounts, rates and caps are between 0 and %(limit)s.", limit=limit))
    if not 0 <= content.promised_days <= MAX_PROMISED_DAYS:
        raise PolicyError(_("The promised time is between 1 and %(limit)d working days.", limit=MAX_PROMISED_DAYS))
    if len(content.materials) > MAX_MATERIALS or len(content.rules) + len(content.reviews) > MAX_RULES:
        raise PolicyError(_("Too many materials or conditions."))
    if any(size not in SIZES for size in content.sizes):
        raise PolicyError(_("Unknown enterprise size."))
    if any(section not in SECTION_LETTERS for section in content.industries):
        raise PolicyError(_("Unknown industry section."))


def publish_problems(content: ItemContent) -> list[str]:
    """Why this content cannot be published (or become a published item's new version); empty when it can."""
    problems: list[str] = []
    if content.department_id is None:
        problems.append(_("Choose the responsible department."))
    for index, errors in rule_problems(content.rules).items():
        label = (content.rules[index].get("label") or content.rules[index].get("expression") or "").strip()
        for error in errors:
            problems.append(_("Condition %(n)d (%(label)s): %(error)s", n=index + 1, label=label, error=error))
    for index, review in enumerate(content.reviews):
        if not (review.get("label") or "").strip():
            problems.append(_("Review condition %(n)d has no text.", n=index + 1))
    if content.promised_days < 1:
        problems.append(_("The promised time must be at least 1 working day."))
    if content.benefit_kind == FIXED and content.amount is None:
        problems.append(_("A fixed benefit needs its amount."))
    elif content.benefit_kind == RATE and (content.rate is None or not content.rate_base or content.cap is None):
        problems.append(_("A rate needs the rate, the figure it applies to and the cap."))
    elif content.benefit_kind == TEXT and not content.benefit_text.strip():
        problems.append(_("Describe what the enterprise gets."))
    return problems


def _normalised(content: ItemContent) -> ItemContent:
    content.name = content.name.strip()
    content.materials = [m.strip() for m in content.materials if m.strip()]
    content.rules = [{"expression": (r.get("expression") or "").strip(), "label": (r.get("label") or "").strip(),
                      "legal_ref": (r.get("legal_ref") or "").strip()} for r in content.rules]
    content.reviews = [{"label": (r.get("label") or "").strip(), "legal_ref": (r.get("legal_ref") or "").strip()}
                       for r in content.reviews]
    if content.benefit_kind != FIXED:
        content.amount = None
    if content.benefit_kind != RATE:
        content.rate, content.rate_base, content.cap = None, "", None
    return content


def _write(version: PolicyItemVersion, content: ItemContent) -> list[str]:
    changed = []
    for name in CONTENT_FIELDS:
        value = getattr(content, name)
        if getattr(version, name) != value:
            setattr(version, name, value)
            changed.append(name)
    return changed


# --------------------------------------------------------------------------- items

def new_code(policy: Policy) -> str:
    """The next free code of the policy's items: ZC0007-01, ZC0007-02, …"""
    prefix = f"{policy_code(policy)}-"
    taken = db.session.scalars(select(PolicyItem.code).where(PolicyItem.code.startswith(prefix))).all()
    numbers = [int(code[len(prefix):]) for code in taken if code[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def create_item(policy: Policy, content: ItemContent, *, actor=None) -> PolicyItem:
    """A new draft item of ``policy`` with its first version."""
    content = _normalised(content)
    _check_saveable(content)
    item = PolicyItem(policy=policy, code=new_code(policy), status=ItemStatus.draft, status_changed_at=utcnow())
    version = PolicyItemVersion(item=item, number=1, created_by_id=actor.id if actor is not None else None,
                                **asdict(content))
    db.session.add_all([item, version])
    db.session.flush()
    item.current = version
    db.session.flush()
    audit.record("policy.item.create", f"policy_item:{item.code}", {"name": content.name}, actor=actor)
    return item


def edit_item(item: PolicyItem, content: ItemContent, *, actor=None) -> PolicyItemVersion:
    """A draft's version is changed in place; a published item gets the next version, current at once."""
    content = _normalised(content)
    _check_saveable(content)
    current = item.current
    if item.status == ItemStatus.draft:
        changed = _write(current, content)
        if changed:
            audit.record("policy.item.edit", f"policy_item:{item.code}", {"changes": changed,
                                                                          "version": current.number}, actor=actor)
        return current
    if item.status != ItemStatus.published:
        raise PolicyError(_("An expired or repealed item is not edited."))
    problems = publish_problems(content)
    if problems:
        raise PolicyError(" ".join(problems))
    if content_of(current) == content:
        return current
    changed = [name for name in CONTENT_FIELDS if getattr(current, name) != getattr(content, name)]
    number = max(v.number for v in item.versions) + 1
    version = PolicyItemVersion(item=item, number=number, created_by_id=actor.id if actor is not None else None,
                                published_at=utcnow(), **asdict(content))
    db.session.add(version)
    db.session.flush()
    item.current = version
    audit.record("policy.item.version", f"policy_item:{item.code}", {"version": number, "changes": changed},
                 actor=actor)
    matching.run(version, actor=actor)  # a new version is published: who it fits is known at once
    return version


def publish(item: PolicyItem, *, actor=None, today: date | None = None) -> None:
    if item.status != ItemStatus.draft:
        raise PolicyError(_("Only a draft is published."))
    today = today or local_today()
    valid_to = item.policy.valid_to
    if valid_to is not None and valid_to < today:
        raise PolicyError(_("The policy's validity ended on %(day)s: its items are not published.",
                            day=valid_to.isoformat()))
    problems = publish_problems(content_of(item.current))
    if problems:
        raise PolicyError(" ".join(problems))
    item.status, item.status_changed_at = ItemStatus.published, utcnow()
    item.current.published_at = utcnow()
    audit.record("policy.item.publish", f"policy_item:{item.code}", {"version": item.current.number}, actor=actor)
    matching.run(item.current, actor=actor, today=today)  # on publishing, the item is matched against every profile


def expire(item: PolicyItem, *, actor=None) -> None:
    if item.status != ItemStatus.published:
        raise PolicyError(_("Only a published item expires."))
    item.status, item.status_changed_at = ItemStatus.expired, utcnow()
    audit.record("policy.item.expire", f"policy_item:{item.code}", {"version": item.current.number}, actor=actor)


def repeal(item: PolicyItem, reason: str, *, actor=None) -> None:
    reason = reason.strip()
    if not reason:
        raise PolicyError(_("Give the reason for repealing the item."))
    if item.status not in (ItemStatus.draft, ItemStatus.published):
        raise PolicyError(_("The item is already expired or repealed."))
    item.status, item.status_changed_at = ItemStatus.repealed, utcnow()
    audit.record("policy.item.repeal", f"policy_item:{item.code}", {"reason": reason[:500]}, actor=actor)


def expire_due(today: date, *, actor=None) -> list[PolicyItem]:
    """Expire every published item whose policy's validity ended before ``today`` (the daily job, the CLI)."""
    due = list(db.session.scalars(
        select(PolicyItem).join(Policy).where(PolicyItem.status == ItemStatus.published, Policy.valid_to.is_not(None),
                                              Policy.valid_to < today).order_by(PolicyItem.code)))
    for item in due:
        expire(item, actor=actor)
    return due


def shown_status(item: PolicyItem, today: date) -> ItemStatus:
    """The status a reader is told: a published item whose policy's validity has ended reads as expired even
    before ``expire_due`` has run."""
    if item.status == ItemStatus.published and item.policy.valid_to is not None and item.policy.valid_to < today:
        return ItemStatus.expired
    return item.status


def catalogue_query(*, status: str = "", kind: str = "", department_id: int | None = None):
    """The policies (newest first) and, for each, its items passing the filters: the catalogue page."""
    items = select(PolicyItem).join(PolicyItemVersion, PolicyItem.current_version_id == PolicyItemVersion.id)
    if status:
        items = items.where(PolicyItem.status == ItemStatus(status))
    if kind:
        items = items.where(PolicyItemVersion.kind == ItemKind(kind))
    if department_id:
        items = items.where(PolicyItemVersion.department_id == department_id)
    return items.order_by(PolicyItem.code)
