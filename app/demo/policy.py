"""The policy window in the demo city: windows, a catalogue of 12 policies with 30 items, enterprise profiles and
investment promises. Idempotent, and the same every time (seeded random, dates relative to today).

Every text is invented: the document numbers, issuers' wording and amounts are plausible for a prefecture-level
city (its documents are numbered 安政发/安政办发, its province's 澄政发), never copied from a real document.

The catalogue is built with the models directly, as the officer's pages would leave it: most items published
(version 1); two edited after publication (version 2 published, version 1 kept); one draft; one expired, one
repealed. Profiles are made for every enterprise member of the pool (linked by ``respondent_id``; the member's
own phone is the contact) and for some enterprises outside the pool (their own contact phone, sealed like every
phone): about one in ten lacks a yearly figure and one in ten has figures older than the staleness limit.
Nothing here touches the pool, so no profile enters a draw's frame.

``seed_policy()`` returns the catalogue by item code, so that a later step (the demo's pushes) is one call on it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from faker import Faker
from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today, local_zone
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.policy.models import (DeliveryMode, InvestmentPromise, ItemKind, ItemStatus, Policy, PolicyItem,
                               PolicyItemVersion, PolicyLevel, PolicyPush, PolicyWindow, PromiseStatus)
from app.pool.models import Respondent, RespondentCategory
from app.profiles.models import EnterpriseProfile
from eligibility.uscc import ALPHABET, check_character

SEED = 20261207
OFFICER = "policy"
SMALL = "{size} = '小型' or {size} = '微型'"
NOT_LARGE = "{size} != '大型'"

# --------------------------------------------------------------------------- windows

WINDOWS = [
    ("市政务服务中心惠企政策兑现专窗", "", "市民中心政务服务大厅二楼东区 18—20 号窗口",
     "工作日 9:00—12:00，13:30—17:30（周六上午 9:00—12:00 延时服务）", "0710-12345018"),
    ("高新区政务服务中心惠企政策兑现专窗", "高新区", "高新区创新大道 88 号科创服务中心一楼 6 号窗口",
     "工作日 9:00—12:00，13:30—17:30", "0710-12345066"),
    ("临江县政务服务中心惠企政策兑现专窗", "临江县", "临江县滨江路 126 号县民服务中心一楼 12 号窗口",
     "工作日 8:30—12:00，14:00—17:30", "0710-6612012"),
]


# --------------------------------------------------------------------------- the catalogue

@dataclass(frozen=True)
class ItemSpec:
    name: str
    kind: ItemKind
    department: str  # Department.code
    mode: DeliveryMode
    rules: tuple[tuple[str, str, str], ...]  # (expression, label, legal reference)
    reviews: tuple[tuple[str, str], ...] = ()
    benefit: tuple = ("text", "")  # ("fixed", amount) | ("rate", rate %, base, cap) | ("text", words)
    budget: int | None = None  # 万元
    materials: tuple[str, ...] = ()
    days: int = 20
    sizes: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    summary: str = ""
    status: ItemStatus = ItemStatus.published
    # Edited after publication: (what changed, the changed fields) — version 2 is published, version 1 kept.
    revised: tuple[str, dict] | None = None


@dataclass(frozen=True)
class PolicySpec:
    title: str
    issuer: str
    level: PolicyLevel
    doc_number: str
    issued_on: date
    valid_to: date | None
    articles: tuple[str, ...]
    items: tuple[ItemSpec, ...]
    source_url: str = ""


LICENCE = "营业执照（复印件加盖公章）"
APPLICATION = "申请表（系统生成，加盖公章）"
ACCOUNT = "企业基本账户开户证明"
PROMISE = "信用承诺书"

POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(
        "关于进一步支持小微企业和个体工商户发展有关税费政策的公告", "财政部 税务总局", PolicyLevel.national,
        "财政部 税务总局公告2025年第18号", date(2025, 3, 20), date(2027, 12, 31),
        ("为进一步支持小微企业和个体工商户发展，现将有关税费政策公告如下。",
         "第一条 对小型微利企业减按25%计算应纳税所得额，按20%的税率缴纳企业所得税。",
         "第二条 前款所称小型微利企业，是指从事国家非限制和禁止行业，且同时符合年度应纳税所得额不超过300万元、"
         "从业人数不超过300人、资产总额不超过5000万元等三个条件的企业。",
         "第三条 对增值税小规模纳税人、小型微利企业和个体工商户减半征收资源税、城市维护建设税、房产税、城镇土地使用税、"
         "印花税（不含证券交易印花税）、耕地占用税和教育费附加、地方教育附加。",
         "第四条 上述政策由税务机关依据申报数据直接落实，纳税人无需另行申请。",
         "第五条 本公告执行至2027年12月31日。"),
        (ItemSpec("小型微利企业所得税优惠", ItemKind.tax, "TAX", DeliveryMode.automatic,
                  ((SMALL, "企业规模为小型或微型", "第二条"),
                   ("{employees} <= 300", "从业人数不超过300人", "第二条"),
                   ("{tax_paid} <= 300", "上年纳税额不超过300万元", "第二条")),
                  (("资产总额不超过5000万元", "第二条"), ("不属于国家限制和禁止行业", "第二条")),
                  ("text", "减按25%计算应纳税所得额，按20%的税率缴纳企业所得税"),
                  days=1, sizes=("小型", "微型"),
                  summary="符合条件的小型微利企业在年度汇算清缴时由系统自动享受，无需申请。"),
         ItemSpec("“六税两费”减半征收", ItemKind.tax, "TAX", DeliveryMode.automatic,
                  ((SMALL, "企业规模为小型或微型", "第三条"),),
                  benefit=("text", "资源税、城市维护建设税、房产税、城镇土地使用税、印花税、耕地占用税和教育费附加、"
                                   "地方教育附加减半征收"),
                  days=1, sizes=("小型", "微型"),
                  summary="纳税申报时系统自动带出减免金额，无需申请。"))),
    PolicySpec(
        "关于进一步完善研发费用税前加计扣除政策的公告", "财政部 税务总局", PolicyLevel.national,
        "财政部 税务总局公告2025年第7号", date(2025, 1, 10), date(2027, 12, 31),
        ("为进一步激励企业加大研发投入，支持科技创新，现就企业研发费用税前加计扣除政策公告如下。",
         "第一条 企业开展研发活动中实际发生的研发费用，未形成无形资产计入当期损益的，在按规定据实扣除的基础上，"
         "再按照实际发生额的100%在税前加计扣除。",
         "第二条 本公告不适用于烟草制造业、住宿和餐饮业、批发和零售业、房地产业、租赁和商务服务业、娱乐业。",
         "第三条 企业可在预缴申报时自主选择享受，年度汇算清缴时统一享受。"),
        (ItemSpec("研发费用税前加计扣除", ItemKind.tax, "TAX", DeliveryMode.instant,
                  (("{rd_ratio} > 0", "上年有研发投入", "第一条"),
                   ("{industry_door} != 'F' and {industry_door} != 'H' and {industry_door} != 'L' "
                    "and {industry_door} != 'K'",
                    "不属于批发零售、住宿餐饮、房地产、租赁和商务服务业", "第二条")),
                  (("研发项目立项及研发费用辅助账完整", "第一条"),),
                  ("text", "研发费用按实际发生额的100%在税前加计扣除"),
                  materials=("研发项目立项决议", "研发费用辅助账", "研发支出归集汇总表"), days=1,
                  summary="预缴申报或年度汇算清缴时在申报表中填报，资料留存备查。"),)),
    PolicySpec(
        "关于促进专精特新中小企业高质量发展的若干措施", "省人民政府", PolicyLevel.provincial,
        "澄政发〔2025〕18号", date(2025, 6, 12), date(2028, 6, 30),
        ("为加快培育专精特新中小企业，推动全省中小企业走专业化、精细化、特色化、新颖化发展之路，制定以下措施。",
         "第一条 建立优质中小企业梯度培育体系，分层培育创新型中小企业、专精特新中小企业和专精特新“小巨人”企业。",
         "第二条 申报省级专精特新中小企业，应为在本省注册两年以上、具有独立法人资格的中小企业，"
         "上年研发费用占营业收入比重不低于3%。",
         "第三条 对新认定的国家级专精特新“小巨人”企业，给予一次性奖励50万元。",
         "第四条 申报企业近三年未发生重大安全（含网络安全、数据安全）、质量、环境污染等事故，无偷漏税等违法违规行为。",
         "第五条 本措施自印发之日起施行，有效期三年。"),
        (ItemSpec("专精特新“小巨人”企业一次性奖励", ItemKind.grant, "GXJ", DeliveryMode.review,
                  (("{qualifications} contains '专精特新“小巨人”企业'", "持有有效的专精特新“小巨人”企业称号",
                    "第三条"),),
                  (("近三年未发生重大安全、质量、环境污染事故", "第四条"),),
                  ("fixed", 50), budget=1000,
                  materials=(LICENCE, APPLICATION, "国家级专精特新“小巨人”企业认定文件", ACCOUNT, PROMISE),
                  days=30, sizes=("中型", "小型", "微型"),
                  summary="每家企业限享受一次，由省工业和信息化厅会同财政厅审核后拨付。"),
         ItemSpec("省级专精特新中小企业认定", ItemKind.qualification, "GXJ", DeliveryMode.review,
                  ((NOT_LARGE, "企业规模为中型、小型或微型", "第二条"),
                   ("{age_years} >= 2", "注册成立两年以上", "第二条"),
                   ("{rd_ratio} >= 3", "上年研发投入占营业收入比重不低于3%", "第二条")),
                  (("近三年未发生重大安全、质量、环境污染事故", "第四条"), ("无偷漏税等违法违规行为", "第四条")),
                  ("text", "认定为省级专精特新中小企业，有效期三年，优先享受融资、用地、人才等支持"),
                  materials=(LICENCE, APPLICATION, "上年度财务审计报告", "知识产权证明材料", PROMISE),
                  days=45, sizes=("中型", "小型", "微型"),
                  summary="每年集中受理一次，由市工业和信息化局初审后报省工业和信息化厅认定。"))),
    PolicySpec(
        "关于加快高新技术企业和科技型中小企业培育的通知", "省科学技术厅 省财政厅", PolicyLevel.provincial,
        "澄科发〔2025〕42号", date(2025, 9, 3), date(2028, 9, 2),
        ("为壮大科技型企业群体，加快高新技术企业和科技型中小企业培育，现就有关事项通知如下。",
         "第一条 申请认定高新技术企业，应在本省注册成立一年以上，近一年研究开发费用总额占同期销售收入比例不低于5%"
         "（销售收入2亿元以上的不低于3%）。",
         "第二条 企业通过自主研发、受让、受赠、并购等方式，获得对其主要产品在技术上发挥核心支持作用的知识产权。",
         "第三条 科技型中小企业实行自主评价、入库登记：职工总数不超过500人、年销售收入不超过2亿元。",
         "第四条 科技型中小企业评价入库即时办理，符合条件的企业在线提交后即时登记编号。"),
        (ItemSpec("高新技术企业认定", ItemKind.qualification, "KJJ", DeliveryMode.review,
                  (("{age_years} >= 1", "注册成立一年以上", "第一条"),
                   ("{rd_ratio} >= 5 or ({revenue} >= 20000 and {rd_ratio} >= 3)",
                    "研发投入占比不低于5%（营业收入2亿元以上的不低于3%）", "第一条")),
                  (("拥有对主要产品发挥核心支持作用的知识产权", "第二条"),
                   ("科技人员占职工总数比例不低于10%", "第一条")),
                  ("text", "认定为高新技术企业，有效期三年，企业所得税减按15%征收"),
                  materials=(LICENCE, APPLICATION, "近三个会计年度财务审计报告", "研发费用专项审计报告",
                             "知识产权证书", "科技人员名单"),
                  days=60, industries=("C", "I", "M"),
                  summary="每年分两批受理，市科学技术局组织辅导和初审。"),
         ItemSpec("科技型中小企业评价入库", ItemKind.qualification, "KJJ", DeliveryMode.instant,
                  (("{employees} <= 500", "从业人数不超过500人", "第三条"),
                   ("{revenue} <= 20000", "上年营业收入不超过2亿元", "第三条"),
                   ("{rd_ratio} >= 3", "研发投入占比不低于3%", "第三条")),
                  benefit=("text", "登记入库编号，可享受研发费用加计扣除、科技信贷等支持"),
                  materials=("科技型中小企业信息表（在线填报）",), days=1,
                  sizes=("中型", "小型", "微型"),
                  summary="在线提交后即时入库登记。"))),
    PolicySpec(
        "关于推动工业经济稳增长提质效的若干政策措施", "市人民政府", PolicyLevel.city,
        "安政发〔2026〕3号", date(2026, 2, 18), date(2028, 12, 31),
        ("为推动全市工业经济稳增长、提质效，结合本市实际，制定以下政策措施。",
         "第一条 本措施适用于在本市注册、具有独立法人资格的工业企业。",
         "第二条 对首次纳入规模以上工业统计的企业，给予一次性奖励10万元。",
         "第三条 对上年营业收入达到规定规模且保持增长的工业企业，按上年营业收入的0.5%给予增产增效奖励，"
         "单户最高50万元。",
         "第四条 对设备投资额500万元以上的技术改造项目，按设备投资额的8%给予补助，单个项目最高200万元。",
         "第五条 工业用地可采取长期租赁、先租后让、弹性年期出让等方式供应。",
         "第六条 申报企业近三年无重大安全生产事故，未被列入严重失信主体名单。"),
        (ItemSpec("首次纳入规模以上工业统计奖励", ItemKind.grant, "GXJ", DeliveryMode.automatic,
                  (("{industry_door} = 'C'", "属于制造业", "第一条"),
                   ("{revenue} >= 2000", "上年营业收入2000万元以上", "第二条"),
                   ("{age_years} < 5", "注册成立不满五年", "第二条")),
                  benefit=("fixed", 10), budget=300, days=30, industries=("C",),
                  summary="统计部门确认新纳入规模以上工业统计的企业名单后，直接拨付奖励资金，无需申请。"),
         ItemSpec("工业企业增产增效奖励", ItemKind.grant, "GXJ", DeliveryMode.review,
                  (("{industry_door} = 'C'", "属于制造业", "第一条"),
                   ("{revenue} >= 5000", "上年营业收入5000万元以上", "第三条")),
                  (("近三年无重大安全生产事故", "第六条"), ("上年营业收入同比增长", "第三条")),
                  ("rate", Decimal("0.5"), "revenue", 50), budget=1500,
                  materials=(LICENCE, APPLICATION, "上年度财务审计报告", "统计部门出具的产值证明", ACCOUNT),
                  days=30, industries=("C",),
                  summary="每年一季度集中申报，按上年营业收入的0.5%奖励，单户最高50万元。",
                  revised=("营业收入门槛由5000万元提高到1亿元，单户上限提高到80万元",
                           {"rules": (("{industry_door} = 'C'", "属于制造业", "第一条"),
                                      ("{revenue} >= 10000", "上年营业收入1亿元以上", "第三条")),
                            "benefit": ("rate", Decimal("0.5"), "revenue", 80),
                            "summary": "每年一季度集中申报，按上年营业收入的0.5%奖励，单户最高80万元"
                                       "（2026年6月起营业收入门槛调整为1亿元）。"})),
         ItemSpec("技术改造设备投资补助", ItemKind.grant, "GXJ", DeliveryMode.review,
                  (("{industry_door} = 'C'", "属于制造业", "第一条"),),
                  (("技术改造项目设备投资额500万元以上", "第四条"), ("项目已备案并竣工投产", "第四条"),
                   ("近三年无重大安全生产事故", "第六条")),
                  ("text", "按设备投资额的8%给予补助，单个项目最高200万元"), budget=2000,
                  materials=(LICENCE, APPLICATION, "技术改造项目备案证明", "设备购置发票及付款凭证",
                             "项目竣工验收报告", ACCOUNT),
                  days=40, industries=("C",),
                  summary="项目竣工投产后申报，由市工业和信息化局会同市财政局组织专家评审。"),
         ItemSpec("工业用地弹性出让", ItemKind.factor, "ZRZY", DeliveryMode.review,
                  (("{industry_door} = 'C'", "属于制造业", "第五条"),),
                  (("项目符合国土空间规划和产业准入条件", "第五条"),),
                  ("text", "可选择长期租赁、先租后让或弹性年期出让，降低初始用地成本"),
                  materials=(LICENCE, "项目用地申请书", "项目可行性研究报告"), days=20, industries=("C",),
                  summary="由市自然资源和规划局按项目逐一审核供地方式。"))),
    PolicySpec(
        "关于支持科技创新的若干措施", "市人民政府办公室", PolicyLevel.city,
        "安政办发〔2026〕12号", date(2026, 4, 8), date(2028, 12, 31),
        ("为深入实施创新驱动发展战略，激发企业创新活力，制定以下措施。",
         "第一条 对新认定或重新认定的高新技术企业，给予一次性奖励20万元。",
         "第二条 对上年研发投入占营业收入比重达到3%以上的企业，按上年营业收入的1%给予研发后补助，单户最高50万元。",
         "第三条 对入库的科技型中小企业，给予研发补助5万元。",
         "第四条 享受本措施的企业应当在本市依法纳税，且信用状况良好。"),
        (ItemSpec("新认定高新技术企业奖励", ItemKind.grant, "KJJ", DeliveryMode.automatic,
                  (("{qualifications} contains '高新技术企业'", "持有有效的高新技术企业证书", "第一条"),),
                  benefit=("fixed", 20), budget=800, days=20,
                  summary="根据省科学技术厅公布的认定名单直接兑现，无需申请。"),
         ItemSpec("企业研发投入后补助", ItemKind.grant, "KJJ", DeliveryMode.review,
                  (("{rd_ratio} >= 3", "上年研发投入占营业收入比重3%以上", "第二条"),),
                  (("在本市依法纳税且信用状况良好", "第四条"),),
                  ("rate", Decimal("1"), "revenue", 50), budget=1200,
                  materials=(LICENCE, APPLICATION, "研发费用专项审计报告", ACCOUNT), days=30,
                  industries=("C", "I", "M"),
                  summary="按上年营业收入的1%补助，单户最高50万元。",
                  revised=("补充营业收入门槛，防止小额重复申报",
                           {"rules": (("{rd_ratio} >= 3", "上年研发投入占营业收入比重3%以上", "第二条"),
                                      ("{revenue} >= 500", "上年营业收入500万元以上", "第二条")),
                            "summary": "按上年营业收入的1%补助，单户最高50万元；上年营业收入500万元以上的企业可申报。"})),
         ItemSpec("科技型中小企业研发补助", ItemKind.grant, "KJJ", DeliveryMode.instant,
                  (("{qualifications} contains '科技型中小企业'", "已评价入库为科技型中小企业", "第三条"),),
                  benefit=("fixed", 5), budget=500,
                  materials=(APPLICATION, ACCOUNT), days=5, sizes=("中型", "小型", "微型"),
                  summary="入库企业在线提交申请后即时确认，资金5个工作日内拨付。"))),
    PolicySpec(
        "关于进一步降低中小微企业融资成本的通知", "市人民政府办公室", PolicyLevel.city,
        "安政办发〔2026〕7号", date(2026, 3, 2), date(2027, 12, 31),
        ("为缓解中小微企业融资难融资贵问题，现就降低融资成本有关事项通知如下。",
         "第一条 对首次获得银行贷款的小型、微型企业，按贷款市场报价利率的50%给予贴息，单户最高20万元。",
         "第二条 设立市级应急转贷资金，为中型、小型、微型企业贷款到期续贷提供过桥资金。",
         "第三条 对政府性融资担保机构为小微企业提供的担保，担保费率超过1%的部分由市财政补贴。",
         "第四条 享受贴息和担保费补贴的企业，应当无不良信用记录。"),
        (ItemSpec("小微企业首贷贴息", ItemKind.grant, "CZJ", DeliveryMode.review,
                  ((SMALL, "企业规模为小型或微型", "第一条"),),
                  (("首次获得银行贷款", "第一条"), ("无不良信用记录", "第四条")),
                  ("text", "按贷款市场报价利率的50%贴息，单户最高20万元"), budget=500,
                  materials=(LICENCE, APPLICATION, "借款合同", "银行出具的首贷证明", "利息支付凭证", ACCOUNT),
                  days=20, sizes=("小型", "微型"),
                  summary="贷款发放后一年内申报，按季度审核拨付。"),
         ItemSpec("应急转贷资金", ItemKind.factor, "CZJ", DeliveryMode.instant,
                  ((NOT_LARGE, "企业规模为中型、小型或微型", "第二条"),),
                  benefit=("text", "提供续贷过桥资金，日费率不高于万分之一"),
                  materials=(LICENCE, "转贷申请书", "银行续贷意向函"), days=2,
                  sizes=("中型", "小型", "微型"),
                  summary="银行出具续贷意向函后即时受理，2个工作日内放款。"),
         ItemSpec("政府性融资担保费补贴", ItemKind.grant, "CZJ", DeliveryMode.automatic,
                  ((SMALL, "企业规模为小型或微型", "第三条"),),
                  benefit=("text", "担保费率超过1%的部分由市财政补贴"), budget=300, days=10,
                  sizes=("小型", "微型"),
                  summary="由担保机构按季度汇总申报，企业无需申请。"))),
    PolicySpec(
        "关于做好稳岗扩岗工作的通知", "市人力资源和社会保障局 市财政局", PolicyLevel.city,
        "安人社发〔2026〕9号", date(2026, 3, 15), date(2027, 3, 14),
        ("为稳定和扩大就业岗位，现就做好稳岗扩岗工作通知如下。",
         "第一条 参保企业上年度未裁员或裁员率不高于城镇调查失业率控制目标的，按规定返还失业保险费：中小微企业返还60%，"
         "大型企业返还30%。",
         "第二条 企业招用毕业年度或离校两年内未就业高校毕业生，签订劳动合同并参保的，每招用1人给予1500元一次性扩岗补助。",
         "第三条 企业组织职工参加职业技能培训并取得证书的，按规定给予培训补贴。",
         "第四条 补贴资金从失业保险基金和就业补助资金中列支。"),
        (ItemSpec("失业保险稳岗返还", ItemKind.grant, "RSJ", DeliveryMode.automatic,
                  (("{employees} >= 1", "有参保职工", "第一条"),),
                  (("上年度未裁员或裁员率不高于控制目标", "第一条"), ("足额缴纳失业保险费", "第一条")),
                  ("text", "中小微企业按上年度实际缴纳失业保险费的60%返还，大型企业返还30%"), budget=3000,
                  days=15,
                  summary="人社部门根据参保数据比对确定名单，直接返还至企业账户。"),
         ItemSpec("吸纳高校毕业生一次性扩岗补助", ItemKind.grant, "RSJ", DeliveryMode.instant,
                  (("{employees} >= 1", "有参保职工", "第二条"),),
                  (("招用的高校毕业生已签订劳动合同并参保", "第二条"),),
                  ("text", "每招用1人补助1500元"), budget=400,
                  materials=(APPLICATION, "劳动合同", "毕业证书"), days=5,
                  summary="企业在线申报后即时核验参保信息，核验通过即予拨付。"),
         ItemSpec("职工职业技能培训补贴", ItemKind.other, "RSJ", DeliveryMode.review,
                  (("{employees} >= 10", "从业人数10人以上", "第三条"),),
                  (("培训由备案的培训机构组织", "第三条"), ("学员取得职业资格或技能等级证书", "第三条")),
                  ("text", "按取得证书的等级，每人500元至2000元"),
                  materials=(APPLICATION, "培训计划及花名册", "证书复印件", "培训费用发票"), days=20,
                  summary="培训结束取得证书后三个月内申报。"))),
    PolicySpec(
        "关于支持外贸企业稳订单拓市场的若干措施", "市商务局", PolicyLevel.city,
        "安商务发〔2026〕5号", date(2026, 5, 6), date(2027, 12, 31),
        ("为帮助外贸企业稳订单、拓市场，制定以下措施。",
         "第一条 对企业参加境外重点展会的，按展位费的70%给予补助，单个展会最高5万元。",
         "第二条 对中小微外贸企业投保短期出口信用保险的，按实缴保费的50%给予补贴。",
         "第三条 申报企业应具有对外贸易经营资格，上年有出口实绩。"),
        (ItemSpec("境外展会参展补助", ItemKind.grant, "SWJ", DeliveryMode.review,
                  (("{industry_door} = 'C' or {industry_door} = 'F'", "属于制造业或批发业", "第三条"),),
                  (("参加的展会列入市重点境外展会目录", "第一条"), ("上年有出口实绩", "第三条")),
                  ("text", "按展位费的70%补助，单个展会最高5万元"), budget=200,
                  materials=(LICENCE, APPLICATION, "展位费发票及付款凭证", "参展照片"), days=20,
                  industries=("C", "F"),
                  summary="展会结束后三个月内申报。"),
         ItemSpec("出口信用保险保费补贴", ItemKind.grant, "SWJ", DeliveryMode.instant,
                  ((NOT_LARGE, "企业规模为中型、小型或微型", "第二条"),),
                  (("上年有出口实绩", "第三条"),),
                  ("text", "按实缴保费的50%补贴"), budget=150,
                  materials=("保险单", "保费缴纳凭证"), days=5, sizes=("中型", "小型", "微型"),
                  summary="保险机构推送保单信息后，企业在线确认即可享受。"))),
    PolicySpec(
        "关于加快软件和信息技术服务业发展的若干政策", "高新区管理委员会", PolicyLevel.county,
        "安高新管发〔2026〕3号", date(2026, 6, 20), date(2029, 6, 19),
        ("为打造软件和信息技术服务业集聚区，制定以下政策。",
         "第一条 本政策适用于注册和纳税均在高新区的软件和信息技术服务业企业。",
         "第二条 对租用园区办公用房的软件企业，前三年按实际租金的50%给予补贴，每年最高30万元。",
         "第三条 对上年营业收入500万元以上的软件企业，按上年营业收入的1%给予奖励，单户最高30万元。",
         "第四条 为企业引进的骨干人才提供人才公寓，租金前两年全免。"),
        (ItemSpec("软件企业办公用房租金补贴", ItemKind.factor, "GXJ", DeliveryMode.review,
                  (("{district} = '高新区'", "注册地在高新区", "第一条"),
                   ("{industry_major} = '65'", "属于软件和信息技术服务业（行业大类65）", "第一条")),
                  (("租用的办公用房位于高新区软件园", "第二条"),),
                  ("text", "前三年按实际租金的50%补贴，每年最高30万元"), budget=600,
                  materials=(LICENCE, APPLICATION, "房屋租赁合同", "租金发票"), days=15, industries=("I",),
                  summary="每年按季度申报。"),
         ItemSpec("软件企业营收奖励", ItemKind.grant, "GXJ", DeliveryMode.review,
                  (("{district} = '高新区'", "注册地在高新区", "第一条"),
                   ("{industry_door} = 'I'", "属于信息传输、软件和信息技术服务业", "第一条"),
                   ("{revenue} >= 500", "上年营业收入500万元以上", "第三条")),
                  (("纳税关系在高新区", "第一条"),),
                  ("rate", Decimal("1"), "revenue", 30), budget=800,
                  materials=(LICENCE, APPLICATION, "上年度财务审计报告", ACCOUNT), days=20, industries=("I",),
                  summary="按上年营业收入的1%奖励，单户最高30万元。"),
         ItemSpec("骨干人才公寓保障", ItemKind.factor, "ZJJ", DeliveryMode.instant,
                  (("{district} = '高新区'", "注册地在高新区", "第四条"),),
                  benefit=("text", "提供人才公寓，租金前两年全免"),
                  materials=("人才公寓申请表", "劳动合同", "学历或职称证书"), days=5,
                  summary="正在征求意见，尚未发布。", status=ItemStatus.draft))),
    PolicySpec(
        "关于促进县域民营经济发展的若干措施", "临江县人民政府", PolicyLevel.county,
        "临政发〔2026〕2号", date(2026, 1, 26), date(2027, 12, 31),
        ("为优化县域营商环境，促进民营经济发展壮大，制定以下措施。",
         "第一条 本措施适用于在临江县注册登记的企业。",
         "第二条 对新设立的小型、微型企业，给予开办补助1万元。",
         "第三条 新开办企业免费刻制公章、财务专用章、发票专用章、合同专用章。",
         "第四条 小微企业160千瓦及以下用电报装实行“零投资”，由供电企业投资到红线。"),
        (ItemSpec("新设小微企业开办补助", ItemKind.grant, "SCJG", DeliveryMode.instant,
                  (("{district} = '临江县'", "注册地在临江县", "第一条"),
                   ("{age_years} < 1", "成立不满一年", "第二条"),
                   (SMALL, "企业规模为小型或微型", "第二条")),
                  benefit=("fixed", 1), budget=100,
                  materials=(LICENCE, APPLICATION, ACCOUNT), days=3, sizes=("小型", "微型"),
                  summary="在县政务服务中心专窗或网上申请，即时确认。"),
         ItemSpec("新开办企业免费刻章", ItemKind.other, "XZSP", DeliveryMode.automatic,
                  (("{district} = '临江县'", "注册地在临江县", "第一条"),
                   ("{age_years} < 1", "成立不满一年", "第三条")),
                  benefit=("text", "免费刻制公章、财务专用章、发票专用章、合同专用章"), days=1,
                  summary="办理营业执照时同步完成，无需申请。"),
         ItemSpec("小微企业用电报装“零投资”", ItemKind.factor, "GDGS", DeliveryMode.automatic,
                  (("{district} = '临江县'", "注册地在临江县", "第一条"),
                   (SMALL, "企业规模为小型或微型", "第四条")),
                  benefit=("text", "160千瓦及以下用电报装由供电企业投资到红线，企业零投资"), days=5,
                  sizes=("小型", "微型"),
                  summary="报装时由供电公司直接落实。"))),
    PolicySpec(
        "关于帮助中小企业纾困解难的若干措施", "市人民政府办公室", PolicyLevel.city,
        "安政办发〔2023〕4号", date(2023, 2, 10), date(2025, 12, 31),
        ("为帮助中小企业渡过难关，制定以下阶段性措施。",
         "第一条 承租市属国有企业经营性房屋的小型、微型企业，减免三个月租金。",
         "第二条 对住宿和餐饮业企业，按从业人数给予每人500元的纾困补助。",
         "第三条 本措施执行至2025年12月31日。"),
        (ItemSpec("国有房屋租金减免", ItemKind.factor, "CZJ", DeliveryMode.review,
                  ((SMALL, "企业规模为小型或微型", "第一条"),),
                  (("承租市属国有企业经营性房屋", "第一条"),),
                  ("text", "减免三个月租金"), materials=("房屋租赁合同", APPLICATION), days=15,
                  sizes=("小型", "微型"), summary="阶段性措施，已于2025年12月31日到期。",
                  status=ItemStatus.expired),
         ItemSpec("住宿餐饮业纾困补助", ItemKind.grant, "SWJ", DeliveryMode.instant,
                  (("{industry_door} = 'H'", "属于住宿和餐饮业", "第二条"),),
                  benefit=("text", "按从业人数每人500元"), budget=200,
                  materials=(APPLICATION, "社保参保人员名单"), days=5, industries=("H",),
                  summary="已由《关于调整阶段性纾困措施的通知》废止。", status=ItemStatus.repealed))),
)


def rules_of(spec_rules) -> list[dict[str, str]]:
    return [{"expression": e, "label": label, "legal_ref": ref} for e, label, ref in spec_rules]


def reviews_of(spec_reviews) -> list[dict[str, str]]:
    return [{"label": label, "legal_ref": ref} for label, ref in spec_reviews]


def _benefit_columns(benefit: tuple) -> dict:
    kind = benefit[0]
    if kind == "fixed":
        return {"benefit_kind": "fixed", "amount": Decimal(benefit[1])}
    if kind == "rate":
        _kind, rate, base, cap = benefit
        return {"benefit_kind": "rate", "rate": Decimal(rate), "rate_base": base, "cap": Decimal(cap)}
    return {"benefit_kind": "text", "benefit_text": benefit[1]}


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), local_zone())


def _version(item: PolicyItem, spec: ItemSpec, number: int, departments: dict[str, Department], officer,
             created: date, changes: dict | None = None) -> PolicyItemVersion:
    changes = changes or {}
    version = PolicyItemVersion(
        item=item, number=number, name=spec.name, kind=spec.kind, department=departments[spec.department],
        **_benefit_columns(changes.get("benefit", spec.benefit)),
        budget=Decimal(spec.budget) if spec.budget is not None else None, mode=spec.mode,
        materials=list(spec.materials), promised_days=spec.days,
        rules=rules_of(changes.get("rules", spec.rules)), reviews=reviews_of(changes.get("reviews", spec.reviews)),
        sizes=list(spec.sizes), industries=list(spec.industries), summary=changes.get("summary", spec.summary),
        created_by=officer, created_at=_moment(created, 9))
    if spec.status != ItemStatus.draft:
        version.published_at = _moment(created, 15)
    db.session.add(version)
    return version


def item_code(policy_number: int, spec: PolicySpec, item_number: int) -> str:
    return f"ZC-{spec.issued_on.year}-{policy_number:03d}-{item_number:02d}"


def _seed_catalogue(officer) -> None:
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    for order, (name, district, address, hours, phone) in enumerate(WINDOWS, start=1):
        db.session.add(PolicyWindow(name=name, district=district, address=address, hours=hours, phone=phone,
                                    sort_order=order * 10))
    for number, spec in enumerate(POLICIES, start=1):
        policy = Policy(title=spec.title, issuer=spec.issuer, level=spec.level, doc_number=spec.doc_number,
                        issued_on=spec.issued_on, valid_from=spec.issued_on, valid_to=spec.valid_to,
                        source_url=spec.source_url, full_text="\n".join(spec.articles),
                        created_at=_moment(spec.issued_on + timedelta(days=3), 9))
        db.session.add(policy)
        for index, item_spec in enumerate(spec.items, start=1):
            entered = spec.issued_on + timedelta(days=5 + index)
            item = PolicyItem(policy=policy, code=item_code(number, spec, index), status=item_spec.status,
                              created_at=_moment(entered, 9))
            db.session.add(item)
            current = _version(item, item_spec, 1, departments, officer, entered)
            if item_spec.revised is not None:
                _why, changes = item_spec.revised
                current = _version(item, item_spec, 2, departments, officer, entered + timedelta(days=90), changes)
            db.session.flush()
            item.current = current
            if item_spec.status == ItemStatus.published:
                item.status_changed_at = current.published_at
            elif item_spec.status in (ItemStatus.expired, ItemStatus.repealed):
                item.status_changed_at = _moment(spec.valid_to or local_today(), 18)
    db.session.flush()


# --------------------------------------------------------------------------- profiles

# District → the administrative division code the USCC's characters 3–8 carry (the demo city's, invented).
DISTRICT_CODES = {"城关区": "410702", "东湖区": "410703", "西山区": "410704", "高新区": "410771",
                  "经开区": "410772", "临江县": "410721", "北山县": "410724", "南溪县": "410725"}
# GB/T 4754-2017 classes, with how often they occur among the 四上企业 and among the small ones.
INDUSTRIES = [  # (code, weight among large enterprises, weight among SMEs)
    ("C3670", 8, 3), ("C3841", 4, 1), ("C2710", 4, 1), ("C3311", 6, 4), ("C3981", 5, 2), ("C2927", 5, 4),
    ("C1713", 4, 2), ("C1351", 4, 2), ("C3911", 3, 1), ("E4710", 5, 3), ("F5211", 5, 8), ("F5137", 3, 6),
    ("G5431", 4, 5), ("H6110", 2, 3), ("H6210", 2, 8), ("I6513", 4, 6), ("I6520", 2, 1), ("M7320", 2, 3),
    ("K7010", 3, 2), ("A0141", 2, 3), ("O8010", 1, 6),
]
INNOVATIVE = {"C", "I", "M"}
QUALIFICATIONS = ("高新技术企业", "科技型中小企业", "专精特新中小企业", "专精特新“小巨人”企业", "创新型中小企业")
SIZE_MIX = {"large_enterprise": (("大型", 15), ("中型", 55), ("小型", 30)),
            "sme": (("中型", 4), ("小型", 46), ("微型", 50))}
# (revenue range 万元, employees range) per size
SIZE_FIGURES = {"大型": ((40000, 400000), (1000, 5000)), "中型": ((2000, 40000), (300, 999)),
                "小型": ((300, 2000), (20, 299)), "微型": ((10, 300), (2, 19))}
FIGURES = ("revenue", "employees", "tax_paid", "rd_ratio")
STALE_AFTER = 548
OUTSIDE_POOL = 20
# Enterprises outside the pool are named after their trade (invented brands, one each).
BRANDS = ("启晟", "澜拓", "澄越", "岳科", "汇溪", "沣禾", "嘉屹", "睿森", "曜川", "瀚屿", "联甬", "泓升", "禾鼎", "博岚",
          "青砚", "拓岭", "铭川", "骏和", "奕澄", "晟屹")
TRADES = {"C3670": "汽车零部件", "C3841": "新能源电池", "C2710": "制药", "C3311": "钢结构", "C3981": "电子元件",
          "C2927": "塑料制品", "C1713": "印染", "C1351": "食品", "C3911": "计算机", "E4710": "建设工程",
          "F5211": "商贸", "F5137": "电器", "G5431": "物流", "H6110": "酒店管理", "H6210": "餐饮管理",
          "I6513": "软件", "I6520": "微电子", "M7320": "工程技术研究", "K7010": "置业", "A0141": "农业开发",
          "O8010": "家政服务"}


def _rng(*parts) -> random.Random:
    return random.Random(f"{SEED}:" + ":".join(str(p) for p in parts))


def make_uscc(rng: random.Random, district: str) -> str:
    """A valid code of an enterprise (registration authority 9, kind 1) registered in ``district``."""
    body = "91" + DISTRICT_CODES.get(district, "410700") + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


def _choose_size(rng: random.Random, category: str) -> str:
    sizes, weights = zip(*SIZE_MIX.get(category, SIZE_MIX["sme"]))
    return rng.choices(sizes, weights)[0]


# The parks draw their own trades: software and research to the high-tech zone, factories to the development zone.
DISTRICT_BIAS = {"高新区": {"I": 5, "M": 4, "C": 1.5}, "经开区": {"C": 2.5}}


def _choose_industry(rng: random.Random, category: str, district: str) -> str:
    codes = [c for c, _l, _s in INDUSTRIES]
    bias = DISTRICT_BIAS.get(district, {})
    weights = [(large if category == "large_enterprise" else small) * bias.get(code[0], 1)
               for code, large, small in INDUSTRIES]
    return rng.choices(codes, weights)[0]


def _qualifications(rng: random.Random, industry: str, size: str, rd_ratio: float | None,
                    today: date) -> list[dict]:
    if industry[0] not in INNOVATIVE or rd_ratio is None:
        return []
    held = []
    chances = {"高新技术企业": 0.45 if rd_ratio >= 4 else 0.08, "科技型中小企业": 0.4 if size != "大型" else 0,
               "专精特新中小企业": 0.15 if size != "大型" else 0, "专精特新“小巨人”企业": 0.04 if size == "中型" else 0,
               "创新型中小企业": 0.15 if size != "大型" else 0}
    for name in QUALIFICATIONS:
        if rng.random() < chances[name]:
            # about one in six has lapsed: a certificate that ran out in the past year
            lapsed = rng.random() < 0.17
            valid_to = today - timedelta(days=rng.randint(20, 330)) if lapsed else \
                today + timedelta(days=rng.randint(60, 1000))
            held.append({"name": name, "valid_to": valid_to.isoformat()})
    return held


def profile_values(rng: random.Random, category: str, district: str, today: date) -> dict:
    """A plausible enterprise of the category: size, industry, figures, qualifications and update days."""
    size = _choose_size(rng, category)
    industry = _choose_industry(rng, category, district)
    if rng.random() < 0.15:
        industry = industry[:3]  # some profiles carry only the major class (C36)
    (low, high), (few, many) = SIZE_FIGURES[size]
    if category == "large_enterprise":
        low = max(low, 2000)  # 四上企业: above the statistical threshold
    revenue = round(rng.uniform(low, high), 2)
    employees = rng.randint(few, many)
    tax_paid = round(revenue * rng.uniform(0.015, 0.06), 2)
    rd_ratio = round(rng.uniform(0.5, 8.5), 2) if industry[0] in INNOVATIVE else round(rng.uniform(0, 1.5), 2)
    years = rng.choice([0, 1, 1, 2, 3, 3, 4, 5, 6, 8, 10, 12, 15, 18, 22]) if category == "sme" \
        else rng.choice([2, 3, 4, 6, 8, 10, 12, 15, 18, 20, 25])
    registered = today - timedelta(days=years * 365 + rng.randint(10, 350))
    figures = {"revenue": revenue, "employees": employees, "tax_paid": tax_paid, "rd_ratio": rd_ratio}
    recent = today - timedelta(days=rng.randint(8, 200))
    basics_day = today - timedelta(days=rng.randint(30, 400))
    updated = {key: basics_day.isoformat() for key in ("industry", "size", "district", "registered_on",
                                                       "qualifications")}
    figures_day = recent
    draw = rng.random()
    if draw < 0.10:  # a figure the enterprise never gave
        figures[rng.choice(FIGURES)] = None
    elif draw < 0.20:  # figures from two years ago or more: stale
        figures_day = today - timedelta(days=rng.randint(STALE_AFTER + 20, 900))
    for key, value in figures.items():
        if value is not None:
            updated[key] = figures_day.isoformat()
    updated["size"] = figures_day.isoformat()
    qualifications = _qualifications(rng, industry, size, figures["rd_ratio"], today)
    return {"size": size, "industry": industry, "district": district, "registered_on": registered,
            "revenue": None if figures["revenue"] is None else Decimal(str(figures["revenue"])),
            "employees": figures["employees"],
            "tax_paid": None if figures["tax_paid"] is None else Decimal(str(figures["tax_paid"])),
            "rd_ratio": None if figures["rd_ratio"] is None else Decimal(str(figures["rd_ratio"])),
            "qualifications": qualifications, "field_updated": updated}


def _pool_enterprises() -> list[Respondent]:
    return list(db.session.scalars(
        select(Respondent).join(RespondentCategory, Respondent.category_id == RespondentCategory.id)
        .where(RespondentCategory.key.in_(current_app.config["FORUM_ENTERPRISE_CATEGORIES"]))
        .order_by(Respondent.key)))


def _seed_profiles(today: date) -> list[EnterpriseProfile]:
    used: set[str] = set()

    def unique_uscc(rng, district) -> str:
        while True:
            code = make_uscc(rng, district)
            if code not in used:
                used.add(code)
                return code

    made = []
    for member in _pool_enterprises():
        rng = _rng("pool", member.key)
        profile = EnterpriseProfile(uscc=unique_uscc(rng, member.district), name=member.organisation or member.name,
                                    respondent_id=member.id, contact_name=member.name,
                                    **profile_values(rng, member.category.key, member.district, today))
        db.session.add(profile)
        made.append(profile)
    made += _outside_pool(today, unique_uscc)
    db.session.flush()
    return made


def _outside_pool(today: date, unique_uscc) -> list[EnterpriseProfile]:
    """Enterprises with a profile but not in the pool: their own contact phone, sealed like the pool's."""
    from app.demo.pool import DISTRICTS, MOBILE_PREFIXES

    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    vault = current_vault()
    taken = set(db.session.scalars(select(Respondent.phone_hash)))
    made = []
    for n in range(OUTSIDE_POOL):
        rng = _rng("outside", n)
        while True:
            try:
                phone = normalise(rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}")
            except PhoneError:
                continue
            phone_hash = vault.lookup_hash(phone)
            if phone_hash not in taken:
                taken.add(phone_hash)
                break
        district = rng.choice(DISTRICTS)
        category = "large_enterprise" if n % 4 == 0 else "sme"
        values = profile_values(rng, category, district, today)
        trade = next(word for code, word in TRADES.items() if code.startswith(values["industry"]))
        form = "股份有限公司" if values["size"] == "大型" else "有限公司"
        profile = EnterpriseProfile(uscc=unique_uscc(rng, district), name=f"{BRANDS[n % len(BRANDS)]}{trade}{form}",
                                    respondent_id=None, contact_name=fake.name(), contact_phone=vault.seal(phone),
                                    contact_phone_hash=phone_hash, contact_phone_masked=mask(phone), **values)
        db.session.add(profile)
        made.append(profile)
    return made


