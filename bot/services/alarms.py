"""Alarms to people (chefer, the admin channel) through the outbox: delivered at least once,
planned once per `step` key."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.messages import Message, message_to_json
from bot.domain.recipients import UNRESOLVED, Directory
from bot.ports.outbox import NewNotification
from bot.ports.unit_of_work import Stores


async def alarm_chefs(
    uow: Stores,
    enhet_id: int,
    step: str,
    message: Message,
    now: datetime,
    today: date,
    admin_channel: str | None = None,
) -> int:
    """Plan `message` to the enhet's chefs (with the usual fallbacks) and the admin channel,
    unless an alarm with this step was planned before. Returns the number of rows planned."""
    if await uow.outbox.has_step(step):
        return 0
    unit = (await uow.outbox.units()).get(enhet_id)
    directory = Directory(
        await uow.outbox.staff_for([enhet_id]),
        {enhet_id: unit.escalation_channel if unit else None},
        admin_channel,
    )
    recipients = [r.address for r in directory.chef(enhet_id, today)]
    if admin_channel:
        recipients.append(f"channel:{admin_channel}")
    payload = message_to_json(message)
    rows = [
        NewNotification(None, step, address, now, payload=payload)
        for address in dict.fromkeys(recipients)
        if address != UNRESOLVED
    ]
    await uow.outbox.add_notifications(rows, now)
    return len(rows)
