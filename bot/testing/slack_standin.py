"""A local stand-in for the Slack Web API: an aiohttp server on 127.0.0.1 (port 0 by default).

Used by the test-suite, the benchmarks and `frister demo`, so it imports only aiohttp and the
standard library (never slack_sdk). Point a client at `SlackStandIn.url` (slack_sdk: `base_url=`).

It answers a handful of Web API methods the way Slack does (JSON with `ok`, Slack's error codes),
records every request in `calls` and every delivered `chat.postMessage` in `posts`, and injects
faults per method (`inject`): 429 + Retry-After, 5xx, slow answers, dropped connections and
`ok:false` errors. `enforce_rate_limits` adds real limiting with 429s for benchmarks.

    async with SlackStandIn() as slack:
        slack.add_user("U1", "anna@example.se")
        slack.inject("chat.postMessage", Fault.rate_limit(7))
        ...
        assert slack.posts[0].user == "U1"
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import socket
import struct
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.testing.blockkit import MAX_TEXT, block_errors
from bot.testing.slack_files import SlackFiles, Upload

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

FIRST_TS = 1_700_000_000  # the seconds part of the first message ts


@dataclass(frozen=True)
class Fault:
    """What the stand-in does instead of (or after) answering normally. Use the constructors."""

    kind: str
    retry_after: int = 1
    status_code: int = 0
    seconds: float = 0.0
    code: str = ""
    body: str | None = None
    content_type: str = "text/html"

    @classmethod
    def rate_limit(cls, retry_after: int = 1) -> Fault:
        """HTTP 429, `Retry-After` and `{"ok": false, "error": "ratelimited"}`; nothing recorded."""
        return cls("rate_limit", retry_after=retry_after)

    @classmethod
    def status(cls, code: int, body: str | None = None, content_type: str = "text/html") -> Fault:
        """HTTP `code` (e.g. 500/502/503) with a body like a proxy's error page (`body=""` for
        an empty one); nothing recorded. Also for answers Slack never gives (200 + garbage)."""
        return cls("status", status_code=code, body=body, content_type=content_type)

    @classmethod
    def timeout(cls, seconds: float) -> Fault:
        """Record nothing, wait `seconds`, then answer ok (the client should time out first)."""
        return cls("timeout", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Reset the connection (TCP RST) before recording anything: not delivered."""
        return cls("reset")

    @classmethod
    def reset_after_record(cls) -> Fault:
        """Process and record the request, then reset the connection: delivered, answer lost."""
        return cls("reset_after_record")

    @classmethod
    def hang_after_record(cls) -> Fault:
        """Process and record the request, then answer only after `SlackStandIn.release()`."""
        return cls("hang_after_record")

    @classmethod
    def error(cls, code: str) -> Fault:
        """HTTP 200 with `{"ok": false, "error": code}`; nothing recorded."""
        return cls("error", code=code)


@dataclass(frozen=True)
class Call:
    """One request as the stand-in received it."""

    method: str  # e.g. "chat.postMessage"
    params: JsonDict  # query, form and JSON body merged (JSON-valued form fields left as text)
    time: float  # time.monotonic() on arrival
    token: str | None  # the bearer token (or the `token` parameter)
    http_method: str  # "GET" | "POST"
    fault: str | None  # the injected Fault.kind, "rate_limited" (enforced), or None


