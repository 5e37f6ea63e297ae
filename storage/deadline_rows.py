"""Deadlines with their case, as one query shape and one mapping to the domain's `Deadline`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from bot.domain.deadline import Deadline
from bot.domain.deadlines import Status
from storage.models import Arende, Frist


def deadlines_with_case() -> Select[Any]:
    """The columns every deadline view needs: the deadline, its case code, enhet and owner."""
    return select(
        Frist.id,
        Frist.arende_id,
        Arende.code,
        Frist.rule_id,
        Frist.trigger_date,
        Frist.last_day,
        Frist.extended_to,
        Frist.status,
        Frist.closed_on,
        Arende.enhet_id,
        Arende.handlaggare_id,
    ).join(Arende, Arende.id == Frist.arende_id)


def deadline_of(row: Any) -> Deadline:
    """A row of `deadlines_with_case()` as a Deadline."""
    return Deadline(
        frist_id=row.id,
        case_id=row.arende_id,
        code=row.code,
        rule_id=row.rule_id,
        trigger_date=row.trigger_date,
        last_day=row.last_day,
        extended_to=row.extended_to,
        status=Status(row.status),
        closed_on=row.closed_on,
        enhet_id=row.enhet_id,
        handlaggare_id=row.handlaggare_id,
    )
