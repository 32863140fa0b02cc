"""Issue 24, finding 7: after a round closes, its links say nothing of who answered; their hashes go after the
appeal period, and the round's other records stay."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.maintenance import retention
from app.responses.models import Response
from app.rounds import service as rounds
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationSubmission, InvitationToken, LinkMode
from tests.integration.survey_helpers import issue_secrets, open_round
from tests.integration.test_survey import answer_everything, submit, token_of

VARYING = re.compile(r'(nonce|value|content)="[^"]*"')  # CSP nonces and CSRF tokens differ on every page


def _same_page(response) -> tuple[int, str]:
    return response.status_code, VARYING.sub(r'\1=""', response.get_data(as_text=True))


def _used_and_unused(app, secrets, link_mode: LinkMode = LinkMode.link) -> None:
    """The first invitation answers and submits; the second never does."""
    respondent = app.test_client()
    _open(app, secrets[0][1], link_mode, respondent)
    answer_everything(respondent)
    assert submit(respondent).status_code == 302


def _open(app, secret: str, link_mode: LinkMode, browser=None):
    """The link (or the code typed on /s), by default in a browser that has never been here."""
    browser = browser or app.test_client()
    if link_mode == LinkMode.link:
        return browser.get(f"/s/{secret}")
    page = browser.get("/s").get_data(as_text=True)
    return browser.post("/s", data={"csrf_token": token_of(page), "code": secret})


@pytest.mark.parametrize("link_mode", [LinkMode.link, LinkMode.code])
@pytest.mark.parametrize("how", ["closed", "past its closing day"])
def test_every_link_of_a_closed_round_gets_the_same_page(app, make_department, link_mode, how):
    campaign = open_round(make_department, link_mode=link_mode)
    secrets = issue_secrets(campaign, link_mode.value)
    _used_and_unused(app, secrets, link_mode)
    if how == "closed":
        rounds.close(campaign, None)
    else:  # still "open", but the end of its closing day has passed
        campaign.closes_on = date.today() - timedelta(days=1)
        db.session.commit()
    used, unused = _open(app, secrets[0][1], link_mode), _open(app, secrets[1][1], link_mode)
    assert _same_page(used) == _same_page(unused)
    assert used.status_code == 200 and "评价已结束" in used.get_data(as_text=True)
    assert "已提交" not in used.get_data(as_text=True)


def test_a_used_link_still_thanks_while_the_round_is_open(app, make_department):
    campaign = open_round(make_department)
    secrets = issue_secrets(campaign)
    _used_and_unused(app, secrets)
    assert "已提交，感谢参与" in _open(app, secrets[0][1], LinkMode.link).get_data(as_text=True)


def _records(campaign: Campaign) -> dict:
    db.session.expire_all()
    invitations = db.session.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id)
                                     .order_by(Invitation.id)).all()
    return {
        "invitations": [(i.id, i.respondent_id, i.stratum, i.sms_status, i.opened, i.inclusion_probability)
                        for i in invitations],
        "submissions": db.session.scalar(select(func.count()).select_from(InvitationSubmission)),
        "responses": db.session.scalar(select(func.count()).select_from(Response)
                                       .where(Response.campaign_id == campaign.id)),
        "progress": rounds.progress(campaign),
    }


def _secrets_left() -> int:
    return db.session.scalar(select(func.count()).select_from(InvitationToken))


def test_retention_deletes_a_closed_rounds_secrets_after_the_appeal_period_and_keeps_the_rest(app, make_department):
    campaign = open_round(make_department)
    secrets = issue_secrets(campaign)
    _used_and_unused(app, secrets)
    rounds.close(campaign, None)
    before = _records(campaign)
    assert before["submissions"] == 1 and before["responses"] == 1
    issued = _secrets_left()
    assert issued == len(secrets)
    closing_day = campaign.closes_on
    appeal = app.config["ROUND_APPEAL_DAYS"]

    # Within the appeal period: nothing goes, the links show the closed page.
    counts = retention.purge(today=closing_day + timedelta(days=appeal))
    db.session.commit()
    assert counts.round_secrets == 0 and _secrets_left() == issued
    assert "评价已结束" in _open(app, secrets[0][1], LinkMode.link).get_data(as_text=True)

    # After it: every hash of the round goes (a dry run only counts), everything else stays.
    after_appeal = closing_day + timedelta(days=appeal + 1)
    assert retention.purge(today=after_appeal, dry_run=True).round_secrets == issued
    assert _secrets_left() == issued
    counts = retention.purge(today=after_appeal)
    db.session.commit()
    assert counts.round_secrets == issued and _secrets_left() == 0
    assert _records(campaign) == before
    # Used or not, a link of the round is now an unknown link: the same page for all of them.
    used, unused = _open(app, secrets[0][1], LinkMode.link), _open(app, secrets[1][1], LinkMode.link)
    assert _same_page(used) == _same_page(unused) == _same_page(_open(app, "x" * 22, LinkMode.link))
    assert retention.purge(today=after_appeal).round_secrets == 0  # once is enough


def test_retention_keeps_the_secrets_of_a_round_still_open(app, make_department):
    campaign = open_round(make_department)
    issue_secrets(campaign)
    issued = _secrets_left()
    counts = retention.purge(today=campaign.closes_on + timedelta(days=app.config["ROUND_APPEAL_DAYS"] + 400))
    db.session.commit()
    assert counts.round_secrets == 0 and _secrets_left() == issued