@dataclass
class Post:
    """A delivered message (chat.postMessage; chat.update edits it, keeping the old versions)."""

    channel: str  # the resolved channel id ("D" + user id for a direct message)
    text: str | None
    blocks: list[JsonDict] | None
    metadata: JsonDict | None
    ts: str
    user: str | None = None  # the recipient of a direct message (or of an ephemeral message)
    thread_ts: str | None = None
    params: JsonDict = field(default_factory=dict)
    edits: list[tuple[str | None, list[JsonDict] | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Response:
    """A message posted to a response_url: an answer to a slash command or a button."""

    key: str
    payload: JsonDict
    peer: tuple[str, int] | None = None  # the client's address: the same one = a reused connection

    @property
    def text(self) -> str:
        return str(self.payload.get("text") or "")

    @property
    def blocks(self) -> list[JsonDict]:
        return list(self.payload.get("blocks") or [])

    @property
    def public(self) -> bool:
        return self.payload.get("response_type") == "in_channel"

    @property
    def replaces(self) -> bool:
        return bool(self.payload.get("replace_original"))


@dataclass(frozen=True)
class View:
    """One views.publish / views.open / views.update that Slack accepted."""

    method: str
    view_id: str
    view: JsonDict
    user_id: str | None = None
    trigger_id: str | None = None
    external_id: str | None = None


@dataclass
class _User:
    id: str
    email: str | None
    deleted: bool
    is_bot: bool = False


@dataclass
class _Channel:
    id: str
    member: bool
    archived: bool


class _ApiError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


# --- Block Kit limits that Slack enforces (invalid_blocks) ----------------------------------


def _json_value(value: Any, error: str) -> Any:
    """A JSON-valued parameter: already decoded (JSON body) or a string (form body)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(error) from None
    return value


class SlackStandIn:
    """A Slack Web API stand-in. `await start()` / `await stop()`, or `async with`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = "T0STANDIN",
        bot_user_id: str = "U0FRISTER",
        bot_id: str = "B0FRISTER",
    ) -> None:
        self.host = host
        self.port = port
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.posts: list[Post] = []
        self.ephemerals: list[Post] = []
        self.views: list[View] = []
        self.responses: list[Response] = []  # what was posted to a response_url
        self.on_post: Callable[[Post], None] | None = None
        self.on_response: Callable[[Response], None] | None = None
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._opened: set[str] = set()
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._release = asyncio.Event()
        self._holding_responses: asyncio.Event | None = None
        self._post_waiters: set[asyncio.Event] = set()
        self._ts_counter = 0
        self._view_counter = 0
        self._open_views: dict[str, JsonDict] = {}  # view id -> the latest view
        self._external_ids: dict[str, str] = {}  # external id -> view id
        self._per_channel: float | None = None
        self._per_minute: int | None = None
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, updated at)
        self._windows: dict[str, deque[float]] = defaultdict(deque)  # method -> accepted at
        self._runner: web.AppRunner | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._users[bot_user_id] = _User(bot_user_id, None, deleted=False, is_bot=True)
        self.files = SlackFiles(self, _ApiError)

    @property
    def uploads(self) -> list[Upload]:
        """Every file shared in a channel (files.uploadV2)."""
        return self.files.uploads

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_route("POST", "/respond/{key}", self._respond)
        app.router.add_route("POST", "/upload/{file_id}", self.files.receive)
        # handler_cancellation: a handler stops when its client goes away (timeouts, resets).
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.release()
        for task in list(self._inflight):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def response_url(self, key: str = "r") -> str:
        """A response_url (as Slack puts in slash commands and interactions) that records
        what is posted to it in `responses`."""
        if self._runner is None:
            raise RuntimeError("the stand-in is not running; await start() first")
        return f"http://{self.host}:{self.port}/respond/{key}"

    async def _respond(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(payload, dict):
            return web.Response(status=400, text="invalid_payload")
        blocks = payload.get("blocks")
        errors = block_errors(blocks) if blocks is not None else []
        if errors or not (payload.get("text") or blocks or payload.get("delete_original")):
            return web.Response(status=400, text="invalid_blocks" if errors else "no_text")
        held = self._holding_responses
        if held is not None:  # in flight until release()
            await held.wait()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        response = Response(request.match_info["key"], payload, tuple(peer) if peer else None)
        self.responses.append(response)
        if self.on_response is not None:
            try:
                self.on_response(response)
            except Exception:
                logger.exception("on_response hook failed")
        return web.Response(text="ok")

    @property
    def url(self) -> str:
        """The Web API base URL, e.g. "http://127.0.0.1:54321/api/"."""
        if self._runner is None:
            raise RuntimeError("the stand-in is not running; await start() first")
        return f"http://{self.host}:{self.port}/api/"

    # --- set-up -----------------------------------------------------------------------------

    def add_user(self, user_id: str, email: str | None = None, *, deleted: bool = False) -> None:
        self._users[user_id] = _User(user_id, email, deleted)

    def add_channel(self, channel_id: str, *, member: bool = True, archived: bool = False) -> None:
        self._channels[channel_id] = _Channel(channel_id, member, archived)

    def inject(self, method: str, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `fault` (after earlier injections)."""
        self._faults[method].extend([fault] * times)

    def pending_faults(self, method: str) -> int:
        return len(self._faults[method])

    def release(self) -> None:
        """Let every request held by `Fault.hang_after_record` or `hold_responses` answer."""
        self._release.set()
        self._release = asyncio.Event()
        if self._holding_responses is not None:
            self._holding_responses.set()
            self._holding_responses = None

    def hold_responses(self) -> None:
        """Hold every post to a response_url (unanswered, unrecorded) until `release()`."""
        self._holding_responses = asyncio.Event()

    def enforce_rate_limits(
        self,
        per_channel_per_second: float | None = None,
        workspace_per_minute: int | None = None,
    ) -> None:
        """Answer 429 + Retry-After beyond these rates; `None` turns a limit off.

        `per_channel_per_second`: chat.postMessage per channel, a token bucket holding
        max(1, rate) tokens. `workspace_per_minute`: calls of each method (Slack's tiers are per
        method and workspace) within any 60 seconds.
        """
        self._per_channel = per_channel_per_second
        self._per_minute = workspace_per_minute
        self._buckets.clear()
        self._windows.clear()

    # --- assertions helpers -----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def posts_to(self, channel_or_user: str) -> list[Post]:
        """Posts in a channel, or direct messages to a user (by user id)."""
        return [p for p in self.posts if channel_or_user in (p.channel, p.user)]

    async def wait_for_post(self, channel_or_user: str, timeout: float = 10.0) -> Post | None:
        """The first post in a channel or to a user, waiting up to `timeout` seconds for one
        to arrive (woken by each post, no polling); None if none came in time."""
        arrived = asyncio.Event()
        self._post_waiters.add(arrived)
        try:
            async with asyncio.timeout(timeout):
                while not (posts := self.posts_to(channel_or_user)):
                    await arrived.wait()
                    arrived.clear()
            return posts[0]
        except TimeoutError:
            return None
        finally:
            self._post_waiters.discard(arrived)

    # --- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            return await self._serve(request)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except _ApiError as error:
            return web.json_response({"ok": False, "error": error.code})
        token = _bearer(request) or params.pop("token", None)
        fault = self._faults[method].popleft() if self._faults[method] else None
        wait = None if fault else self._limit(method, params)
        kind = fault.kind if fault else ("rate_limited" if wait is not None else None)
        self.calls.append(Call(method, params, time.monotonic(), token, request.method, kind))
        if wait is not None:
            return _too_many(wait)
        if fault is None:
            return web.json_response(self._answer(method, params, token))
        return await self._faulty(request, method, params, token, fault)

    async def _faulty(
        self, request: web.Request, method: str, params: JsonDict, token: str | None, fault: Fault
    ) -> web.StreamResponse:
        if fault.kind == "rate_limit":
            return _too_many(fault.retry_after)
        if fault.kind == "status":
            body = fault.body
            if body is None:
                body = f"<html><body><h1>{fault.status_code}</h1></body></html>"
            return web.Response(
                status=fault.status_code, text=body, content_type=fault.content_type
            )
        if fault.kind == "error":
            return web.json_response({"ok": False, "error": fault.code})
        if fault.kind == "timeout":
            await asyncio.sleep(fault.seconds)
            answer: JsonDict = {"ok": True}
            if method == "chat.postMessage":  # Slack-shaped, but nothing was recorded
                answer |= {"channel": str(params.get("channel", "")), "ts": self._next_ts()}
            return web.json_response(answer)
        if fault.kind == "reset":
            return await _reset(request)
        answer = self._answer(method, params, token)
        if fault.kind == "reset_after_record":
            return await _reset(request)
        if fault.kind == "hang_after_record":
            await self._release.wait()
            return web.json_response(answer)
        raise ValueError(f"unknown fault {fault.kind!r}")

    async def _read_params(self, request: web.Request) -> JsonDict:
        params: JsonDict = dict(request.query)
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _ApiError("invalid_json") from None
            if not isinstance(body, dict):
                raise _ApiError("invalid_json")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    def _limit(self, method: str, params: JsonDict) -> float | None:
        """Seconds to wait when an enforced rate limit is exceeded, else None (and count it)."""
        now = time.monotonic()
        if self._per_minute is not None:
            window = self._windows[method]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self._per_minute:
                return window[0] + 60 - now
        if self._per_channel is not None and method == "chat.postMessage":
            rate = self._per_channel
            capacity = max(1.0, rate)
            channel = str(params.get("channel", ""))
            tokens, updated = self._buckets.get(channel, (capacity, now))
            tokens = min(capacity, tokens + (now - updated) * rate)
            if tokens < 1:
                self._buckets[channel] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[channel] = (tokens - 1, now)
        if self._per_minute is not None:
            self._windows[method].append(now)
        return None

    # --- Web API methods --------------------------------------------------------------------

    def _answer(self, method: str, params: JsonDict, token: str | None) -> JsonDict:
        handler = self._methods().get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            if not token:
                raise _ApiError("not_authed")
            if token == "xoxb-invalid":
                raise _ApiError("invalid_auth")
            return {"ok": True, **handler(params)}
        except _ApiError as error:
            return {"ok": False, "error": error.code, **error.extra}

    def _methods(self) -> dict[str, Callable[[JsonDict], JsonDict]]:
        return {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.update": self._views_update,
            **self.files.methods(),
        }

    def _auth_test(self, params: JsonDict) -> JsonDict:
        return {
            "url": "https://frister-standin.slack.com/",
            "team": "Frister stand-in",
            "user": "frister",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _active_user(self, user_id: str) -> _User:
        user = self._users.get(user_id)
        if user is None:
            raise _ApiError("user_not_found")
        if user.deleted:
            raise _ApiError("account_inactive")
        return user

    def _conversations_open(self, params: JsonDict) -> JsonDict:
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            channel = str(params.get("channel") or "")
            if channel.startswith("D") and channel[1:] in self._users:
                users = [channel[1:]]
            else:
                raise _ApiError("channel_not_found" if channel else "users_list_not_supplied")
        if len(users) > 1:
            raise _ApiError("not_supported")  # group DMs are not used by Frister
        user = self._active_user(users[0])
        if user.is_bot:
            raise _ApiError("cannot_dm_bot")
        channel_id = "D" + user.id
        already = channel_id in self._opened
        self._opened.add(channel_id)
        return {
            "no_op": already,
            "already_open": already,
            "channel": {"id": channel_id, "is_im": True, "user": user.id},
        }

    def _resolve(self, channel: Any) -> tuple[str, str | None]:
        """(channel id, DM user) for a channel parameter, or the error Slack would give."""
        channel = str(channel or "")
        if not channel:
            raise _ApiError("channel_not_found")
        if channel[0] in "DU" and (channel[1:] if channel[0] == "D" else channel) in self._users:
            user = self._active_user(channel[1:] if channel[0] == "D" else channel)
            if user.is_bot:
                raise _ApiError("cannot_dm_bot")
            return "D" + user.id, user.id
        known = self._channels.get(channel)
        if known is None:
            raise _ApiError("channel_not_found")
        if known.archived:
            raise _ApiError("is_archived")
        if not known.member:
            raise _ApiError("not_in_channel")
        return channel, None

    def _content(self, params: JsonDict) -> tuple[str | None, list[JsonDict] | None]:
        text = params.get("text")
        text = None if text is None else str(text)
        blocks = params.get("blocks")
        if blocks is not None:
            blocks = _json_value(blocks, "invalid_blocks_format")
            errors = block_errors(blocks)
            if errors:
                raise _ApiError("invalid_blocks", errors=errors)
        if not text and not blocks:
            raise _ApiError("no_text")
        if text is not None and len(text) > MAX_TEXT:
            raise _ApiError("msg_too_long")
        return text, blocks

    def _chat_post_message(self, params: JsonDict) -> JsonDict:
        channel, user = self._resolve(params.get("channel"))
        text, blocks = self._content(params)
        metadata = params.get("metadata")
        if metadata is not None:
            metadata = _json_value(metadata, "invalid_metadata_format")
            if not (
                isinstance(metadata, dict)
                and isinstance(metadata.get("event_type"), str)
                and isinstance(metadata.get("event_payload"), dict)
            ):
                raise _ApiError("invalid_metadata_format")
        thread_ts = params.get("thread_ts")
        post = Post(
            channel=channel,
            text=text,
            blocks=blocks,
            metadata=metadata,
            ts=self._next_ts(),
            user=user,
            thread_ts=None if thread_ts is None else str(thread_ts),
            params=params,
        )
        self._deliver(post)
        return {"channel": channel, "ts": post.ts, "message": self._message(post)}

    def _deliver(self, post: Post) -> None:
        self.posts.append(post)
        for waiter in self._post_waiters:
            waiter.set()
        if self.on_post is not None:
            try:
                self.on_post(post)
            except Exception:
                logger.exception("on_post hook failed")

    def _share(self, channel: str, comment: str | None, params: JsonDict) -> str:
        """Files shared in a channel show as a message (its text the initial comment)."""
        user = channel[1:] if channel.startswith("D") else None
        post = Post(channel, comment, None, None, self._next_ts(), user, params=params)
        self._deliver(post)
        return post.ts

    def _message(self, post: Post) -> JsonDict:
        message: JsonDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": post.text or "",
            "ts": post.ts,
        }
        if post.blocks is not None:
            message["blocks"] = post.blocks
        if post.metadata is not None:
            message["metadata"] = post.metadata
        return message

    def _chat_update(self, params: JsonDict) -> JsonDict:
        channel, _ = self._resolve(params.get("channel"))
        ts = str(params.get("ts") or "")
        post = next((p for p in self.posts if p.channel == channel and p.ts == ts), None)
        if post is None:
            raise _ApiError("message_not_found")
        text, blocks = self._content(params)
        post.edits.append((post.text, post.blocks))
        post.text, post.blocks = text, blocks
        return {"channel": channel, "ts": ts, "text": text or "", "message": self._message(post)}

    def _chat_post_ephemeral(self, params: JsonDict) -> JsonDict:
        channel, _ = self._resolve(params.get("channel"))
        user = self._active_user(str(params.get("user") or ""))
        text, blocks = self._content(params)
        ts = self._next_ts()
        self.ephemerals.append(Post(channel, text, blocks, None, ts, user=user.id, params=params))
        return {"message_ts": ts}

    def _user_json(self, user: _User) -> JsonDict:
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.id.lower(),
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "tz": "Europe/Stockholm",
            "locale": "sv-SE",
            "profile": {"email": user.email} if user.email else {},
        }

    def _users_lookup_by_email(self, params: JsonDict) -> JsonDict:
        email = str(params.get("email") or "").casefold()
        for user in self._users.values():
            if user.email and user.email.casefold() == email and not user.deleted:
                return {"user": self._user_json(user)}
        raise _ApiError("users_not_found")

    def _users_info(self, params: JsonDict) -> JsonDict:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": self._user_json(user)}

    def _view(self, params: JsonDict) -> JsonDict:
        view = _json_value(params.get("view"), "invalid_arguments")
        if not isinstance(view, dict) or "type" not in view:
            raise _ApiError("invalid_arguments")
        blocks = view.get("blocks", [])
        errors = block_errors(blocks)
        if errors or len(blocks) > 100:
            raise _ApiError("invalid_arguments", response_metadata={"messages": errors})
        return view

    def _new_view(self, method: str, view: JsonDict, **where: Any) -> JsonDict:
        self._view_counter += 1
        view_id = f"V{self._view_counter:010d}"
        external_id = view.get("external_id")
        if external_id:
            self._external_ids[str(external_id)] = view_id
        self._open_views[view_id] = view
        self.views.append(View(method, view_id, view, external_id=external_id, **where))
        return {"view": {"id": view_id, "team_id": self.team_id, **view}}

    def _views_publish(self, params: JsonDict) -> JsonDict:
        user = self._active_user(str(params.get("user_id") or ""))
        view = self._view(params)
        if view.get("type") != "home":
            raise _ApiError("invalid_arguments")
        return self._new_view("views.publish", view, user_id=user.id)

    def _views_open(self, params: JsonDict) -> JsonDict:
        trigger_id = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger_id:
            raise _ApiError("invalid_arguments")
        return self._new_view("views.open", self._view(params), trigger_id=str(trigger_id))

    def _views_update(self, params: JsonDict) -> JsonDict:
        view_id = params.get("view_id") or self._external_ids.get(
            str(params.get("external_id") or "")
        )
        if not view_id or view_id not in self._open_views:
            raise _ApiError("not_found")
        view = self._view(params)
        self._open_views[view_id] = view
        self.views.append(View("views.update", view_id, view, external_id=view.get("external_id")))
        return {"view": {"id": view_id, "team_id": self.team_id, **view}}

    def _next_ts(self) -> str:
        self._ts_counter += 1
        seconds, fraction = divmod(self._ts_counter, 10_000)
        return f"{FIRST_TS + seconds}.{fraction * 100:06d}"


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _too_many(wait: float) -> web.Response:
    seconds = max(1, math.ceil(wait))
    return web.json_response(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(seconds)}
    )


async def _reset(request: web.Request) -> web.StreamResponse:
    """Drop the connection with a TCP reset; the handler is cancelled when it is lost."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.close()
    await asyncio.sleep(3600)  # cancelled by connection_lost (handler_cancellation)
    raise ConnectionResetError("connection reset by the stand-in")
