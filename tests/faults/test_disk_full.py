"""SQLite's disk fills while `frister serve` delivers, then space returns: delivery resumes by
itself, nothing is lost and every copy is flagged; meanwhile `frister status` says the disk is
full, in one Swedish line, and exits non-zero.

The full disk is simulated with SQLite's `PRAGMA max_page_count` (portable, no root): a shim
in the subprocesses caps every connection at the database's current size while a file says
"full", so any write that needs a new page fails with SQLITE_FULL, as on a full disk."""

from __future__ import annotations

import signal
import subprocess
import sys

from bot.testing.clockshim import ShiftedClock
from bot.testing.faults import PAGE_LIMIT_ENV, clean_env, eventually, shim_env
from bot.testing.slack_standin import Fault
from tests.conftest import TEST_KEY
from tests.faults.serving import START, bench

REMINDERS = 30


async def test_disk_full_then_space(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'full.db'}"
    limit = tmp_path / "page-limit"
    async with bench(url, tmp_path) as b:
        await b.seed(REMINDERS)
        await b.engine.dispose()
        b.slack.inject("chat.postMessage", Fault.hang_after_record())
        serve = b.launch(ShiftedClock(START), **{PAGE_LIMIT_ENV: str(limit)})
        await eventually(lambda: b.slack.posts, "a post held by Slack", serve)
        limit.write_text("full")
        b.slack.release()
        await eventually(lambda: serve.count("(disk full)"), "a write refused", serve)

        env = clean_env(FRISTER_DATABASE_URL=url, FRISTER_PSEUDONYM_KEY=TEST_KEY)
        env[PAGE_LIMIT_ENV] = str(limit)
        env.update(shim_env(tmp_path / "shim", ShiftedClock(START), env["PYTHONPATH"]))
        status = subprocess.run(
            [sys.executable, "-m", "bot.cli", "status"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        print(f"frister status on a full disk: {status.stderr.strip()}")
        assert status.returncode == 1
        assert status.stderr.splitlines() == [
            "Databasens disk är full: Frister kan inte registrera utskick förrän det finns "
            "plats igen (sedan fortsätter utskicken av sig själva)."
        ]

        limit.write_text("room")
        await eventually(b.all_sent, "every reminder sent once there is room", serve)
        assert await serve.stop(signal.SIGTERM) == 0
        result = await b.tally()
        result.report("SQLite disk full, then space again")
        assert (result.due, result.delivered, result.lost) == (REMINDERS, REMINDERS, 0)
        assert result.unflagged == 0
        assert "Traceback" not in serve.log, serve.log
        assert serve.count("delivery failed (disk full)") == 1, serve.log
