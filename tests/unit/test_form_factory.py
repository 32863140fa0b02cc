"""The WTForms form factory, the step API, answer extraction and department scores."""
import pytest
import wtforms
from werkzeug.datastructures import MultiDict

from forms.factory import build_form_class, steps
from questionnaire.answers import Answer, department_score, dimension_scores, extract_answers
from questionnaire.defaults import default_questionnaire
from questionnaire.examples import every_type_questionnaire

DEPTS = [("A", "市场监管局"), ("B", "税务局"), ("C", "公安局")]
FULL_A = {"d__A__attitude": "5", "d__A__efficiency": "4", "d__A__policy": "4", "d__A__law": "3",
          "d__A__integrity": "5", "d__A__overall": "4"}


def submit(doc, data, departments=DEPTS, **kwargs):
    form = build_form_class(doc, departments, **kwargs)(MultiDict(data))
    ok = form.validate()
    return ok, form


def test_fields_have_stable_names_and_the_block_repeats_per_department():
    form = build_form_class(default_questionnaire(), DEPTS)()
    names = [f.name for f in form]
    assert names[0] == "departments"
    for code in "ABC":
        assert f"d__{code}__overall" in names and f"d__{code}__comment" in names
    assert names[-1] == "q__general_comment"
    assert len(names) == 1 + 3 * 7 + 1
    assert form.d__A__overall.label.text == "总体满意度"
    # Each radio option's label is tied to its input (the group label is a legend-like text).
    assert [str(sub.label) for sub in form.d__A__overall][0] == '<label for="d__A__overall-0">非常满意</label>'
    assert isinstance(form.d__A__overall, wtforms.RadioField)
    assert [c.value for c in form.d__A__overall.iter_choices()] == ["5", "4", "3", "2", "1", "na"]
    assert "<input" in str(form.d__A__overall) and 'type="radio"' in str(form.d__A__overall)


def test_locale_and_gettext_are_used():
    catalog = {"This question is required.": "此题为必答题。"}
    Form = build_form_class(default_questionnaire(), DEPTS, locale="en", gettext=lambda m: catalog.get(m, m))
    form = Form(MultiDict({"departments": "A"}))
    assert not form.validate()
    assert form.d__A__overall.label.text == "Overall satisfaction"
    assert form.d__A__overall.errors == ["此题为必答题。"]


def test_valid_submission_and_hidden_departments_are_not_required():
    ok, form = submit(default_questionnaire(), {"departments": "A", **FULL_A})
    assert ok, form.errors
    assert form.d__B__overall.errors == []


def test_answers_of_unpicked_departments_are_discarded():
    ok, form = submit(default_questionnaire(), {"departments": "A", **FULL_A, "d__B__overall": "1"})
    assert ok
    assert form.d__B__overall.data is None
    assert "d__B__overall" not in form.visible_data()
    assert all(a.department in ("A", None) for a in form.answers())


def test_picker_min_picks_and_unknown_department():
    ok, form = submit(default_questionnaire(), {})
    assert not ok and form.departments.errors == ["This question is required."]
    ok, form = submit(default_questionnaire(), {"departments": "Z"})
    assert not ok and form.departments.errors == ["Please choose one of the options."]


@pytest.mark.parametrize("overall, required", [("2", True), ("1", True), ("3", False), ("5", False), ("na", False)])
def test_comment_rule_triggers_at_dissatisfied_and_worse(overall, required):
    ok, form = submit(default_questionnaire(), {"departments": "A", **FULL_A, "d__A__overall": overall})
    assert ok is not required
    assert form.d__A__comment.errors == (["This question is required."] if required else [])
    ok, form = submit(default_questionnaire(), {"departments": "A", **FULL_A, "d__A__overall": overall,
                                               "d__A__comment": "窗口排队太久"})
    assert ok


def test_required_rating_and_invalid_choice():
    data = {"departments": "A", **FULL_A}
    del data["d__A__law"]
    data["d__A__policy"] = "7"
    ok, form = submit(default_questionnaire(), data)
    assert form.d__A__law.errors == ["This question is required."]
    assert form.d__A__policy.errors == ["Please choose one of the options."]


def test_text_max_length():
    ok, form = submit(default_questionnaire(), {"departments": "A", **FULL_A, "d__A__comment": "x" * 501})
    assert not ok and form.d__A__comment.errors == ["Please write at most 500 characters."]


EVERY_OK = {"kind": "enterprise", "revenue": "12.5", "channels": ["online"], "general": "3", "departments": ["A"],
            "d__A__overall": "4"}


