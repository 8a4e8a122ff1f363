"""Every user-visible string exists in Simplified Chinese.

The source strings are found the way `makemessages` would find them, without needing system
gettext: Python calls of the gettext family (by AST) and the {% translate %} /
{% blocktranslate %} tags of our templates. Each must have a non-empty, non-fuzzy entry in
locale/zh_Hans/LC_MESSAGES/django.po.
"""

import ast
import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[3]
PO_PATH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy", "_lazy"}
TRANSLATE_TAG = re.compile(r"""{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<s>.*?)(?P=q)(?:\s+context\s+["'](?P<ctx>[^"']*)["'])?[^%]*%}""")
BLOCK_TAG = re.compile(r"{%\s*blocktrans(?:late)?(?P<opts>[^%]*)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}", re.S)
PLURAL_SPLIT = re.compile(r"{%\s*plural\s*%}")
VAR = re.compile(r"{{\s*([\w.]+)\s*}}")


def _python_strings():
    found = set()
    for path in (ROOT / "kehu").rglob("*.py"):
        if "/tests/" in str(path) or "/migrations/" in str(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES:
                args = node.args
                if node.func.id.startswith("pgettext"):
                    args = args[1:]
                if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                    found.add((args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    found |= _settings_strings()
    return found


def _settings_strings():
    found = set()
    for path in (ROOT / "config").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES:
                if node.args and isinstance(node.args[0], ast.Constant):
                    found.add((node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def _template_strings():
    found = set()
    dirs = [ROOT / "templates"] + list((ROOT / "kehu").glob("*/templates"))
    for base in dirs:
        for path in base.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            where = str(path.relative_to(ROOT))
            for m in TRANSLATE_TAG.finditer(text):
                found.add((m.group("s").replace("%", "%%"), where))  # the catalogue writes a literal % as %%
            for m in BLOCK_TAG.finditer(text):
                body = PLURAL_SPLIT.split(m.group("body"))[0]
                if "trimmed" in m.group("opts"):
                    body = " ".join(line.strip() for line in body.strip().splitlines() if line.strip())
                body = VAR.sub(lambda v: f"%({v.group(1)})s", body.replace("%", "%%"))
                found.add((body, where))
    return found


def test_catalogue_has_no_empty_or_fuzzy_translation():
    catalogue = polib.pofile(str(PO_PATH))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == [], f"{len(missing)} untranslated entries, e.g. {missing[:10]}"


@pytest.mark.parametrize("source", ["python", "templates"])
def test_every_source_string_is_translated(source):
    catalogue = polib.pofile(str(PO_PATH))
    translated = {e.msgid for e in catalogue if not e.obsolete and e.translated() and "fuzzy" not in e.flags}
    strings = _python_strings() if source == "python" else _template_strings()
    assert strings, "the scan found no strings at all"
    missing = sorted({(s, where) for s, where in strings if s and s not in translated})
    assert missing == [], f"{len(missing)} strings without a Chinese translation, e.g. {missing[:15]}"


def _context_strings():
    """(context, msgid, where) of every pgettext call and every {% translate "x" context "y" %}."""
    found = set()
    for path in list((ROOT / "kehu").rglob("*.py")) + list((ROOT / "config").rglob("*.py")):
        if "/tests/" in str(path) or "/migrations/" in str(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("pgettext")
                    and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2])):
                found.add((node.args[0].value, node.args[1].value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    for base in [ROOT / "templates"] + list((ROOT / "kehu").glob("*/templates")):
        for path in base.rglob("*.html"):
            for m in TRANSLATE_TAG.finditer(path.read_text(encoding="utf-8")):
                if m.group("ctx"):
                    found.add((m.group("ctx"), m.group("s").replace("%", "%%"), str(path.relative_to(ROOT))))
    return found


def test_every_string_with_a_context_is_translated_in_that_context():
    """A context entry (msgctxt) is its own entry: the plain msgid's Chinese does not stand in for it."""
    catalogue = polib.pofile(str(PO_PATH))
    translated = {(e.msgctxt, e.msgid) for e in catalogue if not e.obsolete and e.translated() and "fuzzy" not in e.flags}
    strings = _context_strings()
    assert strings, "the scan found no context at all"
    missing = sorted({(ctx, s, where) for ctx, s, where in strings if (ctx, s) not in translated})
    assert missing == [], f"{len(missing)} strings without a Chinese translation in their context, e.g. {missing[:15]}"
