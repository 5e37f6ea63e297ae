"""Benchmark 2: Frister's planner side by side with one APScheduler date job per reminder.

    python -m benchmarks.versus_apscheduler [--deadlines 5000] [--backends sqlite,postgresql]

The approach people reach for first: APScheduler 3.11 with a persistent `SQLAlchemyJobStore`
on the same database, and one `date` job per rung of each deadline's ladder (10 rungs for an
`utredning`: reminders at -30, -14, -7, -3, -1 and 0 days, escalations at -14 and -7 days,
and the first occurrence of the two repeating escalations, which APScheduler cannot express
as one date job: this favours the peer). The job store is synchronous SQLAlchemy, so it gets
a synchronous URL for the same database (`sqlite:///FILE`, `postgresql+psycopg://…`).

Part 1, timing, in one run on one database per backend with the same N open deadlines
(cases and events seeded in bulk first; 1 % have a step due on the measuring day):

- schedule: APScheduler adds every rung as a job (`scheduler.add_job`, started paused, so
  each goes straight to the store). Frister writes the deadlines as its importer does
  (`apply_deadline_changes`) and runs the planning tick that puts each one on its ladder
  (`next_step_at`) — the whole of what Frister stores to remind on time.
- find due: `SQLAlchemyJobStore.get_due_jobs(now)` (what the scheduler calls on wake-up) vs
  Frister's `fristar_to_plan(now)` (the indexed query of the tick). Median of 20.
- process due: for APScheduler, what its scheduler does with a due date job besides calling
  it (remove it from the store); for Frister, the planning tick that writes the outbox rows.
- end to end: the three phases added up. Neither side sends anything here: APScheduler's job
  only counts the call, and Frister's outbox rows are what its delivery sends.

Each side's start-up (APScheduler's scheduler and store; Frister's rule pack, calendar and
planner) happens before its timers.

Part 2, correctness across a restart. APScheduler, in real time (its clock is the system's):
100 reminders due 2 s after the scheduler stops; it is restarted 5 s later on the same store.
With a finite `misfire_grace_time` (APScheduler's default is 1 s) every job whose run time
was missed by more than the grace is dropped with a log line ("was missed by"): the reminder
is lost. With `misfire_grace_time=None` they run, every one of them, however stale. Frister,
with its injectable clock: 100 deadlines, the bot down for a week (Wednesday 10:00 to the
next Thursday 10:00) across several rungs of each ladder; the first tick after the restart
plans the latest due step for each recipient, marked late, and keeps the earlier ones as
`superseded` (a trace, not a message).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from benchmarks import _aps_jobs
from benchmarks.common import (
    BENCH_KEY,
    NOW,
    STHLM,
    TODAY,
    DeadlineShape,
    database,
    machine,
    postgres_version,
    print_machine,
    seed_deadlines,
)
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import load_settings
from bot.domain.deadlines import DeadlineChanges, DerivedDeadline, Status
from bot.domain.ladder import occurrences
from storage.database import create_engine
from storage.models import Notification

DUE_EVERY = 100
SCHEDULED_AT = NOW - timedelta(days=1)  # the day before: cases are registered, reminders set


def last_days(n: int, shape: DeadlineShape) -> dict[int, date]:
    """Deadline i's last day: 1 in 100 with its first reminder today, the rest later."""
    today_first = TODAY + timedelta(days=30)
    assert today_first in shape.due_before
    return {
        i: today_first if i % DUE_EVERY == 0 else shape.of(i, due=False)[0] for i in range(1, n + 1)
    }


def rungs(shape: DeadlineShape, last_day: date):
    """Every rung of the ladder once (a repeating rung: its first occurrence)."""
    far = datetime.combine(last_day + timedelta(days=400), datetime.min.time(), UTC)
    seen = set()
    for occurrence in occurrences(shape.rule, last_day, shape.calendar, shape.sending, far):
        if occurrence.step.key not in seen:
            seen.add(occurrence.step.key)
            yield occurrence


def aps_scheduler(url: str, grace: float | None = 1.0) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url)},
        timezone=UTC,
        job_defaults={"misfire_grace_time": grace, "coalesce": True},
    )


