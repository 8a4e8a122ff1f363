"""The machinery every file importer shares.

An import reads each file of the dataset in DATASET_FILES order, three times at most and
in chunks, so that 100,000 rows never sit in memory together:

1. `scan`: one quick pass that indexes the file's keys (duplicate codes, the first line
   of each USCC …), so later rows can be checked against earlier and later ones;
2. `check`: parse every row, look the chunk's keys up in the database (one query per
   chunk), report bad rows and decide whether each good row creates, updates or leaves
   a record unchanged. A dry run stops here and writes nothing;
3. `write`: parse the good rows again and write them in batches (bulk_create, and
   `update_rows`: one executemany per 1,000 changed rows).

customers.csv, the largest file, skips the third read: its check keeps the parsed values of
the rows to write (`CustomerImporter.prepared`) and its write inserts them without building
model instances (`insert_values`; COPY on PostgreSQL). The search index over customers and
contacts (kehu.customers.search) follows every insert: PostgreSQL's expression indexes by
themselves; on SQLite the customers and contacts importers write it for each batch of new rows
with set-based statements (kehu.customers.search_bulk: the per-row INSERT triggers are dropped and
re-created inside the import's transaction), twenty times cheaper than the triggers. Lookups of a
chunk's keys pass them as one parameter (`among`).

The checks of step 2 decide which rows are good; step 3 never re-judges them. Later
issues add a file by writing one `Importer` subclass and registering it (see
`kehu.dataset.importers`).
"""

import functools
import gc
import json
from contextlib import nullcontext
from itertools import chain, repeat
from operator import itemgetter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from django.db import reset_queries
from django.utils.translation import gettext as _

from kehu.core.text import TextError, visible_text
from kehu.core.text import clean_text as clean_chars
from kehu.customers import search_bulk
from kehu.dataset.files import Table, TableError
from kehu.dataset.values import CellError, clean_text
from kehu.reports import source_cells

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
CHUNK = 2000
# Keep IN (...) lists well under SQLite's variable limit.
LOOKUP_CHUNK = 900
# Values per lookup given as one parameter (`among`): a chunk of the check pass, a batch of the write.
LOOKUP = 10_000


def gc_paused(method):
    """Run the method with Python's cyclic garbage collector paused (and resumed after, whatever
    happens), unless something else paused it. An import builds millions of small acyclic objects
    (cells, dicts, tuples) while holding the parsed rows of the whole file: every few thousand new
    objects the collector would walk all of them again, ~15 % of the CPU of a 100,000-row import
    (issue 13, fourth pass). Nothing an import builds needs the collector: reference counting frees it."""

    @functools.wraps(method)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()

    return paused


@dataclass
class Issue:
    file: str
    line: int | None
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "reason": str(self.reason)}


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notices: list[Issue] = field(default_factory=list)
    # When bad rows stopped an import: what it would have created and updated.
    would_create: dict[str, int] = field(default_factory=dict)
    would_update: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    skip_bad: bool = False
    written: bool = False

    def as_json(self) -> dict:
        return {
            "created": dict(self.created),
            "updated": dict(self.updated),
            "errors": [i.as_dict() for i in self.errors],
            "warnings": [i.as_dict() for i in self.warnings],
            "notices": [i.as_dict() for i in self.notices],
        }

    @property
    def total_changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    @property
    def bad_row_count(self) -> int:
        return len({(i.file, i.line) for i in self.errors})


