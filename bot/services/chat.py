"""The chat interface as a service: `/frister` commands, buttons, forms and the home tab.

Platform-neutral: answers are `bot.domain.messages.Message`s and `bot.domain.forms.Form`s that
an adapter renders (handlers/ for Slack). Every request is authorised with bot.domain.access
against the staff register; a refusal is logged (who, what) without case details. Free text is
screened for personnummer first: such input is refused and nothing of it is stored or logged.
"""

from __future__ import annotations

import difflib
import logging
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.clock import Clock, local_today
from bot.domain import commands as cmd
from bot.domain.access import Action, Actor, Target, allowed
from bot.domain.calendar import SwedishCalendar
from bot.domain.deadlines import Status, derive_deadlines, reconcile
from bot.domain.delegation import DelegationMode, check_decision, restarted_investigations
from bot.domain.forms import Choice, Form, FormField, Values
from bot.domain.ladder import SendingTime, occurrences
from bot.domain.messages import Action as Button
from bot.domain.messages import Message
from bot.domain.pseudonym import parse_code, random_code
from bot.domain.roles import DecisionLevel, Role
from bot.domain.rules import Rule, RulePack
from bot.domain.screening import find_identifiers
from bot.formatting import long_date, relative_day, short_date
from bot.i18n import N_, _, ngettext
from bot.ports.audit import AuditEntry
from bot.ports.cases import NewEvent
from bot.ports.chat import CaseInfo, DeadlineItem, StaffInfo
from bot.ports.conversation import Answer, Caller, FormResult
from bot.ports.outbox import PENDING, NewNotification
from bot.ports.unit_of_work import UnitOfWork
from bot.services.alarms import alarm_chefs
from bot.services.importer import _restart_message, _without_delegation_message

log = logging.getLogger("frister.access")

SNOOZE_STEP = "pam:snooze#"
REASSIGNED_STEP = "pam:omfordelad"
TEAM_DAYS = 30
STATS_DAYS = 30
LINES_PER_PARAGRAPH = 15
PARAGRAPH_CHARS = 2800
PARAGRAPHS_PER_PAGE = 40
PAGE_CHARS = 36_000  # the plain-text fallback of a message holds at most 40,000
MAX_PAGES = 5  # Slack accepts five answers per response_url
HOME_ITEMS = 40
REQUEST_MEMORY = timedelta(minutes=10)  # longer than Slack's 5-minute replay window

USER_FIELDS = ("handlaggare", "beslutsfattare")
ROLE_LEVEL = {
    Role.HANDLAGGARE: DecisionLevel.HANDLAGGARE,
    Role.FORSTE_SOCIALSEKRETERARE: DecisionLevel.FORSTE_SOCIALSEKRETERARE,
    Role.CHEF: DecisionLevel.CHEF,
    Role.SOCIALCHEF: DecisionLevel.CHEF,
}
LEVEL_LABELS = {
    DecisionLevel.HANDLAGGARE: N_("Case officer (handläggare)"),
    DecisionLevel.FORSTE_SOCIALSEKRETERARE: N_("Senior social worker (1:e socialsekreterare)"),
    DecisionLevel.CHEF: N_("Unit manager (chef)"),
    DecisionLevel.UTSKOTT: N_("Committee (utskott)"),
    DecisionLevel.NAMND: N_("Board (nämnd)"),
}
ROLE_LABELS = {
    Role.HANDLAGGARE: N_("Case officer (handläggare)"),
    Role.FORSTE_SOCIALSEKRETERARE: N_("Senior social worker (1:e socialsekreterare)"),
    Role.CHEF: N_("Unit manager (chef)"),
    Role.SOCIALCHEF: N_("Head of social services (socialchef)"),
    Role.ADMIN: N_("Administrator"),
}
STATUS_LABELS = {
    "open": N_("open"),
    "done": N_("done"),
    "cancelled": N_("ended"),
}
OTHERS_CASE = N_("It belongs to another handläggare or enhet.")
REFUSALS = {
    Action.TEAM: N_("The team overview is for 1:e socialsekreterare and chefer of the enhet."),
    Action.STATISTICS: N_("Statistics are for the chef of the enhet and the socialchef."),
    Action.REASSIGN: N_("Only a chef of the case's enhet can reassign it."),
    Action.ADMIN: N_("Only Frister's administrators can change the configuration."),
}
USAGE = {
    "dagar": N_("Write a number of days from 1 to 366, for example `/frister 30`."),
    "arende": N_("Write `/frister ärende CODE`, for example `/frister ärende K7QM-3XTP`."),
    "klar": N_("Write `/frister klar CODE [rule]`, for example `/frister klar K7QM-3XTP`."),
    "forlang": N_(
        "Write `/frister förläng CODE rule YYYY-MM-DD reason`, or only `/frister förläng` "
        "for a form."
    ),
    "franvaro": N_(
        "Write `/frister frånvaro FROM TO [@substitute]` with dates as YYYY-MM-DD, for "
        "example `/frister frånvaro 2026-07-06 2026-07-31 @Bo`, or `/frister frånvaro av`."
    ),
    "admin": N_("Write `/frister admin` to see the administrator's commands."),
}
PROBLEMS = {
    cmd.Problem.BAD_CODE: N_("That is not a case code (it looks like K7QM-3XTP)."),
    cmd.Problem.BAD_DATE: N_("The date must be written YYYY-MM-DD and exist."),
    cmd.Problem.BAD_DAYS: N_("The number of days is outside 1–366."),
    cmd.Problem.BAD_ORDER: N_("The last day comes before the first."),
    cmd.Problem.BAD_ROLE: N_("Unknown role: use handläggare, 1:e, chef, socialchef or admin."),
    cmd.Problem.BAD_USER: N_("Mention the person with @, for example @Bo."),
}


def identifier_refusal() -> str:
    return _(
        "That looks like a personnummer or samordningsnummer. Never write identity numbers "
        "in Frister: nothing of what you wrote has been saved."
    )


# ---- answers ------------------------------------------------------------------------------


def say(text: str, title: str = "") -> Message:
    """A short answer: the text is the whole message."""
    return Message(text=text if not title else f"{title}. {text}", title=title, body=(text,))


def _answer(text: str, title: str = "", **kwargs) -> Answer:
    return Answer(messages=(say(text, title),), **kwargs)


def paragraphs(lines: Sequence[str]) -> list[str]:
    """Lines grouped into paragraphs that fit one Block Kit section."""
    result: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line[:PARAGRAPH_CHARS]
        if current and (len(current) >= LINES_PER_PARAGRAPH or size + len(line) > PARAGRAPH_CHARS):
            result.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        result.append("\n".join(current))
    return result


def pages(
    title: str,
    lines: Sequence[str],
    *,
    lead: Sequence[str] = (),
    fields: tuple[tuple[str, str], ...] = (),
    actions: tuple[Button, ...] = (),
    context: str | None = None,
) -> tuple[Message, ...]:
    """A long answer as messages within Block Kit's limits (50 blocks, 3,000 characters per
    text): at most 40 paragraphs a message, at most five messages; the rest is summarised."""
    chunks: list[list[str]] = [[]]
    size = 0
    for part in [*lead, *paragraphs(lines)]:
        if chunks[-1] and (len(chunks[-1]) >= PARAGRAPHS_PER_PAGE or size + len(part) > PAGE_CHARS):
            chunks.append([])
            size = 0
        chunks[-1].append(part)
        size += len(part) + 1
    if len(chunks) > MAX_PAGES:
        left = sum(p.count("\n") + 1 for chunk in chunks[MAX_PAGES:] for p in chunk)
        chunks = chunks[:MAX_PAGES]
        chunks[-1] = [
            *chunks[-1][:-1],
            _("… and {n} more lines. Narrow the question, e.g. `/frister 7`.").format(n=left),
        ]
    result = []
    for index, chunk in enumerate(chunks):
        heading = title
        if len(chunks) > 1:
            heading = f"{title} ({index + 1}/{len(chunks)})"
        last = index == len(chunks) - 1
        result.append(
            Message(
                text="\n".join([heading, *chunk]),
                title=heading,
                fields=fields if index == 0 else (),
                body=tuple(chunk),
                actions=actions if last else (),
                context=context if last else None,
            )
        )
    return tuple(result)


