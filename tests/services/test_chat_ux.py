"""What people tripped over in chat (issue 12): horizons, refused words, Ångra, the case
history, the `ny` form, frånvaro by name, omfördela, the socialchef's breakdown."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.chat.service import ChatService
from bot.domain.ladder import SendingTime
from bot.domain.markup import mention
from bot.domain.roles import Role
from bot.domain.staff import StaffMember
from bot.ports.conversation import Caller
from tests.services.conftest import LIMITS, NORD, TZ, World

ANNA, BO, DAN, EVA, GUN, ADA = (
    "U0ANNA001",
    "U0BO00001",
    "U0DAN0001",
    "U0EVA0001",
    "U0GUN0001",
    "U0ADA0001",
)
SYD = "Barn och unga Syd"
CODE = "K7QM-3XTP"


def chat(world: World) -> ChatService:
    return ChatService(
        world.uow, world.pack, world.calendar, SendingTime(time(8, 0), TZ), world.clock, LIMITS
    )


def text(answer) -> str:
    return "\n".join(m.text for m in answer.messages)


async def people(world: World) -> dict[str, int]:
    """Nord: Anna and Bo (handläggare), Dan (chef); Syd: Eva; Gun socialchef; Ada admin."""
    rows = [
        (ANNA, Role.HANDLAGGARE, NORD, "anna.lind@kommun.se"),
        (BO, Role.HANDLAGGARE, NORD, "bo.berg@kommun.se"),
        (DAN, Role.CHEF, NORD, "dan@kommun.se"),
        (EVA, Role.HANDLAGGARE, SYD, "eva@kommun.se"),
        (GUN, Role.SOCIALCHEF, None, "gun@kommun.se"),
        (ADA, Role.ADMIN, None, "ada@kommun.se"),
    ]
    async with world.uow() as uow:
        await uow.cases.upsert_staff(
            [StaffMember(chat_user_id=c, role=r, enhet=e, email=m) for c, r, e, m in rows],
            world.clock.now(),
        )
        found = {c: await uow.chat.staff_by_chat_id(c) for c, *_rest in rows}
    return {c: p.id for c, p in found.items() if p and p.id}


async def far_case(world: World) -> int:
    """A case of Anna's with near deadlines (skydds- and förhandsbedömning) and a far one
    (övervägande, six months after a placering)."""
    return await world.case(
        CODE,
        ANNA,
        [("anmalan_inkom", date(2026, 11, 20)), ("placering_verkstalld", date(2026, 11, 20))],
    )


async def investigation(world: World) -> int:
    """A case of Anna's with an utredning opened today (four months, extendable)."""
    return await world.case(CODE, ANNA, [("utredning_inledd", date(2026, 11, 23))])


# ---- horizons -------------------------------------------------------------------------------


async def test_deadlines_further_ahead_are_counted(world: World) -> None:
    await people(world)
    await world.case(CODE, ANNA, [("placering_verkstalld", date(2026, 11, 20))])
    service = chat(world)
    answer = text(await service.command(Caller(ANNA), ""))
    assert "inga öppna frister de närmaste 14 dagarna" in answer
    assert "+2 frister längre fram (`/frister alla` visar alla)." in answer
    every = text(await service.command(Caller(ANNA), "alla"))
    assert "Alla dina öppna frister" in every and CODE in every
    home = "\n".join(m.text for m in await service.home(ANNA))
    assert "+2 frister längre fram" in home


async def test_team_takes_a_horizon(world: World) -> None:
    await people(world)
    await far_case(world)
    service = chat(world)
    short = text(await service.command(Caller(DAN), "team"))
    assert "Övervägande" not in short and "2 frister senare än 30 dagar" in short
    wide = text(await service.command(Caller(DAN), "team 200"))
    assert "ingen enhet" not in wide and "Övervägande" in wide
    refused = text(await service.command(Caller(DAN), "team 400"))
    assert "1–366" in refused


# ---- words ----------------------------------------------------------------------------------


async def test_unknown_words_never_point_to_a_change(world: World) -> None:
    await people(world)
    service = chat(world)
    answer = text(await service.command(Caller(ANNA), "klra"))
    assert "klar" not in answer.replace("klra", "")
    trailing = text(await service.command(Caller(ANNA), "mina ärenden"))
    assert "Jag förstod inte ”ärenden” efter `/frister mina`." in trailing


