"""The region and industry lists (item 21): official names from the dataset, what people type
normalised to them."""

import pytest
from django.utils import translation

from kehu.customers import industries, regions


def test_every_province_of_the_dataset_is_listed_with_its_cities():
    names = [p.name for p in regions.provinces()]
    assert len(names) == 34 and "浙江省" in names and "新疆维吾尔自治区" in names
    assert "杭州市" in regions.city_choices()["浙江省"]
    assert regions.city_choices()["北京市"] == ["北京市"]
    assert "仙桃市" in regions.city_choices()["湖北省"]  # governed by the province directly
    assert not any("直辖县级" in c for cities in regions.city_choices().values() for c in cities)


@pytest.mark.parametrize("typed, official", [
    ("浙江", "浙江省"), ("浙江省", "浙江省"), ("内蒙古", "内蒙古自治区"), ("广西", "广西壮族自治区"),
    ("北京", "北京市"), ("黑龙江", "黑龙江省"), (" 上海 ", "上海市"), ("火星", None), ("", None),
])
def test_a_typed_province_is_normalised(typed, official):
    assert regions.normalize_province(typed) == official


@pytest.mark.parametrize("province, typed, official", [
    ("浙江", "杭州", "杭州市"), ("广东省", "深圳市", "深圳市"), ("北京", "北京", "北京市"),
    ("浙江", "深圳", None), ("火星", "杭州", None),
])
def test_a_typed_city_is_normalised_within_its_province(province, typed, official):
    assert regions.normalize_city(province, typed) == official


@pytest.mark.parametrize("typed, section", [
    ("建筑", "建筑业"), ("建筑业", "建筑业"), ("E", "建筑业"), ("construction", "建筑业"),
    ("零售", "批发和零售业"), ("制造", "制造业"), ("医疗", "卫生和社会工作"), ("通信", "信息传输、软件和信息技术服务业"),
    ("月球采矿", None), ("", None),
])
def test_a_typed_industry_is_normalised_to_a_gbt4754_section(typed, section):
    assert industries.normalize_industry(typed) == section


def test_an_industry_reads_in_the_readers_language():
    with translation.override("en"):
        assert industries.industry_label("建筑业") == "Construction"
        assert industries.industry_label("自定义") == "自定义"
    with translation.override("zh-hans"):
        assert industries.industry_label("建筑业") == "建筑业"
    assert len(industries.industry_choices()) == 20
