"""The fast customer import (issue 13): the same values as the per-row path, searchable, and
all-or-nothing even when the process is killed in the middle of writing (on SQLite and on
PostgreSQL: CI runs this module on both)."""

import csv
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from stdnum.cn import uscc as uscc_std

from benchmarks.import_speed import generate
from kehu.core.models import AuditEvent
from kehu.customers import industries, regions
from kehu.customers.errors import CustomerError
from kehu.customers.models import CompanyProfile, Customer, CustomerStageChange, PersonProfile
from kehu.customers.selectors import customer_search_q
from kehu.customers.services.records import clean_uscc, customer_derive_fields
from kehu.dataset.importers.customers import compact_uscc, parse_uscc
from kehu.dataset.importers.derive import NameDeriver
from kehu.dataset.models import DatasetImport
from kehu.dataset.services import dataset_import
from kehu.dataset.values import CellError

ROOT = Path(__file__).resolve().parents[3]


class _Args:
    def __init__(self, customers, contacts=0):
        self.customers = customers
        self.contacts = contacts
        self.orders = 0
        self.lines_per_order = 0
        self.activities = 0


def _dataset(folder: Path, customers: int, contacts: int = 0) -> Path:
    generate(folder, _Args(customers, contacts))
    return folder


# --- the derived values, without a database ---------------------------------------------
MIXED_NAMES = [
    "华为技术有限公司", "重庆长安汽车股份有限公司", "银行行长", "ABC贸易公司", "3M中国有限公司", "Σ公司ΑΣ",
    "华为(深圳)", "ｗｅｉ华 test  A", "İstanbul贸易", "á长大", "绿地集团", "嗯呣", "", "  长沙 ", "C&A", "乐乐乐乐",
    "'=1+2", "北京·朝阳", "厦门航空", "单于", "曾国藩", "长春长生", "行行行", "音乐乐器行",
]


def test_the_deriver_gives_what_customer_derive_fields_gives():
    """For every character pypinyin knows (in runs of seven) and for mixed names."""
    from pypinyin.constants import PINYIN_DICT

    chars = "".join(chr(c) for c in sorted(PINYIN_DICT))
    names = MIXED_NAMES + [chars[i:i + 7] for i in range(0, len(chars), 7)]
    deriver = NameDeriver()
    phones = ["", "+86 138 0013 8000", "0086-755-12345678", "8613800138000", "１３８００１３８０００", "021-1234"]
    for i, name in enumerate(names):
        phone = phones[i % len(phones)]
        expected = Customer(name=name, phone=phone)
        customer_derive_fields(expected)
        got = deriver.customer_fields(name, phone)
        assert got == {
            "name": expected.name, "name_normalized": expected.name_normalized, "name_initials": expected.name_initials,
            "name_pinyin": expected.name_pinyin, "phone_normalized": expected.phone_normalized,
        }, name
    # Twice: the remembered segments give the same again.
    assert [deriver.pinyin(n) for n in MIXED_NAMES] == [NameDeriver().pinyin(n) for n in MIXED_NAMES]


def _old_parse_uscc(value):
    try:
        return clean_uscc(value)
    except CustomerError as exc:
        raise CellError(str(exc.message)) from None


def test_the_fast_uscc_check_agrees_with_stdnum():
    rnd = random.Random(13)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXYabcz-IOSV ｜９"
    valid = []
    for i in range(300):
        base = "91" + f"{rnd.randrange(10**6):06d}" + "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        valid.append(base + uscc_std.calc_check_digit(base))
    samples = valid + [v.lower() for v in valid[:50]] + [f" {v} " for v in valid[:20]] + [v[:6] + "-" + v[6:] for v in valid[:20]]
    samples += ["".join(rnd.choice(alphabet) for _ in range(rnd.choice([17, 18, 19]))) for _ in range(500)]
    samples += [v[:-1] + ("0" if v[-1] != "0" else "1") for v in valid[:50]]
    samples += ["９１４４０３００１９２２０３８２１６", "914403001922038216"]
    for text in samples:
        try:
            expected = ("ok", _old_parse_uscc(text))
        except CellError as exc:
            expected = ("error", exc.reason)
        try:
            got = ("ok", parse_uscc(text))
        except CellError as exc:
            got = ("error", exc.reason)
        assert got == expected, text
        assert compact_uscc(text.strip()) == uscc_std.compact(text.strip()), text


