"""/api/docs/ (issue 14): Swagger UI served by Kehu itself, in Kehu's layout and language, under
the Content-Security-Policy; every asset it loads is ours."""

import re

from django.contrib.staticfiles import finders
from django.urls import reverse

from kehu.core.middleware import CONTENT_SECURITY_POLICY

DOCS = "/api/docs/"


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(DOCS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_rep_a_gets_the_docs_and_every_asset_is_ours(client, rep_a):
    client.force_login(rep_a)
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert any("swagger-ui-bundle.js" in a for a in assets) and any("swagger-ui.css" in a for a in assets)
    assert any(a.endswith("kehu/api-docs.js") for a in assets)
    for url in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 100, asset
    assert "<script>" not in html and "<style" not in html  # the policy refuses both


def test_the_page_points_at_the_schema_in_the_users_language(client, rep_a):
    client.force_login(rep_a)
    html = client.get(DOCS).content.decode()
    assert 'data-schema-url="/api/schema/?format=json&amp;lang=zh-hans"' in html
    assert "API 文档" in html
    rep_a.language = "en"
    rep_a.save()
    html = client.get(DOCS).content.decode()
    assert 'data-schema-url="/api/schema/?format=json&amp;lang=en"' in html
    assert "API documentation" in html and "Swagger UI has no translations" in html
    schema = client.get("/api/schema/", {"format": "json", "lang": "en"})
    assert schema.status_code == 200


def test_docs_link_to_the_token_page_and_back(client, rep_a):
    client.force_login(rep_a)
    assert reverse("accounts:me") in client.get(DOCS).content.decode()
    assert DOCS in client.get(reverse("accounts:me")).content.decode()


def test_swagger_css_only_uses_data_images():
    """The policy allows images from ourselves and data: only; Swagger UI's stylesheet must not
    fetch anything from elsewhere."""
    css = open(finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"), encoding="utf-8").read()
    urls = re.findall(r"url\(([^)]*)\)", css)
    assert all(u.strip("'\"").startswith("data:") for u in urls), [u for u in urls if not u.strip("'\"").startswith("data:")][:5]
