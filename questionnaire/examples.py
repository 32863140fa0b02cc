"""A questionnaire that uses every question type and option: for tests, docs and demos."""
from __future__ import annotations

import copy

from questionnaire.schema import SCHEMA_VERSION

_EVERY_TYPE = {
    "schema_version": SCHEMA_VERSION,
    "title": {"zh": "全题型示例", "en": "Every question type"},
    "description": {"zh": "用于测试。"},
    "items": [
        {"type": "text", "key": "company", "label": {"zh": "单位名称", "en": "Organisation"}, "max_length": 100},
        {"type": "section", "key": "about", "label": {"zh": "基本情况", "en": "About you"},
         "description": {"zh": "请如实填写。", "en": "Please answer truthfully."}},
        {"type": "single", "key": "kind", "label": {"zh": "您的身份", "en": "You are"}, "required": True,
         "options": [
             {"value": "enterprise", "label": {"zh": "企业", "en": "An enterprise"}},
             {"value": "citizen", "label": {"zh": "群众", "en": "A citizen"}},
             {"value": "other", "label": {"zh": "其他"}},
         ]},
        {"type": "text", "key": "kind_other", "label": {"zh": "请说明"}, "show_if": "{kind} = 'other'",
         "required": True},
        {"type": "number", "key": "employees", "label": {"zh": "职工人数", "en": "Employees"},
         "help": {"zh": "填整数"}, "min": 0, "max": 100000, "show_if": "{kind} = 'enterprise'"},
        {"type": "number", "key": "revenue", "label": {"zh": "年营业额（万元）"}, "integer": False, "min": 0.5},
        {"type": "multiple", "key": "channels", "label": {"zh": "办事渠道", "en": "Channels used"},
         "min_picks": 1, "max_picks": 2, "scored": True, "weight": 0.5, "dimension": "access",
         "options": [
             {"value": "online", "label": {"zh": "网上办", "en": "Online"}, "score": 100},
             {"value": "window", "label": {"zh": "窗口办", "en": "At a window"}, "score": 60},
             {"value": "phone", "label": {"zh": "电话", "en": "By phone"}},
         ]},
        {"type": "section", "key": "experience", "label": {"zh": "办事体验"}, "show_if": "not ({kind} = 'other')"},
        {"type": "nps", "key": "recommend", "label": {"zh": "您向他人推荐本地营商环境的可能性", "en": "Would you recommend"},
         "scored": True, "weight": 2},
        {"type": "rating", "key": "general", "label": {"zh": "总体评价"}, "not_familiar": True,
         "not_familiar_label": {"zh": "说不清", "en": "Cannot say"}, "scored": True, "required": True,
         "options": [
             {"value": 3, "label": {"zh": "好"}, "score": 100},
             {"value": 2, "label": {"zh": "一般"}, "score": 60},
             {"value": 1, "label": {"zh": "差"}, "score": 0},
         ]},
        {"type": "textarea", "key": "general_why", "label": {"zh": "请说明原因"}, "required_if": "{general} <= 1",
         "max_length": 300},
        {"type": "department_block", "key": "depts", "label": {"zh": "您接触过哪些部门？", "en": "Departments"},
         "help": {"zh": "可多选"}, "min_picks": 1, "max_picks": 3, "show_if": "{channels} contains 'window' or {kind} != 'citizen'",
         "items": [
             {"type": "rating", "key": "overall", "label": {"zh": "总体满意度", "en": "Overall"}, "required": True,
              "not_familiar": True, "scored": True, "weight": 0.4, "dimension": "overall"},
             {"type": "matrix", "key": "service", "label": {"zh": "服务评价", "en": "Service"},
              "help": {"zh": "逐项评价"}, "scored": True, "weight": 0.2, "dimension": "service", "not_familiar": True,
              "rows": [
                  {"key": "speed", "label": {"zh": "速度", "en": "Speed"}},
                  {"key": "manner", "label": {"zh": "态度", "en": "Manner"}, "weight": 0.4},
              ]},
             {"type": "single", "key": "visits", "label": {"zh": "跑了几次"}, "scored": True, "dimension": "efficiency",
              "options": [
                  {"value": "1", "label": {"zh": "一次"}, "score": 100},
                  {"value": "2", "label": {"zh": "两次"}, "score": 70},
                  {"value": "3plus", "label": {"zh": "三次及以上"}, "score": 40},
              ]},
             {"type": "textarea", "key": "comment", "label": {"zh": "意见", "en": "Comment"},
              "required_if": "{overall} <= 2 or {service.manner} <= 2", "show_if": "{depts} contains 'A' or {overall}"},
             {"type": "number", "key": "wait_days", "label": {"zh": "等待天数"}, "min": 0, "max": 365,
              "show_if": "{visits} != '1' and {company}"},
         ]},
        {"type": "text", "key": "contact_ok", "label": {"zh": "联系方式（选填）"}, "show_if": "{depts} contains 'B'",
         "max_length": 50},
    ],
}

