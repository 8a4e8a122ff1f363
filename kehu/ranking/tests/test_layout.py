"""The ranking app's layout (STYLE.md, issue 10): the models are pure functions over the facts
(no database), the predicates live once in permissions.py, views write nothing."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_scoring_is_pure():
    """kehu/ranking/scoring reads no database: only the standard library, itself and core's date arithmetic."""
    allowed = ("kehu.ranking.scoring", "kehu.core.dates", "__future__")
    for path in (APP / "scoring").glob("*.py"):
        for name in _imports(path):
            if name.startswith(("kehu", "django")):
                assert name.startswith(allowed), f"{path.name} imports {name}"


def test_rights_to_act_live_in_permissions():
    found = {}
    for path in APP.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("can_"):
                found.setdefault(node.name, []).append(path.relative_to(APP).as_posix())
    assert found == {
        "can_start_run": ["permissions.py"],
        "can_edit_ranking_settings": ["permissions.py"],
        "can_edit_policies": ["permissions.py"],
    }


def test_views_write_nothing():
    writes = (".save(", ".create(", ".delete(", ").update(", "objects.update", "bulk_create", "select_for_update", "transaction.", "audit_record")
    for path in (APP / "views").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [w for w in writes if w in text], path.name
