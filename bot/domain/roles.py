"""Roles of staff and levels of decision-makers, in the order of the escalation ladder."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    HANDLAGGARE = "handlaggare"
    FORSTE_SOCIALSEKRETERARE = "forste_socialsekreterare"
    CHEF = "chef"
    SOCIALCHEF = "socialchef"
    ADMIN = "admin"


ESCALATION_ROLES = (Role.HANDLAGGARE, Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF)


class DecisionLevel(StrEnum):
    """Who may take a decision, lowest first (delegationsordning)."""

    HANDLAGGARE = "handlaggare"
    FORSTE_SOCIALSEKRETERARE = "forste_socialsekreterare"
    CHEF = "chef"
    UTSKOTT = "utskott"
    NAMND = "namnd"

    @property
    def rank(self) -> int:
        return list(DecisionLevel).index(self)

    def allows(self, required: DecisionLevel) -> bool:
        """True when a decision at this level satisfies `required`."""
        return self.rank >= required.rank
