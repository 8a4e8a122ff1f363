"""The scoring settings page: admin only, one form per model, only non-default parameters
stored (exact strings), errors on the form with nothing saved, reset, audit, schedule dates."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.core.models import AuditEvent
from kehu.ranking.models import EvaluationRun, RankingSettings
from kehu.ranking.services import evaluation_run
from kehu.ranking.selectors import next_scheduled_run
from kehu.ranking.services import ranking_settings_save

URL = reverse("ranking:settings")
RESET = reverse("ranking:settings-reset")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def en_login(login):
    def _login(user):
        user.language = "en"
        user.save(update_fields=["language"])
        return login(user)

    return _login


def _post(client, model, window="12", every="1", **params):
    data = {"model": model, f"{model}-window_months": window, f"{model}-every_months": every}
    data.update({f"{model}-p_{k}": v for k, v in params.items()})
    return client.post(URL, data)


@pytest.mark.parametrize("who", ["director", "manager_a", "rep_a", "finance"])
def test_only_admin_may_open_or_post(request, en_login, who):
    user = request.getfixturevalue(who)
    client = en_login(user)
    assert client.get(URL).status_code == 403
    assert _post(client, "pyramid", important="0.02").status_code == 403
    assert client.post(RESET, {"model": "pyramid"}).status_code == 403
    assert all(not s.params for s in RankingSettings.objects.all())


def test_anonymous_is_sent_to_login(client, db):
    assert client.get(URL).status_code == 302


def test_page_shows_every_parameter_with_its_default(en_login, admin):
    response = en_login(admin).get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    for model in ("pyramid", "value", "key_account"):
        assert f'data-testid="form-{model}"' in text
    assert "Important: top share (0–1)" in text
    assert "Weight of sales" in text
    assert "Key-account score threshold (0–100)" in text
    assert 'placeholder="0.01"' in text and 'placeholder="70"' in text and 'placeholder="100000"' in text
    assert "Never run" in text
    # schedule defaults: 1, 1, 12
    assert {s.model: s.every_months for s in RankingSettings.objects.all()} == {"pyramid": 1, "value": 1, "key_account": 12}


def test_save_stores_only_what_differs_from_the_defaults(en_login, admin):
    client = en_login(admin)
    response = _post(client, "pyramid", window="6", every="3", important="0.020", major="0.20", ordinary="")
    assert response.status_code == 302
    conf = RankingSettings.objects.get(model="pyramid")
    assert conf.params == {"important": "0.020"}
    assert conf.window_months == 6 and conf.every_months == 3 and conf.updated_by == admin
    event = AuditEvent.objects.get(object_type="rankingsettings", object_id=conf.pk)
    assert event.actor == admin and event.verb == "update"
    assert event.changes["window_months"] == [12, 6]
    # the other models are untouched
    assert not RankingSettings.objects.get(model="value").params


def test_integer_parameter_is_stored_as_an_integer(en_login, admin):
    _post(en_login(admin), "value", strategic_influence="5", w_growth="2.5")
    conf = RankingSettings.objects.get(model="value")
    assert conf.params == {"w_growth": "2.5", "strategic_influence": 5}


@pytest.mark.parametrize("params,message", [
    ({"important": "1.5"}, "must be between 0 and 1"),
    ({"important": "abc"}, "has an invalid value"),
    ({"important": "0.6"}, "important ≤ major ≤ ordinary"),
])
def test_invalid_parameters_show_an_error_and_save_nothing(en_login, admin, params, message):
    response = _post(en_login(admin), "pyramid", window="6", **params)
    assert response.status_code == 200
    assert message in response.content.decode()
    conf = RankingSettings.objects.get(model="pyramid")
    assert conf.params == {} and conf.window_months == 12
    assert not AuditEvent.objects.filter(object_type="rankingsettings").exists()


@pytest.mark.parametrize("window,every", [("0", "1"), ("121", "1"), ("12", "-1"), ("x", "1")])
def test_window_and_schedule_are_bounded(en_login, admin, window, every):
    response = _post(en_login(admin), "key_account", window=window, every=every)
    assert response.status_code == 200
    conf = RankingSettings.objects.get(model="key_account")
    assert conf.window_months == 12 and conf.every_months == 12


def test_all_weights_zero_is_refused(en_login, admin):
    weights = {k: "0" for k in ("w_contract_volume", "w_price_level", "w_sales", "w_collection_rate", "w_profit",
                                "w_quality_losses", "w_influence", "w_reputation")}
    response = _post(en_login(admin), "key_account", every="12", **weights)
    assert "At least one weight must be positive." in response.content.decode()
    assert RankingSettings.objects.get(model="key_account").params == {}


def test_unknown_model_changes_nothing(en_login, admin):
    client = en_login(admin)
    assert client.post(URL, {"model": "nope"}).status_code == 302
    assert client.post(RESET, {"model": "nope"}).status_code == 302
    assert not AuditEvent.objects.filter(object_type="rankingsettings").exists()


def test_reset_restores_the_defaults(en_login, admin):
    client = en_login(admin)
    _post(client, "key_account", window="24", every="0", threshold="60")
    conf = RankingSettings.objects.get(model="key_account")
    assert conf.params == {"threshold": "60"} and conf.every_months == 0
    assert client.post(RESET, {"model": "key_account"}).status_code == 302
    conf.refresh_from_db()
    assert conf.params == {} and conf.window_months == 12 and conf.every_months == 12
    assert AuditEvent.objects.filter(object_type="rankingsettings", object_id=conf.pk).count() == 2


def test_reset_needs_post(en_login, admin):
    assert en_login(admin).get(RESET).status_code == 405


def test_service_refuses_non_admin(director):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ranking_settings_save(actor=director, model="pyramid", window_months=12, every_months=1, params={})


def test_next_run_date_is_clamped_to_the_months_end(db):
    conf = RankingSettings.load("pyramid")
    for as_of, every, due in [(date(2024, 1, 31), 1, date(2024, 2, 29)), (date(2025, 11, 30), 3, date(2026, 2, 28)),
                              (date(2025, 6, 30), 12, date(2026, 6, 30))]:
        conf.every_months = every
        assert next_scheduled_run(conf, EvaluationRun(model="pyramid", as_of=as_of), today=date(2020, 1, 1)) == due


def test_next_scheduled_run(db):
    conf = RankingSettings.load("pyramid")
    today = date(2026, 7, 10)
    assert next_scheduled_run(conf, None, today=today) == today
    run = EvaluationRun(model="pyramid", as_of=date(2026, 6, 30))
    assert next_scheduled_run(conf, run, today=today) == date(2026, 7, 30)
    assert next_scheduled_run(conf, run, today=date(2026, 9, 1)) == date(2026, 9, 1)
    conf.every_months = 0
    assert next_scheduled_run(conf, run, today=today) is None


def test_page_shows_latest_run_and_next_date(en_login, admin, customer_a):
    evaluation_run(actor=admin, model="key_account", as_of=date(2026, 6, 30))
    text = en_login(admin).get(URL).content.decode()
    assert "2026-06-30" in text  # latest key-account run
    assert "2027-06-30" in text  # + 12 months


def test_saved_settings_are_used_by_the_next_run(en_login, admin, customer_a):
    _post(en_login(admin), "pyramid", window="6", important="0.05")
    run = evaluation_run(actor=admin, model="pyramid", as_of=date(2026, 6, 30))
    assert run.window_months == 6
    assert Decimal(run.params["important"]) == Decimal("0.05")


@pytest.mark.urls("kehu.ranking.tests.test_panel")  # the run pages, or their stand-ins
def test_run_now_links_to_the_run_page_per_model(en_login, admin, customer_a):
    run = evaluation_run(actor=admin, model="value", as_of=date(2026, 6, 30))
    text = en_login(admin).get(reverse("ranking:settings")).content.decode()
    for model in ("pyramid", "value", "key_account"):
        assert f'{reverse("ranking:run-create")}?model={model}' in text
    assert reverse("ranking:run-detail", args=[run.pk]) in text


# ---------------------------------------------------------------------------- issue 10


def _opened(client, model):
    """The form of `model` as the page gave it: {name: value} of its inputs, hidden ones included."""
    import re

    html = client.get(URL).content.decode()
    form = re.search(rf'<form[^>]*data-testid="form-{model}".*?</form>', html, re.S).group(0)
    return {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}


def test_admin_saving_an_older_form_is_refused_and_told_what_changed(en_login, admin):
    from django.test import Client

    first = en_login(admin)
    second = Client()
    second.force_login(admin)
    mine = _opened(first, "pyramid")
    theirs = _opened(second, "pyramid")
    assert any(name.endswith("seen") for name in mine), "the form carries what it was opened with"
    theirs.update({"pyramid-window_months": "6", "pyramid-p_important": "0.02"})
    assert second.post(URL, theirs).status_code == 302

    mine.update({"pyramid-every_months": "3"})
    response = first.post(URL, mine)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Somebody else changed this record after you opened it." in text
    assert "Window (months): “12” → “6”" in text
    assert "Important: top share (0–1): “” → “0.02”" in text
    conf = RankingSettings.objects.get(model="pyramid")
    assert (conf.window_months, conf.every_months, conf.params) == (6, 1, {"important": "0.02"})
    # the refused form keeps the input, and saving it again (after seeing the changes) works
    again = _opened(first, "pyramid") | {"pyramid-every_months": "3"}
    assert first.post(URL, again).status_code == 302
    conf.refresh_from_db()
    assert (conf.window_months, conf.every_months) == (6, 3)


def test_admin_saving_another_models_card_is_not_refused(en_login, admin):
    from django.test import Client

    first = en_login(admin)
    second = Client()
    second.force_login(admin)
    mine = _opened(first, "value")
    theirs = _opened(second, "pyramid") | {"pyramid-window_months": "6"}
    assert second.post(URL, theirs).status_code == 302
    assert first.post(URL, mine | {"value-window_months": "24"}).status_code == 302
    assert RankingSettings.objects.get(model="value").window_months == 24


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_admin_settings_page_names_no_command(client, admin, language):
    """Issue 10 item 22: business users are not told about `kehu daily` (docs/operations.md is)."""
    admin.language = language
    admin.save(update_fields=["language"])
    client.force_login(admin)
    with translation.override(language):
        text = client.get(URL).content.decode()
    assert "kehu daily" not in text and "kehu " not in text.replace("kehu-", "")
