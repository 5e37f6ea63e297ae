"""The answer pool: a fixed number of workers build the answers to questions, fed by a bounded
queue. When the queue is full, or a new job would wait longer than `max_wait` for a worker (the
jobs ahead of it at the recent time per job), a request is shed at once (the adapter tells the
person to try again in a minute) instead of being answered seconds late.

With no more workers than the database pool has connections, answering can never exhaust the
pool: at most `workers` answers hold a connection at a time, whatever the load. Each outcome
is counted (answered, shed, failed) for /healthz and `frister status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.i18n import _
from bot.ports.unit_of_work import UnitOfWork

log = logging.getLogger("frister.answers")

Job = Callable[[], Awaitable[None]]
STATE_PREFIX = "answers:"  # runtime_state, one row per process: its counts at the last tick
MAX_WAIT = 0.3  # seconds a question may be expected to wait in the queue for a worker
SMOOTHING = 0.1  # weight of the latest job in the moving average of the time per job


def busy() -> str:
    """What a person is told when their request was shed."""
    return _("Frister is very busy right now. Please try again in a minute.")


@dataclass(frozen=True)
class AnswerCounts:
    answered: int = 0
    shed: int = 0
    failed: int = 0

    def __add__(self, other: AnswerCounts) -> AnswerCounts:
        return AnswerCounts(
            self.answered + other.answered, self.shed + other.shed, self.failed + other.failed
        )

    def as_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, text: str) -> AnswerCounts:
        try:
            data = json.loads(text)
            return cls(int(data["answered"]), int(data["shed"]), int(data["failed"]))
        except (ValueError, KeyError, TypeError):
            return cls()


class AnswerPool:
    """`workers` tasks answering jobs from a queue of at most `queue_size` (and of at most
    `max_wait` expected seconds; None: no such bound); started on the first `submit` (inside
    the running loop), stopped by `stop`. `timer` measures the jobs (seconds)."""

    def __init__(
        self,
        workers: int,
        queue_size: int,
        *,
        max_wait: float | None = MAX_WAIT,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if workers < 1 or queue_size < 1:
            raise ValueError("an answer pool needs at least one worker and one queue place")
        self.workers = workers
        self.queue_size = queue_size
        self.max_wait = max_wait
        self._timer = timer
        self._per_job = 0.0  # moving average of a job's seconds (0: none done yet)
        self._queue: asyncio.Queue[tuple[Job, asyncio.Future[None] | None]] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.answered = 0
        self.shed = 0
        self.failed = 0

    def counts(self) -> AnswerCounts:
        return AnswerCounts(self.answered, self.shed, self.failed)

    def expected_wait(self) -> float:
        """Seconds a job queued now would wait for a worker: the queued jobs ahead of it at
        the recent time per job, shared by the workers."""
        queued = self._queue.qsize() if self._queue is not None else 0
        return queued * self._per_job / self.workers

    def submit(self, job: Job) -> bool:
        """Queue `job`; False (and counted as shed) when the queue is full or the pool stops:
        then the caller tells the person to try again."""
        return self._put(job, None)

    async def run(self, job: Job) -> bool:
        """Queue `job` and wait until a worker has done it (its exception is raised here);
        False at once when it was shed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self._put(job, done):
            return False
        await done
        return True

    def _put(self, job: Job, done: asyncio.Future[None] | None) -> bool:
        if self._stopping:
            self.shed += 1
            return False
        if self._queue is None:
            self._start()
        assert self._queue is not None
        if self.max_wait is not None and self.expected_wait() > self.max_wait:
            self.shed += 1
            return False
        try:
            self._queue.put_nowait((job, done))
        except asyncio.QueueFull:
            self.shed += 1
            return False
        return True

    def _start(self) -> None:
        self._queue = asyncio.Queue(self.queue_size)
        self._tasks = [
            asyncio.get_running_loop().create_task(self._work(), name=f"answer-worker-{n}")
            for n in range(self.workers)
        ]

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            job, done = await self._queue.get()
            started = self._timer()
            try:
                await job()
            except asyncio.CancelledError:
                if done is not None:
                    done.cancel()
                raise
            except Exception as error:  # the job told the person; its text stays out of logs
                self.failed += 1
                log.debug("an answer failed: %s", type(error).__name__)
                if done is not None and not done.done():
                    done.set_exception(error)
            else:
                self.answered += 1
                if done is not None and not done.done():
                    done.set_result(None)
            finally:
                took = self._timer() - started
                self._per_job += (took - self._per_job) * (SMOOTHING if self._per_job else 1.0)
                self._queue.task_done()

    async def idle(self) -> None:
        """Wait until every queued job is done."""
        if self._queue is not None:
            await self._queue.join()

    async def stop(self, drain: float = 5.0) -> None:
        """Refuse new jobs, give the queued ones up to `drain` seconds, then stop the workers."""
        self._stopping = True
        if self._queue is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain):
                await self._queue.join()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        dropped = 0
        while not self._queue.empty():
            _job, done = self._queue.get_nowait()
            self._queue.task_done()
            dropped += 1
            if done is not None:
                done.cancel()
        if dropped:
            log.warning("%s queued answers were not built: the process stopped", dropped)


async def housekeeping(
    unit_of_work: UnitOfWork,
    clock: Clock,
    *,
    replay_window: timedelta,
    worker: str,
    counts: AnswerCounts,
) -> None:
    """Once per planning tick: forget request keys older than the platform's replay window,
    and record this process's answer counts (read by `frister status`)."""
    now = clock.now()
    async with unit_of_work() as uow:
        await uow.chat.forget_requests(now - replay_window)
        await uow.outbox.set_state(STATE_PREFIX + worker, json.dumps(counts.as_json()), now)
