"""Every `<input type=date>` carries an ISO value whatever the language (issue 10 item 13): the
browser only takes 2026-12-06; a localized 2026/12/06 or 2026年12月6日 leaves the field empty.
Form fields use `kehu.core.forms.DateInput`; a hand-written input in a template formats its
value with `|date:"Y-m-d"` (a bound filter keeps what was typed: `|default:` the raw value)."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
DATE_INPUT = re.compile(r"<input\b[^>]*\btype=[\"']date[\"'][^>]*>", re.S)
VALUE = re.compile(r"\bvalue=\"(.*?)\"(?=[\s>])", re.S)
ISO = re.compile(r"\|date:[\"']Y-m-d[\"']")


def test_every_hand_written_date_input_formats_its_value_as_iso():
    wrong = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag in DATE_INPUT.findall(path.read_text(encoding="utf-8")):
            value = VALUE.search(tag)
            if value and "{{" in value.group(1) and not ISO.search(value.group(1)):
                wrong.append(f"{path.relative_to(TEMPLATES)}: {value.group(0)}")
    assert wrong == []


@pytest.mark.parametrize("value, shown", [(date(2026, 12, 6), "2026-12-06"), ("2026-12-06", "2026-12-06"), (None, ""), ("", "")])
def test_the_iso_value_pattern_in_chinese(value, shown):
    template = Template("""<input type="date" value="{{ v|date:'Y-m-d'|default:v|default:'' }}">""")
    with translation.override("zh-hans"):
        assert template.render(Context({"v": value})) == f'<input type="date" value="{shown}">'
