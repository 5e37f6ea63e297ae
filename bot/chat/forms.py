"""The forms of chat (`ny`, `förläng`, `omfördela`): how they look, and the checks of what was
filled in that need no database (shown in the form at once)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import commands as cmd
from bot.domain.forms import Choice, Form, FormField, Values
from bot.domain.pseudonym import parse_code
from bot.domain.roles import DecisionLevel, Role
from bot.domain.screening import find_identifiers
from bot.formatting import long_date, short_date
from bot.i18n import _
from bot.ports.chat import CaseInfo, DeadlineItem, StaffInfo

from .access import actor
from .context import ChatContext
from .labels import PROBLEMS, identifier_refusal, level_label, level_word
from .rendering import clean, mention, say

REGISTER, EXTEND, REASSIGN, RESULT = "ny", "forlang", "omfordela", "resultat"
USER_FIELDS = ("handlaggare", "beslutsfattare")


def _levels() -> tuple[Choice, ...]:
    return tuple(Choice(level.value, level_label(level)) for level in DecisionLevel)


# The events registered most often come first; the rest follow, SoL before LVU.
COMMON_EVENTS = (
    "anmalan_inkom",
    "skyddsbedomning_klar",
    "forhandsbedomning_klar",
    "utredning_inledd",
    "utredning_avslutad",
    "utredning_nedlagd",
    "placering_verkstalld",
    "overvagande_genomfort",
)


def event_choices(ctx: ChatContext) -> tuple[Choice, ...]:
    events = ctx.pack.events
    common = [key for key in COMMON_EVENTS if key in events]
    rest = sorted(
        (key for key in events if key not in common),
        key=lambda k: ("lvu" in k.split("_")[0].lower(), events[k]),
    )
    return tuple(Choice(key, events[key][:75]) for key in [*common, *rest][:100])


def is_decision(ctx: ChatContext, event: str) -> bool:
    """Whether registering `event` records a decision (a rule it closes has a decision level):
    only then is the level asked for."""
    return any(
        event in rule.closes_on and rule.decision_level is not None
        for rule in ctx.pack.rules.values()
    )


def register_form(
    ctx: ChatContext, me: StaffInfo, people: list[StaffInfo], decision: bool = False
) -> Form:
    """`ny`; `people`: who may be handläggare of a new case (active staff of the enhet);
    `decision`: the chosen event is a decision, so its level is asked for."""
    fields = [
        FormField("handelse", _("Event"), "select", event_choices(ctx)),
        FormField("datum", _("Date"), "date", initial=ctx.today().isoformat()),
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
    if decision:
        fields.append(FormField("niva", _("Decided at level"), "select", _levels()))
    if actor(me).role in (Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF):
        fields.append(
            FormField(
                "handlaggare",
                _("Handläggare of a new case"),
                "select",
                staff_choices(people),
                optional=True,
                hint=_("Empty: you."),
            )
        )
    return Form(
        REGISTER,
        _("Register event"),
        tuple(fields),
        submit=_("Register"),
        close=_("Cancel"),
        intro=say(_("Never write personnummer or names here: only the case code.")),
    )


def extend_form(
    ctx: ChatContext, case: CaseInfo | None, items: list[DeadlineItem], prefill: cmd.Extend
) -> Form:
    fields: list[FormField] = []
    state = {}
    if case is None:
        fields.append(FormField("kod", _("Case code"), "text", max_length=24))
    else:
        state["kod"] = case.code
    if case is None or len(items) != 1:
        choices = tuple(
            Choice(
                i.rule_id, f"{ctx.rule_name(i.rule_id)} ({short_date(i.effective_last_day)})"[:75]
            )
            for i in items
        )
        fields.append(
            FormField("regel", _("Deadline"), "select" if items else "text", choices, prefill.rule)
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
        FormField("niva", _("Decided at level"), "select", _levels()),
        FormField("beslutsfattare", _("Decided by"), "user", optional=True, hint=_("Empty: you.")),
    ]
    intro_lines = []
    if case is not None and len(items) == 1:
        item = items[0]
        rule = ctx.pack.rules.get(item.rule_id)
        intro_lines.append(
            _("{rule} for case {code}, last day now {day}.").format(
                rule=ctx.rule_name(item.rule_id),
                code=item.code,
                day=long_date(item.effective_last_day),
            )
        )
        if rule and rule.extension:
            intro_lines.append(
                _(
                    "An extension needs {reason} and a decision by at least {level} under the "
                    "delegationsordning."
                ).format(reason=rule.extension.reason, level=level_word(rule.extension.level))
            )
    return Form(
        EXTEND,
        _("Extend deadline"),
        tuple(fields),
        submit=_("Save"),
        close=_("Cancel"),
        intro=say(" ".join(intro_lines)) if intro_lines else None,
        state=state,
    )


def person_label(person: StaffInfo) -> str:
    """A member of staff in a list (plain text, no mention): the e-mail's name part as a name
    (`bo.berg@…` -> `Bo Berg`), else the chat id."""
    local = (person.email or "").split("@")[0]
    name = " ".join(p.capitalize() for p in local.replace("_", ".").split(".") if p)
    return (name or person.chat_user_id or str(person.id))[:75]


def staff_choices(people: list[StaffInfo]) -> tuple[Choice, ...]:
    return tuple(Choice(p.chat_user_id, person_label(p)) for p in people[:100] if p.chat_user_id)


def reassign_form(case: CaseInfo, people: list[StaffInfo]) -> Form:
    return Form(
        REASSIGN,
        _("Reassign case"),
        (FormField("handlaggare", _("New handläggare"), "select", staff_choices(people)),),
        submit=_("Reassign"),
        close=_("Cancel"),
        intro=say(
            _("Case {code} ({unit}), handläggare now {who}.").format(
                code=case.code, unit=case.enhet, who=mention(case.handlaggare_chat)
            )
        ),
        state={"kod": case.code},
    )


def saving_form() -> Form:
    """Shown while a submitted form is being saved."""
    return Form(RESULT, _("Saving…"), intro=say(_("Saving…")))


def problem_form(errors: dict[str, str]) -> Form:
    """A result view for field errors found after the form was accepted."""
    text = " ".join(dict.fromkeys(errors.values())) or _("Something went wrong.")
    return Form(RESULT, _("Not saved"), close=_("Close"), intro=say(text))


def again(form: Form, problem: str, values: Values) -> Form:
    """The form once more, as filled in, with what is wrong on top."""
    fields = tuple(replace(f, initial=values.get(f.id) or f.initial) for f in form.fields)
    return replace(form, fields=fields, intro=say(problem))


def validate_form(ctx: ChatContext, kind: str, values: Values) -> dict[str, str]:
    """Field errors that need no database."""
    errors: dict[str, str] = {}
    for key, value in values.items():
        if value and find_identifiers(value):
            errors[key] = identifier_refusal()
    if errors:
        return errors
    for key in USER_FIELDS:
        if values.get(key) and cmd.parse_user(values[key] or "") != values[key]:
            errors[key] = _("Choose a person from the list.")
    if kind == REGISTER:
        errors |= _register_errors(ctx, values)
    elif kind == EXTEND:
        errors |= _extend_errors(ctx, values)
    elif kind == REASSIGN:
        if not values.get("handlaggare"):
            errors["handlaggare"] = _("Choose the new handläggare.")
    else:
        errors[""] = _("This form no longer works. Try /frister.")
    return errors


def _register_errors(ctx: ChatContext, values: Values) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("handelse") not in ctx.pack.events:
        errors["handelse"] = _("Choose an event.")
    day = cmd.parse_date(values.get("datum") or "")
    if day is None:
        errors["datum"] = _("Choose a date.")
    elif day > ctx.today():
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
    return errors


def _extend_errors(ctx: ChatContext, values: Values) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "kod" in values and parse_code(values.get("kod") or "") is None:
        errors["kod"] = _(PROBLEMS[cmd.Problem.BAD_CODE])
    if "regel" in values and not (values.get("regel") or "").strip():
        errors["regel"] = _("Choose the deadline.")
    day = cmd.parse_date(values.get("datum") or "")
    if day is None:
        errors["datum"] = _("Choose the new last day.")
    elif day < ctx.today():
        errors["datum"] = _("The new last day has already passed.")
    if not clean(values.get("skal")):
        errors["skal"] = _("Write the reason.")
    if values.get("niva") not in DecisionLevel._value2member_map_:
        errors["niva"] = _("Choose the level of the decision.")
    return errors
