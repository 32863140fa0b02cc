"""Random and hostile input at the public forms: the survey, the complaint form, oversize bodies, NUL characters.

Whatever arrives, the answer is a re-rendered form that names the problem or a 4xx page in the user's
language — never a 500 — and bad input writes nothing: no response, no submission mark, no complaint, no
file. Hypothesis makes up the input; example counts stay modest so that the file runs in about a minute on
SQLite (the suite also runs on PostgreSQL, where a NUL character in any query parameter used to be a 500).

Imports (questionnaires, the pool, departments) and zip bombs: tests/integration/test_hostile_imports.py.
"""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st
from sqlalchemy import func, select

from app.casework.models import CaseAttachment
from app.complaints.models import Complaint
from app.extensions import db
from app.questionnaires import service as questionnaires
from app.responses.models import Response, ResponseAnswer, SealedResponse
from app.rounds.models import InvitationSubmission, SurveyDraft
from app.survey import answering
from forms.factory import build_form_class
from questionnaire.answers import PICKER_FIELD, field_name
from questionnaire.examples import every_type_questionnaire
from questionnaire.types import type_of
from tests.integration.survey_helpers import issue_secrets, open_round


def hostile(max_examples: int):
    """Hypothesis settings for these tests: a few dozen examples, no deadline, nothing saved on disk."""
    return settings(max_examples=max_examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

# Texts that have broken web forms somewhere: boundaries, other numerals, injections, direction marks,
# BOMs, characters outside the BMP, NUL and other control characters, numbers too big for any column.
TRICKY_TEXTS = [
    "", " ", "\t\n", "na", "0", "-1", "1", "2", "3", "5", "6", "9", "10", "11", "4.0", "4.5", "-0", "+3", "1e3",
    "nan", "inf", "-inf", "١٠", "٣", "1_0", "true", "None", "null", "[]", "{}", "SCJG", "SWJ", "GAJ", "ZZZ",
    "enterprise", "citizen", "other", "online", "window", "phone", "3plus", "speed", "' OR 1=1 --",
    "<script>alert(1)</script>", "{{7*7}}", "${7*7}", "%(x)s", "=cmd|' /C calc'!A0", "\u202egnp.exe", "\ufeff",
    "\x00", "a\x00b", "\x0b\x1b\x7f", "𠀀𝕏😀", "99999999999999999999999", "-2147483649", "2026-02-30",
]
hostile_text = st.one_of(
    st.sampled_from(TRICKY_TEXTS),
    st.text(max_size=30),
    st.sampled_from(["x" * 100_000, "中" * 5_000, "1" * 5_000]),
)
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, max_size=4))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- the survey

ROUND_DEPARTMENTS = [("SCJG", "市市场监督管理局"), ("SWJ", "市税务局"), ("GAJ", "市公安局")]  # as open_round makes them


def _slots(doc: dict, codes: list[str]) -> dict[str, tuple[dict, object]]:
    """Field name -> (question, slot) of every answer the questionnaire can hold."""
    out = {}
    for item in doc["items"]:
        if item["type"] == "department_block":
            for q in item["items"]:
                for code in codes:
                    out.update({field_name(s.answer_key, code): (q, s) for s in type_of(q).slots(q)})
        elif item["type"] != "section":
            out.update({field_name(s.answer_key): (item, s) for s in type_of(item).slots(item)})
    return out


EVERY_TYPE_FIELDS = sorted(build_form_class(every_type_questionnaire(), ROUND_DEPARTMENTS)()._fields)
# Names a browser never sends for this round: unknown departments and questions, other rounds' fields.
STRANGE_FIELDS = ["d__ZZZ__overall", "d__SCJG__nope", "d__1__overall", "q__depts", "q__service__speed",
                  "d__SCJG__service", "departments[]", "q__", "d____", "q__general_comment", "q__company__x"]
field_names = st.one_of(st.sampled_from(EVERY_TYPE_FIELDS + STRANGE_FIELDS), st.text(max_size=12))
answers = st.dictionaries(field_names.filter(lambda name: name not in ("csrf_token", "nav")), hostile_value,
                          max_size=8)


@pytest.fixture
def every_type_round(app, make_department):
    """An open round asking the questionnaire that uses every question type (links not rate-limited here)."""
    app.config["SURVEY_TOKEN_RATE_LIMIT"] = "100000 per minute"
    version = questionnaires.create("全题型示例", every_type_questionnaire())
    questionnaires.publish(version)
    db.session.commit()
    campaign = open_round(make_department, members=12, version=version)
    return SimpleNamespace(campaign=campaign, version=version, secrets=issue_secrets(campaign, "link"))


