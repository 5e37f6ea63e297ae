"""Who may do what: every role × every action × own case / own enhet / other enhet, first as
the pure rule, then through the chat service against a real database (commands, buttons and
the event form), where every refusal must also be logged and audited without case details."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.domain.access import Action, Actor, Target, allowed
from bot.domain.roles import Role
from bot.ports.conversation import Caller
from storage.database import session_factory, transaction
from storage.models import AuditEvent
from tests.factories import add_person, code_of, import_rows

NORD, SYD = "Barn och unga Nord", "Barn och unga Syd"
ROLES = (Role.HANDLAGGARE, Role.FORSTE_SOCIALSEKRETERARE, Role.CHEF, Role.SOCIALCHEF, Role.ADMIN)
SCOPES = ("mine", "unit", "other")  # my case; a colleague's case in my enhet; another enhet

CASE = ("Y--", "YY-", "YY-", "YYY", "---")
PERSONAL = ("YYY", "YYY", "YYY", "YYY", "---")
# One row per action; one column per role (ROLES order); per column mine, unit, other.
EXPECTED = {
    Action.VIEW_CASE: CASE,
    Action.REGISTER_EVENT: CASE,
    Action.MARK_DONE: CASE,
    Action.SNOOZE: CASE,
    Action.ACKNOWLEDGE: CASE,
    Action.EXTEND: CASE,
    Action.REASSIGN: ("---", "---", "YY-", "YYY", "---"),
    Action.TEAM: ("---", "YY-", "YY-", "YYY", "---"),
    Action.STATISTICS: ("---", "---", "YY-", "YYY", "---"),
    Action.WORKLOAD: ("---", "YY-", "YY-", "YYY", "---"),
    Action.MY_DEADLINES: PERSONAL,
    Action.OVERDUE: PERSONAL,
    Action.ABSENCE: PERSONAL,
    Action.HELP: ("YYY", "YYY", "YYY", "YYY", "YYY"),
    Action.ADMIN: ("---", "---", "---", "---", "YYY"),
}


def expected(action: Action, role: Role, scope: str) -> bool:
    return EXPECTED[action][ROLES.index(role)][SCOPES.index(scope)] == "Y"


def test_table_covers_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_rule(action, role, scope):
    me = Actor(1, role, None if role in (Role.SOCIALCHEF, Role.ADMIN) else 10)
    target = {
        "mine": Target(10, owner_id=1),
        "unit": Target(10, owner_id=2),
        "other": Target(20, owner_id=3),
    }[scope]
    if role in (Role.SOCIALCHEF, Role.ADMIN) and scope == "unit":
        target = Target(10, owner_id=2)
    assert allowed(me, action, target) is expected(action, role, scope)


def test_inactive_may_do_nothing():
    me = Actor(1, Role.CHEF, 10, active=False)
    assert not any(allowed(me, action, Target(10, 1)) for action in Action)


def test_substitute_acts_for_absent_colleague():
    me = Actor(1, Role.HANDLAGGARE, 10)
    assert allowed(me, Action.MARK_DONE, Target(10, owner_id=2, stands_in=True))
    assert not allowed(me, Action.REASSIGN, Target(10, owner_id=2, stands_in=True))


# ---- through the chat service ---------------------------------------------------------------

STHLM = ZoneInfo("Europe/Stockholm")
ACTOR = "U0ACTOR01"
OWNERS = {"mine": (ACTOR, NORD), "unit": ("U0KOLLEGA", NORD), "other": ("U0SYDHL01", SYD)}
CASES = ("VIEW", "DONE", "DONE2", "SNOOZE", "ACK", "EXT", "EXT2", "REASSIGN", "REG", "SHOW")


@pytest.fixture
def app(settings, engine) -> App:
    clock = FixedClock(datetime(2026, 6, 15, 10, 0, tzinfo=STHLM))
    return App(settings, clock=clock, engine_override=engine)


async def _world(app, engine, role: Role, scope: str) -> dict[str, int]:
    """Staff of two units and one case per check, all handled by the scope's owner; returns
    the deadline id of each case's first open deadline."""
    unit = None if role in (Role.SOCIALCHEF, Role.ADMIN) else NORD
    await add_person(engine, ACTOR, role.value, unit)
    await add_person(engine, "U0KOLLEGA", "handlaggare", NORD)
    await add_person(engine, "U0SYDHL01", "handlaggare", SYD)
    await add_person(engine, "U0NYHL001", "handlaggare", NORD)
    owner, enhet = OWNERS[scope]
    rows = [(f"{scope}-{name}", enhet, owner, "anmalan_inkom", date(2026, 6, 12)) for name in CASES]
    rows += [
        (f"{scope}-{name}", enhet, owner, "utredning_inledd", date(2026, 6, 1))
        for name in ("EXT", "EXT2")
    ]
    await import_rows(app, *rows)
    frist = {}
    async with app.unit_of_work() as uow:
        for name in CASES:
            case = await uow.chat.case_info(code_of(f"{scope}-{name}"))
            items = await uow.chat.deadline_items(case_ids=[case.id])
            chosen = [i for i in items if i.rule_id == "utredning"] or items
            frist[name] = chosen[0].frist_id
    return frist


