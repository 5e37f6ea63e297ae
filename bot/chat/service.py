"""ChatService: what a chat adapter calls (handlers/ for Slack).

Every request is authorised with bot.domain.access against the staff register; a refusal is
logged (who, what) without case details. Free text is screened for personnummer first: such
input is refused and nothing of it is stored or logged.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.calendar import SwedishCalendar
from bot.domain.delegation import DelegationMode
from bot.domain.forms import Form, Values
from bot.domain.ladder import SendingTime
from bot.domain.messages import Message
from bot.domain.rules import RulePack
from bot.ports.conversation import Answer, Caller, FormResult
from bot.ports.messenger import Limits
from bot.ports.unit_of_work import UnitOfWork
from bot.services.events import EventRecorder

from . import forms
from .access import stranger
from .askers import Askers, ForgetOnWrite
from .buttons import press
from .commands import answer_command, is_question
from .context import ChatContext
from .home import home
from .rendering import Layout
from .submissions import result, submit_extend, submit_reassign, submit_register


class ChatService:
    def __init__(
        self,
        unit_of_work: UnitOfWork,
        pack: RulePack,
        calendar: SwedishCalendar,
        sending: SendingTime,
        clock: Clock,
        limits: Limits,
        code_length: int = 8,
        delegation: DelegationMode = DelegationMode.REFUSE,
        admin_channel: str | None = None,
    ) -> None:
        self.limits = limits
        askers = Askers(clock)
        self.context = ChatContext(
            unit_of_work=ForgetOnWrite(unit_of_work, askers),
            audit_unit_of_work=unit_of_work,
            askers=askers,
            pack=pack,
            calendar=calendar,
            sending=sending,
            clock=clock,
            layout=Layout(limits),
            events=EventRecorder(pack, calendar, admin_channel),
            code_length=code_length,
            delegation=delegation,
            admin_channel=admin_channel,
        )

    async def remember(self, key: str) -> bool:
        """True the first time `key` (a request digest or event id) is seen within the
        platform's replay window; replays then change nothing."""
        ctx = self.context
        async with ctx.unit_of_work() as uow:
            return await uow.chat.first_time(key, ctx.clock.now(), self.limits.replay_memory)

    async def knows(self, user_id: str) -> bool:
        """Whether `user_id` is in the staff register."""
        async with self.context.unit_of_work(readonly=True) as uow:
            return await uow.chat.staff_by_chat_id(user_id) is not None

    async def introduce(self, user_id: str, email: str) -> bool:
        """A person the register knows only by e-mail (a case import named them so) writes
        for the first time: their chat id is linked to that e-mail. Audited; True if linked."""
        ctx = self.context
        async with ctx.unit_of_work() as uow:
            if await uow.chat.staff_by_chat_id(user_id) is not None:
                return False
            if not await uow.chat.link_by_email(email, user_id):
                return False
            await uow.audit.append(
                "system", "chatt_id_kopplad", None, {"chatt_id": user_id}, ctx.clock.now()
            )
            return True

    def is_question(self, text: str) -> bool:
        """True when `/frister TEXT` only reads (no replay record needs to be written)."""
        return is_question(text)

    async def command(self, caller: Caller, text: str) -> Answer:
        """The answer to `/frister TEXT`."""
        return await answer_command(self.context, caller, text)

    async def button(self, caller: Caller, action_id: str, value: str) -> Answer:
        """A pressed button: `frist_*` with a deadline id, `case_*` with a case code."""
        return await press(self.context, caller, action_id, value)

    async def home(self, user_id: str) -> tuple[Message, ...]:
        """The home tab's sections."""
        return await home(self.context, user_id)

    def validate_form(self, kind: str, values: Values) -> dict[str, str]:
        """Field errors that need no database (shown in the form at once)."""
        return forms.validate_form(self.context, kind, values)

    def saving_form(self) -> Form:
        return forms.saving_form()

    def problem_form(self, errors: dict[str, str]) -> Form:
        return forms.problem_form(errors)

    async def submit_form(
        self, caller: Caller, kind: str, values: Values, state: dict[str, str]
    ) -> FormResult:
        """Save a submitted form (`ny`, `forlang`, `omfordela`)."""
        errors = self.validate_form(kind, values)
        if errors:
            return FormResult(errors=errors)
        ctx = self.context
        async with ctx.unit_of_work() as uow:
            me = await uow.chat.staff_by_chat_id(caller.user_id)
            if me is None or not me.active:
                return result(await stranger(ctx, uow, caller.user_id, kind))
            if kind == forms.REGISTER:
                return await submit_register(ctx, uow, me, values)
            if kind == forms.EXTEND:
                return await submit_extend(ctx, uow, me, values, state)
            return await submit_reassign(ctx, uow, me, values, state)