# --- the import against the values of the per-row path ----------------------------------
@pytest.mark.django_db
def test_imported_customers_are_those_of_the_per_row_path_and_searchable(tmp_path):
    folder = _dataset(tmp_path / "data", 400)
    users = tmp_path / "users"
    users.mkdir()
    (users / "users.csv").write_bytes((folder / "users.csv").read_bytes())
    assert not dataset_import(actor=None, path=users).errors
    steps = []
    report = dataset_import(actor=None, path=folder / "customers.csv", progress=lambda *a: steps.append(a))
    assert report.errors == [] and report.created["customers.csv"] == 400
    assert steps[0] == ("customers.csv", "check", 0, 400) and steps[-1] == ("customers.csv", "write", 400, 400)
    assert [s[2] for s in steps if s[1] == "write"] == [0, 400]

    with open(folder / "customers.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    stored = {c.code: c for c in Customer.objects.select_related("owner", "referrer_customer")}
    assert len(stored) == 400
    sample = random.Random(7).sample(rows, 120)
    for row in sample:
        c = stored[row["code"]]
        expected = Customer(name=row["name"], phone=row["phone"])
        customer_derive_fields(expected)  # what the per-row path stored
        for field in ("name", "name_normalized", "name_initials", "name_pinyin", "phone", "phone_normalized"):
            assert getattr(c, field) == getattr(expected, field), (row["code"], field)
        province = regions.normalize_province(row["province"]) or row["province"]
        assert c.province == province
        assert c.city == ((regions.normalize_city(province, row["city"]) or row["city"]) if row["city"] else "")
        assert c.industry == ((industries.normalize_industry(row["industry"]) or row["industry"]) if row["industry"] else "")
        assert c.kind == ("person" if row["kind"] in ("person", "个人") else "company")
        assert (c.owner.username if c.owner else "") == row["owner"]
        assert (c.referrer_customer.code if c.referrer_customer else "") == row["referrer"]
        assert c.uscc == row["uscc"]
        assert c.influence == (int(row["influence"]) if row["influence"] else None)
        assert c.credit_limit == (Decimal(row["credit_limit"]).quantize(Decimal("0.01")) if row["credit_limit"] else None)
        if row["created_at"]:
            assert c.created_at.astimezone().strftime("%Y-%m-%d %H:%M") == row["created_at"]
        if c.owner_id:
            assert c.owned_since is not None and c.pool_clock_at is not None and c.returned_to_pool_at is None
        else:
            assert c.owned_since is None and c.returned_to_pool_at is not None
        # Found by the customer search: pinyin initials, full pinyin, part of the phone, code.
        found = lambda text: set(Customer.objects.filter(customer_search_q(text)).values_list("code", flat=True))  # noqa: E731
        assert row["code"] in found(c.name_initials[:6])
        assert row["code"] in found(c.name_pinyin[:12])
        assert row["code"] in found(row["code"])
        if len(c.phone_normalized) >= 7:
            assert row["code"] in found(c.phone_normalized[-7:])
    # One profile, one stage change and one audit event per customer, as the per-row path wrote.
    assert CompanyProfile.objects.count() + PersonProfile.objects.count() == 400
    assert PersonProfile.objects.count() == Customer.objects.filter(kind="person").count()
    assert CustomerStageChange.objects.filter(from_stage="").count() == 400
    event = AuditEvent.objects.get(object_type="customer", object_id=stored[sample[0]["code"]].pk)
    assert event.changes["code"] == [None, sample[0]["code"]] and event.note == "customers.csv"
    assert event.object_label == f"{stored[sample[0]['code']].name} ({sample[0]['code']})"

    # Importing the file again changes nothing.
    again = dataset_import(actor=None, path=folder / "customers.csv")
    assert again.created["customers.csv"] == 0 and again.updated["customers.csv"] == 0
    assert again.unchanged["customers.csv"] == 400


# --- kill -9 in the middle of the write -------------------------------------------------
def _subprocess_env(tmp_path: Path) -> tuple[dict, object]:
    """The environment of a `kehu` subprocess on this test's database, and a function that
    opens a DB-API cursor on it (from this process)."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT))
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        path = tmp_path / "killed.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)  # the migrated test database, as a file
        target.close()
        env.pop("DATABASE_URL", None)
        env["KEHU_SQLITE_PATH"] = str(path)

        def cursor():
            return sqlite3.connect(path).cursor()
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

        def cursor():
            return connection.cursor()
    return env, cursor


def _snapshot(cursor) -> dict:
    tables = [m._meta.db_table for m in (Customer, CompanyProfile, PersonProfile, CustomerStageChange, AuditEvent, DatasetImport)]
    found = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*), COALESCE(MAX(id), 0) FROM {table}")
        found[table] = tuple(cursor.fetchone())
    cursor.execute(f"SELECT code, name, phone, owner_id, updated_at FROM {Customer._meta.db_table} ORDER BY code")
    found["customers"] = [tuple(str(v) for v in row) for row in cursor.fetchall()]
    return found


def _kehu(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "kehu.cli", *args], env=env, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_kill_9_while_writing_leaves_the_database_as_it_was(tmp_path):
    folder = _dataset(tmp_path / "data", 8_000)
    env, cursor = _subprocess_env(tmp_path)
    first = tmp_path / "first"
    first.mkdir()
    (first / "users.csv").write_bytes((folder / "users.csv").read_bytes())
    with open(folder / "customers.csv", encoding="utf-8") as fh:
        head = [next(fh) for _ in range(51)]  # the header and 50 customers, imported first
    (first / "customers.csv").write_text("".join(head), encoding="utf-8")
    done = _kehu(env, "import", str(first))
    assert done.returncode == 0, done.stdout + done.stderr
    # The big file changes the first 50 customers' phones and creates 7,950.
    with open(folder / "customers.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    phone = rows[0].index("phone")
    for row in rows[1:51]:
        row[phone] = "13900000000"
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "customers.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = _snapshot(cursor())
    assert before[Customer._meta.db_table][0] == 50

    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "kehu.cli", "import", str(big), "--progress"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            # The first batch of the write pass is in the database (not committed): kill.
            match = re.search(r"customers\.csv: (?:writing|写入中) (\d+)/(\d+)", line)
            if match and 0 < int(match.group(1)) < int(match.group(2)):
                process.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() - started < 120, "the import took too long to start writing"
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "".join(seen)
    assert any("5000/8000" in line for line in seen), "".join(seen)

    after = _snapshot(cursor())
    assert after == before
    if connection.vendor == "sqlite":
        check = cursor()
        check.execute("PRAGMA integrity_check")
        assert check.fetchone()[0] == "ok"
    # Nothing is left locked: an import runs afterwards (the first 50 rows: nothing to change).
    done = _kehu(env, "import", str(first))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _snapshot(cursor()) == before
