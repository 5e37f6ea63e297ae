"""Recording events (bot.services.events), the one use case behind the import and chat: the
alarms it raises reach the enhet's chef and the admin channel, whichever way the event came."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.bootstrap import App
from bot.ports.conversation import Caller
from storage.database import session_factory, transaction
from storage.models import AuditEvent, Notification
from tests.factories import HEADER, add_person, code_of

NORD = "Barn och unga Nord"
ADMIN_CHANNEL = "C0ADMIN01"
CHEF = "U0CHEF001"
ANNA = "U0ANNA001"
DECISION_HEADER = "arende;enhet;handlaggare;handelse;datum;beslutsniva\n"


def app_for(settings, engine, clock, mode: str = "refuse") -> App:
    update = {"delegation_mode": mode, "admin_channel": ADMIN_CHANNEL}
    return App(settings.model_copy(update=update), clock=clock, engine_override=engine)


async def alarms(engine, kind: str) -> list[tuple[str, str]]:
    """(recipient, step) of every alarm of `kind` (delegation, omstart) in the outbox."""
    async with transaction(session_factory(engine)) as session:
        query = select(Notification).where(Notification.step.startswith(f"larm:{kind}:"))
        rows = (await session.execute(query)).scalars().all()
    return sorted((n.recipient, n.step) for n in rows)


async def audited(engine, action: str) -> list[tuple[str, str | None]]:
    async with transaction(session_factory(engine)) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        return [(a.actor, a.arende_code) for a in (await session.execute(query)).scalars()]


RESTART = (
    f"IFO 1;{NORD};{ANNA};utredning_inledd;2026-01-05\n"
    f"IFO 1;{NORD};{ANNA};utredning_avslutad;2026-04-30\n"
    f"IFO 1;{NORD};{ANNA};utredning_inledd;2026-05-04\n"
)


async def test_imported_restart_alarms_chef_and_admin_channel(settings, engine, clock):
    chef = await add_person(engine, CHEF, "chef", NORD)
    app = app_for(settings, engine, clock)
    await app.importer().run(HEADER + RESTART)
    await app.importer().run(HEADER + RESTART)  # a re-run does not alarm again
    step = f"larm:omstart:{code_of('IFO 1')}:2026-05-04"
    assert await alarms(engine, "omstart") == [
        (f"channel:{ADMIN_CHANNEL}", step),
        (f"person:{chef}", step),
    ]
    assert await audited(engine, "utredning_omstartad") == [("import", code_of("IFO 1"))]


async def test_imported_decision_without_delegation_alarms_admin_channel(settings, engine, clock):
    chef = await add_person(engine, CHEF, "chef", NORD)
    app = app_for(settings, engine, clock, "escalate")
    rows = (
        f"IFO 1;{NORD};{ANNA};placering_verkstalld;2026-01-05;\n"
        f"IFO 1;{NORD};{ANNA};overvagande_genomfort;2026-06-30;handläggare\n"
    )
    report = await app.importer().run(DECISION_HEADER + rows)
    assert report.new_events == 2
    step = f"larm:delegation:{code_of('IFO 1')}:overvagande_genomfort:2026-06-30"
    assert await alarms(engine, "delegation") == [
        (f"channel:{ADMIN_CHANNEL}", step),
        (f"person:{chef}", step),
    ]
    assert await audited(engine, "beslut_utan_delegation") == [("import", code_of("IFO 1"))]


async def test_chat_restart_alarms_like_import(settings, engine, clock):
    """The same event registered in chat raises the same alarm (same step: once only)."""
    chef = await add_person(engine, CHEF, "chef", NORD)
    await add_person(engine, ANNA, "handlaggare", NORD)
    app = app_for(settings, engine, clock)
    await app.importer().run(HEADER + RESTART.rsplit("\n", 2)[0] + "\n")  # closed, not reopened
    result = await app.chat().submit_form(
        Caller(ANNA),
        "ny",
        {"handelse": "utredning_inledd", "datum": "2026-05-04", "kod": code_of("IFO 1")},
        {},
    )
    assert "Registrerat: Utredning inledd" in result.view.intro.text
    step = f"larm:omstart:{code_of('IFO 1')}:2026-05-04"
    assert await alarms(engine, "omstart") == [
        (f"channel:{ADMIN_CHANNEL}", step),
        (f"person:{chef}", step),
    ]
    assert await audited(engine, "utredning_omstartad") == [(ANNA, code_of("IFO 1"))]
    await app.importer().run(HEADER + RESTART)  # the import knows it now: no second alarm
    assert len(await alarms(engine, "omstart")) == 2


async def test_events_rederive_deadlines(settings, engine, clock):
    app = app_for(settings, engine, clock)
    await app.importer().run(HEADER + f"IFO 1;{NORD};{ANNA};utredning_inledd;2026-01-05\n")
    await app.importer().run(HEADER + f"IFO 1;{NORD};{ANNA};utredning_avslutad;2026-04-30\n")
    async with app.unit_of_work() as uow:
        views = await uow.cases.deadline_views([code_of("IFO 1")])
    # The utredning and the information that it started (20 kap. 4 § SoL).
    (view,) = [v for v in views if v.rule_id == "utredning"]
    assert (view.rule_id, view.status, view.closed_on) == ("utredning", "done", date(2026, 4, 30))


def test_a_derivation_kept_by_shape_names_each_case_own_events(settings, clock):
    from bot.domain.deadlines import CaseEvent, derive_deadlines
    from bot.services.events import EventRecorder

    app = App(settings, clock=clock)
    recorder = EventRecorder(app.rules, app.calendar)
    day, later = date(2026, 1, 5), date(2026, 1, 12)
    cases = [
        [CaseEvent(7, "anmalan_inkom", day), CaseEvent(9, "utredning_inledd", later)],
        [CaseEvent(30, "utredning_inledd", later), CaseEvent(21, "anmalan_inkom", day)],
        [CaseEvent(5, "utredning_inledd", day), CaseEvent(4, "anmalan_inkom", day)],
        [CaseEvent(40, "anmalan_inkom", day), CaseEvent(41, "utredning_inledd", day)],
    ]
    for events in cases:
        assert recorder._derive(events) == derive_deadlines(events, app.rules, app.calendar)
    assert len(recorder._shapes) == 2
