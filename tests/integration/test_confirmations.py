"""What cannot be undone or costs money is confirmed: the box names the count and the consequence, and the server
does nothing while it is unticked (whatever the browser did). The dialog that replaces the box with JavaScript is
tested in Chromium (tests/e2e/test_e2e_operator.py)."""
import html

from sqlalchemy import func, select

from app.assessment.models import Assessment
from app.extensions import db
from app.questionnaires.models import QuestionnaireVersion, VersionStatus
from app.rounds.models import Campaign, CampaignStatus, Invitation
from app.sms.models import SmsOutbox
from tests.integration.survey_helpers import open_round
from tests.integration.test_assessment import closed_round, test_scheme  # noqa: F401  (a fixture and a helper)
from tests.integration.test_rounds import drawn_round, operator_client  # noqa: F401  (a fixture)

REFUSED = "请先勾选说明后果的确认框：本次操作未执行。"


def page(client, path: str) -> str:
    return html.unescape(client.get(path).get_data(as_text=True))


def refused(client, path: str, data: dict | None = None) -> str:
    """POST without the box ticked; the page it lands on."""
    response = client.post_form(path, data or {}, follow_redirects=True)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def status(campaign) -> CampaignStatus:
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id).status


def test_sending_the_invitations_names_how_many_and_waits_for_the_box(app, operator_client, make_department):
    campaign = drawn_round(make_department)
    invited = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.campaign_id == campaign.id))
    overview = page(operator_client, f"/admin/rounds/{campaign.id}")
    assert f"将立即向 {invited} 人发送邀请短信（每个号码每天最多 3 条），发出后无法撤回。" in overview
    assert REFUSED in refused(operator_client, f"/admin/rounds/{campaign.id}/send")
    assert status(campaign) == CampaignStatus.drawn
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) == 0
    operator_client.post_form(f"/admin/rounds/{campaign.id}/send", {"confirm": "y"})
    assert status(campaign) == CampaignStatus.open


def test_closing_reminding_and_resuming_wait_for_the_box(app, operator_client, make_department):
    campaign = open_round(make_department)
    overview = page(operator_client, f"/admin/rounds/{campaign.id}")
    invited = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.campaign_id == campaign.id))
    assert f"关闭后所有链接和访问码立即失效，本轮不能重新开放；仍有 {invited} 位受邀者未作答。" in overview
    assert "将立即发出尚未发送的 0 条短信" in overview
    texts = db.session.scalar(select(func.count()).select_from(SmsOutbox))
    for action in ("remind", "resume", "close"):
        assert REFUSED in refused(operator_client, f"/admin/rounds/{campaign.id}/{action}"), action
    assert status(campaign) == CampaignStatus.open
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) == texts
    operator_client.post_form(f"/admin/rounds/{campaign.id}/close", {"confirm": "y"})
    assert status(campaign) == CampaignStatus.closed


def test_a_forged_confirmation_without_its_csrf_token_is_still_refused(app, operator_client, make_department):
    campaign = open_round(make_department)
    response = operator_client.post(f"/admin/rounds/{campaign.id}/close", data={"confirm": "y"})
    assert response.status_code == 400 and status(campaign) == CampaignStatus.open


def test_scoring_and_publishing_results_wait_for_the_box(app, client, make_user, login, closed_round):  # noqa: F811
    campaign, departments, rare = closed_round
    login(make_user("hr"))
    scheme = test_scheme()
    base = f"/admin/assessment/{campaign.id}"
    assert "份答卷计分；本轮此后不能再收答卷。" in page(client, base)
    assert REFUSED in refused(client, f"{base}/score", {"scheme_id": scheme.id})
    assert status(campaign) == CampaignStatus.closed
    client.post_form(f"{base}/score", {"scheme_id": scheme.id, "confirm": "y"})
    assert status(campaign) == CampaignStatus.scored
    ranked = len(departments) + 1
    assert f"{ranked} 个部门的结果将被锁定并向其联络员公开" in page(client, base)
    assert REFUSED in refused(client, f"{base}/publish")
    assert status(campaign) == CampaignStatus.scored
    assert db.session.scalar(select(Assessment.status).where(Assessment.campaign_id == campaign.id)).value == "scored"
    client.post_form(f"{base}/publish", {"confirm": "y"})
    assert status(campaign) == CampaignStatus.published


def test_publishing_or_discarding_a_questionnaire_draft_waits_for_the_box(app, client, make_user, login):
    login(make_user("designer"))
    base = "/admin/questionnaires"
    published = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)).first()
    client.post_form(f"{base}/versions/{published.id}/draft")
    draft = db.session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.status == VersionStatus.draft)).one()
    shown = page(client, f"{base}/versions/{draft.id}")
    assert f"第 {draft.number} 版发布后永远不能修改" in shown and f"草稿第 {draft.number} 版及其中的全部修改将被删除" in shown
    for action in ("publish", "discard"):
        assert REFUSED in refused(client, f"{base}/versions/{draft.id}/{action}"), action
        db.session.expire_all()
        assert db.session.get(QuestionnaireVersion, draft.id).status == VersionStatus.draft
    draft_id = draft.id
    client.post_form(f"{base}/versions/{draft_id}/discard", {"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, draft_id) is None