def every(data):
    items = []
    for k, v in data.items():
        if v is None:
            continue
        name = k if k.startswith(("d__", "departments")) else f"q__{k}"
        for value in v if isinstance(v, list) else [v]:
            items.append((name, value))
    return submit(every_type_questionnaire(), items)


def test_every_type_valid_submission():
    ok, form = every(EVERY_OK)
    assert ok, form.errors


@pytest.mark.parametrize("value, error", [
    ("-1", "The value must be at least 0."),
    ("100001", "The value must be at most 100000."),
    ("2.5", "Please enter a whole number."),
    ("abc", "Please enter a number."),
    ("inf", "Please enter a number."),
    ("1,000", "Please enter a number."),
    ("1_000", "Please enter a number."),
    ("1e3", "Please enter a number."),
])
def test_number_bounds(value, error):
    ok, form = every({**EVERY_OK, "employees": value})
    assert not ok and form.q__employees.errors == [error]


def test_decimal_number():
    ok, form = every({**EVERY_OK, "revenue": "0.4"})
    assert form.q__revenue.errors == ["The value must be at least 0.5."]
    ok, form = every(EVERY_OK)
    assert form.visible_data()["q__revenue"] == 12.5


@pytest.mark.parametrize("picks, error", [
    ([], ["Please choose at least 1."]),
    (["online", "window", "phone"], ["Please choose at most 2."]),
    (["online", "fax"], ["Please choose one of the options."]),
])
def test_multiple_min_max(picks, error):
    data = {**EVERY_OK, "channels": picks}
    if not picks:
        del data["channels"]
    ok, form = every(data)
    # min_picks only applies once the question is answered; an empty optional answer is allowed.
    assert form.q__channels.errors == ([] if not picks else error)


def test_hidden_questions_are_not_required_and_dropped():
    # kind_other is required but only shown when kind = 'other'.
    ok, form = every({**EVERY_OK, "kind_other": "should vanish"})
    assert ok
    assert form.q__kind_other.data is None
    assert "q__kind_other" not in form.visible_data()
    ok, form = every({**EVERY_OK, "kind": "other"})
    assert form.q__kind_other.errors == ["This question is required."]


def test_hidden_section_hides_its_questions():
    # The 'experience' section is hidden for kind = 'other': its required rating is then not required.
    ok, form = every({**EVERY_OK, "kind": "other", "kind_other": "NGO", "general": None})
    assert form.q__general.errors == []
    ok, form = every({**EVERY_OK, "general": None})
    assert form.q__general.errors == ["This question is required."]


def test_a_hidden_answer_is_unanswered_for_later_expressions():
    # general_why is required when general <= 1; general is hidden for kind = 'other', so its value is ignored.
    ok, form = every({**EVERY_OK, "general": "1"})
    assert form.q__general_why.errors == ["This question is required."]
    ok, form = every({**EVERY_OK, "kind": "other", "kind_other": "x", "general": "1"})
    assert ok, form.errors


def test_hidden_department_block():
    # The block shows when channels contains 'window' or kind != 'citizen'.
    ok, form = every({**EVERY_OK, "kind": "citizen", "departments": []})
    assert ok, form.errors
    ok, form = every({**EVERY_OK, "kind": "citizen", "channels": ["window"], "departments": []})
    assert form.departments.errors == ["This question is required."]


def test_matrix_rows_are_fields_and_answers():
    ok, form = every({**EVERY_OK, "d__A__service__speed": "5", "d__A__service__manner": "na"})
    assert ok
    answers = {a.question: a for a in form.answers() if a.department == "A"}
    assert answers["service.speed"] == Answer("A", "service.speed", 5, 100.0, "service", 0.2)
    assert answers["service.manner"].value == "na" and answers["service.manner"].score is None


def test_matrix_row_in_required_if():
    ok, form = every({**EVERY_OK, "d__A__service__manner": "2"})
    assert form.d__A__comment.errors == ["This question is required."]


def test_not_familiar_scores_none_and_is_missing_in_the_department_score():
    doc = default_questionnaire()
    data = {"departments": "A", **FULL_A, "d__A__attitude": "na", "d__A__overall": "5"}
    answers = extract_answers(doc, DEPTS, MultiDict(data))
    by_key = {a.question: a for a in answers}
    assert by_key["attitude"].value == "na" and by_key["attitude"].score is None
    assert by_key["overall"].value == 5 and by_key["overall"].score == 100.0
    # efficiency 80, policy 80, law 60, integrity 100 at 0.14 each; overall 100 at 0.3
    expected = (0.14 * (80 + 80 + 60 + 100) + 0.3 * 100) / (0.14 * 4 + 0.3)
    assert department_score(answers, doc) == pytest.approx(expected)


