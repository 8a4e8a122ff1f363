"""`kehu backup` and `kehu restore` (issue 15, ops): a consistent online copy of the whole
database, and putting it back in one transaction.

SQLite: SQLite's own backup API (`sqlite3.Connection.backup`) copies a consistent snapshot while
Kehu runs; a restore copies the file back the same way, in one write transaction of the target
(a failure leaves it as it was). PostgreSQL: `pg_dump --format=custom` (a consistent snapshot);
a restore is a *clean* restore: in ONE transaction (`psql --single-transaction`) it drops every
table, view, sequence and function of Kehu's schema and replays the whole dump — schema, data,
indexes, constraints and triggers as they were. It therefore works into an empty database and
into a migrated one alike (what `migrate` wrote there is replaced), and needs no superuser
(a data-only restore would have to disable the lead-source triggers and the foreign keys, which
only a superuser may, and would have to empty what `migrate` wrote first).

What a backup leaves out: the sessions (`django_session`'s rows: keys that would sign a browser
in; after a restore everybody signs in again). Everything else is in it, the task queue included:
a restored database is the database at the moment of the backup, as if every process had been
killed then (docs/operations.md, "Backups and restore drills").

Refused: a file of the other database (SQLite ↔ PostgreSQL: see "Moving from SQLite to
PostgreSQL"), a file that is not a Kehu backup, and a backup of a newer schema than this version
of Kehu knows (migrations it has never heard of).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections
from django.utils.translation import gettext as _

from kehu.core.errors import DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Rows a backup leaves out (the tables themselves are in it, empty).
EXCLUDED_DATA = ("django_session",)


class BackupError(DomainError):
    """A backup or restore that cannot be done; the message says why (translated)."""


@dataclass
class BackupInfo:
    """What a backup file is: its database and the migrations recorded in it."""

    vendor: str  # "sqlite" or "postgresql"
    migrations: set[tuple[str, str]] = field(default_factory=set)


def file_vendor(path: str | os.PathLike) -> str | None:
    """"sqlite", "postgresql" (a pg_dump custom-format file) or None, from the file's first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


