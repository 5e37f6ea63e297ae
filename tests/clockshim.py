"""A test clock for `frister serve` subprocesses: a `sitecustomize` module that makes
SystemClock run in real time from TEST_CLOCK_START ("ISO-START@time.time() anchor")."""

from __future__ import annotations

from pathlib import Path

SHIM = '''\
"""Test clock: SystemClock runs from TEST_CLOCK_START."""
import os

_spec = os.environ.get("TEST_CLOCK_START")
if _spec:
    import time
    from datetime import datetime, timedelta

    import bot.clock

    _start_text, _anchor_text = _spec.split("@")
    _start, _anchor = datetime.fromisoformat(_start_text), float(_anchor_text)

    def _now(self):
        return _start + timedelta(seconds=time.time() - _anchor)

    bot.clock.SystemClock.now = _now
'''


def write_shim(folder: Path) -> None:
    """Put the shim in `folder` (the folder must come first on the subprocess's PYTHONPATH)."""
    (folder / "sitecustomize.py").write_text(SHIM, encoding="utf-8")
