"""The job function of benchmarks/versus_apscheduler.py: APScheduler's SQLAlchemyJobStore
pickles a reference to it, so it lives in a module of its own (not `__main__`)."""

from __future__ import annotations

CALLS: list[tuple[int, str]] = []


def remind(frist_id: int, step: str) -> None:
    """What a job would do: send the reminder. Here: count it."""
    CALLS.append((frist_id, step))
