"""Events: the home tab is published when someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.adapter import Adapter
from handlers.slack.reply import publish_home


async def home_opened(event: dict[str, Any], client: AsyncWebClient, adapter: Adapter) -> None:
    if event.get("tab", "home") != "home":
        return
    await publish_home(event["user"], chat=adapter.chat, client=client)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
