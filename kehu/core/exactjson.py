"""JSON that keeps exact decimals: indicator values are written as JSON numbers straight from
their Decimal (simplejson's use_decimal) and read back as Decimals, never through a float."""

import json
from decimal import Decimal

import simplejson


class ExactEncoder(simplejson.JSONEncoder):
    """A Decimal becomes the JSON number with exactly its digits (use_decimal is on by default)."""


class ExactDecoder(json.JSONDecoder):
    """A JSON number with a fraction or exponent becomes a Decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


def dumps(document, *, indent=None) -> str:
    """JSON with every Decimal written as an exact number, never through a float (the `--json`
    output of `kehu evaluate`, `kehu compare`, `kehu forecast accuracy`, `kehu anomalies`)."""
    return ExactEncoder(ensure_ascii=False, indent=indent).encode(document)
