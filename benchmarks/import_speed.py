"""Import speed: `kehu import` of a generated dataset, in rows a second.

    .venv/bin/python benchmarks/import_speed.py [--customers 100000] [--contacts 0]
        [--orders 0] [--lines-per-order 4] [--activities 0] [--repeat 1]
        [--database-url postgres://…/db] [--keep DIR] [--profile]

Generates a realistic dataset (users.csv with 100 reps in 5 teams; customers.csv of N rows:
Chinese company and person names, mobile and landline phones, valid USCCs for most
companies, provinces and cities of the official list, industries, lead sources, owners —
a fifth in the public pool —, referrers, credit limits, created_at; optionally contacts,
products, orders with lines and activities of those customers), loads users.csv, then
times `kehu import` (a subprocess, end to end: start-up, reading, checking, writing,
commit) of each file into a fresh database: SQLite by default, or the PostgreSQL database
of --database-url (emptied first with `flush`, so give it a database of its own).
Prints rows, seconds and rows a second per file. `--profile` runs the customers import
in-process under cProfile instead and prints the top functions.
"""

import argparse
import csv
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强海燕晓东文博思远子涵梓萱浩然宇轩欣怡俊杰嘉怡"
WORDS = [
    "华", "鑫", "恒", "泰", "盛", "达", "信", "诚", "中", "兴", "宏", "远", "博", "瑞", "丰", "安", "永", "康", "金", "德",
    "新", "天", "海", "创", "智", "联", "宇", "通", "汇", "源", "嘉", "隆", "顺", "昌", "凯", "祥", "和", "晨", "星", "云",
]
TRADES = [
    "科技", "电子", "机械", "化工", "建材", "物流", "贸易", "医药", "食品", "纺织", "环保", "能源", "软件", "电气", "汽车配件",
    "精密制造", "包装", "家居", "农业", "信息技术", "工程", "新材料", "光电", "仪器", "印务",
]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
INDUSTRIES = ["制造业", "批发和零售业", "信息传输、软件和信息技术服务业", "建筑业", "交通运输、仓储和邮政业", "科学研究和技术服务业", "制造", "建筑"]
LEAD_SOURCES = [
    "door_to_door", "conference", "club", "personal_network", "directory", "consultancy", "bird_dog", "referral",
    "centre_of_influence", "phone", "mail", "internet", "competitor", "advertising", "other", "展会", "转介绍", "网络",
]
STAGES = ["target", "prospect", "qualified", "signed", "潜在客户", "签约客户"]
FUND = ["abundant", "sufficient", "tight", "short", "dangerous", ""]
ATTITUDE = ["prompt", "normal", "acceptable", "delayed", "difficult", "arrears", ""]
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "186", "188", "189"]
CUSTOMER_HEADER = [
    "code", "name", "kind", "owner", "stage", "lead_source", "referrer", "province", "city", "industry", "phone",
    "uscc", "influence", "reputation", "credit_limit", "fund_status", "payment_attitude", "created_at",
]
REPS = 100
TEAMS = 5


def uscc_for(i: int, rnd: random.Random) -> str:
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + rnd.choice(["110000", "310000", "440300", "330100", "320100"])
    serial = ""
    n = i * 7919 + 123456789
    for _k in range(9):
        serial = alphabet[n % 31] + serial
        n //= 31
    base = body + serial
    return base + uscc.calc_check_digit(base)


def phone_for(rnd: random.Random) -> str:
    if rnd.random() < 0.75:
        number = rnd.choice(MOBILE_PREFIXES) + f"{rnd.randrange(10**8):08d}"
        return rnd.choice([number, f"{number[:3]} {number[3:7]} {number[7:]}", f"+86 {number}"])
    return f"0{rnd.randrange(10, 999)}-{rnd.randrange(10**7, 10**8)}"


def regions_list() -> list[tuple[str, list[str]]]:
    from kehu.customers import regions

    result = []
    for p in regions.provinces():
        cities = [c for c in p.cities] or [""]
        result.append((p.name, cities))
    return result