# The types added for designers used to other tools (note, date, dropdown, yes/no, ranking, several short
# texts, "other, please specify"), each with its options, in a document of their own.
_NEW_TYPES = {
    "schema_version": SCHEMA_VERSION,
    "title": {"zh": "新题型示例", "en": "The newer question types"},
    "items": [
        {"type": "note", "key": "intro", "label": {"zh": "以下问题约需两分钟。", "en": "These questions take two minutes."},
         "help": {"zh": "带*号的为必答题。"}},
        {"type": "date", "key": "visited_on", "label": {"zh": "最近一次办事日期", "en": "When did you last visit?"},
         "required": True, "min": "2024-01-01", "max": "2030-12-31"},
        {"type": "dropdown", "key": "district", "label": {"zh": "所在区县", "en": "District"}, "scored": True,
         "dimension": "access",
         "options": [
             {"value": "d01", "label": {"zh": "城东区", "en": "East"}, "score": 100},
             {"value": "d02", "label": {"zh": "城西区", "en": "West"}, "score": 80},
             {"value": "d03", "label": {"zh": "高新区", "en": "Hi-tech zone"}},
             # A long list, as a city's districts and streets are: the one-page survey adds a search box.
             *({"value": f"d{n:02d}", "label": {"zh": f"第{n}片区"}} for n in range(4, 21)),
         ]},
        {"type": "yes_no", "key": "online_first", "label": {"zh": "是否先在网上办理过？", "en": "Did you try online first?"},
         "required": True, "scored": True, "yes_score": 100, "no_score": 50, "weight": 0.5},
        {"type": "note", "key": "offline_note", "label": {"zh": "请说明未在网上办理的原因。"},
         "show_if": "{online_first} = 'no'"},
        {"type": "single", "key": "reason", "label": {"zh": "主要原因", "en": "Main reason"}, "other": True,
         "show_if": "{online_first} = 'no'",
         "options": [
             {"value": "unknown", "label": {"zh": "不知道可以网上办", "en": "Did not know"}},
             {"value": "hard", "label": {"zh": "操作太复杂", "en": "Too hard"}},
         ]},
        {"type": "multiple", "key": "helped_by", "label": {"zh": "谁帮助了您", "en": "Who helped you"}, "other": True,
         "max_picks": 2,
         "options": [
             {"value": "staff", "label": {"zh": "窗口人员", "en": "Window staff"}},
             {"value": "hotline", "label": {"zh": "热线", "en": "Hotline"}},
         ]},
        {"type": "ranking", "key": "priorities", "label": {"zh": "请按重要性排序", "en": "Rank by importance"},
         "required_if": "{online_first} = 'yes'",
         "options": [
             {"value": "speed", "label": {"zh": "速度", "en": "Speed"}},
             {"value": "manner", "label": {"zh": "态度", "en": "Manner"}},
             {"value": "clarity", "label": {"zh": "说明清楚", "en": "Clarity"}},
         ]},
        {"type": "multi_text", "key": "contact", "label": {"zh": "联系人（选填）", "en": "Contact (optional)"},
         "max_length": 50, "show_if": "{priorities.speed} = 1",
         "fields": [
             {"key": "name", "label": {"zh": "姓名", "en": "Name"}},
             {"key": "unit", "label": {"zh": "单位", "en": "Organisation"}},
         ]},
        {"type": "text", "key": "reason_more", "label": {"zh": "补充说明"},
         "show_if": "{reason} = 'other' or {helped_by.other} contains '朋友' or {contact.name}"},
        {"type": "department_block", "key": "depts", "label": {"zh": "您接触过哪些部门？"},
         "items": [
             {"type": "note", "key": "dept_note", "label": {"zh": "请评价该部门。"}},
             {"type": "yes_no", "key": "solved", "label": {"zh": "问题是否解决", "en": "Was it solved?"},
              "yes_label": {"zh": "已解决", "en": "Solved"}, "no_label": {"zh": "未解决", "en": "Not solved"},
              "scored": True, "yes_score": 100, "no_score": 0, "dimension": "outcome"},
             {"type": "date", "key": "dept_visit", "label": {"zh": "办事日期"}, "max": "2030-12-31"},
             {"type": "dropdown", "key": "times", "label": {"zh": "跑了几次"}, "other": True,
              "options": [{"value": "1", "label": {"zh": "一次"}}, {"value": "2", "label": {"zh": "两次及以上"}}]},
         ]},
    ],
}


def new_types_questionnaire() -> dict:
    """A fresh copy of a valid questionnaire that uses each newer type (note … other) and its options."""
    return copy.deepcopy(_NEW_TYPES)


def every_type_questionnaire() -> dict:
    """A fresh copy of a valid questionnaire that uses every question type and most options."""
    return copy.deepcopy(_EVERY_TYPE)