def test_department_score_edge_cases():
    doc = default_questionnaire()
    assert department_score([], doc) is None
    assert department_score([Answer("A", "overall", "na", None)], doc) is None
    assert department_score([Answer("A", "overall", 2, 40.0)], doc) == 40.0
    with pytest.raises(ValueError):
        department_score([Answer("A", "overall", 2, 40.0), Answer("B", "overall", 2, 40.0)], doc)


def test_dimension_scores():
    doc = every_type_questionnaire()
    answers = extract_answers(doc, DEPTS, {"q__kind": "enterprise", "q__general": "3", "departments": ["A"],
                                           "d__A__service__speed": 4, "d__A__service__manner": 2,
                                           "d__A__overall": 4})
    scores = dimension_scores([a for a in answers if a.department == "A"], doc)
    assert scores == {"overall": 80.0, "service": pytest.approx((80 * 0.2 + 40 * 0.4) / 0.6)}


def test_extract_answers_normalises_values():
    doc = every_type_questionnaire()
    data = MultiDict([("q__company", "  ACME  "), ("q__kind", "enterprise"), ("q__employees", "12"),
                      ("q__revenue", "3"), ("q__channels", "window"), ("q__channels", "online"),
                      ("q__recommend", "9"), ("q__general", "na"), ("departments", "B"), ("d__B__visits", "3plus"),
                      ("d__B__wait_days", "4"), ("q__contact_ok", "138"), ("d__A__overall", "5")])
    values = {(a.department, a.question): (a.value, a.score) for a in extract_answers(doc, DEPTS, data)}
    assert values == {
        (None, "company"): ("ACME", None),
        (None, "kind"): ("enterprise", None),
        (None, "employees"): (12, None),
        (None, "revenue"): (3.0, None),
        (None, "channels"): (["online", "window"], 80.0),  # mean of the picked options' scores
        (None, "recommend"): (9, 90.0),
        (None, "general"): ("na", None),
        ("B", "visits"): ("3plus", 40.0),
        ("B", "wait_days"): (4, None),
        (None, "contact_ok"): ("138", None),
    }
    assert isinstance(values[(None, "revenue")][0], float)


def test_steps_for_picked_departments():
    doc = default_questionnaire()
    pages = steps(doc, ["B", "A"])
    assert [(s.kind, s.key, s.department) for s in pages] == [
        ("page", "intro", None), ("picker", "departments", None), ("department", "departments", "B"),
        ("department", "departments", "A"), ("page", "closing", None)]
    assert [s.index for s in pages] == [0, 1, 2, 3, 4]


def test_steps_skip_hidden_sections_when_answers_are_given():
    doc = every_type_questionnaire()
    keys = [s.key for s in steps(doc, [], data={"q__kind": "other"})]
    assert "experience" not in keys and "about" in keys
    assert "experience" in [s.key for s in steps(doc, [])]
    assert steps(doc, [])[0].kind == "page" and steps(doc, [])[0].key is None  # questions before any section


def test_step_forms_hold_only_their_fields_and_use_prior_answers():
    doc = default_questionnaire()
    pages = steps(doc, ["A", "B"])
    Picker = build_form_class(doc, DEPTS, step=pages[1])
    picker = Picker(MultiDict([("departments", "A"), ("departments", "B")]))
    assert [f.name for f in picker] == ["departments"]
    assert picker.validate()
    prior = picker.visible_data()
    assert prior == {"departments": ["A", "B"]}

    DeptB = build_form_class(doc, DEPTS, step=pages[3])
    form = DeptB(MultiDict({"d__B__overall": "1"}), prior=prior)
    assert {f.name for f in form} == {f"d__B__{k}" for k in
                                     ["attitude", "efficiency", "policy", "law", "integrity", "overall", "comment"]}
    assert not form.validate()
    assert form.d__B__comment.errors == ["This question is required."]
    assert form.d__B__attitude.errors == ["This question is required."]

    Intro = build_form_class(doc, DEPTS, step=pages[0])
    assert list(Intro()) == [] and Intro().layout()[0].kind == "section"


