"""Normalised forms used for search and de-duplication."""

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

# Legal-form words dropped when comparing company names: 华为技术有限公司 ~ 华为技术.
_LEGAL_SUFFIXES = [
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "分公司", "公司",
    "co., ltd.", "co.,ltd.", "co. ltd", "co ltd", "company limited", "limited", "ltd", "inc", "llc", "corp",
]
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    text = text.replace("（", "(").replace("）", ")")
    text = re.sub(r"\(.*?\)", "", text)  # 华为技术(深圳) ~ 华为技术
    for suffix in _LEGAL_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return _PUNCT.sub("", text)


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def pinyin_initials(name: str) -> str:
    """华为技术 -> hwjs; Latin letters and digits are kept as they are."""
    parts = lazy_pinyin(unicodedata.normalize("NFKC", name or ""), style=Style.FIRST_LETTER, errors="default")
    return "".join(p[0] if len(p) == 1 or not p.isascii() else p for p in parts).lower().replace(" ", "")


def pinyin_full(name: str) -> str:
    return "".join(lazy_pinyin(unicodedata.normalize("NFKC", name or ""))).lower().replace(" ", "")
