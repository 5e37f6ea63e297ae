"""Seeders: due reminders in the outbox, written straight to the tables (fast, in bulk).

For tests and benchmarks of delivery, where what is measured or checked is the outbox, not
the importer and planner that normally fill it: every reminder belongs to a deadline of its
own, so a post's metadata (`event_payload.frist`) names the row that carried it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select

from storage.models import Arende, Enhet, Frist, Handelse, Notification, Person

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
STEP = "pam:-7d:handlaggare"  # the reminder a week before the last day, to the handläggare
ESCALATION_CHANNEL = "C0ESKALER"


def due_notification(
    frist_id: int, recipient: str, due: datetime, step: str = STEP
) -> dict[str, Any]:
    """An outbox row, pending and due at `due`; recipient "person:ID" or "channel:C…"."""
    return {
        "frist_id": frist_id,
        "step": step,
        "recipient": recipient,
        "due_at": due,
        "next_attempt_at": due,
        "state": "pending",
        "attempts": 0,
        "late": False,
        "uncertain": False,
        "possible_duplicate": False,
        "created_at": EPOCH,
    }


async def seed_due_reminders(
    engine,
    n: int,
    *,
    due: datetime,
    user_of: Callable[[int], str],
    people: int = 500,
    channels: Sequence[str] = (),
    code_prefix: str = "K",
) -> dict[int, int]:
    """N due reminders, one per open `forhandsbedomning` deadline, to min(N, `people`)
    handläggare (chat ids `user_of(i)`) in turn, all in one enhet escalating to C0ESKALER.
    With `channels`, every 10th reminder goes to one of them instead of a person.

    Plain executemany inserts (RETURNING with parameter order runs row by row on SQLite),
    then the ids are read back by their natural keys. Returns frist id -> notification id.
    """
    people = min(n, people)
    trigger, last_day = date(2026, 11, 20), date(2026, 12, 4)
    codes = [f"{code_prefix}{i:07d}" for i in range(n)]
    async with engine.begin() as connection:

        async def ids(key, column) -> dict:
            return dict((await connection.execute(select(key, column))).all())

        enhet = {"name": "Barn och unga Nord", "escalation_channel": ESCALATION_CHANNEL}
        await connection.execute(insert(Enhet), [enhet | {"created_at": EPOCH}])
        (enhet_id,) = (await ids(Enhet.name, Enhet.id)).values()
        await connection.execute(
            insert(Person),
            [
                {
                    "chat_user_id": user_of(i),
                    "role": "handlaggare",
                    "enhet_id": enhet_id,
                    "active": True,
                    "created_at": EPOCH,
                }
                for i in range(people)
            ],
        )
        person = await ids(Person.chat_user_id, Person.id)
        person_ids = [person[user_of(i)] for i in range(people)]
        await connection.execute(
            insert(Arende),
            [
                {
                    "code": code,
                    "enhet_id": enhet_id,
                    "handlaggare_id": person_ids[i % people],
                    "origin": "import",
                    "opened_at": EPOCH,
                }
                for i, code in enumerate(codes)
            ],
        )
        case = await ids(Arende.code, Arende.id)
        case_ids = [case[code] for code in codes]
        await connection.execute(
            insert(Handelse),
            [
                {
                    "arende_id": case_id,
                    "type": "anmalan_inkom",
                    "date": trigger,
                    "source": "import",
                    "registered_at": EPOCH,
                }
                for case_id in case_ids
            ],
        )
        event = await ids(Handelse.arende_id, Handelse.id)
        await connection.execute(
            insert(Frist),
            [
                {
                    "arende_id": case_id,
                    "rule_id": "forhandsbedomning",
                    "trigger_handelse_id": event[case_id],
                    "occurrence": 1,
                    "trigger_date": trigger,
                    "calendar_last_day": last_day,
                    "last_day": last_day,
                    "status": "open",
                    "created_at": EPOCH,
                    "updated_at": EPOCH,
                }
                for case_id in case_ids
            ],
        )
        frist = await ids(Frist.arende_id, Frist.id)
        frist_ids = [frist[case_id] for case_id in case_ids]

        def recipient(i: int) -> str:
            if channels and i % 10 == 0:
                return f"channel:{channels[i % len(channels)]}"
            return f"person:{person_ids[i % people]}"

        await connection.execute(
            insert(Notification),
            [due_notification(frist_id, recipient(i), due) for i, frist_id in enumerate(frist_ids)],
        )
        return await ids(Notification.frist_id, Notification.id)