# ---- part 1: timing ------------------------------------------------------------------------


async def timing(backend: str, n: int) -> dict:
    shape = DeadlineShape()
    days = last_days(n, shape)
    async with database(backend) as db:
        await seed_deadlines(db, n, DUE_EVERY, deadlines=False)

        # APScheduler: one date job per rung.
        scheduler = aps_scheduler(db.sync_url())
        scheduler.start(paused=True)
        start = time.perf_counter()
        jobs = 0
        for i, last_day in days.items():
            for occurrence in rungs(shape, last_day):
                scheduler.add_job(
                    _aps_jobs.remind,
                    "date",
                    run_date=occurrence.due_at,
                    args=[i, occurrence.key],
                    id=f"{i}:{occurrence.key}",
                )
                jobs += 1
        aps_schedule = time.perf_counter() - start
        store = SQLAlchemyJobStore(url=db.sync_url())
        store.start(None, "default")
        aps_find = []
        due_jobs = []
        for _ in range(20):
            start = time.perf_counter()
            due_jobs = store.get_due_jobs(NOW)
            aps_find.append(time.perf_counter() - start)
        start = time.perf_counter()
        for job in due_jobs:  # a date job has no next run time: the scheduler removes it
            store.remove_job(job.id)
        aps_process = time.perf_counter() - start
        remaining = len(store.get_all_jobs()) if n <= 20_000 else None
        store.shutdown()
        scheduler.shutdown(wait=True)  # (after the due jobs are gone: it processes on the way out)

        # Frister: the deadlines as the importer writes them, then the tick that ladders them.
        settings = load_settings(FRISTER_DATABASE_URL=db.url, FRISTER_PSEUDONYM_KEY=BENCH_KEY)
        engine = create_engine(db.url)
        before = App(settings, clock=FixedClock(SCHEDULED_AT), engine_override=engine)
        changes = {
            i: DeadlineChanges(
                insert=[
                    DerivedDeadline(
                        shape.RULE,
                        i,
                        1,
                        last_day - timedelta(days=120),
                        last_day,
                        last_day,
                        Status.OPEN,
                    )
                ],
                update=[],
                orphaned=[],
            )
            for i, last_day in days.items()
        }
        # Built before the timers, as APScheduler's scheduler and store are: loading the rule
        # pack and the calendar is start-up, not scheduling or processing.
        planner = before.planner()
        start = time.perf_counter()
        async with before.unit_of_work() as uow:
            await uow.cases.apply_deadline_changes(changes, SCHEDULED_AT)
        laddered = await planner.tick()
        frister_schedule = time.perf_counter() - start

        app = App(settings, clock=FixedClock(NOW), engine_override=engine)
        frister_find = []
        due = []
        for _ in range(20):
            start = time.perf_counter()
            async with app.unit_of_work() as uow:
                due = await uow.outbox.fristar_to_plan(NOW, 500)
            frister_find.append(time.perf_counter() - start)
        planner = app.planner()
        start = time.perf_counter()
        planned = await planner.tick()
        frister_process = time.perf_counter() - start
        async with engine.connect() as connection:
            outbox_rows = (
                await connection.execute(select(func.count()).select_from(Notification))
            ).scalar()
        await engine.dispose()
    return {
        "backend": backend,
        "deadlines": n,
        "jobs": jobs,
        "aps_schedule": aps_schedule,
        "frister_schedule": frister_schedule,
        "laddered": laddered.deadlines,
        "aps_find": statistics.median(aps_find),
        "frister_find": statistics.median(frister_find),
        "aps_due": len(due_jobs),
        "frister_due": len(due),
        "aps_process": aps_process,
        "frister_process": frister_process,
        "planned": planned.planned,
        "outbox": outbox_rows,
        "remaining": remaining,
    }


