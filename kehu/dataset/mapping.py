"""Migrating in: reading a firm's own spreadsheet (or another CRM's export) as a Kehu file.

A `Plan` says, for one kind of list (customers, contacts, products, activities, opportunities),
which Kehu field each heading of the sheet fills (`columns`, by heading) and which Kehu code each
of a field's own words stands for (`values`). `plan_auto` guesses it from the aliases below;
a plan confirmed on the upload page is remembered (`ImportMapping`, per kind and heading
signature) and used again for a file with the same headings. `prepare` reads the sheet once to
list the values that match none of a field's choices and returns a Kehu `Dataset` whose tables
translate each row on the fly into Kehu's own columns, so the importers, their checks and their
all-or-nothing write are the same as for a Kehu dataset (docs/dataset.md, "Migrating in").

The rules (docs/rules.md, "Import"):
- a heading Kehu does not know is listed and skipped (never fatal); a heading that names a fact
  Kehu keeps no field for (微信, QQ, 网址, 下次联系时间 …) is kept as a line "heading：value" in
  the customer's notes; when two headings name the same field, the first alias wins and the
  other is kept in the notes;
- a value that matches none of a field's choices lands as the field's default (lead source
  "other", kind "company", stage: the importer's default, owner: the public pool; an industry
  that names no section is kept as written), with one notice per value and field; a customer
  keeps such a stage, lead source or kind word as a line of its notes too;
- no code column: the code is made from the name (customers, products) or from the customer
  and title (opportunities): "KH-" and ten hex digits of its SHA-1, the same every time;
- 地区 "广东省/深圳市/南山区", "广东 深圳 南山" or "广东省深圳市南山区" fill province and city by
  their official names; the district goes in front of the address (详细地址);
- contacts, activities and opportunities name their customer by code or by its exact name;
  a follow-up without a type is "other", a visit without a level a business-level visit.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.customers import industries, regions
from kehu.customers.models import Contact, Customer
from kehu.dataset.choices import DECISION_ROLE, KIND, LEAD_SOURCE, STAGE
from kehu.dataset.files import Dataset, Table
from kehu.dataset.importers.base import Issue
from kehu.dataset.values import CellError

# The kinds of list a firm's file can be, and the Kehu file each becomes.
KINDS = {
    "customers": "customers.csv",
    "contacts": "contacts.csv",
    "products": "products.csv",
    "activities": "activities.csv",
    "opportunities": "opportunities.csv",
}
KIND_LABELS = {
    "customers": gettext_lazy("Customers"),
    "contacts": gettext_lazy("Contacts"),
    "products": gettext_lazy("Products"),
    "activities": gettext_lazy("Follow-up records"),
    "opportunities": gettext_lazy("Opportunities"),
}
NOTES = "_notes"  # a column kept as a line of the customer's notes
SKIP = ""  # a column skipped
# Distinct values of one field listed for mapping (the rest are counted, not listed).
MAX_VALUES = 200


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    aliases: tuple[str, ...]
    how: str = "text"  # text, choice, owner, customer, region, datetime, date, money, industry
    choices: object = None  # Choices (choice)
    options: object = None  # callable → [(code, label)] for the value select
    default: str = ""  # what an unknown value becomes
    extra: dict = field(default_factory=dict)  # other CRMs' words → code


def _opts(choices):
    return lambda: [(str(code), str(label)) for code, label in choices]


def _industry_options():
    return industries.industry_choices()


# Words of 悟空CRM, 芋道 CRM, 纷享销客 and 销售易 for the lead source (their option lists).
LEAD_EXTRA = {
    "陌拜": "door_to_door", "陌生拜访": "door_to_door", "预约上门": "door_to_door",
    "搜索引擎": "internet", "线上注册": "internet", "线上询价": "internet", "网络推广": "internet", "官网": "internet",
    "网站咨询": "internet", "在线咨询": "internet",
    "电话咨询": "phone", "电话营销": "phone", "400电话": "phone",
    "邮件咨询": "mail", "邮件营销": "mail",
    "展会": "conference", "展会资源": "conference", "会议营销": "conference", "研讨会": "conference",
    "招商资料": "directory", "招商资源": "directory", "工商信息": "directory",
    "老客户转介绍": "referral", "客户推荐": "referral", "推荐": "referral", "合作伙伴": "referral",
    "广告投放": "advertising",
}
# 悟空CRM and 芋道 CRM's industry options (GB/T 4754 sections by name).
INDUSTRY_EXTRA = {
    "IT": "信息传输、软件和信息技术服务业", "IT/通信/电子/互联网": "信息传输、软件和信息技术服务业",
    "生产": "制造业", "运输/物流": "交通运输、仓储和邮政业", "物流": "交通运输、仓储和邮政业",
    "商业服务": "租赁和商务服务业", "房地产": "房地产业", "政府": "公共管理、社会保障和社会组织",
    "文化传媒": "文化、体育和娱乐业", "贸易": "批发和零售业", "服务业": "居民服务、修理和其他服务业",
}
# The words of a yes/no "成交状态" (芋道 CRM exports 是/否) as a stage.
DEAL_STATUS = {"是": "signed", "否": "prospect", "已成交": "signed", "未成交": "prospect"}
STAGE_EXTRA = {"已成交": "signed", "成交": "signed", "未成交": "prospect", "vip": "vip", "意向客户": "prospect"}
KIND_EXTRA = {"企业": "company", "公司": "company", "个人": "person"}

C = Field  # short
CUSTOMER_FIELDS = [
    C("code", gettext_lazy("code"), ("客户编号", "客户编码", "客户代码", "编号", "客户id", "code")),
    C("name", gettext_lazy("name"), ("客户名称", "客户名", "公司名称", "企业名称", "单位名称", "客户全称", "名称", "客户", "name")),
    C("kind", gettext_lazy("kind"), ("客户类型", "客户性质", "kind"), "choice", KIND, _opts(Customer.Kind.choices), "company", KIND_EXTRA),
    C("owner", gettext_lazy("owner"), ("负责人", "负责人名字", "负责人姓名", "客户负责人", "客户所有人", "所有人", "所属员工",
                                         "归属人", "业务员", "销售员", "销售负责人", "owner"), "owner"),
    C("stage", gettext_lazy("lifecycle stage"), ("客户阶段", "客户状态", "成交状态", "客户等级", "客户级别", "客户分级", "stage"),
      "choice", STAGE, _opts(Customer.Stage.choices), "", STAGE_EXTRA),
    C("lead_source", gettext_lazy("lead source"), ("客户来源", "来源", "来源渠道", "线索来源", "获客渠道", "lead_source"),
      "choice", LEAD_SOURCE, _opts(Customer.LeadSource.choices), "other", LEAD_EXTRA),
    C("industry", gettext_lazy("industry"), ("所属行业", "客户行业", "行业", "行业分类", "行业类别", "industry"), "industry",
      None, _industry_options),
    C("region", gettext_lazy("region (province/city/district)"), ("地区", "地区名称", "所在地区", "省市区", "区域", "所在地", "省/市/区"),
      "region"),
    C("province", gettext_lazy("province"), ("省份", "省", "所在省份", "省/直辖市", "province")),
    C("city", gettext_lazy("city"), ("城市", "市", "所在城市", "city")),
    C("district", gettext_lazy("district"), ("区县", "区", "区/县", "县区", "district")),
    C("address", gettext_lazy("address"), ("详细地址", "地址", "联系地址", "公司地址", "通讯地址", "办公地址", "address")),
    C("phone", gettext_lazy("phone"), ("电话", "联系电话", "座机", "固定电话", "办公电话", "公司电话", "总机", "phone")),
    C("mobile", gettext_lazy("mobile"), ("手机", "手机号", "手机号码", "移动电话", "mobile")),
    C("email", gettext_lazy("email"), ("邮箱", "电子邮箱", "邮件", "邮箱地址", "email", "e-mail")),
    C("wechat", gettext_lazy("WeChat"), ("微信", "微信号", "wechat")),
    C("qq", "QQ", ("qq", "qq号")),
    C("notes", gettext_lazy("notes"), ("备注", "客户描述", "描述", "说明", "remark", "notes")),
    C("uscc", gettext_lazy("unified social credit code"), ("统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号", "税号", "uscc")),
    C("created_at", gettext_lazy("created at"), ("创建时间", "创建日期", "录入时间", "建档日期", "created_at"), "datetime"),
    C("contact_name", gettext_lazy("contact's name"), ("联系人", "联系人姓名", "首要联系人", "主要联系人", "联系人名称")),
    C("contact_title", gettext_lazy("contact's title"), ("联系人职务", "职务", "职位")),
    C("credit_limit", gettext_lazy("credit limit"), ("信用额度", "授信额度", "credit_limit"), "money"),
]
# Facts Kehu keeps no field for, kept as lines of the notes (customers).
CUSTOMER_NOTE_HEADINGS = ("网址", "官网", "公司网站", "网站", "下次联系时间", "最后跟进时间", "最后跟进内容", "最后跟进记录",
                          "传真", "邮编", "客户标签", "标签", "公司介绍", "website")

CONTACT_FIELDS = [
    C("customer", gettext_lazy("customer"), ("客户名称", "所属客户", "客户", "公司名称", "客户编号", "customer"), "customer"),
    C("name", gettext_lazy("name"), ("姓名", "联系人姓名", "联系人", "联系人名称", "name")),
    C("title", gettext_lazy("title"), ("职务", "职位", "title")),
    C("department", gettext_lazy("department"), ("部门", "所在部门", "department")),
    C("decision_role", gettext_lazy("decision role"), ("角色", "决策角色", "关键决策人", "decision_role"), "choice", DECISION_ROLE,
      _opts(Contact.DecisionRole.choices), ""),
    C("phone", gettext_lazy("phone"), ("手机", "手机号", "手机号码", "电话", "联系电话", "phone")),
    C("email", gettext_lazy("email"), ("邮箱", "电子邮箱", "email")),
    C("wechat", gettext_lazy("WeChat"), ("微信", "微信号", "wechat")),
    C("birthday", gettext_lazy("birthday"), ("生日", "出生日期", "birthday"), "date"),
]

PRODUCT_FIELDS = [
    C("code", gettext_lazy("code"), ("产品编码", "产品编号", "编码", "编号", "code")),
    C("name", gettext_lazy("name"), ("产品名称", "名称", "产品", "name")),
    C("category", gettext_lazy("category"), ("产品类型", "产品分类", "分类", "类别", "category")),
    C("list_price", gettext_lazy("list price"), ("价格", "标准价格", "单价", "售价", "销售价格", "产品价格", "list_price"), "money"),
    C("unit_cost", gettext_lazy("unit cost"), ("成本", "成本价", "单位成本", "unit_cost"), "money"),
]


def _activity_kind():
    from kehu.dataset.importers.activities import KIND as ACTIVITY_KIND
    return ACTIVITY_KIND


def _activity_options():
    from kehu.activities.models import Activity
    return [(str(c), str(label)) for c, label in Activity.Kind.choices]


def _visit_level():
    from kehu.dataset.importers.activities import VISIT_LEVEL
    return VISIT_LEVEL


def _visit_level_options():
    from kehu.activities.models import Activity
    return [(str(c), str(label)) for c, label in Activity.VisitLevel.choices]


class _Lazy:
    """A Choices looked up when first used (the activities importer imports models)."""

    def __init__(self, get):
        self.get = get

    def parse(self, value):
        return self.get().parse(value)


ACTIVITY_FIELDS = [
    C("customer", gettext_lazy("customer"), ("客户名称", "客户", "所属客户", "关联客户", "客户编号", "customer"), "customer"),
    C("contact", gettext_lazy("contact"), ("联系人", "联系人姓名", "contact")),
    C("owner", gettext_lazy("owner"), ("跟进人", "负责人", "记录人", "创建人", "创建人名字", "owner"), "owner"),
    C("type", gettext_lazy("type"), ("跟进方式", "跟进类型", "方式", "类型", "type"), "choice", _Lazy(_activity_kind), _activity_options,
      "other", {"上门拜访": "visit", "见面拜访": "visit", "短信": "other", "微信沟通": "wechat", "QQ": "wechat"}),
    C("visit_level", gettext_lazy("visit level"), ("拜访层级", "拜访级别", "拜访对象层级", "visit_level"), "choice",
      _Lazy(_visit_level), _visit_level_options, "business"),
    C("at", gettext_lazy("time"), ("跟进时间", "时间", "日期", "创建时间", "at"), "datetime"),
    C("summary", gettext_lazy("summary"), ("跟进内容", "跟进记录", "内容", "记录内容", "摘要", "summary")),
    C("next_due", gettext_lazy("next follow-up"), ("下次联系时间", "下次跟进时间", "next_due"), "date"),
]

OPPORTUNITY_FIELDS = [
    C("code", gettext_lazy("code"), ("商机编号", "编号", "code")),
    C("customer", gettext_lazy("customer"), ("客户名称", "客户", "所属客户", "客户编号", "customer"), "customer"),
    C("owner", gettext_lazy("owner"), ("负责人", "负责人名字", "商机负责人", "所有人", "owner"), "owner"),
    C("title", gettext_lazy("title"), ("商机名称", "名称", "标题", "title")),
    C("stage", gettext_lazy("stage"), ("商机阶段", "销售阶段", "阶段", "stage")),
    C("probability", gettext_lazy("probability"), ("赢率", "成交概率", "概率", "probability")),
    C("amount", gettext_lazy("amount"), ("商机金额", "预计金额", "预计销售金额", "金额", "amount"), "money"),
    C("expected_close", gettext_lazy("expected close"), ("预计成交日期", "预计成交时间", "结单日期", "expected_close"), "date"),
    C("created_at", gettext_lazy("created at"), ("创建时间", "created_at"), "datetime"),
    C("lost_reason", gettext_lazy("lost reason"), ("输单原因", "丢单原因", "lost_reason")),
]

FIELDS = {
    "customers": CUSTOMER_FIELDS, "contacts": CONTACT_FIELDS, "products": PRODUCT_FIELDS,
    "activities": ACTIVITY_FIELDS, "opportunities": OPPORTUNITY_FIELDS,
}
NOTE_HEADINGS = {"customers": CUSTOMER_NOTE_HEADINGS}
CODE_PREFIX = {"customers": "KH-", "products": "CP-", "opportunities": "SJ-"}


def field_of(kind: str, name: str) -> Field | None:
    return next((f for f in FIELDS[kind] if f.name == name), None)


# --- headings ---------------------------------------------------------------------------
_BRACKETS = re.compile(r"[（(【\[].*?[）)】\]]")


def heading_key(text: str) -> str:
    """A heading as compared: NFKC, lower case, without spaces, stars, colons or a bracketed
    note ("客户名称（必填）" → "客户名称")."""
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    text = _BRACKETS.sub("", text)
    return re.sub(r"[\s*★:：_]+", "", text) if not text.isascii() else re.sub(r"[\s*★:：]+", "", text)


def _alias_index(kind: str) -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for f in FIELDS[kind]:
        for rank, alias in enumerate(f.aliases):
            index.setdefault(heading_key(alias), (f.name, rank))
    for alias in NOTE_HEADINGS.get(kind, ()):
        index.setdefault(heading_key(alias), (NOTES, 0))
    return index


def recognised(heading: str) -> bool:
    """Whether any kind knows the heading (picks the header row and the sheet)."""
    key = heading_key(heading)
    return any(key in _alias_index(kind) for kind in KINDS)


def guess_kind(headings: list[str]) -> str:
    """The kind whose headings the sheet has most of (customers on a tie)."""
    keys = [heading_key(h) for h in headings]
    scores = {kind: sum(1 for k in keys if k in _alias_index(kind)) for kind in KINDS}
    best = max(scores.values())
    return "customers" if scores["customers"] == best else max(scores, key=scores.get)


def signature(headings: list[str]) -> str:
    return hashlib.sha1("|".join(heading_key(h) for h in headings).encode()).hexdigest()


@dataclass
class Plan:
    kind: str
    headings: list[str]
    columns: list[str]  # per heading: a field name, NOTES or SKIP
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # {field: {word: code}}
    remembered: bool = False

    def as_json(self) -> dict:
        return {"kind": self.kind, "headings": self.headings, "columns": self.columns, "values": self.values}

    @classmethod
    def from_json(cls, data: dict) -> "Plan":
        return cls(kind=data["kind"], headings=list(data["headings"]), columns=list(data["columns"]),
                   values={k: dict(v) for k, v in (data.get("values") or {}).items()})

    def index(self, name: str) -> int | None:
        return self.columns.index(name) if name in self.columns else None

    @property
    def skipped(self) -> list[str]:
        return [h for h, c in zip(self.headings, self.columns) if c == SKIP and h]


def plan_auto(kind: str, headings: list[str]) -> Plan:
    """Each heading to the field one of its aliases names; a field named twice goes to the
    heading of its first alias, the other heading to the notes (customers) or skipped."""
    index = _alias_index(kind)
    found = [index.get(heading_key(h)) for h in headings]
    best: dict[str, tuple[int, int]] = {}
    for i, hit in enumerate(found):
        if hit and hit[0] != NOTES and (hit[0] not in best or hit[1] < best[hit[0]][0]):
            best[hit[0]] = (hit[1], i)
    keep_notes = kind == "customers"
    columns = []
    for i, hit in enumerate(found):
        if hit is None:
            columns.append(SKIP)
        elif hit[0] == NOTES or best[hit[0]][1] != i:
            columns.append(NOTES if keep_notes else SKIP)
        else:
            columns.append(hit[0])
    # 悟空CRM: "地址" is the region (省,市,区) when a "详细地址" column is there too.
    if kind == "customers":
        keys = [heading_key(h) for h in headings]
        if "详细地址" in keys and "地址" in keys and "region" not in columns:
            columns[keys.index("地址")] = "region"
            columns[keys.index("详细地址")] = "address"
    values = {}
    if kind == "customers" and "stage" in columns and heading_key(headings[columns.index("stage")]) == "成交状态":
        values["stage"] = dict(DEAL_STATUS)
    return Plan(kind=kind, headings=list(headings), columns=columns, values=values)


def plan_for(kind: str, headings: list[str]) -> Plan:
    """The remembered plan for these headings, or the automatic one."""
    from kehu.dataset.models import ImportMapping

    saved = ImportMapping.objects.filter(kind=kind, signature=signature(headings)).first()
    if saved is None:
        return plan_auto(kind, headings)
    auto = plan_auto(kind, headings)
    valid = {f.name for f in FIELDS[kind]} | {NOTES, SKIP}
    columns = [c if c in valid else a for c, a in zip(saved.columns + auto.columns[len(saved.columns):], auto.columns)]
    return Plan(kind=kind, headings=list(headings), columns=columns, values=saved.values or {}, remembered=True)


def plan_remember(*, plan: Plan, actor) -> None:
    """Keep the plan for the next file of this kind with these headings."""
    from kehu.dataset.models import ImportMapping

    ImportMapping.objects.update_or_create(
        kind=plan.kind, signature=signature(plan.headings),
        defaults={"headings": plan.headings, "columns": plan.columns, "values": plan.values,
                  "updated_by": actor if actor is not None and actor.pk else None},
    )


# --- values -----------------------------------------------------------------------------
_REGION_SPLIT = re.compile(r"[\s/,，、\-|>]+")
_JOINED = re.compile(r"^(.+?(?:特别行政区|自治区|省|市))(.+?(?:自治州|地区|盟|市))?(.*)$")


def split_region(text: str) -> tuple[str, str, str]:
    """(province, city, district) of a region cell, province and city by their official names
    where they name one (kept as written otherwise)."""
    parts = [p for p in _REGION_SPLIT.split((text or "").strip()) if p]
    if len(parts) == 1:
        parts = _split_joined(parts[0])
    if not parts:
        return "", "", ""
    province_text = parts[0]
    province = regions.province_lookup(province_text)
    rest = parts[1:]
    if province is None:
        return province_text, (rest[0] if rest else ""), "".join(rest[1:])
    city = ""
    if rest:
        city = regions.normalize_city(province.name, rest[0]) or ""
        if city:
            rest = rest[1:]
    if not city and len(province.cities) == 1 and province.cities[0] == province.name:
        city = province.name  # a municipality is its own city
    if not city and rest:
        city, rest = rest[0], rest[1:]
    return province.name, city, "".join(rest)


def _split_joined(text: str) -> list[str]:
    match = _JOINED.match(text)
    if match and regions.province_lookup(match.group(1)):
        return [p for p in match.groups() if p]
    for size in (3, 2):  # "广东深圳南山": a province's short name, then a city's
        province = regions.province_lookup(text[:size])
        if province is not None:
            rest = text[size:]
            for city in province.cities:
                short = regions.short_name(city)
                for name in (city, short):
                    if name and rest.startswith(name):
                        return [province.name, city, rest[len(name):]]
            return [province.name, rest] if rest else [province.name]
    return [text]


def region_prefix(address: str) -> tuple[str, str]:
    """(province, city) an address starts with ("广东省深圳市南山区…"), or ("", "")."""
    match = _JOINED.match((address or "").strip())
    if not match:
        return "", ""
    province = regions.province_lookup(match.group(1))
    if province is None:
        return "", ""
    city = regions.normalize_city(province.name, match.group(2) or "") or ""
    if not city and len(province.cities) == 1 and province.cities[0] == province.name:
        city = province.name
    return province.name, city


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2}))?)?$")


def normalize_time(text: str, *, date_only: bool = False) -> str:
    """"2024/3/5 14:22", "2024年3月5日", "2024.03.05" as ISO text; anything else as written
    (the importer then says what is wrong with it)."""
    text = (text or "").strip()
    match = _DATE.match(text)
    if not match:
        return text[:10] if date_only and re.match(r"^\d{4}-\d{2}-\d{2}[ T]", text) else text
    y, m, d, hh, mm, ss = match.groups()
    day = f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
    if date_only or hh is None:
        return day
    return f"{day} {int(hh):02d}:{int(mm):02d}:{int(ss or 0):02d}"


def normalize_money(text: str) -> str:
    return re.sub(r"[¥￥,，元\s]", "", text or "")


def note_text(text: str) -> str:
    """A cell as a line of the notes: a workbook's time "2026-04-28T15:00:00" as "2026-04-28 15:00"."""
    text = text.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}T00:00(:00)?$", text):
        return text[:10]
    match = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:00)?$", text)
    if match:
        return f"{match.group(1)} {match.group(2)}"
    return text


