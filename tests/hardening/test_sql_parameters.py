"""Every SQL statement reaches the database with its values as bound parameters.

Two checks: no code builds SQL text from values (an AST walk over the sources, which also
catches what ruff's S608 misses, e.g. ``sa.text(f"...")``), and at run time a hostile value
sent through the API shows up only among a statement's parameters, never in its text.
"""

import ast
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hoa.core.database import Database
from tests.factories import World, local

SOURCES = Path(__file__).resolve().parents[2] / "src" / "hoa"
SQL_CALLS = {"text", "exec_driver_sql", "execute", "executescript"}
# Built from constants in the code, never from input: SQLite pragmas, the BEGIN mode and the
# statuses the overlap guard covers; and the backup's per-table checksums, whose table names
# come from the database's own catalogue, quoted as identifiers.
ALLOWED = {
    ("database.py", 'f"PRAGMA {pragma}"'),
    ("database.py", 'f"BEGIN {mode}"'),
    ("reservations.py", 'f"exclusive AND status IN ({_HELD_SQL})"'),
    ("backup.py", 'f"SELECT count(*), {_ROW_DIGEST} FROM {quoted} AS t"'),
    ("backup.py", 'f"SELECT * FROM {quoted}"'),
}
HOSTILE = "x'); DROP TABLE users; --"


def dynamic_sql(tree: ast.AST, source: str) -> Iterator[str]:
    """Source of each first argument to a SQL call that is a string built at run time."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        arg = node.args[0]
        built = isinstance(arg, ast.JoinedStr) or (
            isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add | ast.Mod)
        )
        formatted = (
            isinstance(arg, ast.Call)
            and isinstance(arg.func, ast.Attribute)
            and arg.func.attr == "format"
        )
        if name in SQL_CALLS and (built or formatted):
            yield ast.get_source_segment(source, arg) or ""


def test_no_sql_text_is_built_from_values() -> None:
    found = set()
    for path in SOURCES.rglob("*.py"):
        source = path.read_text()
        for segment in dynamic_sql(ast.parse(source), source):
            found.add((path.name, segment))
    assert found == ALLOWED


def test_the_walk_catches_built_sql() -> None:
    """The check above is only as good as its detector: it must see each way of building SQL."""
    source = (
        'sa.text(f"SELECT {x}")\n'
        'conn.exec_driver_sql("DELETE FROM t WHERE id = " + x)\n'
        'cur.execute("SELECT %s" % x)\n'
        'session.execute(sa.text("SELECT {}".format(x)))\n'
        'sa.text("SELECT :x")\n'
    )
    assert len(list(dynamic_sql(ast.parse(source), source))) == 4


async def test_input_travels_as_parameters_only(as_user: Any, world: World, db: Database) -> None:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    engine = db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        admin, resident = await as_user("admin"), await as_user("resident")
        start = local(3, 10)
        body = {
            "amenity_id": str(world.amenities["court"].id),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "title": HOSTILE,
            "notes": HOSTILE,
        }
        assert (await resident.post("/reservations", body)).status_code == 201
        assert (await admin.get("/members", params={"q": HOSTILE})).status_code == 200
        assert (await admin.post("/households", {"label": HOSTILE})).status_code == 201
        r = await admin.patch(f"/amenities/{world.amenities['pool'].id}", {"name": HOSTILE})
        assert r.status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)

    assert statements
    assert not [s for s, _ in statements if "DROP TABLE" in s]
    assert any(HOSTILE in str(p) for _, p in statements)  # the value did reach the database