def start(client, token: str) -> str:
    """Follow the SMS link; return the session's CSRF token, read from the first page as a browser would."""
    assert client.get(f"/s/{token}").status_code == 302
    return CSRF.search(client.get("/s/survey/1").get_data(as_text=True)).group(1)


def draft_of(invitation) -> dict:
    db.session.expire_all()
    draft = db.session.get(SurveyDraft, invitation.id)
    return dict(draft.data) if draft else {}


def assert_nothing_submitted() -> None:
    assert count(Response) == count(ResponseAnswer) == count(SealedResponse) == count(InvitationSubmission) == 0


def assert_draft_holds_only_valid_answers(draft: dict, doc: dict) -> None:
    """Every saved answer belongs to a question of the round and is already what parsing it gives."""
    codes = [code for code, _name in ROUND_DEPARTMENTS]
    slots = _slots(doc, codes)
    for name, value in draft.items():
        if name == PICKER_FIELD:
            assert isinstance(value, list) and set(value) <= set(codes), value
            continue
        assert name in slots, f"{name!r} is not a field of this questionnaire"
        question, slot = slots[name]
        assert type_of(question).parse(question, slot, value) == value, (name, value)


@hostile(80)
@given(number=st.integers(min_value=0, max_value=9), nav=st.sampled_from(["next", "back", "", "jump"]), data=answers)
def test_hostile_answers_on_any_page_never_reach_the_draft_or_a_response(client, every_type_round, number, nav,
                                                                          data):
    """Random field names and values (huge, NUL, other numerals, lists, unknown departments, ids of other
    questions, duplicated keys) posted to every page: a re-rendered page naming the fields, or a 4xx; the
    draft keeps only valid answers and nothing is ever submitted."""
    invitation, token = every_type_round.secrets[0]
    csrf = start(client, token)
    before = draft_of(invitation)
    response = client.post(f"/s/survey/{number}", data={**data, "nav": nav, "csrf_token": csrf})
    after = draft_of(invitation)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 200:  # the page again, with the questions to fix marked
        html = response.get_data(as_text=True)
        assert 'role="alert"' in html and re.search(r'class="err" id="[\w-]+-err"', html)
        assert after == before
    elif response.status_code == 400:
        assert after == before
    assert_draft_holds_only_valid_answers(after, every_type_round.version.document)
    assert_nothing_submitted()


@hostile(30)
@given(data=answers)
def test_the_confirm_page_takes_no_answers_from_the_post(client, every_type_round, data):
    """Answers posted to the confirmation page are ignored: an incomplete draft is not submitted."""
    invitation, token = every_type_round.secrets[0]
    csrf = start(client, token)
    before = draft_of(invitation)
    response = client.post("/s/survey/confirm", data={**data, "csrf_token": csrf})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"].endswith("/s/survey/1")
    assert draft_of(invitation) == before
    assert_nothing_submitted()


COMPLETE_DRAFT = {
    "q__company": "星河电子", "q__kind": "enterprise", "q__employees": 12, "q__revenue": 1.5, "q__channels": ["online"],
    "q__recommend": 9, "q__general": 3, "departments": ["SCJG"], "d__SCJG__overall": 5,
    "d__SCJG__service__speed": 4, "d__SCJG__service__manner": 4, "d__SCJG__visits": "1",
}


@hostile(6)
@given(data=answers)
def test_a_submission_stores_the_saved_answers_whatever_else_the_post_holds(app, client, every_type_round, data):
    """With a complete draft, hostile fields posted alongside the submission change no stored answer."""
    invitation, token = every_type_round.secrets[count(InvitationSubmission)]  # a fresh invitation per example
    csrf = start(client, token)
    answering.save_draft(invitation, dict(COMPLETE_DRAFT))
    db.session.commit()
    submitted_before = count(InvitationSubmission)
    response = client.post("/s/survey/confirm", data={**data, "csrf_token": csrf})
    if response.status_code == 400:  # a NUL character somewhere: refused before anything else
        assert count(InvitationSubmission) == submitted_before and draft_of(invitation) == COMPLETE_DRAFT
        return
    assert response.status_code == 302 and response.headers["Location"].endswith("/s/thanks")
    assert count(InvitationSubmission) == submitted_before + 1
    # Every response of this test was submitted from the same draft: together they hold exactly its answers.
    stored = {(a.question, str(a.value)) for a in db.session.scalars(select(ResponseAnswer))}
    expected = {("company", "星河电子"), ("kind", "enterprise"), ("employees", "12"), ("revenue", "1.5"),
                ("channels", "['online']"), ("recommend", "9"), ("general", "3"), ("overall", "5"),
                ("service.speed", "4"), ("service.manner", "4"), ("visits", "1")}
    assert stored == expected
    assert count(ResponseAnswer) == len(expected) * count(Response)