class ImportContext:
    """What the importers of one run share: who imports, when, and the keys each file brings."""

    def __init__(self, *, actor, now: datetime, report: ImportReport, progress=None):
        self.actor = actor
        # progress(file, phase, done, total): phase "check" or "write", counted in rows.
        self.progress = progress or (lambda file, phase, done, total: None)
        self.now = now
        self.report = report
        # Keys of the good rows of each file already checked: {"customers.csv": {"C00001", …}}.
        self.planned: dict[str, set] = {}
        self.bad_lines: dict[str, set[int]] = {}
        # Roles users.csv gives (good rows), for the files after it.
        self.user_roles: dict[str, str] = {}
        self._users: dict[str, dict] | None = None
        self._managed_ids: set[int] | None = None
        # Customers whose orders or order lines were written: their revenue summary is
        # refreshed once, at the end of the import (kehu.sales.summaries).
        self.revenue_customers: set[int] = set()

    # --- who may import what -------------------------------------------------------
    @property
    def is_admin(self) -> bool:
        """No actor is the system (the `kehu import` command run without --user) and imports as an admin."""
        return self.actor is None or self.actor.is_admin_role

    @property
    def managed_ids(self) -> set[int]:
        from kehu.accounts.visibility import managed_user_ids

        if self._managed_ids is None:
            self._managed_ids = set(managed_user_ids(self.actor)) if self.actor is not None else set()
        return self._managed_ids

    def may_manage_owner(self, owner_id: int | None) -> bool:
        """Whether the actor may import customers owned by `owner_id` (None = the pool)."""
        return self.is_admin or owner_id is None or owner_id in self.managed_ids

    # --- users by username, reloaded after users.csv is written --------------------
    def users(self) -> dict[str, dict]:
        if self._users is None:
            from kehu.accounts.models import User

            self._users = {
                u["username"]: u for u in User.objects.values("id", "username", "role", "is_active", "is_superuser")
            }
        return self._users

    def forget_users(self) -> None:
        self._users = None


class Row:
    """One data row: its line, its cells by column, and the problems found in it."""

    def __init__(self, importer: "Importer", line: int, values: dict[str, str]):
        self.importer = importer
        self.line = line
        self.values = values
        self.bad = False
        self.action: str | None = None
        # (column, reason) of cells the text rule refuses; reported by the check pass.
        self.cell_problems: list[tuple[str, str]] = []

    def has(self, column: str) -> bool:
        return column in self.importer.header_set

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def error(self, column: str, reason: str) -> None:
        self.bad = True
        self.importer.add_error(self.line, column, reason)

    def warning(self, column: str, reason: str) -> None:
        self.importer.add_warning(self.line, column, reason)

    def parse(self, column: str, parser, *args, **kwargs):
        """The parsed value of `column`, None when empty or bad (the error is recorded)."""
        text = self.get(column)
        if not text:
            return None
        try:
            return parser(text, *args, **kwargs)
        except CellError as exc:
            self.error(column, exc.reason)
            return None


