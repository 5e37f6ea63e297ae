"""Delivery loop: claim due outbox rows, send them, record the outcome. At least once.

A claim is committed before sending and carries a lease. Just before each post the row is
marked `uncertain` (committed), so a worker that dies mid-send leaves exactly the rows that may
have reached the platform flagged: when the lease runs out another claim resends them as a possible
duplicate, while rows of the batch that were never posted go out unflagged. 429 waits for
Retry-After; 5xx, timeouts and resets back off with jitter up to a bound; permanent errors,
and giving up, are reported to the enhet's escalation channel and the admin channel. No row
is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock, local_today
from bot.domain import markup
from bot.domain.deadline import Deadline
from bot.domain.messages import Message, message_from_json, message_to_json
from bot.domain.recipients import UNREACHABLE, UNREACHABLE_STATE, Directory
from bot.domain.staff import StaffMember
from bot.i18n import _
from bot.ports.audit import AuditEntry
from bot.ports.messenger import (
    PERSON_PROBLEMS,
    Limits,
    Messenger,
    PermanentFailure,
    Problem,
    RateLimited,
    TransientFailure,
)
from bot.ports.outbox import ChatAddress, Claimed, NewNotification
from bot.ports.unit_of_work import Stores, UnitOfWork
from bot.services.notices import FAILURE_STEP, Notices
from bot.services.planner import SendingWindow
from bot.services.problems import clear_reported, named, problem_key

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(minutes=2)
    batch: int = 20
    max_attempts: int = 8
    base_backoff: float = 5.0  # seconds; doubles per attempt, with jitter
    max_backoff: float = 1800.0
    pace: float | None = None  # seconds between two messages to one channel; None: the platform's
    digest: bool = False  # one message per person and round instead of one per item


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


class Delivery:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        messenger: Messenger,
        limits: Limits,
        notices: Notices,
        clock: Clock,
        window: SendingWindow,
        worker: str,
        admin_channel: str | None = None,
        policy: DeliveryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.messenger = messenger
        self.notices = notices
        self.clock = clock
        self.window = window
        self.worker = worker
        self.admin_channel = admin_channel
        self.policy = policy or DeliveryPolicy()
        self.pace = limits.pace if self.policy.pace is None else self.policy.pace
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._last_post: dict[str, datetime] = {}
        self._channels: dict[str, str] = {}  # recipient -> its channel, once known
        self._people: dict[int, ChatAddress] = {}  # how to reach the people of this batch
        self.paused_until: datetime | None = None

    async def run_once(self, max_batches: int | None = None) -> DeliveryResult:
        """Deliver until nothing is due (or rate limited); returns what happened."""
        result = DeliveryResult()
        batches = 0
        while max_batches is None or batches < max_batches:
            now = self.clock.now()
            if self.paused_until and now < self.paused_until:
                break
            async with self.unit_of_work() as uow:
                claimed = await uow.outbox.claim(
                    now, self.worker, self.policy.lease, self.policy.batch
                )
                contexts = await uow.outbox.deadlines(
                    {c.frist_id for c in claimed if c.frist_id is not None}
                )
                people = {
                    int(c.recipient.removeprefix("person:"))
                    for c in claimed
                    if c.recipient.startswith("person:")
                }
                self._people = await uow.outbox.person_chat_ids(people) if people else {}
            if not claimed:
                break
            batches += 1
            groups = self._groups(claimed)
            while groups:
                if self.paused_until and self.clock.now() < self.paused_until:
                    await self._release([r for g in groups for r in g], self.paused_until)
                    break
                await self._deliver(groups.pop(self._next_ready(groups)), contexts, result)
            async with self.unit_of_work() as uow:
                await uow.outbox.set_state(
                    f"delivery:{self.worker}", self.clock.now().isoformat(), self.clock.now()
                )
        return result

    def _next_ready(self, groups: list[list[Claimed]]) -> int:
        """The first group whose channel may be posted to now (per-channel pacing), else the
        one that may be posted to soonest: a recipient waiting for its pace does not hold up
        the rest of the batch (the sleep in `_pace` stalls the whole worker)."""
        now = self.clock.now()
        best, best_wait = 0, float("inf")
        for index, group in enumerate(groups):
            last = self._last_post.get(self._channels.get(group[0].recipient, ""))
            wait = 0.0 if last is None else self.pace - (now - last).total_seconds()
            if wait <= 0:
                return index
            if wait < best_wait:
                best, best_wait = index, wait
        return best

    async def _release(self, rows: list[Claimed], at: datetime) -> None:
        """Give claimed rows back unsent (rate limited): not counted as an attempt."""
        async with self.unit_of_work() as uow:
            for row in rows:
                await uow.outbox.mark_retry(
                    row.id, self.worker, at, "rate limited", row.uncertain, False
                )

    def _groups(self, claimed: list[Claimed]) -> list[list[Claimed]]:
        """One message per row, or with the digest on, one per person and round."""
        if not self.policy.digest:
            return [[row] for row in claimed]
        groups: dict[str, list[Claimed]] = {}
        singles: list[list[Claimed]] = []
        for row in claimed:
            if row.recipient.startswith("person:") and not row.step.startswith(FAILURE_STEP):
                groups.setdefault(row.recipient, []).append(row)
            else:
                singles.append([row])
        return list(groups.values()) + singles

    async def _deliver(
        self, rows: list[Claimed], contexts: dict[int, Deadline], result: DeliveryResult
    ) -> None:
        """Send one message for `rows` (one row, or a person's digest) and record it."""
        live: list[Claimed] = []
        now = self.clock.now()
        for row in rows:
            if not row.step.startswith(FAILURE_STEP) and row.frist_status not in (None, "open"):
                async with self.unit_of_work() as uow:
                    await uow.outbox.mark_cancelled(row.id, self.worker)
                result.cancelled += 1
            elif row.recipient.startswith("person:") and self.window.open_at(now) != now:
                async with self.unit_of_work() as uow:
                    await uow.outbox.mark_retry(
                        row.id,
                        self.worker,
                        self.window.open_at(now),
                        "outside window",
                        row.uncertain,
                        False,
                    )
            else:
                live.append(row)
        if not live:
            return
        try:
            channel = await self._channel_of(live[0].recipient)
            self._channels[live[0].recipient] = channel
            async with self.unit_of_work() as uow:
                held = set(
                    await uow.outbox.mark_posting(
                        [row.id for row in live], self.worker, self.clock.now() + self.policy.lease
                    )
                )
            lost = [row for row in live if row.id not in held]
            for row in lost:  # its lease ran out and another worker has it now
                log.warning("notification %s was taken over by another worker", row.id)
            live = [row for row in live if row.id in held]
            if not live:
                return
            first = live[0]
            if len(live) == 1:
                message = await self._message(first, _deadline_of(first, contexts))
            else:
                message = self._digest(live, contexts)
            await self._pace(channel)
            ts = await self.messenger.post(channel, message)
        except RateLimited as limited:
            until = self.clock.now() + timedelta(seconds=max(limited.retry_after, 1))
            self.paused_until = until
            await self._release(live, until)
            result.retried += len(live)
            return
        except TransientFailure as failure:
            for row in live:
                await self._transient(row, _deadline_of(row, contexts), failure, result)
            return
        except PermanentFailure as failure:
            for row in live:
                await self._fail(
                    row, _deadline_of(row, contexts), failure.code, result, failure.problem
                )
            return
        async with self.unit_of_work() as uow:
            entries: list[AuditEntry] = []
            recorded_count = 0
            for row in live:
                recorded = await uow.outbox.mark_sent(
                    row.id, self.worker, channel, ts, self.clock.now(), row.uncertain
                )
                if not recorded:
                    log.warning("notification %s was re-claimed while sending", row.id)
                    continue
                recorded_count += 1
                context = _deadline_of(row, contexts)
                detail: dict[str, object] = {
                    "notifiering": row.id,
                    "steg": row.step,
                    "mottagare": row.recipient,
                }
                if row.uncertain:
                    detail["mojlig_dubblett"] = True
                entries.append(
                    ("frister", "meddelande_levererat", context.code if context else None, detail)
                )
            await uow.audit.append_many(entries, self.clock.now())
            if recorded_count and live[0].recipient.startswith("channel:"):
                await clear_reported(uow, [live[0].recipient], self.clock.now())
        result.sent += recorded_count
        for row in live:
            if row.uncertain:
                result.duplicates += 1
                log.warning(
                    "notification %s resent after an unknown outcome: möjlig dubblett", row.id
                )

    def _digest(self, rows: list[Claimed], contexts: dict[int, Deadline]) -> Message:
        today = local_today(self.clock, self.window.tz)
        items = [
            (row.step, contexts[row.frist_id], row.frist_id)
            for row in rows
            if row.frist_id is not None and row.frist_id in contexts
        ]
        return self.notices.digest(items, today, repeat_warning=any(r.uncertain for r in rows))

    async def _transient(
        self,
        row: Claimed,
        context: Deadline | None,
        failure: TransientFailure,
        result: DeliveryResult,
    ) -> None:
        if row.attempts >= self.policy.max_attempts:
            error = _("gave up after {n} attempts ({reason})").format(
                n=row.attempts, reason=failure.reason
            )
            await self._fail(row, context, error, result)
            return
        delay = min(self.policy.max_backoff, self.policy.base_backoff * 2 ** (row.attempts - 1))
        delay *= 0.5 + self.rng.random()
        at = self.clock.now() + timedelta(seconds=delay)
        async with self.unit_of_work() as uow:
            await uow.outbox.mark_retry(
                row.id, self.worker, at, failure.reason, row.uncertain or failure.maybe_delivered
            )
        result.retried += 1

    async def _fail(
        self,
        row: Claimed,
        context: Deadline | None,
        error: str,
        result: DeliveryResult,
        problem: Problem = Problem.UNKNOWN,
    ) -> None:
        """Record the failure and tell people once per problem (recipient and cause): the
        escalation channel and the admin channel. A person who cannot be reached is marked so
        (the planner then routes their rungs to the chef) and this deadline's step goes to the
        chef at once."""
        result.failed += 1
        result.errors.append(error)
        log.error("notification %s failed permanently: %s", row.id, error)
        now = self.clock.now()
        async with self.unit_of_work() as uow:
            await uow.outbox.mark_failed(row.id, self.worker, error)
            await uow.audit.append(
                "frister",
                "meddelande_misslyckat",
                context.code if context else None,
                {"notifiering": row.id, "steg": row.step, "mottagare": row.recipient, "fel": error},
                now,
            )
            if row.step.startswith(FAILURE_STEP):
                return  # a failed failure report stays visible in `frister status`
            who = self._who(row.recipient)
            chefs: list[StaffMember] = []
            if who is not None and problem in PERSON_PROBLEMS:
                chefs = await self._reroute(uow, row, context, who, now)
            key = problem_key(who.chat_user_id if who else None, row.recipient, problem, error)
            known = await uow.outbox.get_state(key)
            if key in known and known[key].value:
                log.info("notification %s: problem already reported (%s)", row.id, key)
                return
            await uow.outbox.set_state(key, problem.value, now)
            channels = await uow.outbox.failure_channels(row.frist_id)
            if self.admin_channel:
                channels.append(self.admin_channel)
            notice = self.notices.failure_report(
                context,
                recipient=named(who, row.recipient),
                problem=problem,
                error=error,
                chefs=[markup.mention(c.chat_user_id) for c in chefs if c.chat_user_id],
            )
            reports = [
                NewNotification(
                    row.frist_id,
                    f"{FAILURE_STEP}{row.id}",
                    f"channel:{channel}",
                    now,
                    reason=error[:30],
                    payload=message_to_json(notice),
                )
                for channel in dict.fromkeys(channels)
            ]
            if reports:
                await uow.outbox.add_notifications(reports, now)
            else:
                log.error("no escalation or admin channel to report notification %s", row.id)

    def _who(self, recipient: str) -> ChatAddress | None:
        """How the person of a `person:<id>` recipient is known (chat id, e-mail), else None."""
        kind, _sep, value = recipient.partition(":")
        if kind != "person" or not value.isdigit():
            return None
        return self._people.get(int(value), ChatAddress(None, None))

    async def _reroute(
        self, uow: Stores, row: Claimed, context: Deadline | None, who: ChatAddress, now: datetime
    ) -> list[StaffMember]:
        """Mark `who` unreachable and send this step to the chef of the deadline's enhet now;
        returns the chefs it went to."""
        if who.chat_user_id:
            await uow.outbox.set_state(f"{UNREACHABLE_STATE}{who.chat_user_id}", "1", now)
        if context is None or row.frist_id is None:
            return []
        staff = await uow.outbox.staff_for([context.enhet_id])
        today = local_today(self.clock, self.window.tz)
        unreachable = {who.chat_user_id} if who.chat_user_id else set()
        directory = Directory(staff, {}, None, unreachable)
        chefs = []
        rows = []
        for recipient in directory.chef(context.enhet_id, today, UNREACHABLE):
            member = directory.member(recipient.address)
            if member is None or recipient.address == row.recipient:
                continue
            chefs.append(member)
            rows.append(
                NewNotification(
                    row.frist_id,
                    row.step,
                    recipient.address,
                    now,
                    reason=UNREACHABLE,
                    not_before=self.window.open_at(now),
                )
            )
        if rows:
            await uow.outbox.add_notifications(rows, now)
        return chefs

    async def _channel_of(self, recipient: str) -> str:
        kind, _sep, value = recipient.partition(":")
        if kind == "channel" and value:
            return value
        if kind != "person":
            raise PermanentFailure("no_recipient", Problem.NO_ADDRESS)
        person_id = int(value)
        address = self._people.get(person_id, ChatAddress(None, None))
        chat_id = address.chat_user_id
        if chat_id is None and address.email:
            chat_id = await self.messenger.user_by_email(address.email)
            async with self.unit_of_work() as uow:
                await uow.outbox.save_chat_id(person_id, chat_id)
            self._people[person_id] = ChatAddress(chat_id, address.email)
        if chat_id is None:
            raise PermanentFailure("no_chat_id", Problem.NO_ADDRESS)
        return await self.messenger.open_direct(chat_id)

    async def _message(self, row: Claimed, context: Deadline | None) -> Message:
        if row.payload:
            return message_from_json(row.payload)
        if row.step.startswith(FAILURE_STEP):
            original = int(row.step.removeprefix(FAILURE_STEP))
            async with self.unit_of_work() as uow:
                detail = await uow.outbox.notification_detail(original)
            return self.notices.failure_report(
                context, recipient=detail.recipient, problem=Problem.UNKNOWN, error=detail.error
            )
        if context is None:
            raise PermanentFailure("deadline_missing")
        today = local_today(self.clock, self.window.tz)
        return self.notices.deadline_notice(
            row.step,
            context,
            today,
            late=row.late,
            reason=row.reason,
            repeat_warning=row.uncertain,
            frist_id=row.frist_id,
        )

    async def _pace(self, channel: str) -> None:
        last = self._last_post.get(channel)
        now = self.clock.now()
        if last is not None:
            wait = self.pace - (now - last).total_seconds()
            if wait > 0:
                await self.sleep(wait)
        self._last_post[channel] = self.clock.now()


def _deadline_of(row: Claimed, deadlines: dict[int, Deadline]) -> Deadline | None:
    return deadlines.get(row.frist_id) if row.frist_id is not None else None
