"""The staff roles: what the access rules (``app.platform.access``) are written in."""
from __future__ import annotations

import enum


class Role(str, enum.Enum):
    """What a staff account may do; see app/platform/access.py for the rules per page."""

    admin = "admin"
    designer = "designer"
    operator = "operator"
    hr = "hr"
    liaison = "liaison"
    complaints = "complaints"
    forum = "forum"  # the entrepreneurs' forum organisers (the chair's office)
    policy = "policy"  # the policy officer (政策专员): the catalogue, profiles, matching and push
    window = "window"  # policy window staff (政策兑现窗口): consultations and applications of their window
    auditor = "auditor"
