"""Migration operations Django's own do not cover.

SQLite cannot alter a column in place, so Django's AlterField there copies the whole table into a
new one ("remake"), and dropping the old table drops every trigger on it: the search index's
(customers 0016/0020, sales 0018) and the lead-source summaries' (reports 0001). A field that only
gains `db_index=True` needs nothing of that: `AlterFieldIndex` records the AlterField in the
migration state and, in the database, only creates (or, backwards, drops) the index, with the name
Django would give it, on both databases."""

from __future__ import annotations

from django.db import migrations
from django.db.models import Index


class AlterFieldIndex(migrations.AlterField):
    """AlterField to a field that differs from the old one only by `db_index=True`."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            field = model._meta.get_field(self.name)
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            field = model._meta.get_field(self.name)
            names = schema_editor._constraint_names(model, [field.column], index=True, type_=Index.suffix)
            for name in names:
                schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def describe(self):
        return f"Index {self.name} on {self.model_name} (no table copy)"
