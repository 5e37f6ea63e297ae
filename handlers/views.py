"""Modal submissions. Field errors that need no database come back in the acknowledgement;
otherwise the modal is acknowledged with a "saving" view and then updated with the outcome
(or with the form again, as filled in, and what was wrong)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.ports.conversation import Caller
from handlers import blocks
from handlers.reply import refresh

FORMS = ("ny", "forlang", "omfordela")


def register(app: AsyncApp, services) -> None:
    chat = services.chat

    async def submitted(ack, body, view, client) -> None:
        kind = view["callback_id"]
        values = blocks.form_values(view)
        errors = chat.validate_form(kind, values)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=blocks.modal(chat.saving_form()))
        caller = Caller(body["user"]["id"])
        result = await chat.submit_form(caller, kind, values, blocks.form_state(view))
        outcome = result.view or chat.problem_form(result.errors)
        await client.views_update(view_id=view["id"], view=blocks.modal(outcome))
        await refresh(result.refresh, chat=chat, client=client)

    for kind in FORMS:
        app.view(kind)(submitted)
