"""The evaluation results' references to their run and their customer, checked by PostgreSQL in
bulk (issue 13, fourth pass).

`EvaluationResult.run` and `.customer` are foreign keys. PostgreSQL checked each of a run's
~100,000 rows twice at commit (one `SELECT … FOR KEY SHARE` per row and key, ~0.75 CPU s, the
largest single part of a run there). On PostgreSQL the two constraints are replaced (migration
0008) by triggers that keep the same guarantee — no result points at a run or a customer that
does not exist, whoever writes — with one check per statement:

- a statement-level trigger on INSERT and UPDATE of the results checks the statement's new rows
  (its transition table) with one anti-join against the customers and one against the runs, and
  raises `foreign_key_violation` (Django: IntegrityError);
- deleting a customer or a run that results still point at raises the same (statement-level on
  DELETE: NO ACTION, as the foreign key; Django's cascade deletes the results first, so ORM
  deletions work as before); so does changing a referenced id (row-level, fired only by an
  UPDATE that sets the id, which Django never does);
- races: the results' check takes an exclusive transaction advisory lock, the deletions' check a
  shared one, and each check reads a fresh snapshot once it holds the lock (READ COMMITTED). A
  run storing its results either sees a customer deleted by a committed transaction (and fails),
  or holds the lock until it commits, after which the deleting transaction's check sees the run's
  results (and fails) — what the foreign key's row locks did, without locking 100,000 customers.
  (The application never deletes a customer: recycle bin, merges.)

The check is immediate (at the end of each statement), where the foreign keys were deferred to
the commit: a fixture that loads results before their customers must load the customers first.
SQLite keeps its native foreign keys (checked per row in C: the same triggers there cost twice
the insert).
"""

LOCK_KEY = 0x6B6568750D  # pg_advisory_xact_lock key of "results reference their run and customer"

RESULT = "ranking_evaluationresult"
CUSTOMER = "customers_customer"
RUN = "ranking_evaluationrun"
MESSAGE = "ranking_evaluationresult: a result refers to a run or a customer that does not exist"
PARENT_MESSAGE = "ranking_evaluationresult: evaluation results still refer to this %s"

PG_CREATE = [
    f"""CREATE OR REPLACE FUNCTION kehu_ranking_result_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock({LOCK_KEY});
  IF EXISTS (SELECT 1 FROM new_results n WHERE NOT EXISTS (SELECT 1 FROM {CUSTOMER} c WHERE c.id = n.customer_id))
     OR EXISTS (SELECT 1 FROM (SELECT DISTINCT run_id FROM new_results) n WHERE NOT EXISTS (SELECT 1 FROM {RUN} r WHERE r.id = n.run_id))
  THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = '{MESSAGE}';
  END IF;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER ranking_result_keys_insert AFTER INSERT ON {RESULT} REFERENCING NEW TABLE AS new_results"
    " FOR EACH STATEMENT EXECUTE FUNCTION kehu_ranking_result_keys()",
    f"CREATE TRIGGER ranking_result_keys_update AFTER UPDATE ON {RESULT} REFERENCING NEW TABLE AS new_results"
    " FOR EACH STATEMENT EXECUTE FUNCTION kehu_ranking_result_keys()",
    # the referenced side: deleted customers and runs (statement-level), changed ids (row-level,
    # fired only by an UPDATE that sets the id — Django never does)
    f"""CREATE OR REPLACE FUNCTION kehu_ranking_result_parent_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared({LOCK_KEY});
  IF TG_TABLE_NAME = '{CUSTOMER}' THEN
    IF EXISTS (SELECT 1 FROM old_rows o JOIN {RESULT} r ON r.customer_id = o.id) THEN
      RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = format('{PARENT_MESSAGE}', 'customer');
    END IF;
  ELSIF EXISTS (SELECT 1 FROM old_rows o JOIN {RESULT} r ON r.run_id = o.id) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = format('{PARENT_MESSAGE}', 'run');
  END IF;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER ranking_result_customer_deleted AFTER DELETE ON {CUSTOMER} REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION kehu_ranking_result_parent_deleted()",
    f"CREATE TRIGGER ranking_result_run_deleted AFTER DELETE ON {RUN} REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION kehu_ranking_result_parent_deleted()",
    f"""CREATE OR REPLACE FUNCTION kehu_ranking_result_parent_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared({LOCK_KEY});
  IF (TG_TABLE_NAME = '{CUSTOMER}' AND EXISTS (SELECT 1 FROM {RESULT} r WHERE r.customer_id = OLD.id))
     OR (TG_TABLE_NAME = '{RUN}' AND EXISTS (SELECT 1 FROM {RESULT} r WHERE r.run_id = OLD.id)) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = format('{PARENT_MESSAGE}', TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER ranking_result_customer_id AFTER UPDATE OF id ON {CUSTOMER} FOR EACH ROW"
    " WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION kehu_ranking_result_parent_id()",
    f"CREATE TRIGGER ranking_result_run_id AFTER UPDATE OF id ON {RUN} FOR EACH ROW"
    " WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION kehu_ranking_result_parent_id()",
]
PG_DROP = [
    f"DROP TRIGGER IF EXISTS ranking_result_keys_insert ON {RESULT}",
    f"DROP TRIGGER IF EXISTS ranking_result_keys_update ON {RESULT}",
    f"DROP TRIGGER IF EXISTS ranking_result_customer_deleted ON {CUSTOMER}",
    f"DROP TRIGGER IF EXISTS ranking_result_run_deleted ON {RUN}",
    f"DROP TRIGGER IF EXISTS ranking_result_customer_id ON {CUSTOMER}",
    f"DROP TRIGGER IF EXISTS ranking_result_run_id ON {RUN}",
    "DROP FUNCTION IF EXISTS kehu_ranking_result_keys()",
    "DROP FUNCTION IF EXISTS kehu_ranking_result_parent_deleted()",
    "DROP FUNCTION IF EXISTS kehu_ranking_result_parent_id()",
]

FOREIGN_KEYS = (("run_id", RUN), ("customer_id", CUSTOMER))


def _foreign_key_names(connection, cursor) -> list[str]:
    constraints = connection.introspection.get_constraints(cursor, RESULT)
    return sorted(name for name, c in constraints.items()
                  if c["foreign_key"] and c["columns"] in (["run_id"], ["customer_id"]))


def install(apps=None, schema_editor=None) -> None:
    """PostgreSQL: the two foreign keys replaced by the triggers. SQLite: nothing."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in _foreign_key_names(connection, cursor):
            cursor.execute(f'ALTER TABLE {RESULT} DROP CONSTRAINT "{name}"')
        for sql in PG_CREATE:
            cursor.execute(sql)


def uninstall(apps=None, schema_editor=None) -> None:
    """PostgreSQL: the triggers taken off and the foreign keys put back (validated). SQLite: nothing."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in PG_DROP:
            cursor.execute(sql)
        if not _foreign_key_names(connection, cursor):
            for column, table in FOREIGN_KEYS:
                cursor.execute(
                    f'ALTER TABLE {RESULT} ADD CONSTRAINT "{RESULT}_{column}_kehu_fk" FOREIGN KEY ({column}) '
                    f"REFERENCES {table} (id) DEFERRABLE INITIALLY DEFERRED"
                )
