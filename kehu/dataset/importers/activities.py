"""activities.csv: ★customer, contact (name), ★owner, ★type, visit_level, ★at, summary, next_due.

Each row is one logged follow-up (跟进记录): `owner` is who did it, `at` when. A row is
matched to an activity already in Kehu by **customer + owner + at + type** (the same person
cannot have done the same kind of follow-up with the same customer at the same minute
twice), so importing a file again changes nothing, and a corrected summary, contact or visit
level updates the activity. A different owner, time or type is a different activity.

- The customer is one already in Kehu that the importer may change, or a good row of
  customers.csv in the same import; the contact, when given, one of its contacts by name
  (in Kehu or in contacts.csv of the same import).
- The owner is a user who may log follow-ups (not finance); a manager imports only
  activities of the people of the teams they manage.
- A visit needs its level and other types have none; `at` cannot be in the future.
- `next_due` plans the next follow-up: an open planned follow-up of the same type, owned by
  the customer's owner. It is not created when the customer is in the public pool, nor when
  the date has passed and the customer has a later activity (in Kehu or in the file): that
  step was taken. Importing the row again moves an open planned follow-up it created to a
  new date; it never reopens a closed one, and an empty next_due leaves it alone.
- The customers' last follow-up and pool clock move forward to their latest imported
  activity, as logging one by hand does (in bulk, one statement per 1,000 customers).
"""

from datetime import timedelta

from django.db.models import Case, CharField, F, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.activities.models import Activity
from kehu.activities.summaries import activity_months_refresh, month_of
from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.dataset.importers.base import CREATE, UNCHANGED, UPDATE, Importer, Row, chunked, insert_rows, plain, update_rows
from kehu.dataset.values import CellError, Choices, parse_date, parse_datetime, parse_text

CLOCK_SKEW = timedelta(minutes=5)
# A contact in the recycle bin is not named (as in the export).
LIVE_CONTACT_NAME = Case(When(contact__is_deleted=False, then=F("contact__name")), default=Value(""), output_field=CharField())

KIND = Choices(
    Activity.Kind.values,
    labels=Activity.Kind.choices,
    aliases={
        "电话": "phone", "打电话": "phone", "致电": "phone", "来电": "phone",
        "拜访": "visit", "上门拜访": "visit", "上门": "visit", "走访": "visit", "面访": "visit", "实地拜访": "visit",
        "会议": "meeting", "开会": "meeting", "会面": "meeting", "视频会议": "meeting",
        "邮件": "email", "电子邮件": "email", "电邮": "email", "e_mail": "email",
        "微信": "wechat", "企业微信": "wechat", "qq": "wechat", "即时通讯": "wechat", "im": "wechat",
        "其他": "other", "其它": "other",
    },
)

VISIT_LEVEL = Choices(
    Activity.VisitLevel.values,
    labels=Activity.VisitLevel.choices,
    aliases={
        "领导层": "leadership", "领导": "leadership", "高层": "leadership", "决策层": "leadership",
        "技术层": "technical", "技术": "technical",
        "业务层": "business", "业务": "business",
    },
)


def _key(customer: str, owner: str, at, kind: str) -> tuple:
    return (customer, owner, at, kind)


