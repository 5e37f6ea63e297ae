"""Shared by the benchmark scripts: the machine, throw-away databases, fast bulk seeding, memory.

Nothing here is used by Frister itself or by the test-suite (support shared with the tests,
such as the stand-in, the test clock and throw-away databases, is in bot/testing/). Every
benchmark prints its figures; none asserts on time.

Databases. SQLite: a file in a temporary folder. PostgreSQL: a fresh database created with
CREATE DATABASE on the server of FRISTER_BENCH_DATABASE_URL (else FRISTER_TEST_DATABASE_URL,
else postgresql+asyncpg://postgres@127.0.0.1:5432/test) and dropped afterwards
(bot/testing/databases.py). Both are migrated with Frister's own migrations.

Seeding. Deadlines are written with the database's own bulk paths, not through Frister's
services (those are what is measured): SQLite by `executemany` on the standard `sqlite3`
module in one transaction; PostgreSQL by COPY (`asyncpg.copy_records_to_table`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import make_url, text  # noqa: E402

from bot.domain.calendar import swedish_calendar  # noqa: E402
from bot.domain.ladder import SendingTime, first_due, occurrences  # noqa: E402
from bot.domain.rules import load_rule_pack  # noqa: E402
from bot.testing.clockshim import ShiftedClock, clock_env  # noqa: E402
from bot.testing.databases import migrate as migrate_database  # noqa: E402
from bot.testing.databases import throwaway_postgres  # noqa: E402
from storage.database import create_engine  # noqa: E402

STHLM = ZoneInfo("Europe/Stockholm")
# Monday 23 November 2026, 10:00 in Stockholm: a working day, inside the sending window.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=STHLM).astimezone(UTC)
TODAY = NOW.astimezone(STHLM).date()
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BENCH_KEY = "bench-key-0123456789-abcdefghijklmnopqrstuvwxyz"
UNITS = 10
HANDLAGGARE_PER_UNIT = 50


def pg_base_url() -> str:
    return (
        os.environ.get("FRISTER_BENCH_DATABASE_URL")
        or os.environ.get("FRISTER_TEST_DATABASE_URL")
        or DEFAULT_PG
    )


# ---- the machine ---------------------------------------------------------------------------


def _meminfo_gib() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "?"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


async def postgres_version() -> str:
    engine = create_engine(pg_base_url())
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text("SHOW server_version"))).scalar_one()
    except Exception as exc:  # no server: say so, do not fail the SQLite figures
        return f"unreachable ({type(exc).__name__})"
    finally:
        await engine.dispose()


def machine(pg: str | None = None) -> dict[str, str]:
    load = os.getloadavg()
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} × {_cpu_model()}",
        "memory": _meminfo_gib(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_1m": f"{load[0]:.2f}",
    }
    if pg is not None:
        facts["postgresql"] = pg
    return facts


def print_machine(facts: dict[str, str]) -> None:
    print("machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)


# ---- memory --------------------------------------------------------------------------------


def _status(field: str, pid: int | str = "self") -> int:
    """A field of /proc/PID/status in bytes (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def rss(pid: int | str = "self") -> int:
    return _status("VmRSS", pid)


def peak_rss(pid: int | str = "self") -> int:
    """The resident high-water mark (VmHWM) since start or the last `reset_peak`."""
    try:
        return _status("VmHWM", pid)
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False if not possible."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def mib(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


# ---- throw-away databases ------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    backend: str  # "sqlite" | "postgresql"
    url: str  # the async URL Frister uses
    path: Path | None = None  # SQLite file

    def sync_url(self, driver: str = "psycopg") -> str:
        """A synchronous SQLAlchemy URL for the same database (APScheduler's job store)."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.path}"
        return make_url(self.url).set(drivername=f"postgresql+{driver}").render_as_string(False)


@contextlib.asynccontextmanager
async def database(backend: str, migrate: bool = True) -> AsyncIterator[Database]:
    """A fresh, migrated database of `backend`, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="frister-bench-") as folder:
            path = Path(folder) / "bench.db"
            db = Database("sqlite", f"sqlite+aiosqlite:///{path}", path)
            if migrate:
                await migrate_database(db.url)
            yield db
        return
    async with throwaway_postgres(pg_base_url(), prefix="frister_bench") as url:
        if migrate:
            await migrate_database(url)
        yield Database("postgresql", url)


# ---- seeding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    deadlines: int
    due: int
    people: int
    seconds: float  # bulk inserts
    earlier_rows: int = 0  # outbox rows of earlier steps (the catch-up tick)
    catch_up_seconds: float = 0.0


