"""Log lines for failures that carry no free text: the exception's type and where it was
raised, never its message (a database error quotes its statement, a chat error what was
written). `FailureLog` keeps an outage to one line per kind per minute."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the checkout: bot/, handlers/, storage/


def raised_at(error: BaseException) -> str:
    """Where `error` was raised: the innermost frame in Frister's own code (else the innermost
    of all), as file, line and function."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if Path(f.filename).is_relative_to(ROOT)] or frames
    if not ours:
        return "?"
    frame = ours[-1]
    return f"{Path(frame.filename).relative_to(ROOT, walk_up=True)}:{frame.lineno} in {frame.name}"


@dataclass
class _Seen:
    logged_at: float
    since: int = 0  # failures of this kind not logged since that line


class FailureLog:
    """At most one line per (job, kind) every `every` seconds; the failures in between are
    counted and the count is given on the next line. `kind` defaults to the exception type."""

    def __init__(
        self,
        logger: logging.Logger,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger, self.every, self.clock = logger, every, clock
        self._seen: dict[tuple[str, str], _Seen] = {}

    def failed(self, job: str, error: BaseException, kind: str | None = None) -> bool:
        """Log (or count) one failure of `job`; True when a line was written."""
        key = (job, kind or type(error).__name__)
        now = self.clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen.logged_at < self.every:
            seen.since += 1
            return False
        more = f" ({seen.since} more since the last line)" if seen and seen.since else ""
        self._seen[key] = _Seen(now)
        self.logger.error(
            "%s failed%s: %s at %s%s",
            job,
            f" ({kind})" if kind else "",
            type(error).__name__,
            raised_at(error),
            more,
        )
        return True

    def recovered(self, job: str) -> None:
        """`job` works again: forget its failures, so the next outage is logged at once."""
        for key in [key for key in self._seen if key[0] == job]:
            if self._seen[key].since:
                self.logger.info(
                    "%s: %s more failures before it recovered", job, self._seen[key].since
                )
            del self._seen[key]
