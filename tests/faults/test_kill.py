"""kill -9 of `frister serve` while Slack holds a post, then a restart: every reminder is
delivered at least once and the only copy is the one in flight, flagged "möjlig dubblett"."""

from __future__ import annotations

import signal
from datetime import timedelta

from bot.testing.clockshim import ShiftedClock
from bot.testing.faults import eventually
from bot.testing.slack_standin import Fault
from tests.faults.serving import START, bench

REMINDERS = 12
LEASE = timedelta(seconds=5)


async def test_kill_in_flight(tmp_path):
    async with bench(f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}", tmp_path) as b:
        await b.seed(REMINDERS)
        b.slack.inject("chat.postMessage", Fault.hang_after_record())
        clock = ShiftedClock(START)
        first = b.launch(clock)
        await eventually(lambda: b.slack.posts, "a post held by Slack", first)
        assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        in_flight = len(b.slack.posts)
        b.slack.release()

        clock.jump(LEASE + timedelta(seconds=1))  # the restart comes after the lease ran out
        second = b.launch(clock)
        await eventually(b.all_sent, "every reminder sent after the restart", second)
        assert await second.stop(signal.SIGTERM) == 0
        result = await b.tally()
        result.report("kill -9 with a post in flight")
        assert in_flight == 1
        assert (result.due, result.delivered, result.lost) == (REMINDERS, REMINDERS, 0)
        assert (result.flagged, result.unflagged) == (1, 0)
        resent = [p for p in b.slack.posts if "möjlig dubblett" in (p.text or "")]
        assert len(resent) == 1
