"""The package layout is the data flow: each package may import only the packages listed for it here.

The table below is the layering contract. ``docs/ARCHITECTURE.md`` carries the same table (checked below), so
the document cannot drift from the code. Every import counts: module level and inside functions.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "hubscan"
DOC = Path(__file__).resolve().parent.parent / "docs" / "ARCHITECTURE.md"

# package -> (its job, the hubscan packages it may import besides itself)
LAYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "errors": ("the exception tree; every message is a sentence a user can act on", ()),
    "records": ("dataclasses that cross stages (`Listing`, `FetchedFile`)", ()),
    "units": ("human-readable numbers: bytes, parameters, grams, kWh", ()),
    "reference": ("hardware, regions, grid intensity, PUE and the resolvers of names people write", ("errors", "units")),
    "source": ("the only code that talks to the Hub (`huggingface_hub`), the HF cache or a folder", ("errors", "records", "parse")),
    "parse": ("pure reading of cards and card front matter: reported emissions in YAML and prose", ("errors", "records", "reference", "units")),
    "estimate": ("pure estimation: parameters, memory, FLOPs from configs; training emissions", ("errors", "records", "reference", "units")),
    "store": ("the schema (migrations, column docs) and the only code that writes the catalog", ("errors", "records", "parse")),
    "derive": ("pure derived rows (footprints, emissions, lineage, families), handed to `store` to write", ("errors", "records", "parse", "estimate", "reference", "store", "units")),
    "crawl": ("orchestration: listing, fetching, writing, deriving; per-model failures become rows", ("errors", "records", "source", "parse", "estimate", "derive", "store", "units")),
    "report": ("the read side: named queries, rendering, plots, headlines, stats, Datasette; reads only", ("errors", "records", "derive", "estimate", "reference", "store", "units")),
    "mirror": ("the local Hub server the tests and demo crawl (a different real thing: the Hub's side)", ("errors", "parse")),
    "inspect": ("one config or card from disk, without a catalog", ("errors", "records", "parse", "estimate", "reference", "units")),
    "demo": ("serve the bundled sample Hub and crawl it", ("errors", "crawl", "mirror", "report", "source", "store")),
    "api": ("the public Python entry point (`hubscan.open` → DataFrames)", ("errors", "report", "store")),
    "cli": ("thin click commands: parse options, call one function, render", ("errors", "records", "units", "source", "parse", "estimate", "reference", "store", "derive", "crawl", "report", "mirror", "inspect", "demo", "api")),
    "__init__": ("package metadata and `hubscan.open`", ("api",)),
    "__main__": ("`python -m hubscan`", ("cli",)),
}  # fmt: skip

# SQL and sqlite-utils calls that write; only ``store`` may issue them.
WRITE_SQL = re.compile(
    r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|VIEW|TRIGGER)|DROP\s+(TABLE|INDEX|VIEW|TRIGGER)|ALTER\s+TABLE)\b",
    re.IGNORECASE,
)
WRITE_CALLS = {
    "insert", "insert_all", "upsert", "upsert_all", "update", "delete", "delete_where", "create",
    "create_index", "transform", "add_column", "drop", "enable_fts", "executemany", "executescript",
}  # fmt: skip


def package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "sample_hub" not in p.parts)


def hubscan_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, imported hubscan package) for every import in the module, at any depth."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "hubscan":
                names = [f"hubscan.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "hubscan" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def layering_violations(root: Path = SRC) -> list[str]:
    problems = []
    for path in modules():
        own = package_of(path)
        allowed = set(LAYERS[own][1]) | {own, "__version__"}
        for line, target in hubscan_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if target not in allowed:
                problems.append(f"{path.relative_to(root.parent)}:{line}: {own} imports {target}")
    return problems


def test_every_package_is_in_the_table():
    packages = {package_of(p) for p in modules()}
    assert packages <= set(LAYERS), f"add to LAYERS: {sorted(packages - set(LAYERS))}"


def test_imports_follow_the_flow():
    assert layering_violations() == []


def test_the_check_catches_a_bad_import(tmp_path, monkeypatch):
    bad = "from hubscan.report import query\n\n\ndef f():\n    from hubscan.crawl import crawl\n"
    tree = ast.parse(bad)
    targets = {target for _, target in hubscan_imports(tree)}
    assert targets == {"report", "crawl"}
    assert not {"report", "crawl"} & set(LAYERS["parse"][1])


def written_sql(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants that are write statements, and sqlite-utils/sqlite3 write calls."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and WRITE_SQL.search(node.value):
            found.append((node.lineno, WRITE_SQL.search(node.value).group(1).split()[0].upper()))
        elif isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
            if (
                isinstance(head, ast.Constant)
                and isinstance(head.value, str)
                and WRITE_SQL.search(head.value)
            ):
                found.append((node.lineno, WRITE_SQL.search(head.value).group(1).split()[0].upper()))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_CALLS
            and _looks_like_db(node.func.value)
        ):
            found.append((node.lineno, node.func.attr))
    return found


def _looks_like_db(node: ast.AST) -> bool:
    """``db[...]``, ``db.conn``, ``conn``, ``table``-ish receivers: the things that write a database."""
    text = ast.unparse(node)
    return bool(re.search(r"\b(db|conn|connection|cursor|table)\b|\bdb\[", text))


# The mirror serves files and never opens a catalog; its "create"/"update" are not database writes.
WRITERS = {"store"}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_only_store_writes(path):
    if package_of(path) in WRITERS:
        return
    writes = written_sql(ast.parse(path.read_text(encoding="utf-8")))
    assert writes == [], f"{path.relative_to(SRC)} writes to the database: {writes}"


def test_the_write_check_catches_a_write():
    tree = ast.parse('db.execute("DELETE FROM lineage")\ndb["models"].upsert_all(rows)\n')
    assert sorted(kind for _, kind in written_sql(tree)) == ["DELETE", "upsert_all"]


def architecture_table() -> str:
    lines = ["| package | job | may import |", "| --- | --- | --- |"]
    for name, (job, allowed) in LAYERS.items():
        shown = ", ".join(f"`{a}`" for a in allowed) or "(stdlib and third-party only)"
        lines.append(f"| `{name}` | {job} | {shown} |")
    return "\n".join(lines)


def test_architecture_doc_carries_the_table():
    text = DOC.read_text(encoding="utf-8")
    assert architecture_table() in text, (
        "docs/ARCHITECTURE.md is out of date; paste the output of "
        "`python -c 'import tests.test_layering as t; print(t.architecture_table())'`"
    )
