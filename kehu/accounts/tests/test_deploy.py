"""Production settings: `kehu check --deploy` passes with no warning; settings come from the environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run(args, extra_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_") and k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update({"KEHU_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings", **extra_env})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def _production_env():
    return {
        "KEHU_ENV": "production",
        "KEHU_SECRET_KEY": secrets.token_urlsafe(64),
        "KEHU_ALLOWED_HOSTS": "crm.example.com",
    }


def test_production_settings_pass_check_deploy_with_no_warning(tmp_path):
    result = _run(["-m", "kehu.cli", "check", "--deploy", "--fail-level", "WARNING"], _production_env(), tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output.upper().replace("--FAIL-LEVEL WARNING", "")


def test_development_settings_do_fail_check_deploy(tmp_path):
    """The check is real: the development defaults (DEBUG, a known key) are reported."""
    result = _run(["-m", "kehu.cli", "check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    env = _production_env()
    del env["KEHU_SECRET_KEY"]
    result = _run(["-m", "kehu.cli", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "KEHU_SECRET_KEY" in result.stderr


def _settings(names, extra_env, tmp_path) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: repr(eval('s.' + n)) for n in {names!r}}}))"
    )
    result = _run(["-c", code], extra_env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_session_length_comes_from_kehu_session_hours(tmp_path):
    assert _settings(["SESSION_COOKIE_AGE"], {}, tmp_path) == {"SESSION_COOKIE_AGE": str(12 * 3600)}
    assert _settings(["SESSION_COOKIE_AGE"], {"KEHU_SESSION_HOURS": "8"}, tmp_path) == {"SESSION_COOKIE_AGE": str(8 * 3600)}


def test_production_cookies_are_secure_and_debug_is_off(tmp_path):
    names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "ALLOWED_HOSTS", "PROXY_COUNT"]
    assert _settings(names, _production_env(), tmp_path) == {
        "DEBUG": "False", "SESSION_COOKIE_SECURE": "True", "CSRF_COOKIE_SECURE": "True",
        "ALLOWED_HOSTS": "['crm.example.com']", "PROXY_COUNT": "1",
    }


def test_database_url_switches_to_postgresql(tmp_path):
    name = "DATABASES['default']['ENGINE']"
    pg = _settings([name], {"DATABASE_URL": "postgres://u:p@127.0.0.1:5432/kehu"}, tmp_path)
    assert pg[name] == "'django.db.backends.postgresql'"
    assert _settings([name], {}, tmp_path)[name] == "'kehu.core.sqlite'"


def test_production_static_files_collect(tmp_path):
    """`kehu collectstatic` in production writes hashed, compressed copies of every vendored file."""
    env = {**_production_env(), "KEHU_STATIC_ROOT": str(tmp_path / "static")}
    result = _run(["-m", "kehu.cli", "collectstatic", "--noinput", "-v", "0"], env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    assert "vendor/bootstrap-5.3.9/bootstrap.min.css" in manifest
    assert "kehu/kehu.css" in manifest
    assert (tmp_path / "static" / (manifest["kehu/kehu.css"] + ".gz")).exists()
