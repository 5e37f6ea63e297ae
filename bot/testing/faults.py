"""Support for the fault suite (tests/faults/): real `frister serve` processes on a test clock,
bounded waits, the delivery tally every fault test reports, a full-disk shim for SQLite and a
throwaway PostgreSQL cluster of a test's own.

The tally. Every reminder is seeded as a deadline of its own (bot/testing/seed.py), so a post's
metadata (`event_payload.frist`) names its outbox row. Per test: `due` rows, `delivered` (sent
and posted at least once), `lost` (the rest), and the extra copies Slack got, `flagged`
(the row is marked possible_duplicate, the person saw "möjlig dubblett") or `unflagged`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.testing.clockshim import ShiftedClock, clock_env

ROOT = Path(__file__).resolve().parents[2]
PAGE_LIMIT_ENV = "FRISTER_TEST_PAGE_LIMIT_FILE"

SITECUSTOMIZE = f'''\
"""Fault-suite shims: the test clock and a SQLite page limit (see bot/testing/faults.py)."""
import os

if os.environ.get("FRISTER_TEST_CLOCK"):
    from bot.testing.clockshim import install

    install()
if os.environ.get("{PAGE_LIMIT_ENV}"):
    from bot.testing.faults import install_page_limit

    install_page_limit()
'''


# ---- processes ---------------------------------------------------------------------------------


def clean_env(**settings: str) -> dict[str, str]:
    """The caller's environment without FRISTER_*/SLACK_*, this checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRISTER_", "SLACK_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUTF8"] = "1"
    env.update(settings)
    return env


def shim_env(folder: Path, clock: ShiftedClock, *pythonpath: str) -> dict[str, str]:
    """FRISTER_TEST_CLOCK and a PYTHONPATH whose first folder holds the fault shims."""
    env = clock_env(folder, clock, *pythonpath)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return env


class Process:
    """One `python -m bot.cli ARGS` process; stderr collected line by line by a thread."""

    def __init__(self, args: Sequence[str], cwd: Path, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.worker = f"{socket.gethostname()}:{self.proc.pid}"
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def check_running(self) -> None:
        if self.proc.poll() is not None:
            self._reader.join(timeout=2)
            raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.log}")

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    async def stop(self, sig: int = signal.SIGKILL) -> int:
        """Send `sig`, wait (bounded) for the exit; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            await eventually(lambda: self.proc.poll() is not None, f"exit after {sig}", timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self._reader.join(timeout=2)
        return self.proc.returncode


async def eventually(
    check: Callable[[], object] | Callable[[], Awaitable[object]],
    what: str,
    *running: Process,
    timeout: float = 60.0,
):
    """Poll `check` (sync or async) every 0.05 s until truthy; fail after `timeout` seconds
    (a bound against a hang on a loaded machine, not a speed target) or when a process died."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        for process in running:
            process.check_running()
        if time.monotonic() > deadline:
            logs = "".join(f"\n--- process stderr ---\n{p.log}" for p in running)
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{logs}")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- the tally ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    due: int
    delivered: int
    lost: int
    flagged: int
    unflagged: int

    def report(self, name: str) -> str:
        line = (
            f"{name}: due {self.due} / delivered {self.delivered} / lost {self.lost} / "
            f"duplicates flagged {self.flagged} / unflagged {self.unflagged}"
        )
        print(line)
        return line


def tally(rows: Sequence, posts: Sequence) -> Tally:
    """Outbox rows (storage.models.Notification, one deadline each) against the stand-in's
    posts (their metadata names the deadline)."""
    copies = Counter(
        int(payload["frist"])
        for post in posts
        if "frist" in (payload := (post.metadata or {}).get("event_payload") or {})
    )
    delivered = [r for r in rows if r.state == "sent" and copies[r.frist_id] >= 1]
    extra = {r.id: copies[r.frist_id] - 1 for r in rows if copies[r.frist_id] > 1}
    flagged = sum(n for r in rows if (n := extra.get(r.id, 0)) and r.possible_duplicate)
    unflagged = sum(n for r in rows if (n := extra.get(r.id, 0)) and not r.possible_duplicate)
    return Tally(len(rows), len(delivered), len(rows) - len(delivered), flagged, unflagged)


# ---- a full disk, simulated --------------------------------------------------------------------


def install_page_limit() -> None:
    """In a subprocess: every SQLite connection, on each checkout, reads the file named by
    FRISTER_TEST_PAGE_LIMIT_FILE; "full" caps the database at its current size (`PRAGMA
    max_page_count`, SQLITE_FULL on growth, as a full disk), anything else lifts the cap."""
    from sqlalchemy import event

    import storage.database

    path = Path(os.environ[PAGE_LIMIT_ENV])
    original = storage.database.create_engine

    def create_engine(url: str, **kwargs):
        engine = original(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(engine.sync_engine, "checkout", _apply_limit(path))
        return engine

    storage.database.create_engine = create_engine


def _apply_limit(path: Path):
    def apply(dbapi_connection, _record, _proxy) -> None:
        full = path.exists() and path.read_text().strip() == "full"
        cursor = dbapi_connection.cursor()
        if full:
            cursor.execute("PRAGMA page_count")
            (pages,) = cursor.fetchone()
            cursor.execute(f"PRAGMA max_page_count={pages}")
        else:
            cursor.execute("PRAGMA max_page_count=4294967294")
        cursor.close()

    return apply


# ---- a PostgreSQL cluster of the test's own ----------------------------------------------------


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb and pg_ctl, or one on PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _version(folder: Path) -> float:
    try:
        return float(folder.parent.name)
    except ValueError:
        return 0.0


def postgres_skip_reason() -> str | None:
    """Why no throwaway cluster can be started here, or None."""
    if postgres_bin() is None:
        return "initdb/pg_ctl not found (/usr/lib/postgresql/*/bin or PATH)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root (initdb refuses) and there is no 'postgres' user to run it as"
    return None


class Cluster:
    """A PostgreSQL cluster in a temporary folder on a free loopback port (never the shared
    server); started as the 'postgres' user when the test runs as root (initdb refuses root)."""

    def __init__(self) -> None:
        folder = postgres_bin()
        assert folder is not None, postgres_skip_reason()
        self.bin = folder
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="frister-pg-"))
        self.data = self.root / "data"
        self.user: str | None = None
        if os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam("postgres")
            self.user = "postgres"
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self.user,
            cwd=self.root,
        )
        if done.returncode != 0:
            raise AssertionError(f"{args[0]} failed: {done.stdout}\n{done.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
                user=self.user,
            )
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def cluster() -> Iterator[Cluster]:
    """An initialised, started cluster, stopped and removed afterwards."""
    made = Cluster()
    try:
        made.init()
        made.start()
        yield made
    finally:
        made.remove()
