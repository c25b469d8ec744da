"""Shape of the source: no function over 80 lines (the check in scripts/ prints the longest five)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_function_length.py"


def load_check():
    spec = importlib.util.spec_from_file_location("check_function_length", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_function_over_80_lines():
    lengths = load_check().function_lengths()
    over = [where for length, where in lengths if length > 80]
    assert over == []


def test_the_length_check_measures_functions(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(90))
    (tmp_path / "m.py").write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n")
    lengths = load_check().function_lengths(tmp_path)
    assert [length for length, _ in lengths] == [91, 2]
