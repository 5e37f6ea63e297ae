"""Who receives a rung of the ladder: the role's people, with frånvaro and fallbacks.

handläggare -> (absent) ersättare or chef -> (inactive/missing) chef as "saknar ansvarig";
(unreachable in the chat: a delivery failed for their account) chef as "ej nåbar";
1:e socialsekreterare -> chef when the enhet has none; chef -> socialchef -> the escalation
channel -> the admin channel. A recipient is never silently dropped: with nobody left the
result is `UNRESOLVED`, which delivery reports as a failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.domain.roles import Role
from bot.domain.staff import StaffMember

UNRESOLVED = "unresolved"
UNREACHABLE_STATE = "unreachable:"  # runtime state key prefix: a chat id that cannot be reached
REPORTED_STATE = "reported:"  # runtime state key prefix: a delivery problem already reported
UNREACHABLE = "ej_nabar"  # the reason on a rung rerouted from an unreachable person


@dataclass(frozen=True)
class Recipient:
    address: str  # person:<id>, channel:<id> or UNRESOLVED
    reason: str | None = None  # why not the role's own person: ersattare, franvaro, ...


def person(member: StaffMember) -> str:
    return f"person:{member.id}"


def _by_id(member: StaffMember) -> int:
    return member.id or 0


class Directory:
    """The staff of the units being planned, indexed for resolution."""

    def __init__(
        self,
        staff: Iterable[StaffMember],
        escalation_channels: dict[int, str | None],
        admin_channel: str | None,
        unreachable: Iterable[str] = (),
    ) -> None:
        self.by_id = {member.id: member for member in staff if member.id is not None}
        self.unreachable = frozenset(unreachable)  # chat ids a delivery failed for
        self.escalation_channels = escalation_channels
        self.admin_channel = admin_channel
        # (enhet, role) -> members, in the order of `by_id`: resolving a rung is then a look-up,
        # not a scan of all the staff (it runs for every due rung of every deadline planned).
        self._by_unit_role: dict[tuple[int | None, Role], list[StaffMember]] = {}
        for member in self.by_id.values():
            self._by_unit_role.setdefault((member.enhet_id, member.role), []).append(member)

    def member(self, address: str) -> StaffMember | None:
        """The person of a `person:<id>` address."""
        kind, _sep, value = address.partition(":")
        return self.by_id.get(int(value)) if kind == "person" and value.isdigit() else None

    def reachable(self, member: StaffMember) -> bool:
        return member.chat_user_id is None or member.chat_user_id not in self.unreachable

    def _available(self, member: StaffMember, day: date) -> bool:
        return member.available_on(day) and self.reachable(member)

    def _in_unit(self, enhet_id: int, role: Role, day: date) -> list[StaffMember]:
        return [m for m in self._by_unit_role.get((enhet_id, role), ()) if self._available(m, day)]

    def _channel(self, enhet_id: int, reason: str) -> list[Recipient]:
        channel = self.escalation_channels.get(enhet_id) or self.admin_channel
        return [Recipient(f"channel:{channel}" if channel else UNRESOLVED, reason)]

    def socialchef(self, enhet_id: int, day: date, reason: str | None = None) -> list[Recipient]:
        chiefs = [
            m for m in self.by_id.values() if m.role is Role.SOCIALCHEF and self._available(m, day)
        ]
        if chiefs:
            return [Recipient(person(m), reason) for m in sorted(chiefs, key=_by_id)]
        return self._channel(enhet_id, reason or "ingen_socialchef")

    def chef(self, enhet_id: int, day: date, reason: str | None = None) -> list[Recipient]:
        chefs = self._in_unit(enhet_id, Role.CHEF, day)
        if chefs:
            return [Recipient(person(m), reason) for m in sorted(chefs, key=_by_id)]
        return self.socialchef(enhet_id, day, reason or "ingen_chef")

    def forste(self, enhet_id: int, day: date) -> list[Recipient]:
        firsts = self._in_unit(enhet_id, Role.FORSTE_SOCIALSEKRETERARE, day)
        if firsts:
            return [Recipient(person(m)) for m in sorted(firsts, key=_by_id)]
        return self.chef(enhet_id, day)

    def handlaggare(self, enhet_id: int, handlaggare_id: int | None, day: date) -> list[Recipient]:
        member = self.by_id.get(handlaggare_id) if handlaggare_id is not None else None
        if member is None or not member.active:
            return self.chef(enhet_id, day, "saknar_handlaggare")
        if not self.reachable(member):
            return self.chef(enhet_id, day, UNREACHABLE)
        if not member.absent_on(day):
            return [Recipient(person(member))]
        substitute = self.by_id.get(member.substitute_id) if member.substitute_id else None
        if substitute is not None and self._available(substitute, day):
            return [Recipient(person(substitute), "ersattare")]
        return self.chef(enhet_id, day, "franvaro")

    def resolve(
        self, role: Role, enhet_id: int, handlaggare_id: int | None, day: date
    ) -> list[Recipient]:
        if role is Role.HANDLAGGARE:
            return self.handlaggare(enhet_id, handlaggare_id, day)
        if role is Role.FORSTE_SOCIALSEKRETERARE:
            return self.forste(enhet_id, day)
        if role is Role.CHEF:
            return self.chef(enhet_id, day)
        return self.socialchef(enhet_id, day)

    def missing_handlaggare(self, handlaggare_id: int | None) -> bool:
        member = self.by_id.get(handlaggare_id) if handlaggare_id is not None else None
        return member is None or not member.active
