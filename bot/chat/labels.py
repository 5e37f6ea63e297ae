"""The words chat shows for levels, roles, statuses, refusals and usage (English msgids)."""

from __future__ import annotations

from bot.domain import commands as cmd
from bot.domain.access import Action
from bot.domain.roles import DecisionLevel, Role
from bot.formatting import in_sentence
from bot.i18n import N_, _

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
    Action.WORKLOAD: N_(
        "The workload is for 1:e socialsekreterare and chefer of the enhet, and the socialchef."
    ),
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
    "omfordela": N_(
        "Write `/frister omfördela CODE @person`, for example `/frister omfördela K7QM-3XTP @Bo`, "
        "or only `/frister omfördela CODE` for a form."
    ),
    "team": N_("Write `/frister team [DAYS] [ENHET]`, for example `/frister team 90`."),
}
PROBLEMS = {
    cmd.Problem.BAD_CODE: N_("That is not a case code (it looks like K7QM-3XTP)."),
    cmd.Problem.BAD_DATE: N_("The date must be written YYYY-MM-DD and exist."),
    cmd.Problem.BAD_DAYS: N_("The number of days is outside 1–366."),
    cmd.Problem.BAD_ORDER: N_("The last day comes before the first."),
    cmd.Problem.BAD_ROLE: N_("Unknown role: use handläggare, 1:e, chef, socialchef or admin."),
    cmd.Problem.BAD_USER: N_("Mention the person with @, for example @Bo."),
    cmd.Problem.EXTRA: N_("I did not understand “{word}” after `/frister {command}`."),
}


def level_label(level: DecisionLevel) -> str:
    return _(LEVEL_LABELS[level])


def level_word(level: DecisionLevel) -> str:
    """The level inside a sentence: `beslut av lägst chef`."""
    return in_sentence(level_label(level))


def identifier_refusal() -> str:
    return _(
        "That looks like a personnummer or samordningsnummer. Never write identity numbers "
        "in Frister: nothing of what you wrote has been saved."
    )
