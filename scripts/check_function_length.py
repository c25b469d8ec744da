"""Print the longest functions in src/hubscan and fail if any exceeds the limit (default 80 lines).

Usage: python scripts/check_function_length.py [--limit 80] [--top 5]
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "hubscan"


def function_lengths(root: Path = SRC) -> list[tuple[int, str]]:
    """(lines, "path:line name") for every function and method under ``root``, longest first."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                found.append((length, f"{path.relative_to(root.parent)}:{node.lineno} {node.name}"))
    return sorted(found, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    lengths = function_lengths()
    for length, where in lengths[: args.top]:
        print(f"{length:4d}  {where}")
    over = [item for item in lengths if item[0] > args.limit]
    if over:
        print(f"{len(over)} function(s) over {args.limit} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
