"""The monthly draw in the application: three recorded steps, exclusion, evidence, verification, void."""
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import sampling
from app.audit.models import AuditEntry
from app.extensions import db
from app.pool import service as pool
from app.pool.models import MemberStatus, Respondent
from app.questionnaires.models import QuestionnaireVersion
from app.rounds.models import Campaign, CampaignStatus, Draw, DrawStatus, FrameMember, Invitation
from tests.integration.test_pool_import import csv_bytes, run_import

ROOT = Path(__file__).resolve().parents[2]
CATEGORY_SIZES = {"四上企业": 30, "中小微市场主体": 70, "办事群众": 60, "营商环境监督员": 15, "两代表一委员": 15,
                  "新闻媒体": 10}


def seed_pool(sizes=CATEGORY_SIZES) -> None:
    rows, n = [], 0
    for category, size in sizes.items():
        for _ in range(size):
            n += 1
            rows.append([f"成员{n}", category, ["城关区", "高新区"][n % 2], "", f"1390000{n:04d}"])
    plan, result = run_import(csv_bytes(rows))
    assert result is not None, plan.errors[:3]


@pytest.fixture
def operator(make_user, login):
    user = make_user("operator")
    login(user)
    return user


def new_round(client, month="2026-11", title="十一月评价") -> Campaign:
    response = client.post_form("/admin/rounds/new", {"month": month, "title": title})
    assert response.status_code == 302
    return db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).first()


def save_plan(client, campaign, **plan):
    data = {"sample_size": "50", "allocation_method": "proportional", "minimum_per_stratum": "5",
            "stratify_by": "category", "exclusion_window": "1"}
    data.update({k: str(v) for k, v in plan.items()})
    return client.post_form(f"/admin/rounds/{campaign.id}/draw/plan", data, follow_redirects=True)


def run_all_steps(client, campaign, seed="福彩3D 2026320期 517"):
    base = f"/admin/rounds/{campaign.id}/draw"
    assert client.post_form(f"{base}/freeze").status_code == 302
    assert client.post_form(f"{base}/seed", {"seed": seed, "action": "typed"}).status_code == 302
    assert client.post_form(f"{base}/run").status_code == 302
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id).current_draw


def flashes(client, campaign) -> str:
    return client.get(f"/admin/rounds/{campaign.id}/draw").get_data(as_text=True)


def test_the_page_shows_the_allocation_before_the_draw_and_it_follows_the_plan(client, operator):
    seed_pool()
    campaign = new_round(client)
    page = save_plan(client, campaign, sample_size=50, minimum_per_stratum=5).get_data(as_text=True)
    # 200 eligible: proportional 50 → large 7.5, sme 17.5, citizen 15, supervisor 3.75, deputy 3.75, media 2.5
    # → minimum 5 fixes supervisor, deputy and media at 5; Hamilton rounding of the rest gives these sizes.
    eligible = {"citizen": 60, "deputy": 15, "large_enterprise": 30, "media": 10, "sme": 70, "supervisor": 15}
    expected = sampling.allocation_plan(eligible, 50, minimum=5)
    for stratum, n_h in expected.items():
        # the stratum by its label (its key only in the tooltip), with its eligible and drawn numbers
        assert re.search(rf'<th scope="row" title="{stratum}">[^<a-z]+</th><td>{eligible[stratum]}</td><td>{n_h}</td>',
                         page), stratum
    assert sum(expected.values()) == 50 and expected["media"] == 5
    preview = client.get(f"/admin/rounds/{campaign.id}/draw/allocation.json?sample_size=32&allocation_method=equal"
                         f"&minimum_per_stratum=0&stratify_by=category&exclusion_window=1").get_json()
    assert [r["drawn"] for r in preview["rows"]] == [6, 6, 5, 5, 5, 5]  # equal: 32 over 6, first strata first
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).sample_size == 50  # the preview saved nothing


