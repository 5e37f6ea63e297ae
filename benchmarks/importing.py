"""Benchmark 5: `frister import` of a 100k-row CSV file: rows/s and peak memory.

    python -m benchmarks.importing [--rows 100000] [--backends sqlite,postgresql]

Writes a CSV file like a municipality's export (`;`, UTF-8): 100k rows for about 77k cases in
10 enheter with 500 handläggare; every case has `anmalan_inkom` (skyddsbedömning and
förhandsbedömning), 30 % also `utredning_inledd` a few weeks later (closing the
förhandsbedömning, opening a four-month utredning). Then runs the real command line,
`python -m bot.cli import FILE`, as a subprocess on a fresh database and reports its wall
time (the whole command: start-up, reading, screening every cell for personnummer,
pseudonymising, deriving deadlines, writing, the audit trail) and its peak resident memory
(VmHWM of the subprocess). A second run of the same file shows the idempotent re-import.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from benchmarks.common import (
    BENCH_KEY,
    ROOT,
    TODAY,
    database,
    machine,
    mib,
    postgres_version,
    print_machine,
    serve_env,
)
from storage.database import create_engine

UNITS = [
    f"Barn och unga {name}"
    for name in (
        "Nord",
        "Syd",
        "Öst",
        "Väst",
        "Centrum",
        "Hamnen",
        "Skogen",
        "Dalen",
        "Ängen",
        "Berget",
    )
]

NEW_UNITS = [arg for unit in UNITS for arg in ("--new-enhet", unit)]  # no staff register first


def write_csv(path: Path, rows: int, seed: int = 1) -> int:
    """`rows` data rows; returns the number of cases."""
    rng = random.Random(seed)
    lines = ["arende;enhet;handlaggare;handelse;datum"]
    case = 0
    while len(lines) - 1 < rows:
        case += 1
        unit = case % len(UNITS)
        owner = f"U0B{unit:02d}{case % 50:04d}"
        opened = TODAY - timedelta(days=rng.randint(1, 120))
        reference = f"IFO {case:06d}/26"
        lines.append(f"{reference};{UNITS[unit]};{owner};anmalan_inkom;{opened.isoformat()}")
        started = opened + timedelta(days=rng.randint(3, 14))
        if rng.random() < 0.3 and started <= TODAY and len(lines) - 1 < rows:
            lines.append(
                f"{reference};{UNITS[unit]};{owner};Utredning inledd;{started.isoformat()}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return case


def run_import(csv: Path, url: str, cwd: Path) -> tuple[float, int, str]:
    """(seconds, peak RSS in bytes, last stdout line) of `frister import`."""
    env = serve_env(
        FRISTER_DATABASE_URL=url,
        FRISTER_PSEUDONYM_KEY=BENCH_KEY,
        PYTHONPATH=str(ROOT),
    )
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "import", str(csv), *NEW_UNITS],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = [0]

    def watch() -> None:  # VmHWM is gone once the process is reaped: sample until then
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]) * 1024)
            except OSError:
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - start
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"frister import exited with {proc.returncode}: {out}")
    return seconds, peak[0], out.strip().splitlines()[-1] if out.strip() else ""


async def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table: (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                for table in ("arende", "handelse", "frist", "audit_event")
            }
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print_machine(machine(await postgres_version() if "postgresql" in backends else None))
    with tempfile.TemporaryDirectory(prefix="frister-import-") as folder:
        csv = Path(folder) / "arenden.csv"
        cases = write_csv(csv, args.rows)
        size = csv.stat().st_size
        print(f"file: {args.rows:,} rows, {cases:,} cases, {mib(size)}")
        print("| backend | run | seconds | rows/s | peak RSS | result |")
        print("|---|---|---:|---:|---:|---|")
        for backend in backends:
            # The migration is part of the command on SQLite (automatic on first start);
            # PostgreSQL needs `frister db upgrade` first, as in production.
            async with database(backend, migrate=backend != "sqlite") as db:
                for run in ("first import", "same file again"):
                    seconds, peak, summary = run_import(csv, db.url, Path(folder))
                    print(
                        f"| {backend} | {run} | {seconds:.1f} | {args.rows / seconds:,.0f} "
                        f"| {mib(peak)} | {summary} |",
                        flush=True,
                    )
                stored = await counts(db.url)
                figures = ", ".join(f"{k} {v:,}" for k, v in stored.items())
                print(f"  stored on {backend}: {figures}")


if __name__ == "__main__":
    asyncio.run(main())
