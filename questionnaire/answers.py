"""Resolving a submission (visibility, parsing, required rules), answer extraction and scoring.

The same resolution drives the WTForms validators (factory.py) and ``extract_answers``, so the
form and the stored answers can never disagree about what was visible or required.

Field names: ``q__<key>`` for a top-level question, ``d__<code>__<key>`` for a question asked
about department ``<code>``, a matrix row adds ``__<row>``; the department picker is
``departments``. Answer keys use a dot for matrix rows: ``<key>.<row>``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from questionnaire.schema import department_block
from questionnaire.types import (
    MSG_INVALID_CHOICE,
    MSG_REQUIRED,
    MSG_TOO_FEW,
    MSG_TOO_MANY,
    InvalidAnswer,
    Slot,
    type_of,
)
from rules.expressions import parse_expression

PICKER_FIELD = "departments"


def field_name(answer_key: str, department: str | None = None) -> str:
    """The form field name of an answer slot (a dot in a matrix answer key becomes '__')."""
    suffix = answer_key.replace(".", "__")
    return f"d__{department}__{suffix}" if department is not None else f"q__{suffix}"


@dataclass(frozen=True)
class Answer:
    """One visible, answered question (a matrix row counts as one question)."""

    department: str | None
    question: str
    value: Any
    score: float | None
    dimension: str | None = None
    weight: float | None = None


@dataclass
class SlotState:
    """What the resolution decided about one field."""

    name: str
    question: dict | None
    slot: Slot | None
    department: str | None
    visible: bool
    required: bool = False
    value: Any = None
    error: InvalidAnswer | None = None


@dataclass
class Resolution:
    """The outcome of resolving a submission against a document, field by field."""

    states: dict[str, SlotState] = field(default_factory=dict)
    sections: dict[str, bool] = field(default_factory=dict)  # section key -> visible
    picked: list[str] = field(default_factory=list)

    def errors(self) -> dict[str, InvalidAnswer]:
        """Field name -> problem, for visible fields only."""
        out = {}
        for name, st in self.states.items():
            if not st.visible:
                continue
            if st.error is not None:
                out[name] = st.error
            elif st.required and st.value is None:
                out[name] = InvalidAnswer(MSG_REQUIRED)
        return out


_EXPR_CACHE: dict[str, Any] = {}


def _holds(expr: str | None, values: Mapping[str, Any]) -> bool:
    if not expr:
        return True
    parsed = _EXPR_CACHE.get(expr)
    if parsed is None:
        parsed = _EXPR_CACHE[expr] = parse_expression(expr)
        if len(_EXPR_CACHE) > 5000:  # a bound, not a policy: documents are few
            _EXPR_CACHE.clear()
    return parsed.evaluate(values)


def _department_codes(departments: Iterable) -> list[str]:
    codes = []
    for d in departments:
        codes.append(d[0] if isinstance(d, (tuple, list)) else d)
    return [str(c) for c in codes]


def resolve(
    doc: dict,
    departments: Iterable,
    raw: Callable[[str], Any],
    *,
    assume_picked: Sequence[str] = (),
) -> Resolution:
    """Walk the document in order: decide visibility, parse values and required-ness of every field.

    ``raw(name)`` returns the submitted value of a field (or None). Hidden questions get no value,
    so later expressions see them as unanswered. ``assume_picked`` marks departments as picked
    when the picker's value is not available (a per-department step).
    """
    codes = _department_codes(departments)
    res = Resolution()
    values: dict[str, Any] = {}
    page_visible = True
    for item in doc["items"]:
        kind = item["type"]
        if kind == "section":
            page_visible = _holds(item.get("show_if"), values)
            res.sections[item["key"]] = page_visible
            continue
        if kind == "department_block":
            _resolve_block(item, codes, raw, values, res, assume_picked)
            page_visible = True  # the block is its own pages; what follows is outside the section
            continue
        _resolve_question(item, None, raw, values, res, page_visible)
    return res


def _resolve_question(q, department, raw, values, res, parent_visible) -> None:
    qtype = type_of(q)
    visible = parent_visible and _holds(q.get("show_if"), values)
    required = visible and (q.get("required", False) or (bool(q.get("required_if")) and _holds(q["required_if"], values)))
    states = []
    for slot in qtype.slots(q):
        name = field_name(slot.answer_key, department)
        st = SlotState(name, q, slot, department, visible, required)
        if visible:
            try:
                st.value = qtype.parse(q, slot, raw(name))
            except InvalidAnswer as e:
                st.error = e
        res.states[name] = st
        states.append(st)
    if visible:
        # Checks across the question's answers (every item ranked once; the text of a chosen "other").
        parsed = {st.slot.answer_key: st.value for st in states if st.error is None}
        problems = qtype.settle(q, parsed)
        for st in states:
            if st.error is None:
                st.value = parsed[st.slot.answer_key]
                st.error = problems.get(st.slot.answer_key)
            if st.value is not None and st.error is None:
                values[st.slot.answer_key] = st.value


def _resolve_block(block, codes, raw, values, res, assume_picked) -> None:
    visible = _holds(block.get("show_if"), values)
    st = SlotState(PICKER_FIELD, block, Slot(block, block["key"]), None, visible, block.get("min_picks", 0) > 0)
    picked: list[str] = []
    if visible:
        submitted = raw(PICKER_FIELD)
        try:
            value = type_of(block).parse(block, st.slot, submitted)
            if value is not None:
                if any(code not in codes for code in value):
                    raise InvalidAnswer(MSG_INVALID_CHOICE)
                value.sort(key=codes.index)
                if len(value) < block.get("min_picks", 0):
                    raise InvalidAnswer(MSG_TOO_FEW, min=block["min_picks"])
                if "max_picks" in block and len(value) > block["max_picks"]:
                    raise InvalidAnswer(MSG_TOO_MANY, max=block["max_picks"])
                picked = value
        except InvalidAnswer as e:
            st.error = e
        if submitted is None and assume_picked:
            picked = [c for c in codes if c in assume_picked]
        st.value = picked or None
        if picked:
            values[block["key"]] = picked
    res.states[PICKER_FIELD] = st
    res.picked = picked
    for code in codes:
        scope = dict(values)  # each department sees the top-level answers and its own siblings only
        for q in block["items"]:
            _resolve_question(q, code, raw, scope, res, code in picked)


def list_fields(doc: dict, departments: Iterable) -> set[str]:
    """Names of the fields whose value is a list (the picker and multiple-choice questions)."""
    names = {PICKER_FIELD}
    block = department_block(doc)
    for item in doc["items"]:
        if item["type"] == "multiple":
            names.add(field_name(item["key"]))
    for q in (block or {}).get("items", []):
        if q["type"] == "multiple":
            names.update(field_name(q["key"], code) for code in _department_codes(departments))
    return names


def _reader(doc: dict, departments: Iterable, data: Any) -> Callable[[str], Any]:
    """Read a field from a plain mapping, or from a MultiDict (a request's form) using getlist."""
    getlist = getattr(data, "getlist", None)
    if getlist is None:
        return lambda name: data.get(name)
    wants_list = list_fields(doc, departments)

    def raw(name: str) -> Any:
        items = getlist(name)
        if not items:
            return None
        return items if name in wants_list else items[0]

    return raw


def resolve_data(doc: dict, departments: Iterable, data: Any) -> Resolution:
    """Resolve a mapping of field name to submitted value (dict or MultiDict)."""
    return resolve(doc, departments, _reader(doc, departments, data))


def answers_from(res: Resolution) -> list[Answer]:
    """The visible, answered slots of a resolution as Answers, in document order."""
    out = []
    for st in res.states.values():
        if not st.visible or st.value is None or st.error is not None or st.question["type"] == "department_block":
            continue
        qtype = type_of(st.question)
        scorable = qtype.scorable
        out.append(Answer(
            department=st.department,
            question=st.slot.answer_key,
            value=st.value,
            score=qtype.score(st.question, st.slot, st.value),
            dimension=st.question.get("dimension") if scorable else None,
            weight=qtype.slot_weight(st.question, st.slot) if scorable and st.question.get("scored") else None,
        ))
    return out


def extract_answers(doc: dict, departments: Iterable, data: Any) -> list[Answer]:
    """The visible, answered questions of a submission (invalid values are left out)."""
    return answers_from(resolve_data(doc, departments, data))


def _weights(doc: dict) -> dict[str, float]:
    block = department_block(doc)
    out = {}
    for q in (block or {}).get("items", []) + [i for i in doc["items"] if i["type"] != "department_block"]:
        qtype = type_of(q)
        if qtype.scorable:
            for slot in qtype.slots(q):
                out[slot.answer_key] = qtype.slot_weight(q, slot)
    return out


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Sum(w*s)/Sum(w) over (score, weight) pairs; None when there is no positive weight."""
    total = weight_sum = 0.0
    for score, weight in pairs:
        total += score * weight
        weight_sum += weight
    return total / weight_sum if weight_sum > 0 else None


def department_score(answers: Iterable[Answer], doc: dict) -> float | None:
    """A respondent's score for one department: the weighted mean of the scored items answered.

    Weights are re-normalised over the items answered; 不了解 and unscored items are missing.
    """
    answers = list(answers)
    if len({a.department for a in answers}) > 1:
        raise ValueError("department_score takes the answers about one department")
    weights = _weights(doc)
    return weighted_mean((a.score, weights.get(a.question, 0.0)) for a in answers if a.score is not None)


def dimension_scores(answers: Iterable[Answer], doc: dict) -> dict[str, float]:
    """Weighted mean score per dimension over the scored items answered (dimensions without answers omitted)."""
    weights = _weights(doc)
    groups: dict[str, list[tuple[float, float]]] = {}
    for a in answers:
        if a.score is not None and a.dimension:
            groups.setdefault(a.dimension, []).append((a.score, weights.get(a.question, 0.0)))
    out = {}
    for dim, pairs in groups.items():
        mean = weighted_mean(pairs)
        if mean is not None:
            out[dim] = mean
    return out
