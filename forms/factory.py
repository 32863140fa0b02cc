"""Turn a questionnaire document into a WTForms form class, whole or one respondent page at a time.

Usage in the app (Flask-WTF gives CSRF, Flask-Babel gives Chinese messages)::

    pages = steps(doc, picked)                         # the respondent's ordered pages
    Form = build_form_class(doc, departments, base=FlaskForm, gettext=gettext, step=pages[i])
    form = Form(prior=session_answers)                 # answers of the earlier pages
    if form.validate_on_submit():
        session_answers.update(form.visible_data())

    Final = build_form_class(doc, departments, base=FlaskForm, gettext=gettext)
    final = Final(data=session_answers)                # or the submitted request for a one-page form
    if final.validate(): answers = final.answers()

Show-if and required-if are evaluated on the submitted data (plus ``prior``) in document
order: hidden questions are never required and their answers are discarded.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Sequence

import wtforms
from wtforms import SelectChoice, SelectMultipleField, widgets
from wtforms.validators import StopValidation

from forms.fields import make_field
from questionnaire.answers import PICKER_FIELD, Answer, Resolution, answers_from, field_name, list_fields, resolve
from questionnaire.schema import check_document
from questionnaire.types import text_of, type_of


def _identity(message: str) -> str:
    return message


@dataclass(frozen=True)
class Step:
    """One respondent page: a section page, the department picker, or one picked department."""

    index: int
    kind: str  # "page" | "picker" | "department"
    key: str | None  # the section key (None for questions before any section), or the block key
    department: str | None = None
    item_keys: tuple[str, ...] = ()  # the page's items (sections and questions) by key


@dataclass(frozen=True)
class LayoutEntry:
    """What a template renders, in order: section headings, questions, matrices, the picker."""

    kind: str  # "section" | "note" | "question" | "matrix" | "parts" | "picker" | "department"
    key: str
    label: str
    help: str = ""
    fields: tuple[str, ...] = ()
    required: bool = False
    department: str | None = None
    show_if: str | None = None
    display: str = ""  # "row": a scale shown as one row of levels ("list" or "" for one option per line)


def steps(doc: dict, picked_department_codes: Sequence[str], data: Any = None,
          departments: Iterable | None = None) -> list[Step]:
    """The respondent's ordered pages; with ``data`` (answers so far), pages of hidden sections are left out."""
    sections_visible: dict[str, bool] = {}
    if data is not None:
        from questionnaire.answers import resolve_data

        sections_visible = resolve_data(doc, departments or [(c, c) for c in picked_department_codes], data).sections
    pages: list[tuple[str, str | None, str | None, list[str]]] = []
    current: list[str] | None = None
    for item in doc["items"]:
        kind = item["type"]
        if kind == "section":
            current = [item["key"]]
            pages.append(("page", item["key"], None, current))
        elif kind == "department_block":
            pages.append(("picker", item["key"], None, [item["key"]]))
            for code in picked_department_codes:
                pages.append(("department", item["key"], code, [q["key"] for q in item["items"]]))
            current = None
        else:
            if current is None:
                current = []
                pages.append(("page", None, None, current))
            current.append(item["key"])
    out = []
    for kind, key, dept, keys in pages:
        if kind == "page" and key is not None and not sections_visible.get(key, True):
            continue
        out.append(Step(len(out), kind, key, dept, tuple(keys)))
    return out