def test_three_steps_in_order_create_invitations_with_inclusion_probabilities(client, operator):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=50)
    current = run_all_steps(client, campaign)
    assert current.status == DrawStatus.drawn and current.campaign.status == CampaignStatus.drawn
    invitations = db.session.scalars(select(Invitation).where(Invitation.draw_id == current.id)).all()
    assert len(invitations) == 50 == current.selected_count
    counts = Counter(i.stratum for i in invitations)
    assert dict(counts) == current.allocation
    for invitation in invitations:
        assert invitation.inclusion_probability == pytest.approx(
            current.allocation[invitation.stratum] / current.stratum_sizes[invitation.stratum])
    # the selection is exactly the smallest tickets of the committed frame under the recorded seed
    frame = db.session.execute(select(FrameMember.key, FrameMember.stratum).where(FrameMember.draw_id == current.id))
    keys, strata = zip(*frame)
    assert current.commitment == sampling.commitment(keys, strata)
    expected = sampling.select(keys, strata, current.allocation, current.seed)
    invited_keys = set(db.session.scalars(select(Respondent.key).join(Invitation, Invitation.respondent_id ==
                                                                       Respondent.id)))
    assert invited_keys == set(expected)
    assert db.session.scalar(select(func.sum(Respondent.times_drawn))) == 50
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["draw.freeze", "draw.seed", "draw.draw"]
    assert {e.actor_name for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("draw.%")))} \
        == {operator.username}


def test_steps_out_of_order_are_refused(client, operator):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=50)
    base = f"/admin/rounds/{campaign.id}/draw"
    client.post_form(f"{base}/seed", {"seed": "123", "action": "typed"})
    assert "请先冻结抽样框" in flashes(client, campaign)
    client.post_form(f"{base}/run")
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 0
    client.post_form(f"{base}/freeze")
    client.post_form(f"{base}/run")  # no seed yet
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    client.post_form(f"{base}/freeze")  # twice
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 1
    save_plan(client, campaign, sample_size=10)  # the plan is locked once frozen
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).sample_size == 50
    client.post_form(f"{base}/seed", {"seed": "first", "action": "typed"})
    client.post_form(f"{base}/seed", {"seed": "second, chosen after seeing the first", "action": "typed"})
    db.session.expire_all()
    assert db.session.scalars(select(Draw)).one().seed == "first"
    client.post_form(f"{base}/run")
    client.post_form(f"{base}/run")  # only once
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 50


def test_a_plan_asking_for_more_than_the_frame_is_refused_at_freeze(client, operator):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=500)
    page = client.post_form(f"/admin/rounds/{campaign.id}/draw/freeze", follow_redirects=True).get_data(as_text=True)
    assert "无法满足抽样方案" in page
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 0


def test_generated_seeds_are_random_and_recorded(client, operator):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign)
    client.post_form(f"/admin/rounds/{campaign.id}/draw/freeze")
    client.post_form(f"/admin/rounds/{campaign.id}/draw/seed", {"seed": "", "action": "generate"})
    draw = db.session.scalars(select(Draw)).one()
    assert draw.seed_source == "generated" and len(draw.seed) == 32 and int(draw.seed, 16) >= 0


def test_exclusion_window_and_status_decide_eligibility(client, operator):
    seed_pool()
    first = new_round(client, "2026-10", "十月")
    save_plan(client, first, sample_size=50)
    run_all_steps(client, first)
    drawn_before = set(db.session.scalars(select(Invitation.respondent_id)))
    member = db.session.scalar(select(Respondent).where(Respondent.id.not_in(drawn_before)).limit(1))
    pool.set_status(member, MemberStatus.paused, "出差")
    db.session.commit()

    second = new_round(client, "2026-11", "十一月")
    save_plan(client, second, sample_size=50, exclusion_window=1)
    client.post_form(f"/admin/rounds/{second.id}/draw/freeze")
    frame = set(db.session.scalars(select(FrameMember.respondent_id).join(Draw).where(Draw.campaign_id == second.id)))
    assert len(frame) == 200 - 50 - 1
    assert not frame & drawn_before and member.id not in frame

    third = new_round(client, "2026-12", "十二月")
    save_plan(client, third, sample_size=50, exclusion_window=0)
    client.post_form(f"/admin/rounds/{third.id}/draw/freeze")
    frame = set(db.session.scalars(select(FrameMember.respondent_id).join(Draw).where(Draw.campaign_id == third.id)))
    assert len(frame) == 199 and drawn_before <= frame


