"""customers.csv: ★code, ★name, ★kind, owner, stage, lead_source, referrer, province, city,
industry, phone, uscc, influence, reputation, credit_limit, fund_status, payment_attitude,
created_at, address, email, notes.

Rows are matched by code: a new code creates a customer, a known one updates the columns
the file has (a column left out of the header is left alone; an empty cell empties the
field — an empty owner puts the customer in the public pool). De-duplication follows §2,
the USCC first: a new customer whose USCC already belongs to another code is a bad row, and
so is one whose normalised name does — unless both have a USCC and they differ (different
legal entities: a warning). The same phone is only a warning. Managers import customers of
their own teams and of the pool only.
"""

from django.db.models import F
from stdnum.cn import uscc as uscc_std
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.models import AuditEvent
from kehu.customers import industries, regions
from kehu.customers.errors import CustomerError
from kehu.customers.models import CompanyProfile, Customer, CustomerStageChange, CustomerStageMonth, PersonProfile
from kehu.customers.summaries import month_of, stage_months_refresh
from kehu.customers.services.records import clean_uscc, customer_derive_fields, different_legal_entities
from kehu.dataset.choices import FUND_STATUS, KIND, LEAD_SOURCE, PAYMENT_ATTITUDE, STAGE
from kehu.dataset.importers.base import (
    CREATE, LOOKUP, UNCHANGED, UPDATE, PreparedImporter, Row, among, chunked, insert_values, plain, update_rows,
)
from kehu.dataset.importers.contacts import parse_email  # migrate: customers.csv takes email too
from kehu.dataset.importers.derive import NameDeriver
from kehu.dataset.values import CellError, parse_datetime, parse_int, parse_money, parse_text

TEXT = {"province": 50, "city": 50, "industry": 50, "phone": 50, "address": 255, "notes": 10_000}
# Columns whose empty cell means "keep what is there" rather than "empty the field".
KEEP_WHEN_EMPTY = {"stage", "created_at"}
# What the check and write passes read of an existing customer.
EXISTING = [
    "id", "code", "name", "kind", "owner_id", "stage", "lead_source", "province", "city", "industry",
    "phone", "uscc", "influence", "reputation", "credit_limit", "fund_status", "payment_attitude",
    "created_at", "is_deleted", "address", "email", "notes",
]
LOADED = [
    "code", "name", "kind", "owner", "stage", "stage_changed_at", "lead_source", "referrer_customer",
    "province", "city", "industry", "phone", "uscc", "influence", "reputation", "credit_limit",
    "fund_status", "payment_attitude", "created_at", "updated_at", "name_normalized", "name_initials",
    "name_pinyin", "phone_normalized", "owned_since", "pool_clock_at", "previous_owner",
    "returned_to_pool_at", "return_warned_at", "last_followup_at", "address", "email", "notes",
]
# Model fields written when a column changes (besides the column's own field).
ALSO = {
    "name": ["name_normalized", "name_initials", "name_pinyin"],
    "phone": ["phone_normalized"],
    "stage": ["stage_changed_at"],
    "owner": ["owned_since", "pool_clock_at", "previous_owner", "returned_to_pool_at", "return_warned_at"],
}
FIELD = {"owner": "owner", "referrer": "referrer_customer"}
# The columns a new customer takes as they are (besides code, name, kind, stage, owner, referrer).
NEW_COLUMNS = ("lead_source", "province", "city", "industry", "phone", "uscc", "influence", "reputation",
               "credit_limit", "fund_status", "payment_attitude", "address", "email", "notes")
# Customers written per batch of the write pass.
WRITE_CHUNK = 5000
_MISSING = object()
CHOICE = {"stage": STAGE, "lead_source": LEAD_SOURCE, "fund_status": FUND_STATUS, "payment_attitude": PAYMENT_ATTITUDE}
# Columns whose empty (or bad) cell reads as "" rather than None.
EMPTY_TEXT = set(TEXT) | {"lead_source", "fund_status", "payment_attitude", "uscc", "email"}