def make_code(prefix: str, *parts: str) -> str:
    key = "\x1f".join(unicodedata.normalize("NFKC", p or "").strip() for p in parts)
    return prefix + hashlib.sha1(key.encode()).hexdigest()[:10].upper()


class Resolver:
    """What each word of a field becomes: the plan's own mapping first, then the aliases of
    Kehu and of other CRMs. `unknown` counts the words that matched nothing."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.cache: dict[tuple[str, str], str | None] = {}
        self._users: dict[str, str] | None = None
        self._names: dict[str, list[str]] | None = None
        self.customer_codes: dict[str, str] = {}

    def users(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        if self._users is None:
            self._users, self._names = {}, {}
            for username, name in User.objects.filter(is_active=True).values_list("username", "name"):
                self._users[username.lower()] = username
                if name:
                    self._names.setdefault(name.strip(), []).append(username)
        return self._users, self._names

    def resolve(self, f: Field, word: str) -> str | None:
        """The code `word` stands for; None when it matches nothing."""
        key = (f.name, word)
        if key in self.cache:
            return self.cache[key]
        chosen = (self.plan.values.get(f.name) or {}).get(word)
        code = chosen if chosen else self._auto(f, word)
        self.cache[key] = code
        return code

    def _auto(self, f: Field, word: str) -> str | None:
        if f.how == "choice":
            for alias, code in f.extra.items():
                if heading_key(alias) == heading_key(word):
                    return code
            try:
                return f.choices.parse(word)
            except CellError:
                return None
        if f.how == "industry":
            return INDUSTRY_EXTRA.get(word.strip()) or industries.normalize_industry(word)
        if f.how == "owner":
            users, names = self.users()
            if word.lower() in users:
                return users[word.lower()]
            found = names.get(word.strip(), [])
            return found[0] if len(found) == 1 else None
        return word


def prepare(sheet, plan: Plan, *, label: str | None = None) -> "Prepared":
    """Read the sheet once: the words of each mapped field that match nothing, the customers
    named by name; return the Kehu dataset that reads the sheet through the plan."""
    resolver = Resolver(plan)
    fields = {f.name: f for f in FIELDS[plan.kind]}
    watched = [(i, fields[c]) for i, c in enumerate(plan.columns)
               if c in fields and fields[c].how in ("choice", "owner", "industry")]
    customer_column = plan.index("customer")
    counts: dict[str, dict[str, int]] = {f.name: {} for _i, f in watched}
    customer_words: set[str] = set()
    rows = 0
    sample = None
    for _line, cells in sheet.rows():
        rows += 1
        if sample is None:
            sample = cells
        for i, f in watched:
            word = cells[i].strip() if i < len(cells) and cells[i] else ""
            if word:
                seen = counts[f.name]
                seen[word] = seen.get(word, 0) + 1
        if customer_column is not None and customer_column < len(cells) and cells[customer_column]:
            customer_words.add(cells[customer_column].strip())
    if customer_words:
        resolver.customer_codes = _customer_codes(customer_words)
    words = []
    notices = []
    for _i, f in watched:
        unmapped = []
        for word, count in sorted(counts[f.name].items(), key=lambda kv: (-kv[1], kv[0])):
            code = resolver.resolve(f, word)
            chosen = (plan.values.get(f.name) or {}).get(word, "")
            if code is None or chosen:
                words.append(Word(field=f, word=word, count=count, code=code or "", chosen=chosen))
            if code is None:
                unmapped.append((word, count))
        notices += [_unmapped_notice(plan, f, word, count) for word, count in unmapped[:MAX_VALUES]]
        if len(unmapped) > MAX_VALUES:
            rest = unmapped[MAX_VALUES:]
            notices.append(Issue(KINDS[plan.kind], None, plan.headings[plan.columns.index(f.name)],
                                 _("%(values)d more values (%(count)d rows) match no %(field)s either; they are imported the same way.")
                                 % {"values": len(rest), "count": sum(c for _w, c in rest), "field": f.label}))
    shown_words = []
    per_field: dict[str, int] = {}
    for w in words:
        per_field[w.field.name] = per_field.get(w.field.name, 0) + 1
        if per_field[w.field.name] <= MAX_VALUES:
            shown_words.append(w)
    file = KINDS[plan.kind]
    skipped = plan.skipped
    if skipped:
        notices.insert(0, Issue(file, plan_header_line(sheet), "", _("Columns Kehu does not know, skipped: %(columns)s.")
                                % {"columns": "、".join(skipped)}))
    tables: dict[str, Table] = {file: MappedTable(file, sheet, plan, resolver)}
    if plan.kind == "customers" and plan.index("contact_name") is not None:
        tables["contacts.csv"] = ContactsFromCustomers(sheet, plan, resolver)
    dataset = Dataset(label or sheet.name, tables, [])
    dataset.notices = notices
    return Prepared(plan=plan, dataset=dataset, words=shown_words, notices=notices, rows=rows, sheet=sheet, sample=sample)


def plan_header_line(sheet) -> int:
    return getattr(sheet, "header_line", 1)


def _unmapped_notice(plan: Plan, f: Field, word: str, count: int) -> Issue:
    heading = plan.headings[plan.columns.index(f.name)]
    if f.how == "owner":
        to = _("the public pool") if plan.kind == "customers" else _("no one (the rows are bad until it is mapped)")
    elif f.how == "industry":
        to = _("kept as written")
    elif f.default:
        to = _("“%(value)s”") % {"value": dict(f.options()).get(f.default, f.default)}
    else:
        to = _("the default")
    return Issue(KINDS[plan.kind], None, heading, _("“%(value)s” (%(count)d rows) matches no %(field)s; imported as %(to)s. Map it on the preview to change that.")
                 % {"value": word, "count": count, "field": f.label, "to": to})


def _customer_codes(words: set[str]) -> dict[str, str]:
    """{word: code} for the words that are a customer's code or its exact name (one customer)."""
    from kehu.dataset.importers.base import chunked

    found: dict[str, str] = {}
    words_list = sorted(words)
    for batch in chunked(words_list, 900):
        for code in Customer.objects.alive().filter(code__in=batch).values_list("code", flat=True):
            found[code] = code
    names: dict[str, list[str]] = {}
    for batch in chunked([w for w in words_list if w not in found], 900):
        for name, code in Customer.objects.alive().filter(name__in=batch).values_list("name", "code"):
            names.setdefault(name, []).append(code)
    for name, codes in names.items():
        if len(codes) == 1:
            found[name] = codes[0]
    return found