def generate(folder: Path, args) -> dict[str, int]:
    """Write users.csv and customers.csv (and the optional files) into `folder`; {file: rows}."""
    rnd = random.Random(20261206)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    with open(folder / "users.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["username", "name", "role", "team"])
        w.writerow(["bench_admin", "管理员", "admin", ""])
        for t in range(TEAMS):
            w.writerow([f"bench_mgr{t}", f"{SURNAMES[t]}经理", "manager", f"团队{t + 1}"])
        for r in range(REPS):
            w.writerow([f"bench_rep{r:03d}", rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN), "rep", f"团队{r % TEAMS + 1}"])
    counts["users.csv"] = REPS + TEAMS + 1

    from kehu.customers.normalize import normalize_name
    from kehu.customers.regions import short_name

    regions = regions_list()
    start = datetime(2019, 1, 1, 9, 0)
    codes = []
    seen_names: set[str] = set()
    with open(folder / "customers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CUSTOMER_HEADER)
        for i in range(args.customers):
            code = f"C{i + 1:06d}"
            codes.append(code)
            province, cities = rnd.choice(regions)
            city = rnd.choice(cities)
            person = rnd.random() < 0.15
            while True:
                if person:
                    name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN) + rnd.choice(["", "", str(rnd.randrange(10, 99))])
                else:
                    place = (city or province)[:2]
                    name = place + "".join(rnd.sample(WORDS, 2)) + rnd.choice(TRADES) + rnd.choice(SUFFIXES)
                    if normalize_name(name) in seen_names:
                        name = place + "".join(rnd.sample(WORDS, 3)) + rnd.choice(TRADES) + f"{rnd.randrange(1000)}号" + rnd.choice(SUFFIXES)
                key = normalize_name(name)
                if key not in seen_names:
                    seen_names.add(key)
                    break
            owner = "" if rnd.random() < 0.2 else f"bench_rep{rnd.randrange(REPS):03d}"
            referrer = codes[rnd.randrange(len(codes) - 1)] if i > 10 and rnd.random() < 0.05 else ""
            row = {
                "code": code,
                "name": name,
                "kind": rnd.choice(["person", "个人"]) if person else rnd.choice(["company", "company", "企业"]),
                "owner": owner,
                "stage": rnd.choice(STAGES),
                "lead_source": rnd.choice(LEAD_SOURCES),
                "referrer": referrer,
                "province": rnd.choice([province, short_name(province)]),
                "city": city,
                "industry": "" if person else rnd.choice(INDUSTRIES),
                "phone": phone_for(rnd) if rnd.random() < 0.9 else "",
                "uscc": uscc_for(i, rnd) if not person and rnd.random() < 0.7 else "",
                "influence": rnd.choice(["", "1", "2", "3", "4", "5"]),
                "reputation": rnd.choice(["", "1", "2", "3", "4", "5"]),
                "credit_limit": rnd.choice(["", f"{rnd.randrange(1, 500) * 1000}", f"{rnd.randrange(10**6) / 100:.2f}"]),
                "fund_status": rnd.choice(FUND),
                "payment_attitude": rnd.choice(ATTITUDE),
                "created_at": (start + timedelta(minutes=rnd.randrange(60 * 24 * 365 * 7))).strftime("%Y-%m-%d %H:%M") if rnd.random() < 0.8 else "",
            }
            w.writerow([row[c] for c in CUSTOMER_HEADER])
    counts["customers.csv"] = args.customers

    if args.contacts:
        with open(folder / "contacts.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["customer", "name", "title", "department", "decision_role", "phone", "email", "wechat", "birthday"])
            keys = set()
            n = 0
            while n < args.contacts:
                customer = rnd.choice(codes)
                name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
                if (customer, name) in keys:
                    continue
                keys.add((customer, name))
                n += 1
                w.writerow([
                    customer, name, rnd.choice(["总经理", "采购经理", "技术总监", "财务", ""]), rnd.choice(["采购部", "技术部", ""]),
                    rnd.choice(["decision_maker", "influencer", "user", "gatekeeper", "buyer", ""]), phone_for(rnd),
                    rnd.choice(["", f"c{n}@example.cn"]), rnd.choice(["", f"wx{n}"]),
                    rnd.choice(["", (date(1960, 1, 1) + timedelta(days=rnd.randrange(15000))).isoformat()]),
                ])
        counts["contacts.csv"] = args.contacts

    if args.orders:
        with open(folder / "products.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["code", "name", "category", "list_price", "unit_cost"])
            for p in range(200):
                price = rnd.randrange(100, 100000)
                w.writerow([f"P{p + 1:04d}", f"产品{p + 1}", rnd.choice(["设备", "耗材", "服务"]), price, f"{price * rnd.uniform(0.3, 0.8):.2f}"])
        counts["products.csv"] = 200
        lines = 0
        with open(folder / "orders.csv", "w", encoding="utf-8", newline="") as fo, open(folder / "order_lines.csv", "w", encoding="utf-8", newline="") as fl:
            wo, wl = csv.writer(fo), csv.writer(fl)
            wo.writerow(["code", "customer", "owner", "order_date", "currency"])
            wl.writerow(["order", "product", "quantity", "unit_price", "discount_pct", "unit_cost"])
            for o in range(args.orders):
                code = f"SO{o + 1:08d}"
                wo.writerow([code, rnd.choice(codes), "", (date(2024, 7, 1) + timedelta(days=rnd.randrange(700))).isoformat(), "CNY"])
                for _k in range(args.lines_per_order):
                    wl.writerow([code, f"P{rnd.randrange(200) + 1:04d}", rnd.randrange(1, 50), f"{rnd.randrange(100, 100000) / 100:.2f}", rnd.choice(["", "", "5", "10"]), ""])
                    lines += 1
        counts["orders.csv"] = args.orders
        counts["order_lines.csv"] = lines

    if args.activities:
        # Activities need owners who may log them for the customer: the rep who owns it.
        owners = {}
        with open(folder / "customers.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                owners[row["code"]] = row["owner"]
        owned = [c for c in codes if owners[c]]
        with open(folder / "activities.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["customer", "contact", "owner", "type", "visit_level", "at", "summary", "next_due"])
            at0 = datetime(2024, 7, 1, 8, 0)
            for a in range(args.activities):
                customer = rnd.choice(owned)
                kind = rnd.choice(["phone", "visit", "meeting", "email", "wechat", "other"])
                at = at0 + timedelta(minutes=a * 7 + rnd.randrange(5))
                w.writerow([
                    customer, "", owners[customer], kind, rnd.choice(["leadership", "technical", "business"]) if kind == "visit" else "",
                    at.strftime("%Y-%m-%d %H:%M"), rnd.choice(["电话沟通需求", "拜访采购部", "发送报价", "技术交流", ""]), "",
                ])
        counts["activities.csv"] = args.activities
    return counts


CPU: list[float] = []  # the CPU seconds (user + system) of each `kehu` run, in order


def kehu(env: dict, *args) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kehu.cli", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return seconds, done


def fresh_database(env: dict, tmp: Path, run: int) -> dict:
    env = dict(env)
    if env.get("DATABASE_URL"):
        _seconds, done = kehu(env, "flush", "--no-input")
        if done.returncode:
            _seconds, done = kehu(env, "migrate", "--no-input")
            _seconds, done = kehu(env, "flush", "--no-input")
    else:
        env["KEHU_SQLITE_PATH"] = str(tmp / f"bench-{run}.sqlite3")
    _seconds, done = kehu(env, "migrate", "--no-input")
    if done.returncode:
        sys.exit(done.stderr)
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=0)
    parser.add_argument("--orders", type=int, default=0)
    parser.add_argument("--lines-per-order", type=int, default=4)
    parser.add_argument("--activities", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="fresh databases to time (median shown)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL database of its own (it is flushed)")
    parser.add_argument("--keep", default="", help="generate into (or reuse) this folder")
    parser.add_argument("--profile", action="store_true", help="cProfile the customers import in-process")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kehu-import-bench-"))
    folder = Path(args.keep) if args.keep else tmp / "data"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env.pop("KEHU_SQLITE_PATH", None)

    if (folder / "customers.csv").exists():
        with open(folder / "customers.csv", encoding="utf-8") as fh:
            existing = sum(1 for _line in fh) - 1
        if existing != args.customers:
            sys.exit(f"{folder} holds {existing} customers, not {args.customers}: give another --keep")
        counts = {name: sum(1 for _l in open(folder / name, encoding="utf-8")) - 1 for name in
                  ["users.csv", "customers.csv", "contacts.csv", "products.csv", "orders.csv", "order_lines.csv", "activities.csv"]
                  if (folder / name).exists()}
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        started = time.perf_counter()
        counts = generate(folder, args)
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s into {folder}", file=sys.stderr)

    order = ["customers.csv", "contacts.csv", "products.csv", "orders.csv", "order_lines.csv", "activities.csv"]
    timings: dict[str, list[float]] = {name: [] for name in order if name in counts}
    cpu: dict[str, list[float]] = {name: [] for name in timings}
    for run in range(args.repeat):
        db = fresh_database(env, tmp, run)
        single = tmp / f"users-{run}"
        single.mkdir()
        (single / "users.csv").write_bytes((folder / "users.csv").read_bytes())
        _seconds, done = kehu(db, "import", str(single))
        if done.returncode:
            sys.exit(done.stdout + done.stderr)
        for name in timings:
            one = tmp / f"{name[:-4]}-{run}"
            one.mkdir()
            (one / name).symlink_to(folder / name)
            if args.profile and name == "customers.csv":
                profile(db, one)
                return
            seconds, done = kehu(db, "import", str(one))
            if done.returncode:
                sys.exit(f"{name}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            timings[name].append(seconds)
            cpu[name].append(CPU[-1])
    vendor = "postgresql" if args.database_url else "sqlite"
    print(f"kehu import speed, {vendor}, median of {args.repeat} fresh database(s), end to end (process start to exit);")
    print("CPU: the import process's user + system seconds (the database server's not counted), what a")
    print("machine with a free core would take when the wall clock is stretched by other work")
    print(f"{'file':18} {'rows':>9} {'seconds':>9} {'rows/s':>9} {'CPU s':>9} {'rows/CPU s':>11}")
    for name, values in timings.items():
        seconds = statistics.median(values)
        used = statistics.median(cpu[name])
        print(f"{name:18} {counts[name]:9d} {seconds:9.2f} {counts[name] / seconds:9.0f} {used:9.2f} {counts[name] / used:11.0f}")


def profile(env: dict, folder: Path) -> None:
    out = folder.parent / "import.prof"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "kehu.cli", "import", str(folder)],
                          env=env, capture_output=True, text=True)
    print(f"{time.perf_counter() - started:.1f} s, exit {done.returncode}: {done.stdout[-500:]}")
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(45)
    pstats.Stats(str(out)).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