def vendor_name(vendor: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(vendor, vendor)


# --- backup ---------------------------------------------------------------------------------

def backup_create(*, path: str | os.PathLike, using: str = "default") -> BackupInfo:
    """Write a consistent copy of database `using` to `path` (replacing it when it exists: the
    caller asks first). Written to a temporary file beside `path` and renamed at the end, so a
    failure never leaves a half-written backup under the name."""
    connection = connections[using]
    target = Path(path)
    if not target.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.") % {"path": target.parent})
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        if connection.vendor == "sqlite":
            _sqlite_backup(connection, tmp)
        elif connection.vendor == "postgresql":
            _pg_dump(connection.settings_dict, tmp)
        else:
            raise BackupError(_("Backups are made of SQLite and PostgreSQL databases only, not %(vendor)s.")
                              % {"vendor": connection.vendor})
        try:
            info = backup_inspect(path=tmp, settings_dict=connection.settings_dict)
        except BackupError:
            raise BackupError(_("The database %(name)s holds no Kehu tables (run `kehu migrate` first); "
                                "nothing was written.") % {"name": connection.settings_dict["NAME"]}) from None
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return info


def _sqlite_backup(connection, tmp: str) -> None:
    connection.ensure_connection()
    Path(tmp).unlink(missing_ok=True)
    dest = sqlite3.connect(tmp)
    try:
        connection.connection.backup(dest)  # one step: a consistent snapshot of the source
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        dest.execute("PRAGMA secure_delete=ON")  # the left-out rows are overwritten, not just unlinked
        for table in EXCLUDED_DATA:
            if dest.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone():
                dest.execute(f'DELETE FROM "{table}"')
        dest.commit()
    finally:
        dest.close()


def _pg_dump(settings_dict: dict, tmp: str) -> None:
    args = [pg_tool("pg_dump", settings_dict), "--format=custom", f"--file={tmp}"]
    args += [f"--exclude-table-data={table}" for table in EXCLUDED_DATA]
    _run(args, settings_dict, _("pg_dump failed: %(error)s"))


# --- inspecting a file ----------------------------------------------------------------------

def backup_inspect(*, path: str | os.PathLike, settings_dict: dict | None = None) -> BackupInfo:
    """The database and the recorded migrations of a backup file; BackupError when it is not a
    Kehu backup (or cannot be read)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("No backup file at %(path)s.") % {"path": path})
    vendor = file_vendor(path)
    if vendor == "sqlite":
        migrations = _sqlite_migrations(path)
    elif vendor == "postgresql":
        migrations = _pg_migrations(path, settings_dict if settings_dict and "postgresql" in settings_dict["ENGINE"] else None)
    else:
        raise BackupError(_("%(path)s is not a Kehu backup (neither a SQLite database nor a pg_dump file).")
                          % {"path": path})
    if not any(app == "customers" for app, _name in migrations):
        raise BackupError(_("%(path)s is a database, but not one of Kehu's.") % {"path": path})
    return BackupInfo(vendor=vendor, migrations=migrations)


def _sqlite_migrations(path: Path) -> set[tuple[str, str]]:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(_("The backup %(path)s is damaged: %(error)s") % {"path": path, "error": check})
            rows = db.execute("SELECT app, name FROM django_migrations").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("The backup %(path)s cannot be read: %(error)s") % {"path": path, "error": exc}) from None
    return {(app, name) for app, name in rows}


COPY_LINE = re.compile(r"^COPY \S*django_migrations \((?P<columns>[^)]*)\) FROM stdin;$")


def _pg_migrations(path: Path, settings_dict: dict | None) -> set[tuple[str, str]]:
    """The django_migrations rows of a custom-format dump, read with pg_restore (no database)."""
    args = [pg_tool("pg_restore", settings_dict), "--data-only", "--table=django_migrations", "--file=-", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, env=_pg_env(None))
    if done.returncode != 0:
        raise BackupError(_("The backup %(path)s cannot be read: %(error)s") % {"path": path, "error": done.stderr.strip()})
    rows, columns = set(), None
    for line in done.stdout.splitlines():
        if columns is None:
            match = COPY_LINE.match(line)
            if match:
                columns = [c.strip() for c in match["columns"].split(",")]
            continue
        if line == "\\.":
            break
        values = dict(zip(columns, line.split("\t")))
        rows.add((values["app"], values["name"]))
    return rows


# --- restore --------------------------------------------------------------------------------

@dataclass
class RestorePlan:
    info: BackupInfo
    missing: list[tuple[str, str]]  # migrations this Kehu has and the backup has not (run migrate)


def restore_check(*, path: str | os.PathLike, using: str = "default") -> RestorePlan:
    """Everything a restore refuses, checked before anything is touched: a file of the other
    database, not a Kehu backup, a newer schema than this Kehu knows."""
    from django.db.migrations.loader import MigrationLoader

    connection = connections[using]
    vendor = file_vendor(path) if Path(path).is_file() else None
    if vendor and vendor != connection.vendor:
        raise BackupError(
            _("%(path)s is a %(file)s backup, and this Kehu runs on %(database)s: a backup is restored "
              "into the same kind of database (to move between them, see “Moving from SQLite to PostgreSQL” "
              "in docs/operations.md).")
            % {"path": path, "file": vendor_name(vendor), "database": vendor_name(connection.vendor)})
    info = backup_inspect(path=path, settings_dict=connection.settings_dict)
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(info.migrations - known)
    if unknown:
        raise BackupError(
            _("%(path)s was made by a newer version of Kehu (migrations this version does not know: "
              "%(names)s). Restore it with that version, or a newer one.")
            % {"path": path, "names": ", ".join(f"{app}.{name}" for app, name in unknown[:5])
               + (" …" if len(unknown) > 5 else "")})
    return RestorePlan(info=info, missing=sorted(known - info.migrations))


def database_in_use(*, using: str = "default") -> bool:
    """Whether the target already holds a Kehu database (a restore would replace it)."""
    connection = connections[using]
    return "django_migrations" in connection.introspection.table_names()


def backup_restore(*, path: str | os.PathLike, using: str = "default") -> RestorePlan:
    """Replace database `using` by the backup at `path`, all or nothing."""
    plan = restore_check(path=path, using=using)
    connection = connections[using]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        sqlite_restore_into(Path(path), connection.connection)
    else:
        connection.close()  # hold no lock the restore's DROP would wait for
        pg_restore_into(Path(path), connection.settings_dict)
    _forget_caches()
    return plan


def sqlite_restore_into(path: Path, target: sqlite3.Connection) -> None:
    """Copy the SQLite backup at `path` over the database of `target` in one step: SQLite writes
    the target in one transaction, rolled back when the copy fails."""
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(_("The restore failed; the database is unchanged: %(error)s") % {"error": exc}) from None
    finally:
        source.close()


# Drops what Kehu's schema holds (tables with their indexes, constraints, triggers and sequences;
# views; other sequences; functions that are not an extension's), in the restore's transaction.
# Extensions stay (the dump creates them IF NOT EXISTS). lock_timeout: a running Kehu holding a
# table makes the restore fail (unchanged) instead of waiting for ever.
PG_EMPTY_SCHEMA = r"""
SET lock_timeout = '30s';
DO $kehu_restore$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') LOOP
    BEGIN
      EXECUTE CASE r.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS ' WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS '
                             WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS ' ELSE 'DROP TABLE IF EXISTS ' END
              || r.name || ' CASCADE';
    EXCEPTION WHEN undefined_table THEN NULL;  -- already gone with an earlier CASCADE
    END;
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') LOOP
    EXECUTE 'DROP SEQUENCE IF EXISTS ' || r.name || ' CASCADE';
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p
           WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind IN ('f', 'p')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE CASE r.prokind WHEN 'p' THEN 'DROP PROCEDURE IF EXISTS ' ELSE 'DROP FUNCTION IF EXISTS ' END
            || r.name || ' CASCADE';
  END LOOP;
END
$kehu_restore$;
"""


def pg_restore_into(path: Path, settings_dict: dict) -> None:
    """Replay the dump at `path` into the database of `settings_dict` after emptying its schema,
    all in one transaction: pg_restore writes the SQL, psql runs it with --single-transaction and
    stops at the first error (then nothing of it is kept)."""
    restore = [pg_tool("pg_restore", settings_dict), "--no-owner", "--no-privileges", "--no-comments",
               "--exit-on-error", "--file=-", str(path)]
    psql = [pg_tool("psql", settings_dict), "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1",
            "--single-transaction", "--file=-"]
    env = _pg_env(settings_dict)
    with tempfile.TemporaryFile() as psql_err, tempfile.TemporaryFile() as restore_err:
        runner = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err, env=env)
        try:
            runner.stdin.write(PG_EMPTY_SCHEMA.encode())
            reader = subprocess.Popen(restore, stdout=subprocess.PIPE, stderr=restore_err, env=env)
            try:
                shutil.copyfileobj(reader.stdout, runner.stdin, 1 << 20)
            finally:
                reader.stdout.close()
                reader_code = reader.wait()
            if reader_code != 0:
                # psql must not commit a partial script: stop it before it reads the end of its input
                runner.kill()
            else:
                runner.stdin.close()
        except BrokenPipeError:
            reader_code = 0  # psql stopped at an error; its message says which
        finally:
            if runner.stdin and not runner.stdin.closed:
                try:
                    runner.stdin.close()
                except BrokenPipeError:
                    pass
            runner_code = runner.wait()
        if reader_code != 0 or runner_code != 0:
            restore_err.seek(0)
            psql_err.seek(0)
            error = (restore_err.read() + psql_err.read()).decode(errors="replace").strip()
            raise BackupError(_("The restore failed; the database is unchanged: %(error)s")
                              % {"error": error or _("exit status %(code)d") % {"code": runner_code or reader_code}})


def _forget_caches() -> None:
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


# --- PostgreSQL's tools ---------------------------------------------------------------------

def _pg_env(settings_dict: dict | None) -> dict:
    """The environment of a PostgreSQL tool: the connection in PG* variables, the password
    included — never on the command line, where `ps` would show it to every user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    if settings_dict is None:
        return env
    from django.db.backends.postgresql.client import DatabaseClient

    _args, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env.update(extra or {})
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    return env


def _run(args: list[str], settings_dict: dict, message: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, env=_pg_env(settings_dict))
    if done.returncode != 0:
        raise BackupError(message % {"error": done.stderr.strip() or done.returncode})


def _server_major(settings_dict: dict | None) -> int | None:
    if settings_dict is None:
        return None
    for alias in connections:
        if connections[alias].settings_dict is settings_dict:
            connection = connections[alias]
            connection.ensure_connection()
            return connection.pg_version // 10000
    return None


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match[1]) if match else None


