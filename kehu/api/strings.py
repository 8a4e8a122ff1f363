"""Text fields that take text only.

DRF's CharField (and EmailField, URLField, SlugField, built on it) turns a number into its text
(`"phone": -1.1` becomes "-1.1"), so a request the schema forbids — it says `string` — is
accepted. The API's text fields refuse anything but a JSON string with DRF's own "Not a valid
string." (translated), and longer than its maxLength before any trimming is too long, as the
schema promises; schemathesis' negative run checks it
(kehu/api/tests/test_apischema_schemathesis.py). `ApiConfig.ready()` maps the model fields onto
these for every ModelSerializer; declared fields use them directly."""

from django.db import models
from rest_framework import serializers


class _TextOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # the schema's maxLength counts the text as sent; DRF counts it after trimming the spaces
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictCharField(_TextOnly, serializers.CharField):
    pass


class StrictEmailField(_TextOnly, serializers.EmailField):
    pass


class StrictURLField(_TextOnly, serializers.URLField):
    pass


class StrictSlugField(_TextOnly, serializers.SlugField):
    pass


MODEL_FIELDS = {
    models.CharField: StrictCharField,
    models.TextField: StrictCharField,
    models.EmailField: StrictEmailField,
    models.URLField: StrictURLField,
    models.SlugField: StrictSlugField,
}


def use_strict_strings() -> None:
    """ModelSerializer builds these for the model's text fields (idempotent)."""
    serializers.ModelSerializer.serializer_field_mapping.update(MODEL_FIELDS)
