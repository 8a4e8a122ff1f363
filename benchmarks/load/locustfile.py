"""A day's work at Kehu for locust (issue 15): reps, managers, finance and the director, each
logged in through the real login page and working through the real pages (htmx headers where
the page uses htmx). `python -m benchmarks.load` prepares the company, serves it and runs this;
see benchmarks/load/__init__.py.

Every response is checked: the status (a 4xx/5xx fails), the page it landed on (a marker of the
right page, never the login page) and, after a POST, no form error (`invalid-feedback`, an
`alert-danger` or `alert-warning`). Each request is named "<role>: <what>" so the table shows
one row per step of a task.

The runner passes the accounts in KEHU_LOAD_ACCOUNTS (JSON: role -> usernames) and their password
in KEHU_LOAD_PASSWORD; KEHU_LOAD_WAIT="MIN,MAX" is the think time in seconds between tasks.
Each locust user takes the next account of its role, so every user works as somebody else
(the runner asks for no more users of a role than there are accounts).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import gevent
import lxml.html
from locust import HttpUser, between, task
from locust.exception import StopUser

ACCOUNTS: dict[str, list[str]] = json.loads(os.environ.get("KEHU_LOAD_ACCOUNTS", "{}"))
PASSWORD = os.environ.get("KEHU_LOAD_PASSWORD", "")
WAIT = tuple(int(Decimal(x) * 1000) / 1000 for x in os.environ.get("KEHU_LOAD_WAIT", "5,15").split(","))  # seconds
COUNTS = json.loads(os.environ.get("KEHU_LOAD_COUNTS", "{}"))  # role -> locust users of that role
# KEHU_LOAD_STOP_AFTER_TOUR=1: the run ends once every user has done each of its tasks once.
STOP_AFTER_TOUR = os.environ.get("KEHU_LOAD_STOP_AFTER_TOUR") == "1"
toured = 0
_next = {role: itertools.cycle(names) for role, names in ACCOUNTS.items() if names}

CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)/"')
QUOTE_LINK = re.compile(r'<tr data-testid="row-[^"]*">\s*<td><a href="(/sales/quotes/\d+/)"')
FORM_ERRORS = ("invalid-feedback", "alert-danger", "alert-warning")
CLOSED_STAGES = {"won", "lost"}


class Refused(Exception):
    """The response failed its check (already reported to locust as a failure)."""


def form_of(html: str, xpath: str):
    doc = lxml.html.fromstring(html)
    forms = doc.xpath(xpath)
    return forms[0] if forms else None


def values(form) -> dict[str, str]:
    return dict(form.form_values())


class KehuUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(*WAIT)

    def on_start(self):
        self.username = next(_next[self.role])
        self.setup()
        try:
            self.log_in()
        except Refused:
            raise StopUser()  # counted; a user who cannot log in has no day
        self.tour_of_tasks()

    def setup(self):
        """The user's own state (a subclass's)."""

    def log_in(self):
        page = self.get("login page", "/accounts/login/", 'name="password"', anonymous=True)
        form = form_of(page, "//form[.//input[@name='password']]")
        data = values(form)
        data.update(username=self.username, password=PASSWORD)
        # The login lands on the 工作台 (the home page), with the cards of the user's role.
        self.post("log in", "/accounts/login/", data, self.workbench_marker, anonymous=True)

    first: tuple[str, ...] = ()  # the tasks the tour starts with

    def tour_of_tasks(self):
        """Each of the user's tasks once (`first` first, then in the order declared) before the
        weighted random day: even a short run does every kind of work."""
        tasks = list(dict.fromkeys(self.tasks))
        tasks.sort(key=lambda t: self.first.index(t.__name__) if t.__name__ in self.first else len(self.first))
        for work in tasks:
            self.wait()
            work(self)
        global toured
        toured += 1
        if STOP_AFTER_TOUR and toured >= sum(COUNTS.values()):
            # as --run-time does: the users finish what they are doing (--stop-timeout), then quit
            gevent.spawn(self.environment.runner.quit)

    # requests ---------------------------------------------------------------------------------
    def _check(self, resp, marker: str, *, posted: bool, anonymous: bool = False) -> str:
        if resp.status_code == 0:
            return f"no answer ({resp.error!r})"
        if resp.status_code >= 400:
            return f"HTTP {resp.status_code} at {resp.request.path_url if resp.request else ''}"
        text = resp.text or ""
        if not anonymous and "/accounts/login/" in (resp.url or ""):
            return "sent to the login page"
        markers = (marker,) if isinstance(marker, str) else marker
        if marker and not any(m in text for m in markers):
            return f"no {' or '.join(markers)} on {resp.url}"
        if posted:
            for mark in FORM_ERRORS:
                if mark in text:
                    at = text.find(mark)
                    snippet = re.sub(r"<[^>]+>|\s+", " ", text[at:at + 400]).strip()[:160]
                    return f"form error ({mark}) at {resp.url}: {snippet}"
        return ""

    def _send(self, method, name, url, marker, *, data=None, htmx=False, anonymous=False, current=None):
        url = quote(url, safe="/?=&%:")
        headers = {"Referer": self.host + quote(current or url, safe="/?=&%:")}
        if htmx:
            headers.update({"HX-Request": "true", "HX-Current-URL": headers["Referer"]})
        with self.client.request(method, url, data=data, headers=headers, name=f"{self.role}: {name}",
                                 catch_response=True) as resp:
            problem = self._check(resp, marker, posted=method == "POST", anonymous=anonymous)
            if problem:
                resp.failure(problem)
                raise Refused(problem)
            resp.success()
            return resp.text

    def get(self, name, url, marker, **kw):
        return self._send("GET", name, url, marker, **kw)

    def post(self, name, url, data, marker, **kw):
        return self._send("POST", name, url, marker, data=data, **kw)

    def run_task(self, work):
        """Runs one task; a failed check ends the task (already counted), not the user. Anything
        else that goes wrong in a task (a page without the form it should have) is a failure too."""
        started = time.perf_counter()
        try:
            work()
        except Refused:
            pass
        except Exception as exc:  # noqa: BLE001 - counted as a failure, with its message
            self.environment.events.request.fire(
                request_type="TASK", name=f"{self.role}: {getattr(work, '__name__', 'task')} broke", response_time=(time.perf_counter() - started) * 1000,
                response_length=0, exception=exc, context={})

    # shared pages -----------------------------------------------------------------------------
    def workbench(self):
        self.get("工作台", "/workbench/", self.workbench_marker)

    def pipeline(self):
        return self.get("pipeline", "/sales/pipeline/", 'data-testid="board"')

    def review(self):
        self.get("Friday review", "/planning/review/", 'data-testid="kpis"')


class Rep(KehuUser):
    """A rep: lists and opens their customers, logs and plans follow-ups, moves deals, quotes."""

    role = "rep"
    first = ("list_customers", "log_follow_up", "move_deal", "quote")
    workbench_marker = 'data-testid="wb-rep"'
    weight = 1
    fixed_count = 0

    def setup(self):
        self.customers: list[str] = []
        self.cannot_log: set[str] = set()

    def customer_list(self):
        """The rep's own customers ("Mine"); the whole list shows the public pool too."""
        page = self.get("my customers", "/customers/?owner=me", 'data-testid="customer-table"')
        found = CUSTOMER_LINK.findall(page)
        if found:
            self.customers = list(dict.fromkeys(found))

    def a_customer(self) -> str:
        if not self.customers:
            self.customer_list()
        choices = [c for c in self.customers if c not in self.cannot_log] or self.customers
        if not choices:
            raise LookupError("the rep has no customer of their own")  # counted as a failure (run_task)
        return random.choice(choices)

    def customer_page(self, pk) -> str:
        return self.get("customer page", f"/customers/{pk}/", 'data-testid="customer-summary"')

    @task(2)
    def list_customers(self):
        self.run_task(self.customer_list)

    @task(1)
    def search_customers(self):
        word = random.choice(["华", "科技", "建材", "医疗", "信达"])
        self.run_task(lambda: self.get("customer search", f"/customers/?q={word}", 'data-testid="result-count"'))

    @task(4)
    def open_customer(self):
        def work():
            pk = self.a_customer()
            self.customer_page(pk)
        self.run_task(work)

    def _panel_form(self, testid, name, fill):
        pk = self.a_customer()
        page = self.customer_page(pk)
        form = form_of(page, f"//form[@data-testid='{testid}']")
        if form is None:  # a pool customer: nothing to log here
            self.cannot_log.add(pk)
            return
        data = values(form)
        fill(data)
        self.post(name, form.get("action"), data, 'data-testid="panel-message"', htmx=True, current=f"/customers/{pk}/")

    @task(3)
    def log_follow_up(self):
        def fill(data):
            data.update(kind="phone", summary="电话沟通：确认需求和报价时间", outcome="客户有意向")
            if random.random() < 0.5:
                data.update(next_due_on=(date.today() + timedelta(days=random.randint(3, 14))).isoformat(),
                            next_kind="visit", next_summary="上门拜访")
        self.run_task(lambda: self._panel_form("log-form", "log follow-up", fill))

    @task(2)
    def plan_follow_up(self):
        def fill(data):
            data.update(kind="phone", due_on=(date.today() + timedelta(days=random.randint(1, 20))).isoformat(),
                        summary="回访报价")
        self.run_task(lambda: self._panel_form("plan-form", "plan follow-up", fill))

    @task(2)
    def move_deal(self):
        def work():
            page = self.pipeline()
            doc = lxml.html.fromstring(page)
            cards = doc.xpath("//form[contains(@action, '/move/')]")
            if not cards:
                return
            form = random.choice(cards)
            current = form.xpath(".//select[@name='stage']")[0].value
            stages = [o.get("value") for o in form.xpath(".//select[@name='stage']/option")]
            targets = [s for s in stages if s != current and s not in CLOSED_STAGES]
            data = values(form)
            data["stage"] = random.choice(targets)
            filters = doc.xpath("//form[@id='board-filters']")
            if filters:  # hx-include="#board-filters"
                data.update(values(filters[0]))
            self.post("move deal", form.get("action"), data, 'data-testid="board"', htmx=True, current="/sales/pipeline/")
        self.run_task(work)

    @task(1)
    def quote(self):
        def work():
            pk = self.a_customer()
            url = f"/sales/customers/{pk}/quotes/new/"
            page = self.get("new quote", url, 'data-testid="quote-form"')
            form = form_of(page, "//form[.//input[@name='lines-TOTAL_FORMS']]")
            data = values(form)
            products = [o.get("value") for o in form.xpath(".//select[@name='lines-0-product']/option") if o.get("value")]
            # Half of them over the discount policy: they wait for the manager's approval.
            data.update({"lines-0-product": random.choice(products), "lines-0-quantity": str(random.randint(1, 20)),
                         "lines-0-discount_pct": random.choice(["0", "5", "30"])})
            detail = self.post("save quote", url, data, 'data-testid="total"', current=url)
            submit = form_of(detail, "//form[contains(@action, '/submit/')]")
            if submit is not None:
                self.post("submit quote", submit.get("action"), values(submit), 'data-testid="total"', current=url)
        self.run_task(work)

    @task(2)
    def home(self):
        self.run_task(self.workbench)

    @task(1)
    def agenda(self):
        self.run_task(lambda: self.get("agenda", "/activities/agenda/", 'data-testid="count-today"'))


