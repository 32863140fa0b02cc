"""Differences between two questionnaire versions, readable by a designer."""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Any

from questionnaire.i18n import Message, N_
from questionnaire.schema import normalize_document

_SKIP = {"key", "options", "rows", "fields", "items"}


@dataclass(frozen=True)
class Change:
    """One difference. ``kind``: added, removed, moved, changed, option_added, option_removed,
    option_changed, options_reordered, row_added, row_removed, row_changed, rows_reordered.

    ``message`` says it to a person: an English template (``N_``) with its parameters, translated where shown;
    ``str()`` is its English. A parameter named ``field`` is a field's path within the question ("label.zh"),
    ``type`` a question type, ``key`` a question's key; the others are the designer's values as shown."""

    kind: str
    key: str | None  # the question key; None for the document itself
    field: str | None = None  # e.g. "weight", "label.zh", "score", or an option value / row key
    old: Any = None
    new: Any = None
    message: Message = dataclass_field(default=Message(""), compare=False)

    def __str__(self) -> str:
        return str(self.message)


_REMOVED = {"top": N_("Removed %(type)s '%(key)s' at the top level (%(label)s)"),
            "block": N_("Removed %(type)s '%(key)s' in the department block (%(label)s)")}
_ADDED = {"top": N_("Added %(type)s '%(key)s' at the top level (%(label)s) at position %(position)d"),
          "block": N_("Added %(type)s '%(key)s' in the department block (%(label)s) at position %(position)d")}
_MOVED = {"top": N_("Moved '%(key)s' to position %(position)d at the top level (was %(was)d)"),
          "block": N_("Moved '%(key)s' to position %(position)d in the department block (was %(was)d)")}
_MOVED_ACROSS = {"block": N_("Moved '%(key)s' into the department block"),
                 "top": N_("Moved '%(key)s' out of the department block")}
_CHANGED = N_("'%(key)s': %(field)s changed from %(old)s to %(new)s")
_DOCUMENT_CHANGED = N_("The questionnaire: %(field)s changed from %(old)s to %(new)s")
_LISTED = {
    "option_added": N_("'%(key)s': option %(ident)s added (%(label)s)"),
    "option_removed": N_("'%(key)s': option %(ident)s removed (%(label)s)"),
    "option_changed": N_("'%(key)s': option %(ident)s %(field)s changed from %(old)s to %(new)s"),
    "options_reordered": N_("'%(key)s': options reordered from %(old)s to %(new)s"),
    "row_added": N_("'%(key)s': row %(ident)s added (%(label)s)"),
    "row_removed": N_("'%(key)s': row %(ident)s removed (%(label)s)"),
    "row_changed": N_("'%(key)s': row %(ident)s %(field)s changed from %(old)s to %(new)s"),
    "rows_reordered": N_("'%(key)s': rows reordered from %(old)s to %(new)s"),
}


def _value(value: Any) -> Any:
    """A value as a message shows it: the designer's own text as written; none, yes and no in words."""
    if value is None:
        return Message.of(N_("(none)"))
    if isinstance(value, bool):
        return Message.of(N_("yes") if value else N_("no"))
    return _show(value)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _changed(key: str | None, path: str, old: Any, new: Any) -> Change:
    params = {"field": path, "old": _value(old), "new": _value(new)}
    message = Message.of(_CHANGED, key=key, **params) if key else Message.of(_DOCUMENT_CHANGED, **params)
    return Change("changed", key, path, old, new, message)


def _item_message(templates: dict, item: dict, container: str, **extra: Any) -> Message:
    return Message.of(templates[container], type=item["type"], key=item["key"],
                      label=item["label"].get("zh", ""), **extra)