def parse_code(value: str) -> str:
    value = parse_text(value, max_length=32)
    if any(ch.isspace() for ch in value):
        raise CellError(_("A code may not contain spaces."))
    return value


def parse_uscc(value: str) -> str:
    fast = _valid_plain_uscc(value)
    if fast:
        return fast
    try:
        return clean_uscc(value)
    except CustomerError as exc:
        raise CellError(str(exc.message)) from None


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _valid_plain_uscc(value: str) -> str:
    """clean_uscc(value) for a USCC of ASCII letters and digits only, the usual cell, without
    stdnum's character-by-character clean-ups (which change nothing in such a text); "" when
    the text is not such a valid USCC (clean_uscc then decides, and words the error)."""
    text = value.strip().upper()
    if len(text) != 18 or not text.isascii() or not text.isalnum() or not text[:8].isdigit():
        return ""
    alphabet = _USCC_ALPHABET
    if any(c not in alphabet for c in text[8:]):
        return ""
    total = sum(alphabet.index(c) * w for c, w in zip(text, _USCC_WEIGHTS))
    return text if text[-1] == alphabet[(31 - total) % 31] else ""


def compact_uscc(value: str) -> str:
    """uscc_std.compact(value), at once for plain letters and digits (and an empty cell)."""
    if not value:
        return ""
    if value.isascii() and value.isalnum():
        return value.upper()
    return uscc_std.compact(value)


def _normalize_region(v: dict) -> None:
    """Province, city and industry by their official names (regions.py, industries.py): "浙江" →
    "浙江省", "杭州" → "杭州市", "建筑" → "建筑业". A name that matches none is kept as written
    (and warned about by the check pass)."""
    if v.get("province"):
        v["province"] = regions.normalize_province(v["province"]) or v["province"]
    if v.get("city") and v.get("province"):
        v["city"] = regions.normalize_city(v["province"], v["city"]) or v["city"]
    if v.get("industry"):
        v["industry"] = industries.normalize_industry(v["industry"]) or v["industry"]


def _region_warnings(v: dict) -> list[tuple[str, str]]:
    found = []
    province = regions.province_lookup(v.get("province", ""))
    if v.get("province") and province is None:
        found.append(("province", _("“%(value)s” is not a province of the list; it is kept as written.") % {"value": v["province"]}))
    if v.get("city") and province is not None and province.cities and v["city"] not in province.cities:
        found.append(("city", _("“%(value)s” is not a city of %(province)s; it is kept as written.") % {"value": v["city"], "province": province.name}))
    if v.get("industry") and v["industry"] not in industries.BY_NAME:
        found.append(("industry", _("“%(value)s” names no industry section of GB/T 4754; it is kept as written.") % {"value": v["industry"]}))
    return found