@dataclass
class Word:
    field: Field
    word: str
    count: int
    code: str  # what it becomes now ("" = the default)
    chosen: str  # the plan's own mapping ("" = none)


@dataclass
class Prepared:
    plan: Plan
    dataset: Dataset
    words: list[Word]
    notices: list[Issue]
    rows: int
    sheet: object
    sample: list | None = None  # the first data row (the preview shows it beside each heading)


# --- the translated tables ----------------------------------------------------------------
CUSTOMER_OUT = ["code", "name", "kind", "owner", "stage", "lead_source", "province", "city", "industry", "phone",
                "address", "email", "notes", "uscc", "credit_limit", "created_at"]


class MappedTable(Table):
    """The sheet's rows as rows of a Kehu file, per the plan."""

    def __init__(self, name: str, sheet, plan: Plan, resolver: Resolver):
        self.name = name
        self.sheet = sheet
        self.plan = plan
        self.resolver = resolver
        self.fields = {f.name: f for f in FIELDS[plan.kind]}
        self.idx = {}  # field → the index of its column (the first, for NOTES)
        for i, column in enumerate(plan.columns):
            self.idx.setdefault(column, i)
        self.notes_columns = [i for i, c in enumerate(plan.columns) if c == NOTES]
        self.header = self._header()
        self._regions: dict[str, tuple[str, str, str]] = {}

    def _has(self, *names) -> bool:
        return any(n in self.idx for n in names)

    def _header(self) -> list[str]:
        kind = self.plan.kind
        if kind == "customers":
            wanted = {"code", "name", "kind"}
            wanted |= {n for n in ("owner", "stage", "lead_source", "industry", "email", "uscc", "credit_limit", "created_at")
                       if self._has(n)}
            if self._has("region", "province", "city", "address"):
                wanted |= {"province", "city"}
            if self._has("region", "district", "address"):
                wanted.add("address")
            if self._has("phone", "mobile"):
                wanted.add("phone")
            if self._has("notes", NOTES, "wechat", "qq", "mobile"):
                wanted.add("notes")
            return [c for c in CUSTOMER_OUT if c in wanted]
        columns = [f.name for f in FIELDS[kind] if self._has(f.name)]
        if kind in CODE_PREFIX and "code" not in columns:
            columns.insert(0, "code")
        if kind == "activities":
            columns += [c for c in ("type", "visit_level") if c not in columns]
        return columns

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        yield self.sheet.header_line, list(self.header)
        for line, cells in self.sheet.rows():
            values = self.translate(cells)
            yield line, [values.get(c, "") for c in self.header]

    def cell(self, cells: list[str], name: str) -> str:
        i = self.idx.get(name)
        if i is None or i >= len(cells):
            return ""
        return (cells[i] or "").strip()

    def value(self, cells, name: str) -> str:
        """The cell of a field, its word resolved (an unknown word → the field's default)."""
        text = self.cell(cells, name)
        f = self.fields[name]
        if not text:
            return ""
        if f.how in ("choice", "owner", "industry"):
            code = self.resolver.resolve(f, text)
            if code is None:
                return text if f.how == "industry" else ("" if f.how == "owner" and self.plan.kind == "customers" else (f.default if f.how == "choice" else text))
            return code
        if f.how == "customer":
            return self.resolver.customer_codes.get(text, text)
        if f.how == "datetime":
            return normalize_time(text)
        if f.how == "date":
            return normalize_time(text, date_only=True)
        if f.how == "money":
            return normalize_money(text)
        return text

    def translate(self, cells: list[str]) -> dict[str, str]:
        kind = self.plan.kind
        if kind == "customers":
            return self._customer(cells)
        out = {name: self.value(cells, name) for name in self.header if name in self.fields and name in self.idx}
        if kind == "activities":
            out.setdefault("type", "other")
            if out["type"] == "visit" and not out.get("visit_level"):
                out["visit_level"] = "business"  # a visit needs a level: an unknown one is a business visit
            elif out["type"] != "visit":
                out["visit_level"] = ""
        if kind in CODE_PREFIX and not out.get("code"):
            parts = (out.get("customer", ""), out.get("title", "")) if kind == "opportunities" else (out.get("name", ""),)
            out["code"] = make_code(CODE_PREFIX[kind], *parts) if any(parts) else ""
        return out

    def _customer(self, cells: list[str]) -> dict[str, str]:
        v = self.value
        name = self.cell(cells, "name")
        out = {"name": name, "code": self.cell(cells, "code") or (make_code("KH-", name) if name else "")}
        out["kind"] = v(cells, "kind") or "company"
        for n in ("owner", "stage", "lead_source", "industry", "email", "uscc", "credit_limit", "created_at"):
            if n in self.header:
                out[n] = v(cells, n)
        province, city, district = "", "", ""
        if "region" in self.idx:
            text = self.cell(cells, "region")
            if text not in self._regions:
                self._regions[text] = split_region(text)
            province, city, district = self._regions[text]
        province = self.cell(cells, "province") or province
        city = self.cell(cells, "city") or city
        district = self.cell(cells, "district") or district
        address = self.cell(cells, "address")
        if address and not province:
            province, city = region_prefix(address)
        if district and district not in address:
            address = district + address
        out.update(province=province, city=city, address=address)
        phone, mobile = self.cell(cells, "phone"), self.cell(cells, "mobile")
        out["phone"] = phone or mobile
        with_contact = bool(self.cell(cells, "contact_name"))
        lines = []
        notes = self.cell(cells, "notes")
        if notes:
            lines.append(notes)
        extra = []  # kept in the notes; with a contact, its mobile and WeChat go to the contact
        if mobile and phone and mobile != phone and not with_contact:
            extra.append("mobile")
        if not with_contact:
            extra.append("wechat")
        extra.append("qq")
        for n in extra:
            text = self.cell(cells, n)
            if text:
                lines.append(f"{self.plan.headings[self.idx[n]]}：{text}")
        for i in self.notes_columns:
            if i < len(cells) and (cells[i] or "").strip():
                lines.append(f"{self.plan.headings[i]}：{note_text(cells[i])}")
        for column in ("stage", "lead_source", "kind"):
            word = self.cell(cells, column)
            if word and self.resolver.resolve(self.fields[column], word) is None:  # its default: keep the word too
                lines.append(f"{self.plan.headings[self.idx[column]]}：{word}")
        out["notes"] = "\n".join(lines)
        return out


