"""The policy application as a kind of case: what it tells the casework engine (``app.casework.kinds``).

Imported by the window's routes, so that the engine knows the kind whenever the app runs.
"""
from __future__ import annotations

from flask_babel import gettext as _

from app.casework import kinds
from app.casework.models import CaseKind
from app.platform.phones import current_vault
from app.platform.roles import Role
from app.policy_window import notify as news
from app.policy_window.models import PolicyCase


def identity(case: PolicyCase) -> dict:
    """The enterprise as the window and the departments see it (an application is never anonymous)."""
    profile = case.profile
    fields = {_("Enterprise"): profile.name, _("Unified social credit code"): profile.uscc}
    if profile.contact_name:
        fields[_("Contact")] = profile.contact_name
    if case.phone_masked:
        fields[_("Mobile phone")] = case.phone_masked
    return fields


def phone(case: PolicyCase) -> str | None:
    """The number the application's messages go to (E.164), if any."""
    return current_vault().open(case.phone) if case.phone else None


def notify(case: PolicyCase, what: str) -> None:
    """A department's progress update (``progress``) reaches the enterprise by SMS."""
    if what in news.NEWS:
        news.tell(case, what)


kinds.register(kinds.Kind(kind=CaseKind.policy, organiser_role=Role.window, raised_template="policy_window/_raised.html",
                          organiser_endpoint="policy_window.case", file_endpoint="policy_window.attachment",
                          notify=notify, identity=identity, phone=phone,
                          answer_template="policy_window/decision/_answer.html"))
