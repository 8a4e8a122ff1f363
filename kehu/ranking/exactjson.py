"""The exact JSON of kehu.core.exactjson under the path the ranking migrations (0002, 0003) name
for their JSONField encoder and decoder."""

from kehu.core.exactjson import ExactDecoder, ExactEncoder, dumps  # noqa: F401