class ActivityImporter(Importer):
    file = "activities.csv"
    columns = ["customer", "contact", "owner", "type", "visit_level", "at", "summary", "next_due"]
    required = ["customer", "owner", "type", "at"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.first_key: dict[tuple, int] = {}
        self.latest: dict[str, object] = {}  # customer code -> its latest `at` among the good rows
        self.summary_cells: set[tuple[int, object]] = set()  # (owner id, month) written

    # --- pass 0 ----------------------------------------------------------------------
    def scan(self, row: Row) -> None:
        try:
            at = parse_datetime(row.get("at")) if row.get("at") else None
            kind = KIND.parse(row.get("type")) if row.get("type") else None
        except CellError:
            return
        if at is None or kind is None:
            return
        self.first_key.setdefault(_key(row.get("customer"), row.get("owner"), at, kind), row.line)

    # --- parsing (pure: the same in both passes) ---------------------------------------
    def parse(self, row: Row) -> dict:
        v = {
            "customer": row.get("customer"),
            "owner": row.get("owner"),
            "type": row.parse("type", KIND.parse),
            "at": row.parse("at", parse_datetime),
        }
        for column in self.header_set:
            if column in v:
                continue
            if column == "contact":
                v[column] = row.parse(column, parse_text, max_length=100) or ""
            elif column == "visit_level":
                v[column] = row.parse(column, VISIT_LEVEL.parse) or ""
            elif column == "summary":
                v[column] = row.parse(column, parse_text, max_length=10000) or ""
            elif column == "next_due":
                v[column] = row.parse(column, parse_date)
        if v["type"] == Activity.Kind.VISIT and not v.get("visit_level") and not row.bad:
            row.error("visit_level", _("A visit needs its level: leadership, technical or business."))
        elif v["type"] and v["type"] != Activity.Kind.VISIT and v.get("visit_level"):
            row.error("visit_level", _("Only visits have a level; leave it empty for other types."))
        if v["at"] is not None and v["at"] > self.ctx.now + CLOCK_SKEW:
            row.error("at", _("A follow-up is logged after it happened; the time cannot be in the future."))
        return v

    def _existing(self, parsed: list[dict]) -> dict[tuple, dict]:
        """Logged activities with the keys of `parsed`, with their contact and next due date."""
        codes = {v["customer"] for v in parsed if v["customer"]}
        moments = {v["at"] for v in parsed if v["at"] is not None}
        found: dict[tuple, dict] = {}
        if not codes or not moments:
            return found
        plan = Activity.objects.filter(planned_by=OuterRef("pk")).order_by("id")
        for batch in chunked(codes):
            for at_batch in chunked(moments):
                qs = Activity.objects.filter(
                    customer__code__in=batch, at__in=at_batch, status=Activity.Status.DONE,
                ).values(
                    "id", "customer_id", "at", "kind", "visit_level", "summary", "contact_id",
                    code=F("customer__code"), username=F("owner__username"), contact_name=LIVE_CONTACT_NAME,
                    plan_id=Subquery(plan.values("id")[:1]), plan_due=Subquery(plan.values("due_on")[:1]),
                    plan_status=Subquery(plan.values("status")[:1]),
                )
                for a in qs:
                    found.setdefault(_key(a["code"], a["username"], a["at"], a["kind"]), a)
        return found

    @staticmethod
    def _changes(old: dict, v: dict, *, may_plan: bool) -> dict:
        """{column: [old, new]}; `may_plan`: whether a missing next step would be planned now."""
        changes = {}
        if "contact" in v and (old["contact_name"] or "") != v["contact"]:
            changes["contact"] = [old["contact_name"] or "", v["contact"]]
        for column in ("visit_level", "summary"):
            if column in v and old[column] != v[column]:
                changes[column] = [old[column], v[column]]
        new_due = v.get("next_due")
        if new_due is not None and old["plan_due"] != new_due:
            if old["plan_status"] == Activity.Status.PLANNED or (old["plan_status"] is None and may_plan):
                changes["next_due"] = [old["plan_due"], new_due]
        return changes

    # --- pass 1 ----------------------------------------------------------------------
    def _owner_problem(self, username: str) -> str | None:
        user = self.ctx.users().get(username)
        role = self.ctx.user_roles.get(username) or (user or {}).get("role")
        if user is None and username not in self.ctx.planned.get("users.csv", ()):
            return _("No user with the username “%(value)s”.") % {"value": username}
        if role == User.Role.FINANCE:
            return _("User %(value)s works in finance and does not log follow-ups.") % {"value": username}
        if user is not None and not self.ctx.may_manage_owner(user["id"]):
            return _("User %(value)s is not in a team you manage.") % {"value": username}
        return None

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        codes = {v["customer"] for _r, v in parsed if v["customer"]}
        customers, last_followups = {}, {}
        for batch in chunked(codes):
            for code, owner_id, last in Customer.objects.alive().filter(code__in=batch).values_list("code", "owner_id", "last_followup_at"):
                customers[code] = owner_id
                last_followups[code] = last
        planned_customers = self.ctx.planned.get("customers.csv", set())
        planned_contacts = self.ctx.planned.get("contacts.csv", set())
        contacts = set()
        wanted = {v["customer"] for _r, v in parsed if v.get("contact")}
        for batch in chunked(wanted):
            contacts.update(Contact.objects.filter(customer__code__in=batch, is_deleted=False).values_list("customer__code", "name"))
        existing = self._existing([v for _r, v in parsed])
        owners_checked: dict[str, str | None] = {}
        for row, v in parsed:
            code = v["customer"]
            if code and code not in planned_customers:
                if code not in customers or not self.ctx.may_manage_owner(customers[code]):
                    row.error("customer", _("No customer with the code “%(value)s”.") % {"value": code})
            if v["owner"]:
                if v["owner"] not in owners_checked:
                    owners_checked[v["owner"]] = self._owner_problem(v["owner"])
                if owners_checked[v["owner"]]:
                    row.error("owner", owners_checked[v["owner"]])
            contact = v.get("contact")
            if contact and code and (code, contact) not in contacts and (code, contact) not in planned_contacts:
                row.error("contact", _("Customer %(code)s has no contact named %(name)s.") % {"code": code, "name": contact})
            if row.bad:
                continue
            key = _key(code, v["owner"], v["at"], v["type"])
            first = self.first_key.get(key)
            if first is not None and first != row.line:
                row.error("at", _("Line %(line)d is the same follow-up (customer, owner, time and type).") % {"line": first})
                continue
            if code not in self.latest or v["at"] > self.latest[code]:
                self.latest[code] = v["at"]
            old = existing.get(key)
            if old is None:
                row.action = CREATE
                continue
            may_plan = customers.get(code) is not None and not self._superseded(v, last_followups.get(code))
            row.action = UPDATE if self._changes(old, v, may_plan=may_plan) else UNCHANGED

    # --- pass 2 ----------------------------------------------------------------------
    def _superseded(self, v: dict, latest_in_kehu) -> bool:
        """A next step whose date has passed, planned before a later activity: it was taken."""
        due = v.get("next_due")
        if due is None or due >= timezone.localdate(self.ctx.now):
            return False
        later = [t for t in (self.latest.get(v["customer"]), latest_in_kehu) if t is not None]
        return bool(later) and max(later) > v["at"]

    def write(self, rows: list[Row]) -> None:
        ctx, now = self.ctx, self.ctx.now
        actor_id = ctx.actor.pk if ctx.actor is not None else None
        parsed = [self.parse(row) for row in rows]
        codes = {v["customer"] for v in parsed}
        customers: dict[str, Customer] = {}
        for batch in chunked(codes):
            for c in Customer.objects.filter(code__in=batch).only(
                "id", "code", "owner_id", "last_followup_at", "pool_clock_at", "owned_since", "created_at", "return_warned_at",
            ):
                customers[c.code] = c
        users = ctx.users()
        contact_ids: dict[tuple[int, str], int] = {}
        ids = [c.pk for c in customers.values()]
        for batch in chunked(ids):
            for pk, customer_id, name in Contact.objects.filter(customer_id__in=batch, is_deleted=False).order_by("-id").values_list("id", "customer_id", "name"):
                contact_ids[(customer_id, name)] = pk  # the oldest contact of that name wins
        existing = self._existing(parsed)
        latest_in_kehu = {code: c.last_followup_at for code, c in customers.items()}

        created, updates, plan_moves, events = [], [], [], []
        update_fields: set[str] = set()
        for v in parsed:
            customer = customers[v["customer"]]
            contact_id = contact_ids.get((customer.pk, v["contact"])) if v.get("contact") else None
            old = existing.get(_key(v["customer"], v["owner"], v["at"], v["type"]))
            if old is None:
                created.append((Activity(
                    customer_id=customer.pk, contact_id=contact_id, owner_id=users[v["owner"]]["id"], created_by_id=actor_id,
                    kind=v["type"], visit_level=v.get("visit_level", ""), status=Activity.Status.DONE, at=v["at"],
                    summary=v.get("summary", ""),
                ), v))
                continue
            may_plan = customer.owner_id is not None and not self._superseded(v, latest_in_kehu.get(v["customer"]))
            changes = self._changes(old, v, may_plan=may_plan)
            activity = Activity(
                id=old["id"], contact_id=contact_id if "contact" in v else old["contact_id"],
                visit_level=v.get("visit_level", old["visit_level"]), summary=v.get("summary", old["summary"]), updated_at=now,
            )
            update_fields.update(k for k in changes if k != "next_due")
            updates.append(activity)
            if "next_due" in changes:
                if old["plan_id"] is not None:
                    plan_moves.append(Activity(id=old["plan_id"], due_on=v["next_due"], updated_at=now))
                else:
                    created.append((None, {**v, "_plan_for": old["id"], "_contact": activity.contact_id}))
            events.append(self._event(actor_id, old["id"], customer.pk, v, {k: [plain(a), plain(b)] for k, (a, b) in changes.items()}))

        new_activities = [a for a, _v in created if a is not None]
        insert_rows(Activity, new_activities)
        new_ids = self._ids_of(new_activities)
        plans = []
        for activity, v in created:
            customer = customers[v["customer"]]
            if activity is None:  # a next step for an activity already in Kehu
                plans.append(self._plan(v, customer, v["_plan_for"], v["_contact"], actor_id))
                continue
            pk = new_ids[(activity.customer_id, activity.owner_id, activity.at, activity.kind)]
            due = v.get("next_due")
            if due is not None and customer.owner_id is not None and not self._superseded(v, latest_in_kehu.get(v["customer"])):
                plans.append(self._plan(v, customer, pk, activity.contact_id, actor_id))
            events.append(self._event(actor_id, pk, customer.pk, v, {
                k: [None, plain(val)] for k, val in v.items() if val not in ("", None) and k not in ("customer",)
            }))
        if update_fields:
            update_rows(Activity, updates, sorted(update_fields | {"updated_at"}))
        update_rows(Activity, plan_moves, ["due_on", "updated_at"])
        insert_rows(Activity, plans)
        insert_rows(AuditEvent, events)
        self._move_clocks(parsed, customers)
        self.summary_cells.update((users[v["owner"]]["id"], month_of(v["at"])) for v in parsed)  # refresh skips a None month

    def finish_write(self) -> None:
        """The follow-up summary of every (owner, month) the file touched, once, in bulk (in the
        import's transaction)."""
        super().finish_write()
        activity_months_refresh(cells=self.summary_cells)

    def _plan(self, v: dict, customer: Customer, planned_by: int, contact_id, actor_id) -> Activity:
        return Activity(
            customer_id=customer.pk, contact_id=contact_id, owner_id=customer.owner_id, created_by_id=actor_id,
            kind=v["type"], status=Activity.Status.PLANNED, due_on=v["next_due"], planned_by_id=planned_by,
        )

    def _event(self, actor_id, pk, customer_id, v, changes) -> AuditEvent:
        label = f"{dict(Activity.Kind.choices)[v['type']]} {timezone.localtime(v['at']):%Y-%m-%d %H:%M}"
        return AuditEvent(
            actor_id=actor_id, verb=AuditEvent.Verb.IMPORT, object_type="activity", object_id=pk, object_label=label[:255],
            customer_id=customer_id, changes=changes, note=self.file,
        )

    @staticmethod
    def _ids_of(activities: list[Activity]) -> dict[tuple, int]:
        """The ids of just-inserted activities by (customer, owner, at, kind)."""
        ids: dict[tuple, int] = {}
        customer_ids = {a.customer_id for a in activities}
        moments = {a.at for a in activities}
        for batch in chunked(customer_ids):
            for at_batch in chunked(moments):
                rows = Activity.objects.filter(customer_id__in=batch, at__in=at_batch, status=Activity.Status.DONE).values_list(
                    "id", "customer_id", "owner_id", "at", "kind",
                )
                for pk, customer_id, owner_id, at, kind in rows:
                    key = (customer_id, owner_id, at, kind)
                    ids[key] = max(pk, ids.get(key, 0))
        return ids

    @staticmethod
    def _move_clocks(parsed: list[dict], customers: dict[str, Customer]) -> None:
        """Each customer's last follow-up and pool clock move forward to its latest activity here."""
        latest: dict[str, object] = {}
        for v in parsed:
            if v["customer"] not in latest or v["at"] > latest[v["customer"]]:
                latest[v["customer"]] = v["at"]
        changed = []
        for code, at in latest.items():
            c = customers[code]
            moved = False
            if c.last_followup_at is None or at > c.last_followup_at:
                c.last_followup_at = at
                moved = True
            clock = c.pool_clock_at or c.owned_since or c.created_at
            if c.owner_id is not None and at > clock:
                c.pool_clock_at = at
                c.return_warned_at = None
                moved = True
            if moved:
                c.updated_at = timezone.now()
                changed.append(c)
        update_rows(Customer, changed, ["last_followup_at", "pool_clock_at", "return_warned_at", "updated_at"])

