"""The code's shape: every function short enough to read at once (diffusers' and nanoGPT's measure, not a style rule
for its own sake: the texture stage's 104-line function hid its steps among its settings)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LONGEST = 60


def test_no_function_is_longer_than_sixty_lines():
    files = [*sorted((ROOT / "ganpaint").rglob("*.py")), ROOT / "app.py", ROOT / "train.py"]
    long = []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                if node.end_lineno - start + 1 > LONGEST:
                    long.append(f"{f.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - start + 1} lines)")
    assert long == []