def pg_tool(name: str, settings_dict: dict | None) -> str:
    """The path of PostgreSQL's `name` (pg_dump, pg_restore, psql) no older than the server:
    KEHU_PG_BIN first, then Debian's /usr/lib/postgresql/<server's version>/bin, then PATH, then
    the newest other /usr/lib/postgresql/*/bin or /usr/pgsql-*/bin."""
    server = _server_major(settings_dict)
    candidates = []
    if os.environ.get("KEHU_PG_BIN"):
        candidates.append(Path(os.environ["KEHU_PG_BIN"]) / name)
    if server:
        candidates += [Path(f"/usr/lib/postgresql/{server}/bin") / name, Path(f"/usr/pgsql-{server}/bin") / name]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    others = [p for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin") for p in Path("/").glob(pattern.lstrip("/"))]
    candidates += sorted((p / name for p in others), key=lambda p: _digits(p), reverse=True)
    found = [str(p) for p in candidates if p.is_file() and os.access(p, os.X_OK)]
    if not found:
        raise BackupError(
            _("PostgreSQL's %(tool)s was not found. Install PostgreSQL's client programs (Debian: "
              "postgresql-client-%(version)s) or set KEHU_PG_BIN to the folder that holds them.")
            % {"tool": name, "version": server or 15})
    if server is None:
        return found[0]
    for path in found:
        major = _tool_major(path)
        if major is not None and major >= server:
            return path
    raise BackupError(
        _("PostgreSQL's %(tool)s at %(path)s is older than the server (version %(version)s). Install "
          "postgresql-client-%(version)s or set KEHU_PG_BIN to the folder of a newer one.")
        % {"tool": name, "path": found[0], "version": server})


def _digits(path: Path) -> int:
    match = re.search(r"(\d+)", str(path))
    return int(match[1]) if match else 0
