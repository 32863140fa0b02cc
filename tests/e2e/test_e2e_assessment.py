"""HR scores, publishes and downloads a round; a department's liaison sees its own department only."""
from __future__ import annotations

from openpyxl import load_workbook

from app.assessment import scoring
from app.assessment.export import RANKING_HEADER
from app.extensions import db
from app.rounds.models import CampaignStatus
from tests.e2e.support import closed_round, expect, import_pool, log_in, zh


def ranking_on_page(page) -> dict[str, dict[str, str]]:
    """The ranking table as shown: department code → column → text."""
    out = {}
    for row in page.locator("#ranking tbody tr").all():
        cells = {cell.get_attribute("data-col"): cell.inner_text().strip() for cell in row.locator("td").all()}
        cells["name"] = row.locator("th").inner_text().strip()
        out[row.get_attribute("data-department")] = cells
    return out


def seed_closed_round(make_department):
    import_pool({"sme": 45, "large_enterprise": 30, "citizen": 25})
    departments = [make_department("SCJG", "市市场监督管理局"), make_department("SWJ", "市税务局"),
                   make_department("GAJ", "市公安局"), make_department("ZJJ", "市住建局")]
    return closed_round(departments), departments


def test_hr_scores_publishes_and_downloads_the_xlsx(session, make_user, make_department, tmp_path):
    campaign, departments = seed_closed_round(make_department)
    make_user("hr", username="hr")
    page = session.desktop()
    log_in(page, "hr")
    page.locator("header nav a[href='/admin/assessment/']").click()
    page.locator("main table tbody tr").filter(has_text=campaign.title).locator("a").click()
    expect(page.locator("h1")).to_have_text(f"{campaign.month} · {campaign.title}")

    page.once("dialog", lambda dialog: dialog.accept())  # scoring and publishing are confirmed in a dialog
    page.locator("form[action$='/score'] button[type=submit]").click()
    expect(page.locator("main > div.flash-success")).to_have_text(
        zh("The round is scored. Check the results, then publish them."))
    expect(page.locator("#ranking tbody tr")).to_have_count(len(departments))
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("form[action$='/publish'] button[type=submit]").click()
    expect(page.locator("main > div.flash-success")).to_have_text(zh("The results are published and frozen."))
    assert asked and asked[0].startswith(f"{len(departments)} 个部门的结果将被锁定并向其联络员公开")
    expect(page.locator("form[action$='/publish']")).to_have_count(0)
    expect(page.locator("#score-chart canvas").first).to_be_attached()  # the charts drew (ECharts, same origin)
    shown = ranking_on_page(page)
    assert set(shown) == {d.code for d in departments}
    assert sorted(int(r["rank"]) for r in shown.values()) == [1, 2, 3, 4]

    with page.expect_download() as info:
        page.locator("a[href$='/export.xlsx']").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path)["Ranking"]
    header = [cell.value for cell in sheet[1]]
    assert header == RANKING_HEADER
    column = {name: i for i, name in enumerate(header)}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(shown)
    for row in rows:
        on_page = shown[row[column["Department code"]]]
        assert row[column["Department"]] == on_page["name"]
        assert str(row[column["Rank"]]) == on_page["rank"]
        assert f"{row[column['Score']]:.2f}" == on_page["score"]
        assert f"{row[column['SE']]:.2f}" == on_page["se"]
        assert str(row[column["Raters"]]) == on_page["n"]
        assert row[column["Grade"]] == on_page["grade"]
    session.a11y.check(page, "hr: published round", blocking=False)
    session.screenshot(page)

    db.session.expire_all()
    assert campaign.status == CampaignStatus.published


def test_a_liaison_sees_only_its_own_department(session, live_server, make_user, make_department):
    campaign, departments = seed_closed_round(make_department)
    scoring.score(campaign, scoring.default_scheme(), None)
    scoring.publish(campaign, None)
    db.session.commit()
    own, other = departments[1], departments[0]
    result = {r.department_id: r for r in scoring.current_assessment(campaign).results}[own.id]
    make_user("liaison", username="liaison", department=own)
    db.session.commit()

    page = session.desktop()
    log_in(page, "liaison")
    page.locator("header nav a[href='/admin/assessment/']").click()
    row = page.locator("main table tbody tr").filter(has_text=campaign.title)
    expect(row.locator("a")).to_have_count(1)  # "My department", no round dashboard
    row.locator("a").click()
    expect(page.locator("h1")).to_have_text(f"{own.name} · {campaign.month}")
    expect(page.locator("#result [data-col=score]")).to_have_text(f"{result.score:.2f}")
    expect(page.locator("#result [data-col=n]")).to_have_text(str(result.n))
    expect(page.locator("#comments-held")).to_be_visible()  # comments wait for an administrator's release
    own_page = page.url
    assert other.name not in page.content()

    # Another department's page does not exist for it; the round dashboard and the exports are refused.
    for path, status in [(f"/admin/assessment/{campaign.id}/departments/{other.id}", 404),
                         (f"/admin/assessment/{campaign.id}", 403),
                         (f"/admin/assessment/{campaign.id}/export.xlsx", 403),
                         (f"/admin/assessment/{campaign.id}/charts.json", 403)]:
        response = page.goto(path)
        assert response.status == status, path
        assert other.name not in page.content()
    page.goto(own_page)
    session.a11y.check(page, "liaison: own department", blocking=False)
    session.screenshot(page)
