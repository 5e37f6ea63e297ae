"""Reading incoming Teams activities (as JSON, the Bot Framework schema): who asks, where,
what they typed, and where Frister can reach them later. No SDK types, no I/O."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import datetime
from typing import Any

from bot.domain import markup
from bot.domain.staff import ENTRA_OBJECT_ID, normal_user_id
from bot.ports.addresses import Address
from bot.ports.conversation import Caller

PLATFORM = "teams"
_TAG = re.compile(r"<[^>]*>")

Json = dict[str, Any]


def as_json(activity: Any) -> Json:
    """An SDK activity as the JSON Teams sent (camelCase keys)."""
    return activity.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def conversation_id(activity: Json) -> str:
    """The conversation without a thread suffix (`19:…@thread.tacv2;messageid=…`)."""
    return str(_get(activity, "conversation", "id") or "").split(";", 1)[0]


def is_personal(activity: Json) -> bool:
    return _get(activity, "conversation", "conversationType") == "personal"


def tenant(activity: Json) -> str | None:
    value = _get(activity, "channelData", "tenant", "id") or _get(
        activity, "conversation", "tenantId"
    )
    return str(value).lower() if value else None


def person(activity: Json) -> str | None:
    """The sender's Entra object id (how Frister knows staff in Teams)."""
    value = _get(activity, "from", "aadObjectId")
    return str(value).lower() if value else None


def form_value(value: Any) -> str | None:
    """A dialog input's value as the chat service takes it: empty and an unticked toggle are
    None; a person picked in the people picker (an Entra object id) in lower case, as Teams
    names the sender (`person`)."""
    if value in (None, "", "false"):
        return None
    text = str(value)
    return normal_user_id(text) if ENTRA_OBJECT_ID.match(text.strip()) else text


def caller(activity: Json) -> Caller | None:
    who = person(activity)
    if who is None:
        return None
    return Caller(who, conversation_id(activity) or None, direct=is_personal(activity))


def replay_key(activity: Json) -> str | None:
    """What identifies one delivery: Teams resends an activity with the same id."""
    activity_id = activity.get("id")
    if not activity_id:
        return None
    seen = f"{conversation_id(activity)}\n{activity.get('type')}\n{activity_id}"
    return "teams:" + hashlib.sha256(seen.encode("utf-8")).hexdigest()[:64]


def mentions(activity: Json) -> list[Json]:
    return [
        entity
        for entity in activity.get("entities") or ()
        if isinstance(entity, dict) and entity.get("type") == "mention"
    ]


def command_text(activity: Json, people: dict[str, str] | None = None) -> str:
    """The typed text as a command: Frister's own @-mention removed, other people's mentions
    as neutral markup (by Entra object id; `people` maps other Teams ids to one), any HTML
    and forged markup markers gone, whitespace collapsed."""
    people = people or {}
    text = markup.strip(str(activity.get("text") or ""))
    own = _get(activity, "recipient", "id")
    for entity in mentions(activity):
        shown = markup.strip(str(entity.get("text") or ""))
        mentioned = entity.get("mentioned") or {}
        if not shown or shown not in text:
            continue
        if mentioned.get("id") == own:
            text = text.replace(shown, " ", 1)
            continue
        aad = mentioned.get("aadObjectId") or people.get(str(mentioned.get("id")))
        name = _TAG.sub("", shown)
        text = text.replace(shown, markup.mention(str(aad).lower()) if aad else name, 1)
    text = html.unescape(_TAG.sub(" ", text)).replace("\u00a0", " ")
    return " ".join(text.split())


def addresses(activity: Json, now: datetime) -> list[Address]:
    """Where this activity shows Frister can reach someone unasked: the sender's 1:1 chat
    (personal scope) or the channel (team scope)."""
    service_url = activity.get("serviceUrl")
    conversation = conversation_id(activity)
    if not service_url or not conversation:
        return []
    found: list[Address] = []

    def add(key: str | None, name: Any) -> None:
        if key:
            shown = str(name).strip()[:200] if isinstance(name, str) and name.strip() else None
            found.append(
                Address(PLATFORM, key, conversation, str(service_url), tenant(activity), now, shown)
            )

    if is_personal(activity):
        add(person(activity), _get(activity, "from", "name"))
    elif _get(activity, "conversation", "conversationType") == "channel":
        add(
            _get(activity, "channelData", "channel", "id") or conversation,
            _get(activity, "channelData", "channel", "name"),
        )
    return found
