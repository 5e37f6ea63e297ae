"""SQL behind the egenkontroll reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deadlines import CaseEvent
from bot.ports.reports import ReportRow
from storage.models import Arende, Enhet, Frist, Handelse, Person, ReportSnapshot


class SqlReportStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def report_rows(self, enhet: str | None = None) -> list[ReportRow]:
        query = (
            select(
                Enhet.name,
                Arende.code,
                Frist.rule_id,
                Frist.trigger_date,
                Frist.last_day,
                Frist.extended_to,
                Frist.status,
                Frist.closed_on,
                Person.name,
                Person.email,
                Person.chat_user_id,
            )
            .join(Arende, Arende.id == Frist.arende_id)
            .join(Enhet, Enhet.id == Arende.enhet_id)
            .outerjoin(Person, Person.id == Arende.handlaggare_id)
        )
        if enhet is not None:
            query = query.where(Enhet.name == enhet)
        rows = (await self.session.execute(query)).all()
        return [ReportRow(*row[:8], row[8] or row[9] or row[10]) for row in rows]

    async def investigation_events(self, enhet: str | None = None) -> dict[str, list[CaseEvent]]:
        """Utredning events per case code (for the JO restart pattern)."""
        query = (
            select(Arende.code, Handelse.id, Handelse.type, Handelse.date)
            .join(Arende, Arende.id == Handelse.arende_id)
            .join(Enhet, Enhet.id == Arende.enhet_id)
            .where(
                Handelse.type.in_(["utredning_inledd", "utredning_avslutad", "utredning_nedlagd"])
            )
        )
        if enhet is not None:
            query = query.where(Enhet.name == enhet)
        result: dict[str, list[CaseEvent]] = {}
        for code, event_id, kind, day in (await self.session.execute(query)).all():
            result.setdefault(code, []).append(CaseEvent(event_id, kind, day))
        return result

    async def unit_names(self) -> list[str]:
        return list((await self.session.execute(select(Enhet.name).order_by(Enhet.name))).scalars())

    async def snapshot(self, enhet: str, month: date) -> str | None:
        query = (
            select(ReportSnapshot.figures)
            .join(Enhet, Enhet.id == ReportSnapshot.enhet_id)
            .where(Enhet.name == enhet, ReportSnapshot.month == month)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def save_snapshot(self, enhet: str, month: date, figures: str, now: datetime) -> None:
        enhet_id = (
            await self.session.execute(select(Enhet.id).where(Enhet.name == enhet))
        ).scalar_one_or_none()
        if enhet_id is None or await self.snapshot(enhet, month) is not None:
            return
        self.session.add(
            ReportSnapshot(enhet_id=enhet_id, month=month, figures=figures, created_at=now)
        )
        await self.session.flush()

    async def intake_by_unit(self, since: date) -> dict[int, dict[date, int]]:
        """anmalan_inkom events per enhet and event date from `since` on."""
        rows = await self.session.execute(
            select(Arende.enhet_id, Handelse.date, func.count())
            .join(Arende, Arende.id == Handelse.arende_id)
            .where(Handelse.type == "anmalan_inkom", Handelse.date >= since)
            .group_by(Arende.enhet_id, Handelse.date)
        )
        result: dict[int, dict[date, int]] = {}
        for enhet_id, day, count in rows.all():
            result.setdefault(enhet_id, {})[day] = count
        return result

    async def last_intake(self) -> dict[int, date]:
        """The latest anmalan_inkom date per enhet (any time)."""
        rows = await self.session.execute(
            select(Arende.enhet_id, func.max(Handelse.date))
            .join(Arende, Arende.id == Handelse.arende_id)
            .where(Handelse.type == "anmalan_inkom")
            .group_by(Arende.enhet_id)
        )
        return {enhet_id: day for enhet_id, day in rows.all() if day is not None}
