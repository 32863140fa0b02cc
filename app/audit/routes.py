"""The auditor's page: the audit log newest first with filters, the chain check, and the CSV export.

The log itself is written by app/audit/service.py; nothing here changes an
entry. Verifying and exporting are themselves recorded, so that the log shows
who looked at it in bulk.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import Select, select

from app.audit import labels, service as audit
from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.access import roles_required
from app.platform.calendar import local_time, period_bounds
from app.platform.dates import filter_date
from app.platform.exports import csv_bytes, download
from app.platform.forms import EmptyForm
from app.platform.roles import Role

bp = Blueprint("audit", __name__)
bp.add_app_template_global(labels.actor_label, "audit_actor")
bp.add_app_template_global(labels.action_label, "audit_action")
bp.add_app_template_global(labels.target_label, "audit_target")
bp.add_app_template_global(labels.details_label, "audit_details")

PER_PAGE = 50
# The export's columns that carry an entry as its hash covers it (see export()): names a checking script reads.
RAW_COLUMNS = ["at_utc", "actor_name", "action", "target", "details", "prev_hash", "entry_hash"]
CHAIN_REASONS = {  # verify_chain's reasons, in the reader's language
    "previous hash does not match the entry before it": lambda: _(
        "Its previous-entry hash does not match the entry before it: an entry was removed, inserted or reordered."),
    "content does not match its hash": lambda: _(
        "Its content does not match its hash: the entry was changed after it was written."),
}


@dataclass
class Filters:
    """The page's filters as typed; ``errors`` names the ones that could not be read."""

    action: str = ""
    actor: str = ""
    target: str = ""
    start: str = ""
    end: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        return cls(**{name: (args.get(name) or "").strip()[:128] for name in ("action", "actor", "target", "start",
                                                                              "end")})

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    def query(self, errors: list[str]) -> Select:
        """The matching entries, newest first; an unreadable date is reported in ``errors`` and ignored."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc())
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.actor:
            query = query.where(AuditEntry.actor_name.icontains(self.actor, autoescape=True))
        if self.target:
            query = query.where(AuditEntry.target.icontains(self.target, autoescape=True))
        start, end = self._date(self.start, _("Start date"), errors), self._date(self.end, _("End date"), errors)
        if start is not None:
            query = query.where(AuditEntry.at >= period_bounds(start, start)[0])
        if end is not None:
            query = query.where(AuditEntry.at < period_bounds(end, end)[1])
        return query

    @staticmethod
    def _date(text: str, label: str, errors: list[str]) -> date | None:
        """An unreadable or absurd date (9999-12-31 overflowed the day's bounds into a 500) is said and ignored."""
        return filter_date(text, label, errors)


def _actions() -> list[tuple[str, str]]:
    """(code, label) of every action the log holds, by label."""
    codes = db.session.scalars(select(AuditEntry.action).distinct())
    return sorted(((code, labels.action_label(code)) for code in codes), key=lambda pair: pair[1])


def _page(filters: Filters, report=None, reason: str = ""):
    errors: list[str] = []
    page = db.paginate(filters.query(errors), per_page=PER_PAGE, error_out=False)
    return render_template("audit/index.html", page=page, filters=filters, actions=_actions(), errors=errors,
                           report=report, reason=reason, verify_form=EmptyForm())


@bp.route("/")
@roles_required(Role.auditor)
def index():
    """The audit log, newest first, 50 a page, filtered by action, actor, target and local dates."""
    return _page(Filters.from_args(request.args))


@bp.route("/verify", methods=["POST"])
@roles_required(Role.auditor)
def verify():
    """Walk the whole hash chain and show the outcome: entries checked, and the first broken one if any."""
    if not EmptyForm().validate_on_submit():
        return _page(Filters()), 400
    report = audit.verify_chain()
    audit.record("audit.verify", "audit_log", {"checked": report.checked, "ok": report.ok,
                                               "broken_id": report.broken_id})
    db.session.commit()
    reason = CHAIN_REASONS[report.reason]() if report.reason in CHAIN_REASONS else report.reason
    return _page(Filters(), report=report, reason=reason)


@bp.route("/export.csv")
@roles_required(Role.auditor)
def export():
    """The filtered entries as CSV (oldest first, full hashes, so that the chain can be checked outside)."""
    filters = Filters.from_args(request.args)
    query = filters.query([]).order_by(None).order_by(AuditEntry.id)
    # The raw columns (the UTC timestamp in ISO 8601, the action and target codes, the details as JSON, the
    # hashes) are exactly what each entry's hash covers, so that the chain can be recomputed outside; the local
    # time and the action's name come first, for people.
    rows: list[list] = [[_("No."), _("Time"), _("Actor"), _("Action"), *RAW_COLUMNS]]
    for entry in db.session.scalars(query.execution_options(yield_per=1000)):
        rows.append([entry.id, local_time(entry.at, seconds=True),
                     labels.actor_label(entry.actor_name, entry.actor_id), labels.action_label(entry.action),
                     entry.at.isoformat(timespec="microseconds"), entry.actor_name, entry.action, entry.target,
                     json.dumps(entry.details, ensure_ascii=False, sort_keys=True), entry.prev_hash,
                     entry.entry_hash])
    audit.record("audit.export", "audit_log", {"filters": filters.as_args(), "entries": len(rows) - 1})
    db.session.commit()
    return download(csv_bytes(rows), "audit-log.csv")
