"""opportunities.csv: ★code, ★customer, ★owner, ★title, ★stage, probability, ★amount,
expected_close, forecast_category, buying_factor, created_at, closed_at, lost_reason.

Rules where DATASET.md is silent (docs in the module, tests in kehu/sales/tests):
- `stage` is a stage code or its name (Chinese or English) from the stage settings; the usual
  Chinese names 初次联系 需求确认 方案提交 商务谈判 签约/赢单 输单 also work.
- An empty probability is the stage's default (stored empty). A closed stage always takes its
  own probability (100 % / 0 %): a value given for it is ignored.
- An empty forecast category is the stage's default; a closed stage is `closed` (won) or
  `omitted` (lost), whatever the file says.
- A lost opportunity without a lost reason is imported with a warning (old systems seldom
  kept one). closed_at on an open stage is ignored with a warning. A closed stage without
  closed_at closes on the date of created_at (or of the import).
- A new opportunity gets one stage change, to its stage, at created_at (or the import time),
  by nobody; an imported change of stage on an existing one is recorded at the import time
  by the importing user. created_at left empty keeps the stored time.
- The owner is a user who may sell (not finance); the customer one the importer may change.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.dataset.importers.base import CREATE, CodedImporter, Importer, Row, UNCHANGED, UPDATE, chunked, insert_rows, plain, update_rows
from kehu.dataset.importers.customers import parse_code
from kehu.dataset.values import CellError, Choices, _key, parse_date, parse_datetime, parse_int, parse_money, parse_text
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange

STAGE_ALIASES = {
    "初次联系": "first_contact", "初步接触": "first_contact", "需求确认": "needs_confirmed", "方案提交": "proposal",
    "方案报价": "proposal", "商务谈判": "negotiation", "谈判": "negotiation", "签约": "won", "赢单": "won",
    "签约/赢单": "won", "成交": "won", "输单": "lost", "丢单": "lost",
}
FORECAST = Choices(
    Opportunity.ForecastCategory.values, labels=Opportunity.ForecastCategory.choices,
    aliases={"管道": "pipeline", "乐观": "best_case", "承诺": "commit", "已关闭": "closed", "忽略": "omitted"},
)
BUYING_FACTOR = Choices(
    Opportunity.BuyingFactor.values, labels=Opportunity.BuyingFactor.choices,
    aliases={"价值": "value", "价格": "price", "关系": "relationship", "创新": "innovation"},
)


class StageChoices:
    """The stages of the settings, by code, Chinese or English name, or a usual Chinese name."""

    def __init__(self):
        self.stages = {s.id: s for s in OpportunityStage.objects.all()}
        by_code = {s.code: s for s in self.stages.values()}
        self.map = {}
        for s in self.stages.values():
            for name in (s.code, s.name, s.name_en):
                if name:
                    self.map.setdefault(_key(name), s)
        for alias, code in STAGE_ALIASES.items():
            if code in by_code:
                self.map.setdefault(_key(alias), by_code[code])

    def parse(self, value: str) -> OpportunityStage:
        stage = self.map.get(_key(value))
        if stage is None:
            codes = ", ".join(s.code for s in sorted(self.stages.values(), key=lambda s: s.position))
            raise CellError(_("Unknown value “%(value)s”; use one of: %(choices)s.") % {"value": value, "choices": codes})
        return stage


def customer_ids(codes) -> dict[str, tuple[int, int | None]]:
    """{code: (id, owner id)} of the live customers with these codes."""
    found = {}
    for batch in chunked(set(codes)):
        for code, pk, owner_id in Customer.objects.alive().filter(code__in=batch).values_list("code", "id", "owner_id"):
            found[code] = (pk, owner_id)
    return found


def check_customer(importer: Importer, row: Row, code: str, owners: dict) -> None:
    """The customer must be in Kehu (and one the importer may change) or a good row of customers.csv."""
    if code and code not in importer.ctx.planned.get("customers.csv", set()):
        if code not in owners or not importer.ctx.may_manage_owner(owners[code]):
            row.error("customer", _("No customer with the code “%(value)s”.") % {"value": code})


def seller_problem(ctx, username: str) -> str | None:
    """Why `username` cannot own a sale (None: they can)."""
    user = ctx.users().get(username)
    role = ctx.user_roles.get(username) or (user or {}).get("role")
    if user is None and username not in ctx.planned.get("users.csv", ()):
        return _("No user with the username “%(value)s”.") % {"value": username}
    if role == User.Role.FINANCE:
        return _("User %(value)s works in finance and cannot own sales.") % {"value": username}
    if user is not None and not ctx.may_manage_owner(user["id"]):
        return _("User %(value)s is not in a team you manage.") % {"value": username}
    return None


def check_owned_row(importer, row: Row, v: dict, *, owners: dict, existing: dict, sellers: dict, refusal: str):
    """What opportunities and orders check alike on each row: the code once in the file, the
    customer, the owner (memoised in `sellers` per username), and that an existing record with
    this code belongs to a customer the importing user may change (`refusal`, with %(code)s).
    Returns the existing record's values, or None for a new code."""
    code = v["code"]
    importer.check_code_once(row, code)
    check_customer(importer, row, v["customer"], owners)
    if v["owner"]:
        if v["owner"] not in sellers:
            sellers[v["owner"]] = seller_problem(importer.ctx, v["owner"])
        if sellers[v["owner"]]:
            row.error("owner", sellers[v["owner"]])
    old = existing.get(code)
    if old is not None and not importer.ctx.may_manage_owner(old["customer__owner_id"]):
        row.error("code", refusal % {"code": code})
    return old


