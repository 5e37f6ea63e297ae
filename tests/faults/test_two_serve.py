"""Two `frister serve` on one SQLite file: no reminder lost, none posted twice unflagged."""

from __future__ import annotations

import signal

from bot.testing.clockshim import ShiftedClock
from bot.testing.faults import eventually
from tests.faults.serving import START, bench

REMINDERS = 40


async def test_two_serve_one_file(tmp_path):
    async with bench(f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}", tmp_path) as b:
        clock = ShiftedClock(START)
        one, two = b.launch(clock), b.launch(clock)
        for serve in (one, two):  # both running before anything is due
            await eventually(lambda s=serve: s.count("Frister is running"), "start", one, two)
        await b.seed(REMINDERS)
        await eventually(b.all_sent, "every reminder sent", one, two)
        assert await one.stop(signal.SIGTERM) == 0
        assert await two.stop(signal.SIGTERM) == 0
        result = await b.tally()
        result.report("two serve on one SQLite file")
        senders = {c.token for c in b.slack.calls_to("chat.postMessage")}
        print(f"  posted by {len(senders)} process(es)")
        assert (result.due, result.delivered, result.lost) == (REMINDERS, REMINDERS, 0)
        assert result.unflagged == 0
        assert len(b.slack.posts) == REMINDERS + result.flagged
