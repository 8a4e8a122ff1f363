"""The Chinese catalogue itself: one entry per (context, message), so a word never has two
translations that depend on which entry the compiler happened to keep."""

import collections
from pathlib import Path

import polib

PO_PATH = Path(__file__).resolve().parents[3] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_the_catalogue_has_no_duplicate_entries():
    counts = collections.Counter((e.msgctxt, e.msgid) for e in polib.pofile(str(PO_PATH)))
    assert [key for key, n in counts.items() if n > 1] == []