def test_category_by_district_strata(client, operator):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=80, minimum_per_stratum=5, stratify_by="category_district")
    current = run_all_steps(client, campaign)
    assert "sme|高新区" in current.stratum_sizes and len(current.stratum_sizes) == 12
    assert sum(current.allocation.values()) == 80 and min(current.allocation.values()) >= 5


def test_strata_too_small_for_anonymity_are_refused(client, operator):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=60, minimum_per_stratum=2, stratify_by="category_district")
    page = client.post_form(f"/admin/rounds/{campaign.id}/draw/freeze", follow_redirects=True).get_data(as_text=True)
    assert "少于 5 人" in page and "media|" in page
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 0


def export(runner, campaign, directory) -> Path:
    result = runner.invoke(args=["draw", "export", campaign.month, str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def verify_tool(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools/verify_draw.py"), str(directory)],
                          capture_output=True, text=True)


def test_export_and_verify_round_trip(client, operator, runner, tmp_path):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=50)
    current = run_all_steps(client, campaign)
    directory = export(runner, campaign, tmp_path / "evidence")
    assert sorted(p.name for p in directory.iterdir()) == [
        "commitment.txt", "frame.csv", "plan.json", "seed.txt", "selected.csv", "voided.json"]
    assert (directory / "seed.txt").read_text(encoding="utf-8").strip() == current.seed
    assert json.loads((directory / "voided.json").read_text(encoding="utf-8")) == []  # never voided
    selected = (directory / "selected.csv").read_text(encoding="utf-8")
    assert hashlib.sha256(selected.encode()).hexdigest() == current.selection_hash
    assert verify_tool(directory).returncode == 0
    result = runner.invoke(args=["draw", "verify", str(campaign.id)])
    assert result.exit_code == 0 and "commitment: match" in result.output and "selection:  match" in result.output
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/admin/rounds/{campaign.id}/draw/evidence.zip").data))
    assert archive.read("draw-2026-11/frame.csv").decode() == (directory / "frame.csv").read_text(encoding="utf-8")


def test_tampered_exports_are_detected_by_the_standalone_verifier(client, operator, runner, tmp_path):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=50)
    run_all_steps(client, campaign)
    directory = export(runner, campaign, tmp_path / "evidence")
    selected = list(csv.reader((directory / "selected.csv").open(encoding="utf-8")))
    frame = list(csv.reader((directory / "frame.csv").open(encoding="utf-8")))
    outsider = next(row for row in frame[1:] if row[0] not in {s[0] for s in selected[1:]} and row[1] == selected[1][1])

    swapped = tmp_path / "swapped"
    export(runner, campaign, swapped)
    rows = [selected[0], [outsider[0]] + selected[1][1:]] + selected[2:]
    with (swapped / "selected.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    assert verify_tool(swapped).returncode == 1

    padded = tmp_path / "padded"
    export(runner, campaign, padded)
    with (padded / "frame.csv").open("a", encoding="utf-8") as handle:
        handle.write("P999999,sme\n")
    assert verify_tool(padded).returncode == 1


def test_tampering_in_the_database_is_detected_by_flask_draw_verify(client, operator, runner):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=50)
    current = run_all_steps(client, campaign)
    # someone swaps an invitation for a friend who was not drawn
    invited = db.session.scalars(select(Invitation).where(Invitation.draw_id == current.id)).first()
    friend = db.session.scalar(select(FrameMember).where(
        FrameMember.draw_id == current.id, FrameMember.stratum == invited.stratum,
        FrameMember.respondent_id.not_in(select(Invitation.respondent_id))).limit(1))
    db.session.execute(update(Invitation).where(Invitation.id == invited.id)
                       .values(respondent_id=friend.respondent_id))
    db.session.commit()
    result = runner.invoke(args=["draw", "verify", campaign.month])
    assert result.exit_code == 1 and "selection:  MISMATCH" in result.output
    assert "不一致" in client.get(f"/admin/rounds/{campaign.id}/draw").get_data(as_text=True)
    # and someone slips a member into the frozen frame
    db.session.execute(update(FrameMember).where(FrameMember.id == friend.id).values(stratum="media"))
    db.session.commit()
    result = runner.invoke(args=["draw", "verify", campaign.month])
    assert "commitment: MISMATCH" in result.output