async def test_admin_is_pointed_to_admin(world: World) -> None:
    await people(world)
    answer = text(await chat(world).command(Caller(ADA), ""))
    assert "`/frister admin`" in answer and "behörighet" not in answer


# ---- Ångra ----------------------------------------------------------------------------------


async def test_undo_opens_the_deadline_again_the_same_day(world: World) -> None:
    await people(world)
    case_id = await far_case(world)
    service = chat(world)
    done = await service.command(Caller(ANNA), f"klar {CODE} förhandsbedömning")
    (undo,) = done.messages[0].actions
    assert (undo.id, undo.label) == ("frist_undo", "Ångra")
    world.clock.set(datetime(2026, 11, 23, 22, 30, tzinfo=TZ))  # late, still the same day
    undone = await service.button(Caller(ANNA), undo.id, undo.value)
    assert "Ångrat" in text(undone)
    frist = next(
        f
        for f in world.uow.data.deadlines.values()
        if f.case_id == case_id and f.rule_id == "forhandsbedomning"
    )
    assert (frist.status, frist.closed_on) == ("open", None)
    assert [a.action for a in world.uow.data.audit][-2:] == [
        "frist_klar_markerad",
        "frist_klar_angrad",
    ]


async def test_undo_expires_at_midnight(world: World) -> None:
    await people(world)
    await far_case(world)
    service = chat(world)
    done = await service.command(Caller(ANNA), f"klar {CODE} förhandsbedömning")
    (undo,) = done.messages[0].actions
    world.clock.set(datetime(2026, 11, 24, 0, 5, tzinfo=TZ))
    late = await service.button(Caller(ANNA), undo.id, undo.value)
    assert "bara samma dag" in text(late)
    assert "frist_klar_angrad" not in [a.action for a in world.uow.data.audit]


async def test_undo_is_for_those_who_may_mark_done(world: World) -> None:
    await people(world)
    await far_case(world)
    service = chat(world)
    done = await service.command(Caller(ANNA), f"klar {CODE} förhandsbedömning")
    (undo,) = done.messages[0].actions
    answer = await service.button(Caller(EVA), undo.id, undo.value)
    assert "inte behörighet" in text(answer)


# ---- the case view --------------------------------------------------------------------------


async def test_case_history_shows_every_extension_and_lateness(world: World) -> None:
    await people(world)
    await investigation(world)
    service = chat(world)
    first = await service.command(Caller(DAN), f"förläng {CODE} utredning 2027-04-30 Komplettering")
    assert "förlängd" in text(first).lower()
    world.clock.advance(timedelta(days=1))
    await service.command(Caller(DAN), f"förläng {CODE} utredning 2027-05-20 Nytt underlag")
    world.clock.set(datetime(2026, 12, 10, 10, 0, tzinfo=TZ))  # past the information's day
    await service.command(Caller(ANNA), f"klar {CODE} information")
    view = text(await service.command(Caller(ANNA), f"ärende {CODE}"))
    assert view.count("Förlängd: Barnavårdsutredning från") == 2, view
    assert "från 23 mars 2027 till 30 apr. 2027" in view
    assert "från 30 apr. 2027 till 20 maj 2027" in view
    assert "Skäl: Komplettering" in view and "Skäl: Nytt underlag" in view
    assert mention(DAN) in view.split("Förlängd:")[1]
    assert "för sent" in view


async def test_done_in_time_is_marked(world: World) -> None:
    await people(world)
    await far_case(world)
    service = chat(world)
    await service.command(Caller(ANNA), f"klar {CODE} förhandsbedömning")
    view = text(await service.command(Caller(ANNA), f"ärende {CODE}"))
    assert "i tid" in view


# ---- ny -------------------------------------------------------------------------------------


async def test_new_case_offers_only_staff_of_the_enhet(world: World) -> None:
    await people(world)
    form = (await chat(world).command(Caller(DAN), "ny")).form
    assert form is not None
    fields = {f.id: f for f in form.fields}
    assert "niva" not in fields
    offered = {c.value for c in fields["handlaggare"].choices}
    assert offered == {ANNA, BO, DAN}
    assert fields["handelse"].choices[0].value == "anmalan_inkom"