class Manager(KehuUser):
    """A sales manager: approves the quotes waiting for them, watches the pipeline and the 工作台."""

    role = "manager"
    first = ("board", "approve")
    workbench_marker = 'data-testid="wb-manager"'
    fixed_count = COUNTS.get("manager", 0)

    @task(3)
    def approve(self):
        def work():
            inbox = self.get("approvals", "/sales/quotes/approvals/", ('data-testid="row-', 'data-testid="empty"'))
            found = QUOTE_LINK.findall(inbox)
            if not found:
                return
            url = found[0]  # oldest first
            page = self.get("quote page", url, 'data-testid="total"')
            form = form_of(page, "//form[contains(@action, '/decide/')]")
            if form is None:
                return
            data = values(form)
            data.update(decision="approve", comment="同意")
            self.post("approve quote", form.get("action"), data, 'data-testid="total"', current=url)
        self.run_task(work)

    @task(2)
    def board(self):
        self.run_task(self.pipeline)

    @task(2)
    def home(self):
        self.run_task(self.workbench)

    @task(1)
    def team(self):
        self.run_task(lambda: self.get("team", "/activities/team/", 'data-testid="rep-row-'))

    @task(1)
    def friday(self):
        self.run_task(self.review)


class Finance(KehuUser):
    """Finance: opens the receivables' aging and records payments against open receivables."""

    role = "finance"
    first = ("record_payment",)
    workbench_marker = 'data-testid="wb-finance"'
    fixed_count = COUNTS.get("finance", 0)

    def setup(self):
        self.debtors: list[str] = []

    def aging(self):
        page = self.get("aging", "/finance/receivables/", 'data-testid="aging-company"')
        found = CUSTOMER_LINK.findall(page)
        if found:
            self.debtors = list(dict.fromkeys(found))

    @task(2)
    def open_aging(self):
        self.run_task(self.aging)

    @task(3)
    def record_payment(self):
        def work():
            if not self.debtors:
                self.aging()
            if not self.debtors:
                return
            pk = random.choice(self.debtors)
            url = f"/finance/customers/{pk}/payments/new/"
            page = self.get("payment form", url, 'name="amount"')
            form = form_of(page, "//form[.//input[@name='amount']]")
            # The oldest open instalment of a contract, else the oldest open receivable of an order.
            instalments = [o.get("value") for o in form.xpath(".//select[@name='instalment']/option") if o.get("value")]
            receivables = [o.get("value") for o in form.xpath(".//select[@name='receivable']/option") if o.get("value")]
            if not instalments and not receivables:  # paid up since the aging was read
                self.debtors.remove(pk)
                return
            data = values(form)
            data.update(amount=random.choice(["100.00", "1000.00", "2500.50"]), contract="", instalment="", receivable="")
            if instalments:
                data["instalment"] = instalments[0]
            else:
                data["receivable"] = receivables[0]
            self.post("record payment", url, data, 'data-testid="payment-applied"', current=url)
        self.run_task(work)

    @task(1)
    def payments(self):
        self.run_task(lambda: self.get("payments", "/finance/payments/", 'data-testid="payment-totals"'))

    @task(1)
    def home(self):
        self.run_task(self.workbench)


class Director(KehuUser):
    """The director on Friday: the review, the 工作台 and the reports."""

    role = "director"
    first = ("friday",)
    workbench_marker = 'data-testid="wb-director"'
    fixed_count = COUNTS.get("director", 0)

    REPORTS = (("funnel", "/reports/funnel/", 'data-testid="funnel-summary"'),
               ("lead sources", "/reports/sources/", 'data-testid="sources-table"'),
               ("activity report", "/reports/activity/", 'data-testid="activity-rules"'))

    @task(3)
    def friday(self):
        self.run_task(self.review)

    @task(3)
    def home(self):
        self.run_task(self.workbench)

    @task(3)
    def reports(self):
        name, url, marker = random.choice(self.REPORTS)
        self.run_task(lambda: self.get(name, url, marker))

    @task(1)
    def board(self):
        self.run_task(self.pipeline)