def test_void_keeps_the_draw_on_record_and_allows_a_new_one(client, operator):
    seed_pool()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=50)
    first = run_all_steps(client, campaign)
    client.post_form(f"/admin/rounds/{campaign.id}/draw/void", {"reason": ""})
    assert db.session.scalar(select(Draw.status).where(Draw.id == first.id)) == DrawStatus.drawn
    client.post_form(f"/admin/rounds/{campaign.id}/draw/void", {"reason": "抽样框漏了高新区新入库的成员"})
    db.session.expire_all()
    voided = db.session.get(Draw, first.id)
    assert voided.status == DrawStatus.voided and len(voided.voided_selection) == 50
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert db.session.scalar(select(func.sum(Respondent.times_drawn))) == 0
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.draft
    second = run_all_steps(client, campaign, seed="another announced number")
    assert second.id != first.id and second.status == DrawStatus.drawn
    page = client.get(f"/admin/rounds/{campaign.id}/draw").get_data(as_text=True)
    assert "抽样框漏了高新区新入库的成员" in page and first.commitment in page
    # The evidence of the new draw shows the sample that was set aside, for anyone to compare.
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/admin/rounds/{campaign.id}/draw/evidence.zip").data))
    voided_entries = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith("voided.json"))))
    assert [(v["commitment"], v["reason"], len(v["selected_keys"])) for v in voided_entries] == [
        (first.commitment, "抽样框漏了高新区新入库的成员", 50)]
    assert voided_entries[0]["seed"] == first.seed


@pytest.mark.parametrize("role,page,post", [("auditor", 200, 403), ("hr", 403, 403), ("liaison", 403, 403),
                                            ("designer", 403, 403)])
def test_who_may_see_and_run_the_draw(app, make_user, login, client, role, page, post):
    campaign = Campaign(month="2026-11", title="t")
    db.session.add(campaign)
    db.session.commit()
    login(make_user(role))
    assert client.get(f"/admin/rounds/{campaign.id}/draw").status_code == page
    assert client.post_form(f"/admin/rounds/{campaign.id}/draw/freeze").status_code == post


def test_neyman_uses_the_spread_of_the_previous_scored_round(client, operator):
    from datetime import date

    from app.responses.models import Response, ResponseAnswer

    seed_pool()
    earlier = Campaign(month="2026-10", title="十月", status=CampaignStatus.published)
    db.session.add(earlier)
    db.session.flush()
    version_id = db.session.scalar(select(func.min(QuestionnaireVersion.id)))
    spread = {"sme": [20, 100, 40, 100, 20, 80], "citizen": [80, 80, 80, 80, 81, 79]}  # sme varies, citizens agree
    for stratum, scores in spread.items():
        for score in scores:
            response = Response(campaign_id=earlier.id, questionnaire_version_id=version_id, stratum=stratum,
                                inclusion_probability=0.25, submitted_on=date(2026, 10, 20))
            response.answers = [ResponseAnswer(question="overall", value=1, score=score)]
            db.session.add(response)
    db.session.commit()
    campaign = new_round(client)
    save_plan(client, campaign, sample_size=60, allocation_method="neyman", minimum_per_stratum=5)
    rows = {r["stratum"]: r["drawn"] for r in client.get(
        f"/admin/rounds/{campaign.id}/draw/allocation.json?sample_size=60&allocation_method=neyman"
        f"&minimum_per_stratum=5&stratify_by=category&exclusion_window=1").get_json()["rows"]}
    proportional = sampling.allocation_plan(
        {"citizen": 60, "deputy": 15, "large_enterprise": 30, "media": 10, "sme": 70, "supervisor": 15}, 60, minimum=5)
    assert sum(rows.values()) == 60
    assert rows["sme"] > proportional["sme"] and rows["citizen"] < proportional["citizen"]


def test_neyman_without_an_earlier_scored_round_says_so(client, operator):
    seed_pool()
    campaign = new_round(client)
    preview = client.get(f"/admin/rounds/{campaign.id}/draw/allocation.json?sample_size=60&allocation_method=neyman"
                         f"&minimum_per_stratum=5&stratify_by=category&exclusion_window=1").get_json()
    assert "奈曼分配需要" in preview["problem"]
