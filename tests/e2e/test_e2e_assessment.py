"""HR scores, publishes and downloads a round; a department's liaison sees its own department only."""
from __future__ import annotations

from openpyxl import load_workbook

from app.assessment import scoring
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

    # Scoring and publishing are confirmed in a dialog, once the script has replaced the box with it.
    expect(page.locator("form[action$='/score'] label.confirm-box")).to_be_hidden()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/score'] button[type=submit]").click()
    expect(page.locator("main > div.flash-success")).to_have_text(
        zh("The round is scored. Check the results, then publish them."))
    expect(page.locator("#ranking tbody tr")).to_have_count(len(departments))
    asked = []
    expect(page.locator("form[action$='/publish'] label.confirm-box")).to_be_hidden()
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
    sheet = load_workbook(path)["排名"]  # the HR officer's file is in the page's language
    header = [cell.value for cell in sheet[1]]
    assert header == ["排名", "部门代码", "部门", "得分", "标准误", "95%置信区间下限", "95%置信区间上限", "排名区间下限",
                      "排名区间上限", "等次", "评价人数", "较上轮变化", "变化显著"]
    column = dict(zip(["Rank", "Department code", "Department", "Score", "SE", "", "", "", "", "Grade", "Raters"],
                      range(11)))
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


def test_the_trend_shows_one_department_against_the_others_and_a_table_of_every_series(app, session):
    """Thirty lines on one chart read as none: HR picks a department, the chart draws it against the band and the
    median of the others, and the table under it (with or without the script) holds every series."""
    from app.demo import ACCOUNTS, seed_demo
    from app.models import Campaign
    from app.platform.roles import Role

    seed_demo(session.server.url)
    with app.app_context():
        latest = Campaign.query.filter(Campaign.status == CampaignStatus.published).order_by(
            Campaign.month.desc()).first()
        series = scoring.trend()["series"]
    hr = next(a for a in ACCOUNTS if a.role == Role.hr)
    page = session.desktop()
    log_in(page, hr.username, hr.password)
    page.goto(f"/admin/assessment/{latest.id}")
    rows = page.locator("#trend-table tbody tr")
    expect(rows).to_have_count(len(series))
    chosen = list(series)[3]
    picker = page.locator("#trend-department")
    expect(picker).to_be_visible()
    expect(page.locator("#trend-chart canvas").first).to_be_attached()
    picker.select_option(chosen)
    expect(page.locator("#trend-table tr.highlight th")).to_have_text(chosen)
    legend = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('trend-chart'))"
                           ".getOption().legend[0].data")
    assert legend == [chosen, zh("Median of the other departments"), zh("Range of the other departments")]
    drawn = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('trend-chart'))"
                          ".getOption().series.map(s => s.data)")
    others = [[v[i] for n, v in series.items() if n != chosen and v[i] is not None] for i in range(len(drawn[0]))]
    assert drawn[3] == series[chosen] and drawn[0] == [min(o) for o in others]
    assert [round(lo + span, 2) for lo, span in zip(drawn[0], drawn[1])] == [max(o) for o in others]

    without_script = session.desktop(javascript=False)
    log_in(without_script, hr.username, hr.password)
    without_script.goto(f"/admin/assessment/{latest.id}")
    expect(without_script.locator("#trend-department")).to_be_hidden()
    expect(without_script.locator("#trend-table tbody tr")).to_have_count(len(series))
