"""A test clock for `frister serve` (and other `python -m bot.cli`) subprocesses.

Whether the bot sends anything depends on the time (Swedish working days, the sending
window), so a subprocess under test runs on a shifted clock: `SystemClock.now` becomes "START
plus the wall time elapsed since ANCHOR", read from FRISTER_TEST_CLOCK ("START-ISO@ANCHOR",
ANCHOR a `time.time()` value). The bot is otherwise untouched: a `sitecustomize` module,
written to a folder put first on the subprocess's PYTHONPATH, calls `install()` at start-up.

    clock = ShiftedClock(datetime(2026, 11, 23, 10, 0, tzinfo=STHLM))
    env.update(clock_env(tmp_path / "shim", clock))
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ENV = "FRISTER_TEST_CLOCK"
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `bot` package

SITECUSTOMIZE = f'''\
"""Test clock: SystemClock runs from {ENV} (see bot/testing/clockshim.py)."""
import os

if os.environ.get("{ENV}"):
    from bot.testing.clockshim import install

    install()
'''


class ShiftedClock:
    """START plus the wall time elapsed since it was made (or last jumped): the clock of a
    shimmed subprocess, as the test or benchmark that started it knows it."""

    def __init__(self, start: datetime) -> None:
        self.start, self.anchor = start.astimezone(UTC), time.time()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.anchor)

    def jump(self, delta: timedelta) -> None:
        """Move the clock on, for processes started from now on (a restart `delta` later)."""
        self.start, self.anchor = self.now() + delta, time.time()

    def spec(self) -> str:
        """The value of FRISTER_TEST_CLOCK for this clock."""
        return f"{self.start.isoformat()}@{self.anchor!r}"


def install() -> None:
    """Replace `SystemClock.now` by the clock in FRISTER_TEST_CLOCK (no-op when unset)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    import bot.clock

    start_text, anchor_text = spec.split("@")
    start, anchor = datetime.fromisoformat(start_text), float(anchor_text)

    def now(self: bot.clock.SystemClock) -> datetime:
        return start + timedelta(seconds=time.time() - anchor)

    bot.clock.SystemClock.now = now  # type: ignore[method-assign]


def write_shim(folder: Path) -> Path:
    """Write the `sitecustomize` module into `folder` (created if missing); the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return folder


def clock_env(folder: Path, clock: ShiftedClock, *pythonpath: str) -> dict[str, str]:
    """Environment entries for a subprocess on `clock`: FRISTER_TEST_CLOCK, and PYTHONPATH
    with the shim (written to `folder`) first, then this source tree, then `pythonpath`."""
    paths = [str(write_shim(folder)), str(SOURCE_ROOT), *filter(None, pythonpath)]
    return {ENV: clock.spec(), "PYTHONPATH": os.pathsep.join(paths)}
