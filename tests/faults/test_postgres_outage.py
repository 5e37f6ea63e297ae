"""PostgreSQL down when `frister serve` starts, and stopped again while a post is in flight:
serve waits (one log line an attempt, /healthz 503 with its JSON), then delivers everything,
the copy of the post in flight flagged; the outage leaves one log line per kind, no traceback.

The cluster is the test's own (initdb/pg_ctl on a free loopback port), never the shared
server; as root it runs as the 'postgres' user (initdb refuses root)."""

from __future__ import annotations

import signal

import pytest

from bot.testing.clockshim import ShiftedClock
from bot.testing.faults import cluster, eventually, postgres_skip_reason
from bot.testing.slack_standin import Fault
from tests.faults.serving import START, bench, healthz, port_of

REMINDERS = 10
SKIP = postgres_skip_reason()

pytestmark = pytest.mark.skipif(SKIP is not None, reason=f"no throwaway PostgreSQL: {SKIP}")


async def test_postgres_outage(tmp_path):
    with cluster() as pg:
        async with bench(pg.url, tmp_path) as b:
            await b.seed(REMINDERS)
            await b.engine.dispose()  # the test's own connections must not outlive a stop
            b.slack.inject("chat.postMessage", Fault.hang_after_record())
            pg.stop()

            # 1. Started while the database is down: it waits and says so.
            serve = b.launch(ShiftedClock(START))
            await eventually(
                lambda: serve.count("to reach the database failed") >= 2, "retries", serve
            )
            port = port_of(serve)
            assert port is not None, serve.log
            status, body = await healthz(port)
            assert (status, body["ok"], body["checks"]["database"]["ok"]) == (503, False, False)
            pg.start()
            await eventually(lambda: b.slack.posts, "a post held by Slack", serve)

            # 2. Stopped while that post is in flight: 503 with JSON, one line per kind.
            pg.stop()
            for _ in range(20):
                status, body = await healthz(port)
                assert (status, body["ok"]) == (503, False), body
            b.slack.release()  # its outcome cannot be recorded now
            await eventually(lambda: serve.count("delivery failed"), "the delivery failure", serve)
            pg.start()
            await eventually(b.all_sent, "every reminder sent", serve)
            assert await serve.stop(signal.SIGTERM) == 0

            result = await b.tally()
            result.report("PostgreSQL stopped and started during delivery")
            assert (result.due, result.delivered, result.lost) == (REMINDERS, REMINDERS, 0)
            assert result.unflagged == 0 and result.flagged <= 1
            assert "Traceback" not in serve.log, serve.log
            assert serve.count("health check failed") == 1, serve.log
            assert serve.count("delivery failed") == 1, serve.log
