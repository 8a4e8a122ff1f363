"""Personal access tokens on the API (issue 14): Bearer/Token headers, read-only vs read-write,
401 for no, unknown, revoked or expired credentials, the user's own visibility, hashing and the
last-used throttle. Sessions keep working, with their CSRF check."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.accounts.tokens import (
    LAST_USED_EVERY,
    PREFIX_LENGTH,
    AccessToken,
    access_token_authenticate,
    access_token_create,
    access_token_revoke,
    token_hash,
)
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer

LIST = "/api/customers/"


def detail(customer):
    return f"/api/customers/{customer.pk}/"


def with_token(raw, keyword="Bearer"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {raw}")
    return client


def codes(response):
    return {row["code"] for row in response.json()["results"]}


@pytest.fixture
def read_token(rep_a):
    return access_token_create(actor=rep_a, name="ERP 同步", scope="read")


@pytest.fixture
def write_token(rep_a):
    return access_token_create(actor=rep_a, name="脚本", scope="write")


# --- signing in ---------------------------------------------------------------------------------

def test_rep_a_token_reads_exactly_what_rep_a_sees(cast, read_token):
    _token, raw = read_token
    for keyword in ("Bearer", "Token", "bearer"):
        response = with_token(raw, keyword).get(LIST)
        assert response.status_code == 200, keyword
        assert codes(response) == {"C00001", "C00004"}  # own and pool, as the session sees


def test_rep_a_token_gets_404_for_rep_b_customer(cast, read_token, write_token):
    for _token, raw in (read_token, write_token):
        client = with_token(raw)
        assert client.get(detail(cast["customer_b"])).status_code == 404
    client = with_token(write_token[1])
    assert client.patch(detail(cast["customer_b"]), {"name": "Stolen"}, format="json").status_code == 404
    assert Customer.objects.get(pk=cast["customer_b"].pk).name == "信疗医疗器械有限公司"


def test_anonymous_gets_401_with_www_authenticate(cast):
    client = APIClient()
    for method, url in (("get", LIST), ("get", detail(cast["customer_a"])), ("post", LIST), ("get", "/api/schema/")):
        response = getattr(client, method)(url)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("raw", ["kehu_not-a-real-token", "nonsense", "kehu_" + "x" * 300])
def test_unknown_token_gets_401(cast, raw):
    response = with_token(raw).get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_malformed_header_gets_401(cast, read_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {read_token[1]} extra")
    assert client.get(LIST).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer")
    assert client.get(LIST).status_code == 401


def test_revoked_token_gets_401(cast, read_token):
    token, raw = read_token
    assert with_token(raw).get(LIST).status_code == 200
    access_token_revoke(actor=cast["rep_a"], token=token)
    assert with_token(raw).get(LIST).status_code == 401
    row = AccessToken.objects.get(pk=token.pk)
    assert row.is_revoked and row.revoked_at is not None
    assert AuditEvent.objects.filter(object_type="accesstoken", object_id=token.pk, verb="remove").count() == 1


def test_another_user_cannot_revoke_rep_a_token(cast, read_token):
    token, raw = read_token
    access_token_revoke(actor=cast["rep_b"], token=token)
    assert not AccessToken.objects.get(pk=token.pk).is_revoked
    assert with_token(raw).get(LIST).status_code == 200


def test_expired_token_gets_401(cast, rep_a):
    token, raw = access_token_create(actor=rep_a, name="short", scope="read", expires_on=timezone.localdate())
    assert with_token(raw).get(LIST).status_code == 200  # works to the end of its last day
    AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert with_token(raw).get(LIST).status_code == 401


def test_token_expiring_on_a_day_stops_at_the_end_of_that_day(rep_a):
    day = timezone.localdate() + timedelta(days=3)
    token, _raw = access_token_create(actor=rep_a, name="x", scope="read", expires_on=day)
    assert timezone.localtime(token.expires_at).date() == day + timedelta(days=1)
    assert (timezone.localtime(token.expires_at).hour, timezone.localtime(token.expires_at).minute) == (0, 0)


def test_disabled_user_token_gets_401(cast, read_token):
    rep_a = cast["rep_a"]
    rep_a.is_active = False
    rep_a.save()
    assert with_token(read_token[1]).get(LIST).status_code == 401


# --- read-only and read-write ---------------------------------------------------------------------

def test_read_only_token_gets_403_on_every_unsafe_method(cast, read_token):
    client = with_token(read_token[1])
    url = detail(cast["customer_a"])
    assert client.post(LIST, {"name": "新客户"}, format="json").status_code == 403
    assert client.patch(url, {"name": "改名"}, format="json").status_code == 403
    assert client.put(url, {"name": "改名"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert client.post(url + "claim/").status_code == 403
    assert client.options(LIST).status_code == 200
    assert client.head(LIST).status_code == 200
    customer = Customer.objects.get(pk=cast["customer_a"].pk)
    assert (customer.name, customer.is_deleted) == ("华为技术有限公司", False)
    assert Customer.objects.count() == 4


def test_read_only_token_refusal_is_translated(cast, read_token):
    response = with_token(read_token[1]).patch(detail(cast["customer_a"]), {"name": "x"}, format="json")
    assert "只读" in json.dumps(response.json(), ensure_ascii=False)
    cast["rep_a"].language = "en"
    cast["rep_a"].save()
    response = with_token(read_token[1]).patch(detail(cast["customer_a"]), {"name": "x"}, format="json")
    assert "read-only" in json.dumps(response.json())


def test_write_token_changes_rep_a_customer_without_csrf(cast, write_token):
    client = with_token(write_token[1])
    client.handler.enforce_csrf_checks = True
    response = client.patch(detail(cast["customer_a"]), {"name": "华为技术（新）"}, format="json")
    assert response.status_code == 200, response.content
    assert Customer.objects.get(pk=cast["customer_a"].pk).name == "华为技术（新）"


def test_write_token_has_the_users_rights_not_more(cast):
    """Finance may not change sales data on a page; a finance write token may not either."""
    _token, raw = access_token_create(actor=cast["finance"], name="fin", scope="write")
    client = with_token(raw)
    assert client.get(detail(cast["customer_a"])).status_code == 200
    assert client.post(LIST, {"name": "财务客户"}, format="json").status_code == 403


def test_session_still_works_and_still_checks_csrf(cast):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast["rep_a"])
    assert client.get(LIST).status_code == 200
    assert client.patch(detail(cast["customer_a"]), {"name": "No CSRF"}, format="json").status_code == 403
    assert Customer.objects.get(pk=cast["customer_a"].pk).name == "华为技术有限公司"


# --- storage -----------------------------------------------------------------------------------------

def _every_text_in_the_database() -> str:
    """Every text column of every table, dumped: the raw token must be in none of them."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_only_the_hash_and_a_prefix_are_stored(cast, read_token):
    token, raw = read_token
    assert raw.startswith("kehu_") and len(raw) >= 45
    row = AccessToken.objects.get(pk=token.pk)
    assert row.key_hash == token_hash(raw) and len(row.key_hash) == 64
    assert row.prefix == raw[:PREFIX_LENGTH] and len(row.prefix) == 13
    with_token(raw).get(LIST)  # using it writes nothing of it either
    dump = _every_text_in_the_database()
    assert raw not in dump
    assert raw[PREFIX_LENGTH:] not in dump
    assert AuditEvent.objects.filter(object_type="accesstoken", object_id=token.pk, verb="create").count() == 1


