"""Modal submissions. Field errors that need no database come back in the acknowledgement;
otherwise the modal is acknowledged with a "saving" view and then updated with the outcome
(or with the form again, as filled in, and what was wrong)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports.conversation import Caller
from handlers.slack import blocks
from handlers.slack.adapter import Adapter
from handlers.slack.reply import refresh

FORMS = ("ny", "forlang", "omfordela")


async def submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    adapter: Adapter,
) -> None:
    chat = adapter.chat
    kind = view["callback_id"]
    values = blocks.form_values(view)
    errors = chat.validate_form(kind, values)  # needs no database: fits in Slack's 3 seconds
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack(response_action="update", view=blocks.modal(chat.saving_form()))
    result = await chat.submit_form(
        Caller(body["user"]["id"]), kind, values, blocks.form_state(view)
    )
    outcome = result.view or chat.problem_form(result.errors)
    await client.views_update(view_id=view["id"], view=blocks.modal(outcome))
    await refresh(result.refresh, chat=chat, client=client)


def register(app: AsyncApp) -> None:
    for kind in FORMS:
        app.view(kind)(submitted)
