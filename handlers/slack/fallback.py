"""Bolt's error handler: a listener that fails (after its acknowledgement, or before it) must
not leave the person with silence, and the log must not get what they wrote.

The person gets a short apology through the response_url (commands, buttons) or in the modal
(forms); the log gets the kind of request, the user id, the exception's type and where it was
raised: never the exception's message, which may quote the command text or form values (a
database error quotes its parameters).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.forms import Form
from bot.domain.messages import Message
from bot.errorlog import raised_at
from bot.i18n import _
from handlers.slack import blocks

log = logging.getLogger("frister.slack")


def apology() -> str:
    return _("Something went wrong, so I could not answer. Please try again in a while.")


def request_kind(body: dict[str, Any]) -> str:
    """What was asked, without what was written: `/frister`, a button's or form's id, an
    event's type."""
    if "command" in body:
        return f"command {body['command']}"
    kind = str(body.get("type") or "request")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"button {actions[0].get('action_id')}"
    if kind == "view_submission":
        return f"form {(body.get('view') or {}).get('callback_id')}"
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type')}"
    return kind


def user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user_id") or body.get("user") or (body.get("event") or {}).get("user")
    return str(user.get("id")) if isinstance(user, dict) else user


def _failed_view() -> dict[str, Any]:
    text = apology()
    intro = Message(text, body=(text,))
    return blocks.modal(Form("resultat", _("Not saved"), close=_("Close"), intro=intro))


async def failed(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: AsyncRespond | None,
    client: AsyncWebClient,
) -> BoltResponse | None:
    """Log the failure and tell the person. `response` is the HTTP answer to Slack when it
    has not been sent yet (the listener failed before its acknowledgement, or Bolt waits for
    the whole listener); None when the acknowledgement is already on its way."""
    log.error(
        "%s from %s failed: %s at %s",
        request_kind(body),
        user_of(body),
        type(error).__name__,
        raised_at(error),
    )
    try:
        if body.get("type") == "view_submission":
            return await _tell_in_modal(body, response, client)
        if respond is not None:
            await respond(text=apology(), response_type="ephemeral", replace_original=False)
            if response is not None:  # Slack would show its own error beside the apology
                return BoltResponse(status=200, body="")
    except Exception as again:  # the apology is best effort
        log.warning("the apology was not delivered: %s", type(again).__name__)
    return None


async def _tell_in_modal(
    body: dict[str, Any], response: BoltResponse | None, client: AsyncWebClient
) -> BoltResponse | None:
    view = _failed_view()
    if response is not None:  # the acknowledgement itself shows the apology
        return BoltResponse(
            status=200,
            body=json.dumps({"response_action": "update", "view": view}, ensure_ascii=False),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    view_id = (body.get("view") or {}).get("id")
    if view_id:
        await client.views_update(view_id=view_id, view=view)
    return None
