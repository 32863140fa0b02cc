"""The enterprise hears of each step of its application by one SMS with its tracking link (集中反馈).

Steps: ``received`` (受理), ``progress`` (a department's progress update), ``supplement`` (materials missing: the list is on the page), ``decided`` (the reviewed
decision), ``paid`` (money paid or delivery made: please confirm receipt), ``consent`` (免申即享: please confirm),
``answered`` (a question asked online has its answer). Within the daily cap per number; every message audited
without the number.
"""
from __future__ import annotations

from flask import current_app

from app.audit import service as audit
from app.casework import service as casework
from app.platform.phones import current_vault
from app.policy_window import links
from app.policy_window.models import PolicyCase
from app.sms.notify import send_one, within_daily_cap

NEWS = {
    "received": "已受理",
    "supplement": "需补正材料",
    "decided": "已有办理结果",
    "paid": "已兑现，请确认是否到位",
    "consent": "可免申享受，请确认",
    "progress": "有新的办理进展",
}


def tell(case: PolicyCase, step: str) -> bool:
    """Send the enterprise the news of ``step`` on ``case``; True when the gateway accepted it."""
    if not case.phone:
        audit.record("policy.notify", casework.target(case), {"what": step, "sent": False, "phone": False})
        return False
    vault = current_vault()
    number = vault.open(case.phone)
    if not within_daily_cap(vault.lookup_hash(number)):
        audit.record("policy.notify", casework.target(case), {"what": step, "sent": False, "capped": True})
        return False
    config = current_app.config
    sent = send_one(number, kind="policy_case", template_code=config["POLICY_SMS_CASE_TEMPLATE_CODE"],
                    template_text=config["POLICY_SMS_CASE_TEMPLATE_TEXT"],
                    params={"number": case.tracking_number, "news": NEWS[step], "link": links.url(case)},
                    reference=f"policy-case-{case.id}-{step}")
    audit.record("policy.notify", casework.target(case), {"what": step, "sent": sent})
    return sent
