"""Reading Teams activities: the command text (own mention stripped, other mentions as
markup), who asks and where, and which addresses an activity reveals."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import markup
from handlers.teams import activities

BOT = "28:frister"
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def channel_message(text: str, entities: list[dict]) -> dict:
    return {
        "type": "message",
        "id": "1700000000001",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:anna", "aadObjectId": "AAAA-1"},
        "recipient": {"id": BOT},
        "conversation": {
            "id": "19:abc@thread.tacv2;messageid=1700000000000",
            "conversationType": "channel",
        },
        "channelData": {"tenant": {"id": "T1"}, "channel": {"id": "19:abc@thread.tacv2"}},
        "text": text,
        "entities": entities,
    }


def mention(member: str, shown: str, aad: str | None = None) -> dict:
    mentioned = {"id": member, "name": shown}
    if aad:
        mentioned["aadObjectId"] = aad
    return {"type": "mention", "mentioned": mentioned, "text": f"<at>{shown}</at>"}


def test_own_mention_stripped_other_people_become_markup():
    raw = channel_message(
        "<at>Frister</at> omfördela ABCD-2345 <at>Bo</at>&nbsp;<at>Cia</at>",
        [
            mention(BOT, "Frister"),
            mention("29:bo", "Bo", aad="BBBB-2"),
            mention("29:cia", "Cia"),
        ],
    )
    text = activities.command_text(raw, {"29:cia": "CCCC-3"})
    assert text == f"omfördela ABCD-2345 {markup.mention('bbbb-2')} {markup.mention('cccc-3')}"


def test_unresolved_mention_keeps_the_name_and_markers_cannot_be_forged():
    forged = markup.mention("someone-else")
    raw = channel_message(
        f"<at>Frister</at> mina {forged} <at>Dan</at>",
        [mention(BOT, "Frister"), mention("29:dan", "Dan")],
    )
    assert activities.command_text(raw) == "mina @someone-else Dan"


def test_html_is_text():
    raw = channel_message(
        "<p><at>Frister</at> ärende <b>ABCD-2345</b> &amp; mer</p>", [mention(BOT, "Frister")]
    )
    assert activities.command_text(raw) == "ärende ABCD-2345 & mer"


def test_caller_and_channel_address():
    raw = channel_message("<at>Frister</at> mina", [mention(BOT, "Frister")])
    caller = activities.caller(raw)
    assert (caller.user_id, caller.channel_id, caller.direct) == (
        "aaaa-1",
        "19:abc@thread.tacv2",
        False,
    )
    [address] = activities.addresses(raw, AT)
    assert (address.key, address.conversation_id, address.tenant_id) == (
        "19:abc@thread.tacv2",
        "19:abc@thread.tacv2",
        "t1",
    )


def test_personal_chat_address_is_the_person():
    raw = {
        "type": "conversationUpdate",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:anna", "aadObjectId": "AAAA-1"},
        "conversation": {"id": "a:1xyz", "conversationType": "personal", "tenantId": "T1"},
    }
    [address] = activities.addresses(raw, AT)
    assert (address.key, address.conversation_id) == ("aaaa-1", "a:1xyz")
    assert activities.caller(raw).direct


def test_replay_key_depends_on_conversation_and_id():
    one = channel_message("x", [])
    assert activities.replay_key(one) == activities.replay_key(dict(one))
    assert activities.replay_key(one) != activities.replay_key(one | {"id": "other"})
    assert activities.replay_key(one | {"id": None}) is None
