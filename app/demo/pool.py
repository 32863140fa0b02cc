"""A demo pool of 2,000 members, fed through the real import so the demo exercises it."""
from __future__ import annotations

import csv
import io
import random

from faker import Faker

from app.platform.phones import PhoneError, normalise
from app.pool import importing as pool_import

DISTRICTS = ["城关区", "东湖区", "西山区", "高新区", "经开区", "临江县", "北山县", "南溪县"]
# Members per category: the sizes of the pool the draw example in DESIGN.md uses.
CATEGORY_SIZES = {
    "四上企业": 300, "中小微市场主体": 700, "办事群众": 600,
    "营商环境监督员": 150, "两代表一委员": 150, "新闻媒体": 100,
}
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                   "157", "158", "159", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189"]
MEDIA = ["市日报社", "市广播电视台", "市融媒体中心", "晚报社", "新闻网"]
DEPUTY_ROLES = ["市人大代表", "市政协委员", "区人大代表", "县政协委员"]


def demo_pool_csv(seed: int = 2026) -> bytes:
    """The demo pool as the CSV an operator would receive; the same bytes every time."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    phones: set[str] = set()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "类别", "区县", "单位", "手机", "入库日期"])
    for category, size in CATEGORY_SIZES.items():
        for _ in range(size):
            while True:
                phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                try:
                    normalise(phone)
                except PhoneError:
                    continue
                if phone not in phones:
                    phones.add(phone)
                    break
            if category in ("四上企业", "中小微市场主体", "营商环境监督员"):
                organisation = fake.company()
            elif category == "两代表一委员":
                organisation = rng.choice(DEPUTY_ROLES)
            elif category == "新闻媒体":
                organisation = rng.choice(MEDIA)
            else:
                organisation = ""
            enrolled = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
            writer.writerow([fake.name(), category, rng.choice(DISTRICTS), organisation, phone, enrolled])
    return buffer.getvalue().encode("utf-8")


def seed_pool() -> pool_import.ImportResult:
    """Import the demo pool; a second run finds every member unchanged."""
    plan = pool_import.check("demo-pool.csv", demo_pool_csv())
    if plan.errors:
        raise RuntimeError(f"the demo pool has errors: {plan.errors[:3]}")
    if not plan.to_add and not plan.to_update:
        return pool_import.ImportResult(0, 0, plan.unchanged, 0)
    return pool_import.commit(plan, filename="demo-pool.csv")
