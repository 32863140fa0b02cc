"""The demo's open round: drawn from the demo pool, invitations in the console outbox with working links."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Campaign, Department, LinkMode, QuestionnaireVersion, VersionStatus
from app.services import draws, rounds, sending

DEMO_TITLE = "营商环境“背靠背”月度评价（演示）"


def seed_open_round(base_url: str = "http://127.0.0.1:5000") -> Campaign | None:
    """Create, draw and send this month's demo round once; later runs leave it alone."""
    if db.session.scalar(select(Campaign).where(Campaign.title == DEMO_TITLE)) is not None:
        return None
    today = date.today()
    campaign = Campaign(month=today.strftime("%Y-%m"), title=DEMO_TITLE, sample_size=500, minimum_per_stratum=30)
    db.session.add(campaign)
    db.session.flush()
    version = db.session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.status == VersionStatus.published).order_by(QuestionnaireVersion.id)).first()
    departments = list(db.session.scalars(Department.ordered().where(Department.active.is_(True))))
    text = (f"【市营商环境办】${{name}}您好，您被随机选为本月政务服务评价人，请于${{deadline}}前点击 "
            f"{base_url}/s/${{token}} 完成评价，评价匿名进行。回复TD退订")
    rounds.configure(campaign, None, version=version, departments=departments, opens_on=today,
                     closes_on=today + timedelta(days=14), link_mode=LinkMode.link, sms_template_code="SMS_DEMO_001",
                     sms_template_text=text, reminder_template_text=text.replace("您被随机选为", "提醒：您被随机选为"),
                     max_reminders=2, reminder_spacing_days=3)
    draw = draws.freeze(campaign, None)
    draws.set_seed(draw, None)
    draws.draw_sample(draw, None)
    sending.start(campaign, None)
    db.session.commit()
    sending.send_queued(campaign.id)
    return campaign