# --------------------------------------------------------------------------- investment promises

# (which profile: "outside" n or "pool" n, title, amount 万元, due in days from today, department, status, note)
PROMISES = [
    ("outside", 0, "固定资产投资奖励（按投资协议第六条，设备投资额的5%）", 260, -45, "SWJ", PromiseStatus.promised,
     "项目已竣工投产，奖励资金尚未拨付。"),
    ("outside", 1, "标准化厂房租金前三年全免", None, -12, "GXJ", PromiseStatus.promised,
     "厂房已交付使用，租金减免协议未签订。"),
    ("outside", 2, "项目用地“标准地”出让，三个月内交地", None, 40, "ZRZY", PromiseStatus.promised, ""),
    ("outside", 4, "总部落户一次性奖励", 100, -120, "SWJ", PromiseStatus.delivered, "已于到期前拨付。"),
    ("pool", 3, "新增产能用电增容优先保障", None, 75, "GDGS", PromiseStatus.promised, ""),
    ("pool", 7, "人才公寓20套（按投资协议附件二）", None, 150, "ZJJ", PromiseStatus.promised, ""),
    ("outside", 6, "设备购置贴息", 45, -60, "CZJ", PromiseStatus.cancelled,
     "企业调整投资计划，设备未购置，经双方协商撤销。"),
]


