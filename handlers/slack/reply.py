"""Showing a service's answer in Slack: forms open as modals, messages go to the response_url
(ephemeral unless the service made the answer public), home tabs are published again."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.service import ChatService
from bot.i18n import _
from bot.ports.conversation import Answer
from handlers.slack import blocks

log = logging.getLogger("frister.slack")


async def show(
    answer: Answer,
    *,
    chat: ChatService,
    client: AsyncWebClient,
    user_id: str,
    respond=None,
    trigger_id: str | None = None,
    pressed: bool = False,
) -> None:
    """Open the form, send the messages (replacing the message whose button was `pressed`
    when the service asks for it), and refresh the home tabs of the people concerned."""
    if answer.form is not None and trigger_id:
        try:
            await client.views_open(trigger_id=trigger_id, view=blocks.modal(answer.form))
        except SlackApiError as error:  # e.g. expired_trigger_id: Slack allows 3 seconds
            log.warning("form not opened: %s", error.response.get("error"))
            if respond is not None:
                await respond(text=_("The form could not be opened. Please try again."))
    replacing = pressed and answer.replace is not None and respond is not None
    if replacing:
        await respond(replace_original=True, **blocks.message_payload(answer.replace))
    for message in answer.messages:
        if replacing and message is answer.replace:
            continue
        payload = blocks.message_payload(message)
        if respond is not None:
            await respond(
                response_type="in_channel" if answer.public else "ephemeral",
                replace_original=False,
                **payload,
            )
        else:  # no response_url (the home tab): a direct message
            opened = await client.conversations_open(users=user_id)
            await client.chat_postMessage(
                channel=opened["channel"]["id"], unfurl_links=False, **payload
            )
    await refresh(answer.refresh, chat=chat, client=client)


async def refresh(users, *, chat: ChatService, client: AsyncWebClient) -> None:
    for user in dict.fromkeys(users):
        await publish_home(user, chat=chat, client=client)


async def publish_home(user_id: str, *, chat: ChatService, client: AsyncWebClient) -> None:
    """Publish a user's home tab; a failure is logged, never shown to the one who acted."""
    try:
        await client.views_publish(user_id=user_id, view=blocks.home(await chat.home(user_id)))
    except SlackApiError as error:
        log.warning("home tab of %s not published: %s", user_id, error.response.get("error"))