class Importer:
    """One file of the dataset. Subclasses set `file`, `columns`, `required` and implement
    `check` and `write`; `scan`, `finish_check` and `finish_write` are optional."""

    file: str = ""
    columns: list[str] = []
    required: list[str] = []
    # Keep the rows the scan pass read for the check pass instead of reading the file again (the
    # largest files: customers, contacts; at most KEHU_IMPORT_MAX_ROWS rows, held anyway as
    # `prepared` values).
    keep_rows: bool = False

    def __init__(self, ctx: ImportContext, table: Table):
        self.ctx = ctx
        self.table = table
        self.header: list[str] = []
        self.header_set: set[str] = set()
        self.readable = True
        self.writing = False
        self.actions: dict[int, str] = {}
        self._planned_lines: dict = {}

    # --- reporting -----------------------------------------------------------------
    def add_error(self, line: int | None, column: str, reason: str) -> None:
        if self.writing:
            # Rows reach the write pass only when the check pass found them good, and
            # parsing is deterministic: an error here is a bug, and the import rolls back.
            raise RuntimeError(f"{self.file} line {line}, column {column}: {reason} (found only while writing)")
        self.ctx.report.errors.append(Issue(self.file, line, column, reason))
        if line is not None:
            self.ctx.bad_lines.setdefault(self.file, set()).add(line)

    def add_warning(self, line: int | None, column: str, reason: str) -> None:
        if not self.writing:
            self.ctx.report.warnings.append(Issue(self.file, line, column, reason))

    def add_notice(self, line: int | None, column: str, reason: str) -> None:
        if not self.writing:
            self.ctx.report.notices.append(Issue(self.file, line, column, reason))

    def is_bad(self, line: int) -> bool:
        return line in self.ctx.bad_lines.get(self.file, ())

    # --- hooks ---------------------------------------------------------------------
    def refusal(self) -> str | None:
        """A reason why the actor may not import this file at all (None: they may)."""
        return None

    def scan(self, row: Row) -> None:
        """First pass: index the file's keys."""

    def check(self, rows: list[Row]) -> None:
        """Parse and validate a chunk; set `row.action` for each good row."""
        raise NotImplementedError

    def finish_check(self) -> None:
        """After every chunk was checked: cross-row rules that need the whole file."""

    def planned_key(self, row: Row):
        """The key later files use to refer to this row (None: not referable)."""
        return None

    def write(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def finish_write(self) -> None:
        pass

    # --- the passes ----------------------------------------------------------------
    def _rows(self) -> Iterator[Row]:
        """The data rows (blank ones skipped); the header is read on the way. Every cell goes
        through the text rule of kehu.core.text: zero-width characters are dropped, and a cell
        with a direction or control character (NUL …) makes the row bad in the check pass."""
        columns = None
        keep: list[tuple[int, str]] = []
        width = 0
        for line, cells in self.table.rows():
            problems: list[tuple[int, str]] = []
            if not "".join(cells).isprintable():
                cells = [_clean_cell(i, c, problems) for i, c in enumerate(cells)]
            cells = [c.strip() for c in cells]  # clean_text, whose formula rule is rarely needed:
            if any(c[:1] == "'" for c in cells):
                cells = [clean_text(c) for c in cells]
            if columns is None:
                columns = [c.lower() for c in cells]
                keep = [(i, name) for i, name in enumerate(columns) if name in self.header_set]
                width = len(columns)
                continue
            if not any(cells):
                continue
            if len(cells) <= width:
                count = len(cells)
                values = {name: cells[i] for i, name in keep if i < count}
            else:
                values = {name: cells[i] for i, name in keep}
                for i in range(width, len(cells)):
                    if cells[i]:
                        values[f"#{i + 1}"] = cells[i]
            row = Row(self, line, values)
            if problems:
                row.cell_problems = [(columns[i], reason) for i, reason in problems if i < len(columns) and columns[i] in self.header_set]
            yield row

    def _chunks(self, rows: Iterable[Row], size: int = CHUNK) -> Iterator[list[Row]]:
        chunk: list[Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def read_header(self) -> bool:
        try:
            first = next(iter(self.table.rows()), None)
        except TableError as exc:
            self.add_error(exc.line, "", exc.reason)
            return False
        if first is None:
            self.add_notice(None, "", _("The file is empty."))
            return False
        names = [clean_text(visible_text(c)).lower() for c in first[1]]
        self.header = names
        seen = set()
        for name in names:
            if not name:
                continue
            if name in seen:
                self.add_error(1, name, _("This column appears twice in the header."))
                return False
            seen.add(name)
            if name not in self.columns:
                self.add_notice(1, name, _("This column is not part of the Kehu format and was ignored."))
        missing = [c for c in self.required if c not in seen]
        for column in missing:
            self.add_error(1, column, _("This required column is missing."))
        self.header_set = {n for n in names if n in self.columns}
        return not missing

    def _rows_checked(self, rows: list[Row] | None = None) -> Iterator[Row]:
        """Rows with the generic checks done: no cells past the header, required values present.
        `rows`: the rows the scan already read (`keep_rows`), else the file is read again."""
        for row in (self._rows() if rows is None else rows):
            for column, reason in row.cell_problems:
                row.error(column, reason)
            extra = [k for k in row.values if k.startswith("#")]
            if extra:
                row.error("", _("This row has more cells than the header (%(count)d); check for an unquoted comma.") % {"count": len(self.header)})
            for k in extra:
                row.values.pop(k)
            for column in self.required:
                if not row.get(column):
                    row.error(column, _("A value is required."))
            yield row

    @gc_paused
    def run_check(self) -> None:
        first_error = len(self.ctx.report.errors)
        try:
            self._run_check()
        finally:
            # The file's bad rows in line order (file-level problems first), whatever pass found them.
            errors = self.ctx.report.errors
            errors[first_error:] = sorted(errors[first_error:], key=lambda i: i.line or 0)

    def _run_check(self) -> None:
        self.ctx.report.created[self.file] = 0
        self.ctx.report.updated[self.file] = 0
        self.ctx.report.unchanged[self.file] = 0
        refusal = self.refusal()
        if refusal:
            self.add_error(None, "", refusal)
            self.readable = False
            self.ctx.planned[self.file] = set()
            return
        if not self.read_header():
            self.readable = False
            self.ctx.planned[self.file] = set()
            return
        try:
            total = 0
            kept: list[Row] | None = [] if self.keep_rows else None
            for row in self._rows():
                self.scan(row)
                total += 1
                if kept is not None:
                    kept.append(row)
            done = 0
            self.ctx.progress(self.file, "check", 0, total)
            for chunk in self._chunks(self._rows_checked(kept)):
                self.check(chunk)
                reset_queries()
                done += len(chunk)
                self.ctx.progress(self.file, "check", done, total)
                for row in chunk:
                    if not row.bad and not self.is_bad(row.line):
                        self.actions[row.line] = row.action or UNCHANGED
                        key = self.planned_key(row)
                        if key is not None:
                            self._planned_lines.setdefault(key, row.line)
            self.finish_check()
        except TableError as exc:
            self.add_error(exc.line, "", exc.reason)
            self.readable = False
        bad = self.ctx.bad_lines.get(self.file, set())
        if not self.readable:
            self.actions = {}
        self.ctx.planned[self.file] = {k for k, line in self._planned_lines.items() if line not in bad} if self.readable else set()
        for line, action in self.actions.items():
            if line in bad:
                continue
            target = {CREATE: self.ctx.report.created, UPDATE: self.ctx.report.updated}.get(action, self.ctx.report.unchanged)
            target[self.file] += 1

    @gc_paused
    def run_write(self) -> None:
        if not self.readable:
            return
        self.writing = True
        bad = self.ctx.bad_lines.get(self.file, set())
        total = sum(1 for line, action in self.actions.items() if line not in bad and action != UNCHANGED)
        self.ctx.progress(self.file, "write", 0, total)
        done = 0
        good = (row for row in self._rows() if row.line not in bad and self.actions.get(row.line) not in (None, UNCHANGED))
        for chunk in self._chunks(good):
            self.write(chunk)
            reset_queries()  # with DEBUG on, Django would keep every statement of the import
            done += len(chunk)
            self.ctx.progress(self.file, "write", done, total)
        self.finish_write()


def _clean_cell(index: int, text: str, problems: list[tuple[int, str]]) -> str:
    """A cell under the text rule; a refused one is noted in `problems` and kept without the
    offending characters, so the row's other checks see what the user sees."""
    try:
        return clean_chars(text)
    except TextError as exc:
        problems.append((index, exc.message))
        return visible_text(text)


def plain(value):
    """A value as the JSON of an audit event's changes."""
    if type(value) is str or value is None:
        return value
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    return value


def chunked(values: Iterable, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    batch = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def among(model, column: str, values: Iterable) -> "RawSQL":
    """A condition for `model.objects.filter(…)`: `column` is one of `values`, given as ONE
    parameter however many they are (a JSON array read by json_each on SQLite, an array unnested
    on PostgreSQL), so that a lookup of a check chunk is one short statement — `column__in=[…]`
    compiles a parameter per value, 900 at most on SQLite. The column keeps its index."""
    from django.db import connections, router
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    connection = connections[router.db_for_read(model)]
    qn = connection.ops.quote_name
    field = model._meta.get_field(column)
    ref = f"{qn(model._meta.db_table)}.{qn(field.column)}"
    values = list(values)
    if connection.vendor == "postgresql":
        kind = field.target_field.get_internal_type() if field.is_relation else field.get_internal_type()
        array = "bigint[]" if kind in _INTEGER_TYPES else "text[]"
        # IN (SELECT unnest(…)): a nested loop over the column's B-tree. `= ANY(array)` of
        # thousands of values is planned as a bitmap scan of the trigram index (20 s, not 30 ms).
        return RawSQL(f"{ref} IN (SELECT unnest(%s::{array}))", [values], output_field=BooleanField())
    return RawSQL(f"{ref} IN (SELECT value FROM json_each(%s))", [json.dumps(values)], output_field=BooleanField())


def update_rows(model, objs, fields: list[str]) -> None:
    """UPDATE `fields` of each object by primary key, as one executemany per 1,000 rows.

    The same result as `bulk_update` without its CASE WHEN expressions, which cost about a
    millisecond a row to build — minutes for a 100,000-row import.
    """
    objs = list(objs)
    if not objs or not fields:
        return
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(meta.db_table), ", ".join(f"{qn(f.column)} = %s" for f in columns), qn(meta.pk.column),
    )
    with connection.cursor() as cursor:
        for batch in chunked(objs, 1000):
            cursor.executemany(sql, [[f.get_db_prep_save(getattr(o, f.attname), connection) for f in columns] + [o.pk] for o in batch])


def insert_rows(model, objs) -> None:
    """INSERT the objects in batches (primary keys are not set on them): one executemany per
    1,000 rows, or COPY on PostgreSQL.

    Django's bulk_create builds SQL of at most 999 parameters on SQLite — 24 customers a
    statement — and spends most of a large import compiling them. A value already set on
    an `auto_now_add` field (an imported `created_at`) is kept; others get the time now.
    """
    objs = list(objs)
    if not objs:
        return
    writer = _RowWriter(model)
    writer.write([writer.from_object(o) for o in objs])


def insert_values(model, rows: list[dict]) -> None:
    """INSERT rows given as {attname: value} dicts, without building model instances: a
    field left out gets its default (an `auto_now`/`auto_now_add` field the time now), as
    `insert_rows` would give it. One executemany per 1,000 rows, or COPY on PostgreSQL."""
    if not rows:
        return
    writer = _RowWriter(model)
    writer.write(writer.from_dicts(rows))


_MEMO_TYPES = {datetime, date, Decimal, int, bool}
_NOTHING = object()
_INTEGER_TYPES = {
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField", "AutoField", "BigAutoField", "SmallAutoField",
}


def _as_is_types(field, text: bool, connection) -> frozenset:
    """The types whose values get_db_prep_save returns unchanged for `field`: None always, str on a
    text field (as from_dict assumes), int on an integer field or a foreign key to one and bool on
    a boolean field when the backend gives such a value back as it is (SQLite; PostgreSQL wraps
    integers in typed ones: Int8 …, so they go through the field there)."""
    kinds = {type(None)}
    if text:
        kinds.add(str)
    internal = field.get_internal_type()
    if internal == "ForeignKey":
        internal = field.target_field.get_internal_type()
    for kind, probe in ((int, 12345), (bool, True)):
        if kind is int and internal not in _INTEGER_TYPES or kind is bool and internal != "BooleanField":
            continue
        prepared = field.get_db_prep_save(probe, connection)
        if type(prepared) is kind and prepared == probe:
            kinds.add(kind)
    return frozenset(kinds)


# Parameters per INSERT on SQLite (the sqlite3 module's limit here is 250,000; SQLite's default
# since 3.32 is 32,766).
_SQLITE_PARAMS = 30_000


def _sqlite_params(connection) -> int:
    """Parameters a statement may take: _SQLITE_PARAMS, or this SQLite's own limit if lower (999
    before SQLite 3.32)."""
    import sqlite3

    try:
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, sqlite3.Error):  # Python < 3.11
        limit = 999
    return min(_SQLITE_PARAMS, limit)


class _RowWriter:
    """How each concrete field of a model turns into a database value, worked out once per
    batch: text on a text field is passed as it is (what get_db_prep_save would return), a
    time, amount or choice is converted once per distinct value, anything else goes through
    the field."""

    def __init__(self, model):
        from django.db import connections, router
        from django.db.models import CharField, JSONField, TextField
        from django.utils import timezone

        self.model = model
        self.connection = connections[router.db_for_write(model)]
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
        self.now = timezone.now()
        self.today = date.today()  # what DateField.pre_save gives
        self.memo: dict = {}
        # Per field: (field, attname, is text, auto_now, auto_now_add).
        self.plan = []
        defaults = []
        self.per_row_defaults: list[int] = []  # fields whose default is a callable (dict, now …)
        self.index: dict[str, tuple[int, object, bool, bool, bool]] = {}
        for i, f in enumerate(self.fields):
            auto_add = bool(getattr(f, "auto_now_add", False))
            auto = bool(getattr(f, "auto_now", False)) or auto_add
            text = isinstance(f, (CharField, TextField)) and not isinstance(f, JSONField)
            self.plan.append((f, f.attname, text, auto, auto_add))
            self.index[f.attname] = (i, f, text, auto, auto_add)
            if auto:
                defaults.append(self._value(f, False, self._auto(f)))
            elif f.has_default() and callable(f.default):
                defaults.append(None)
                self.per_row_defaults.append(i)
            else:
                defaults.append(self._prep(f, f.get_default()))
        self.defaults = defaults

    def _auto(self, field):
        return self.today if field.get_internal_type() == "DateField" else self.now

    def _prep(self, field, value):
        return field.get_db_prep_save(value, self.connection)

    def _value(self, field, text, value, i=-1):
        if value is None or text and type(value) is str:
            return value
        kind = type(value)
        if kind in _MEMO_TYPES or isinstance(value, Enum):
            # The same time, amount or choice recurs on most rows: convert it once.
            key = (i if i >= 0 else field.attname, kind, value)
            found = self.memo.get(key, _NOTHING)
            if found is _NOTHING:
                found = self.memo[key] = field.get_db_prep_save(value, self.connection)
            return found
        return field.get_db_prep_save(value, self.connection)

    def from_object(self, obj) -> tuple:
        out = []
        for i, (f, attname, text, auto, auto_add) in enumerate(self.plan):
            current = getattr(obj, attname)
            if auto and not (auto_add and current is not None):
                current = self._auto(f)
                setattr(obj, attname, current)
            out.append(self._value(f, text, current, i))
        return tuple(out)

    def from_dict(self, row: dict) -> tuple:
        out = self.defaults.copy()
        given = set()
        index, value_of = self.index, self._value
        for attname, value in row.items():
            i, f, text, auto, auto_add = index[attname]
            if auto and (not auto_add or value is None):
                continue  # auto_now: always the time now; auto_now_add: unless a time is given
            out[i] = value_of(f, text, value, i)
            given.add(i)
        for i in self.per_row_defaults:
            if i not in given:
                f = self.fields[i]
                out[i] = self._prep(f, f.get_default())
        return tuple(out)

    def _dict_plan(self, keys: tuple):
        """How rows with these keys (in this order) become tuples: a template of the defaults, the
        steps (place, key, types passed as they are, field, text, auto_now_add) of the given
        values, the places whose callable default is computed per row."""
        template = list(self.defaults)
        steps = []
        given = set()
        for attname in keys:
            i, f, text, auto, auto_add = self.index[attname]
            if auto and not auto_add:
                continue  # auto_now: always the time now
            steps.append((i, attname, _as_is_types(f, text, self.connection), f, text, auto_add))
            given.add(i)
        per_row = [(i, self.fields[i]) for i in self.per_row_defaults if i not in given]
        return template, steps, per_row

    def from_dicts(self, rows: list[dict]) -> list[tuple]:
        """[from_dict(row) for row in rows], with the work that depends on a row's keys only done
        once per set of keys."""
        if len(rows) > 1:
            keys = tuple(rows[0])
            if all(tuple(row) == keys for row in rows):
                return self._from_uniform(rows, keys)
        plans: dict[tuple, tuple] = {}
        out = []
        value_of, prep = self._value, self._prep
        for row in rows:
            keys = tuple(row)
            plan = plans.get(keys)
            if plan is None:
                plan = plans[keys] = self._dict_plan(keys)
            template, steps, per_row = plan
            values = template.copy()
            for i, attname, as_is, f, text, auto_add in steps:
                value = row[attname]
                if type(value) in as_is:
                    if value is None and auto_add:
                        continue  # auto_now_add without a time: the time now (the template's)
                    values[i] = value
                else:
                    values[i] = value_of(f, text, value, i)
            for i, f in per_row:
                values[i] = prep(f, f.get_default())
            out.append(tuple(values))
        return out

    def _from_uniform(self, rows: list[dict], keys: tuple) -> list[tuple]:
        """from_dicts for rows that all have these keys, a column at a time: a column whose values
        are all of types passed as they are is taken as it is, the others value by value as the
        row loop would; the columns not given are the template's (or their callable default per
        row); then the columns zipped into rows (issue 13, fourth pass: a third of the time)."""
        template, steps, per_row = self._dict_plan(keys)
        count = len(rows)
        columns: list = [repeat(value, count) for value in template]
        value_of = self._value
        for i, attname, as_is, f, text, auto_add in steps:
            column = list(map(itemgetter(attname), rows))
            kinds = set(map(type, column))
            if kinds <= as_is:
                if auto_add and type(None) in kinds:
                    now = template[i]
                    column = [now if value is None else value for value in column]
            else:
                now = template[i]
                column = [
                    (now if value is None and auto_add else value) if type(value) in as_is else value_of(f, text, value, i)
                    for value in column
                ]
            columns[i] = column
        for i, f in per_row:
            columns[i] = [self._prep(f, f.get_default()) for _ in range(count)]
        return list(zip(*columns))

    def write(self, rows: list[tuple]) -> None:
        qn = self.connection.ops.quote_name
        table = qn(self.model._meta.db_table)
        columns = ", ".join(qn(f.column) for f in self.fields)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            for batch in chunked(rows, 1000):
                self._insert_batch(cursor, table, columns, batch)

    def _insert_batch(self, cursor, table: str, columns: str, rows: list[tuple]) -> None:
        """INSERT rows on SQLite as few statements: the columns whose value is the same in every
        row of the batch bound once, the others as the rows of a VALUES list.

        Every value is bound by the sqlite3 module exactly as executemany binds it (same types,
        same adapters), so the rows stored are the same. What differs is the number of
        statements: an executemany runs one INSERT a row, and each one pays for setting up the
        statement — on a table with AUTOINCREMENT a search of sqlite_sequence (a row per such
        table, ~50 here) at its start and an update at its end, the foreign keys' and triggers'
        program — about 3 µs a row before any B-tree work (issue 13, fourth pass)."""
        count = len(rows)
        width = len(self.fields)
        same = []
        if count > 1:
            for i, column in enumerate(zip(*rows)):
                first = column[0]
                if column.count(first) != count:
                    continue
                kind = type(first)
                # `==` alone would take 1 for True or Decimal("1.0") for Decimal("1.00"): a text
                # or NULL equals only itself; other types must be of one type and be an int.
                if first is None or kind is str or kind is int and len(set(map(type, column))) == 1:
                    same.append(i)
        if len(same) == width:
            same.pop()  # a VALUES list needs one column
        varying = [i for i in range(width) if i not in set(same)]
        per_statement = max(1, min(count, _sqlite_params(self.connection) // len(varying)))
        one = "(" + ", ".join(["%s"] * len(varying)) + ")"
        place = {i: f"column{n + 1}" for n, i in enumerate(varying)}
        picks = ", ".join(place.get(i, "%s") for i in range(width))
        constants = [rows[0][i] for i in same]
        pick = itemgetter(*varying)
        spread = (lambda part: map(pick, part)) if len(varying) == 1 else (lambda part: chain.from_iterable(map(pick, part)))
        for start in range(0, count, per_statement):
            part = rows[start:start + per_statement]
            params = constants + list(spread(part))
            values = ", ".join([one] * len(part))
            # executemany of one set of parameters: the same statement run once; with DEBUG on,
            # execute() would have Django quote all its parameters for the query log (one SELECT
            # QUOTE(?), … per 999 of them), which costs more than the insert.
            cursor.executemany(f"INSERT INTO {table} ({columns}) SELECT {picks} FROM (VALUES {values})", [params])


class PreparedImporter(Importer):
    """An importer whose check pass keeps the parsed values of the rows to write
    (`self.prepared`: line → what `write_values` takes), so the write pass neither reads nor
    parses the file again (customers.csv, contacts.csv: the largest files)."""

    write_chunk = CHUNK
    keep_rows = True
    # "customer" / "contact": the search index of the new rows is written per batch, set-based
    # (kehu.customers.search_bulk: `self._search_index.add(ids)`), instead of by the per-row trigger
    search_kind: str | None = None

    def __init__(self, ctx: ImportContext, table: Table):
        super().__init__(ctx, table)
        self.prepared: dict[int, object] = {}
        self._search_index = None  # search_bulk's writer during the write pass

    def write_values(self, items: list) -> None:
        raise NotImplementedError

    @gc_paused
    def run_write(self) -> None:
        """Write the rows the check pass kept, in file order and in batches."""
        if not self.readable:
            return
        if self.search_kind is None:
            self._write_prepared()
            return
        cells = source_cells.deferred_inserts() if self.search_kind == "customer" else nullcontext()
        with search_bulk.deferred(self.search_kind) as index, cells:
            self._search_index = index
            try:
                self._write_prepared()
            finally:
                self._search_index = None

    def _write_prepared(self) -> None:
        self.writing = True
        bad = self.ctx.bad_lines.get(self.file, set())
        lines = [line for line in self.prepared if line not in bad]
        total = len(lines)
        self.ctx.progress(self.file, "write", 0, total)
        for start in range(0, total, self.write_chunk):
            batch = lines[start:start + self.write_chunk]
            self.write_values([self.prepared.pop(line) for line in batch])
            reset_queries()  # with DEBUG on, Django would keep every statement of the import
            self.ctx.progress(self.file, "write", start + len(batch), total)
        self.prepared = {}
        self.finish_write()


class CodedImporter(Importer):
    """A file whose rows carry their own unique `code` (products, opportunities, contracts,
    orders, payments): later files refer to a row by it, and a code twice in a file is an error
    on its second line."""

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.first_code: dict[str, int] = {}

    def scan(self, row: Row) -> None:
        self.first_code.setdefault(row.get("code"), row.line)

    def planned_key(self, row: Row):
        return row.get("code")

    def check_code_once(self, row: Row, code: str) -> None:
        """A code that already stood on an earlier line of the file makes this row bad."""
        if code and self.first_code.get(code) != row.line:
            row.error("code", _("The code %(code)s already appears on line %(line)d.") % {"code": code, "line": self.first_code[code]})