def test_step_form_for_a_department_not_in_the_round():
    doc = default_questionnaire()
    with pytest.raises(ValueError):
        build_form_class(doc, DEPTS, step=steps(doc, ["Z"])[2])


def test_the_final_form_accepts_the_stored_answers():
    doc = default_questionnaire()
    stored = {"departments": ["A"], "d__A__attitude": 5, "d__A__efficiency": "na", "d__A__policy": 4,
              "d__A__law": 3, "d__A__integrity": 5, "d__A__overall": 2, "d__A__comment": "慢"}
    form = build_form_class(doc, DEPTS)(data=stored)
    assert form.validate(), form.errors
    assert {(a.question, a.value) for a in form.answers()} == {(k[6:], v) for k, v in stored.items() if k[:2] == "d_"}


def test_base_class_is_used():
    class Base(wtforms.Form):
        token = wtforms.HiddenField(default="t")

        def marker(self):
            return "base"

    form = build_form_class(default_questionnaire(), DEPTS, base=Base)(MultiDict({"departments": "A", **FULL_A}))
    assert form.marker() == "base" and "token" in form._fields
    assert form.validate()


def test_invalid_document_is_refused():
    doc = default_questionnaire()
    doc["items"][0]["key"] = "Bad"
    with pytest.raises(ValueError):
        build_form_class(doc, DEPTS)


def test_layout_of_the_whole_form():
    form = build_form_class(every_type_questionnaire(), DEPTS[:1])()
    kinds = [(e.kind, e.key) for e in form.layout()]
    assert kinds[:3] == [("question", "company"), ("section", "about"), ("question", "kind")]
    assert ("picker", "depts") in kinds and ("department", "depts") in kinds
    matrix = next(e for e in form.layout() if e.kind == "matrix")
    assert matrix.fields == ("d__A__service__speed", "d__A__service__manner") and matrix.department == "A"


# --------------------------------------------------------------------------- the newer types

def test_the_newer_types_become_the_fields_a_phone_expects():
    from questionnaire.examples import new_types_questionnaire

    doc = new_types_questionnaire()
    form = build_form_class(doc, DEPTS[:1], gettext={"Please choose": "请选择"}.get)()
    kinds = {f.name: type(f).__name__ for f in form}
    assert kinds["q__visited_on"] == "StringField" and 'type="date"' in form.q__visited_on()
    assert kinds["q__district"] == "SelectField" and '<option value="">请选择</option>' in form.q__district()
    assert kinds["q__online_first"] == "RadioField" and [c.value for c in form.q__online_first.choices] == ["yes", "no"]
    assert form.q__reason.choices[-1].value == "other" and form.q__reason__other.label.text == "请注明"
    assert [c.value for c in form.q__priorities__speed.choices] == ["", "1", "2", "3"]
    assert form.q__contact__unit.label.text == "单位" and 'maxlength="50"' in form.q__contact__unit()
    layout = {(e.kind, e.key) for e in form.layout()}
    assert {("note", "intro"), ("note", "dept_note"), ("parts", "priorities"), ("parts", "contact"),
            ("question", "reason")} <= layout
    assert not any(name.startswith("q__intro") for name in kinds)  # a note holds no field


def test_a_step_shows_the_notes_of_its_own_page_only():
    from questionnaire.examples import new_types_questionnaire

    doc = new_types_questionnaire()
    pages = steps(doc, ["A"])
    first = build_form_class(doc, DEPTS[:1], step=pages[0])()
    department = build_form_class(doc, DEPTS[:1], step=pages[2])()
    assert [e.key for e in first.layout() if e.kind == "note"] == ["intro", "offline_note"]
    assert [e.key for e in department.layout() if e.kind == "note"] == ["dept_note"]


def test_other_is_required_only_when_chosen_and_ranks_are_checked_together():
    from questionnaire.examples import new_types_questionnaire

    doc = new_types_questionnaire()
    base = {"q__visited_on": "2024-05-01", "q__online_first": "yes", "q__priorities__speed": "2",
            "q__priorities__manner": "1", "q__priorities__clarity": "3"}
    ok, form = submit(doc, {**base, "q__helped_by": ["other"]}, DEPTS[:1])
    assert not ok and form.errors == {"q__helped_by__other": ["Please say what the other answer is."]}
    ok, form = submit(doc, {**base, "q__priorities__clarity": "2"}, DEPTS[:1])
    assert not ok and set(form.errors) == {"q__priorities__speed", "q__priorities__clarity"}
    ok, form = submit(doc, base, DEPTS[:1])
    assert ok, form.errors
