"""The Makefile, pyproject.toml and README a newcomer meets first (issue 10, items 23 and 24).

`make -n` only prints what a target would run; `-W pyproject.toml` pretends pyproject.toml was
just edited, so the printout shows what an edit reinstalls. Nothing is installed or deleted.
"""

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _dry_run(*args):
    # Kehu's own variables, a DATABASE_URL or an outer make's flags would change the printout.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KEHU_") and k not in {"DATABASE_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = subprocess.run(["make", "-n", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def _installs(lines):
    return [line for line in lines if "pip install" in line and " -e " in line]


@needs_make
def test_make_run_after_a_pyproject_edit_reinstalls_kehu_without_the_test_tools():
    installs = _installs(_dry_run("-W", "pyproject.toml", "run"))
    assert installs, "make run must reinstall Kehu when pyproject.toml changes"
    assert not [line for line in installs if "[test]" in line], installs


@needs_make
def test_make_test_after_a_pyproject_edit_reinstalls_kehu_with_the_test_tools():
    installs = _installs(_dry_run("-W", "pyproject.toml", "test"))
    assert [line for line in installs if ".[test]" in line], installs


@needs_make
def test_make_run_serves_without_debug_so_the_demo_shows_kehus_own_error_pages():
    serve = [line for line in _dry_run("-B", "run") if "runserver" in line]
    assert serve and "KEHU_DEBUG=0" in serve[0], serve


@needs_make
def test_make_run_debug_1_serves_with_debug():
    serve = [line for line in _dry_run("-B", "run", "KEHU_DEBUG=1") if "runserver" in line]
    assert serve and "KEHU_DEBUG=1" in serve[0], serve


@needs_make
def test_make_reset_deletes_the_demo_database_in_var_and_loads_the_demo_again():
    lines = _dry_run("-B", "reset")
    removal = [line for line in lines if line.startswith("rm ")]
    assert removal and "var/kehu.sqlite3" in removal[0] and "var/kehu.sqlite3-wal" in removal[0], lines
    assert any(" demo " in f" {line} " for line in lines[lines.index(removal[0]):]), lines


def test_pyproject_licence_is_an_spdx_string_setuptools_reads_without_a_warning():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in pyproject["build-system"]["requires"]


def test_newcomer_reads_in_the_readme_how_to_serve_where_the_data_lives_and_how_to_start_again():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for needed in ("PORT=", "HOST=", "var/kehu.sqlite3", "make reset", "KEHU_DEBUG=1"):
        assert needed in readme, needed