async def _refusals(engine) -> int:
    async with transaction(session_factory(engine)) as session:
        query = select(func.count()).where(AuditEvent.action == "atkomst_nekad")
        return (await session.execute(query)).scalar_one()


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_matrix(app, engine, role, scope, caplog):
    frist = await _world(app, engine, role, scope)
    chat = app.chat()
    me = Caller(ACTOR, "C0KANAL01")

    def code(name):
        return code_of(f"{scope}-{name}")

    unit_arg = " " + SYD if scope == "other" else ""
    checks = [
        (Action.VIEW_CASE, lambda: chat.command(me, f"ärende {code('VIEW')}")),
        (Action.MARK_DONE, lambda: chat.command(me, f"klar {code('DONE')}")),
        (Action.EXTEND, lambda: chat.command(me, f"förläng {code('EXT')} utredning 2026-12-01 x")),
        (Action.MARK_DONE, lambda: chat.button(me, "frist_klar", str(frist["DONE2"]))),
        (Action.SNOOZE, lambda: chat.button(me, "frist_snooze", str(frist["SNOOZE"]))),
        (Action.ACKNOWLEDGE, lambda: chat.button(me, "frist_ack", str(frist["ACK"]))),
        (Action.EXTEND, lambda: chat.button(me, "frist_extend", str(frist["EXT2"]))),
        (Action.VIEW_CASE, lambda: chat.button(me, "case_show", code("SHOW"))),
        (Action.REASSIGN, lambda: chat.button(me, "case_reassign", code("REASSIGN"))),
        (
            Action.REGISTER_EVENT,
            lambda: chat.submit_form(
                me,
                "ny",
                {"handelse": "skyddsbedomning_klar", "datum": "2026-06-15", "kod": code("REG")},
                {},
            ),
        ),
        (Action.TEAM, lambda: chat.command(me, "team" + unit_arg)),
        (Action.STATISTICS, lambda: chat.command(me, "statistik" + unit_arg)),
        (Action.WORKLOAD, lambda: chat.command(me, "belastning" + unit_arg)),
        (Action.MY_DEADLINES, lambda: chat.command(me, "")),
        (Action.OVERDUE, lambda: chat.command(me, "försenade")),
        (Action.ABSENCE, lambda: chat.command(me, "frånvaro 2026-07-01 2026-07-02")),
        (Action.HELP, lambda: chat.command(me, "hjälp")),
        (Action.ADMIN, lambda: chat.command(me, "admin")),
    ]
    wrong = []
    for action, run in checks:
        before = await _refusals(engine)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="frister.access"):
            await run()
        refused = await _refusals(engine) > before
        personal = action in (
            Action.MY_DEADLINES,
            Action.OVERDUE,
            Action.ABSENCE,
            Action.HELP,
            Action.ADMIN,
        )
        want = expected(action, role, "mine" if personal else scope)
        if refused == want:
            wrong.append((action.value, "refused" if refused else "allowed"))
        if refused:
            assert [r for r in caplog.records if "refused" in r.getMessage()]
            for record in caplog.records:
                assert code("VIEW")[:4] not in record.getMessage()
    assert wrong == []


async def test_refusal_audited_without_case(app, engine):
    await _world(app, engine, Role.HANDLAGGARE, "unit")
    answer = await app.chat().command(Caller(ACTOR), f"ärende {code_of('unit-VIEW')}")
    assert answer.messages[0].text.startswith("Du har inte behörighet")
    async with transaction(session_factory(engine)) as session:
        row = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "atkomst_nekad"))
        ).scalar_one()
    assert row.actor == ACTOR
    assert row.arende_code is None
    assert code_of("unit-VIEW") not in row.detail