@hostile(40)
@given(token=st.text(min_size=1, max_size=200))
def test_random_links_and_access_codes_get_a_page_not_an_error(app, client, token):
    """Made-up link tokens and access codes: the invalid-link page, or the code form with its message."""
    app.config.update(SURVEY_TOKEN_RATE_LIMIT="100000 per minute", ACCESS_CODE_RATE_LIMIT="100000 per minute",
                      ACCESS_CODE_NETWORK_RATE_LIMIT="100000 per minute",
                      ACCESS_CODE_PREFIX_RATE_LIMIT="100000 per minute")
    from urllib.parse import quote

    link = client.get("/s/" + quote(token, safe=""))
    assert link.status_code in (302, 308, 404)  # the router redirects an address with // or a trailing /
    code = client.post_form("/s", {"code": token})
    assert code.status_code in (200, 400)
    if code.status_code == 200:
        assert 'class="err' in code.get_data(as_text=True)
    assert_nothing_submitted()


# --------------------------------------------------------------------------- the complaint form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.4\n" + b"0" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
COMPLAINT = {"category": "enforcement", "subject": "执法检查吃拿卡要",
             "description": "2026年11月3日，执法人员到我店检查时暗示需要“表示”，否则将从严处罚。", "district": "城关区"}


@pytest.fixture
def intake(app, make_department, tmp_path):
    """The public complaint form with three departments, attachments kept in a temporary folder."""
    app.config.update(COMPLAINT_INTAKE_RATE_LIMIT="100000 per hour",
                      COMPLAINT_ATTACHMENT_DIR=str(tmp_path / "attachments"))
    departments = [make_department(name=name) for name in ("市市场监督管理局", "市住房和城乡建设局", "市税务局")]
    return SimpleNamespace(departments=departments, folder=tmp_path / "attachments")


def stored_files(folder) -> int:
    return len(list(folder.iterdir())) if folder.exists() else 0


attachment = st.tuples(
    st.one_of(st.sampled_from(["scan.pdf", "photo.jpg", "a.png", "run.exe", "../../etc/passwd", "a" * 300 + ".pdf",
                               "发票.PDF", ".pdf", "x.pdf\x00.exe"]), st.text(min_size=1, max_size=20)),
    st.one_of(st.binary(max_size=300), st.sampled_from([PNG, PDF, JPEG, b"", b"MZ\x90\x00", b"GIF89a"]),
              st.tuples(st.sampled_from([PNG, PDF, JPEG]), st.binary(max_size=100)).map(b"".join)),
    st.sampled_from(["application/pdf", "image/png", "image/jpeg", "text/html", "application/x-msdownload",
                     "application/octet-stream", "", "image/svg+xml"]),
)


@hostile(60)
@given(data=st.data())
def test_hostile_complaints_are_refused_with_a_message_and_store_nothing(client, intake, data):
    """Random values in every field, unknown or absurd department ids, attachments with random bytes,
    names and content types: either the complaint is filed as sent, or the form comes back with the
    problem named — and then no complaint, attachment row or file exists."""
    ids = [str(d.id) for d in intake.departments]
    form = data.draw(st.fixed_dictionaries({}, optional={
        "category": st.one_of(st.sampled_from(["enforcement", "discipline", "procuratorial", "enterprise_policy"]),
                              hostile_text),
        "departments": st.lists(st.one_of(st.sampled_from(ids), st.integers(-2 ** 70, 2 ** 70).map(str),
                                          hostile_text), max_size=4),
        "subject": hostile_text, "description": hostile_text, "district": hostile_text,
        "occurred_on": st.one_of(st.dates().map(str), hostile_text),
        "name": hostile_text, "organisation": hostile_text, "contact": hostile_text,
        "phone": st.one_of(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), hostile_text),
    }))
    files = data.draw(st.lists(attachment, max_size=6))
    if data.draw(st.booleans()):  # often start from a valid complaint and spoil part of it
        form = {**COMPLAINT, "departments": [ids[0]], **form}
    complaints_before, attachments_before = count(Complaint), count(CaseAttachment)
    files_before = stored_files(intake.folder)
    payload = {**form, "attachments": [(io.BytesIO(content), name, kind) for name, content, kind in files]}
    response = client.post_form("/complaints/new", payload, content_type="multipart/form-data")
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"].endswith("/complaints/filed")
        complaint = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))
        assert complaint.subject == form["subject"].strip() and complaint.description == form["description"].strip()
        assert {str(d.id) for d in complaint.departments} <= set(ids)
        assert count(Complaint) == complaints_before + 1
        assert {a.content_type for a in complaint.attachments} <= {"application/pdf", "image/png", "image/jpeg"}
        assert stored_files(intake.folder) == files_before + len(complaint.attachments)
        return
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        assert 'class="err summary" role="alert"' in html
    assert (count(Complaint), count(CaseAttachment)) == (complaints_before, attachments_before)
    assert stored_files(intake.folder) == files_before


