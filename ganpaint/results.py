"""What the evaluation, benchmark, report and ablation produce: one place for the method order, for merging an
earlier run's rows into a new one, and for Markdown tables and result files."""

from __future__ import annotations

import json
from pathlib import Path

from .inpainters import METHODS


def method_rank(method: str) -> int:
    """Where a method goes in a table: the registry's order, unknown names last."""
    return list(METHODS).index(method) if method in METHODS else len(METHODS)


def earlier_rows(earlier: dict, measured: list[str], file: str | None) -> tuple[list[dict], dict | None]:
    """``--merge``: an earlier run's rows for the methods not measured now, and where they came from."""
    kept = [r for r in earlier["results"] if r["method"] not in measured]
    source = {"file": file, "methods": sorted({r["method"] for r in kept}), "command": earlier.get("command")}
    return kept, source if kept else None


def merge(out: dict, earlier: dict, measured: list[str], file: str | None, key) -> dict:
    """Add ``earlier``'s rows (and unavailable methods) for the methods not in ``measured`` to ``out``, sorted by
    ``key(row)``; ``out["merged_from"]`` says where they came from."""
    kept, merged_from = earlier_rows(earlier, measured, file)
    out["results"] = sorted(out["results"] + kept, key=key)
    if "unavailable" in out:
        out["unavailable"] += [u for u in earlier.get("unavailable", []) if u["method"] not in measured]
    if merged_from:
        out["merged_from"] = merged_from
    return out


def markdown(head: list[str], rows: list[list]) -> str:
    """A Markdown table: ``head`` and one list of cells per row (cells are written with ``str``)."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: str | Path | None, data: dict):
    """Write a result file (its folder made as needed); ``None``: nothing to write."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2))
