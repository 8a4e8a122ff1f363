"""The customers' search and de-duplication helpers, computed once per value for a bulk import.

`customer_derive_fields` (kehu.customers.services.records) converts a name to pinyin twice,
with pypinyin's full machinery each time: about 0.2 ms a name, the biggest cost of a large
import. `NameDeriver` gives exactly the same values — the same segmentation, the same
converter, the same post-processing as `pinyin_initials` and `pinyin_full` — but converts
each segment (a phrase of pypinyin's dictionary, a character, a run of Latin text) once per
import and both styles in one pass, and keeps the pure normalisations (names, phones) of
values it has already seen. The test test_importer_speed pins that the results are those of
`customer_derive_fields` for every character pypinyin knows and for mixed names.
"""

import unicodedata
from itertools import chain

from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

from kehu.customers.normalize import normalize_name, normalize_phone

# What pypinyin.lazy_pinyin builds for each call with its default arguments.
_CONVERTER = UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False)
_PINYIN = Pinyin(_CONVERTER)
_MAX_CACHE = 200_000


class NameDeriver:
    """Per import: name → (normalised, initials, pinyin); phone → normalised."""

    def __init__(self):
        self._words: dict[str, tuple[str, str]] = {}
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

    def pinyin(self, name: str) -> tuple[str, str]:
        """(initials, full pinyin) = (pinyin_initials(name), pinyin_full(name))."""
        text = unicodedata.normalize("NFKC", name or "")
        full, first = [], []
        for word in _PINYIN.seg(text):
            f, i = self._word(word)
            full.append(f)
            first.append(i)
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
