"""Policy windows (惠企政策兑现专窗): the city's and each county's desk where enterprises apply and ask.

Part 2 assigns applications to windows; the public catalogue shows their addresses, hours and desk phones.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit import service as audit
from app.extensions import db
from app.policy.models import PolicyWindow


class WindowError(ValueError):
    """A user-facing reason why a window cannot be saved."""


@dataclass
class WindowFields:
    name: str
    district: str = ""  # empty: the city's window
    address: str = ""
    hours: str = ""
    phone: str = ""  # the window's public desk number, shown to everybody
    sort_order: int = 0


def windows_query():
    """The city's window first, then the counties' by their order and name."""
    return select(PolicyWindow).order_by(PolicyWindow.district != "", PolicyWindow.sort_order, PolicyWindow.name)


def _check(values: WindowFields, window: PolicyWindow | None = None) -> None:
    if not values.name.strip():
        raise WindowError(_("A window needs a name."))
    same = db.session.scalar(select(PolicyWindow).where(PolicyWindow.name == values.name.strip()))
    if same is not None and same is not window:
        raise WindowError(_("Another window is already called %(name)s.", name=values.name.strip()))


def create(values: WindowFields, *, actor=None) -> PolicyWindow:
    values.name = values.name.strip()
    _check(values)
    window = PolicyWindow(**asdict(values))
    db.session.add(window)
    db.session.flush()
    audit.record("policy.window.create", f"policy_window:{window.id}", {"name": window.name}, actor=actor)
    return window


def update(window: PolicyWindow, values: WindowFields, *, actor=None) -> list[str]:
    values.name = values.name.strip()
    _check(values, window)
    changed = []
    for name, value in asdict(values).items():
        if getattr(window, name) != value:
            setattr(window, name, value)
            changed.append(name)
    if changed:
        audit.record("policy.window.update", f"policy_window:{window.id}", {"changes": changed}, actor=actor)
    return changed
