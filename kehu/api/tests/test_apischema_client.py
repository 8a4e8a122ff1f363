"""A Python client generated from the served schema (openapi-python-client, issue 14) imports
as a whole and works: it lists a rep's customers from a live server on loopback and reads an
error in the documented shape. About half a minute (the generator, then a live server).

Signed in by the session cookie for now; with personal access tokens (engineer apitok) use
`AuthenticatedClient(base_url=..., token=...)` in `api_client` instead.
"""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.apischema

PACKAGE = "kehu_api_client"
CONFIG = f"package_name_override: {PACKAGE}\nproject_name_override: kehu-api-client\npost_hooks: []\n"


def signed_in_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def generated(tmp_path, cast):
    """The client package generated from /api/schema/ as rep_a is served it, importable."""
    client = Client()
    client.force_login(cast["rep_a"])
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    (tmp_path / "schema.json").write_bytes(response.content)
    (tmp_path / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [str(generator), "generate", "--path", str(tmp_path / "schema.json"), "--meta", "none",
         "--output-path", str(tmp_path / "out" / PACKAGE), "--config", str(tmp_path / "config.yaml"), "--fail-on-warning"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        yield tmp_path / "out" / PACKAGE
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_generated_client_imports_every_module_and_lists_customers(generated, live_server, cast):
    package = importlib.import_module(PACKAGE)
    modules = [m.name for m in pkgutil.walk_packages(package.__path__, PACKAGE + ".")]
    for name in modules:
        importlib.import_module(name)  # none fails to import
    assert len(modules) > 60

    from kehu_api_client import Client as ApiClient
    from kehu_api_client.api.customers import customers_list, customers_retrieve
    from kehu_api_client.models import CustomersListOrdering, Error

    api_client = ApiClient(base_url=live_server.url, cookies={"sessionid": signed_in_cookie(cast["rep_a"])},
                           raise_on_unexpected_status=True)
    page = customers_list.sync(client=api_client, ordering=CustomersListOrdering.CODE)
    assert [c.code for c in page.results] == ["C00001", "C00004"]  # customer_a and the pool customer
    pool = page.results[1]
    assert pool.owner is None and pool.pyramid_tier is None and pool.value_class is None

    missing = customers_retrieve.sync_detailed(client=api_client, id=cast["customer_b"].pk)  # rep_b's: 404
    assert missing.status_code == 404 and isinstance(missing.parsed, Error)
    assert missing.parsed.error.code == "not_found"
