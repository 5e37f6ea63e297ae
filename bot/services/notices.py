"""The Swedish text of every reminder, escalation and failure report (platform-neutral)."""

from __future__ import annotations

from datetime import date

from bot.domain.deadline import Deadline
from bot.domain.messages import Action, Message
from bot.domain.rules import RulePack
from bot.formatting import long_date, relative_day
from bot.i18n import _, ngettext

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
        values = {"rule": name, "code": context.code, "day": long_date(day), "when": when}
        if kind == "missing":
            title = _("No responsible handläggare: {rule}").format(**values)
            lead = _(
                "Case {code} has no active handläggare. {rule} must be done by {day} ({when}). "
                "Assign a handläggare."
            ).format(**values)
        elif kind == "escalation" and overdue:
            title = _("Overdue: {rule}").format(**values)
            lead = _(
                "{rule} for case {code} should have been done by {day} ({when}) and is not "
                "marked as done."
            ).format(**values)
        elif kind == "escalation":
            title = _("Deadline approaching: {rule}").format(**values)
            lead = _(
                "{rule} for case {code} must be done by {day} ({when}) and is not yet marked as "
                "done."
            ).format(**values)
        elif overdue:
            title = _("Overdue: {rule}").format(**values)
            lead = _("{rule} for case {code} should have been done by {day} ({when}).").format(
                **values
            )
        else:
            title = _("Reminder: {rule}").format(**values)
            lead = _("{rule} for case {code} must be done by {day} ({when}).").format(**values)
        body = [lead]
        if context.extended_to:
            body.append(_("Extended from {day}.").format(day=long_date(context.last_day)))
        if reason == "ersattare":
            body.append(_("You receive this as substitute while the handläggare is away."))
        elif reason == "franvaro":
            body.append(_("The handläggare is away and has no substitute."))
        elif reason == "omfordelad":
            body.append(_("The case has been reassigned to you."))
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
            fields=(
                (_("Case"), context.code),
                (_("Last day"), long_date(day)),
            ),
            body=tuple(body),
            actions=actions,
            context=reference or None,
            metadata={"frist": str(frist_id)} if frist_id else {},
        )

    @staticmethod
    def _todo(kind: str, overdue: bool) -> str:
        if kind == "missing":
            return _("Use Reassign to choose a handläggare.")
        if overdue:
            return _("Mark it as done when it is done, or register a decided extension.")
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

    def failure_report(self, context: Deadline | None, recipient: str, error: str) -> Message:
        """To the escalation/admin channel: a message could not be delivered."""
        rule = self.pack.rules.get(context.rule_id) if context else None
        what = (
            _("{rule} for case {code}").format(
                rule=rule.name if rule else context.rule_id, code=context.code
            )
            if context
            else _("a message")
        )
        title = _("A reminder could not be delivered")
        body = (
            _(
                "Frister could not deliver the reminder about {what} to {recipient}: {error}."
            ).format(what=what, recipient=recipient, error=error),
            _(
                "Check that the person is still in the chat and registered in Frister, then see "
                "`frister status`."
            ),
        )
        return Message(text=" ".join((title + ".", *body)), title=title, body=body)