def print_timing(r: dict) -> None:
    b = r["backend"]
    print(
        f"| {b} | schedule {r['deadlines']:,} deadlines | {r['aps_schedule']:.2f} s "
        f"({r['jobs']:,} jobs) | {r['frister_schedule']:.2f} s ({r['laddered']:,} deadlines "
        f"written and laddered) | {r['aps_schedule'] / r['frister_schedule']:.1f}× |"
    )
    print(
        f"| {b} | find the due ones | {r['aps_find'] * 1000:.2f} ms ({r['aps_due']} jobs) "
        f"| {r['frister_find'] * 1000:.2f} ms ({r['frister_due']} deadlines) "
        f"| {r['aps_find'] / r['frister_find']:.1f}× |"
    )
    print(
        f"| {b} | process the due ones | {r['aps_process'] * 1000:.0f} ms (jobs removed) "
        f"| {r['frister_process'] * 1000:.0f} ms ({r['planned']} outbox rows) "
        f"| {r['aps_process'] / r['frister_process']:.1f}× |",
    )
    aps = r["aps_schedule"] + r["aps_find"] + r["aps_process"]
    frister = r["frister_schedule"] + r["frister_find"] + r["frister_process"]
    print(
        f"| {b} | end to end (schedule + find + process) | {aps:.2f} s | {frister:.2f} s "
        f"| {aps / frister:.1f}× |",
        flush=True,
    )


# ---- part 2: a restart ---------------------------------------------------------------------


class ShutdownNoise(logging.Filter):
    """APScheduler's scheduler thread racing its own shutdown (it wakes to process jobs the
    benchmark has already removed, or after its executor stopped): "Error submitting job" log
    records and JobLookupError tracebacks from the thread named APScheduler. They say nothing
    about the measurements; they are counted and left out of the output."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Error submitting job"):
            self.count += 1
            return False
        return True

    def install(self) -> None:
        logging.getLogger("apscheduler.scheduler").addFilter(self)
        previous = threading.excepthook

        def hook(args: threading.ExceptHookArgs) -> None:
            if args.thread is not None and args.thread.name == "APScheduler":
                self.count += 1
                return
            previous(args)

        threading.excepthook = hook


class Missed(logging.Handler):
    """Counts APScheduler's "Run time of job … was missed by …" warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "was missed by" in record.getMessage():
            self.count += 1


RESTART_RUNGS = ("-1d", "0d", "+1d")  # three rungs of each ladder fall due while it is down


def aps_restart(url: str, grace: float | None, k: int = 100) -> dict:
    """K deadlines with three reminders due 2, 2.5 and 3 s after the stop; restart 5 s later;
    what ran and what was dropped."""
    _aps_jobs.CALLS.clear()
    scheduler = aps_scheduler(url, grace)
    scheduler.start()
    first = datetime.now(UTC) + timedelta(seconds=2)
    for i in range(k):
        for n, rung in enumerate(RESTART_RUNGS):
            scheduler.add_job(
                _aps_jobs.remind,
                "date",
                run_date=first + timedelta(seconds=n / 2),
                args=[i, rung],
                id=f"restart-{i}-{rung}",
            )
    scheduler.shutdown(wait=True)  # the process stops before the reminders are due
    time.sleep(5)  # it is down while they fall due (real time: APScheduler reads the clock)
    missed = Missed()
    aps_log = logging.getLogger("apscheduler")
    aps_log.setLevel(logging.WARNING)
    aps_log.propagate = False
    aps_log.addHandler(missed)
    events = Counter()
    k *= len(RESTART_RUNGS)
    scheduler = aps_scheduler(url, grace)
    scheduler.add_listener(
        lambda e: events.update(["missed" if e.code == EVENT_JOB_MISSED else "executed"]),
        EVENT_JOB_EXECUTED | EVENT_JOB_MISSED,
    )
    scheduler.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and sum(events.values()) < k:
        time.sleep(0.05)
    left = len(scheduler.get_jobs())
    scheduler.shutdown(wait=True)
    aps_log.removeHandler(missed)
    aps_log.propagate = True
    return {
        "deadlines": k // len(RESTART_RUNGS),
        "jobs": k,
        "ran": len(_aps_jobs.CALLS),
        "missed": events["missed"],
        "left_in_store": left,
        "warnings": missed.count,
    }


