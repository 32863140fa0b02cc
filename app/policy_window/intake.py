"""One-window intake (一窗受理) up to referral (分类转办): what window staff do with an application.

Staff open an application at the window for an enterprise and a published item (one visit), tick the materials
received and upload their scans (shared with the department), ask for everything still missing **at once**
(一次性告知: the list names every missing item; each request is counted, because each is another trip), take the
missing materials (in person: one more visit), record the declared figures (the eligibility is re-run on them),
accept — which refers the application through the casework engine to the item's responsible department with the
item's promised working days — or record its withdrawal at the enterprise's request.

Every change of stage goes through ``cases.move`` (one history step, one audit entry, no personal data).
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.casework import service as casework
from app.casework.attachments import check_uploads, store
from app.casework.deadlines import due_date
from app.casework.errors import CaseError
from app.casework.models import CaseStatus
from app.departments.models import Department
from app.platform.calendar import local_today
from app.policy.models import DeliveryMode, PolicyItemVersion, PolicyWindow
from app.policy_window import cases, notify
from app.policy_window.labels import stage_label
from app.policy_window.models import Origin, PolicyCase, Stage
from app.profiles.models import EnterpriseProfile

APPLIED_MODES = (DeliveryMode.review, DeliveryMode.instant)
# Stages at which the window still works on the materials.
AT_THE_WINDOW = (Stage.intake, Stage.supplement)
# Withdrawal at the enterprise's request: any open stage before the money is paid.
WITHDRAWABLE = (Stage.draft, Stage.consent, Stage.intake, Stage.supplement, Stage.handling, Stage.review,
                Stage.approved)


def _at(case: PolicyCase, *stages: Stage) -> None:
    if case.stage not in stages:
        raise CaseError(_("This step is not possible while the application is “%(stage)s”.",
                          stage=stage_label(case.stage)))


def _checklist(case: PolicyCase) -> list[str]:
    return [m["name"] for m in case.materials or ()]


def missing(case: PolicyCase) -> list[str]:
    """The checklist's materials not received yet, in the checklist's order."""
    return [m["name"] for m in case.materials or () if not m.get("received")]


def _known(case: PolicyCase, names) -> list[str]:
    """The names cleaned and checked against the checklist (CaseError names the first unknown one)."""
    checklist = _checklist(case)
    out = []
    for name in names or ():
        name = (name or "").strip()
        if not name:
            continue
        if name not in checklist:
            raise CaseError(_("“%(name)s” is not on this item's materials checklist.", name=name))
        if name not in out:
            out.append(name)
    return out


def _tick(case: PolicyCase, names: list[str]) -> list[str]:
    """Mark ``names`` received; returns those that were not received before."""
    new = []
    materials = []
    for entry in case.materials or ():
        entry = dict(entry)
        if entry["name"] in names and not entry.get("received"):
            entry["received"] = True
            new.append(entry["name"])
        materials.append(entry)
    case.materials = materials  # a new list, so that the JSON column is written
    return new


def _store_scans(case: PolicyCase, files: list[tuple[str, bytes]], actor) -> int:
    """Check every file first, then keep them, shared with the departments (scans of materials are for them)."""
    uploads = check_uploads(files or [])
    for upload in uploads:
        store(case, upload, actor=actor).shared = True
    return len(uploads)


def start_at_window(version: PolicyItemVersion, profile: EnterpriseProfile, window: PolicyWindow, actor,
                    declared: dict[str, Any] | None = None) -> PolicyCase:
    """An application opened by window staff for an enterprise at the window (the enterprise came once)."""
    if version.mode == DeliveryMode.automatic:
        raise CaseError(_("“%(item)s” is granted without application (免申即享): the enterprise is offered it "
                          "from the item's batch, not at the window.", item=version.name))
    if version.mode not in APPLIED_MODES:
        raise CaseError(_("This item takes no applications."))
    case = cases.open_case(version, profile, window, Origin.window, actor=actor, declared=declared)
    case.visits = 1
    return case


def receive(case: PolicyCase, received_names, files: list[tuple[str, bytes]] | None, actor) -> list[str]:
    """Materials received at the window (ticked on the checklist) and their scans; returns the newly ticked.
    (Once the missing ones are asked for, what comes in is a hand-in: ``hand_in``.)"""
    _at(case, Stage.intake)
    names = _known(case, received_names)
    stored = _store_scans(case, files or [], actor)
    if not names and not stored:
        raise CaseError(_("Tick the materials received or choose the scans to upload."))
    new = _tick(case, names)
    cases.move(case, case.stage, "materials", "、".join(new), public=False, actor=actor,
               details={"received": len(new), "files": stored, "missing": len(missing(case))})
    return new


def request_supplement(case: PolicyCase, missing_names, note: str, actor) -> None:
    """一次性告知: ask for every missing material at once; the request is counted and the enterprise told by SMS."""
    _at(case, *AT_THE_WINDOW)
    names = _known(case, missing_names)
    still_missing = missing(case)
    if not still_missing:
        raise CaseError(_("Every material has been received: nothing to ask for."))
    received = [name for name in names if name not in still_missing]
    if received:
        raise CaseError(_("“%(name)s” has been received already.", name=received[0]))
    left_out = [name for name in still_missing if name not in names]
    if left_out:
        raise CaseError(_("List everything missing at once (一次性告知): %(names)s is missing too.",
                          names="、".join(left_out)))
    case.supplement_requests += 1
    case.supplement_list = list(still_missing)
    note = (note or "").strip()
    text = _("Missing: %(names)s", names="、".join(still_missing)) + (f"\n{note}" if note else "")
    cases.move(case, Stage.supplement, "supplement", text, actor=actor,
               details={"missing": len(still_missing), "requests": case.supplement_requests})
    notify.tell(case, "supplement")


def hand_in(case: PolicyCase, names, files: list[tuple[str, bytes]] | None, in_person: bool, actor) -> list[str]:
    """Missing materials handed in (at the window: one more visit; online: none); back at the window once the
    requested list is complete. Returns the names newly received."""
    _at(case, Stage.supplement)
    names = _known(case, names)
    stored = _store_scans(case, files or [], actor)
    if not names and not stored:
        raise CaseError(_("Tick the materials handed in or choose the scans to upload."))
    new = _tick(case, names)
    if in_person:
        case.visits += 1
    still = missing(case)
    open_list = [name for name in case.supplement_list or () if name in still]
    case.supplement_list = open_list
    stage = Stage.supplement if open_list else Stage.intake
    cases.move(case, stage, "supplemented", "、".join(new), actor=actor,
               details={"received": len(new), "files": stored, "in_person": bool(in_person),
                        "missing": len(open_list)})
    return new


def declare(case: PolicyCase, figures: dict[str, Any], actor) -> None:
    """The figures the enterprise declared; the eligibility is re-run on them and kept with its trace."""
    _at(case, *AT_THE_WINDOW)
    case.declared = cases.clean_declared(figures)
    before = case.eligibility
    cases.check_eligibility(case)
    cases.move(case, case.stage, "declared", public=False, actor=actor,
               details={"fields": sorted(case.declared), "before": before, "eligibility": case.eligibility})


def accept(case: PolicyCase, actor, co_departments: list[Department] | tuple = (), instructions: str = "") -> None:
    """受理 and 转办: with every material received, the application goes to the item's responsible department
    (lead) and any co-departments, due in the item's promised working days; the enterprise is told by SMS."""
    _at(case, Stage.intake)
    if missing(case):
        raise CaseError(_("Materials are missing (%(names)s): ask for them at once before accepting.",
                          names="、".join(missing(case))))
    version = case.version
    lead = version.department
    departments = [lead] + [d for d in co_departments if d.id != lead.id]
    if case.status == CaseStatus.submitted:
        casework.accept(case, actor=actor)
    due_on = due_date(local_today(), version.promised_days)
    text = (instructions or "").strip() or _("Decide the application for “%(item)s” within %(days)d working days.",
                                             item=version.name, days=version.promised_days)
    casework.assign(case, departments, due_on=due_on, instructions=text, lead_id=lead.id, actor=actor)
    case.supplement_list = []
    cases.move(case, Stage.handling, "referred", lead.name, actor=actor,
               details={"department": lead.code, "co": [d.code for d in departments[1:]],
                        "due_on": due_on.isoformat(), "visits": case.visits})
    notify.tell(case, "received")


def withdraw(case: PolicyCase, reason: str, actor) -> None:
    """The application withdrawn at the enterprise's request (any open stage before payment): the engine's case
    ends unhandled (pending assignments taken back) and the application is at ``withdrawn``."""
    _at(case, *WITHDRAWABLE)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise CaseError(_("Give the reason."))
    if case.status in (CaseStatus.declined, CaseStatus.closed):
        raise CaseError(_("This application has ended already."))
    if case.payments:
        raise CaseError(_("Money has been paid on this application: it is no longer withdrawn."))
    casework.retract(case, reason, public=False, actor=actor)
    cases.move(case, Stage.withdrawn, "app_withdrawn", reason, actor=actor, details={"reason_given": True})
