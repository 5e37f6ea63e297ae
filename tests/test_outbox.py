"""Planning and delivery against a real database and the local Slack stand-in (real HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.services.delivery import DeliveryPolicy
from bot.services.staff import store_staff
from bot.testing.slack_standin import Fault, SlackStandIn
from handlers.slack.messenger import SlackMessenger, make_client
from storage.database import session_factory, transaction
from storage.models import Notification
from tests.factories import add_person, code_of, import_rows, person_id, set_escalation_channel

STHLM = ZoneInfo("Europe/Stockholm")
NORD = "Barn och unga Nord"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=STHLM)


@pytest.fixture
async def slack():
    async with SlackStandIn() as standin:
        for user in ("U0HANDL01", "U0HANDL02", "U0CHEF001", "U0FORSTE1", "U0SOCCHEF"):
            standin.add_user(user)
        standin.add_channel("C0ESKALER")
        standin.add_channel("C0ADMIN01")
        yield standin


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(local(2026, 6, 12, 10, 0))


@pytest.fixture
def app(settings, engine, clock) -> App:
    settings = settings.model_copy(update={"admin_channel": "C0ADMIN01"})
    return App(settings, clock=clock, engine_override=engine)


@pytest.fixture
def messenger(slack) -> SlackMessenger:
    return SlackMessenger(make_client("xoxb-test", slack.url, timeout=2))


@pytest.fixture
def delivery(app, messenger, clock):
    async def sleep(seconds: float) -> None:  # pacing waits move the test clock, never sleep
        clock.advance(timedelta(seconds=seconds))

    return app.delivery(messenger, worker="w1", sleep=sleep, policy=DeliveryPolicy(base_backoff=60))


@pytest.fixture
async def staff(engine):
    await add_person(engine, "U0CHEF001", "chef", NORD)
    await add_person(engine, "U0SOCCHEF", "socialchef", NORD)
    await set_escalation_channel(engine, NORD, "C0ESKALER")


async def cycle(app, delivery, clock, at: datetime | None = None):
    if at is not None:
        clock.set(at)
    planned = await app.planner().tick()
    delivered = await delivery.run_once()
    return planned, delivered


async def rows(engine) -> list[Notification]:
    async with transaction(session_factory(engine)) as session:
        result = await session.execute(select(Notification).order_by(Notification.id))
        return list(result.scalars().all())


def dm_texts(slack, user: str) -> list[str]:
    return [post.text for post in slack.posts_to(user)]


async def test_success(app, delivery, slack, clock, staff):
    # Anmälan on Friday 12 June 2026 at 10:00: skyddsbedömning is due "genast" (today).
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    _planned, delivered = await cycle(app, delivery, clock)
    assert delivered.sent == 2  # the reminder, and the chef's same-day escalation
    (text,) = dm_texts(slack, "U0HANDL01")
    assert code_of("IFO 1") in text
    assert "Skyddsbedömning" in text
    assert "fredag 12 juni 2026" in text
    assert "20 kap. 1 § SoL (2025:400)" in text
    (post,) = slack.posts_to("U0HANDL01")
    assert post.blocks and post.blocks[0]["type"] == "header"
    assert any(b["type"] == "actions" for b in post.blocks)


async def test_planned_once(app, delivery, slack, clock, staff):
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    for _ in range(5):
        await cycle(app, delivery, clock)
    assert len(dm_texts(slack, "U0HANDL01")) == 1


async def test_a_tick_in_several_batches_plans_every_deadline_once(app, engine, clock, staff):
    """Batches of two (a transaction each): every due deadline gets its rows, a second tick
    plans nothing more, and the tick leaves its heartbeat."""
    cases = [(f"IFO {i}", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)) for i in range(5)]
    await import_rows(app, *cases)
    planner = app.planner()
    planner.batch = 2
    first = await planner.tick()
    assert first.deadlines > planner.batch * 2  # at least three batches
    per_deadline: dict[int | None, int] = {}
    for row in await rows(engine):
        per_deadline[row.frist_id] = per_deadline.get(row.frist_id, 0) + 1
    # Each case's skyddsbedömning is due today (its förhandsbedömning is only put on its
    # ladder): one deadline with rows per case, none left out, the same rows each.
    assert len(per_deadline) == len(cases)
    assert len(set(per_deadline.values())) == 1
    assert first.planned == sum(per_deadline.values())
    again = await planner.tick()
    assert (again.deadlines, again.planned, again.superseded) == (0, 0, 0)
    async with app.unit_of_work() as uow:
        beat = await uow.outbox.get_state("planner:last_tick")
    assert beat["planner:last_tick"].value == clock.now().isoformat()
    assert beat["planner:last_tick"].updated_at == clock.now()


async def test_reminder_on_previous_working_day_at_eight(app, delivery, slack, clock, staff):
    # Förhandsbedömning 12 June -> 26 June. The -7d step is 19 June, midsommarafton, so it
    # goes out on Thursday 18 June at 08:00 Stockholm time (06:00 UTC, summer time).
    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", date(2026, 6, 12)),
    )
    await cycle(app, delivery, clock)
    before = len(dm_texts(slack, "U0HANDL01"))
    await cycle(app, delivery, clock, local(2026, 6, 18, 7, 59))
    assert len(dm_texts(slack, "U0HANDL01")) == before
    await cycle(app, delivery, clock, local(2026, 6, 18, 8, 0))
    texts = dm_texts(slack, "U0HANDL01")
    assert len(texts) == before + 1
    assert "Förhandsbedömning" in texts[-1]
    assert "fredag 26 juni 2026" in texts[-1]
    assert "om 8 dagar" in texts[-1]
    sent = [r for r in await rows(app.engine) if r.state == "sent"]
    assert sent[-1].due_at == datetime(2026, 6, 18, 6, 0, tzinfo=UTC)


async def test_nothing_at_night(app, delivery, slack, clock, staff):
    # Registered at 22:00: the skyddsbedömning reminder waits for 08:00 the next working day.
    clock.set(local(2026, 6, 12, 22, 0))
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    await cycle(app, delivery, clock)
    assert dm_texts(slack, "U0HANDL01") == []
    await cycle(app, delivery, clock, local(2026, 6, 15, 7, 59))  # Monday, before eight
    assert dm_texts(slack, "U0HANDL01") == []
    await cycle(app, delivery, clock, local(2026, 6, 15, 8, 0))
    assert len(dm_texts(slack, "U0HANDL01")) == 1


async def test_catch_up_sends_latest_step_marked_late(app, delivery, slack, clock, staff):
    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", date(2026, 6, 12)),
    )
    await cycle(app, delivery, clock)
    # Down from Friday 12 June to Wednesday 24 June 09:00: -7d (18 June) and -3d (23 June)
    # were missed; only the latest is sent, marked late; the missed one is kept as superseded.
    await cycle(app, delivery, clock, local(2026, 6, 24, 9, 0))
    texts = dm_texts(slack, "U0HANDL01")
    assert len(texts) == 1
    assert "Försenad påminnelse" in texts[0]
    assert "om 2 dagar" in texts[0]
    states = {
        r.step.split("#")[0]: r.state
        for r in await rows(app.engine)
        if r.recipient == f"person:{await person_id(app.engine, 'U0HANDL01')}"
    }
    assert states["pam:-7d:handlaggare"] == "superseded"
    assert states["pam:-3d:handlaggare"] == "sent"


async def test_done_stops_the_ladder(app, delivery, slack, clock, staff):
    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", date(2026, 6, 12)),
    )
    await cycle(app, delivery, clock)
    clock.set(local(2026, 6, 17, 12, 0))
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "utredning_inledd", date(2026, 6, 17)))
    for day in (18, 23, 25, 26, 29, 30):
        await cycle(app, delivery, clock, local(2026, 6, day, 9, 0))
    texts = dm_texts(slack, "U0HANDL01")
    assert not any("Förhandsbedömning" in text for text in texts)


async def test_overdue_escalates_to_chef_daily(app, delivery, slack, clock, staff):
    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", date(2026, 6, 12)),
    )
    await cycle(app, delivery, clock)
    for day in (18, 23, 24, 25, 26, 29, 30):
        await cycle(app, delivery, clock, local(2026, 6, day, 8, 0))
    chef = dm_texts(slack, "U0CHEF001")
    # -2d goes to the 1:e socialsekreterare, and to the chef as the enhet has none; 0d; then
    # +1d falls on Saturday 27 June and goes out Monday 29, repeating each working day.
    forhand = [t for t in chef if "Förhandsbedömning" in t]
    assert len(forhand) == 4
    assert "Försenad" in forhand[-1] and "för 4 dagar sedan" in forhand[-1]


async def test_absence_goes_to_substitute(app, delivery, slack, clock, engine, staff):
    substitute = await add_person(engine, "U0HANDL02", "handlaggare", NORD)
    await add_person(
        engine,
        "U0HANDL01",
        "handlaggare",
        NORD,
        absent_from=date(2026, 6, 12),
        absent_to=date(2026, 6, 20),
        substitute_id=substitute,
    )
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    await cycle(app, delivery, clock)
    assert dm_texts(slack, "U0HANDL01") == []
    (text,) = dm_texts(slack, "U0HANDL02")
    assert "ersättare" in text


async def test_inactive_handlaggare_goes_to_chef_at_once(
    app, delivery, slack, clock, engine, staff
):
    await add_person(engine, "U0HANDL01", "handlaggare", NORD, active=False)
    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", date(2026, 6, 12)),
    )
    await cycle(app, delivery, clock)
    chef = dm_texts(slack, "U0CHEF001")
    assert any("saknar" in text.lower() and "handläggare" in text for text in chef)
    assert dm_texts(slack, "U0HANDL01") == []


async def test_rate_limited_waits_for_retry_after(app, delivery, slack, clock, staff):
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    slack.inject("chat.postMessage", Fault.rate_limit(retry_after=30))
    _p, first = await cycle(app, delivery, clock)
    assert first.sent == 0
    clock.advance(timedelta(seconds=29))
    _p, early = await cycle(app, delivery, clock)
    assert early.sent == 0
    clock.advance(timedelta(seconds=2))
    _p, later = await cycle(app, delivery, clock)
    assert later.sent == 2
    assert all(r.attempts == 1 for r in await rows(app.engine))


async def test_server_error_retried_with_backoff(app, delivery, slack, clock, staff):
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    slack.inject("chat.postMessage", Fault.status(503), times=2)
    _p, first = await cycle(app, delivery, clock)
    assert first.retried == 2 and first.sent == 0
    clock.advance(timedelta(minutes=5))
    _p, later = await cycle(app, delivery, clock)
    assert later.sent == 2
    assert not any(r.possible_duplicate for r in await rows(app.engine))


async def test_lost_answer_resent_and_flagged(app, delivery, slack, clock, staff):
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    slack.inject("chat.postMessage", Fault.reset_after_record())
    await cycle(app, delivery, clock)
    clock.advance(timedelta(minutes=5))
    await cycle(app, delivery, clock)
    texts = dm_texts(slack, "U0HANDL01")
    assert len(texts) == 2  # the first post reached Slack, its answer was lost
    assert "möjlig dubblett" in texts[1]
    flagged = [r for r in await rows(app.engine) if r.possible_duplicate]
    assert len(flagged) == 1 and flagged[0].state == "sent"


async def test_permanent_failure_reported_to_channels(app, delivery, slack, clock, staff):
    await import_rows(app, ("IFO 1", NORD, "U0GONE001", "anmalan_inkom", date(2026, 6, 12)))
    _p, delivered = await cycle(app, delivery, clock)
    assert delivered.failed == 1
    await cycle(app, delivery, clock)
    for channel in ("C0ESKALER", "C0ADMIN01"):
        (text,) = [p.text for p in slack.posts_to(channel)]
        assert "kunde inte" in text and "<@U0GONE001>" in text
        assert "personen finns inte i chatten" in text and "user_not_found" not in text
    failed = [r for r in await rows(app.engine) if r.state == "failed"]
    assert len(failed) == 1 and failed[0].last_error == "user_not_found"


async def test_gives_up_after_bounded_retries(app, delivery, slack, clock, staff):
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)))
    slack.inject("chat.postMessage", Fault.status(500), times=100)
    for _ in range(12):
        await cycle(app, delivery, clock)
        clock.advance(timedelta(hours=1))
    failed = [r for r in await rows(app.engine) if r.state == "failed"]
    assert len(failed) == 2
    assert all(r.attempts == DeliveryPolicy().max_attempts for r in failed)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        # Last day Monday 30 March 2026, summer time from 29 March: 08:00 is 06:00 UTC;
        # the -3d step (Friday 27 March) is still winter time: 07:00 UTC.
        (date(2026, 3, 27), 7),
        (date(2026, 3, 30), 6),
        # Summer time ends 25 October 2026.
        (date(2026, 10, 23), 6),
        (date(2026, 10, 26), 7),
    ],
)
async def test_dst(app, delivery, slack, clock, staff, day, utc_hour):
    clock.set(local(2026, 3, 16, 9, 0) if day.month == 3 else local(2026, 10, 12, 9, 0))
    trigger = date(2026, 3, 16) if day.month == 3 else date(2026, 10, 12)
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", trigger))
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", trigger))
    for offset in range(0, 16):
        await cycle(
            app,
            delivery,
            clock,
            local(trigger.year, trigger.month, trigger.day, 8, 0) + timedelta(days=offset),
        )
    due = {r.due_at for r in await rows(app.engine) if r.state == "sent"}
    assert datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC) in due


async def test_morning_digest(app, messenger, slack, clock, staff):
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    digest = app.delivery(messenger, worker="w1", sleep=sleep, policy=DeliveryPolicy(digest=True))
    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 2", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
    )
    await cycle(app, digest, clock)
    (post,) = slack.posts_to("U0HANDL01")
    assert code_of("IFO 1") in post.text and code_of("IFO 2") in post.text
    assert "I dag: 2 frister" in post.text
    assert all(r.state == "sent" for r in await rows(app.engine))


async def test_deadline_done_while_reminder_in_flight(app, delivery, slack, clock, staff):
    """The reminder already on its way goes out once; nothing more follows for that deadline."""
    import asyncio

    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", date(2026, 6, 12)),
    )
    await cycle(app, delivery, clock)
    clock.set(local(2026, 6, 18, 8, 0))
    await app.planner().tick()
    slack.inject("chat.postMessage", Fault.hang_after_record())
    sending = asyncio.create_task(delivery.run_once())
    in_flight = await slack.wait_for_post("U0HANDL01")  # the real HTTP request, recorded
    assert in_flight is not None, (
        "the reminder never reached the Slack stand-in, so the deadline could not be completed "
        "while it was in flight"
    )
    await import_rows(app, ("IFO 1", NORD, "U0HANDL01", "utredning_inledd", date(2026, 6, 18)))
    slack.release()
    await sending
    for day in (23, 25, 26, 29):
        await cycle(app, delivery, clock, local(2026, 6, day, 8, 0))
    texts = dm_texts(slack, "U0HANDL01")
    assert len([t for t in texts if "Förhandsbedömning" in t]) == 1
    assert not any("Förhandsbedömning" in t for t in dm_texts(slack, "U0CHEF001"))


async def test_corrected_trigger_date_moves_the_ladder(app, delivery, slack, clock, engine, staff):
    """An anmälan date corrected from 12 to 15 June moves the last day to 29 June."""
    from storage.models import Handelse

    await import_rows(
        app,
        ("IFO 1", NORD, "U0HANDL01", "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 1", NORD, "U0HANDL01", "skyddsbedomning_klar", date(2026, 6, 12)),
    )
    await cycle(app, delivery, clock)
    async with transaction(session_factory(engine)) as session:
        event = (
            await session.execute(select(Handelse).where(Handelse.type == "anmalan_inkom"))
        ).scalar_one()
        event.date = date(2026, 6, 15)
    from bot.domain.deadlines import derive_deadlines, reconcile

    async with app.unit_of_work() as uow:
        case_id = event.arende_id
        events = await uow.cases.events_of([case_id])
        stored = await uow.cases.deadlines_of([case_id])
        change = reconcile(
            derive_deadlines(events[case_id], app.rules, app.calendar), stored[case_id]
        )
        await uow.cases.apply_deadline_changes({case_id: change}, clock.now())
    await cycle(app, delivery, clock, local(2026, 6, 26, 8, 0))
    texts = [t for t in dm_texts(slack, "U0HANDL01") if "Förhandsbedömning" in t]
    assert texts and "måndag 29 juni 2026" in texts[-1]


# A person the chat cannot reach: one notice per problem (person and cause), their reminders to
# the chef at once.
GONE = "U0GONE002"


def notices(slack, channel: str) -> list[str]:
    return [p.text for p in slack.posts_to(channel) if "kunde inte levereras" in p.text]


async def test_reported_once_and_rerouted(app, delivery, slack, clock, staff, engine):
    slack.add_user(GONE, deleted=True)
    await add_person(engine, GONE, "handlaggare", NORD, name="Hugo Holm")
    await import_rows(
        app,
        ("IFO 1", NORD, GONE, "anmalan_inkom", date(2026, 6, 12)),
        ("IFO 2", NORD, GONE, "anmalan_inkom", date(2026, 6, 12)),
    )
    _p, delivered = await cycle(app, delivery, clock)
    assert delivered.failed == 2  # both reminders to the deactivated account
    await cycle(app, delivery, clock)  # the notices and the rerouted reminders
    for channel in ("C0ESKALER", "C0ADMIN01"):
        (text,) = notices(slack, channel)  # one problem (person, cause): one notice
        assert f"<@{GONE}>" in text and "kontot är inaktiverat" in text
        assert "account_inactive" not in text
        assert f"Påminnelserna till <@{GONE}> går nu till <@U0CHEF001>." in text
    chef = dm_texts(slack, "U0CHEF001")
    rerouted = [t for t in chef if "Handläggaren kan inte nås i chatten" in t]
    assert all(any(code_of(c) in t for t in rerouted) for c in ("IFO 1", "IFO 2"))
    # A later rung (förhandsbedömning's -7d reminder) goes straight to the chef: no new
    # failure, no new notice.
    await import_rows(app, ("IFO 1", NORD, GONE, "skyddsbedomning_klar", date(2026, 6, 12)))
    _p, delivered = await cycle(app, delivery, clock, local(2026, 6, 18, 8, 0))
    assert delivered.failed == 0
    assert len(notices(slack, "C0ADMIN01")) == 1
    assert any(
        "Förhandsbedömning" in t and "kan inte nås" in t for t in dm_texts(slack, "U0CHEF001")
    )
    assert len([r for r in await rows(engine) if r.state == "failed"]) == 2


async def test_reimport_reports_again(app, delivery, slack, clock, staff, engine):
    slack.add_user(GONE, deleted=True)
    await add_person(engine, GONE, "handlaggare", NORD)
    await import_rows(app, ("IFO 1", NORD, GONE, "anmalan_inkom", date(2026, 6, 12)))
    await cycle(app, delivery, clock)
    await cycle(app, delivery, clock)
    assert len(notices(slack, "C0ADMIN01")) == 1
    async with app.unit_of_work() as uow:  # the register is imported anew: reach them again
        await store_staff(
            uow, [StaffMember(chat_user_id=GONE, role=Role.HANDLAGGARE, enhet=NORD)], clock.now()
        )
    await import_rows(app, ("IFO 2", NORD, GONE, "anmalan_inkom", date(2026, 6, 12)))
    _p, delivered = await cycle(app, delivery, clock)
    assert delivered.failed == 1  # tried again, still deactivated
    await cycle(app, delivery, clock)
    assert len(notices(slack, "C0ADMIN01")) == 2
