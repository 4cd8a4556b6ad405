"""Where a fill's time goes: named stages timed when a caller asks (``ganpaint inpaint --timing``, the benchmark).

    with timing.record() as stages:      # {stage: seconds}, summed over every call inside
        inpainter(image, mask)
    with timing.stage("texture: search"):   # in library code; costs nothing unless recording
        ...
"""

from __future__ import annotations

import contextlib
import threading
import time

_local = threading.local()


@contextlib.contextmanager
def record():
    """Collect the stages timed in this thread while the block runs (nested records each see their own)."""
    outer = getattr(_local, "stages", None)
    _local.stages = stages = {}
    try:
        yield stages
    finally:
        _local.stages = outer
        if outer is not None:
            for k, v in stages.items():
                outer[k] = outer.get(k, 0.0) + v


@contextlib.contextmanager
def stage(name: str):
    stages = getattr(_local, "stages", None)
    if stages is None:
        yield
        return
    stages.setdefault(name, 0.0)  # listed in the order stages start: a part after the stage holding it
    t = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - t


def table(stages: dict, photos: int) -> str:
    """One line per stage, in the order they ran: ms per photo and share of the total ("a: b" is a part of "a")."""
    total = sum(v for k, v in stages.items() if ":" not in k) or 1e-9
    lines = [f"{'stage':34s} {'ms/photo':>9s} {'share':>6s}"]
    for k, v in stages.items():
        lines.append(f"{('  ' if ':' in k else '') + k:34s} {1000 * v / photos:9.1f} {100 * v / total:5.1f}%")
    lines.append(f"{'total':34s} {1000 * total / photos:9.1f}")
    return "\n".join(lines)
