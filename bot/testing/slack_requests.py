"""Signed requests to the running HTTP-mode app, as Slack sends them (bolt-python's own tests
sign theirs the same way): form-encoded slash commands, `payload=` JSON interactions, JSON
events; `X-Slack-Signature` v0 HMAC-SHA256 over `v0:timestamp:body`.

Used by the tests (`SlackSender`) and the slash-command benchmark (`signed_headers`)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.testing.slack_standin import SlackStandIn, View

TEAM = "T0STANDIN"


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: "v0=" + hex HMAC-SHA256 of "v0:timestamp:body"."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return "v0=" + digest.hexdigest()


def signed_headers(
    secret: str,
    body: str,
    content_type: str = "application/x-www-form-urlencoded",
    timestamp: int | None = None,
    signature_override: str | None = None,
) -> dict[str, str]:
    """The headers Slack sends with `body`: signed now (or at `timestamp`), unless a
    `signature_override` is given (to test refusals)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature_override or signature(secret, ts, body),
    }


class SlackSender:
    """Signed Slack requests to the app at `url`; their response_urls point at `standin`."""

    def __init__(self, url: str, secret: str, standin: SlackStandIn) -> None:
        self.url = url
        self.secret = secret
        self.standin = standin
        self.session = aiohttp.ClientSession()
        self._ids = itertools.count(1)

    async def close(self) -> None:
        await self.session.close()

    def headers(
        self,
        body: str,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> dict[str, str]:
        return signed_headers(self.secret, body, content_type, timestamp, signature)

    async def post(self, body: str, content_type: str, **kwargs) -> tuple[int, str]:
        headers = self.headers(body, content_type, **kwargs)
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    def command_body(self, user: str, text: str, channel: str = "D0DIREKT") -> str:
        n = next(self._ids)
        return urlencode(
            {
                "token": "legacy-unused",
                "team_id": TEAM,
                "channel_id": channel,
                "user_id": user,
                "command": "/frister",
                "text": text,
                "response_url": self.standin.response_url(f"cmd{n}"),
                "trigger_id": f"{n}.{user}.trigger",
                "api_app_id": "A0FRISTER",
            }
        )

    async def command(self, user: str, text: str = "", channel: str = "D0DIREKT", **kw):
        return await self.post(
            self.command_body(user, text, channel), "application/x-www-form-urlencoded", **kw
        )

    def _payload(self, payload: dict[str, Any]) -> str:
        return urlencode({"payload": json.dumps(payload)})

    def action_body(
        self,
        user: str,
        action_id: str,
        value: str,
        channel: str | None = None,
        container: str = "message",
    ) -> str:
        n = next(self._ids)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0FRISTER",
            "trigger_id": f"{n}.{user}.trigger",
            "container": {"type": container},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if container == "message":
            payload["channel"] = {"id": channel or f"D{user}"}
            payload["response_url"] = self.standin.response_url(f"act{n}")
            payload["message"] = {"ts": "1700000000.000100", "text": "…"}
        return self._payload(payload)

    async def press(self, user: str, action_id: str, value: str, **kwargs):
        return await self.post(
            self.action_body(user, action_id, value, **kwargs), "application/x-www-form-urlencoded"
        )

    def submission_body(self, user: str, opened: View, values: dict[str, Any]) -> str:
        """A view_submission of a modal the stand-in saw opened, with `values` per block:
        a str for text, dates and selects, ("user", "U…") for a user, ["v"] for checkboxes."""
        state: dict[str, dict[str, Any]] = {}
        for block in opened.view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            kind, action_id = element["type"], element["action_id"]
            value = values.get(block["block_id"])
            if kind == "static_select":
                entry = {"selected_option": {"value": value} if value else None}
            elif kind == "datepicker":
                entry = {"selected_date": value}
            elif kind == "users_select":
                entry = {"selected_user": value}
            elif kind == "checkboxes":
                entry = {"selected_options": [{"value": v} for v in value or []]}
            else:
                entry = {"value": value}
            state[block["block_id"]] = {action_id: {"type": kind, **entry}}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0FRISTER",
            "trigger_id": f"{next(self._ids)}.{user}.trigger",
            "view": {
                **opened.view,
                "id": opened.view_id,
                "state": {"values": state},
            },
        }
        return self._payload(payload)

    async def submit(self, user: str, opened: View, values: dict[str, Any]):
        return await self.post(
            self.submission_body(user, opened, values), "application/x-www-form-urlencoded"
        )

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "legacy-unused",
                "team_id": TEAM,
                "api_app_id": "A0FRISTER",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids):08d}",
                "event_time": int(time.time()),
                "event": event,
            }
        )

    async def event(self, event: dict[str, Any], event_id: str | None = None):
        return await self.post(self.event_body(event, event_id), "application/json")