class ContactsFromCustomers(MappedTable):
    """contacts.csv from a customer list's 联系人 columns: one contact per row that names one."""

    def __init__(self, sheet, plan: Plan, resolver: Resolver):
        super().__init__("contacts.csv", sheet, plan, resolver)
        self.customers = MappedTable("customers.csv", sheet, plan, resolver)

    def _header(self) -> list[str]:
        return ["customer", "name", "title", "phone", "email", "wechat"]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        yield self.sheet.header_line, list(self.header)
        for line, cells in self.sheet.rows():
            contact = self.cell(cells, "contact_name")
            if not contact:
                continue
            name = self.cell(cells, "name")
            code = self.cell(cells, "code") or (make_code("KH-", name) if name else "")
            yield line, [code, contact, self.cell(cells, "contact_title"),
                         self.cell(cells, "mobile") or self.cell(cells, "phone"), self.cell(cells, "email"),
                         self.cell(cells, "wechat")]


def describe(prepared: Prepared) -> dict:
    """The mapping as the CLI prints it and --json gives it."""
    plan = prepared.plan
    fields = {f.name: f for f in FIELDS[plan.kind]}
    columns = []
    for heading, column in zip(plan.headings, plan.columns):
        if not heading:
            continue
        columns.append({"heading": heading, "field": column or None,
                        "label": str(fields[column].label) if column in fields else (str(_("notes (as a line)")) if column == NOTES else "")})
    return {
        "kind": plan.kind, "remembered": plan.remembered, "columns": columns, "skipped": plan.skipped,
        "unmapped": [{"field": w.field.name, "value": w.word, "rows": w.count} for w in prepared.words if not w.code],
        "mapped": [{"field": w.field.name, "value": w.word, "code": w.code} for w in prepared.words if w.code],
    }