def test_five_attachments_of_the_promised_size_fit_in_one_request(client, intake):
    """The form promises 5 files of 5 MB each: the request limit leaves room for them and the text."""
    size = client.application.config["COMPLAINT_ATTACHMENT_MAX_BYTES"]
    files = [(io.BytesIO(PNG + b"\x00" * (size - len(PNG))), f"photo{i}.png") for i in range(5)]
    response = client.post_form("/complaints/new", {**COMPLAINT, "departments": [str(intake.departments[0].id)],
                                                    "attachments": files}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert count(CaseAttachment) == 5 and stored_files(intake.folder) == 5


# --------------------------------------------------------------------------- oversize bodies and NUL characters

def english(client) -> None:
    assert client.post_form("/language/en", {"next": "/"}).status_code == 302


@pytest.mark.parametrize("path", ["/complaints/new", "/s", "/login", "/pool/import"])
def test_a_body_over_the_limit_gets_the_413_page_in_chinese(app, client, path):
    """An oversize request gets the error page in the user's language — not a 500 or a dropped connection."""
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    response = client.post(path, data={"csrf_token": client.csrf_token(),
                                       "file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.pdf")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert '<html lang="zh-CN">' in html and "错误代码 413" in html


def test_the_413_page_names_the_limits(client):
    english(client)
    response = client.post("/complaints/new", data={"csrf_token": client.csrf_token(),
                                                    "attachments": (io.BytesIO(b"x" * (33 * 1024 * 1024)), "a.pdf")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "What you sent is too large: at most 32 MB at once, and a text field at most 500 KB." in html


def test_a_text_field_over_the_form_memory_limit_gets_the_413_page(intake, client):
    """Flask keeps form text in memory up to MAX_FORM_MEMORY_SIZE; a longer description is a 413, not a 500."""
    response = client.post_form("/complaints/new", {**COMPLAINT, "departments": [str(intake.departments[0].id)],
                                                    "description": "投诉" * 300_000},
                                content_type="multipart/form-data")
    assert response.status_code == 413 and count(Complaint) == 0


@pytest.mark.parametrize("method, path, data", [
    ("post", "/login", {"username": "admin\x00", "password": "x"}),
    ("post", "/complaints/track", {"tracking_number": "TS20260101-0001\x00", "code": "ABCDE-FGHJK"}),
    ("post", "/s", {"code": "12345\x006"}),
    ("get", "/complaints/?q=%00", None),
])
def test_a_nul_character_anywhere_is_a_400_naming_the_field(client, method, path, data):
    """No browser sends NUL, and PostgreSQL cannot even compare text holding one: refused up front."""
    english(client)
    response = client.post_form(path, data) if method == "post" else client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "contains a NUL character" in html


@pytest.mark.parametrize("path", ["/s/abc%00def", "/admin/complaints/TS20260101-0001%00", "/admin/pool/members/P%00"])
def test_an_address_holding_a_nul_character_does_not_exist(client, make_user, login, path):
    login(make_user("admin"))
    response = client.get(path)
    assert response.status_code == 404 and "错误代码 404" in response.get_data(as_text=True)


def test_a_nul_character_in_an_uploaded_file_name_is_refused(client, intake):
    response = client.post_form("/complaints/new", {**COMPLAINT, "departments": [str(intake.departments[0].id)],
                                                    "attachments": [(io.BytesIO(PDF), "scan\x00.pdf")]},
                                content_type="multipart/form-data")
    assert response.status_code == 400 and count(Complaint) == 0 and stored_files(intake.folder) == 0
