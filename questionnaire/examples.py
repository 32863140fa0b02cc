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


def every_type_questionnaire() -> dict:
    """A fresh copy of a valid questionnaire that uses every question type and most options."""
    return copy.deepcopy(_EVERY_TYPE)
