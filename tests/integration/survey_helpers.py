"""Building an open round with invitations, for the survey tests."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.departments.models import Department
from app.extensions import db
from app.questionnaires.models import QuestionnaireVersion
from app.rounds import draws, invitations, service as rounds
from app.rounds.models import Campaign, CampaignStatus, Invitation, LinkMode
from tests.integration.test_pool_import import csv_bytes, run_import

RATINGS = ("attitude", "efficiency", "policy", "law", "integrity", "overall")


def open_round(make_department, *, members: int = 12, link_mode: LinkMode = LinkMode.link,
               closes_in_days: int = 10, version: QuestionnaireVersion | None = None,
               more_departments: int = 0) -> Campaign:
    """A round with the default questionnaire (or ``version``), three departments (and ``more_departments``),
    every member drawn, status open."""
    rows = [[f"成员{i}", "sme", "城关区", "", f"1370000{i:04d}"] for i in range(members)]
    run_import(csv_bytes(rows))
    departments = [make_department("SCJG", "市市场监督管理局"), make_department("SWJ", "市税务局"),
                   make_department("GAJ", "市公安局")]
    departments += [make_department(f"D{i:02d}", f"第{i:02d}测试局") for i in range(more_departments)]
    campaign = Campaign(month="2026-11", title="十一月营商环境评价", sample_size=members)
    db.session.add(campaign)
    db.session.flush()
    version = version or db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)).first()
    text = "【市营商办】${name}您好，请于${deadline}前完成评价：https://pj.example.gov.cn/s/${token} 回复TD退订" if link_mode == LinkMode.link \
        else "【市营商办】${name}您好，请于${deadline}前登录 https://pj.example.gov.cn/s 输入访问码${code} 回复TD退订"
    rounds.configure(campaign, None, version=version, departments=departments, opens_on=None,
                     closes_on=date.today() + timedelta(days=closes_in_days), link_mode=link_mode,
                     sms_template_code="SMS_0001", sms_template_text=text, reminder_template_text=text,
                     max_reminders=2, reminder_spacing_days=3)
    draw = draws.freeze(campaign, None)
    draws.set_seed(draw, None, "test seed")
    draws.draw_sample(draw, None)
    rounds.move(campaign, CampaignStatus.sending)
    rounds.move(campaign, CampaignStatus.open)
    db.session.commit()
    return campaign


def issue_secrets(campaign: Campaign, kind: str = "link") -> list[tuple[Invitation, str]]:
    """A fresh secret for every invitation of the round, as the SMS job would send."""
    out = []
    for invitation in db.session.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id)
                                         .order_by(Invitation.id)):
        out.append((invitation, invitations.issue(invitation, kind)))
    db.session.commit()
    return out


def department_codes() -> list[str]:
    return list(db.session.scalars(select(Department.code).order_by(Department.sort_order)))
