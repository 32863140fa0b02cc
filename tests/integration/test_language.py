"""Chinese throughout (issue 23): every page that every role of the demo city reaches, the respondent's, rater's
and complainant's pages, and every export, read as a person reads them, hold no Latin-script word outside a short
list of codes, units and names; and the Chinese catalog translates every message.

One demo city for the whole module (seeding it takes a while); the pages are only read (GET), except the public
forms that a visitor fills in to get to the next page. The catalog's own check (no untranslated, no fuzzy
entry) is tests/integration/test_i18n.py.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import timedelta, timezone
from html.parser import HTMLParser

import openpyxl
import pytest
from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.audit.routes import RAW_COLUMNS
from app.config import TestConfig
from app.demo import ACCOUNTS, pointers, seed_demo
from app.departments.models import Department
from app.extensions import db, limiter
from app.pool.models import Respondent
from app.rounds.models import Draw
from questionnaire.answers import PICKER_FIELD
from tests.conftest import Client, on_postgres, restore_postgres_tables
from tests.staff_pages import Found, crawl

# Latin words a Chinese page may hold: units, formats and standards, product names. (The switch to English is
# written in English on purpose, in an element marked lang="en"; see _VisibleText.)
ALLOWED_WORDS = {
    "SMS", "CSV", "XLSX", "PNG", "SVG", "JSON", "PDF", "JPEG", "ZIP", "QR", "SHA-256", "XLSForm", "SurveyJS",
    "MB", "A4", "IP",
    "TD",  # 回复TD退订: the carriers' unsubscribe keyword in every SMS
    "Google", "Microsoft", "Authenticator",
}
FILE_EXTENSIONS = {"csv", "xlsx", "xls", "json", "zip", "png", "svg", "pdf", "jpg", "jpeg", "txt"}
# XLSForms (a version's export, a template's file) are written for other tools (KoboToolbox, ODK): their sheet
# and column names are the standard's, and they carry the questionnaire's English texts beside its Chinese ones.
XLSFORM_ENDPOINTS = {"questionnaires.export", "questionnaires.template_xlsform"}
# Codes and numbers written with Latin letters: links, hex digests, tracking numbers, access codes, version
# numbers, pool members' numbers, and the one-letter variables of a formula (n, k, N_h).
ALLOWED_PATTERNS = [re.compile(p) for p in (
    r"https?://\S+",
    r"[\w.-]+\.(csv|xlsx|json|zip|png|pdf|jpg)",  # the name of a file someone uploaded or downloaded
    r"[0-9a-f]{8,}…?|[0-9a-f]*[0-9][0-9a-f]*…?",  # hex digests and their prefixes (seeds, commitments, hashes)
    r"TS\d{8}-\d{4}",                            # a complaint's tracking number
    r"[A-Z0-9]{2,}(-[A-Z0-9]+)+",                # access and query codes (DEMO-2026), service point codes
    r"v\d+",                                     # a version (v3)
    r"\d+[a-z]?",
    r"[A-Z]{1,4}\d{3,}",                         # a pool member's number (P000123)
    r"[0-9A-HJ-NPQRTUWXY]{18}",                  # an enterprise's unified social credit code (USCC)
    r"[A-Za-z](_[A-Za-z])?",                     # a formula's variable (n, k, N_h)
    r"docs/[A-Z_]+\.md",                          # the project's documentation, named for auditors
)]

WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/@#?=&%+…-]*[A-Za-z0-9_/…]|[A-Za-z]")


class _VisibleText(HTMLParser):
    """The text a person sees on a page: text nodes, placeholders and the captions of input buttons; no scripts,
    styles, templates or other attribute values.

    Two marks leave an element out, both standard HTML and both easy to review with grep: lang="en" (English on
    purpose: the switch to English, a category's English label, the English column names an import accepts, a
    questionnaire's English text) and translate="no" (a literal that is not a word: a command an auditor types, a
    question's key and condition on the designer's page, a category's key on the page that defines it).
    """

    HIDDEN = {"script", "style", "template", "head"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.hidden or tag in self.HIDDEN or attrs.get("lang") == "en" or attrs.get("translate") == "no":
            if tag not in self.VOID:
                self.hidden += 1
            return
        if attrs.get("placeholder"):
            self.parts.append(attrs["placeholder"])
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])
        if tag == "img" and attrs.get("alt"):
            self.parts.append(attrs["alt"])

    def handle_endtag(self, tag):
        if self.hidden and tag not in self.VOID:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def foreign_words(text: str, names: set[str]) -> list[str]:
    """The Latin-script words of ``text`` that are neither allowed words, codes nor the demo's names."""
    out = []
    for match in WORD.finditer(text):
        word = match.group(0).rstrip(".:/-")
        if not re.search(r"[A-Za-z]", word) or word in ALLOWED_WORDS or word in names:
            continue
        if word.lower().rsplit(".", 1)[-1] in FILE_EXTENSIONS and text[match.start() - 1:match.start()] == ".":
            continue  # a file's extension: .xlsx, .surveyjs.json
        if any(p.fullmatch(word) for p in ALLOWED_PATTERNS):
            continue
        out.append(word)
    return sorted(set(out))


def export_texts(found: Found) -> list[tuple[str, str]]:
    """(where, text) of what a download shows a person: CSV cells, XLSX sheet names and cells. Pictures (PNG, SVG
    of a QR code) hold no words; the draw's evidence ZIP is read by tools/verify_draw.py, not by a person (its
    files' columns and stratum keys are what the commitment covers)."""
    name = found.path
    if found.mimetype in ("text/csv",) or found.path.split("?")[0].endswith(".csv"):
        rows = list(csv.reader(io.StringIO(found.body.decode("utf-8-sig"))))
        if rows and rows[0][-len(RAW_COLUMNS):] == RAW_COLUMNS:
            # The audit log's raw columns are the entries exactly as their hashes cover them (codes, JSON, UTC
            # in ISO 8601), for checking the chain outside; the columns before them are for people.
            rows = [row[:-len(RAW_COLUMNS)] for row in rows]
        return [(name, "\n".join(" ".join(row) for row in rows))]
    if found.endpoint in XLSFORM_ENDPOINTS:
        return []
    if found.body[:2] == b"PK" and b"xl/workbook.xml" in found.body[:4096] or found.path.split("?")[0].endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(found.body), read_only=True)
        out = []
        for sheet in book.worksheets:
            cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None
                     and not isinstance(v, (int, float))]
            out.append((f"{name} [{sheet.title}]", sheet.title + "\n" + "\n".join(cells)))
        return out
    return []