def _flat(value: Any, prefix: str) -> dict[str, Any]:
    """{'label': {'zh': 'a'}} -> {'label.zh': 'a'} so that each language is its own field."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}"))
        return out
    return {prefix: value}


def _fields(item: dict) -> dict[str, Any]:
    out = {}
    for k, v in item.items():
        if k not in _SKIP:
            out.update(_flat(v, k))
    return out


def _layout(doc: dict) -> tuple[dict[str, tuple[dict, str]], dict[str, list[str]]]:
    items, order = {}, {"top": [], "block": []}
    for item in doc["items"]:
        items[item["key"]] = (item, "top")
        order["top"].append(item["key"])
        if item["type"] == "department_block":
            for sub in item["items"]:
                items[sub["key"]] = (sub, "block")
                order["block"].append(sub["key"])
    return items, order


def _lcs(a: list, b: list) -> set:
    """The elements of a longest common subsequence (what did not move)."""
    dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            dp[i][j] = dp[i + 1][j + 1] + 1 if a[i] == b[j] else max(dp[i + 1][j], dp[i][j + 1])
    out, i, j = set(), 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            out.add(a[i])
            i, j = i + 1, j + 1
        elif dp[i + 1][j] >= dp[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def diff_documents(old: dict, new: dict) -> list[Change]:
    """The changes from ``old`` to ``new`` (both valid documents), in a stable, readable order."""
    old, new = normalize_document(old), normalize_document(new)
    changes: list[Change] = []
    for name in ("title", "description"):
        a, b = _flat(old.get(name), name), _flat(new.get(name), name)
        for field in sorted(set(a) | set(b)):
            if a.get(field) != b.get(field):
                changes.append(_changed(None, field, a.get(field), b.get(field)))
    old_items, old_order = _layout(old)
    new_items, new_order = _layout(new)
    for key in old_order["top"] + old_order["block"]:
        if key not in new_items:
            item, container = old_items[key]
            changes.append(Change("removed", key, message=_item_message(_REMOVED, item, container)))
    for container in ("top", "block"):
        common_old = [k for k in old_order[container] if k in new_items and new_items[k][1] == container]
        common_new = [k for k in new_order[container] if k in old_items and old_items[k][1] == container]
        stayed = _lcs(common_old, common_new)
        for key in new_order[container]:
            if key not in old_items:
                changes.append(Change("added", key, message=_item_message(
                    _ADDED, new_items[key][0], container, position=new_order[container].index(key) + 1)))
            elif old_items[key][1] != container:
                changes.append(Change("moved", key, message=Message.of(_MOVED_ACROSS[container], key=key)))
            elif key not in stayed:
                changes.append(Change("moved", key, message=Message.of(
                    _MOVED[container], key=key, position=new_order[container].index(key) + 1,
                    was=old_order[container].index(key) + 1)))
    for key in old_order["top"] + old_order["block"]:
        if key in new_items:
            changes.extend(_item_changes(key, old_items[key][0], new_items[key][0]))
    return changes


def _item_changes(key: str, a: dict, b: dict) -> list[Change]:
    out = []
    fa, fb = _fields(a), _fields(b)
    if fa.get("type") != fb.get("type"):
        out.append(_changed(key, "type", fa.get("type"), fb.get("type")))
    for field in sorted((set(fa) | set(fb)) - {"type"}):
        if fa.get(field) != fb.get(field):
            out.append(_changed(key, field, fa.get(field), fb.get(field)))
    out.extend(_list_changes(key, a.get("options") or [], b.get("options") or [], "value", "option"))
    out.extend(_list_changes(key, a.get("rows") or [], b.get("rows") or [], "key", "row"))
    # The boxes of several short texts are listed as a matrix's rows are (a row each).
    out.extend(_list_changes(key, a.get("fields") or [], b.get("fields") or [], "key", "row"))
    return out


def _list_changes(key: str, a: list[dict], b: list[dict], id_field: str, what: str) -> list[Change]:
    out = []
    by_a = {o[id_field]: o for o in a}
    by_b = {o[id_field]: o for o in b}
    for ident, option in by_a.items():
        if ident not in by_b:
            out.append(_listed(f"{what}_removed", key, ident, label=option["label"].get("zh", "")))
    for ident, option in by_b.items():
        if ident not in by_a:
            out.append(_listed(f"{what}_added", key, ident, label=option["label"].get("zh", "")))
            continue
        fa, fb = _fields(by_a[ident]), _fields(option)
        for field in sorted(set(fa) | set(fb)):
            if field != id_field and fa.get(field) != fb.get(field):
                kind, old_value, new_value = f"{what}_changed", fa.get(field), fb.get(field)
                out.append(Change(kind, key, f"{ident}.{field}", old_value, new_value, Message.of(
                    _LISTED[kind], key=key, ident=_show(ident), field=field, old=_value(old_value),
                    new=_value(new_value))))
    common_a = [o[id_field] for o in a if o[id_field] in by_b]
    common_b = [o[id_field] for o in b if o[id_field] in by_a]
    if common_a != common_b:
        kind = f"{what}s_reordered"
        out.append(Change(kind, key, None, common_a, common_b, Message.of(
            _LISTED[kind], key=key, old=_show(common_a), new=_show(common_b))))
    return out


def _listed(kind: str, key: str, ident: Any, label: str) -> Change:
    """An option or row added or removed."""
    return Change(kind, key, ident, message=Message.of(_LISTED[kind], key=key, ident=_show(ident), label=label))
