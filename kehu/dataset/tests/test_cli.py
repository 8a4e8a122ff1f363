"""The real `kehu` console command: exit codes, and nothing but JSON on stdout with --json."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kehu.dataset.tests.conftest import CUSTOMER_HEADER, EXAMPLE, customer_row, write_dataset

ROOT = Path(__file__).resolve().parents[3]


def _kehu(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kehu.cli", *[str(a) for a in args]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def env(tmp_path):
    """A fresh SQLite database of its own (never the one DATABASE_URL points at)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KEHU_ENV")}
    env.update(KEHU_SQLITE_PATH=str(tmp_path / "cli.sqlite3"), KEHU_VAR_DIR=str(tmp_path / "var"), LANGUAGE="en")
    done = _kehu(env, "migrate", "--noinput", "-v", "0")
    assert done.returncode == 0, done.stderr
    return env


def test_system_cli_exit_codes_and_json_stdout(env, tmp_path):
    bad = write_dataset(tmp_path / "bad", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司"), customer_row("C2", "乙公司", kind="x")]})

    done = _kehu(env, "import", bad, "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [(e["file"], e["line"], e["column"]) for e in report["errors"]] == [("customers.csv", 3, "kind")]
    assert report["created"] == {"customers.csv": 0}

    done = _kehu(env, "import", bad, "--skip-bad", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["created"] == {"customers.csv": 1}

    done = _kehu(env, "import", EXAMPLE, "--dry-run", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["created"]["customers.csv"] == 61

    done = _kehu(env, "import", tmp_path / "missing", "--json")
    assert done.returncode == 2 and done.stdout == ""

    done = _kehu(env, "export", tmp_path / "out.xlsx")
    assert done.returncode == 0 and (tmp_path / "out.xlsx").exists()
