"""Differences between two questionnaire versions, readable by a designer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from questionnaire.schema import normalize_document

_SKIP = {"key", "options", "rows", "fields", "items"}


@dataclass(frozen=True)
class Change:
    """One difference. ``kind``: added, removed, moved, changed, option_added, option_removed,
    option_changed, options_reordered, row_added, row_removed, row_changed, rows_reordered."""

    kind: str
    key: str | None  # the question key; None for the document itself
    field: str | None = None  # e.g. "weight", "label.zh", "score", or an option value / row key
    old: Any = None
    new: Any = None
    detail: str = ""

    def __str__(self) -> str:
        who = f"'{self.key}'" if self.key else "The questionnaire"
        if self.kind in ("added", "removed"):
            return f"{self.kind.capitalize()} {self.detail}"
        if self.kind == "moved":
            return f"Moved {who} {self.detail}"
        if self.kind == "changed":
            return f"{who}: {self.field} changed from {_show(self.old)} to {_show(self.new)}"
        if self.kind in ("option_added", "option_removed", "row_added", "row_removed"):
            what, action = self.kind.split("_")
            return f"{who}: {what} {_show(self.field)} {action}{self.detail}"
        if self.kind in ("option_changed", "row_changed"):
            what = self.kind.split("_")[0]
            return f"{who}: {what} {self.detail} changed from {_show(self.old)} to {_show(self.new)}"
        if self.kind in ("options_reordered", "rows_reordered"):
            return f"{who}: {self.kind.split('_')[0]} reordered from {_show(self.old)} to {_show(self.new)}"
        return f"{who}: {self.kind}"  # pragma: no cover


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


def _where(container: str) -> str:
    return "in the department block" if container == "block" else "at the top level"


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


def _describe(item: dict, container: str) -> str:
    return f"{item['type']} '{item['key']}' {_where(container)} ({item['label'].get('zh', '')})"


def diff_documents(old: dict, new: dict) -> list[Change]:
    """The changes from ``old`` to ``new`` (both valid documents), in a stable, readable order."""
    old, new = normalize_document(old), normalize_document(new)
    changes: list[Change] = []
    for name in ("title", "description"):
        a, b = _flat(old.get(name), name), _flat(new.get(name), name)
        for field in sorted(set(a) | set(b)):
            if a.get(field) != b.get(field):
                changes.append(Change("changed", None, field, a.get(field), b.get(field)))
    old_items, old_order = _layout(old)
    new_items, new_order = _layout(new)
    for key in old_order["top"] + old_order["block"]:
        if key not in new_items:
            item, container = old_items[key]
            changes.append(Change("removed", key, detail=_describe(item, container)))
    for container in ("top", "block"):
        common_old = [k for k in old_order[container] if k in new_items and new_items[k][1] == container]
        common_new = [k for k in new_order[container] if k in old_items and old_items[k][1] == container]
        stayed = _lcs(common_old, common_new)
        for key in new_order[container]:
            if key not in old_items:
                changes.append(Change("added", key, detail=_describe(new_items[key][0], container)
                                      + f" at position {new_order[container].index(key) + 1}"))
            elif old_items[key][1] != container:
                where = "into the department block" if container == "block" else "out of the department block"
                changes.append(Change("moved", key, detail=where))
            elif key not in stayed:
                changes.append(Change("moved", key, detail=f"to position {new_order[container].index(key) + 1} "
                                      f"{_where(container)} (was {old_order[container].index(key) + 1})"))
    for key in old_order["top"] + old_order["block"]:
        if key in new_items:
            changes.extend(_item_changes(key, old_items[key][0], new_items[key][0]))
    return changes


def _item_changes(key: str, a: dict, b: dict) -> list[Change]:
    out = []
    fa, fb = _fields(a), _fields(b)
    if fa.get("type") != fb.get("type"):
        out.append(Change("changed", key, "type", fa.get("type"), fb.get("type")))
    for field in sorted((set(fa) | set(fb)) - {"type"}):
        if fa.get(field) != fb.get(field):
            out.append(Change("changed", key, field, fa.get(field), fb.get(field)))
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
            out.append(Change(f"{what}_removed", key, ident, detail=f" ({option['label'].get('zh', '')})"))
    for ident, option in by_b.items():
        if ident not in by_a:
            out.append(Change(f"{what}_added", key, ident, detail=f" ({option['label'].get('zh', '')})"))
            continue
        fa, fb = _fields(by_a[ident]), _fields(option)
        for field in sorted(set(fa) | set(fb)):
            if field != id_field and fa.get(field) != fb.get(field):
                out.append(Change(f"{what}_changed", key, f"{ident}.{field}", fa.get(field), fb.get(field),
                                  detail=f"{_show(ident)} {field}"))
    common_a = [o[id_field] for o in a if o[id_field] in by_b]
    common_b = [o[id_field] for o in b if o[id_field] in by_a]
    if common_a != common_b:
        out.append(Change(f"{what}s_reordered", key, None, common_a, common_b))
    return out