def _sqlite_ts(moment: datetime) -> str:
    """How SQLAlchemy stores a DateTime on SQLite (UTC, no zone; see storage/types.py)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def staff_rows() -> tuple[list[tuple], list[tuple]]:
    """Units and staff: per unit one chef, one förste socialsekreterare and 50 handläggare;
    one socialchef. Ids are given (1..), chat ids U0H…, escalation channels C0ESK…"""
    units = [(u, f"Enhet {u:02d}", f"C0ESK{u:04d}", EPOCH) for u in range(1, UNITS + 1)]
    people: list[tuple] = []
    pid = 0
    for u in range(1, UNITS + 1):
        for role, count in (
            ("chef", 1),
            ("forste_socialsekreterare", 1),
            ("handlaggare", HANDLAGGARE_PER_UNIT),
        ):
            for _ in range(count):
                pid += 1
                people.append((pid, f"U0H{pid:06d}", role, u, True, EPOCH))
    pid += 1
    people.append((pid, f"U0H{pid:06d}", "socialchef", None, True, EPOCH))
    return units, people


def handlaggare_ids(people: list[tuple]) -> list[tuple[int, int]]:
    """(person id, enhet id) of every handläggare."""
    return [(p[0], p[3]) for p in people if p[2] == "handlaggare"]


class DeadlineShape:
    """Open `utredning` deadlines (4 months, reminders from -30 d, a daily chef escalation
    once overdue). A due deadline has a step today: half of them a reminder before the last
    day (-30, -14, -7, -3, -1 or 0 d), half are overdue by 1 to 60 days (the daily escalation).
    The others have their first step 1 to 120 days ahead. `next_step_at` is what the planner
    would have set: the first step of the ladder (in the past for most due ones; a tick at an
    earlier time, `catch_up_tick`, plans those earlier steps the way a running bot would have).
    """

    RULE = "utredning"

    def __init__(self) -> None:
        self.calendar = swedish_calendar()
        self.rule = load_rule_pack().rules[self.RULE]
        self.sending = SendingTime(datetime.strptime("08:00", "%H:%M").time(), STHLM)
        before = [TODAY + timedelta(days=k) for k in (30, 14, 7, 3, 1, 0)]
        overdue = [TODAY - timedelta(days=k) for k in range(1, 61)]
        self.due_before = [d for d in before if self._step_today(d)]
        self.due_overdue = [d for d in overdue if self._step_today(d)]
        self._first: dict[date, datetime] = {}
        self._later: list[tuple[date, datetime]] = []
        for offset in range(31, 151):
            last_day = TODAY + timedelta(days=offset)
            at = self.first(last_day)
            if at > NOW:
                self._later.append((last_day, at))

    def _step_today(self, last_day: date) -> bool:
        return any(
            o.send_on == TODAY
            for o in occurrences(self.rule, last_day, self.calendar, self.sending, NOW)
        )

    def first(self, last_day: date) -> datetime:
        at = self._first.get(last_day)
        if at is None:
            at = self._first[last_day] = first_due(self.rule, last_day, self.calendar, self.sending)
        return at

    def of(self, i: int, due: bool) -> tuple[date, datetime]:
        """(last day, next_step_at) of deadline number i."""
        if due:
            j = i // 2
            pool = self.due_before if i % 2 else self.due_overdue
            last_day = pool[j % len(pool)]
            return last_day, self.first(last_day)
        return self._later[i % len(self._later)]


def deadline_rows(n: int, due_every: int, shape: DeadlineShape, people: list[tuple]) -> Iterator:
    """(arende, handelse, frist) tuples for deadlines 1..n; every `due_every`th is due."""
    owners = handlaggare_ids(people)
    for i in range(1, n + 1):
        # (i + i // due_every): the due ones, every due_every-th, spread over all handläggare
        owner, unit = owners[(i + i // due_every) % len(owners)]
        due = i % due_every == 0
        last_day, next_step = shape.of(i // due_every if due else i, due)
        trigger = last_day - timedelta(days=120)
        yield (
            (i, f"B{i:08d}", unit, owner, "import", EPOCH),
            (i, i, "utredning_inledd", trigger, "import", EPOCH),
            (i, i, shape.RULE, i, 1, trigger, last_day, last_day, "open", next_step, EPOCH, EPOCH),
        )


async def catch_up_tick(url: str) -> tuple[int, float]:
    """Plan everything that was due before today, at yesterday's time, as a bot running all
    along would have (earlier steps planned, next_step_at on today's step). (rows, seconds)"""
    from bot.bootstrap import App
    from bot.clock import FixedClock
    from bot.config import load_settings

    start = time.perf_counter()
    settings = load_settings(FRISTER_DATABASE_URL=url, FRISTER_PSEUDONYM_KEY=BENCH_KEY)
    app = App(settings, clock=FixedClock(NOW - timedelta(days=1)))
    try:
        result = await app.planner().tick()
    finally:
        await app.close()
    return result.planned + result.superseded, time.perf_counter() - start


ARENDE = ("id", "code", "enhet_id", "handlaggare_id", "origin", "opened_at")
HANDELSE = ("id", "arende_id", "type", "date", "source", "registered_at")
FRIST = (
    "id",
    "arende_id",
    "rule_id",
    "trigger_handelse_id",
    "occurrence",
    "trigger_date",
    "calendar_last_day",
    "last_day",
    "status",
    "next_step_at",
    "created_at",
    "updated_at",
)
ENHET = ("id", "name", "escalation_channel", "created_at")
PERSON = ("id", "chat_user_id", "role", "enhet_id", "active", "created_at")


async def seed_deadlines(
    db: Database, n: int, due_every: int = 100, batch: int = 100_000, deadlines: bool = True
) -> Seeded:
    """Units, staff and `n` open deadlines (one case and one event each), 1 in `due_every` due.
    With `deadlines=False` only the cases and their events (the caller derives deadlines)."""
    start = time.perf_counter()
    shape = DeadlineShape()
    units, people = staff_rows()
    tables = 3 if deadlines else 2
    if db.backend == "sqlite":
        await asyncio.to_thread(
            _seed_sqlite, db.path, n, due_every, shape, units, people, batch, tables
        )
    else:
        await _seed_postgres(db.url, n, due_every, shape, units, people, batch, tables)
    seconds = time.perf_counter() - start
    if not deadlines:
        return Seeded(n, 0, len(people), seconds)
    rows, catch_up = await catch_up_tick(db.url)
    return Seeded(n, n // due_every, len(people), seconds, rows, catch_up)


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _sqlite_value(value):
    if isinstance(value, datetime):
        return _sqlite_ts(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _seed_sqlite(path, n, due_every, shape, units, people, batch, tables=3) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1000000")  # 1 GB page cache while seeding
        connection.execute("BEGIN")
        connection.executemany(
            _insert_sql("enhet", ENHET), [tuple(map(_sqlite_value, r)) for r in units]
        )
        connection.executemany(
            _insert_sql("person", PERSON), [tuple(map(_sqlite_value, r)) for r in people]
        )
        statements = [
            _insert_sql("arende", ARENDE),
            _insert_sql("handelse", HANDELSE),
            _insert_sql("frist", FRIST),
        ][:tables]
        chunks: list[list[tuple]] = [[] for _ in statements]
        for rows in deadline_rows(n, due_every, shape, people):
            for chunk, row in zip(chunks, rows[:tables], strict=True):
                chunk.append(tuple(map(_sqlite_value, row)))
            if len(chunks[0]) >= batch:
                for statement, chunk in zip(statements, chunks, strict=True):
                    connection.executemany(statement, chunk)
                    chunk.clear()
        for statement, chunk in zip(statements, chunks, strict=True):
            if chunk:
                connection.executemany(statement, chunk)
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


async def _seed_postgres(url, n, due_every, shape, units, people, batch, tables=3) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table("enhet", records=units, columns=ENHET)
            await connection.copy_records_to_table("person", records=people, columns=PERSON)
            targets = (("arende", ARENDE), ("handelse", HANDELSE), ("frist", FRIST))[:tables]
            chunks: list[list[tuple]] = [[] for _ in targets]

            async def flush() -> None:
                for (table, columns), chunk in zip(targets, chunks, strict=True):
                    if chunk:
                        await connection.copy_records_to_table(
                            table, records=chunk, columns=columns
                        )
                        chunk.clear()

            for rows in deadline_rows(n, due_every, shape, people):
                for chunk, row in zip(chunks, rows[:tables], strict=True):
                    chunk.append(row)
                if len(chunks[0]) >= batch:
                    await flush()
            await flush()
            for table, key in (
                ("enhet", "id"),
                ("person", "id"),
                ("arende", "id"),
                ("handelse", "id"),
                ("frist", "id"),
            ):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
                    f"COALESCE((SELECT max({key}) FROM {table}), 0) + 1, false)"
                )
        await connection.execute("ANALYZE")  # what autovacuum would have done by now
    finally:
        await connection.close()


# ---- `frister serve` subprocesses ---------------------------------------------------------------


def serve_clock(folder: Path, start: datetime = NOW) -> dict[str, str]:
    """Environment for a subprocess whose clock runs in real time from `start` (a Monday
    morning), so that the sending window is open whatever the real date is (the test clock
    shim of bot/testing/clockshim.py, written into `folder`)."""
    return clock_env(folder, ShiftedClock(start))


def serve_env(**settings: str) -> dict[str, str]:
    """The caller's environment without FRISTER_*/SLACK_* settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRISTER_", "SLACK_"))}
    env["PYTHONUTF8"] = "1"
    env.update(settings)
    return env
