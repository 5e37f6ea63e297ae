"""SQLModel tables. No personal data about clients: a case is known only by its code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _ts(nullable: bool = True, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Enhet(SQLModel, table=True):
    __tablename__ = "enhet"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    escalation_channel: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class EnhetChannel(SQLModel, table=True):
    """A channel linked to an enhet (where `/frister team visa` may answer in the open)."""

    __tablename__ = "enhet_channel"

    id: int | None = Field(default=None, primary_key=True)
    enhet_id: int = Field(foreign_key="enhet.id", index=True)
    channel_id: str = Field(max_length=200, unique=True)


class Person(SQLModel, table=True):
    """A member of staff (never a client)."""

    __tablename__ = "person"
    __table_args__ = (
        # Partial: most people have no substitute, and statistics of the few who do keep the
        # index worth using (`standing_in_for`).
        Index(
            "ix_person_substitute_id",
            "substitute_id",
            sqlite_where=text("substitute_id IS NOT NULL"),
            postgresql_where=text("substitute_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_user_id: str | None = Field(default=None, max_length=40, unique=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    name: str | None = Field(default=None, max_length=200)  # as reports and the CLI show them
    role: str = Field(default="handlaggare", max_length=30)
    enhet_id: int | None = Field(default=None, foreign_key="enhet.id", index=True)
    active: bool = True
    absent_from: date | None = None
    absent_to: date | None = None
    substitute_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class Arende(SQLModel, table=True):
    """A case, known by its pseudonym. `fingerprint` is a keyed digest, never the reference."""

    __tablename__ = "arende"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=24, unique=True)
    fingerprint: str | None = Field(default=None, max_length=64, unique=True)
    enhet_id: int = Field(foreign_key="enhet.id", index=True)
    handlaggare_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    origin: str = Field(default="import", max_length=10)
    opened_at: datetime = Field(sa_column=_ts(nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=_ts())


class Handelse(SQLModel, table=True):
    """An event of a case; (case, type, date) is unique so that imports are idempotent."""

    __tablename__ = "handelse"
    __table_args__ = (UniqueConstraint("arende_id", "type", "date", name="uq_handelse"),)

    id: int | None = Field(default=None, primary_key=True)
    arende_id: int = Field(foreign_key="arende.id", index=True)
    type: str = Field(max_length=60)
    date: date
    source: str = Field(default="import", max_length=10)
    registered_by: str | None = Field(default=None, max_length=40)
    registered_at: datetime = Field(sa_column=_ts(nullable=False))


class Frist(SQLModel, table=True):
    """A deadline derived from a rule and a trigger event."""

    __tablename__ = "frist"
    __table_args__ = (
        UniqueConstraint(
            "arende_id", "rule_id", "trigger_handelse_id", "occurrence", name="uq_frist"
        ),
        Index("ix_frist_next_step", "status", "next_step_at"),
        Index("ix_frist_due", "status", "last_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    arende_id: int = Field(foreign_key="arende.id", index=True)
    rule_id: str = Field(max_length=50)
    trigger_handelse_id: int = Field(foreign_key="handelse.id")
    occurrence: int = 1
    trigger_date: date
    calendar_last_day: date
    last_day: date
    status: str = Field(default="open", max_length=12)
    closed_on: date | None = None
    closing_handelse_id: int | None = Field(default=None, foreign_key="handelse.id")
    done_by: str | None = Field(default=None, max_length=40)
    done_at: datetime | None = Field(default=None, sa_column=_ts())
    extended_to: date | None = None
    extension_reason: str | None = Field(default=None, max_length=500)
    extension_decided_by: str | None = Field(default=None, max_length=40)
    extension_level: str | None = Field(default=None, max_length=30)
    acknowledged_on: date | None = None  # "Jag har koll": quiets that day's repeats
    next_step_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts(nullable=False))
    updated_at: datetime = Field(sa_column=_ts(nullable=False))

    @property
    def effective_last_day(self) -> date:
        return self.extended_to or self.last_day


class Forlangning(SQLModel, table=True):
    """Every decided extension of a deadline (the frist row holds only the latest), for the
    case history: from which day to which, why, who decided and at which level."""

    __tablename__ = "forlangning"

    id: int | None = Field(default=None, primary_key=True)
    frist_id: int = Field(foreign_key="frist.id", index=True)
    from_day: date
    to_day: date
    reason: str = Field(default="", max_length=500)
    decided_by: str | None = Field(default=None, max_length=40)
    level: str | None = Field(default=None, max_length=30)
    at: datetime = Field(sa_column=_ts(nullable=False))


class Notification(SQLModel, table=True):
    """Outbox: one row per (deadline, ladder occurrence, recipient), delivered at least once.

    States: pending -> sending -> sent | failed; superseded (a catch-up sent a later step
    instead), quieted (acknowledged for the day), cancelled (the deadline closed first).
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("frist_id", "step", "recipient", name="uq_notification"),
        Index("ix_notification_work", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    frist_id: int | None = Field(default=None, foreign_key="frist.id", index=True)
    step: str = Field(max_length=80)
    recipient: str = Field(max_length=240)  # person:<id> or channel:<id>
    reason: str | None = Field(default=None, max_length=30)
    payload: str | None = Field(default=None, sa_type=Text)  # JSON of an alarm message
    due_at: datetime = Field(sa_column=_ts(nullable=False))
    next_attempt_at: datetime = Field(sa_column=_ts(nullable=False))
    state: str = Field(default="pending", max_length=12)
    attempts: int = 0
    late: bool = False
    uncertain: bool = False  # an earlier attempt may have reached Slack
    possible_duplicate: bool = False
    last_error: str | None = Field(default=None, max_length=200)
    message_ts: str | None = Field(default=None, max_length=40)
    channel: str | None = Field(default=None, max_length=400)
    claimed_by: str | None = Field(default=None, max_length=60)
    claimed_until: datetime | None = Field(default=None, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class ReportSnapshot(SQLModel, table=True):
    """An enhet's egenkontroll figures for a month, frozen once the month has ended (JSON)."""

    __tablename__ = "report_snapshot"
    __table_args__ = (UniqueConstraint("enhet_id", "month", name="uq_report_snapshot"),)

    id: int | None = Field(default=None, primary_key=True)
    enhet_id: int = Field(foreign_key="enhet.id")
    month: date
    figures: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class RuntimeState(SQLModel, table=True):
    """Small facts the self-audit reads: last planning tick, last delivery, per process."""

    __tablename__ = "runtime_state"

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(default="", max_length=200)
    updated_at: datetime = Field(sa_column=_ts(nullable=False))


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained record of every change."""

    __tablename__ = "audit_event"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts(nullable=False))
    actor: str = Field(max_length=40)
    action: str = Field(max_length=60)
    arende_code: str | None = Field(default=None, max_length=24, index=True)
    detail: str = Field(default="{}")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class ProcessedRequest(SQLModel, table=True):
    """A chat request or event already handled: Slack's retries and replayed requests (inside
    its 5-minute window) change nothing twice. Rows older than the window are pruned."""

    __tablename__ = "processed_request"

    key: str = Field(primary_key=True, max_length=80)
    created_at: datetime = Field(sa_column=_ts(nullable=False, index=True))


class ChatAddress(SQLModel, table=True):
    """Where a platform reaches a person or a channel unasked (Teams: the conversation and
    service URL seen on install or first contact). One row per (platform, key)."""

    __tablename__ = "chat_address"
    __table_args__ = (UniqueConstraint("platform", "key", name="uq_chat_address"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    key: str = Field(max_length=200)
    conversation_id: str = Field(max_length=400)
    service_url: str = Field(max_length=400)
    tenant_id: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_column=_ts(nullable=False))
    name: str | None = Field(default=None, max_length=200)
