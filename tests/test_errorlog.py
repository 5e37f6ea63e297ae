"""FailureLog: one line per job and kind a minute, the rest counted; never the error's text."""

from __future__ import annotations

import logging

from bot.errorlog import FailureLog


def raise_and_catch(message: str) -> Exception:
    try:
        raise ValueError(message)
    except ValueError as error:
        return error


def test_one_line_per_kind_a_minute(caplog):
    now = [0.0]
    failures = FailureLog(logging.getLogger("frister.test"), every=60, clock=lambda: now[0])
    secret = "19121212-1212 Anna Andersson"
    with caplog.at_level(logging.INFO, logger="frister.test"):
        for second in range(20):  # 20 s of failures, 4 a second
            now[0] = float(second)
            for _ in range(4):
                failures.failed("delivery", raise_and_catch(secret), "database unreachable")
        failures.failed("health check", raise_and_catch(secret))
        now[0] = 61.0  # a minute later: the next line, with the count of those in between
        failures.failed("delivery", raise_and_catch(secret), "database unreachable")
        failures.failed("delivery", raise_and_catch(secret), "database unreachable")
        failures.recovered("delivery")  # back: the next outage is logged at once
        failures.failed("delivery", raise_and_catch(secret), "database unreachable")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 5, lines
    assert lines[0] == (
        "delivery failed (database unreachable): ValueError at tests/test_errorlog.py:12 in "
        "raise_and_catch"
    )
    assert lines[1].startswith("health check failed: ValueError at ")
    assert lines[2] == lines[0] + " (79 more since the last line)"
    assert lines[3] == "delivery: 1 more failures before it recovered"
    assert lines[4] == lines[0]
    assert "19121212" not in caplog.text and "Anna" not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)  # no traceback
