"""Uploaded datasets waiting between the preview and "Import now".

The files are kept in a fresh directory named by a random token (the session holds the
token, never a path). File names from the browser are never used: each file is stored
under its canonical name (`customers.csv`, `dataset.xlsx`), so no path trick reaches the
disk. Uploads older than a day are removed whenever a new one arrives.
"""

import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings

TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE_SECONDS = 24 * 3600
WORKBOOK = "dataset.xlsx"
# A firm's own list (migrate: read through a mapping, kehu.dataset.mapping).
FOREIGN_CSV = "list.csv"
FOREIGN_XLSX = "list.xlsx"


def upload_root() -> Path:
    root = Path(getattr(settings, "KEHU_IMPORT_DIR", "") or Path(tempfile.gettempdir()) / "kehu-imports")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def upload_save(files: list[tuple[str, object]]) -> str:
    """Store `(canonical name, uploaded file)` pairs; return the token that finds them again."""
    _remove_old()
    token = secrets.token_hex(16)
    folder = upload_root() / token
    folder.mkdir(mode=0o700)
    for name, uploaded in files:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        with open(folder / name, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
    return token


def upload_path(token: str) -> Path | None:
    """The dataset path of an upload (its folder, or the workbook in it); None if gone or not a token."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    folder = upload_root() / token
    if not folder.is_dir():
        return None
    workbook = folder / WORKBOOK
    return workbook if workbook.exists() else folder


def upload_foreign(token: str) -> Path | None:
    """The firm's own file of an upload, or None (a Kehu dataset, or gone)."""
    path = upload_path(token)
    if path is None or not path.is_dir():
        return None
    for name in (FOREIGN_XLSX, FOREIGN_CSV):
        if (path / name).exists():
            return path / name
    return None


def upload_dataset(upload: dict):
    """The Kehu dataset of a waiting upload — the session's {"token", "names", "plan"} — or None
    when it is gone. A firm's own file is read through its plan (the mapping of the preview).
    The "Import now" step (in the request or as a background task) starts from here."""
    from kehu.dataset.files import open_dataset
    from kehu.dataset.mapping import Plan, foreign_prepare

    token, names = upload.get("token", ""), upload.get("names") or []
    path = upload_path(token)
    if path is None:
        return None
    shown = names[0] if len(names) == 1 else None
    if upload.get("plan"):
        foreign = upload_foreign(token)
        if foreign is None:
            return None
        dataset = foreign_prepare(foreign, shown=shown, plan=Plan.from_json(upload["plan"])).dataset
    else:
        dataset = open_dataset(path, shown=shown if path.is_file() else None)
    dataset.label = ", ".join(names)[:255]
    return dataset


def upload_discard(token: str) -> None:
    if isinstance(token, str) and TOKEN.match(token):
        shutil.rmtree(upload_root() / token, ignore_errors=True)


def _remove_old() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    root = upload_root()
    for child in root.iterdir():
        try:
            if child.is_dir() and TOKEN.match(child.name) and child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
        except OSError:
            continue
