"""The admin index (/admin/) reads in Chinese: every model of Kehu has a translated verbose
name and plural, every app a translated name, and the login-protection models of django-axes
are translated by our catalogue (issue 10 item 22)."""

import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_kehu_model_and_app_has_a_chinese_name():
    missing = []
    with translation.override("zh-hans"):
        for config in apps.get_app_configs():
            if not config.name.startswith("kehu."):
                continue
            if list(config.get_models()) and not CJK.search(str(config.verbose_name)):
                missing.append(f"app {config.label}: {config.verbose_name}")
            for model in config.get_models():
                opts = model._meta
                for attr in ("verbose_name", "verbose_name_plural"):
                    if attr not in opts.original_attrs or not CJK.search(str(getattr(opts, attr))):
                        missing.append(f"{opts.label}.{attr}: {getattr(opts, attr)}")
    assert missing == []


@pytest.mark.django_db
def test_admin_index_in_chinese_names_every_app_and_model_in_chinese(client, admin):
    admin.language = "zh-hans"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    html = client.get(reverse("admin:index")).content.decode()
    apps_shown = re.findall(r'<a href="[^"]+" class="section" title="[^"]*">([^<]+)</a>', html)
    models_shown = re.findall(r'<th scope="row" id="[^"]+">\s*<a href="[^"]+"[^>]*>([^<]+)</a>', html)
    assert len(apps_shown) >= 6 and len(models_shown) >= 10
    english = [name for name in apps_shown + models_shown if not CJK.search(name)]
    assert english == []
