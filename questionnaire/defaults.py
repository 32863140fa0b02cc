"""The default questionnaire: 营商环境“背靠背”评价."""
from __future__ import annotations

import copy

from questionnaire.schema import SCHEMA_VERSION

# Weights within a department's score. 总体满意度 is the respondent's summary judgement and
# the headline indicator of the national 好差评 system, so it carries 0.3; the five specific
# dimensions share the remaining 0.7 equally (0.14 each) because nothing in the source document
# ranks one above another. Weights are re-normalised over the items a respondent answered.
OVERALL_WEIGHT = 0.3
DIMENSION_WEIGHT = 0.14

_DIMENSIONS = [
    ("attitude", "服务态度", "Service attitude", "工作人员是否热情、耐心、文明礼貌？",
     "Were the staff courteous, patient and helpful?"),
    ("efficiency", "办事效率", "Efficiency", "办事是否快捷，有无拖延、推诿、多次跑腿？",
     "Was your matter handled promptly, without delays or repeated visits?"),
    ("policy", "政策落实", "Policy implementation", "惠企便民政策是否宣传到位、落实到位？",
     "Were support policies explained and actually applied?"),
    ("law", "依法行政", "Law-based administration", "执法、审批是否公正规范、于法有据？",
     "Were inspections and approvals fair, lawful and by the rules?"),
    ("integrity", "廉洁自律", "Integrity", "有无吃拿卡要、索取好处等不廉洁行为？",
     "Did you meet no requests for favours, gifts or other improper benefits?"),
]


def _rating(key: str, zh: str, en: str, help_zh: str, help_en: str, weight: float) -> dict:
    return {
        "type": "rating",
        "key": key,
        "label": {"zh": zh, "en": en},
        "help": {"zh": help_zh, "en": help_en},
        "required": True,
        "not_familiar": True,
        "scored": True,
        "weight": weight,
        "dimension": key,
    }


_DEFAULT = {
    "schema_version": SCHEMA_VERSION,
    "title": {"zh": "营商环境“背靠背”评价", "en": "Back-to-back evaluation of the business environment"},
    "description": {
        "zh": "本次评价匿名进行，被评价部门不会知道您的身份和答案。",
        "en": "This evaluation is anonymous: the departments never learn who you are or what you answered.",
    },
    "items": [
        {
            "type": "section",
            "key": "intro",
            "label": {"zh": "评价说明", "en": "About this evaluation"},
            "description": {
                "zh": "请根据您近期办事的亲身经历，对打交道的部门进行评价。没有接触过的方面请选择“不了解”。"
                      "您的回答只用于统计分析，不会向被评价部门透露任何个人信息。",
                "en": "Please rate the departments you recently dealt with, from your own experience. "
                      "Choose 'Not familiar' for anything you cannot judge. Your answers are used for "
                      "statistics only; nothing that identifies you is shown to the departments.",
            },
        },
        {
            "type": "department_block",
            "key": "departments",
            "label": {"zh": "近期您与以下哪些部门打过交道？", "en": "Which of these departments have you dealt with recently?"},
            "help": {"zh": "可多选，每个选中的部门将分别评价。", "en": "Choose all that apply; you will rate each one."},
            "min_picks": 1,
            "items": [
                *[_rating(key, zh, en, hzh, hen, DIMENSION_WEIGHT) for key, zh, en, hzh, hen in _DIMENSIONS],
                _rating("overall", "总体满意度", "Overall satisfaction", "总体而言，您对该部门是否满意？",
                        "Overall, how satisfied are you with this department?", OVERALL_WEIGHT),
                {
                    "type": "textarea",
                    "key": "comment",
                    "label": {"zh": "意见和建议", "en": "Comments and suggestions"},
                    "help": {
                        "zh": "总体满意度为“不满意”或“非常不满意”时，请写明具体原因，以便整改。",
                        "en": "If you are dissatisfied overall, please say why so that it can be put right.",
                    },
                    # 不满意 (2) and 非常不满意 (1) are 差评 that need follow-up, so a reason is required.
                    "required_if": "{overall} <= 2",
                    "max_length": 500,
                },
            ],
        },
        {
            "type": "section",
            "key": "closing",
            "label": {"zh": "其他意见", "en": "Anything else"},
        },
        {
            "type": "textarea",
            "key": "general_comment",
            "label": {"zh": "您对优化营商环境还有哪些意见和建议？", "en": "Any other comments on the business environment?"},
            "max_length": 1000,
        },
    ],
}


def default_questionnaire() -> dict:
    """A fresh deep copy of the default questionnaire document."""
    return copy.deepcopy(_DEFAULT)
