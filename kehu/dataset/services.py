"""Importing a Kehu dataset (DATASET.md). The `kehu import` command, the upload page and
`kehu demo` all call `dataset_import`."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import permissions
from kehu.core.db import refresh_statistics
from kehu.sales.summaries import revenue_months_refresh
from kehu.core.models import AuditEvent
from kehu.dataset.demo_targets import _demo_targets
from kehu.dataset.demo_anomaly import demo_anomaly
from kehu.dataset.demo_factors import demo_factors
from kehu.dataset.demo_forecasts import demo_forecasts
from kehu.dataset.demo_wallet import demo_wallet
from kehu.dataset.files import DATASET_FILES, Dataset, DatasetError, open_dataset
from kehu.dataset.importers import REGISTRY, importers_in_order
from kehu.dataset.importers.base import ImportContext, ImportReport, Issue
from kehu.dataset.models import DatasetImport

# SQLite's page cache during an import, in KiB (pages are allocated only as they are used).
IMPORT_CACHE_KIB = 256 * 1024


def dataset_import(
    *, actor, path=None, dataset: Dataset | None = None, dry_run: bool = False, skip_bad: bool = False, now=None,
    progress=None,
) -> ImportReport:
    """Check every row of the dataset at `path`, then write it in one transaction.

    `actor` None is the system (an import run from the command line without --user) and
    imports as an administrator. With any bad row nothing is written, unless `skip_bad`;
    with `dry_run` nothing is ever written and the report says what would change.
    Raises DatasetError when the dataset cannot be read at all, PermissionDenied when the
    actor may not import. `progress(file, phase, done, total)`, when given, is called as
    each file is checked ("check") and written ("write"), counted in rows.
    """
    if actor is not None and not permissions.can_import(actor):
        raise PermissionDenied
    if dataset is None:
        dataset = open_dataset(path)
    report = ImportReport(dry_run=dry_run, skip_bad=skip_bad)
    ctx = ImportContext(actor=actor, now=now or timezone.now(), report=report, progress=progress)
    for name in dataset.ignored:
        report.notices.append(Issue(name, None, "", _("Not a file of the Kehu format; ignored.")))
    report.notices.extend(getattr(dataset, "notices", ()))  # a firm's own file: its mapping's notices (mapping.py)
    for name in DATASET_FILES:
        if name in dataset.tables and name not in REGISTRY:
            report.notices.append(Issue(name, None, "", _("This file is not imported yet by this version of Kehu; it was skipped.")))
    importers = [cls(ctx, dataset.tables[cls.file]) for cls in importers_in_order() if cls.file in dataset.tables]
    if not importers and not report.notices:
        raise DatasetError(_("The dataset has none of the files Kehu imports."))

    if dry_run:
        for importer in importers:
            importer.run_check()
        return report
    try:
        with _large_cache(), transaction.atomic():
            for importer in importers:
                importer.run_check()
            if (report.errors and not skip_bad) or not report.total_changes:
                return _nothing_written(report)
            for importer in importers:
                importer.run_write()
            if ctx.revenue_customers:
                revenue_months_refresh(customer_ids=ctx.revenue_customers)
            _record(ctx, dataset)
            report.written = True
    except IntegrityError:
        raise DatasetError(_("The data changed while it was being imported, so nothing was written. Run the import again.")) from None
    if not transaction.get_connection().in_atomic_block:
        refresh_statistics()  # a large import changes the tables' shape; keep the plans good
    return report


@contextmanager
def _large_cache():
    """On SQLite, a page cache large enough for the import's transaction: with the default
    (2 MB) a 100,000-row import spills the indexes' pages to the WAL again and again, and
    spends most of its time waiting for the disk. Set back afterwards; a no-op elsewhere."""
    connection = transaction.get_connection()
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _nothing_written(report: ImportReport) -> ImportReport:
    """Nothing was created or updated; what would have been is kept for the message."""
    report.would_create = dict(report.created)
    report.would_update = dict(report.updated)
    report.created = {name: 0 for name in report.created}
    report.updated = {name: 0 for name in report.updated}
    return report


def _record(ctx: ImportContext, dataset: Dataset) -> None:
    report = ctx.report
    run = DatasetImport.objects.create(
        actor=ctx.actor, source=dataset.label[:255], created=report.created, updated=report.updated,
        bad_rows=report.bad_row_count, warnings=len(report.warnings),
    )
    AuditEvent.objects.create(
        actor=ctx.actor, verb=AuditEvent.Verb.IMPORT, object_type="datasetimport", object_id=run.pk,
        object_label=str(run)[:255],
        changes={"created": report.created, "updated": report.updated, "bad_rows": report.bad_row_count},
        note=dataset.label[:500],
    )


def import_exit_code(report: ImportReport) -> int:
    """0 when the import did (or, in a dry run, would do) its job; 1 when bad rows stopped it."""
    if not report.errors:
        return 0
    if report.skip_bad and (report.written or (report.dry_run and report.total_changes)):
        return 0
    return 1


# --- the demo company (`kehu demo`, `make run`) ---------------------------------------
DEMO_PASSWORD = "kehu2026"
DEMO_USERS = ["boss", "mgr1", "fin1", "rep1", "rep2", "rep3"]


def demo_company_load() -> list[ImportReport]:
    """Load the shipped example and the extra demo set; set the demo logins. Idempotent:
    a second run finds everything in place and changes nothing."""
    import json
    from pathlib import Path

    from kehu.accounts.models import User
    from kehu.customers.models import Customer, Tag
    from kehu.customers.services import customer_update

    base = Path(__file__).resolve().parent
    with transaction.atomic():
        reports = [
            dataset_import(actor=None, path=base / "examples" / "small"),
            dataset_import(actor=None, path=base / "demo"),
        ]
        for report in reports:
            if report.errors:
                raise DatasetError("; ".join(f"{i.file}:{i.line}:{i.column}: {i.reason}" for i in report.errors))
        for user in User.objects.filter(username__in=DEMO_USERS):
            fields = []
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                fields.append("password")
            if user.username == "boss" and not (user.is_staff and user.is_superuser):
                user.is_staff = user.is_superuser = True
                fields += ["is_staff", "is_superuser"]
            if fields:
                user.save(update_fields=fields)
        boss = User.objects.get(username="boss")
        wanted = json.loads((base / "demo" / "tags.json").read_text(encoding="utf-8"))
        for customer in Customer.objects.filter(code__in=list(wanted)).prefetch_related("tags"):
            have = {t.name for t in customer.tags.all()}
            if not set(wanted[customer.code]) <= have:
                tags = [Tag.objects.get_or_create(name=name)[0] for name in sorted(have | set(wanted[customer.code]))]
                customer_update(actor=boss, customer=customer, data={}, tags=tags)
        _demo_followups()
        _demo_selling()
        _demo_ranking()
        _demo_targets()
        demo_forecasts()
        demo_anomaly()
        demo_wallet()  # after the anomaly's orders: it picks the customers with most revenue
        demo_factors()
    return reports


# (days ago, type, visit level, summary, outcome, next follow-up N days after it, its summary)
DEMO_FOLLOWUPS = [
    (40, "visit", "business", "拜访采购部，介绍新一代设备", "对节能型号有兴趣", None, ""),
    (12, "phone", "", "电话跟进报价疑问", "要求补充售后条款", 9, "发送修订报价"),
    (6, "visit", "technical", "技术交流：产线改造方案", "技术总监认可方案", 6, "电话确认试用安排"),
    (3, "wechat", "", "微信发送案例资料", "已读，待内部讨论", 10, "约见总经理"),
    (1, "meeting", "", "年度合作洽谈会", "初步同意明年框架协议", 14, "起草框架协议"),
]


def _demo_followups() -> None:
    """A few weeks of follow-ups for the first reps' customers, dated relative to today so the
    agenda shows overdue, due-today and upcoming items. Only when there is no activity yet."""
    from datetime import timedelta

    from django.utils import timezone

    from kehu.activities.models import Activity
    from kehu.activities.services import activity_log
    from kehu.customers.models import Customer

    customers = list(
        Customer.objects.filter(owner__username__in=["rep1", "rep2"], is_deleted=False).select_related("owner").order_by("code")[:10]
    )
    if not customers or Activity.objects.filter(customer__in=customers).exists():
        return
    now = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    for i, customer in enumerate(customers):
        days_ago, kind, level, summary, outcome, next_in, next_summary = DEMO_FOLLOWUPS[i % len(DEMO_FOLLOWUPS)]
        then = now - timedelta(days=days_ago + i)
        contact = customer.contacts.filter(is_deleted=False).order_by("pk").first()
        activity_log(
            actor=customer.owner, customer=customer, kind=kind, at=then, visit_level=level, contact=contact,
            summary=summary, outcome=outcome, now=then,
            next_due_on=(then + timedelta(days=next_in)).date() if next_in else None, next_summary=next_summary,
        )


def _demo_selling() -> None:
    """Selling work in progress, dated relative to today, so that a first look finds something on
    every selling page: a prospect half through the qualification checklist, a quote waiting for
    the manager's approval and one approved within policy, a shipped order whose receivable is
    overdue, and an order held by credit control. Only when there is no quote yet."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.customers.models import Customer, QualificationItem
    from kehu.customers.qualification import qualification_check
    from kehu.finance.services import order_confirm, order_create, order_ship
    from kehu.finance.services import payment_record
    from kehu.sales.models import Product, Quote
    from kehu.sales.services import quote_create, quote_submit

    if Quote.objects.exists():
        return
    today = timezone.localdate()
    products = {p.code: p for p in Product.objects.filter(code__in=["P001", "P002", "P003"])}
    owned = Customer.objects.filter(is_deleted=False, owner__username__in=["rep1", "rep2", "rep3"]).select_related("owner").order_by("code")
    by_owner = {}
    for customer in owned:
        by_owner.setdefault(customer.owner.username, []).append(customer)
    if len(products) < 3 or not all(by_owner.get(u) for u in ("rep1", "rep2", "rep3")):
        return
    rep1_customers, rep2_customers, rep3_customers = by_owner["rep1"], by_owner["rep2"], by_owner["rep3"]

    prospect = next((c for c in rep1_customers if c.stage == Customer.Stage.PROSPECT), None)
    if prospect is not None:
        for item in QualificationItem.objects.filter(is_active=True).order_by("position", "pk")[:3]:
            qualification_check(actor=prospect.owner, customer=prospect, item=item)

    waiting = quote_create(
        actor=rep1_customers[0].owner, customer=rep1_customers[0], valid_until=today + timedelta(days=30),
        lines=[{"product": products["P001"], "quantity": "3", "discount_pct": "12"}, {"product": products["P003"], "quantity": "20"}],
        notes="年底备货，客户要求 12% 折扣",
    )
    quote_submit(actor=waiting.owner, quote=waiting)
    within = quote_create(
        actor=rep2_customers[0].owner, customer=rep2_customers[0], valid_until=today + timedelta(days=30),
        lines=[{"product": products["P002"], "quantity": "10", "discount_pct": "3"}],
    )
    quote_submit(actor=within.owner, quote=within)

    shipped = order_create(
        actor=rep1_customers[-1].owner, customer=rep1_customers[-1], order_date=today - timedelta(days=80),
        lines=[{"product": products["P002"], "quantity": "5"}],
    )
    order_confirm(actor=shipped.owner, order=shipped, today=today - timedelta(days=80))
    receivable = order_ship(actor=shipped.owner, order=shipped, shipped_on=today - timedelta(days=75)).receivables.get()
    finance = User.objects.filter(username="fin1", is_active=True).first()
    if finance is not None:  # half of it came in this month: commission for the rep
        payment_record(actor=finance, customer=shipped.customer, amount=(receivable.amount / 2).quantize(Decimal("0.01")), paid_on=today.replace(day=1), receivable=receivable)

    held_customer = next((c for c in rep3_customers if c.credit_limit), None)
    if held_customer is not None:
        quantity = int(held_customer.credit_limit // products["P001"].list_price) + 2
        held = order_create(
            actor=held_customer.owner, customer=held_customer, order_date=today,
            lines=[{"product": products["P001"], "quantity": str(quantity)}],
        )
        order_confirm(actor=held.owner, order=held, today=today)


# (model, class, max discount %, payment term days, visit interval days, commission %, service notes)
DEMO_POLICIES = [
    ("key_account", "key", "10", 60, 30, "3", "专属客户经理与服务工程师；产能优先保障；高层每季度拜访；4 小时响应"),
    ("value", "diamond", "8", 60, None, "3", "年度框架协议，优先排产"),
    ("value", "strategic", "6", 45, None, None, "联合方案与高层互访"),
    ("value", "problem", "2", 0, None, "1", "款到发货，财务每周催收"),
    ("pyramid", "important", None, None, 30, None, "总经理亲自维护"),
    ("pyramid", "small", "3", None, None, "1.5", "电话与微信服务为主"),
]


def _demo_ranking() -> None:
    """Tier policies and evaluation runs, so that the ranking pages, the customers' tiers and the
    policies have something to show: a key-account run at the example's date (2026-06-30) and
    one run of each model as of today — the pair of key-account runs can be compared at once.
    Only when there is no run yet."""
    from datetime import date
    from decimal import Decimal

    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.ranking.models import EvaluationRun, TierPolicy
    from kehu.ranking.services import evaluation_run

    if EvaluationRun.objects.exists():
        return
    for model, klass, discount, term, visit, commission, notes in DEMO_POLICIES:
        TierPolicy.objects.get_or_create(
            model=model, klass=klass,
            defaults={
                "max_discount_pct": Decimal(discount) if discount else None, "payment_term_days": term,
                "visit_interval_days": visit, "commission_rate_pct": Decimal(commission) if commission else None,
                "service_notes": notes,
            },
        )
    boss = User.objects.filter(username="boss").first()
    evaluation_run(actor=boss, model="key_account", as_of=date(2026, 6, 30))
    today = timezone.localdate()
    for model in ("pyramid", "value", "key_account"):
        evaluation_run(actor=boss, model=model, as_of=today)


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, password) of the demo users, in the order of DEMO_USERS."""
    from kehu.accounts.models import User

    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}
    rows = []
    for username in DEMO_USERS:
        if username in users:
            user = users[username]
            role = str(user.get_role_display())
            if username == "mgr1":
                role = _("%(role)s (director: manages every team)") % {"role": role}
            rows.append((username, role, DEMO_PASSWORD))
    return rows