@pytest.fixture(scope="module")
def city(migrated_database, tmp_path_factory):
    """The app with the demo city seeded once for this module."""
    if on_postgres():
        url = migrated_database
    else:
        target = tmp_path_factory.mktemp("language") / "demo.sqlite3"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), target)
        url = f"sqlite:///{target}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    app.test_client_class = Client
    with app.app_context():
        limiter.reset()
        seed_demo()
        yield app
        db.session.remove()
        if on_postgres():
            restore_postgres_tables()
        limiter.reset()
        db.engine.dispose()


@pytest.fixture(scope="module")
def names(city) -> set[str]:
    """The demo's own Latin-script names: department codes, usernames, and the Latin words of the pool's
    organisations (MBP软件有限公司: data the city typed, not the interface)."""
    organisations = " ".join(db.session.scalars(select(Respondent.organisation).distinct()))
    return (set(db.session.scalars(select(Department.code))) | set(db.session.scalars(select(User.username)))
            | set(re.findall(r"[A-Za-z]+", organisations)))


def logged_in(app, username: str):
    """A test client of the app, logged in as the demo account ``username``."""
    account = next(a for a in ACCOUNTS if a.username == username)
    client = app.test_client()
    assert client.post_form("/login", {"username": account.username, "password": account.password}).status_code == 302
    return client