class CustomerImporter(PreparedImporter):
    file = "customers.csv"
    search_kind = "customer"
    columns = [
        "code", "name", "kind", "owner", "stage", "lead_source", "referrer", "province", "city", "industry",
        "phone", "uscc", "influence", "reputation", "credit_limit", "fund_status", "payment_attitude", "created_at",
    ]
    required = ["code", "name", "kind"]
    write_chunk = WRITE_CHUNK

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        # migrate: also read address, email and notes (a firm's own list brings them; the export,
        # which writes the class's columns, does not write them yet)
        self.columns = CustomerImporter.columns + ["address", "email", "notes"]
        self.first_code: dict[str, int] = {}
        self.first_uscc: dict[str, tuple[int, str]] = {}
        self.first_name: dict[str, tuple[int, str, str]] = {}
        self.first_phone: dict[str, tuple[int, str]] = {}
        self.in_file_referrers: list[tuple[int, str]] = []
        self.deferred_referrers: list[tuple[str, str]] = []
        self.derive = NameDeriver()
        # self.prepared (PreparedImporter): {line: (values, changes)} of each row to write.
        # Pure functions of a cell's text, remembered for the import (most cells repeat).
        self._cells: dict[tuple[str, str], object] = {}
        self._regions: dict[tuple, tuple] = {}
        self._owner_problems: dict[str, str | None] = {}
        self._parse_plan: list | None = None

    # --- pass 0 --------------------------------------------------------------------
    def scan(self, row: Row) -> None:
        code = row.get("code")
        self.first_code.setdefault(code, row.line)
        uscc = compact_uscc(row.get("uscc"))
        if uscc:
            self.first_uscc.setdefault(uscc, (row.line, code))
        name = self.derive.normalized_name(row.get("name"))
        if name:
            self.first_name.setdefault(name, (row.line, code, uscc))
        phone = self.derive.normalized_phone(row.get("phone"))
        if len(phone) >= 7:
            self.first_phone.setdefault(phone, (row.line, code))

    def planned_key(self, row: Row):
        return row.get("code")

    # --- parsing (pure: the same in both passes) -----------------------------------
    def _cell(self, row: Row, column: str, parser, **kwargs):
        """row.parse(column, parser, …) for a parser that depends on the text only: a text seen
        before is not parsed again (a bad one is, so that its error is reported on each row)."""
        text = row.get(column)
        if not text:
            return None
        key = (column, text)
        found = self._cells.get(key, _MISSING)
        if found is _MISSING:
            found = row.parse(column, parser, **kwargs)
            if not row.bad or found is not None:
                self._cells[key] = found
        return found

    def _plan(self) -> list[tuple[str, int, object, dict]]:
        """How each column of the header after code, name and kind is read, in header order:
        (column, how, parser, its arguments); how 0 = parse, 1 = parse a remembered text,
        2 = the text as it is."""
        plan = []
        for column in self.header_set:
            if column in ("code", "name", "kind"):
                continue
            if column in TEXT:
                plan.append((column, 0, parse_text, {"max_length": TEXT[column]}))
            elif column in ("owner", "referrer"):
                plan.append((column, 2, None, {}))
            elif column in CHOICE:
                plan.append((column, 1, CHOICE[column].parse, {}))
            elif column == "uscc":
                plan.append((column, 0, parse_uscc, {}))
            elif column in ("influence", "reputation"):
                plan.append((column, 1, parse_int, {"low": 1, "high": 5}))
            elif column == "credit_limit":
                plan.append((column, 1, parse_money, {}))
            elif column == "created_at":
                plan.append((column, 0, parse_datetime, {}))
            elif column == "email":
                plan.append((column, 0, parse_email, {}))
        return plan

    def parse(self, row: Row) -> dict:
        cell = self._cell
        v: dict = {
            "code": row.parse("code", parse_code),
            "name": row.parse("name", parse_text, max_length=200),
            "kind": cell(row, "kind", KIND.parse),
        }
        if self._parse_plan is None:
            self._parse_plan = self._plan()
        for column, how, parser, kwargs in self._parse_plan:
            if how == 2:
                v[column] = row.get(column)
                continue
            value = cell(row, column, parser, **kwargs) if how == 1 else row.parse(column, parser, **kwargs)
            v[column] = ("" if value is None else value) if column in EMPTY_TEXT else value
        key = (v.get("province"), v.get("city"), v.get("industry"))
        found = self._regions.get(key)
        if found is None:
            regions_of = {k: val for k, val in zip(("province", "city", "industry"), key) if val is not None}
            _normalize_region(regions_of)
            found = self._regions[key] = (regions_of, _region_warnings(regions_of))
        v.update(found[0])
        row.region_warnings = found[1]
        if v.get("uscc") and v["kind"] == Customer.Kind.PERSON:
            row.error("uscc", _("A person customer has no unified social credit code."))
        if v.get("referrer") and v["referrer"] == v["code"]:
            row.error("referrer", _("A customer cannot be its own referrer."))
        return v

    def _existing(self, codes: list[str]) -> dict[str, dict]:
        found = {}
        for batch in chunked(codes, LOOKUP):
            qs = Customer.objects.filter(among(Customer, "code", batch)).values(
                *EXISTING, owner_username=F("owner__username"), referrer_code=F("referrer_customer__code"),
            )
            for c in qs:
                found[c["code"]] = c
        return found

    def _changes(self, old: dict, v: dict) -> dict:
        """{column: [old, new]} over the columns of the file, owners and referrers by name."""
        changes = {}
        for column in self.columns:
            if column not in v or column == "code":
                continue
            new = v[column]
            if column in KEEP_WHEN_EMPTY and new is None:
                continue
            if column == "owner":
                before = old["owner_username"] or ""
            elif column == "referrer":
                before = old["referrer_code"] or ""
            else:
                before = old[column]
            if column == "stage" and before == "vip" and new == "signed":
                continue  # vip = signed + a key account (§3): the key-account run decides, not the file
            if before != new:
                changes[column] = [before, new]
        return changes

    # --- pass 1 --------------------------------------------------------------------
    def _owner_problem(self, username: str) -> str | None:
        user = self.ctx.users().get(username)
        role = self.ctx.user_roles.get(username) or (user or {}).get("role")
        if user is None and username not in self.ctx.planned.get("users.csv", ()):
            return _("No user with the username “%(value)s”.") % {"value": username}
        if role == User.Role.FINANCE:
            return _("User %(value)s works in finance and cannot own customers.") % {"value": username}
        if user is None:
            return None  # created by users.csv in this import (only administrators import users)
        if not user["is_active"]:
            return _("User %(value)s is disabled and cannot own customers.") % {"value": username}
        if not self.ctx.may_manage_owner(user["id"]):
            return _("User %(value)s is not in a team you manage.") % {"value": username}
        return None

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        codes = [v["code"] for _r, v in parsed if v["code"]]
        existing = self._existing(codes)

        usccs = {v["uscc"] for _r, v in parsed if v.get("uscc")}
        uscc_owners: dict[str, set[str]] = {}
        for batch in chunked(usccs, LOOKUP):
            for uscc, code in Customer.objects.alive().filter(among(Customer, "uscc", batch)).values_list("uscc", "code"):
                uscc_owners.setdefault(uscc, set()).add(code)
        new_names = {self.derive.normalized_name(v["name"]) for _r, v in parsed if v["name"] and v["code"] not in existing}
        name_owners: dict[str, dict[str, str]] = {}
        for batch in chunked((n for n in new_names if n), LOOKUP):
            for name, code, uscc in (Customer.objects.alive().filter(among(Customer, "name_normalized", batch))
                                     .values_list("name_normalized", "code", "uscc")):
                name_owners.setdefault(name, {})[code] = uscc
        phones = {self.derive.normalized_phone(v.get("phone", "")) for _r, v in parsed}
        phone_owners: dict[str, set[str]] = {}
        for batch in chunked((p for p in phones if len(p) >= 7), LOOKUP):
            for phone, code in Customer.objects.alive().filter(among(Customer, "phone_normalized", batch)).values_list("phone_normalized", "code"):
                phone_owners.setdefault(phone, set()).add(code)
        referrers = {v["referrer"] for _r, v in parsed if v.get("referrer")}
        known_referrers: set[str] = set()
        visible = Customer.objects.visible_to(self.ctx.actor) if self.ctx.actor is not None else Customer.objects.alive()
        for batch in chunked(referrers, LOOKUP):
            known_referrers.update(visible.filter(among(Customer, "code", batch)).values_list("code", flat=True))

        for row, v in parsed:
            code = v["code"]
            if code and self.first_code.get(code) != row.line:
                row.error("code", _("The code %(code)s already appears on line %(line)d.") % {"code": code, "line": self.first_code[code]})
                continue
            old = existing.get(code)
            if old is not None and old["is_deleted"]:
                row.error("code", _("Customer %(code)s is in the recycle bin; an administrator must restore it before it can be imported.") % {"code": code})
                continue
            if old is not None and not self.ctx.may_manage_owner(old["owner_id"]):
                row.error("code", _("Customer %(code)s belongs to someone outside your teams; you may not change it.") % {"code": code})
                continue
            if old is not None and v["kind"] == Customer.Kind.PERSON and old["uscc"] and "uscc" not in v:
                row.error("kind", _("A person customer has no unified social credit code; add an empty uscc column to remove it."))
            if v.get("owner"):
                if v["owner"] not in self._owner_problems:
                    self._owner_problems[v["owner"]] = self._owner_problem(v["owner"])
                problem = self._owner_problems[v["owner"]]
                if problem:
                    row.error("owner", problem)
            uscc = v.get("uscc")
            if uscc:
                others = sorted(uscc_owners.get(uscc, set()) - {code})
                first_line, first_code = self.first_uscc.get(uscc, (row.line, code))
                if others:
                    row.error("uscc", _("Customer %(code)s already has this unified social credit code.") % {"code": others[0]})
                elif first_line != row.line and first_code != code:
                    row.error("uscc", _("Line %(line)d (customer %(code)s) has the same unified social credit code.") % {"line": first_line, "code": first_code})
            name = self.derive.normalized_name(v["name"] or "")
            name_warning = None
            if old is None and name:
                others = {c: u for c, u in name_owners.get(name, {}).items() if c != code}
                same = sorted(c for c, u in others.items() if not different_legal_entities(uscc, u))
                first_line, first_code, first_uscc = self.first_name.get(name, (row.line, code, ""))
                earlier = first_line < row.line and first_code != code
                if same:
                    row.error("name", _("Customer %(code)s already has this name.") % {"code": same[0]})
                elif earlier and not different_legal_entities(uscc, first_uscc):
                    row.error("name", _("Line %(line)d (customer %(code)s) has the same name.") % {"line": first_line, "code": first_code})
                elif others:
                    name_warning = _("Customer %(code)s has the same name but another unified social credit code, so this row is imported as a different company.") % {"code": min(others)}
                elif earlier:
                    name_warning = _("Line %(line)d (customer %(code)s) has the same name but another unified social credit code, so this row is imported as a different company.") % {"line": first_line, "code": first_code}
            referrer = v.get("referrer")
            if referrer and referrer != code and referrer not in known_referrers:
                if referrer in self.first_code:
                    self.in_file_referrers.append((row.line, referrer))
                else:
                    row.error("referrer", _("No customer with the code “%(value)s”.") % {"value": referrer})
            if row.bad:
                continue
            if name_warning:
                row.warning("name", name_warning)
            for column, reason in row.region_warnings:
                row.warning(column, reason)
            changes = {} if old is None else self._changes(old, v)
            phone = self.derive.normalized_phone(v.get("phone", ""))
            if len(phone) >= 7 and (old is None or "phone" in changes):
                others = sorted(phone_owners.get(phone, set()) - {code})
                first_line, first_code = self.first_phone.get(phone, (row.line, code))
                if others:
                    row.warning("phone", _("Customer %(code)s has the same phone; check that they are not the same customer.") % {"code": others[0]})
                elif first_line < row.line and first_code != code:
                    row.warning("phone", _("Line %(line)d (customer %(code)s) has the same phone; check that they are not the same customer.") % {"line": first_line, "code": first_code})
            row.action = CREATE if old is None else (UPDATE if changes else UNCHANGED)
            if row.action != UNCHANGED and not self.ctx.report.dry_run:
                self.prepared[row.line] = (v, changes if old is not None else None)

    def finish_check(self) -> None:
        """A referrer given by a row of this file must be a good row itself (cascading)."""
        changed = True
        while changed:
            changed = False
            for line, referrer in self.in_file_referrers:
                if self.is_bad(line):
                    continue
                target = self.first_code[referrer]
                if self.is_bad(target):
                    self.add_error(line, "referrer", _("The row of customer %(code)s (line %(line)d) has errors, so it cannot be the referrer.") % {"code": referrer, "line": target})
                    changed = True

    # --- pass 2 --------------------------------------------------------------------
    def _resolve_codes(self, codes) -> dict[str, int]:
        ids = {}
        for batch in chunked(set(codes), LOOKUP):
            ids.update(Customer.objects.filter(among(Customer, "code", batch)).values_list("code", "id"))
        return ids

    def write(self, rows: list[Row]) -> None:
        """Write rows read again from the file (the check pass must have judged them good)."""
        parsed = [self.parse(row) for row in rows]
        existing = self._existing([v["code"] for v in parsed])
        self.write_values([(v, self._changes(existing[v["code"]], v) if v["code"] in existing else None) for v in parsed])

    def write_values(self, items: list[tuple[dict, dict | None]]) -> None:
        """Write a batch of (parsed values, changes): changes None creates the customer."""
        ctx, now = self.ctx, self.ctx.now
        users = ctx.users()
        owner_id = lambda username: users[username]["id"] if username else None  # noqa: E731
        actor_id = ctx.actor.pk if ctx.actor is not None else None
        events: list[dict] = []

        # New customers (with created_at and referrers known before the insert).
        new = [v for v, changes in items if changes is None]
        created, later = [], []
        for v in new:
            c = {"code": v["code"], "kind": v["kind"], "stage": v.get("stage") or Customer.Stage.TARGET}
            for column in NEW_COLUMNS:
                if column in v:
                    c[column] = v[column]
            c["owner_id"] = owner = owner_id(v.get("owner"))
            c["stage_changed_at"] = now
            if owner is not None:
                c["owned_since"] = c["pool_clock_at"] = now
            else:
                c["returned_to_pool_at"] = now  # imported into the pool: it entered it now
            c.update(self.derive.customer_fields(v["name"], c.get("phone", "")))
            if v.get("created_at"):
                c["created_at"] = v["created_at"]
            created.append(c)
        ref_ids = self._resolve_codes(v["referrer"] for v, _c in items if v.get("referrer"))
        new_codes = {v["code"] for v in new}
        for c, v in zip(created, new):
            if v.get("referrer"):
                if v["referrer"] in ref_ids:
                    c["referrer_customer_id"] = ref_ids[v["referrer"]]
                elif v["referrer"] in new_codes:
                    later.append((c, v["referrer"]))
                else:
                    self.deferred_referrers.append((c["code"], v["referrer"]))
        insert_values(Customer, created)
        ids = self._resolve_codes(c["code"] for c in created)
        for c in created:
            c["id"] = ids[c["code"]]
        if self._search_index is not None:
            self._search_index.add(ids.values())
        # Referrers to rows of this batch, now that they exist.
        update_rows(Customer, [Customer(pk=c["id"], referrer_customer_id=ids[referrer]) for c, referrer in later], ["referrer_customer"])
        ref_ids.update(ids)
        new_profiles_company = [{"customer_id": c["id"]} for c in created if c["kind"] == Customer.Kind.COMPANY]
        new_profiles_person = [{"customer_id": c["id"]} for c in created if c["kind"] == Customer.Kind.PERSON]
        stage_changes = [
            {"customer_id": c["id"], "from_stage": "", "to_stage": c["stage"], "at": now, "user_id": actor_id} for c in created
        ]
        verb = AuditEvent.Verb.IMPORT
        for c, v in zip(created, new):
            events.append({
                "actor_id": actor_id, "verb": verb, "object_type": "customer", "object_id": c["id"],
                "object_label": f"{c['name']} ({c['code']})"[:255], "customer_id": c["id"],
                "changes": {k: [None, val if type(val) is str else plain(val)] for k, val in v.items() if val not in ("", None)},
                "note": self.file,
            })

        # Changed customers.
        changed = {v["code"]: (v, changes) for v, changes in items if changes}
        instances = {}
        for batch in chunked(list(changed), LOOKUP):
            for c in Customer.objects.filter(among(Customer, "code", batch)).only(*LOADED):
                instances[c.code] = c
        fields: set[str] = set()
        kind_changed = []
        for code, (v, changes) in changed.items():
            c = instances[code]
            for column, (_old, new_value) in changes.items():
                fields.add(FIELD.get(column, column))
                fields.update(ALSO.get(column, []))
                if column == "owner":
                    old_owner = c.owner_id
                    c.owner_id = owner_id(new_value)
                    c.return_warned_at = None
                    if old_owner is not None:
                        c.previous_owner_id = old_owner
                    if c.owner_id is None:
                        c.returned_to_pool_at = now
                        c.owned_since = c.pool_clock_at = None
                    else:
                        c.owned_since = c.pool_clock_at = now
                elif column == "referrer":
                    if not new_value:
                        c.referrer_customer_id = None
                    elif new_value in ref_ids:
                        c.referrer_customer_id = ref_ids[new_value]
                    else:
                        self.deferred_referrers.append((code, new_value))
                elif column == "stage":
                    stage_changes.append({"customer_id": c.pk, "from_stage": c.stage, "to_stage": new_value, "at": now, "user_id": actor_id})
                    c.stage = new_value
                    c.stage_changed_at = now
                else:
                    setattr(c, column, new_value)
                    if column == "kind":
                        kind_changed.append(c)
            if "name" in changes or "phone" in changes:
                customer_derive_fields(c)
            c.updated_at = now
            events.append({
                "actor_id": actor_id, "verb": verb, "object_type": "customer", "object_id": c.pk,
                "object_label": str(c)[:255], "customer_id": c.pk,
                "changes": {k: [plain(a), plain(b)] for k, (a, b) in changes.items()}, "note": self.file,
            })
        if changed:
            update_rows(Customer, [instances[code] for code in changed], sorted(fields | {"updated_at"}))
        if kind_changed:
            ids = [c.pk for c in kind_changed]
            has_company = set(CompanyProfile.objects.filter(among(CompanyProfile, "customer", ids)).values_list("customer_id", flat=True))
            has_person = set(PersonProfile.objects.filter(among(PersonProfile, "customer", ids)).values_list("customer_id", flat=True))
            new_profiles_company += [{"customer_id": c.pk} for c in kind_changed
                                     if c.kind == Customer.Kind.COMPANY and c.pk not in has_company]
            new_profiles_person += [{"customer_id": c.pk} for c in kind_changed
                                    if c.kind == Customer.Kind.PERSON and c.pk not in has_person]
        insert_values(CompanyProfile, new_profiles_company)
        insert_values(PersonProfile, new_profiles_person)
        insert_values(AuditEvent, events)
        insert_values(CustomerStageChange, stage_changes)
        # The stage-entry summary (kehu.customers.summaries): the new customers' one row each, and
        # the changed ones whose owner or stage this import wrote recomputed.
        # What summaries.stage_months_add_new writes for them (every one's change is at `now`: its
        # month is worked out once), as values rather than model instances.
        month = month_of(now)
        if month is not None:
            insert_values(CustomerStageMonth, [
                {"customer_id": c["id"], "owner_id": c["owner_id"], "stage": c["stage"], "month": month, "previous": None}
                for c in created
            ])
        moved = [instances[code].pk for code, (_v, changes) in changed.items() if "owner" in changes or "stage" in changes]
        if moved:
            stage_months_refresh(customer_ids=moved)

    def finish_write(self) -> None:
        """Referrers that are rows further down the file, now that every row is written."""
        if not self.deferred_referrers:
            return
        ids = self._resolve_codes([c for c, _r in self.deferred_referrers] + [r for _c, r in self.deferred_referrers])
        updates = [Customer(pk=ids[code], referrer_customer_id=ids[ref]) for code, ref in self.deferred_referrers]
        update_rows(Customer, updates, ["referrer_customer"])
