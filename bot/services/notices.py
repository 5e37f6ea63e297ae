"""The Swedish text of every reminder, escalation and failure report (platform-neutral)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.deadline import Deadline
from bot.domain.messages import Action, Message
from bot.domain.rules import RulePack
from bot.formatting import in_sentence, long_date, relative_day
from bot.i18n import N_, _, ngettext
from bot.ports.messenger import PERSON_PROBLEMS, Problem

FAILURE_STEP = "fel:"


def _kind(step: str) -> str:
    if step.startswith(FAILURE_STEP):
        return "failure"
    if step.startswith("saknar_handlaggare"):
        return "missing"
    return "escalation" if step.startswith("esk:") else "reminder"


class Notices:
    def __init__(self, pack: RulePack) -> None:
        self.pack = pack

    def deadline_notice(
        self,
        step: str,
        context: Deadline,
        today: date,
        *,
        late: bool = False,
        reason: str | None = None,
        repeat_warning: bool = False,
        frist_id: int | None = None,
    ) -> Message:
        rule = self.pack.rules.get(context.rule_id)
        name = rule.name if rule else context.rule_id
        reference = rule.reference(context.trigger_date, context.last_day) if rule else ""
        day = context.effective_last_day
        when = relative_day(day, today)
        overdue = day < today
        kind = _kind(step)
        values = {"rule": in_sentence(name), "code": context.code, "day": long_date(day)}
        values["when"] = when
        if kind == "missing":
            title = _("No responsible handläggare: {rule}").format(rule=name)
            lead = _(
                "Case {code} has no active handläggare. The deadline for {rule} runs out {day} "
                "({when})."
            ).format(**values)
        elif kind == "escalation" and overdue:
            title = _("Overdue: {rule}").format(rule=name)
            lead = _(
                "The deadline for {rule} in case {code} ran out {day} ({when}) and is not marked "
                "as done."
            ).format(**values)
        elif kind == "escalation":
            title = _("Deadline approaching: {rule}").format(rule=name)
            lead = _(
                "The deadline for {rule} in case {code} runs out {day} ({when}) and is not yet "
                "marked as done."
            ).format(**values)
        elif overdue:
            title = _("Overdue: {rule}").format(rule=name)
            lead = _("The deadline for {rule} in case {code} ran out {day} ({when}).").format(
                **values
            )
        else:
            title = _("Reminder: {rule}").format(rule=name)
            lead = _("The deadline for {rule} in case {code} runs out {day} ({when}).").format(
                **values
            )
        body = [lead]
        if context.extended_to:
            body.append(_("Extended from {day}.").format(day=long_date(context.last_day)))
        if reason == "ersattare":
            body.append(_("You receive this as substitute while the handläggare is away."))
        elif reason == "franvaro":
            body.append(_("The handläggare is away and has no substitute."))
        elif reason == "omfordelad":
            body.append(_("The case has been reassigned to you."))
        elif reason == "ej_nabar":
            body.append(_("The handläggare cannot be reached in the chat, so this comes to you."))
        elif reason in ("ingen_chef", "ingen_socialchef"):
            body.append(_("Sent here because nobody with the right role is registered."))
        body.append(self._todo(kind, overdue))
        if late:
            body.append(_("Late reminder: Frister could not send this on time."))
        if repeat_warning:
            body.append(_("If you already received this message, you can ignore this copy."))
        actions = self._actions(kind, frist_id, context.code)
        text = " ".join([title + ".", *body, reference]).strip()
        return Message(
            text=text,
            title=title,
            fields=((_("Case"), context.code),),  # the last day is in the lead, once
            body=tuple(body),
            actions=actions,
            context=reference or None,
            metadata={"frist": str(frist_id)} if frist_id else {},
        )

    @staticmethod
    def _todo(kind: str, overdue: bool) -> str:
        if kind == "missing":
            return _("Use Reassign to choose a handläggare.")
        if kind == "escalation":
            return _("Contact the handläggare, reassign the case or register a decided extension.")
        if overdue:
            return _("Press Done when it is done, or register a decided extension.")
        return _("Press Done when it is done, or request an extension if there are grounds.")

    @staticmethod
    def _actions(kind: str, frist_id: int | None, code: str) -> tuple[Action, ...]:
        if frist_id is None:
            return ()
        value = str(frist_id)
        actions = [Action("frist_klar", _("Done"), value, "primary")]
        if kind == "reminder":
            actions.append(Action("frist_snooze", _("Remind me tomorrow"), value))
        else:
            actions.append(Action("frist_ack", _("I'm on it"), value))
        actions.append(Action("frist_extend", _("Request extension"), value))
        actions.append(Action("case_show", _("Show case"), code))
        if kind in ("escalation", "missing"):
            actions.append(Action("case_reassign", _("Reassign"), code))
        return tuple(actions)

    def digest(
        self,
        items: list[tuple[str, Deadline, int]],
        today: date,
        *,
        repeat_warning: bool = False,
    ) -> Message:
        """The morning digest: one message with every item due for one person today."""
        items = sorted(items, key=lambda item: item[1].effective_last_day)
        lines = []
        for step, context, _frist_id in items:
            rule = self.pack.rules.get(context.rule_id)
            day = context.effective_last_day
            lines.append(
                _("{code}: {rule}, last day {day} ({when})").format(
                    code=context.code,
                    rule=rule.name if rule else context.rule_id,
                    day=long_date(day),
                    when=relative_day(day, today),
                )
                + (" — " + _("escalated to you") if _kind(step) != "reminder" else "")
            )
        title = ngettext(
            "Today's deadline: {n} item", "Today's deadlines: {n} items", len(items)
        ).format(n=len(items))
        body = [*lines, _("Open a case with /frister ärende CODE, or mark items done there.")]
        if repeat_warning:
            body.append(_("If you already received this message, you can ignore this copy."))
        return Message(text=" ".join([title + ".", *body]), title=title, body=tuple(body))

    def failure_report(
        self,
        context: Deadline | None,
        *,
        recipient: str,
        problem: Problem,
        error: str,
        chefs: Sequence[str] = (),
    ) -> Message:
        """To the escalation/admin channel, once per problem: a message could not be delivered,
        why (in Swedish), and where the reminders go now."""
        rule = self.pack.rules.get(context.rule_id) if context else None
        what = (
            _("the deadline for {rule} in case {code}").format(
                rule=in_sentence(rule.name) if rule else context.rule_id, code=context.code
            )
            if context
            else _("a message")
        )
        cause = _(PROBLEM_WORDS[problem]) if problem in PROBLEM_WORDS else error
        title = _("A reminder could not be delivered")
        body = [
            _(
                "Frister could not deliver the reminder about {what} to {recipient}: {cause}."
            ).format(what=what, recipient=recipient, cause=cause)
        ]
        if problem in PERSON_PROBLEMS:
            if chefs:
                body.append(
                    _("Reminders meant for {recipient} now go to {chefs}.").format(
                        recipient=recipient, chefs=", ".join(chefs)
                    )
                )
            body.append(
                _(
                    "Check the person's account in the chat and the staff register; their "
                    "reminders go to them again once the register is imported anew."
                )
            )
        else:
            body.append(_("Check the chat's settings for Frister, then see `frister status`."))
        return Message(text=" ".join((title + ".", *body)), title=title, body=tuple(body))


# Each delivery problem in words (the platform's own code stays in the log and `frister status`).
PROBLEM_WORDS = {
    Problem.ACCOUNT_INACTIVE: N_("the account is deactivated"),
    Problem.PERSON_NOT_FOUND: N_("the person is not found in the chat"),
    Problem.NO_ADDRESS: N_("Frister has no way to reach the person in the chat"),
    Problem.BLOCKED: N_("the person has blocked or removed Frister"),
    Problem.CHANNEL_NOT_FOUND: N_("the channel does not exist"),
    Problem.NOT_IN_CHANNEL: N_("Frister is not a member of the channel"),
    Problem.CHANNEL_ARCHIVED: N_("the channel is archived"),
    Problem.NOT_ALLOWED: N_("Frister lacks the permission (token or scope)"),
    Problem.REJECTED: N_("the chat platform refused the message"),
}
