"""The weekly workload message on a real database (SQLite, and PostgreSQL when configured):
planned once per chef and week, whichever replica runs, and delivered to the chef's DM."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.services.delivery import DeliveryPolicy
from bot.testing.slack_standin import Fault, SlackStandIn
from handlers.slack.messenger import SlackMessenger, make_client
from storage.database import session_factory, transaction
from storage.models import Notification
from tests.factories import add_person, import_rows

STHLM = ZoneInfo("Europe/Stockholm")
NORD, SYD = "Barn och unga Nord", "Barn och unga Syd"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 7, 59, tzinfo=STHLM))  # a Monday


async def weekly_rows(engine) -> list[Notification]:
    async with transaction(session_factory(engine)) as session:
        query = select(Notification).where(Notification.step.startswith("belastning:"))
        return list((await session.execute(query.order_by(Notification.id))).scalars().all())


async def test_weekly_planned_once_and_delivered(settings, engine, clock):
    await add_person(engine, "U0HANDL01", "handlaggare", NORD)
    await add_person(engine, "U0CHEF001", "chef", NORD)
    await add_person(engine, "U0CHEF002", "chef", SYD)
    app = App(settings, clock=clock, engine_override=engine)
    replica = App(settings, clock=clock, engine_override=engine)
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 11, 20)))
    assert await app.workload_watch().weekly_if_due() == 0  # 07:59
    clock.advance(timedelta(minutes=1))
    assert await app.workload_watch().weekly_if_due() == 2  # one per chef
    assert await replica.workload_watch().weekly_if_due() == 0
    assert await app.workload_watch().weekly_if_due() == 0
    rows = await weekly_rows(engine)
    assert sorted(r.step.split(":")[1] for r in rows) == ["2026-W48", "2026-W48"]
    async with SlackStandIn() as slack:
        for user in ("U0HANDL01", "U0CHEF001", "U0CHEF002"):
            slack.add_user(user)
        slack.inject("files.completeUploadExternal", Fault.status(503))  # the first try fails

        async def sleep(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        messenger = SlackMessenger(make_client("xoxb-test", slack.url, timeout=2))
        delivery = app.delivery(
            messenger, worker="w1", sleep=sleep, policy=DeliveryPolicy(base_backoff=60)
        )
        await delivery.run_once()
        clock.advance(timedelta(minutes=5))
        await delivery.run_once()
        posts = {post.user: post.text for post in slack.posts}
        charts = [upload.data for upload in slack.uploads]
    sent = await weekly_rows(engine)
    assert {r.state for r in sent} == {"sent"}
    assert sorted(r.attempts for r in sent) == [1, 2]  # the failed one was sent again
    assert set(posts) >= {"U0CHEF001", "U0CHEF002"}
    assert len(charts) == 2 and all(c.startswith(b"\x89PNG\r\n\x1a\n") for c in charts)
    assert "Arbetsbelastning Barn och unga Nord, vecka 48" in posts["U0CHEF001"]
    assert "U0HANDL01" not in posts["U0CHEF002"]  # Syd's chef sees Syd only
    clock.advance(timedelta(days=7))
    assert await app.workload_watch().weekly_if_due() == 2  # next Monday
