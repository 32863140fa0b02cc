"""The HR export: XLSX and CSV checked cell by cell against the dashboard; formula safety; the CLI; schemes."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.assessment import scoring
from app.assessment.models import AssessmentScheme
from app.extensions import db
from questionnaire.schema import dimension_labels
from tests.integration.test_assessment import as_role, closed_round, page_rows, test_scheme  # noqa: F401


@pytest.fixture
def published_with_a_risky_name(app, closed_round, make_department):  # noqa: F811
    campaign, departments, rare = closed_round
    # A department whose name a spreadsheet would run as a formula.
    departments[0].name = "=HYPERLINK(\"http://evil\",\"x\")"
    db.session.commit()
    scoring.score(campaign, test_scheme(), None)
    scoring.publish(campaign, None)
    db.session.commit()
    return campaign, departments, rare


def dimension_table(html: str) -> dict[str, list[str]]:
    table = html.split('id="dimensions"')[1].split("</table>")[0]
    out = {}
    for name, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, re.S):
        out[name] = re.findall(r"<td>(.*?)</td>", cells)
    return out


def test_xlsx_matches_the_dashboard_cell_by_cell(client, make_user, login, published_with_a_risky_name):
    campaign, departments, _rare = published_with_a_risky_name
    as_role(client, make_user, login, "hr")
    html = client.get(f"/admin/assessment/{campaign.id}").get_data(as_text=True)
    shown = page_rows(html)
    response = client.get(f"/admin/assessment/{campaign.id}/export.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    ws = wb["Ranking"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Rank", "Department code", "Department", "Score"] and ws[1][0].font.bold
    assert ws.column_dimensions["C"].width == 30
    col = {name: i for i, name in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2, values_only=False))
    assert len(rows) == len(shown)
    for cells in rows:
        code = cells[col["Department code"]].value
        page = shown[code]
        score = cells[col["Score"]]
        assert score.number_format == "0.00"
        if page["score"] == "—":
            assert score.value is None
            continue
        assert f"{score.value:.2f}" == page["score"]
        assert f"{cells[col['SE']].value:.2f}" == page["se"]
        assert f"{cells[col['95% CI low']].value:.2f}–{cells[col['95% CI high']].value:.2f}" == page["ci"]
        assert str(cells[col["Raters"]].value) == page["n"]
        assert cells[col["Grade"]].value == page["grade"]
        rank = cells[col["Rank"]].value
        assert (str(rank) if rank else "—") == page["rank"]
        if rank:
            assert f"{cells[col['Rank interval low']].value}–{cells[col['Rank interval high']].value}" == \
                page["rank-interval"]
    # The risky name is text, neutralised, never a formula.
    risky = next(c for c in rows if c[col["Department code"]].value == departments[0].code)[col["Department"]]
    assert risky.data_type == "s" and risky.value.startswith("'=")

    # A sheet per dimension, equal to the dashboard's dimension table.
    dims = dimension_table(html)
    labels = dimension_labels(campaign.questionnaire_version.document, "en")
    for index, dimension in enumerate(scoring.dimension_keys(campaign)):
        sheet = wb[labels[dimension]]  # named by the questionnaire's label of the dimension, never its key
        assert sheet.freeze_panes == "A2"
        for code, name, mean, se, n in sheet.iter_rows(min_row=2, values_only=True):
            page_name = next(k for k in dims if k.replace("&#34;", '"').replace("&quot;", '"') == name.lstrip("'"))
            assert (f"{mean:.2f}" if mean is not None else "—") == dims[page_name][index]
    method = {row[0]: row[1] for row in wb["Method"].iter_rows(min_row=2, values_only=True)}
    assessment = scoring.current_assessment(campaign)
    assert method["Input SHA-256"] == assessment.input_hash
    assert method["Scheme"] == f"test version {assessment.scheme.version}"


def test_the_method_sheet_says_a_zero_policy_weight_leaves_the_category_out(client, make_user, login,
                                                                             closed_round):  # noqa: F811
    campaign, _departments, _rare = closed_round
    scheme = scoring.new_scheme_version(
        "no media", None, policy_weights={"large_enterprise": 0.4, "sme": 0.3, "citizen": 0.3, "media": 0},
        channel_weights={"survey": 1.0}, grade_bands=[["优秀", 90], ["良好", 80], ["一般", 60], ["较差", None]],
        min_raters=3, rank_draws=200, rank_seed=7, comment_release="manual")
    scoring.score(campaign, scheme, None)
    db.session.commit()
    as_role(client, make_user, login, "hr")
    wb = load_workbook(io.BytesIO(client.get(f"/admin/assessment/{campaign.id}/export.xlsx").data))
    method = {row[0]: row[1] for row in wb["Method"].iter_rows(min_row=2, values_only=True)}
    assert method["Policy weights"] == ("Large enterprises 0.4, Small and micro businesses 0.3, Citizens served 0.3, "
                                        "News media 0 (left out)")


def test_csv_has_a_bom_and_is_formula_safe(client, make_user, login, published_with_a_risky_name):
    campaign, departments, _rare = published_with_a_risky_name
    as_role(client, make_user, login, "hr")
    response = client.get(f"/admin/assessment/{campaign.id}/export.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    import csv
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Rank", "Department code", "Department", "Score"]
    risky = next(r for r in rows if r[1] == departments[0].code)
    assert risky[2].startswith("'=")
    shown = page_rows(client.get(f"/admin/assessment/{campaign.id}").get_data(as_text=True))
    for r in rows[1:]:
        assert (r[3] or "—") == shown[r[1]]["score"]
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_export_of_results_is_recorded_in_the_audit_log(client, make_user, login, published_with_a_risky_name,
                                                            fmt):
    """Results leave the platform only with a record of who took which version, published or not."""
    from app.audit.models import AuditEntry

    campaign, _departments, _rare = published_with_a_risky_name
    as_role(client, make_user, login, "hr")
    assert client.get(f"/admin/assessment/{campaign.id}/export.{fmt}").status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "assessment.export")).one()
    assert entry.actor_name == "hr-user" and entry.target == f"campaign:{campaign.id}"
    assert entry.details["format"] == fmt and entry.details["version"] == 1
    assert entry.details["status"] == "published"


def test_chart_data_carries_the_same_numbers(client, make_user, login, published_with_a_risky_name):
    campaign, _departments, _rare = published_with_a_risky_name
    as_role(client, make_user, login, "hr")
    data = client.get(f"/admin/assessment/{campaign.id}/charts.json").get_json()
    rows = {r.name: r for r in scoring.ranking_rows(scoring.current_assessment(campaign))}
    assert data["ranking"] and all(rows[r["name"]].score == r["score"] for r in data["ranking"])
    assert set(data["distribution"]) == set(scoring.dimension_keys(campaign))
    assert data["trend"]["months"] == [campaign.month]


def test_cli_export(runner, published_with_a_risky_name, tmp_path):
    campaign, _d, _r = published_with_a_risky_name
    target = tmp_path / "out.xlsx"
    result = runner.invoke(args=["scores", "export", campaign.month, str(target)])
    assert result.exit_code == 0, result.output
    assert load_workbook(target)["计算方法"]["B6"].value is not None  # the command writes Chinese, as the pages do
    csv_target = tmp_path / "out.csv"
    assert runner.invoke(args=["scores", "export", str(campaign.id), str(csv_target)]).exit_code == 0
    assert csv_target.read_bytes().startswith(b"\xef\xbb\xbf")
    bad = runner.invoke(args=["scores", "export", "1999-01", str(target)])
    assert bad.exit_code != 0 and "no round" in bad.output
    assert runner.invoke(args=["scores", "export", campaign.month, str(tmp_path / "x.pdf")]).exit_code != 0


def test_a_new_scheme_version_through_the_page(client, make_user, login, app):
    as_role(client, make_user, login, "hr")
    page = client.get("/admin/assessment/schemes").get_data(as_text=True)
    assert "Standard scheme version 1" in page and 'name="policy__sme"' in page
    data = {"name": "default", "survey": "1", "realtime": "0", "complaints": "0", "excellent": "92", "good": "82",
            "fair": "60", "min_raters": "20", "rank_draws": "1000", "rank_seed": "5", "comment_release": "manual",
            "policy__large_enterprise": "0.4", "policy__sme": "0.4", "policy__citizen": "0.2"}
    assert client.post_form("/admin/assessment/schemes/new", data).status_code == 302
    latest = scoring.default_scheme()
    assert latest.version == 2 and latest.min_raters == 20 and latest.policy_weights == {
        "large_enterprise": 0.4, "sme": 0.4, "citizen": 0.2, "deputy": 0.0, "supervisor": 0.0, "media": 0.0}
    assert latest.grade_bands[0] == ["优秀", 92.0] and latest.grade_bands[-1] == ["较差", None]
    # Thresholds out of order: a clear message, no new version.
    response = client.post_form("/admin/assessment/schemes/new", {**data, "good": "95"})
    assert "strictly decreasing" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(AssessmentScheme).where(AssessmentScheme.version == 3)) is None


def test_the_hr_workbook_is_in_chinese_and_carries_the_trend(client, make_user, login, published_with_a_risky_name):
    """An HR officer's file (the page's default language): Chinese sheet names, headers, values and method; the
    trend sheet holds the series the trend chart draws."""
    campaign, _departments, _rare = published_with_a_risky_name
    login(make_user("hr"))
    wb = load_workbook(io.BytesIO(client.get(f"/admin/assessment/{campaign.id}/export.xlsx").data))
    assert wb.sheetnames[0] == "排名" and wb.sheetnames[-2:] == ["历轮趋势", "计算方法"]
    header = [c.value for c in wb["排名"][1]]
    assert header == ["排名", "部门代码", "部门", "得分", "标准误", "95%置信区间下限", "95%置信区间上限", "排名区间下限",
                      "排名区间上限", "等次", "评价人数", "较上轮变化", "变化显著"]
    method = {row[0]: row[1] for row in wb["计算方法"].iter_rows(min_row=2, values_only=True)}
    assert method["状态"] == "已发布" and method["评价轮次"].startswith(campaign.month)
    assert "不向部门联络员显示" in method["联络员可见门槛"] and "泰勒线性化" in method["计算方法"]
    words = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{3,}(?![0-9A-Za-z])")  # an English word, not a hash
    for sheet in ("排名", "计算方法"):
        for row in wb[sheet].iter_rows(values_only=True):
            texts = [v for v in row if isinstance(v, str)]
            latin = [t for t in texts if words.search(t.replace("SHA-256", "").replace("docs/ASSESSMENT.md", "")
                                                         .replace("sqrt", ""))]
            names = {x for d in [*_departments, _rare] for x in (d.code, d.name, "'" + d.name)}  # names, as written
            theirs = [campaign.title, scoring.current_assessment(campaign).scheme.name]  # named by the users
            assert [t for t in latin if t not in names and not any(n in t for n in theirs)] == [], sheet
    chart = client.get(f"/admin/assessment/{campaign.id}/charts.json").get_json()["trend"]
    rows = list(wb["历轮趋势"].iter_rows(values_only=True))
    assert list(rows[0]) == ["部门", *chart["months"]]
    assert {r[0].removeprefix("'"): list(r[1:]) for r in rows[1:]} == chart["series"]  # ' keeps a formula text
