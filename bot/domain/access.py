"""Who may do what in chat: roles × actions × own/other case and enhet (pure, no I/O).

- handläggare: their own cases (and those of an absent colleague they stand in for);
- 1:e socialsekreterare and chef: every case of their enhet; the chef also reassigns and sees
  statistics; 1:e socialsekreterare sees the team overview; both see the workload (belastning);
- socialchef: everything, in every enhet;
- admin: configuration only (channels, escalation channels, roles), never cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.roles import Role


class Action(StrEnum):
    MY_DEADLINES = "my_deadlines"
    OVERDUE = "overdue"
    TEAM = "team"
    VIEW_CASE = "view_case"
    REGISTER_EVENT = "register_event"
    MARK_DONE = "mark_done"
    SNOOZE = "snooze"
    ACKNOWLEDGE = "acknowledge"
    EXTEND = "extend"
    REASSIGN = "reassign"
    ABSENCE = "absence"
    STATISTICS = "statistics"
    WORKLOAD = "workload"
    HELP = "help"
    ADMIN = "admin"


# Actions on one case: allowed for its handläggare (or their substitute), its enhet's
# 1:e socialsekreterare and chef, and every socialchef.
CASE_ACTIONS = frozenset(
    {
        Action.VIEW_CASE,
        Action.REGISTER_EVENT,
        Action.MARK_DONE,
        Action.SNOOZE,
        Action.ACKNOWLEDGE,
        Action.EXTEND,
    }
)
# About the caller themself: every role that works with cases.
PERSONAL_ACTIONS = frozenset({Action.MY_DEADLINES, Action.OVERDUE, Action.ABSENCE})
# About an enhet as a whole: (roles allowed for their own enhet).
UNIT_ACTIONS = {
    Action.TEAM: frozenset({Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF}),
    Action.STATISTICS: frozenset({Role.CHEF}),
    Action.WORKLOAD: frozenset({Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF}),
    Action.REASSIGN: frozenset({Role.CHEF}),
}
CASE_ROLES = frozenset(
    {Role.HANDLAGGARE, Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF}
)


@dataclass(frozen=True)
class Actor:
    """The person asking, as the staff register knows them."""

    id: int
    role: Role
    enhet_id: int | None
    active: bool = True


@dataclass(frozen=True)
class Target:
    """What an action is about: a case (its enhet and handläggare) or an enhet."""

    enhet_id: int | None
    owner_id: int | None = None
    stands_in: bool = False  # the actor is the substitute of the absent handläggare


def allowed(actor: Actor, action: Action, target: Target | None = None) -> bool:
    """True when `actor` may perform `action` on `target` (None: no particular case/enhet)."""
    if not actor.active:
        return False
    if action is Action.HELP:
        return True
    if action is Action.ADMIN:
        return actor.role is Role.ADMIN
    if actor.role not in CASE_ROLES:
        return False  # admin: configuration only
    if action in PERSONAL_ACTIONS:
        return True
    if action in UNIT_ACTIONS:
        if actor.role is Role.SOCIALCHEF:
            return True
        if actor.role not in UNIT_ACTIONS[action]:
            return False
        unit = target.enhet_id if target is not None else actor.enhet_id
        return unit is not None and unit == actor.enhet_id
    if action in CASE_ACTIONS:
        if target is None:
            return False
        if actor.role is Role.SOCIALCHEF:
            return True
        if (target.owner_id is not None and target.owner_id == actor.id) or target.stands_in:
            return True
        if actor.role is Role.HANDLAGGARE:
            return False
        return target.enhet_id is not None and target.enhet_id == actor.enhet_id
    return False
