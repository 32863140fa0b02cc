"""What the survey's speed-ups must not change: cached form classes, and forms that resolve only the departments
that matter give the same verdicts and the same answers as resolving every department of the round."""
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import MultiDict

from forms.factory import build_form_class, steps
from questionnaire.answers import PICKER_FIELD, resolve
from questionnaire.defaults import default_questionnaire
from questionnaire.examples import every_type_questionnaire

DEPTS = [("A", "市场监管局"), ("B", "税务局"), ("C", "公安局"), ("D", "人社局")]


def test_a_cached_class_serves_the_same_document_and_departments_only():
    doc = default_questionnaire()
    first = build_form_class(doc, DEPTS, cache_key=("test", 1))
    assert build_form_class(doc, DEPTS, cache_key=("test", 1)) is first
    assert build_form_class(doc, DEPTS[:2], cache_key=("test", 1)) is not first
    assert "d__D__overall" not in build_form_class(doc, DEPTS[:2], cache_key=("test", 1))()._fields
    # Another document under another key gets its own fields, not the cached ones.
    other = default_questionnaire()
    other["items"][-1]["key"] = "closing_remarks"
    fields = build_form_class(other, DEPTS, cache_key=("test", 2))()._fields
    assert "q__closing_remarks" in fields and "q__general_comment" not in fields
    page = steps(doc, ["B"])[2]
    assert build_form_class(doc, DEPTS, step=page, cache_key=("test", 1)) is not first
    assert set(build_form_class(doc, DEPTS, step=page, cache_key=("test", 1))()._fields) == {
        f"d__B__{key}" for key in ("attitude", "efficiency", "policy", "law", "integrity", "overall", "comment")}


def test_a_cached_class_keeps_no_answers_between_forms():
    Form = build_form_class(default_questionnaire(), DEPTS, cache_key=("test", 3))
    bad = Form(MultiDict({"departments": "A", "d__A__overall": "1"}))
    assert not bad.validate() and bad.d__A__comment.errors
    good = Form(MultiDict({"departments": "A", **{f"d__A__{k}": "4" for k in (
        "attitude", "efficiency", "policy", "law", "integrity", "overall")}}))
    assert good.validate(), good.errors
    assert good.d__A__comment.errors == [] and good.layout() == bad.layout()


VALUES = st.one_of(st.none(), st.sampled_from(["1", "2", "3", "4", "5", "na", "0", "x", "", "abc", "enterprise",
                                               "citizen", "other", "3plus", "12", "-1", "window", "online"]))


def _data(draw, doc, picked):
    """Saved answers: the picker, then random (also invalid) values for every field of the whole form."""
    Full = build_form_class(doc, DEPTS)
    data = {PICKER_FIELD: picked}
    for name in Full()._fields:
        if name != PICKER_FIELD:
            value = draw(VALUES)
            if value is not None:
                data[name] = [value] if name == "q__channels" else value
    return data


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["default", "every_type"]),
       st.lists(st.sampled_from([c for c, _ in DEPTS]), max_size=4, unique=True))
def test_the_final_check_with_the_picked_departments_only_gives_the_same_answers(data, which, picked):
    doc = default_questionnaire() if which == "default" else every_type_questionnaire()
    saved = _data(data.draw, doc, picked)
    everyone = build_form_class(doc, DEPTS)(data=saved, prior=saved)
    only_picked = build_form_class(doc, [d for d in DEPTS if d[0] in picked])(data=saved, prior=saved)
    assert everyone.validate() == only_picked.validate()
    assert everyone.answers() == only_picked.answers()
    assert {k: v for k, v in everyone.errors.items() if v} == {k: v for k, v in only_picked.errors.items() if v}


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["default", "every_type"]),
       st.lists(st.sampled_from([c for c, _ in DEPTS]), min_size=1, max_size=4, unique=True))
def test_a_page_form_decides_its_fields_as_the_whole_questionnaire_would(data, which, picked):
    doc = default_questionnaire() if which == "default" else every_type_questionnaire()
    saved = _data(data.draw, doc, picked)
    if data.draw(st.booleans()):
        del saved[PICKER_FIELD]  # a department's page without the picker's answer: that department counts as picked
    for step in steps(doc, picked):
        if step.kind == "picker":
            continue
        form = build_form_class(doc, DEPTS, step=step)(MultiDict(
            [(k, v) for k, v in saved.items() if k != PICKER_FIELD and isinstance(v, str)]), prior=saved)
        form.validate()
        assume = [step.department] if step.department and PICKER_FIELD not in saved else []
        full = resolve(doc, DEPTS, form._raw, assume_picked=assume)  # every department of the round
        for name in form._fields:
            mine, whole = form._bkb_resolution.states[name], full.states[name]
            assert (mine.visible, mine.required, mine.value) == (whole.visible, whole.required, whole.value), name
            assert (mine.error and mine.error.message) == (whole.error and whole.error.message), name
        assert form._bkb_resolution.sections == full.sections