def field_choices(kind: str) -> list[tuple[str, str]]:
    """The choices of a column's select: skip, each field, the notes."""
    choices = [(SKIP, str(_("— skip —")))]
    choices += [(f.name, str(f.label)) for f in FIELDS[kind]]
    if kind == "customers":
        choices.append((NOTES, str(_("notes (as a line)"))))
    return choices


def value_choices(f: Field, actor=None) -> list[tuple[str, str]]:
    """The choices of an unknown word's select: the default, then the field's codes. An owner
    is one the `actor` may import customers for (a manager: the reps of their teams, as the
    customer importer allows; an administrator or the command line, None: every active user
    but finance)."""
    if f.how == "owner":
        users = User.objects.filter(is_active=True).exclude(role=User.Role.FINANCE).order_by("username")
        if actor is not None and not actor.is_admin_role:
            from kehu.accounts.visibility import managed_user_ids

            users = users.filter(pk__in=list(managed_user_ids(actor)))
        return [("", str(_("— default —")))] + [(u.username, f"{u.name or u.username} ({u.username})") for u in users]
    options = f.options() if f.options else []
    return [("", str(_("— default —")))] + [(str(c), str(label)) for c, label in options]


def plan_update(plan: Plan, data, actor=None) -> Plan:
    """The plan with the selects of the preview form applied (`col-N`, `val-FIELD-N` + `word-FIELD-N`)."""
    kind = plan.kind
    valid = {c for c, _l in field_choices(kind)}
    columns = list(plan.columns)
    for i in range(len(columns)):
        chosen = data.get(f"col-{i}")
        if chosen is not None and chosen in valid:
            columns[i] = chosen
    # a field chosen for two headings: the first keeps it, the other is skipped
    seen = set()
    for i, c in enumerate(columns):
        if c not in (SKIP, NOTES):
            if c in seen:
                columns[i] = SKIP
            seen.add(c)
    values = {k: dict(v) for k, v in plan.values.items()}
    fields = {f.name: f for f in FIELDS[kind]}
    words = [key for key in data if key.startswith("word-")][: MAX_VALUES * len(fields)]  # no more than the preview lists
    allowed: dict[str, set[str]] = {}
    for key in words:
        _prefix, name, number = key.split("-", 2) if key.count("-") >= 2 else (None, None, None)
        if name not in fields:
            continue
        word = data.get(key, "")
        code = data.get(f"val-{name}-{number}", "")
        if name not in allowed:
            allowed[name] = {c for c, _l in value_choices(fields[name], actor)}
        if code in allowed[name]:
            if code:
                values.setdefault(name, {})[word] = code
            else:
                values.get(name, {}).pop(word, None)
    return Plan(kind=kind, headings=plan.headings, columns=columns, values=values, remembered=plan.remembered)


def foreign_prepare(path, kind: str | None = None, *, shown: str | None = None, plan: Plan | None = None) -> Prepared:
    """Open a firm's file, take the given plan (or the remembered, or the automatic one for
    `kind`, guessed from the headings when None) and prepare its dataset. Raises DatasetError.
    The upload page, `kehu import FILE --as` and a background import all come through here."""
    from kehu.dataset.foreign import open_sheet

    sheet = open_sheet(path, recognise=recognised, shown=shown)
    if plan is None or plan.headings != sheet.headings:
        plan = plan_for(kind or guess_kind(sheet.headings), sheet.headings)
    return prepare(sheet, plan, label=shown)
