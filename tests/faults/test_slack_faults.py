"""Slack answers 503, then 429 with Retry-After, then ok: the reminder is delivered once."""

from __future__ import annotations

import signal

from bot.testing.clockshim import ShiftedClock
from bot.testing.faults import eventually
from bot.testing.slack_standin import Fault
from tests.faults.serving import START, bench


async def test_503_then_429(tmp_path):
    async with bench(f"sqlite+aiosqlite:///{tmp_path / 'slack.db'}", tmp_path) as b:
        await b.seed(1)
        b.slack.inject("chat.postMessage", Fault.status(503))
        b.slack.inject("chat.postMessage", Fault.rate_limit(retry_after=1))
        serve = b.launch(ShiftedClock(START))
        await eventually(b.all_sent, "the reminder sent", serve)
        assert await serve.stop(signal.SIGTERM) == 0
        result = await b.tally()
        result.report("Slack 503, then 429, then ok")
        faults = [c.fault for c in b.slack.calls_to("chat.postMessage")]
        assert faults == ["status", "rate_limit", None]
        assert (result.due, result.delivered, result.lost) == (1, 1, 0)
        assert (result.flagged, result.unflagged) == (0, 0)
        assert len(b.slack.posts) == 1
