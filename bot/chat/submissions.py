"""Saving a submitted form: register an event (maybe a new case), extend, reassign."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain import markup
from bot.domain.access import Action
from bot.domain.delegation import check_decision
from bot.domain.forms import Form, Values
from bot.domain.messages import Message
from bot.domain.pseudonym import parse_code, random_code
from bot.domain.roles import DecisionLevel, Role
from bot.domain.rules import Rule
from bot.formatting import in_sentence, long_date
from bot.i18n import _
from bot.ports.cases import NewEvent
from bot.ports.chat import StaffInfo
from bot.ports.conversation import Answer, FormResult
from bot.ports.unit_of_work import Stores
from bot.services.events import EventEntry

from .access import audit, may, refuse, who
from .case_view import no_case
from .context import ChatContext
from .deadlines import extend, extendable, extension_problem, match_rule, open_items
from .forms import RESULT, again, extend_form, is_decision, reassign_form, register_form
from .labels import level_word
from .lists import by_urgency, line
from .people import takers
from .reassign import candidates, reassign, taker_problem
from .rendering import clean, mention, say, short_answer


def result(answer: Answer, title: str | None = None) -> FormResult:
    """An answer as the form's result view."""
    messages = answer.messages or (say(_("Done")),)
    return FormResult(
        view=Form(RESULT, title or _("Frister"), close=_("Close"), intro=messages[0]),
        refresh=answer.refresh,
    )


def _not_staff(user_id: str) -> str:
    return _("{who} is not in Frister's staff register.").format(who=mention(user_id))


def _is_staff(other: StaffInfo) -> bool:
    return other.active and other.role != Role.ADMIN.value


# ---- ny -----------------------------------------------------------------------------------


async def submit_register(
    ctx: ChatContext, uow: Stores, me: StaffInfo, values: Values
) -> FormResult:
    now, today = ctx.clock.now(), ctx.today()
    event = values.get("handelse") or ""
    day = cmd.parse_date(values.get("datum") or "")
    assert day is not None  # validate_form checked it
    new_case = bool(values.get("nytt"))
    decision = is_decision(ctx, event)
    form = register_form(ctx, me, await takers(uow, me), decision)
    if decision and not values.get("niva"):
        problem = _("{event} is a decision: choose the level it was decided at.").format(
            event=ctx.pack.event_name(event)
        )
        return FormResult(view=again(form, problem, values))
    if not decision:
        values = {**values, "niva": None}
    escalate = False
    if values.get("niva"):
        level = DecisionLevel(values["niva"] or "")
        for rule in ctx.pack.rules.values():
            if event not in rule.closes_on:
                continue
            check = check_decision(rule, level, extension=False, mode=ctx.delegation)
            if not check.allowed:
                assert check.required is not None
                problem = _(
                    "{rule} must be decided by at least {level} under the delegationsordning."
                ).format(rule=rule.name, level=level_word(check.required))
                return FormResult(view=again(form, problem, values))
            escalate = escalate or check.escalate
    if new_case:
        owner = me
        chosen = values.get("handlaggare")
        if chosen and chosen != me.chat_user_id:
            other = await uow.chat.staff_by_chat_id(chosen)
            if other is None or not _is_staff(other):
                return FormResult(view=again(form, _not_staff(chosen), values))
            if other.id not in {p.id for p in await takers(uow, me)}:
                problem = _("{who} does not work in {unit}.").format(
                    who=mention(chosen), unit=me.enhet or "?"
                )
                return FormResult(view=again(form, problem, values))
            owner = other
        enhet_id = owner.enhet_id or me.enhet_id
        if enhet_id is None:
            problem = _("You are not in an enhet, so Frister cannot know where the case belongs.")
            return FormResult(view=again(form, problem, values))
        if not await may(ctx, uow, me, Action.REGISTER_EVENT, enhet_id, owner.id):
            return result(await refuse(ctx, uow, me, Action.REGISTER_EVENT))
        code = await _new_code(ctx, uow)
        record = await uow.cases.add_case(code, None, enhet_id, owner.id, "chat", now)
        await audit(
            ctx,
            uow,
            me,
            "arende_skapat",
            code,
            {"enhet": enhet_id, "handlaggare": owner.chat_user_id},
        )
        case_id, owner_chat = record.id, owner.chat_user_id
    else:
        code = parse_code(values.get("kod") or "") or ""
        case = await uow.chat.case_info(code)
        if case is None:
            return FormResult(view=again(form, no_case(code).messages[0].text, values))
        if not await may(ctx, uow, me, Action.REGISTER_EVENT, case.enhet_id, case.handlaggare_id):
            return result(await refuse(ctx, uow, me, Action.REGISTER_EVENT))
        case_id, owner_chat, enhet_id = case.id, case.handlaggare_chat, case.enhet_id
    detail = {"via": "chatt"}
    if values.get("niva"):
        detail["beslutsniva"] = values["niva"] or ""
    recorded = await ctx.events.record(
        uow,
        [
            EventEntry(
                NewEvent(case_id, event, day, "chat", me.chat_user_id),
                code,
                enhet_id,
                detail,
                without_delegation=escalate,
            )
        ],
        actor=who(me),
        now=now,
        today=today,
    )
    items = by_urgency(await uow.chat.deadline_items(case_ids=[case_id]), today)
    lines = []
    if new_case:
        lines.append(
            _(
                "New case code: {code}. Note it in the case file; Frister knows the case "
                "only by this code."
            ).format(code=markup.bold(code))
        )
    if recorded.fresh:
        lines.append(
            _("Registered: {event}, {day}, case {code}.").format(
                event=ctx.pack.event_name(event), day=long_date(day), code=code
            )
        )
    else:
        lines.append(
            _("Already registered: {event}, {day}, case {code}. Nothing changed.").format(
                event=ctx.pack.event_name(event), day=long_date(day), code=code
            )
        )
    if items:
        lines.append(_("Open deadlines:"))
        for item in items:
            known = ctx.pack.rules.get(item.rule_id)
            legal = f" · {known.reference(item.trigger_date, item.last_day)}" if known else ""
            lines.append("• " + line(ctx, item, today) + legal)
    else:
        lines.append(_("The case has no open deadlines now."))
    refresh = tuple(dict.fromkeys(x for x in (me.chat_user_id, owner_chat) if x))
    message = Message(text="\n".join(lines), body=tuple(ctx.layout.paragraphs(lines)))
    return FormResult(
        view=Form(RESULT, _("Event registered"), close=_("Close"), intro=message),
        refresh=refresh,
    )