def public_findings(app) -> list[Found]:
    """The respondent's survey pages, the rating page, the complaint pages, as a visitor reaches them."""
    demo = pointers()
    out = []

    def keep(client, path, response=None):
        response = response or client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        out.append(Found(path, path, response.mimetype, response.get_data()))
        return response

    respondent = app.test_client()
    keep(respondent, "/s")
    assert respondent.get(re.sub(r"^https?://[^/]+", "", demo.respondent_link)).status_code == 302
    keep(respondent, "/s/survey")
    # The respondent picks two departments, so that the pages asking about each department are there too.
    picked = respondent.post_form("/s/survey/1", {PICKER_FIELD: ["SCJG", "ZJJ"]})
    assert picked.status_code == 302 and picked.headers["Location"].endswith("/s/survey/2"), picked.status_code
    number = 1
    while (response := respondent.get(f"/s/survey/{number}")).status_code == 200:
        keep(respondent, f"/s/survey/{number}", response)
        number += 1
    assert number > 3, "the survey has no department pages"
    keep(respondent, "/s/survey/confirm")
    keep(respondent, "/s/thanks")

    rater = app.test_client()
    keep(rater, demo.rating_path)
    keep(rater, f"{demo.rating_path}/thanks")

    complainant = app.test_client()
    for path in ("/complaints/", "/complaints/new", "/complaints/track"):
        keep(complainant, path)
    department = db.session.scalar(select(Department.id).where(Department.code == "SCJG"))
    filed = complainant.post_form("/complaints/new", {
        "category": "enterprise_policy", "departments": [department], "subject": "营业执照变更办理时间过长",
        "description": "三周前提交的变更申请至今没有答复，窗口说还在审核。"})
    assert filed.status_code == 302 and filed.headers["Location"].endswith("/complaints/filed"), filed.status_code
    keep(complainant, "/complaints/filed")
    progress = complainant.post_form("/complaints/track", {"tracking_number": demo.tracking_number,
                                                           "code": demo.query_code})
    keep(complainant, "/complaints/track (the progress of a complaint)", progress)
    return out


def test_every_page_and_export_of_the_demo_city_is_in_chinese(city, names):
    problems, pages, downloads = [], 0, 0
    seen: set[str] = set()
    sources = [(account.username, crawl(city, logged_in(city, account.username))) for account in ACCOUNTS]
    sources.append(("visitor", public_findings(city)))
    for who, findings in sources:
        for found in findings:
            if found.is_page:
                pages += 1
                texts = [(found.path, visible_text(found.text))]
            else:
                downloads += 1
                texts = export_texts(found)
            for where, text in texts:
                words = foreign_words(text, names)
                if words and where not in seen:
                    seen.add(where)
                    shown = ", ".join(words[:30]) + (f" … ({len(words)} words)" if len(words) > 30 else "")
                    problems.append(f"{who} {where}: {shown}")
    assert pages > 80 and downloads > 5, (pages, downloads)
    assert not problems, "English on a Chinese page or export:\n" + "\n".join(problems)