def test_two_tokens_differ(rep_a):
    _a, raw_a = access_token_create(actor=rep_a, name="a", scope="read")
    _b, raw_b = access_token_create(actor=rep_a, name="b", scope="read")
    assert raw_a != raw_b


# --- last used ------------------------------------------------------------------------------------------

def test_last_used_is_written_at_most_once_a_minute(cast, read_token, django_assert_num_queries):
    token, raw = read_token
    assert AccessToken.objects.get(pk=token.pk).last_used_at is None
    first = access_token_authenticate(raw=raw)
    stamp = AccessToken.objects.get(pk=token.pk).last_used_at
    assert stamp is not None and first.last_used_at == stamp
    with django_assert_num_queries(1):  # the lookup only: no write within the minute
        access_token_authenticate(raw=raw)
    assert AccessToken.objects.get(pk=token.pk).last_used_at == stamp
    earlier = stamp - LAST_USED_EVERY - timedelta(seconds=1)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    with django_assert_num_queries(2):  # the lookup and one guarded update
        access_token_authenticate(raw=raw)
    assert AccessToken.objects.get(pk=token.pk).last_used_at > earlier


def test_api_request_with_a_token_marks_it_used(cast, read_token):
    token, raw = read_token
    with_token(raw).get(LIST)
    with_token(raw).get(LIST)
    assert AccessToken.objects.get(pk=token.pk).last_used_at is not None


# --- schema -----------------------------------------------------------------------------------------------

def test_schema_declares_the_token_scheme(cast, read_token):
    response = with_token(read_token[1]).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert {"tokenAuth": []} in schema["paths"]["/api/customers/"]["get"]["security"]
    assert {"cookieAuth": []} in schema["paths"]["/api/customers/"]["get"]["security"]


def test_schema_scheme_description_follows_the_language(cast, read_token):
    zh = json.loads(with_token(read_token[1]).get("/api/schema/", {"format": "json", "lang": "zh-hans"}).content)
    en = json.loads(with_token(read_token[1]).get("/api/schema/", {"format": "json", "lang": "en"}).content)
    assert "personal access token" in en["components"]["securitySchemes"]["tokenAuth"]["description"]
    assert "令牌" in zh["components"]["securitySchemes"]["tokenAuth"]["description"]