def event(actor_id, verb_obj_type: str, pk: int, label: str, customer_id: int, changes: dict, note: str) -> AuditEvent:
    return AuditEvent(
        actor_id=actor_id, verb=AuditEvent.Verb.IMPORT, object_type=verb_obj_type, object_id=pk, object_label=label[:255],
        customer_id=customer_id, changes={k: [plain(a), plain(b)] for k, (a, b) in changes.items()}, note=note,
    )


FIELDS = ["customer_id", "owner_id", "title", "stage_id", "probability", "amount", "expected_close_on",
          "forecast_category", "buying_factor", "closed_on", "lost_reason", "created_at"]


class OpportunityImporter(CodedImporter):
    file = "opportunities.csv"
    columns = ["code", "customer", "owner", "title", "stage", "probability", "amount", "expected_close",
               "forecast_category", "buying_factor", "created_at", "closed_at", "lost_reason"]
    required = ["code", "customer", "owner", "title", "stage", "amount"]

    def __init__(self, ctx, table):
        super().__init__(ctx, table)
        self.stages = StageChoices()

    def parse(self, row: Row) -> dict:
        stage = row.parse("stage", self.stages.parse)
        v = {
            "code": row.parse("code", parse_code),
            "customer": row.get("customer"),
            "owner": row.get("owner"),
            "title": row.parse("title", parse_text, max_length=200),
            "stage": stage,
            "probability": row.parse("probability", parse_int, low=0, high=100),
            "amount": row.parse("amount", parse_money),
            "expected_close_on": row.parse("expected_close", parse_date),
            "forecast_category": row.parse("forecast_category", FORECAST.parse) or "",
            "buying_factor": row.parse("buying_factor", BUYING_FACTOR.parse) or "",
            "created_at": row.parse("created_at", parse_datetime),
            "closed_on": row.parse("closed_at", parse_date),
            "lost_reason": row.get("lost_reason"),
        }
        if stage is None:
            return v
        if stage.is_closed:
            v["probability"] = None
            v["forecast_category"] = Opportunity.ForecastCategory.CLOSED if stage.is_won else Opportunity.ForecastCategory.OMITTED
            if v["closed_on"] is None:
                v["closed_on"] = timezone.localdate(v["created_at"] or self.ctx.now)
            if stage.is_won:
                v["lost_reason"] = ""
            elif not v["lost_reason"]:
                row.warning("lost_reason", _("A lost opportunity has no lost reason."))
        else:
            if v["closed_on"] is not None:
                row.warning("closed_at", _("The opportunity is open; its closing date was ignored."))
                v["closed_on"] = None
            v["forecast_category"] = v["forecast_category"] or stage.forecast_category
            if v["lost_reason"]:
                row.warning("lost_reason", _("The opportunity is open; its lost reason was ignored."))
                v["lost_reason"] = ""
        return v

    def _existing(self, codes) -> dict[str, dict]:
        found = {}
        for batch in chunked(set(codes)):
            for o in Opportunity.objects.filter(code__in=batch).values("id", "code", "customer__owner_id", "buying_factor_second", *FIELDS):
                found[o["code"]] = o
        return found

    @staticmethod
    def _values(v: dict, customer_id, owner_id) -> dict:
        values = {
            "customer_id": customer_id, "owner_id": owner_id, "title": v["title"], "stage_id": v["stage"].id,
            "probability": v["probability"], "amount": v["amount"], "expected_close_on": v["expected_close_on"],
            "forecast_category": v["forecast_category"], "buying_factor": v["buying_factor"], "closed_on": v["closed_on"],
            "lost_reason": v["lost_reason"],
        }
        if v["created_at"] is not None:
            values["created_at"] = v["created_at"]
        return values

    @staticmethod
    def _keep_ranked(old: dict, values: dict) -> dict:
        """The file has the first buying factor only: the second (set in Kehu) stays, unless the
        file's first is now blank or the same factor — then the second is cleared (the pair's rule)."""
        second = old.get("buying_factor_second") or ""
        if second and values["buying_factor"] in ("", second):
            return {**values, "buying_factor_second": ""}
        return values

    @staticmethod
    def _changes(old: dict, values: dict) -> dict:
        return {k: [old[k], new] for k, new in values.items() if old[k] != new}

    def check(self, rows: list[Row]) -> None:
        parsed = [(row, self.parse(row)) for row in rows]
        customers = customer_ids(v["customer"] for _r, v in parsed if v["customer"])
        owners = {code: owner_id for code, (_pk, owner_id) in customers.items()}
        existing = self._existing(v["code"] for _r, v in parsed if v["code"])
        users = self.ctx.users()
        checked: dict[str, str | None] = {}
        for row, v in parsed:
            code = v["code"]
            old = check_owned_row(
                self, row, v, owners=owners, existing=existing, sellers=checked,
                refusal=_("The code %(code)s belongs to an opportunity of a customer you may not change."),
            )
            if row.bad:
                continue
            if old is None:
                row.action = CREATE
                continue
            cid = customers.get(v["customer"], (None, None))[0]
            uid = (users.get(v["owner"]) or {}).get("id")
            values = self._keep_ranked(old, self._values(v, cid, uid))
            row.action = UPDATE if self._changes(old, values) else UNCHANGED

    def write(self, rows: list[Row]) -> None:
        now = self.ctx.now
        actor_id = self.ctx.actor.pk if self.ctx.actor is not None else None
        parsed = [self.parse(row) for row in rows]
        customers = customer_ids(v["customer"] for v in parsed)
        users = self.ctx.users()
        existing = self._existing(v["code"] for v in parsed)
        created, updated, changes_of, events, stage_changes = [], [], [], [], []
        fields: set[str] = set()
        for v in parsed:
            cid = customers[v["customer"]][0]
            values = self._values(v, cid, users[v["owner"]]["id"])
            old = existing.get(v["code"])
            if old is None:
                created.append((Opportunity(code=v["code"], updated_at=now, **{"created_at": now, **values}), v))
                continue
            values = self._keep_ranked(old, values)
            changes = self._changes(old, values)
            fields.update(changes)
            opp = Opportunity(id=old["id"], code=v["code"], updated_at=now, **{"created_at": old["created_at"], **values})
            updated.append(opp)
            events.append(event(actor_id, "opportunity", old["id"], f"{v['title']} ({v['code']})", cid, changes, self.file))
            if old["stage_id"] != values["stage_id"]:
                stage_changes.append(OpportunityStageChange(
                    opportunity_id=old["id"], from_stage_id=old["stage_id"], to_stage_id=values["stage_id"], at=now, user_id=actor_id,
                ))
        insert_rows(Opportunity, [o for o, _v in created])
        if updated:
            update_rows(Opportunity, updated, sorted(fields | {"updated_at", "customer_id", "owner_id"}))
        if created:
            ids = {}
            for batch in chunked([o.code for o, _v in created]):
                ids.update(Opportunity.objects.filter(code__in=batch).values_list("code", "id"))
            for opp, v in created:
                pk = ids[opp.code]
                stage_changes.append(OpportunityStageChange(opportunity_id=pk, from_stage=None, to_stage_id=opp.stage_id, at=opp.created_at, user=None))
                events.append(event(actor_id, "opportunity", pk, str(opp), opp.customer_id,
                                    {k: [None, plain(getattr(opp, k))] for k in ("title", "amount", "stage_id")}, self.file))
        insert_rows(OpportunityStageChange, stage_changes)
        insert_rows(AuditEvent, events)
