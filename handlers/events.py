"""Events: the home tab is published when someone opens it."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.reply import publish_home


def register(app: AsyncApp, services) -> None:
    chat = services.chat

    @app.event("app_home_opened")
    async def home_opened(event, client) -> None:
        if event.get("tab", "home") != "home":
            return
        await publish_home(event["user"], chat=chat, client=client)
