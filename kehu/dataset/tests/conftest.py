import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "small"
DEMO = Path(__file__).resolve().parents[1] / "demo"

CUSTOMER_HEADER = [
    "code", "name", "kind", "owner", "stage", "lead_source", "referrer", "province", "city", "industry", "phone",
    "uscc", "influence", "reputation", "credit_limit", "fund_status", "payment_attitude", "created_at",
]
USCC_1 = "914403001922038216"
USCC_2 = "91320100MA1MDEM01Q"
USCC_3 = "91330100MA2KEHU0DJ"


@pytest.fixture(autouse=True)
def _english():
    """Reasons are read in English here (the catalogue translates them for users)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    settings.KEHU_IMPORT_DIR = str(tmp_path / "uploads")


def customer_row(*code_and_name, **cells) -> list[str]:
    values = {"code": code_and_name[0], "name": code_and_name[1], "kind": "company", **cells}
    return [str(values.get(c, "")) for c in CUSTOMER_HEADER]


def write_dataset(folder: Path, files: dict[str, list[list[str]]]) -> Path:
    """files: {"customers.csv": [header, row, …]} written as UTF-8 CSV into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        with open(folder / name, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def run(command: str, *args) -> tuple[int, str]:
    """(exit code, stdout) of a kehu command run in-process."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, out.getvalue()


def run_json(*args) -> tuple[int, dict]:
    code, out = run("import", *args, "--json")
    return code, json.loads(out)


def where(report: dict, kind: str = "errors") -> list[tuple]:
    return [(e["file"], e["line"], e["column"]) for e in report[kind]]