def shanghai(moment) -> str:
    """A moment as a reader in the demo city reads it, worked out independently of the app: UTC + 8 (no DST)."""
    return (moment.astimezone(timezone.utc) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def test_times_are_shown_in_the_citys_local_time_in_one_format(city):
    """The audit log's newest entry on the page and in the export, and the draw's steps, read in Shanghai time and
    in the one format; "UTC" is written nowhere (the test above reads every page and export for it)."""
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    auditor = logged_in(city, "auditor")
    page = auditor.get(f"/admin/audit/?action={entry.action}").get_data(as_text=True)
    assert f"<td>{shanghai(entry.at)}</td>" in page
    export = auditor.get(f"/admin/audit/export.csv?action={entry.action}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert [row[1] for row in rows[1:] if row[0] == str(entry.id)] == [shanghai(entry.at)]

    draw = db.session.scalar(select(Draw).where(Draw.drawn_at.is_not(None)).order_by(Draw.id).limit(1))
    page = logged_in(city, "operator").get(f"/admin/rounds/{draw.campaign_id}/draw").get_data(as_text=True)
    assert f"<dd>{shanghai(draw.drawn_at)}</dd>" in page and f"<dd>{shanghai(draw.frozen_at)}</dd>" in page


def test_a_designers_problems_and_a_refused_import_are_in_chinese(city, names):
    """What the builder says of a faulty draft (its page, the preview) and of a file it
    refuses (an XLSForm, a JSON document) is Chinese: the pure validator's English templates go through the catalog,
    the places are named by the question's key and the field's name; only the designer's own literals (keys,
    option values, conditions, the file's column names) stay as written, marked as such. The same pages in English
    hold those English words: this test would fail if they came back to the Chinese pages."""
    import copy
    import json

    from app.questionnaires import service
    from app.questionnaires.models import QuestionnaireVersion
    from tests.integration.test_questionnaire_import_drops import faulty_form

    base = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)).first()
    document = copy.deepcopy(base.document)
    document["items"] += [
        {"type": "single", "key": "visit", "label": {"zh": "近期是否去过大厅？"}, "show_if": "{visitt} = 'no'",
         "options": [{"value": "yes", "label": {"zh": "去过"}}, {"value": "no", "label": {"en": "No"}}]},
        {"type": "text", "key": "hall", "label": {"zh": "大厅哪里需要改进？"}, "show_if": "{visit} == 'no'",
         "required_if": "{visit} = 'maybe'", "max_length": 0},
        {"type": "number", "key": "count", "label": {"zh": "去过几次？"}, "min": 5, "max": 1, "colour": "red"},
    ]
    draft = service.create("有问题的草稿", document)
    db.session.commit()
    designer = logged_in(city, "designer")
    pages = {f"/admin/questionnaires/versions/{draft.id}": "", f"/admin/questionnaires/versions/{draft.id}/preview": ""}
    for path in pages:
        response = designer.get(path)
        assert response.status_code == 200, path
        pages[path] = visible_text(_problem_lists(response.get_data(as_text=True)))
    version_page = pages[f"/admin/questionnaires/versions/{draft.id}"]
    # (the text as read, without the literals: 「hall」's key and the condition are the designer's own)
    read = re.sub(r"\s+", "", version_page)
    assert "「」的显示条件：第9个字符处：比较请用单个=" in read and "「」的显示条件：{}没有对应任何题目" in read, read

    refused = {}
    for name, data in (("faulty.xlsx", faulty_form()),
                       ("faulty.json", json.dumps({"schema_version": 1, "title": {"en": "Only English"},
                                                   "items": [{"type": "geopoint", "key": "Where"}]}).encode())):
        response = designer.post_form("/admin/questionnaires/import", {"file": (io.BytesIO(data), name),
                                                                        "questionnaire": "new"},
                                      content_type="multipart/form-data")
        assert response.status_code == 200 and "文件无法导入" in response.get_data(as_text=True), name
        refused[name] = visible_text(_problem_lists(response.get_data(as_text=True)))
    assert all(pages.values()) and all(refused.values()), (pages, refused)
    found = {where: foreign_words(text, names) for where, text in {**pages, **refused}.items()}
    assert not any(found.values()), found

    # In English the same pages say the validator's words (which the test above would find on a Chinese page).
    designer.set_cookie("lang", "en")
    english = visible_text(_problem_lists(designer.get(f"/admin/questionnaires/versions/{draft.id}").get_data(
        as_text=True)))
    assert "use a single = to compare" in english and "does not refer to any question" in english
    assert {"single", "compare", "refer"} <= set(foreign_words(english, names))
    service.discard_draft(db.session.get(QuestionnaireVersion, draft.id))
    db.session.commit()


def _problem_lists(page: str) -> str:
    """The lists of problems of a builder's page (the draft's, the question's, the preview's, the import's report)."""
    return "\n".join(re.findall(r'<section class="card (?:errors|warnings)".*?</section>', page, re.S))