async def frister_restart(backend: str, k: int = 100) -> dict:
    """K deadlines (last day Wednesday 25 November); the bot runs Wednesday 18 November at
    10:00, then is down until Thursday 26 November at 10:00."""
    down_at = datetime(2026, 11, 18, 10, 0, tzinfo=STHLM)
    back_at = datetime(2026, 11, 26, 10, 0, tzinfo=STHLM)
    last_day = date(2026, 11, 25)
    async with database(backend) as db:
        await seed_deadlines(db, k, DUE_EVERY, deadlines=False)
        settings = load_settings(FRISTER_DATABASE_URL=db.url, FRISTER_PSEUDONYM_KEY=BENCH_KEY)
        engine = create_engine(db.url)
        first = App(settings, clock=FixedClock(down_at), engine_override=engine)
        changes = {
            i: DeadlineChanges(
                insert=[
                    DerivedDeadline(
                        "utredning",
                        i,
                        1,
                        last_day - timedelta(days=120),
                        last_day,
                        last_day,
                        Status.OPEN,
                    )
                ],
                update=[],
                orphaned=[],
            )
            for i in range(1, k + 1)
        }
        async with first.unit_of_work() as uow:
            await uow.cases.apply_deadline_changes(changes, down_at.astimezone(UTC))
        await first.planner().tick()
        async with engine.connect() as connection:
            planned_before = (
                await connection.execute(select(func.count()).select_from(Notification))
            ).scalar()
        again = App(settings, clock=FixedClock(back_at), engine_override=engine)
        result = await again.planner().tick()
        async with engine.connect() as connection:
            after = (
                await connection.execute(
                    select(Notification.state, Notification.late, func.count())
                    .where(Notification.created_at == back_at.astimezone(UTC))
                    .group_by(Notification.state, Notification.late)
                )
            ).all()
            reminded = (
                await connection.execute(
                    select(func.count(func.distinct(Notification.frist_id))).where(
                        Notification.created_at == back_at.astimezone(UTC),
                        Notification.state == "pending",
                    )
                )
            ).scalar()
        await engine.dispose()
    by_state = Counter()
    for state, late, count in after:
        by_state[f"{state}{' (late)' if late and state == 'pending' else ''}"] += count
    return {
        "deadlines": k,
        "before": planned_before,
        "reminded": reminded,
        "planned": result.planned,
        "superseded": result.superseded,
        "states": dict(by_state),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    logging.basicConfig(level=logging.ERROR)
    noise = ShutdownNoise()
    noise.install()
    print_machine(machine(await postgres_version() if "postgresql" in backends else None))
    print("| backend | what | APScheduler SQLAlchemyJobStore | Frister | Frister faster by |")
    print("|---|---|---:|---:|---:|")
    for backend in backends:
        print_timing(await timing(backend, args.deadlines))

    print(
        "\nrestart: APScheduler (real time; 100 deadlines, 3 reminders each due while the "
        "process is down)"
    )
    for backend in backends:
        async with database(backend, migrate=False) as db:
            for grace in (1.0, None):
                r = await asyncio.to_thread(aps_restart, db.sync_url(), grace)
                print(
                    f"  {backend}, misfire_grace_time={grace}: ran {r['ran']}/{r['jobs']} "
                    f"({r['ran'] / r['deadlines']:.0f} per deadline), dropped {r['missed']} "
                    f"(told only by {r['warnings']} log warnings), left in store "
                    f"{r['left_in_store']}",
                    flush=True,
                )
    print("restart: Frister (its clock; 100 deadlines, down a week across several rungs)")
    for backend in backends:
        r = await frister_restart(backend)
        print(
            f"  {backend}: before the stop {r['before']} outbox rows; after the restart "
            f"{r['reminded']}/{r['deadlines']} deadlines reminded, {r['planned']} messages "
            f"planned (latest step per recipient), {r['superseded']} earlier steps kept as "
            f"superseded; by state {r['states']}",
            flush=True,
        )
    if noise.count:
        print(
            f"(APScheduler's scheduler thread raised {noise.count} errors while shutting down "
            "— JobLookupError, executor already stopped — not shown)"
        )


if __name__ == "__main__":
    asyncio.run(main())
