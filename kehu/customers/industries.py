"""Industries: the 20 sections (门类) of GB/T 4754-2017, 国民经济行业分类.

A customer's industry is stored by the section's Chinese name, as the standard writes it
("建筑业"), and shown in the reader's language. What people type is normalised to a section:
its letter, its Chinese or English name, a name it contains ("建筑" → 建筑业, "零售" →
批发和零售业) or a common word for it (ALIASES). A value that names no section is kept as
typed (and an import reports it), so no data is lost.
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# (letter, Chinese name as in GB/T 4754-2017, English name)
SECTIONS = [
    ("A", "农、林、牧、渔业", _("Agriculture, forestry, animal husbandry and fishery")),
    ("B", "采矿业", _("Mining")),
    ("C", "制造业", _("Manufacturing")),
    ("D", "电力、热力、燃气及水生产和供应业", _("Electricity, heat, gas and water production and supply")),
    ("E", "建筑业", _("Construction")),
    ("F", "批发和零售业", _("Wholesale and retail trade")),
    ("G", "交通运输、仓储和邮政业", _("Transport, storage and postal services")),
    ("H", "住宿和餐饮业", _("Accommodation and catering")),
    ("I", "信息传输、软件和信息技术服务业", _("Information transmission, software and IT services")),
    ("J", "金融业", pgettext_lazy("industry", "Finance")),
    ("K", "房地产业", _("Real estate")),
    ("L", "租赁和商务服务业", _("Leasing and business services")),
    ("M", "科学研究和技术服务业", _("Scientific research and technical services")),
    ("N", "水利、环境和公共设施管理业", _("Water conservancy, environment and public facilities management")),
    ("O", "居民服务、修理和其他服务业", _("Resident services, repair and other services")),
    ("P", "教育", _("Education")),
    ("Q", "卫生和社会工作", _("Health and social work")),
    ("R", "文化、体育和娱乐业", _("Culture, sports and entertainment")),
    ("S", "公共管理、社会保障和社会组织", _("Public administration, social security and social organisations")),
    ("T", "国际组织", _("International organisations")),
]

# Common words that name a section without being part of its name.
ALIASES = {
    "医疗": "Q", "医院": "Q", "卫生": "Q", "养老": "Q",
    "通信": "I", "电信": "I", "互联网": "I", "软件": "I", "IT": "I",
    "物流": "G", "运输": "G", "仓储": "G", "快递": "G",
    "银行": "J", "保险": "J", "证券": "J",
    "餐饮": "H", "酒店": "H",
    "地产": "K", "房产": "K",
    "农业": "A", "渔业": "A", "林业": "A", "畜牧": "A",
    "能源": "D", "电力": "D", "燃气": "D", "供水": "D",
    "矿业": "B", "煤炭": "B",
    "商贸": "F", "贸易": "F", "批发": "F", "零售": "F", "电商": "F",
    "工业": "C", "制造": "C", "加工": "C",
    "学校": "P", "培训": "P",
    "咨询": "L", "广告": "L", "租赁": "L",
    "科研": "M", "设计": "M", "检测": "M",
    "政府": "S", "机关": "S",
    "文化": "R", "传媒": "R", "体育": "R", "娱乐": "R",
    "环保": "N", "环境": "N", "水利": "N",
    "家政": "O", "维修": "O",
}

BY_LETTER = {letter: (letter, zh, en) for letter, zh, en in SECTIONS}
BY_NAME = {zh: (letter, zh, en) for letter, zh, en in SECTIONS}


def normalize_industry(text: str) -> str | None:
    """The section name (Chinese, as stored) that `text` names, or None."""
    text = (text or "").strip()
    if not text:
        return None
    if text in BY_NAME:
        return text
    if text.upper() in BY_LETTER:
        return BY_LETTER[text.upper()][1]
    with translation.override("en"):
        for _letter, zh, en in SECTIONS:
            if str(en).lower() == text.lower():
                return zh
    if text in ALIASES:
        return BY_LETTER[ALIASES[text]][1]
    found = [zh for _letter, zh, _en in SECTIONS if text in zh.replace("、", "")]
    if len(found) == 1:
        return found[0]
    return None


def industry_label(value: str) -> str:
    """A stored industry as the reader reads it: the section's name in their language (a value
    that is no section is shown as it is)."""
    section = BY_NAME.get(value or "")
    if section is None:
        return value or ""
    return section[1] if (translation.get_language() or "").startswith("zh") else str(section[2])


def industry_choices() -> list[tuple[str, str]]:
    """(stored value, label in the reader's language) for a select."""
    return [(zh, f"{letter} · {industry_label(zh)}") for letter, zh, _en in SECTIONS]