async def _new_code(ctx: ChatContext, uow: Stores) -> str:
    for _attempt in range(20):
        code = random_code(ctx.code_length)
        if not await uow.cases.cases_by_code([code]):
            return code
    raise RuntimeError("could not find a free case code")  # 2^40 codes: never happens


# ---- förläng ------------------------------------------------------------------------------


async def submit_extend(
    ctx: ChatContext, uow: Stores, me: StaffInfo, values: Values, state: dict[str, str]
) -> FormResult:
    code = parse_code(state.get("kod") or values.get("kod") or "") or ""
    case = await uow.chat.case_info(code)
    if case is None:
        return result(no_case(code))
    if not await may(ctx, uow, me, Action.EXTEND, case.enhet_id, case.handlaggare_id):
        return result(await refuse(ctx, uow, me, Action.EXTEND))
    items = [i for i in await open_items(ctx, uow, case) if extendable(ctx, i)]
    wanted = state.get("regel") or values.get("regel") or ""
    chosen = match_rule(ctx, items, wanted)
    if len(chosen) != 1:
        return result(
            short_answer(
                _("Case {code} has no open deadline “{rule}” that can be extended.").format(
                    code=case.code, rule=wanted[:60]
                )
            )
        )
    item = chosen[0]
    rule: Rule = ctx.pack.rules[item.rule_id]
    level = DecisionLevel(values["niva"] or "")
    until = cmd.parse_date(values.get("datum") or "")
    form = extend_form(
        ctx,
        case,
        items if "regel" not in state else [item],
        cmd.Extend(case.code, item.rule_id, until, values.get("skal")),
    )
    check = check_decision(rule, level, extension=True, mode=ctx.delegation)
    if not check.allowed:
        assert check.required is not None
        problem = _(
            "Extending {rule} needs a decision by at least {level} under the delegationsordning."
        ).format(rule=in_sentence(rule.name), level=level_word(check.required))
        return FormResult(view=again(form, problem, values))
    issue = extension_problem(item, until)
    if issue or until is None:
        return FormResult(view=again(form, issue or "", values))
    decided_by = values.get("beslutsfattare") or me.chat_user_id or ""
    answer = await extend(
        ctx, uow, me, item, until, clean(values.get("skal")), decided_by, level, check.escalate
    )
    return result(answer, _("Extended"))


# ---- omfördela ----------------------------------------------------------------------------


async def submit_reassign(
    ctx: ChatContext, uow: Stores, me: StaffInfo, values: Values, state: dict[str, str]
) -> FormResult:
    code = parse_code(state.get("kod") or "") or ""
    case = await uow.chat.case_info(code)
    if case is None:
        return result(no_case(code))
    if not await may(ctx, uow, me, Action.REASSIGN, case.enhet_id, None):
        return result(await refuse(ctx, uow, me, Action.REASSIGN))
    chosen = values.get("handlaggare") or ""
    form = reassign_form(case, await candidates(uow, case))
    other = await uow.chat.staff_by_chat_id(chosen)
    if other is None or not _is_staff(other):
        return FormResult(view=again(form, _not_staff(chosen), values))
    problem = taker_problem(me, case, other)
    if problem:
        return FormResult(view=again(form, problem, values))
    return result(await reassign(ctx, uow, me, case, other), _("Reassigned"))
