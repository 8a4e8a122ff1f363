"""Every template obeys the Content-Security-Policy (docs/operations.md, "Security headers"):
no inline <script> block, no inline event handler (onclick=, onchange=, hx-on...), no
<style> element, no javascript: URL, and scripts only from our own static files.
Behaviour lives in static/kehu/*.js; data reaches it through data-* attributes or
{{ value|json_script:"id" }}, which is JSON, not script. A browser-free scan of the files."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "kehu").glob("*/templates"))]
TEMPLATES = sorted(p for base in TEMPLATE_DIRS for p in base.rglob("*.html"))
STATIC_JS = sorted((ROOT / "static" / "kehu").rglob("*.js"))


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        names = {name.lower(): value or "" for name, value in attrs}
        for name, value in names.items():
            if name.startswith("on") and name.isalpha():
                self.problems.append(f"line {line}: inline event handler {name}=")
            if name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"line {line}: htmx inline handler {name}")
            if value.strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: javascript: URL in {name}")
        if tag == "script":
            src = names.get("src")
            if src is None and names.get("type", "").lower() != "application/json":
                self.problems.append(f"line {line}: inline <script> block")
            elif src is not None and "{% static" not in src:
                self.problems.append(f"line {line}: script not from our static files: {src}")
        if tag == "style":
            self.problems.append(f"line {line}: inline <style> element (put it in static/kehu/kehu.css)")


def test_there_are_templates_to_scan():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_script_handler_or_style_element(template):
    scan = _Scan()
    scan.feed(template.read_text(encoding="utf-8"))
    scan.close()
    assert scan.problems == []


def test_the_scan_finds_what_it_looks_for():
    scan = _Scan()
    scan.feed('<script>alert(1)</script><button onclick="x()" hx-on::after-request="y()"><a href="javascript:z()">'
              '<style>p{}</style><script src="https://cdn.example.com/x.js"></script>'
              '<script type="application/json" id="d">{}</script><script src="{% static \'kehu/kehu.js\' %}"></script>')
    assert len(scan.problems) == 6, scan.problems


@pytest.mark.parametrize("script", STATIC_JS, ids=lambda p: p.name)
def test_our_scripts_use_no_eval_and_write_no_html_from_data(script):
    text = script.read_text(encoding="utf-8")
    assert "eval(" not in text and "new Function" not in text
    assert "setAttribute(\"on" not in text and "setAttribute('on" not in text


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_still_compiles_after_its_scripts_moved(template):
    from django.template.loader import get_template

    base = next(b for b in TEMPLATE_DIRS if b in template.parents)
    get_template(template.relative_to(base).as_posix())