def _seed_promises(profiles: list[EnterpriseProfile], today: date, officer) -> None:
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    outside = [p for p in profiles if p.respondent_id is None]
    pooled = [p for p in profiles if p.respondent_id is not None]
    for where, n, title, amount, due_in, department, status, note in PROMISES:
        due = today + timedelta(days=due_in)
        promise = InvestmentPromise(
            profile=(outside if where == "outside" else pooled)[n], title=title,
            amount=Decimal(amount) if amount is not None else None, due_on=due, department=departments[department],
            status=status, note=note, created_by_id=officer.id if officer else None,
            delivered_on=due - timedelta(days=10) if status == PromiseStatus.delivered else None,
            created_at=_moment(today - timedelta(days=200)))
        db.session.add(promise)


# --------------------------------------------------------------------------- the whole

@dataclass
class PolicyDemo:
    """What the demo's policy window holds: items by code (the lead's pushes take them from here)."""

    items: dict[str, PolicyItem] = field(default_factory=dict)

    def item(self, name: str) -> PolicyItem:
        """The item whose current version has this name."""
        return next(i for i in self.items.values() if i.current and i.current.name == name)


def seed_policy() -> PolicyDemo:
    """The demo's policy window, once; later runs change nothing and return what is there."""
    today = local_today()
    officer = db.session.scalar(select(User).where(User.username == OFFICER))
    if db.session.scalar(select(Policy.id).limit(1)) is None:
        _seed_catalogue(officer)
    if db.session.scalar(select(EnterpriseProfile.id).limit(1)) is None:
        profiles = _seed_profiles(today)
        _seed_promises(profiles, today, officer)
    db.session.flush()
    return PolicyDemo({i.code: i for i in db.session.scalars(select(PolicyItem).order_by(PolicyItem.code))})


EXAMPLE_ITEM = "新认定高新技术企业奖励"
# Pushed already in the demo (the example item is left for the visitor to match and push).
PUSHED_ITEMS = ("专精特新“小巨人”企业一次性奖励", "研发费用税前加计扣除")


def seed_pushes(demo: PolicyDemo) -> None:
    """Two pushes already sent by the officer: a match of each item's current version, then its SMS."""
    from app.policy import matching, push

    officer = db.session.scalar(select(User).where(User.username == OFFICER))
    for name in PUSHED_ITEMS:
        version = demo.item(name).current
        if db.session.scalar(select(PolicyPush.id).where(PolicyPush.item_version_id == version.id)) is not None:
            continue
        run = matching.run(version, actor=officer)
        db.session.commit()
        push.send(run, push.Criteria(ask_missing=name == PUSHED_ITEMS[1]), actor=officer)


def example_item() -> str | None:
    """The code of a published item worth matching in the demo (`flask demo` prints it)."""
    return db.session.scalar(
        select(PolicyItem.code).join(PolicyItemVersion, PolicyItem.current_version_id == PolicyItemVersion.id)
        .where(PolicyItem.status == ItemStatus.published, PolicyItemVersion.name == EXAMPLE_ITEM))