async def test_level_is_asked_only_for_a_decision(world: World) -> None:
    await people(world)
    await world.case(CODE, ANNA, [("placering_verkstalld", date(2026, 6, 1))])
    service = chat(world)
    typed = {"handelse": "overvagande_genomfort", "datum": "2026-11-23", "kod": CODE}
    asked = await service.submit_form(Caller(ANNA), "ny", typed, {})
    assert asked.view is not None and "niva" in {f.id for f in asked.view.fields}
    plain = {"handelse": "skyddsbedomning_klar", "datum": "2026-11-23", "kod": CODE}
    saved = await service.submit_form(Caller(ANNA), "ny", plain, {})
    assert saved.view is not None and saved.view.title == "Händelse registrerad"


async def test_a_new_case_cannot_go_to_another_enhet(world: World) -> None:
    await people(world)
    typed = {"handelse": "anmalan_inkom", "datum": "2026-11-23", "nytt": "nytt", "handlaggare": EVA}
    result = await chat(world).submit_form(Caller(DAN), "ny", typed, {})
    assert result.view is not None and "arbetar inte på" in result.view.intro.text
    assert not world.uow.data.cases


# ---- frånvaro -------------------------------------------------------------------------------


async def test_absence_with_a_typed_name(world: World) -> None:
    ids = await people(world)
    answer = text(await chat(world).command(Caller(ANNA), "frånvaro 2026-12-01 2026-12-05 @Bo"))
    assert mention(BO) in answer
    assert world.uow.data.staff[ids[ANNA]].substitute_id == ids[BO]


async def test_absence_with_oneself_as_substitute(world: World) -> None:
    await people(world)
    service = chat(world)
    for typed in ("@anna", f"{ANNA}"):
        answer = text(
            await service.command(Caller(ANNA), f"frånvaro 2026-12-01 2026-12-05 {typed}")
        )
        assert answer == "Du kan inte vara din egen ersättare."


async def test_absence_with_an_unknown_name(world: World) -> None:
    await people(world)
    answer = text(await chat(world).command(Caller(ANNA), "frånvaro 2026-12-01 2026-12-05 @Olle"))
    assert "Ingen som heter ”Olle”" in answer


# ---- omfördela ------------------------------------------------------------------------------


async def test_reassign_by_command_tells_the_previous_handlaggare(world: World) -> None:
    ids = await people(world)
    case_id = await far_case(world)
    answer = text(await chat(world).command(Caller(DAN), f"omfördela {CODE} @Bo"))
    assert f"{mention(BO)} är nu handläggare för ärende {CODE}" in answer
    assert world.uow.data.cases[case_id].handlaggare_id == ids[BO]
    told = [n for n in world.uow.data.notifications.values() if n.step.startswith("info:")]
    assert [n.recipient for n in told] == [f"person:{ids[ANNA]}"]
    assert "omfördelats" in (told[0].payload or "")


async def test_reassign_picker_lists_only_who_may_take_it(world: World) -> None:
    await people(world)
    await far_case(world)
    service = chat(world)
    form = (await service.command(Caller(DAN), f"omfördela {CODE}")).form
    assert form is not None
    assert {c.value for c in form.fields[0].choices} == {BO, DAN}
    refused = text(await service.command(Caller(DAN), f"omfördela {CODE} @Eva"))
    assert "arbetar inte på" in refused
    handlaggare = text(await service.command(Caller(BO), f"omfördela {CODE} @Bo"))
    assert "inte behörighet" in handlaggare


# ---- socialchef -----------------------------------------------------------------------------


async def test_socialchef_sees_each_enhet_and_rule(world: World) -> None:
    await people(world)
    await far_case(world)
    service = chat(world)
    for command in ("team", "statistik"):
        answer = text(await service.command(Caller(GUN), command))
        assert "Per enhet" in answer and "Per frist" in answer, answer
        assert f"{NORD}: öppna" in answer
        assert "Förhandsbedömning: öppna 1" in answer


async def test_done_never_closes_a_similar_named_other_deadline(world: World) -> None:
    await people(world)
    case_id = await world.case(
        CODE,
        ANNA,
        [("anmalan_inkom", date(2026, 11, 20)), ("utredning_inledd", date(2026, 11, 23))],
    )  # the utredning closed förhandsbedömning; skyddsbedömning is still open
    answer = text(await chat(world).command(Caller(ANNA), f"klar {CODE} förhandsbedömning"))
    assert "redan avslutad" in answer
    open_rules = {
        f.rule_id
        for f in world.uow.data.deadlines.values()
        if f.case_id == case_id and f.status == "open"
    }
    assert "skyddsbedomning" in open_rules
