"""The customers' search and de-duplication helpers, computed once per value for a bulk import.

`customer_derive_fields` (kehu.customers.services.records) converts a name to pinyin twice,
with pypinyin's full machinery each time: about 0.2 ms a name, the biggest cost of a large
import. `NameDeriver` gives exactly the same values — the same segmentation, the same
converter, the same post-processing as `pinyin_initials` and `pinyin_full` — but converts
each segment (a phrase of pypinyin's dictionary, a character, a run of Latin text) once per
import and both styles in one pass, cuts each run of Chinese characters into phrases once per
import (导入 and 号测试有限公司 of 导入123号测试有限公司 recur; a run of ASCII is its own pinyin), and
keeps the pure normalisations (names, phones) of values it has already seen. The test test_importer_speed pins that the results are those of
`customer_derive_fields` for every character pypinyin knows and for mixed names.
"""

import re
import unicodedata
from itertools import chain

from pypinyin import Style
from pypinyin.constants import PHRASES_DICT, RE_HANS
from pypinyin.converter import UltimateConverter
from pypinyin.seg import mmseg

from kehu.customers.normalize import normalize_name, normalize_phone

# What pypinyin.lazy_pinyin builds for each call with its default arguments.
_CONVERTER = UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False)
_MAX_CACHE = 200_000
# pypinyin's segmentation (pypinyin.seg.simpleseg.seg) cuts a text into runs of characters that
# have a pinyin (RE_HANS, one character at a time) and runs of others; a run of the first kind is
# cut further into phrases (mmseg), one of the second is a segment as it is. The same runs, by one
# regular expression: RE_HANS is "^(?:[…])+$", its class is what a run is made of.
assert RE_HANS.pattern.startswith("^(?:[") and RE_HANS.pattern.endswith("])+$")
_RUNS = re.compile("(" + RE_HANS.pattern[len("^(?:"):-len(")+$")] + "+)", RE_HANS.flags)


class NameDeriver:
    """Per import: name → (normalised, initials, pinyin); phone → normalised."""

    def __init__(self):
        self._words: dict[str, tuple[str, str]] = {}
        self._runs: dict[str, tuple[str, str]] = {}
        self._names: dict[str, str] = {}
        self._phones: dict[str, str] = {}

    def normalized_name(self, name: str) -> str:
        found = self._names.get(name)
        if found is None:
            if len(self._names) > _MAX_CACHE:
                self._names.clear()
            found = self._names[name] = normalize_name(name)
        return found

    def normalized_phone(self, phone: str) -> str:
        found = self._phones.get(phone)
        if found is None:
            if len(self._phones) > _MAX_CACHE:
                self._phones.clear()
            found = self._phones[phone] = normalize_phone(phone)
        return found

    def _word(self, word: str) -> tuple[str, str]:
        """(full pinyin, initials) of one segment, before lower-casing, as the two
        lazy_pinyin calls of kehu.customers.normalize would give its parts."""
        found = self._words.get(word)
        if found is None:
            full = chain(*_CONVERTER.convert(word, Style.NORMAL, False, "default", strict=True))
            first = chain(*_CONVERTER.convert(word, Style.FIRST_LETTER, False, "default", strict=True))
            found = (
                "".join(full),
                "".join(p[0] if len(p) == 1 or not p.isascii() else p for p in first),
            )
            if len(self._words) > _MAX_CACHE:
                self._words.clear()
            self._words[word] = found
        return found

    def _run(self, run: str) -> tuple[str, str]:
        """(full pinyin, initials) of a run of characters that have a pinyin: its phrases'."""
        found = self._runs.get(run)
        if found is None:
            words = [self._word(w) for w in (mmseg.seg.cut(run) if PHRASES_DICT else [run])]
            found = ("".join(f for f, _i in words), "".join(i for _f, i in words))
            if len(self._runs) > _MAX_CACHE:
                self._runs.clear()
            self._runs[run] = found
        return found

    def pinyin(self, name: str) -> tuple[str, str]:
        """(initials, full pinyin) = (pinyin_initials(name), pinyin_full(name)): pypinyin's
        segments converted one by one, each run of Chinese characters (名 in 名123号) once per
        import."""
        text = unicodedata.normalize("NFKC", name or "")
        full, first = [], []
        # split: other characters at even places, runs with a pinyin at odd ones ("" skipped).
        for i, part in enumerate(_RUNS.split(text)):
            if not part:
                continue
            if i % 2:
                f, initials = self._run(part)
            elif part.isascii():
                f = initials = part  # what _word gives such a run (pypinyin keeps it as it is)
            else:
                f, initials = self._word(part)
            full.append(f)
            first.append(initials)
        return "".join(first).lower().replace(" ", ""), "".join(full).lower().replace(" ", "")

    def customer_fields(self, name: str, phone: str) -> dict:
        """The fields customer_derive_fields sets, for a customer of this name and phone."""
        name = (name or "").strip()
        initials, full = self.pinyin(name)
        return {
            "name": name,
            "name_normalized": self.normalized_name(name),
            "name_initials": initials,
            "name_pinyin": full[:800],
            "phone_normalized": self.normalized_phone(phone or ""),
        }
