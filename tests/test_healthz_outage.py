"""/healthz while the database is unreachable: 503 with its JSON (not an unhandled error, a
500), and one log line however often it is asked, without the error's text."""

from __future__ import annotations

import json
import logging

from bot.bootstrap import App
from bot.runtime import Runtime
from bot.testing.faults import free_port


async def test_healthz_outage(settings, caplog):
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/frister"
    app = App(settings.model_copy(update={"database_url": url}))
    runtime = Runtime(app, messenger=None)
    runtime.waiting_for = None  # it was up once; now it is gone
    try:
        with caplog.at_level(logging.INFO, logger="frister"):
            answers = [await runtime.healthz(None) for _ in range(20)]
    finally:
        await app.close()
    assert {a.status for a in answers} == {503}
    assert json.loads(answers[0].text) == {
        "ok": False,
        "checks": {"database": {"ok": False, "error": "database unreachable"}},
    }
    lines = [r.getMessage() for r in caplog.records if r.name == "frister"]
    assert len(lines) == 1, lines
    assert lines[0].startswith("health check failed (database unreachable): ConnectionRefusedError")
    assert "127.0.0.1" not in lines[0] and caplog.records[0].exc_info is None