def clean(text: str | None) -> str:
    """Free text as it may be stored: without control characters, trimmed."""
    kept = "".join(ch for ch in (text or "") if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return kept.strip()


def mention(chat_user_id: str | None) -> str:
    return f"<@{chat_user_id}>" if chat_user_id else _("nobody")


# ---- the service --------------------------------------------------------------------------


READ_ONLY = (
    cmd.Mine,
    cmd.Overdue,
    cmd.Team,
    cmd.ShowCase,
    cmd.Statistics,
    cmd.Help,
    cmd.Usage,
    cmd.Unknown,
    cmd.AdminOverview,
)


class _AuditLater:
    """An audit store for read-only work: entries are collected, to be written afterwards."""

    def __init__(self, entries: list[AuditEntry]) -> None:
        self.entries = entries

    async def append(self, actor, action, code, detail, _now) -> None:
        self.entries.append((actor, action, code, detail or {}))

    async def append_many(self, entries, _now) -> None:
        self.entries.extend(entries)


class ChatService:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        pack: RulePack,
        calendar: SwedishCalendar,
        sending: SendingTime,
        clock: Clock,
        code_length: int = 8,
        delegation: DelegationMode = DelegationMode.REFUSE,
        admin_channel: str | None = None,
    ) -> None:
        self.delegation = delegation
        self.admin_channel = admin_channel
        self.unit_of_work = unit_of_work
        self.pack = pack
        self.calendar = calendar
        self.sending = sending
        self.clock = clock
        self.code_length = code_length

    # ---- helpers ----------------------------------------------------------------------------

    def today(self) -> date:
        return local_today(self.clock, self.sending.tz)

    @staticmethod
    def actor(me: StaffInfo) -> Actor:
        """The person as access control sees them; a role Frister does not know allows
        nothing."""
        known = me.role in Role._value2member_map_
        role = Role(me.role) if known else Role.HANDLAGGARE
        return Actor(me.id, role, me.enhet_id, me.active and known)

    def rule_name(self, rule_id: str) -> str:
        rule = self.pack.rules.get(rule_id)
        return rule.name if rule else rule_id

    async def stranger(self, uow, user_id: str, what: str) -> Answer:
        """An unknown or inactive user: a polite answer and nothing else."""
        log.warning("refused: unknown user %s tried %s", user_id, what)
        await uow.audit.append(
            user_id[:40],
            "atkomst_nekad",
            None,
            {"atgard": what[:40], "okand_anvandare": True},
            self.clock.now(),
        )
        return _answer(
            _(
                "Hello! You are not in Frister's staff register, so I cannot show you anything. "
                "Ask your chef or Frister's administrator to add you."
            )
        )

    async def refuse(self, uow, me: StaffInfo, action: Action, why: str | None = None) -> Answer:
        """Refuse, and log and audit who tried what (never which case)."""
        log.warning("refused: user %s (%s) tried %s", me.chat_user_id, me.role, action.value)
        await uow.audit.append(
            me.chat_user_id or str(me.id),
            "atkomst_nekad",
            None,
            {"atgard": action.value, "roll": me.role},
            self.clock.now(),
        )
        reason = why or _(REFUSALS.get(action, OTHERS_CASE))
        return _answer(_("You do not have access to that.") + " " + reason)

    async def audit(self, uow, me: StaffInfo, action: str, code: str | None, detail: dict) -> None:
        """Append a change made in chat to the audit trail (never free text)."""
        await uow.audit.append(
            me.chat_user_id or str(me.id), action, code, detail, self.clock.now()
        )

    async def _target(self, uow, me: StaffInfo, enhet_id: int, owner_id: int | None) -> Target:
        stands_in = False
        if owner_id is not None and owner_id != me.id:
            owner = (await uow.chat.staff_by_ids([owner_id])).get(owner_id)
            stands_in = bool(
                owner is not None and owner.substitute_id == me.id and owner.absent_on(self.today())
            )
        return Target(enhet_id, owner_id, stands_in)

    async def _may(
        self, uow, me: StaffInfo, action: Action, enhet_id: int, owner_id: int | None
    ) -> bool:
        return allowed(self.actor(me), action, await self._target(uow, me, enhet_id, owner_id))

    def _line(self, item: DeadlineItem, today: date, owner: bool = False) -> str:
        day = item.effective_last_day
        text = _("`{code}` {rule}: last day {day} ({when})").format(
            code=item.code,
            rule=self.rule_name(item.rule_id),
            day=short_date(day),
            when=relative_day(day, today),
        )
        if item.is_open and day < today:
            text = _("OVERDUE") + " · " + text
        if item.extended_to:
            text += " · " + _("extended")
        if owner:
            text += " · " + mention(item.handlaggare_chat)
        return text

    @staticmethod
    def _sorted(items: Iterable[DeadlineItem], today: date) -> list[DeadlineItem]:
        """Overdue on top, then nearest first."""
        return sorted(
            items,
            key=lambda i: (i.effective_last_day >= today, i.effective_last_day, i.code, i.rule_id),
        )

    async def remember(self, key: str) -> bool:
        """True the first time `key` (a request digest or event id) is seen within Slack's
        replay window; replays then change nothing."""
        async with self.unit_of_work() as uow:
            return await uow.chat.first_time(key, self.clock.now(), REQUEST_MEMORY)

    # ---- commands ---------------------------------------------------------------------------

    async def command(self, caller: Caller, text: str) -> Answer:
        """The answer to `/frister TEXT`."""
        if find_identifiers(text or ""):
            return _answer(identifier_refusal())
        parsed = cmd.parse(text)
        handler = getattr(self, f"_do_{type(parsed).__name__.lower()}")
        if not isinstance(parsed, READ_ONLY):
            async with self.unit_of_work() as uow:
                me = await uow.chat.staff_by_chat_id(caller.user_id)
                if me is None or not me.active:
                    return await self.stranger(uow, caller.user_id, "command")
                return await handler(uow, caller, me, parsed)
        # Questions read in a read-only transaction; a refusal's audit row is written after it.
        audits: list[AuditEntry] = []
        async with self.unit_of_work(readonly=True) as uow:
            reader = replace(uow, audit=_AuditLater(audits))
            me = await uow.chat.staff_by_chat_id(caller.user_id)
            if me is None or not me.active:
                answer = await self.stranger(reader, caller.user_id, "command")
            else:
                answer = await handler(reader, caller, me, parsed)
        if audits:
            async with self.unit_of_work() as uow:
                await uow.audit.append_many(audits, self.clock.now())
        return answer

    async def _do_mine(self, uow, caller: Caller, me: StaffInfo, c: cmd.Mine) -> Answer:
        if not allowed(self.actor(me), Action.MY_DEADLINES):
            return await self.refuse(uow, me, Action.MY_DEADLINES)
        today = self.today()
        owners = [me.id, *await uow.chat.standing_in_for(me.id, today)]
        items = await uow.chat.deadline_items(
            handlaggare_ids=owners, until=today + timedelta(days=c.days)
        )
        title = ngettext(
            "Your deadlines, the next {n} day", "Your deadlines, the next {n} days", c.days
        ).format(n=c.days)
        if not items:
            return _answer(
                ngettext(
                    "You have no open deadlines in the next {n} day.",
                    "You have no open deadlines in the next {n} days.",
                    c.days,
                ).format(n=c.days),
                title,
            )
        return Answer(self._list(title, items, today, me))

    def _list(
        self, title: str, items: list[DeadlineItem], today: date, me: StaffInfo | None = None
    ) -> tuple[Message, ...]:
        items = self._sorted(items, today)
        overdue = sum(1 for i in items if i.effective_last_day < today)
        lines = [self._line(i, today, owner=me is None or i.handlaggare_id != me.id) for i in items]
        fields = ((_("Overdue"), str(overdue)), (_("Coming"), str(len(items) - overdue)))
        return pages(
            title,
            lines,
            fields=fields,
            context=_("Open a case: /frister ärende CODE · mark done: /frister klar CODE"),
        )

    async def _do_overdue(self, uow, caller: Caller, me: StaffInfo, c: cmd.Overdue) -> Answer:
        actor = self.actor(me)
        if not allowed(actor, Action.OVERDUE):
            return await self.refuse(uow, me, Action.OVERDUE)
        today = self.today()
        if actor.role is Role.SOCIALCHEF:
            items = await uow.chat.deadline_items(until=today - timedelta(days=1))
            title = _("Overdue deadlines, all units")
            me_for_list = None
        elif actor.role in (Role.CHEF, Role.FORSTE_SOCIALSEKRETERARE) and me.enhet_id:
            items = await uow.chat.deadline_items(
                enhet_id=me.enhet_id, until=today - timedelta(days=1)
            )
            title = _("Overdue deadlines, {unit}").format(unit=me.enhet)
            me_for_list = None
        else:
            owners = [me.id, *await uow.chat.standing_in_for(me.id, today)]
            items = await uow.chat.deadline_items(
                handlaggare_ids=owners, until=today - timedelta(days=1)
            )
            title = _("Your overdue deadlines")
            me_for_list = me
        if not items:
            return _answer(_("Nothing is overdue. Well done!"), title)
        return Answer(self._list(title, items, today, me_for_list))

    async def _unit(self, uow, name: str | None) -> tuple[int | None, str | None, bool]:
        """(id, name, found) of an enhet typed by name: the whole name in any case and with
        or without diacritics, or a part that only one enhet has (`nord`)."""
        if not name:
            return None, None, True
        units = await uow.chat.unit_list()
        wanted = " ".join(cmd.fold(name).split())
        exact = [u for u in units if cmd.fold(u.name) == wanted]
        part = [u for u in units if wanted in cmd.fold(u.name)]
        found = exact or (part if len(part) == 1 else [])
        if not found:
            return None, None, False
        return found[0].id, found[0].name, True

    async def _unknown_unit(self, uow, name: str) -> Answer:
        names = ", ".join(u.name for u in await uow.chat.unit_list()) or "–"
        return _answer(
            _("There is no enhet called “{name}”. Known: {names}.").format(
                name=name[:60], names=names
            )
        )

    async def _unit_allowed(
        self, uow, me: StaffInfo, enhet: str | None, action: Action
    ) -> tuple[int | None, str | None] | Answer:
        """The enhet a team question is about (the caller's own unless a socialchef asks for
        all), or the answer refusing it."""
        unit_id, unit_name, found = await self._unit(uow, enhet)
        if not found:
            return await self._unknown_unit(uow, enhet or "")
        if unit_id is None and me.role != Role.SOCIALCHEF.value:
            unit_id, unit_name = me.enhet_id, me.enhet
        if not allowed(self.actor(me), action, Target(unit_id)):
            return await self.refuse(uow, me, action)
        return unit_id, unit_name

    async def _do_team(self, uow, caller: Caller, me: StaffInfo, c: cmd.Team) -> Answer:
        unit = await self._unit_allowed(uow, me, c.enhet, Action.TEAM)
        if isinstance(unit, Answer):
            return unit
        unit_id, unit_name = unit
        today = self.today()
        items = await uow.chat.deadline_items(enhet_id=unit_id)
        counts = await uow.chat.counts(unit_id, today, today - timedelta(days=STATS_DAYS))
        title = _("Team overview, {unit}").format(unit=unit_name or _("all units"))
        staff = await uow.chat.staff_by_ids({i.handlaggare_id for i in items if i.handlaggare_id})
        per_person: Counter = Counter()
        per_person_late: Counter = Counter()
        for item in items:
            per_person[item.handlaggare_id] += 1
            if item.effective_last_day < today:
                per_person_late[item.handlaggare_id] += 1
        people = [
            _("{who}: open {open}, overdue {late}").format(
                who=mention(staff[pid].chat_user_id) if pid in staff else _("no handläggare"),
                open=per_person[pid],
                late=per_person_late[pid],
            )
            for pid in sorted(per_person, key=lambda p: (-per_person_late[p], -per_person[p]))
        ]
        horizon = today + timedelta(days=TEAM_DAYS)
        listed = [i for i in items if i.effective_last_day <= horizon]
        lines = [self._line(i, today, owner=True) for i in self._sorted(listed, today)]
        later = len(items) - len(listed)
        if later:
            lines.append(
                ngettext(
                    "… and {n} deadline later than {days} days from now.",
                    "… and {n} deadlines later than {days} days from now.",
                    later,
                ).format(n=later, days=TEAM_DAYS)
            )
        if not lines:
            lines = [_("No open deadlines.")]
        fields = (
            (_("Open"), str(counts.open)),
            (_("Overdue"), str(counts.overdue)),
            (_("Extended deadlines"), str(counts.extended)),
            (_("Done in the last {days} days").format(days=STATS_DAYS), str(counts.done)),
        )
        public = False
        note: list[str] = []
        if c.show:
            linked = caller.channel_id and await uow.chat.channel_unit(caller.channel_id)
            public = bool(linked) and linked == me.enhet_id and unit_id == me.enhet_id
            if not public:
                note = [
                    _(
                        "Only you can see this: the channel is not linked to your enhet "
                        "(an administrator links it with `/frister admin koppla ENHET`)."
                    )
                ]
        lead = [*note, "\n".join(people)] if people else note
        return Answer(pages(title, lines, lead=lead, fields=fields), public=public)

    async def _case(self, uow, code: str) -> CaseInfo | None:
        return await uow.chat.case_info(code)

    def _no_case(self, code: str) -> Answer:
        return _answer(_("There is no case with the code {code}.").format(code=code))

    async def _do_showcase(self, uow, caller: Caller, me: StaffInfo, c: cmd.ShowCase) -> Answer:
        case = await self._case(uow, c.code)
        if case is None:
            return self._no_case(c.code)
        if not await self._may(uow, me, Action.VIEW_CASE, case.enhet_id, case.handlaggare_id):
            return await self.refuse(uow, me, Action.VIEW_CASE)
        return Answer(await self._case_view(uow, me, case))

    async def _case_view(self, uow, me: StaffInfo, case: CaseInfo) -> tuple[Message, ...]:
        today = self.today()
        items = self._sorted(
            await uow.chat.deadline_items(case_ids=[case.id], open_only=False), today
        )
        events = await uow.chat.case_events(case.id)
        lines = []
        for item in sorted(items, key=lambda i: (not i.is_open, i.effective_last_day)):
            rule = self.pack.rules.get(item.rule_id)
            status = _(STATUS_LABELS.get(item.status, item.status))
            line = _("{rule}: last day {day}, {status}").format(
                rule=self.rule_name(item.rule_id),
                day=long_date(item.effective_last_day),
                status=status,
            )
            if item.is_open:
                line += f" ({relative_day(item.effective_last_day, today)})"
                if item.effective_last_day < today:
                    line = _("OVERDUE") + " · " + line
            elif item.closed_on:
                line += " " + short_date(item.closed_on)
                if item.closed_by_hand and item.done_by:
                    line += " " + _("(marked by {who})").format(who=mention(item.done_by))
            if item.extended_to:
                line += " · " + _("extended from {day} ({level})").format(
                    day=short_date(item.last_day),
                    level=_(LEVEL_LABELS[DecisionLevel(item.extension_level)])
                    if item.extension_level in DecisionLevel._value2member_map_
                    else "?",
                )
            if rule is not None:
                line += " · " + rule.legal.for_trigger(item.trigger_date)
            lines.append(line)
        history = [
            _("{day} {event} ({source})").format(
                day=e.date.isoformat(),
                event=self.pack.event_name(e.type),
                source=(mention(e.registered_by) if e.registered_by else e.source),
            )
            for e in sorted(events, key=lambda e: e.date)
        ]
        actions: list[Button] = []
        for item in items:
            if item.is_open:
                name = self.rule_name(item.rule_id)
                actions.append(
                    Button(
                        "frist_klar",
                        _("Done: {rule}").format(rule=name),
                        str(item.frist_id),
                        "primary",
                    )
                )
                if (rule := self.pack.rules.get(item.rule_id)) and rule.extension:
                    actions.append(
                        Button(
                            "frist_extend",
                            _("Extend: {rule}").format(rule=name),
                            str(item.frist_id),
                        )
                    )
        if await self._may(uow, me, Action.REASSIGN, case.enhet_id, None):
            actions.append(Button("case_reassign", _("Reassign"), case.code))
        return pages(
            _("Case {code}").format(code=case.code),
            [
                _("*Deadlines*"),
                *(lines or [_("No deadlines.")]),
                _("*History*"),
                *(history or [_("No events.")]),
            ],
            fields=(
                (_("Unit"), case.enhet),
                (_("Responsible case officer"), mention(case.handlaggare_chat)),
            ),
            actions=tuple(actions[:24]),
        )

    async def _do_register(self, uow, caller: Caller, me: StaffInfo, c: cmd.Register) -> Answer:
        if self.actor(me).role is Role.ADMIN:
            return await self.refuse(uow, me, Action.REGISTER_EVENT)
        return Answer(form=self.register_form(me))

    async def _open_items(self, uow, case: CaseInfo) -> list[DeadlineItem]:
        return self._sorted(await uow.chat.deadline_items(case_ids=[case.id]), self.today())

    def _match_rule(self, items: list[DeadlineItem], text: str) -> list[DeadlineItem]:
        """Open deadlines whose rule id or name matches `text` (forgiving)."""
        wanted = cmd.fold(text).replace(" ", "")
        if not wanted:
            return []
        exact = [
            i
            for i in items
            if wanted in (cmd.fold(i.rule_id), cmd.fold(self.rule_name(i.rule_id)).replace(" ", ""))
        ]
        if exact:
            return exact
        starts = [
            i
            for i in items
            if cmd.fold(i.rule_id).startswith(wanted)
            or cmd.fold(self.rule_name(i.rule_id)).replace(" ", "").startswith(wanted)
        ]
        if starts:
            return starts
        names = {cmd.fold(i.rule_id): i for i in items}
        close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
        return [names[close[0]]] if close else []

    async def _do_markdone(self, uow, caller: Caller, me: StaffInfo, c: cmd.MarkDone) -> Answer:
        case = await self._case(uow, c.code)
        if case is None:
            return self._no_case(c.code)
        if not await self._may(uow, me, Action.MARK_DONE, case.enhet_id, case.handlaggare_id):
            return await self.refuse(uow, me, Action.MARK_DONE)
        items = await self._open_items(uow, case)
        if not items:
            return _answer(_("Case {code} has no open deadlines.").format(code=case.code))
        chosen = self._match_rule(items, c.rule) if c.rule else items
        if len(chosen) != 1:
            lead = (
                _("No open deadline of case {code} matches “{rule}”.").format(
                    code=case.code, rule=c.rule
                )
                if c.rule and not chosen
                else _("Case {code} has several open deadlines. Which one is done?").format(
                    code=case.code
                )
            )
            options = chosen or items
            return Answer(
                (
                    Message(
                        text=lead,
                        body=(lead,),
                        actions=tuple(
                            Button(
                                "frist_klar",
                                _("Done: {rule}").format(rule=self.rule_name(i.rule_id)),
                                str(i.frist_id),
                            )
                            for i in options[:20]
                        ),
                    ),
                )
            )
        return await self._mark_done(uow, me, chosen[0])

    async def _mark_done(self, uow, me: StaffInfo, item: DeadlineItem) -> Answer:
        today = self.today()
        now = self.clock.now()
        rule = self.pack.rules.get(item.rule_id)
        name = self.rule_name(item.rule_id)
        owner = item.handlaggare_chat
        refresh = tuple(dict.fromkeys(x for x in (me.chat_user_id, owner) if x))
        if not item.is_open:
            return Answer(
                (
                    say(
                        _("{rule} for case {code} is already closed.").format(
                            rule=name, code=item.code
                        )
                    ),
                ),
                refresh=refresh,
            )
        if rule is not None and rule.recurs is not None and rule.closes_on:
            # A recurring deadline (övervägande): the closing event starts the next period.
            await uow.cases.add_events(
                [NewEvent(item.case_id, rule.closes_on[0], today, "chat", me.chat_user_id)], now
            )
            await self._rederive(uow, [item.case_id], now)
            await self.audit(
                uow,
                me,
                "handelse_registrerad",
                item.code,
                {"typ": rule.closes_on[0], "datum": today.isoformat(), "via": "chatt"},
            )
            following = [
                i
                for i in await uow.chat.deadline_items(case_ids=[item.case_id])
                if i.rule_id == item.rule_id
            ]
            text = _("{event} registered for case {code} today.").format(
                event=self.pack.event_name(rule.closes_on[0]), code=item.code
            )
            if following:
                text += " " + _("Next {rule}: last day {day}.").format(
                    rule=name, day=long_date(following[0].effective_last_day)
                )
        else:
            await uow.chat.close_by_hand(
                item.frist_id, Status.DONE.value, today, me.chat_user_id, now
            )
            await self.audit(
                uow,
                me,
                "frist_klar_markerad",
                item.code,
                {"regel": item.rule_id, "datum": today.isoformat()},
            )
            text = _("Done: {rule} for case {code}, marked by {who} {day}.").format(
                rule=name, code=item.code, who=mention(me.chat_user_id), day=short_date(today)
            )
            if rule is not None and any(self.pack.triggered_by(e) for e in rule.closes_on):
                text += " " + _(
                    "If the case got a new event (e.g. an utredning was opened), register it "
                    "with /frister ny so that its deadlines are counted."
                )
        message = say(text, _("Done"))
        return Answer((message,), replace=message, refresh=refresh)

    async def _rederive(self, uow, case_ids: list[int], now: datetime) -> None:
        events = await uow.cases.events_of(case_ids)
        stored = await uow.cases.deadlines_of(case_ids)
        changes = {
            case_id: reconcile(
                derive_deadlines(events.get(case_id, []), self.pack, self.calendar),
                stored.get(case_id, []),
            )
            for case_id in case_ids
        }
        await uow.cases.apply_deadline_changes(changes, now)

    # ---- extension --------------------------------------------------------------------------

    async def _do_extend(self, uow, caller: Caller, me: StaffInfo, c: cmd.Extend) -> Answer:
        if c.reason and find_identifiers(c.reason):
            return _answer(identifier_refusal())
        if c.code is None:
            if self.actor(me).role is Role.ADMIN:
                return await self.refuse(uow, me, Action.EXTEND)
            return Answer(form=self.extend_form(None, [], c))
        case = await self._case(uow, c.code)
        if case is None:
            return self._no_case(c.code)
        if not await self._may(uow, me, Action.EXTEND, case.enhet_id, case.handlaggare_id):
            return await self.refuse(uow, me, Action.EXTEND)
        items = [i for i in await self._open_items(uow, case) if self._extendable(i)]
        if not items:
            return _answer(
                _("Case {code} has no open deadline that can be extended.").format(code=case.code)
            )
        chosen = self._match_rule(items, c.rule) if c.rule else []
        level = ROLE_LEVEL.get(self.actor(me).role)
        if c.complete and clean(c.reason) and len(chosen) == 1 and level is not None:
            rule = self.pack.rules[chosen[0].rule_id]
            if rule.extension and level.allows(rule.extension.level):
                problem = self._extension_problem(chosen[0], c.until)
                if problem:
                    return _answer(problem)
                return await self._extend(
                    uow, me, chosen[0], c.until, clean(c.reason), me.chat_user_id or "", level
                )
        prefill = cmd.Extend(
            case.code, chosen[0].rule_id if len(chosen) == 1 else None, c.until, c.reason
        )
        return Answer(form=self.extend_form(case, items, prefill))

    def _extendable(self, item: DeadlineItem) -> bool:
        rule = self.pack.rules.get(item.rule_id)
        return bool(rule and rule.extension and item.is_open)

    def _extension_problem(self, item: DeadlineItem, until: date | None) -> str | None:
        if until is None:
            return _("Give the new last day.")
        if until <= item.effective_last_day:
            return _("The new last day must come after {day}.").format(
                day=long_date(item.effective_last_day)
            )
        if until > item.effective_last_day + timedelta(days=366):
            return _("The new last day may be at most a year later.")
        return None

    async def _extend(
        self,
        uow,
        me: StaffInfo,
        item: DeadlineItem,
        until: date,
        reason: str,
        decided_by: str,
        level: DecisionLevel,
        without_delegation: bool = False,
    ) -> Answer:
        now = self.clock.now()
        await uow.chat.extend_deadline(
            item.frist_id, until, reason.strip(), decided_by, level.value, now
        )
        await self.audit(
            uow,
            me,
            "frist_forlangd",
            item.code,
            {
                "regel": item.rule_id,
                "till": until.isoformat(),
                "fran": item.effective_last_day.isoformat(),
                "beslutsniva": level.value,
                "beslutad_av": decided_by,
            },
        )
        if without_delegation:
            text = _(
                "Decision made without delegation: the extension of {rule} in case {code} to "
                "{day} was decided at a lower level ({level}) than the delegationsordning allows."
            ).format(
                rule=self.rule_name(item.rule_id),
                code=item.code,
                day=until.isoformat(),
                level=_(LEVEL_LABELS[level]),
            )
            await alarm_chefs(
                uow,
                item.enhet_id,
                f"larm:delegation:{item.code}:forlangning:{item.frist_id}:{until.isoformat()}",
                Message(text=text, title=_("Decision made without delegation"), body=(text,)),
                now,
                self.today(),
                self.admin_channel,
            )
            await self.audit(
                uow,
                me,
                "beslut_utan_delegation",
                item.code,
                {"regel": item.rule_id, "beslutsniva": level.value},
            )
        text = _("{rule} for case {code} is extended to {day} (decided by {who}, {level}).").format(
            rule=self.rule_name(item.rule_id),
            code=item.code,
            day=long_date(until),
            who=mention(decided_by),
            level=_(LEVEL_LABELS[level]),
        )
        message = say(text, _("Extended"))
        refresh = tuple(dict.fromkeys(x for x in (me.chat_user_id, item.handlaggare_chat) if x))
        return Answer((message,), refresh=refresh)

    # ---- absence ----------------------------------------------------------------------------

    async def _do_absence(self, uow, caller: Caller, me: StaffInfo, c: cmd.Absence) -> Answer:
        if not allowed(self.actor(me), Action.ABSENCE):
            return await self.refuse(uow, me, Action.ABSENCE)
        now = self.clock.now()
        today = self.today()
        if c.clear:
            await uow.chat.set_absence(me.id, None, None, None, now)
            await self.audit(uow, me, "franvaro_andrad", None, {"franvaro": None})
            return _answer(_("Your absence is removed: reminders come to you again."))
        if c.start is None:
            if me.absent_from is None or (me.absent_to or me.absent_from) < today:
                text = _("No absence is registered for you.")
            else:
                text = _("You are registered as away {start} – {end}.").format(
                    start=long_date(me.absent_from), end=long_date(me.absent_to or me.absent_from)
                )
            usage = USAGE["franvaro"]
            return _answer(text + " " + _(usage))
        if (c.end or c.start) < today:
            return _answer(_("The absence has already ended."))
        substitute_id = None
        who = None
        if c.substitute:
            if c.substitute == me.chat_user_id:
                return _answer(_("You cannot be your own substitute."))
            other = await uow.chat.staff_by_chat_id(c.substitute)
            if other is None or not other.active or other.role == Role.ADMIN.value:
                return _answer(
                    _("{who} is not in Frister's staff register.").format(who=mention(c.substitute))
                )
            substitute_id, who = other.id, mention(c.substitute)
        await uow.chat.set_absence(me.id, c.start, c.end, substitute_id, now)
        await self.audit(
            uow,
            me,
            "franvaro_andrad",
            None,
            {
                "franvaro": [c.start.isoformat(), (c.end or c.start).isoformat()],
                "ersattare": c.substitute,
            },
        )
        dates = {"start": long_date(c.start), "end": long_date(c.end or c.start)}
        if who is None:
            text = _(
                "Absence registered {start} – {end}. Your chef gets your reminders meanwhile."
            ).format(**dates)
        else:
            text = _(
                "Absence registered {start} – {end}. {who} gets your reminders meanwhile."
            ).format(who=who, **dates)
        return _answer(text)

    # ---- statistics, help, admin ------------------------------------------------------------

    async def _do_statistics(self, uow, caller: Caller, me: StaffInfo, c: cmd.Statistics) -> Answer:
        unit = await self._unit_allowed(uow, me, c.enhet, Action.STATISTICS)
        if isinstance(unit, Answer):
            return unit
        unit_id, unit_name = unit
        today = self.today()
        counts = await uow.chat.counts(unit_id, today, today - timedelta(days=STATS_DAYS))
        title = _("Statistics, {unit}").format(unit=unit_name or _("all units"))
        in_time = counts.done - counts.done_late
        lines = [
            _("Open deadlines: {n}, of which {late} overdue and {ext} extended.").format(
                n=counts.open, late=counts.overdue, ext=counts.extended
            ),
            _("Done in the last {days} days: {n}, of which {ok} in time and {late} late.").format(
                days=STATS_DAYS, n=counts.done, ok=in_time, late=counts.done_late
            ),
        ]
        return Answer(pages(title, lines))

    async def _do_help(self, uow, caller: Caller, me: StaffInfo, c: cmd.Help) -> Answer:
        return Answer(self.help(self.actor(me).role))

    def help(self, role: Role) -> tuple[Message, ...]:
        lines = [
            _("`/frister` – your deadlines for the next 14 days, overdue on top"),
            _("`/frister 30` or `/frister vecka` – another horizon"),
            _("`/frister försenade` – overdue deadlines (the whole enhet for a chef)"),
            _("`/frister ärende CODE` – a case's deadlines and history"),
            _("`/frister ny` – register an event (a new case gets a case code)"),
            _("`/frister klar CODE [rule]` – mark a deadline as done"),
            _("`/frister förläng CODE rule YYYY-MM-DD reason` – register a decided extension"),
            _("`/frister frånvaro FROM TO [@substitute]` – your absence (`frånvaro av` ends it)"),
        ]
        if role in (Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF):
            lines.append(
                _("`/frister team` – the enhet's overview (`team visa` shows it in the channel)")
            )
        if role in (Role.CHEF, Role.SOCIALCHEF):
            lines.append(_("`/frister statistik` – counts for the enhet"))
        if role is Role.ADMIN:
            lines = self._admin_lines()
        lines.append(_("`/frister hjälp` – this list"))
        return pages(
            _("Frister's commands"),
            lines,
            context=_(
                "Short forms work too: `förs`, `stat`, `hj`. Never write personnummer in Frister."
            ),
        )

    def _admin_lines(self) -> list[str]:
        return [
            _("`/frister admin` – units, their channels and these commands"),
            _(
                "`/frister admin koppla ENHET` – link this channel to an enhet "
                "(`koppla av` unlinks)"
            ),
            _(
                "`/frister admin eskalering ENHET` – make this channel the enhet's escalation "
                "channel (`eskalering ENHET av` removes it)"
            ),
            _("`/frister admin roll @person ROLE [ENHET]` – set someone's role and enhet"),
        ]

    async def _do_adminoverview(
        self, uow, caller: Caller, me: StaffInfo, c: cmd.AdminOverview
    ) -> Answer:
        if not allowed(self.actor(me), Action.ADMIN):
            return await self.refuse(uow, me, Action.ADMIN)
        lines = [
            _("{unit}: escalation channel {channel}; linked channels {linked}").format(
                unit=u.name,
                channel=f"<#{u.escalation_channel}>" if u.escalation_channel else "–",
                linked=", ".join(f"<#{ch}>" for ch in u.channels) or "–",
            )
            for u in await uow.chat.unit_list()
        ]
        return Answer(pages(_("Frister's configuration"), [*lines, *self._admin_lines()]))

    async def _admin_unit(self, uow, me: StaffInfo, name: str):
        if not allowed(self.actor(me), Action.ADMIN):
            return None, await self.refuse(uow, me, Action.ADMIN)
        unit_id, unit_name, found = await self._unit(uow, name)
        if not found or unit_id is None:
            return None, await self._unknown_unit(uow, name)
        return (unit_id, unit_name), None

    async def _do_adminlink(self, uow, caller: Caller, me: StaffInfo, c: cmd.AdminLink) -> Answer:
        if not allowed(self.actor(me), Action.ADMIN):
            return await self.refuse(uow, me, Action.ADMIN)
        if not caller.channel_id or caller.direct:
            return _answer(_("Run this in the channel you want to link."))
        if c.enhet is None:
            await uow.chat.link_channel(caller.channel_id, None)
            await self.audit(
                uow, me, "kanal_kopplad", None, {"kanal": caller.channel_id, "enhet": None}
            )
            return _answer(_("This channel is no longer linked to an enhet."))
        unit, problem = await self._admin_unit(uow, me, c.enhet)
        if problem:
            return problem
        await uow.chat.link_channel(caller.channel_id, unit[0])
        await self.audit(
            uow, me, "kanal_kopplad", None, {"kanal": caller.channel_id, "enhet": unit[1]}
        )
        return _answer(_("This channel is now linked to {unit}.").format(unit=unit[1]))

    async def _do_adminescalation(
        self, uow, caller: Caller, me: StaffInfo, c: cmd.AdminEscalation
    ) -> Answer:
        unit, problem = await self._admin_unit(uow, me, c.enhet)
        if problem:
            return problem
        if c.off:
            await uow.cases.set_escalation_channel(unit[1], None, self.clock.now())
            await self.audit(
                uow, me, "eskaleringskanal_andrad", None, {"enhet": unit[1], "kanal": None}
            )
            return _answer(_("{unit} has no escalation channel now.").format(unit=unit[1]))
        if not caller.channel_id or caller.direct:
            return _answer(_("Run this in the channel that should get the escalations."))
        await uow.cases.set_escalation_channel(unit[1], caller.channel_id, self.clock.now())
        await self.audit(
            uow,
            me,
            "eskaleringskanal_andrad",
            None,
            {"enhet": unit[1], "kanal": caller.channel_id},
        )
        return _answer(
            _(
                "Escalations and delivery failures of {unit} now come to this channel. Invite "
                "Frister here (`/invite @Frister`) so that it can post."
            ).format(unit=unit[1])
        )

    async def _do_adminrole(self, uow, caller: Caller, me: StaffInfo, c: cmd.AdminRole) -> Answer:
        if not allowed(self.actor(me), Action.ADMIN):
            return await self.refuse(uow, me, Action.ADMIN)
        unit_id, unit_name = None, None
        if c.enhet:
            found = await self._admin_unit(uow, me, c.enhet)
            if found[1]:
                return found[1]
            unit_id, unit_name = found[0]
        elif c.role not in (Role.SOCIALCHEF, Role.ADMIN):
            existing = await uow.chat.staff_by_chat_id(c.user)
            if existing is None or existing.enhet_id is None:
                return _answer(_("Give the enhet too: `/frister admin roll @person ROLE ENHET`."))
            unit_id, unit_name = existing.enhet_id, existing.enhet
        await uow.chat.set_role(c.user, c.role.value, unit_id, self.clock.now())
        await self.audit(
            uow,
            me,
            "roll_andrad",
            None,
            {"chatt_id": c.user, "roll": c.role.value, "enhet": unit_name},
        )
        return _answer(
            _("{who} is now {role}{unit}.").format(
                who=mention(c.user),
                role=_(ROLE_LABELS[c.role]).lower(),
                unit=f", {unit_name}" if unit_name else "",
            ),
            refresh=(c.user,),
        )

    async def _do_usage(self, uow, caller: Caller, me: StaffInfo, c: cmd.Usage) -> Answer:
        parts = []
        if c.problem is not cmd.Problem.MISSING:
            parts.append(_(PROBLEMS[c.problem]))
        parts.append(_(USAGE.get(c.command, N_("Write `/frister hjälp` to see the commands."))))
        return _answer(" ".join(parts))

    async def _do_unknown(self, uow, caller: Caller, me: StaffInfo, c: cmd.Unknown) -> Answer:
        text = _("I did not understand “{word}”.").format(word=c.word)
        if c.suggestion:
            text += " " + _("Did you mean `/frister {command}`?").format(command=c.suggestion)
        text += " " + _("`/frister hjälp` lists every command.")
        return _answer(text)

    # ---- buttons ----------------------------------------------------------------------------

    async def button(self, caller: Caller, action_id: str, value: str) -> Answer:
        """A pressed button: `frist_*` with a deadline id, `case_*` with a case code."""
        async with self.unit_of_work() as uow:
            me = await uow.chat.staff_by_chat_id(caller.user_id)
            if me is None or not me.active:
                return await self.stranger(uow, caller.user_id, action_id)
            if action_id == "home_new":
                return await self._do_register(uow, caller, me, cmd.Register())
            if action_id.startswith("case_"):
                code = parse_code(value or "")
                case = await self._case(uow, code) if code else None
                if case is None:
                    return self._no_case(code or "?")
                if action_id == "case_show":
                    return await self._do_showcase(uow, caller, me, cmd.ShowCase(case.code))
                if action_id == "case_reassign":
                    if not await self._may(uow, me, Action.REASSIGN, case.enhet_id, None):
                        return await self.refuse(uow, me, Action.REASSIGN)
                    return Answer(form=self.reassign_form(case))
            frist_id = int(value) if (value or "").isdigit() and len(value) < 12 else None
            found = (
                await uow.chat.deadline_items(frist_ids=[frist_id], open_only=False)
                if (frist_id is not None)
                else []
            )
            if not found or action_id not in BUTTON_ACTIONS:
                return _answer(_("This button no longer works. Try /frister."))
            item = found[0]
            action = BUTTON_ACTIONS[action_id]
            if not await self._may(uow, me, action, item.enhet_id, item.handlaggare_id):
                return await self.refuse(uow, me, action)
            if action is Action.MARK_DONE:
                return await self._mark_done(uow, me, item)
            if not item.is_open:
                return _answer(
                    _("{rule} for case {code} is already closed.").format(
                        rule=self.rule_name(item.rule_id), code=item.code
                    )
                )
            if action is Action.SNOOZE:
                return await self._snooze(uow, me, item)
            if action is Action.ACKNOWLEDGE:
                await uow.chat.acknowledge(item.frist_id, self.today())
                await self.audit(
                    uow,
                    me,
                    "frist_har_koll",
                    item.code,
                    {"regel": item.rule_id, "datum": self.today().isoformat()},
                )
                return _answer(
                    _("Noted: no more repeats about {rule} for case {code} today.").format(
                        rule=self.rule_name(item.rule_id), code=item.code
                    )
                )
            case = await self._case(uow, item.code)
            items = [i for i in await self._open_items(uow, case) if self._extendable(i)]
            if item not in items:
                return _answer(
                    _("{rule} cannot be extended.").format(rule=self.rule_name(item.rule_id))
                )
            return Answer(form=self.extend_form(case, items, cmd.Extend(item.code, item.rule_id)))

    async def _snooze(self, uow, me: StaffInfo, item: DeadlineItem) -> Answer:
        """No more repeats today; one reminder next working morning (unless the ladder has one
        for the handläggare then anyway)."""
        today = self.today()
        now = self.clock.now()
        await uow.chat.acknowledge(item.frist_id, today)
        tomorrow = self.calendar.next_working_day(today)
        await self.audit(
            uow,
            me,
            "frist_paminn_i_morgon",
            item.code,
            {"regel": item.rule_id, "datum": tomorrow.isoformat()},
        )
        due = self.sending.on(tomorrow)
        rule = self.pack.rules.get(item.rule_id)
        ladder_has_one = rule is not None and any(
            o.send_on == tomorrow and not o.step.escalation
            for o in occurrences(rule, item.effective_last_day, self.calendar, self.sending, due)
        )
        if not ladder_has_one:
            await uow.outbox.add_notifications(
                [
                    NewNotification(
                        item.frist_id,
                        f"{SNOOZE_STEP}{tomorrow.isoformat()}",
                        f"person:{me.id}",
                        due,
                        PENDING,
                    )
                ],
                now,
            )
        return _answer(
            _("I will remind you again {day} at {time}.").format(
                day=long_date(tomorrow), time=self.sending.at.strftime("%H.%M")
            )
        )

    # ---- forms ------------------------------------------------------------------------------

    def register_form(self, me: StaffInfo) -> Form:
        events = sorted(self.pack.events.items(), key=lambda e: e[1])
        fields = [
            FormField(
                "handelse",
                _("Event"),
                "select",
                tuple(Choice(key, name[:75]) for key, name in events[:100]),
            ),
            FormField("datum", _("Date"), "date", initial=self.today().isoformat()),
            FormField(
                "kod",
                _("Case code"),
                "text",
                optional=True,
                hint=_("Leave empty and tick “New case” for a new case."),
                max_length=24,
            ),
            FormField(
                "nytt",
                _("New case"),
                "checkbox",
                (Choice("nytt", _("New case: give it a code")),),
                optional=True,
            ),
        ]
        fields.append(
            FormField(
                "niva",
                _("Decided at level"),
                "select",
                tuple(Choice(level.value, _(LEVEL_LABELS[level])) for level in DecisionLevel),
                optional=True,
                hint=_("When the event is a decision (e.g. an övervägande)."),
            )
        )
        if self.actor(me).role in (Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF):
            fields.append(
                FormField(
                    "handlaggare",
                    _("Handläggare of a new case"),
                    "user",
                    optional=True,
                    hint=_("Empty: you."),
                )
            )
        return Form(
            "ny",
            _("Register event"),
            tuple(fields),
            submit=_("Register"),
            close=_("Cancel"),
            intro=say(_("Never write personnummer or names here: only the case code.")),
        )

    def extend_form(
        self, case: CaseInfo | None, items: list[DeadlineItem], prefill: cmd.Extend
    ) -> Form:
        fields: list[FormField] = []
        state = {}
        if case is None:
            fields.append(FormField("kod", _("Case code"), "text", max_length=24))
        else:
            state["kod"] = case.code
        if case is None or len(items) != 1:
            fields.append(
                FormField(
                    "regel",
                    _("Deadline"),
                    "select" if items else "text",
                    tuple(
                        Choice(
                            i.rule_id,
                            f"{self.rule_name(i.rule_id)} ({short_date(i.effective_last_day)})"[
                                :75
                            ],
                        )
                        for i in items
                    ),
                    initial=prefill.rule,
                )
            )
        else:
            state["regel"] = items[0].rule_id
        fields += [
            FormField(
                "datum",
                _("New last day"),
                "date",
                initial=prefill.until.isoformat() if prefill.until else None,
            ),
            FormField(
                "skal",
                _("Reason"),
                "long_text",
                initial=prefill.reason,
                max_length=500,
                hint=_("The grounds of the decision, without names or personnummer."),
            ),
            FormField(
                "niva",
                _("Decided at level"),
                "select",
                tuple(Choice(level.value, _(LEVEL_LABELS[level])) for level in DecisionLevel),
            ),
            FormField(
                "beslutsfattare", _("Decided by"), "user", optional=True, hint=_("Empty: you.")
            ),
        ]
        intro_lines = []
        if case is not None and len(items) == 1:
            item = items[0]
            rule = self.pack.rules.get(item.rule_id)
            intro_lines.append(
                _("{rule} for case {code}, last day now {day}.").format(
                    rule=self.rule_name(item.rule_id),
                    code=item.code,
                    day=long_date(item.effective_last_day),
                )
            )
            if rule and rule.extension:
                intro_lines.append(
                    _("Extension needs {reason}, decided at least at the level {level}.").format(
                        reason=rule.extension.reason, level=_(LEVEL_LABELS[rule.extension.level])
                    )
                )
        return Form(
            "forlang",
            _("Extend deadline"),
            tuple(fields),
            submit=_("Save"),
            close=_("Cancel"),
            intro=say(" ".join(intro_lines)) if intro_lines else None,
            state=state,
        )

    def reassign_form(self, case: CaseInfo) -> Form:
        return Form(
            "omfordela",
            _("Reassign case"),
            (FormField("handlaggare", _("New handläggare"), "user"),),
            submit=_("Reassign"),
            close=_("Cancel"),
            intro=say(
                _("Case {code} ({unit}), handläggare now {who}.").format(
                    code=case.code, unit=case.enhet, who=mention(case.handlaggare_chat)
                )
            ),
            state={"kod": case.code},
        )

    def saving_form(self) -> Form:
        """Shown while a submitted form is being saved."""
        return Form("resultat", _("Saving…"), intro=say(_("Saving…")))

    def problem_form(self, errors: dict[str, str]) -> Form:
        """A result view for field errors found after the form was accepted."""
        text = " ".join(dict.fromkeys(errors.values())) or _("Something went wrong.")
        return Form("resultat", _("Not saved"), close=_("Close"), intro=say(text))

    def validate_form(self, kind: str, values: Values) -> dict[str, str]:
        """Field errors that need no database (shown in the form at once)."""
        errors: dict[str, str] = {}
        for key, value in values.items():
            if value and find_identifiers(value):
                errors[key] = identifier_refusal()
        if errors:
            return errors
        for key in USER_FIELDS:
            if values.get(key) and cmd.parse_user(values[key] or "") != values[key]:
                errors[key] = _("Choose a person from the list.")
        today = self.today()
        if kind == "ny":
            if values.get("handelse") not in self.pack.events:
                errors["handelse"] = _("Choose an event.")
            day = cmd.parse_date(values.get("datum") or "")
            if day is None:
                errors["datum"] = _("Choose a date.")
            elif day > today:
                errors["datum"] = _("The date is in the future.")
            code = (values.get("kod") or "").strip()
            new = bool(values.get("nytt"))
            if code and new:
                errors["kod"] = _("Either a case code or a new case, not both.")
            elif not code and not new:
                errors["kod"] = _("Write the case code, or tick “New case”.")
            elif code and parse_code(code) is None:
                errors["kod"] = _(PROBLEMS[cmd.Problem.BAD_CODE])
            if values.get("niva") and values["niva"] not in DecisionLevel._value2member_map_:
                errors["niva"] = _("Choose the level of the decision.")
        elif kind == "forlang":
            if "kod" in values and parse_code(values.get("kod") or "") is None:
                errors["kod"] = _(PROBLEMS[cmd.Problem.BAD_CODE])
            if "regel" in values and not (values.get("regel") or "").strip():
                errors["regel"] = _("Choose the deadline.")
            day = cmd.parse_date(values.get("datum") or "")
            if day is None:
                errors["datum"] = _("Choose the new last day.")
            elif day < today:
                errors["datum"] = _("The new last day has already passed.")
            if not clean(values.get("skal")):
                errors["skal"] = _("Write the reason.")
            if values.get("niva") not in DecisionLevel._value2member_map_:
                errors["niva"] = _("Choose the level of the decision.")
        elif kind == "omfordela":
            if not values.get("handlaggare"):
                errors["handlaggare"] = _("Choose the new handläggare.")
        else:
            errors[""] = _("This form no longer works. Try /frister.")
        return errors

    async def submit_form(
        self, caller: Caller, kind: str, values: Values, state: dict[str, str]
    ) -> FormResult:
        errors = self.validate_form(kind, values)
        if errors:
            return FormResult(errors=errors)
        async with self.unit_of_work() as uow:
            me = await uow.chat.staff_by_chat_id(caller.user_id)
            if me is None or not me.active:
                return self._result(await self.stranger(uow, caller.user_id, kind))
            if kind == "ny":
                return await self._submit_register(uow, me, values)
            if kind == "forlang":
                return await self._submit_extend(uow, me, values, state)
            return await self._submit_reassign(uow, me, values, state)

    def _result(self, answer: Answer, title: str | None = None) -> FormResult:
        messages = answer.messages or (say(_("Done")),)
        return FormResult(
            view=Form("resultat", title or _("Frister"), close=_("Close"), intro=messages[0]),
            refresh=answer.refresh,
        )

    async def _submit_register(self, uow, me: StaffInfo, values: Values) -> FormResult:
        now = self.clock.now()
        today = self.today()
        event = values.get("handelse") or ""
        day = cmd.parse_date(values.get("datum") or "")
        assert day is not None
        new_case = bool(values.get("nytt"))
        form = self.register_form(me)
        escalate = False
        if values.get("niva"):
            level = DecisionLevel(values["niva"] or "")
            for rule in self.pack.rules.values():
                if event not in rule.closes_on:
                    continue
                check = check_decision(rule, level, extension=False, mode=self.delegation)
                if not check.allowed:
                    assert check.required is not None
                    problem = _(
                        "{rule} must be decided at least at the level {level} (delegationsordning)."
                    ).format(rule=rule.name, level=_(LEVEL_LABELS[check.required]))
                    return FormResult(view=self._again(form, problem, values))
                escalate = escalate or check.escalate
        if new_case:
            owner = me
            chosen = values.get("handlaggare")
            if chosen and chosen != me.chat_user_id:
                other = await uow.chat.staff_by_chat_id(chosen)
                if other is None or not other.active or other.role == Role.ADMIN.value:
                    problem = _("{who} is not in Frister's staff register.").format(
                        who=mention(chosen)
                    )
                    return FormResult(view=self._again(form, problem, values))
                owner = other
            enhet_id = owner.enhet_id or me.enhet_id
            if enhet_id is None:
                problem = _(
                    "You are not in an enhet, so Frister cannot know where the case belongs."
                )
                return FormResult(view=self._again(form, problem, values))
            if not await self._may(uow, me, Action.REGISTER_EVENT, enhet_id, owner.id):
                return self._result(await self.refuse(uow, me, Action.REGISTER_EVENT))
            code = await self._new_code(uow)
            record = await uow.cases.add_case(code, None, enhet_id, owner.id, "chat", now)
            await self.audit(
                uow,
                me,
                "arende_skapat",
                code,
                {"enhet": enhet_id, "handlaggare": owner.chat_user_id},
            )
            case_id, owner_chat = record.id, owner.chat_user_id
        else:
            code = parse_code(values.get("kod") or "") or ""
            case = await self._case(uow, code)
            if case is None:
                return FormResult(
                    view=self._again(form, self._no_case(code).messages[0].text, values)
                )
            if not await self._may(
                uow, me, Action.REGISTER_EVENT, case.enhet_id, case.handlaggare_id
            ):
                return self._result(await self.refuse(uow, me, Action.REGISTER_EVENT))
            case_id, owner_chat, enhet_id = case.id, case.handlaggare_chat, case.enhet_id
        added = await uow.cases.add_events(
            [NewEvent(case_id, event, day, "chat", me.chat_user_id)], now
        )
        await self._rederive(uow, [case_id], now)
        if added:
            detail = {"typ": event, "datum": day.isoformat(), "via": "chatt"}
            if values.get("niva"):
                detail["beslutsniva"] = values["niva"]
            await self.audit(uow, me, "handelse_registrerad", code, detail)
            await self._event_alarms(uow, me, code, case_id, enhet_id, event, day, escalate)
        items = self._sorted(await uow.chat.deadline_items(case_ids=[case_id]), today)
        lines = []
        if new_case:
            lines.append(
                _(
                    "New case code: *{code}*. Note it in the case file; Frister knows the case "
                    "only by this code."
                ).format(code=code)
            )
        if added:
            lines.append(
                _("{event} {day} is registered for case {code}.").format(
                    event=self.pack.event_name(event), day=long_date(day), code=code
                )
            )
        else:
            lines.append(
                _("{event} {day} was already registered; nothing changed.").format(
                    event=self.pack.event_name(event), day=long_date(day)
                )
            )
        if items:
            lines.append(_("Open deadlines:"))
            for item in items:
                rule = self.pack.rules.get(item.rule_id)
                lines.append(
                    "• "
                    + self._line(item, today)
                    + (f" · {rule.legal.for_trigger(item.trigger_date)}" if rule else "")
                )
        else:
            lines.append(_("The case has no open deadlines now."))
        refresh = tuple(dict.fromkeys(x for x in (me.chat_user_id, owner_chat) if x))
        message = Message(text="\n".join(lines), body=tuple(paragraphs(lines)))
        return FormResult(
            view=Form("resultat", _("Event registered"), close=_("Close"), intro=message),
            refresh=refresh,
        )

    async def _event_alarms(
        self,
        uow,
        me: StaffInfo,
        code: str,
        case_id: int,
        enhet_id: int,
        event: str,
        day: date,
        without_delegation: bool,
    ) -> None:
        """The chef hears of a decision without delegation and of a restarted utredning,
        as with imported events."""
        now, today = self.clock.now(), self.today()
        if without_delegation:
            await alarm_chefs(
                uow,
                enhet_id,
                f"larm:delegation:{code}:{event}:{day}",
                _without_delegation_message(code, self.pack.event_name(event), day),
                now,
                today,
                self.admin_channel,
            )
            await self.audit(
                uow,
                me,
                "beslut_utan_delegation",
                code,
                {"handelse": event, "datum": day.isoformat()},
            )
        if event != "utredning_inledd":
            return
        events = (await uow.cases.events_of([case_id])).get(case_id, [])
        for restart in restarted_investigations(events):
            if restart.reopened_on != day:
                continue
            await alarm_chefs(
                uow,
                enhet_id,
                f"larm:omstart:{code}:{day.isoformat()}",
                _restart_message(code, restart),
                now,
                today,
                self.admin_channel,
            )
            await self.audit(
                uow,
                me,
                "utredning_omstartad",
                code,
                {"avslutad": restart.closed_on.isoformat(), "ny": restart.reopened_on.isoformat()},
            )

    async def _new_code(self, uow) -> str:
        for _attempt in range(20):
            code = random_code(self.code_length)
            if not await uow.cases.cases_by_code([code]):
                return code
        raise RuntimeError("could not find a free case code")  # 2^40 codes: never happens

    async def _submit_extend(
        self, uow, me: StaffInfo, values: Values, state: dict[str, str]
    ) -> FormResult:
        code = parse_code(state.get("kod") or values.get("kod") or "") or ""
        case = await self._case(uow, code)
        if case is None:
            return self._result(self._no_case(code))
        if not await self._may(uow, me, Action.EXTEND, case.enhet_id, case.handlaggare_id):
            return self._result(await self.refuse(uow, me, Action.EXTEND))
        items = [i for i in await self._open_items(uow, case) if self._extendable(i)]
        chosen = self._match_rule(items, state.get("regel") or values.get("regel") or "")
        if len(chosen) != 1:
            return self._result(
                _answer(
                    _("Case {code} has no open deadline “{rule}” that can be extended.").format(
                        code=case.code, rule=(state.get("regel") or values.get("regel") or "")[:60]
                    )
                )
            )
        item = chosen[0]
        rule: Rule = self.pack.rules[item.rule_id]
        level = DecisionLevel(values["niva"] or "")
        until = cmd.parse_date(values.get("datum") or "")
        form = self.extend_form(
            case,
            items if "regel" not in state else [item],
            cmd.Extend(case.code, item.rule_id, until, values.get("skal")),
        )
        check = check_decision(rule, level, extension=True, mode=self.delegation)
        if not check.allowed:
            assert check.required is not None
            return FormResult(
                view=self._again(
                    form,
                    _(
                        "Extending {rule} needs a decision at least at the level {level} "
                        "(delegationsordning)."
                    ).format(rule=rule.name, level=_(LEVEL_LABELS[check.required])),
                    values,
                )
            )
        problem = self._extension_problem(item, until)
        if problem or until is None:
            return FormResult(view=self._again(form, problem or "", values))
        decided_by = values.get("beslutsfattare") or me.chat_user_id or ""
        answer = await self._extend(
            uow, me, item, until, clean(values.get("skal")), decided_by, level, check.escalate
        )
        return self._result(answer, _("Extended"))

    @staticmethod
    def _again(form: Form, problem: str, values: Values) -> Form:
        """The form once more, as filled in, with what is wrong on top."""
        fields = tuple(replace(f, initial=values.get(f.id) or f.initial) for f in form.fields)
        return replace(form, fields=fields, intro=say(problem))

    async def _submit_reassign(
        self, uow, me: StaffInfo, values: Values, state: dict[str, str]
    ) -> FormResult:
        code = parse_code(state.get("kod") or "") or ""
        case = await self._case(uow, code)
        if case is None:
            return self._result(self._no_case(code))
        if not await self._may(uow, me, Action.REASSIGN, case.enhet_id, None):
            return self._result(await self.refuse(uow, me, Action.REASSIGN))
        chosen = values.get("handlaggare") or ""
        other = await uow.chat.staff_by_chat_id(chosen)
        if other is None or not other.active or other.role == Role.ADMIN.value:
            return FormResult(
                view=self._again(
                    self.reassign_form(case),
                    _("{who} is not in Frister's staff register.").format(who=mention(chosen)),
                    values,
                )
            )
        if other.enhet_id != case.enhet_id and self.actor(me).role is not Role.SOCIALCHEF:
            return FormResult(
                view=self._again(
                    self.reassign_form(case),
                    _("{who} does not work in {unit}.").format(
                        who=mention(chosen), unit=case.enhet
                    ),
                    values,
                )
            )
        enhet_id = other.enhet_id or case.enhet_id
        now = self.clock.now()
        await uow.chat.reassign_case(case.id, enhet_id, other.id, now)
        # The new handläggare hears of each open deadline through the outbox (at least once).
        open_items = await uow.chat.deadline_items(case_ids=[case.id])
        await uow.outbox.add_notifications(
            [
                NewNotification(
                    i.frist_id,
                    f"{REASSIGNED_STEP}:{other.id}#{self.today().isoformat()}",
                    f"person:{other.id}",
                    now,
                    PENDING,
                    reason="omfordelad",
                )
                for i in open_items
            ],
            now,
        )
        await self.audit(
            uow,
            me,
            "arende_omfordelat",
            case.code,
            {"fran": case.handlaggare_chat, "till": other.chat_user_id},
        )
        answer = _answer(
            _("Case {code} is now {who}'s. They get a message about its open deadlines.").format(
                code=case.code, who=mention(other.chat_user_id)
            ),
            refresh=tuple(
                dict.fromkeys(
                    x for x in (me.chat_user_id, other.chat_user_id, case.handlaggare_chat) if x
                )
            ),
        )
        return self._result(answer, _("Reassigned"))

    # ---- home -------------------------------------------------------------------------------

    async def home(self, user_id: str) -> tuple[Message, ...]:
        """The home tab: my deadlines; for a chef (and 1:e) also the enhet's overdue and
        coming deadlines; for a socialchef, every enhet's overdue ones."""
        async with self.unit_of_work() as uow:
            me = await uow.chat.staff_by_chat_id(user_id)
            if me is None or not me.active:
                return (await self.stranger(uow, user_id, "home")).messages
            actor = self.actor(me)
            if actor.role is Role.ADMIN:
                return (
                    say(
                        _("You are an administrator: configure Frister with `/frister admin`."),
                        _("Frister"),
                    ),
                )
            today = self.today()
            horizon = today + timedelta(days=14)
            owners = [me.id, *await uow.chat.standing_in_for(me.id, today)]
            mine = self._sorted(
                await uow.chat.deadline_items(handlaggare_ids=owners, until=horizon), today
            )
            sections = [
                self._home_section(
                    _("My deadlines, the next 14 days"),
                    mine,
                    today,
                    me,
                    _("You have no open deadlines in the next 14 days."),
                    (Button("home_new", _("Register event"), "ny"),),
                )
            ]
            if actor.role in (Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF):
                unit = None if actor.role is Role.SOCIALCHEF else me.enhet_id
                if unit is not None or actor.role is Role.SOCIALCHEF:
                    items = self._sorted(
                        await uow.chat.deadline_items(enhet_id=unit, until=horizon), today
                    )
                    name = me.enhet if unit else _("all units")
                    late = [i for i in items if i.effective_last_day < today]
                    coming = [i for i in items if i.effective_last_day >= today]
                    sections.append(
                        self._home_section(
                            _("Overdue, {unit}").format(unit=name),
                            late,
                            today,
                            None,
                            _("Nothing is overdue."),
                        )
                    )
                    sections.append(
                        self._home_section(
                            _("Coming in 14 days, {unit}").format(unit=name),
                            coming,
                            today,
                            None,
                            _("Nothing in the next 14 days."),
                        )
                    )
            sections.append(
                say(
                    _(
                        "Reminders come as direct messages on working days at {time}, with "
                        "buttons: Done, Remind me tomorrow, Request extension. Type "
                        "`/frister hjälp` for every command. Never write personnummer in Frister."
                    ).format(time=self.sending.at.strftime("%H.%M"))
                )
            )
            return tuple(sections)

    def _home_section(
        self,
        title: str,
        items: list[DeadlineItem],
        today: date,
        me: StaffInfo | None,
        empty: str,
        actions: tuple[Button, ...] = (),
    ) -> Message:
        lines = [
            self._line(i, today, owner=me is None or i.handlaggare_id != me.id)
            for i in items[:HOME_ITEMS]
        ]
        if len(items) > HOME_ITEMS:
            lines.append(_("… and {n} more.").format(n=len(items) - HOME_ITEMS))
        body = tuple(paragraphs(lines)) if lines else (empty,)
        return Message(text="\n".join([title, *body]), title=title, body=body, actions=actions)


BUTTON_ACTIONS = {
    "frist_klar": Action.MARK_DONE,
    "frist_snooze": Action.SNOOZE,
    "frist_ack": Action.ACKNOWLEDGE,
    "frist_extend": Action.EXTEND,
}
