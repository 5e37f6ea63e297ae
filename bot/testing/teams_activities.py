"""Incoming Teams activities as the Bot Connector sends them (JSON, the Bot Framework schema),
for tests and the demo: an install, a message in the 1:1 chat or a channel (with the bot's
mention entity), a card button (Action.Execute → adaptiveCard/action) and dialogs (task/fetch,
task/submit). Every activity gets a fresh id unless one is given (a redelivery keeps it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class TeamsParty:
    """Where the activities come from: the connector's service URL, the tenant, the bot."""

    service_url: str
    tenant_id: str
    bot_id: str  # "28:<app id>"
    bot_name: str = "Frister"
    names: dict[str, str] = field(default_factory=dict)  # display names Teams shows

    def _base(self, kind: str, user: str, conversation: JsonDict, **extra: Any) -> JsonDict:
        activity: JsonDict = {
            "type": kind,
            "id": extra.pop("activity_id", None) or uuid.uuid4().hex,
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": f"29:{user}", "aadObjectId": user, "name": self.names.get(user, user)},
            "recipient": {"id": self.bot_id, "name": self.bot_name},
            "conversation": {**conversation, "tenantId": self.tenant_id},
            "channelData": {"tenant": {"id": self.tenant_id}},
        }
        return activity | extra

    def personal(self, conversation_id: str) -> JsonDict:
        return {"id": conversation_id, "conversationType": "personal"}

    def channel(self, channel_id: str) -> JsonDict:
        return {"id": channel_id, "conversationType": "channel", "isGroup": True}

    def install(self, user: str, conversation_id: str, **extra: Any) -> JsonDict:
        """The app added to a person's 1:1 chat (personal scope)."""
        return self._base(
            "conversationUpdate",
            user,
            self.personal(conversation_id),
            membersAdded=[{"id": self.bot_id}],
            **extra,
        )

    def message(self, user: str, conversation_id: str, text: str, **extra: Any) -> JsonDict:
        """Text typed in the person's 1:1 chat with Frister."""
        return self._base("message", user, self.personal(conversation_id), text=text, **extra)

    def channel_message(
        self, user: str, channel_id: str, text: str, team_id: str = "19:team", **extra: Any
    ) -> JsonDict:
        """`@Frister TEXT` in a team channel, with the bot's mention entity."""
        shown = f"<at>{self.bot_name}</at>"
        activity = self._base(
            "message",
            user,
            self.channel(channel_id),
            text=f"{shown} {text}",
            entities=[
                {
                    "type": "mention",
                    "text": shown,
                    "mentioned": {"id": self.bot_id, "name": self.bot_name},
                }
            ],
            **extra,
        )
        activity["channelData"] |= {"channel": {"id": channel_id}, "team": {"id": team_id}}
        return activity

    def press(
        self, user: str, conversation_id: str, action: JsonDict, reply_to: str, **extra: Any
    ) -> JsonDict:
        """An Action.Execute button of a card in the 1:1 chat pressed."""
        value = {"action": {"type": "Action.Execute", **action}, "trigger": "manual"}
        return self._base(
            "invoke",
            user,
            self.personal(conversation_id),
            name="adaptiveCard/action",
            value=value,
            replyToId=reply_to,
            **extra,
        )

    def fetch(self, user: str, conversation_id: str, data: JsonDict, **extra: Any) -> JsonDict:
        """A dialog opened (task/fetch) with the data of the button that opens it."""
        return self._base(
            "invoke",
            user,
            self.personal(conversation_id),
            name="task/fetch",
            value={"data": data, "context": {"theme": "default"}},
            **extra,
        )

    def submit(self, user: str, conversation_id: str, data: JsonDict, **extra: Any) -> JsonDict:
        """A dialog submitted (task/submit): the submit button's data plus the inputs."""
        return self._base(
            "invoke",
            user,
            self.personal(conversation_id),
            name="task/submit",
            value={"data": data, "context": {"theme": "default"}},
            **extra,
        )


def card_actions(card: JsonDict | None) -> list[JsonDict]:
    """The actions of a card (its `actions`, and those of ActionSets in its body)."""
    if not card:
        return []
    found = list(card.get("actions") or [])
    for element in card.get("body") or []:
        if isinstance(element, dict) and element.get("type") == "ActionSet":
            found += element.get("actions") or []
    return found


def button(card: JsonDict | None, verb: str) -> JsonDict:
    """The Action.Execute with `verb` (as `press` takes it: verb and data)."""
    for action in card_actions(card):
        if action.get("verb") == verb:
            return {"verb": verb, "data": action.get("data") or {}}
    raise LookupError(f"no button {verb!r} on the card")