class _SlotCheck:
    """The one validator of every generated field: it applies the shared resolution."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, form, field) -> None:
        res: Resolution = form._bkb_resolution
        st = res.states[self.name]
        if not st.visible:
            field.data = [] if self.name in form._bkb_list_fields else None
            raise StopValidation()
        error = res.errors().get(self.name)
        if error is not None:
            raise StopValidation(error.render(form._bkb_gettext))


class QuestionnaireFormMixin:
    """Methods of every generated questionnaire form (mixed in before the ``base`` class)."""

    _bkb_doc: dict
    _bkb_departments: list[tuple[str, str]]
    _bkb_step: Step | None
    _bkb_gettext: Callable[[str], str]
    _bkb_locale: str
    _bkb_list_fields: set[str]

    def __init__(self, *args, prior: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.prior = dict(prior or {})
        self._bkb_resolution: Resolution | None = None

    def _raw(self, name: str) -> Any:
        if name in self._fields:
            return self._fields[name].data
        return self.prior.get(name)

    def resolution(self) -> Resolution:
        """Resolve the current data (fields of this form, ``prior`` for the others)."""
        assume = [self._bkb_step.department] if self._bkb_step and self._bkb_step.department else []
        if PICKER_FIELD in self.prior or PICKER_FIELD in self._fields:
            assume = []
        return resolve(self._bkb_doc, self._resolved_departments(), self._raw, assume_picked=assume)

    def _resolved_departments(self) -> list[tuple[str, str]]:
        """The departments whose questions can matter to this form.

        A form without the picker (a section page, one department's page) holds no other department's fields,
        and a department nobody picked has only hidden questions, whose answers reach no expression outside
        their own department: resolving the picked departments and this page's own gives every field of the
        form, and every answer the rest of the document sees, exactly as resolving them all would.
        """
        if PICKER_FIELD in self._fields:
            return self._bkb_departments
        picked = self.prior.get(PICKER_FIELD)
        if isinstance(picked, str):
            wanted = {picked}
        elif isinstance(picked, (list, tuple, set)):
            wanted = {c for c in picked if isinstance(c, str)}
        else:
            wanted = set()
        if self._bkb_step is not None and self._bkb_step.department:
            wanted.add(self._bkb_step.department)
        return [d for d in self._bkb_departments if d[0] in wanted]

    def validate(self, extra_validators=None) -> bool:
        """Validate with show-if/required-if evaluated on the submitted data."""
        self._bkb_resolution = self.resolution()
        return super().validate(extra_validators)

    def visible_data(self) -> dict[str, Any]:
        """Field name -> normalised value of this form's visible, answered fields (store it between steps)."""
        res = self._bkb_resolution or self.resolution()
        return {
            name: st.value for name, st in res.states.items()
            if name in self._fields and st.visible and st.value is not None and st.error is None
        }

    def answers(self) -> list[Answer]:
        """The Answers of the whole submission (this form's fields plus ``prior``)."""
        return answers_from(self._bkb_resolution or self.resolution())

    def layout(self) -> list[LayoutEntry]:
        """The entries a template renders for this form, in order (computed once per class)."""
        cls = type(self)
        cached = cls.__dict__.get("_bkb_layout")
        if cached is None:
            # The fields are the class's own (csrf_token aside), so the layout is the same for every instance.
            cached = cls._bkb_layout = tuple(_layout(self._bkb_doc, self._bkb_departments, self._bkb_step,
                                                     self._bkb_locale, set(self._fields)))
        return list(cached)


def _plan(doc: dict, departments: list[tuple[str, str]], step: Step | None) -> list[tuple[str, dict, Any, str | None]]:
    """(field name, question, slot, department) of every field the form holds, in order."""
    codes = [c for c, _ in departments]
    out = []

    def add(q, dept):
        for slot in type_of(q).slots(q):
            out.append((field_name(slot.answer_key, dept), q, slot, dept))

    for item in doc["items"]:
        kind = item["type"]
        if kind == "section":
            continue
        if kind == "department_block":
            if step is None or step.kind == "picker":
                out.append((PICKER_FIELD, item, None, None))
            if step is None or step.kind == "department":
                for code in codes if step is None else [step.department]:
                    for q in item["items"]:
                        add(q, code)
            continue
        if step is None or (step.kind == "page" and item["key"] in step.item_keys):
            add(item, None)
    return out


# Built classes by (cache_key, departments, base, gettext, locale, step), least recently used first. A class is
# immutable once built (fields, labels and layout depend only on the key), so one class serves every request
# that asks for it; a document named by a cache key is checked once, however many classes are built from it.
_CLASS_CACHE: OrderedDict[tuple, type] = OrderedDict()
_CLASS_CACHE_SIZE = 512  # a round needs about (departments + 4) x locales page classes, plus final forms
_CHECKED: set = set()
_CACHE_LOCK = threading.Lock()


def build_form_class(
    doc: dict,
    departments: Iterable[tuple[str, str]],
    *,
    base: type = wtforms.Form,
    gettext: Callable[[str], str] = _identity,
    locale: str = "zh",
    step: Step | None = None,
    cache_key: Hashable | None = None,
) -> type:
    """Build a form class for a questionnaire (the whole document, or one ``Step`` of ``steps()``).

    With ``cache_key`` — something that names this exact document and never another, such as a
    published version's id and document hash — the document is checked once, and the same class is
    returned for the same departments, base, gettext, locale and step.
    """
    departments = [(str(c), str(n)) for c, n in departments]
    if cache_key is None:
        check_document(doc)
        return _build_form_class(doc, departments, base, gettext, locale, step)
    key = (cache_key, tuple(departments), base, gettext, locale, step)
    with _CACHE_LOCK:
        cls = _CLASS_CACHE.get(key)
        if cls is not None:
            _CLASS_CACHE.move_to_end(key)
            return cls
    if cache_key not in _CHECKED:
        check_document(doc)
        if len(_CHECKED) >= _CLASS_CACHE_SIZE:
            _CHECKED.clear()
        _CHECKED.add(cache_key)
    cls = _build_form_class(doc, departments, base, gettext, locale, step)
    with _CACHE_LOCK:
        _CLASS_CACHE[key] = cls
        while len(_CLASS_CACHE) > _CLASS_CACHE_SIZE:
            _CLASS_CACHE.popitem(last=False)
    return cls


def _build_form_class(doc: dict, departments: list[tuple[str, str]], base: type, gettext: Callable[[str], str],
                      locale: str, step: Step | None) -> type:
    codes = [c for c, _ in departments]
    if len(set(codes)) != len(codes):
        raise ValueError("department codes must be unique")
    if step is not None and step.kind == "department" and step.department not in codes:
        raise ValueError(f"department {step.department!r} is not in this round")
    namespace = {
        "_bkb_doc": doc,
        "_bkb_departments": departments,
        "_bkb_step": step,
        "_bkb_gettext": staticmethod(gettext),
        "_bkb_locale": locale,
        "_bkb_list_fields": list_fields(doc, departments),
    }
    # Call the base's metaclass (WTForms' FormMeta) so the class collects its fields like a declared one.
    cls = type(base)("QuestionnaireForm", (QuestionnaireFormMixin, base), namespace)
    seen = set()
    for name, q, slot, dept in _plan(doc, departments, step):
        if name in seen or hasattr(base, name):
            raise ValueError(f"field name {name!r} is ambiguous (department codes clash with keys)")
        seen.add(name)
        if slot is None:  # the department picker
            field = SelectMultipleField(
                text_of(q["label"], locale), validators=[_SlotCheck(name)],
                description=text_of(q.get("help"), locale), choices=[SelectChoice(c, n) for c, n in departments], validate_choice=False,
                widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
            )
        else:
            field = make_field(
                q, slot, label=text_of(type_of(q).slot_label(q, slot), locale),
                description=text_of(q.get("help"), locale), locale=locale, validators=[_SlotCheck(name)],
                gettext=gettext,
            )
        setattr(cls, name, field)
    return cls


def _layout(doc, departments, step, locale, present: set[str]) -> list[LayoutEntry]:
    names = dict(departments)
    out: list[LayoutEntry] = []

    def question(q, dept):
        qtype = type_of(q)
        if q["type"] == "note":
            out.append(LayoutEntry("note", q["key"], text_of(q["label"], locale), text_of(q.get("help"), locale),
                                   department=dept, show_if=q.get("show_if")))
            return
        fields = tuple(field_name(s.answer_key, dept) for s in qtype.slots(q))
        if not any(f in present for f in fields):
            return
        display = q.get("layout", "row") if q["type"] in ("rating", "matrix") else ""
        # Answered in parts, each with its own label: ranked items, sub-fields ("other" is part of its choice).
        kind = "matrix" if q["type"] == "matrix" else "parts" if q["type"] in ("ranking", "multi_text") else "question"
        out.append(LayoutEntry(
            kind, q["key"], text_of(q["label"], locale),
            text_of(q.get("help"), locale), fields, bool(q.get("required")), dept, q.get("show_if"), display,
        ))

    for item in doc["items"]:
        kind = item["type"]
        if kind == "section":
            if step is None or (step.kind == "page" and step.key == item["key"]):
                out.append(LayoutEntry("section", item["key"], text_of(item["label"], locale),
                                       text_of(item.get("description"), locale), show_if=item.get("show_if")))
        elif kind == "department_block":
            if PICKER_FIELD in present:
                out.append(LayoutEntry("picker", item["key"], text_of(item["label"], locale),
                                       text_of(item.get("help"), locale), (PICKER_FIELD,),
                                       item.get("min_picks", 0) > 0, show_if=item.get("show_if")))
            for code, name in departments:
                if any(f.startswith(f"d__{code}__") for f in present):
                    out.append(LayoutEntry("department", item["key"], name, department=code))
                    for q in item["items"]:
                        question(q, code)
        elif kind == "note" and step is not None and not (step.kind == "page" and item["key"] in step.item_keys):
            continue  # a note shows on its own page only
        else:
            question(item, None)
    return out


__all__ = ["Step", "LayoutEntry", "steps", "build_form_class", "QuestionnaireFormMixin"]
