"""Benchmark 7: the personal identity number screen on large texts.

    python -m benchmarks.screening [--sizes 100000,1000000] [--repeat 5]

`find_identifiers` (bot/domain/screening.py) on texts of the given sizes in characters: case
notes with a valid personnummer, a phone number, dates, an ärende number and a number with a
wrong check digit every 125 characters; and runs of ten digits, which look like numbers but
are none. Target: under 0.1 s for 100 kB (a long free-text answer is far shorter).

Figures: the best and the median of `--repeat` runs, characters per second, findings.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.common import machine, print_machine
from bot.domain.screening import find_identifiers
from bot.testing.identifiers import personnummer, with_wrong_check_digit


def samples(size: int) -> dict[str, str]:
    chunk = (
        f"Klient pnr {personnummer('121212')} ringde tel 070-123 45 67 den 2026-06-12 kl 08:00, "
        f"ärende IFO 2026/1234, {with_wrong_check_digit(personnummer('850709'))} och 1 234 567 kr. "
    )
    return {
        "case notes": (chunk * (size // len(chunk) + 1))[:size],
        "digit runs": ("1234567890 " * (size // 11 + 1))[:size],
    }


def timed(text: str) -> tuple[float, int]:
    started = time.perf_counter()
    found = find_identifiers(text)
    return time.perf_counter() - started, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="characters, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print_machine(machine())
    print("| text | characters | best | median | characters/s | findings |")
    print("|---|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        for label, text in samples(size).items():
            runs = [timed(text) for _ in range(args.repeat)]
            seconds = [s for s, _ in runs]
            best = min(seconds)
            print(
                f"| {label} | {size:,} | {best * 1000:.1f} ms "
                f"| {statistics.median(seconds) * 1000:.1f} ms | {size / best:,.0f} "
                f"| {runs[0][1]:,} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
