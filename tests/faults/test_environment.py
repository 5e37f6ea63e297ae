"""A broken environment gets one clear Swedish line, never a traceback: `serve` on a taken
port, `status` with the database unreachable; `serve` started while the database is
unreachable waits, one log line an attempt, /healthz answering 503 with its JSON."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from bot.testing.faults import Process, clean_env, eventually, free_port
from tests.conftest import TEST_KEY
from tests.faults.serving import healthz, port_of

SERVE = dict(
    FRISTER_MODE="http",
    SLACK_SIGNING_SECRET="fault-secret",
    SLACK_BOT_TOKEN="xoxb-fault",
    SLACK_API_URL="http://127.0.0.1:9/api/",  # never reached: nothing is due
    FRISTER_PSEUDONYM_KEY=TEST_KEY,
)


def closed_port_url() -> str:
    """PostgreSQL on a loopback port where nothing listens."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/frister"


def run(tmp_path, args: list[str], **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=clean_env(**settings),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_refusals(tmp_path):
    """The port taken, and status without a database: both at once (start-up dominates)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        jobs = {
            "serve, port taken": (
                ["serve"],
                SERVE
                | dict(
                    FRISTER_HTTP_PORT=str(port),
                    FRISTER_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
                ),
            ),
            "status, database unreachable": (
                ["status"],
                dict(FRISTER_DATABASE_URL=closed_port_url(), FRISTER_PSEUDONYM_KEY=TEST_KEY),
            ),
        }
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            done = dict(
                zip(
                    jobs,
                    pool.map(lambda job: run(tmp_path, job[0], **job[1]), jobs.values()),
                    strict=True,
                )
            )
    for name, result in done.items():
        print(f"{name}: exit {result.returncode}: {result.stderr.strip()}")
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 1, result.stderr
    assert done["serve, port taken"].stderr.splitlines() == [
        f"Port {port} på 127.0.0.1 används redan: stoppa programmet som använder den eller "
        "välj en annan port med FRISTER_HTTP_PORT."
    ]
    assert done["status, database unreachable"].stderr.splitlines() == [
        "Databasen går inte att nå: kontrollera FRISTER_DATABASE_URL och att databasservern "
        "är igång."
    ]


async def test_serve_waits_for_database(tmp_path):
    """Nothing listens where the database should be: serve keeps trying, with backoff."""
    env = clean_env(**SERVE, FRISTER_HTTP_PORT="0", FRISTER_DATABASE_URL=closed_port_url())
    serve = Process(["serve"], tmp_path, env)
    try:
        await eventually(lambda: serve.count("to reach the database failed") >= 3, "3 tries", serve)
        port = port_of(serve)
        assert port is not None, serve.log
        status, body = await healthz(port)
        assert status == 503
        assert body == {
            "ok": False,
            "checks": {"database": {"ok": False, "error": "database unreachable"}},
        }
        assert await serve.stop(signal.SIGTERM) == 0
    finally:
        if serve.proc.poll() is None:
            serve.proc.kill()
    attempts = [line for line in serve.lines if "to reach the database failed" in line]
    print(f"serve, database unreachable: {attempts[0].split(' frister: ')[1]}")
    assert "Traceback" not in serve.log, serve.log
    assert [line.split("; next in ")[1].split(" s")[0] for line in attempts[:3]] == [
        "0.5",
        "1.0",
        "2.0",
    ]
