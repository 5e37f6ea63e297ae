"""A local stand-in for the Bot Framework connector that Teams bots talk to (aiohttp, 127.0.0.1).

Used by the tests and the demo, so it imports only aiohttp, the standard library and
bot.testing.cards. Point a client's service URL at `TeamsStandIn.url`.

It answers the v3 conversation API the way the Teams connector does (JSON, `{"error": {"code",
"message"}}` on failure), records every request in `calls` and every accepted message in
`activities`, validates message activities with Adaptive Cards (an invalid one: 400, listed in
`protocol_errors`, which tests assert stay empty), serves a JWKS at `/keys` and client-credential
tokens at `/token`, and injects faults (`inject`): 429 + Retry-After, 5xx, 412, 403
MessageWritesBlocked, 404, slow answers and dropped connections.

    async with TeamsStandIn() as teams:
        teams.add_user("aad-anna", name="Anna Andersson")
        teams.inject(Fault.rate_limit(7), route="send")
        ...
        assert teams.sent_to("aad-anna")[0].text == "…"
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.testing.cards import activity_errors

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

BOT_ID = "28:frister-standin"
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
FIRST_ACTIVITY_ID = 1_700_000_000_000  # Teams message ids are millisecond timestamps

# Teams' documented limits per bot and conversation: (messages, seconds).
CONVERSATION_LIMITS = ((7, 1.0), (60, 30.0), (1800, 3600.0))

ROUTES = ("create", "send", "reply", "update", "delete", "member", "other")


@dataclass(frozen=True)
class Fault:
    """What the stand-in does instead of answering normally. Use the constructors."""

    kind: str
    status: int = 0
    code: str = ""
    retry_after: int = 1
    seconds: float = 0.0
    record: bool = False

    @classmethod
    def rate_limit(cls, retry_after: int = 1) -> Fault:
        """HTTP 429 with `Retry-After`; nothing recorded."""
        return cls("error", status=429, code="Throttled", retry_after=retry_after)

    @classmethod
    def status_code(cls, status: int, code: str = "ServiceError") -> Fault:
        """HTTP `status` (500/502/504, 412 PreconditionFailed, 401 …) with Teams' error body;
        nothing recorded."""
        return cls("error", status=status, code=code)

    @classmethod
    def blocked(cls) -> Fault:
        """403 MessageWritesBlocked (the conversation does not take messages from the bot)."""
        return cls("error", status=403, code="MessageWritesBlocked")

    @classmethod
    def not_found(cls) -> Fault:
        """404 ConversationNotFound."""
        return cls("error", status=404, code="ConversationNotFound")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait `seconds`, then handle the request normally (a client that gives up first
        leaves nothing recorded: the handler is cancelled with the connection)."""
        return cls("slow", seconds=seconds)

    @classmethod
    def hang_after_record(cls) -> Fault:
        """Handle and record the request, then answer only after `TeamsStandIn.release()`
        (a crash test kills the sender while it waits)."""
        return cls("hang_after_record")

    @classmethod
    def drop(cls, *, record: bool = True) -> Fault:
        """Read the request, then close the connection without an answer. With `record` the
        request took effect first (delivered, answer lost); without, it did not."""
        return cls("drop", record=record)


@dataclass(frozen=True)
class Call:
    """One request as the stand-in received it."""

    route: str  # "create" | "send" | "reply" | "update" | "delete" | "member" | "other"
    http_method: str
    path: str
    conversation_id: str | None
    body: Any
    token: str | None
    time: float  # time.monotonic() on arrival
    fault: str | None  # the injected fault ("429", "drop", …), "rate_limited" (enforced) or None


@dataclass
class Sent:
    """An activity the stand-in accepted; updates keep the earlier versions in `edits`."""

    conversation_id: str
    id: str
    activity: JsonDict
    reply_to: str | None = None
    edits: list[JsonDict] = field(default_factory=list)
    deleted: bool = False

    @property
    def text(self) -> str:
        """The plain text: `text`, or `summary` for a card (what notifications show)."""
        return str(self.activity.get("text") or self.activity.get("summary") or "")

    @property
    def card(self) -> JsonDict | None:
        for attachment in self.activity.get("attachments") or []:
            return attachment.get("content")
        return None


@dataclass
class Member:
    aad_object_id: str
    name: str
    email: str | None = None
    installed: bool = True  # the app is installed for them (else 403 on create)

    @property
    def id(self) -> str:
        return f"29:{self.aad_object_id}"

    def json(self, tenant_id: str) -> JsonDict:
        answer: JsonDict = {
            "id": self.id,
            "aadObjectId": self.aad_object_id,
            "name": self.name,
            "tenantId": tenant_id,
            "userRole": "user",
        }
        if self.email:
            answer |= {"email": self.email, "userPrincipalName": self.email}
        return answer


@dataclass
class Conversation:
    id: str
    members: list[str]  # aad object ids
    tenant_id: str
    personal: bool = True
    blocked: bool = False  # every write answers 403 MessageWritesBlocked


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message or code


class TeamsStandIn:
    """A Bot Framework connector stand-in. `await start()` / `await stop()`, or `async with`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tenant_id: str = TENANT_ID,
        bot_id: str = BOT_ID,
        jwks: JsonDict | None = None,
        require_token: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tenant_id = tenant_id
        self.bot_id = bot_id
        self.jwks: JsonDict = jwks if jwks is not None else {"keys": []}
        self.require_token = require_token  # when set, calls without it get 401
        self.calls: list[Call] = []
        self.activities: list[Sent] = []
        self.protocol_errors: list[str] = []
        self.conversations: dict[str, Conversation] = {}
        self.on_activity: Callable[[Sent], None] | None = None
        self._members: dict[str, Member] = {}
        self._faults: deque[tuple[str | None, str | None, Fault]] = deque()
        self._ids = itertools.count(FIRST_ACTIVITY_ID)
        self._conversation_ids = itertools.count(1)
        self._enforce = False
        self._sent_at: dict[str, deque[float]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=1024**2)
        app.router.add_get("/keys", self._keys)
        app.router.add_post("/token", self._token)
        app.router.add_route("*", "/v3/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TeamsStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The service URL, e.g. "http://127.0.0.1:54321/" (activities carry it as serviceUrl)."""
        if self._runner is None:
            raise RuntimeError("the stand-in is not running; await start() first")
        return f"http://{self.host}:{self.port}/"

    @property
    def jwks_url(self) -> str:
        return self.url + "keys"

    @property
    def token_url(self) -> str:
        return self.url + "token"

    # --- set-up -----------------------------------------------------------------------------

    def add_user(
        self,
        aad_object_id: str,
        name: str = "",
        email: str | None = None,
        *,
        installed: bool = True,
    ) -> Member:
        member = Member(aad_object_id, name or aad_object_id, email, installed)
        self._members[aad_object_id] = member
        return member

    def add_conversation(
        self, conversation_id: str, members: tuple[str, ...] = (), *, personal: bool = False
    ) -> Conversation:
        """A conversation the bot is in already (a team channel, or a 1:1 chat from install)."""
        conversation = Conversation(conversation_id, list(members), self.tenant_id, personal)
        self.conversations[conversation_id] = conversation
        return conversation

    def personal_conversation(self, aad_object_id: str) -> Conversation | None:
        return next(
            (c for c in self.conversations.values() if c.personal and c.members == [aad_object_id]),
            None,
        )

    def block(self, conversation_id: str) -> None:
        """From now on writes to the conversation answer 403 MessageWritesBlocked."""
        self.conversations[conversation_id].blocked = True

    def inject(
        self,
        fault: Fault,
        *,
        route: str | None = None,
        conversation: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching calls with `fault` (after earlier injections).
        `route` and `conversation` narrow what matches; None matches any."""
        if route is not None and route not in ROUTES:
            raise ValueError(f"unknown route {route!r}")
        for _ in range(times):
            self._faults.append((route, conversation, fault))

    def release(self) -> None:
        """Let every request held by `Fault.hang_after_record` answer."""
        self._release.set()
        self._release = asyncio.Event()

    def enforce_rate_limits(self) -> None:
        """Answer 429 when a conversation exceeds Teams' per-conversation limits."""
        self._enforce = True

    # --- what happened ----------------------------------------------------------------------

    def calls_to(self, route: str) -> list[Call]:
        return [call for call in self.calls if call.route == route]

    def sent_in(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.activities if s.conversation_id == conversation_id]

    def sent_to(self, aad_object_id: str) -> list[Sent]:
        """What reached a person's 1:1 chat with the bot."""
        conversation = self.personal_conversation(aad_object_id)
        return [] if conversation is None else self.sent_in(conversation.id)

    # --- HTTP -------------------------------------------------------------------------------

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response(self.jwks)

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials" or not form.get("client_id"):
            return web.json_response({"error": "invalid_request"}, status=400)
        token = self.require_token or f"standin-token-{form.get('client_id')}"
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": token}
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        parts = request.match_info["tail"].strip("/").split("/")
        route, conversation_id, activity_id, member_id = _route(request.method, parts)
        body: Any = None
        if request.body_exists:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        token = _bearer(request)
        fault = self._take_fault(route, conversation_id)
        kind = None if fault is None else _fault_name(fault)
        wait = self._limit(route, conversation_id)
        if wait is not None:
            kind = "rate_limited"
        self.calls.append(
            Call(
                route,
                request.method,
                request.path,
                conversation_id,
                body,
                token,
                time.monotonic(),
                kind,
            )
        )
        if wait is not None:
            return _error(429, "Throttled", retry_after=wait)
        if fault is not None:
            if fault.kind == "error":
                return _error(fault.status, fault.code, retry_after=fault.retry_after)
            if fault.kind == "slow":
                await asyncio.sleep(fault.seconds)
            if fault.kind == "hang_after_record":
                status, answer = self._answer(
                    route, conversation_id, activity_id, member_id, body, token
                )
                await self._release.wait()
                return web.json_response(answer, status=status)
            if fault.kind == "drop":
                if fault.record:
                    self._answer(route, conversation_id, activity_id, member_id, body, token)
                return await _drop(request)
        status, answer = self._answer(route, conversation_id, activity_id, member_id, body, token)
        return web.json_response(answer, status=status)

    def _take_fault(self, route: str, conversation_id: str | None) -> Fault | None:
        for entry in self._faults:
            want_route, want_conversation, fault = entry
            if want_route not in (None, route):
                continue
            if want_conversation not in (None, conversation_id):
                continue
            self._faults.remove(entry)
            return fault
        return None

    def _limit(self, route: str, conversation_id: str | None) -> float | None:
        if not self._enforce or route not in ("send", "reply") or conversation_id is None:
            return None
        now = time.monotonic()
        sent = self._sent_at[conversation_id]
        while sent and sent[0] <= now - CONVERSATION_LIMITS[-1][1]:
            sent.popleft()
        for count, seconds in CONVERSATION_LIMITS:
            recent = [t for t in sent if t > now - seconds]
            if len(recent) >= count:
                return recent[-count] + seconds - now
        sent.append(now)
        return None

    def _answer(
        self,
        route: str,
        conversation_id: str | None,
        activity_id: str | None,
        member_id: str | None,
        body: Any,
        token: str | None,
    ) -> tuple[int, JsonDict]:
        try:
            if self.require_token is not None and token != self.require_token:
                raise _ApiError(401, "Unauthorized", "Authorization has been denied")
            if route == "create":
                return 201, self._create(body)
            if route == "other":
                raise _ApiError(404, "NotFound", "unknown resource")
            conversation = self.conversations.get(conversation_id or "")
            if conversation is None:
                raise _ApiError(404, "ConversationNotFound", "Conversation not found.")
            if route == "member":
                return 200, self._member(conversation, str(member_id))
            if conversation.blocked:
                raise _ApiError(403, "MessageWritesBlocked", "Thread is blocked for writes.")
            if route in ("send", "reply"):
                return 201, self._send(conversation, body, activity_id)
            if route == "update":
                return 200, self._update(conversation, str(activity_id), body)
            return 200, self._delete(conversation, str(activity_id))
        except _ApiError as error:
            return error.status, {"error": {"code": error.code, "message": error.message}}

    def _create(self, body: Any) -> JsonDict:
        if not isinstance(body, dict):
            raise self._protocol("create: the body must be a JSON object")
        bot = body.get("bot") or {}
        if not isinstance(bot, dict) or not bot.get("id"):
            raise self._protocol("create: bot.id is required")
        members = body.get("members")
        if not isinstance(members, list) or len(members) != 1 or not members[0].get("id"):
            raise self._protocol("create: exactly one member with an id (a 1:1 chat)")
        tenant = body.get("tenantId") or (body.get("channelData") or {}).get("tenant", {}).get("id")
        if not tenant:
            raise self._protocol("create: tenantId (or channelData.tenant.id) is required")
        if tenant != self.tenant_id:
            raise _ApiError(403, "Forbidden", "The bot is not installed in this tenant.")
        member = self._member_by_id(str(members[0]["id"]))
        if member is None:
            raise _ApiError(404, "NotFound", "User not found.")
        if not member.installed:
            raise _ApiError(403, "BotNotInConversationRoster", "The app is not installed.")
        conversation = self.personal_conversation(member.aad_object_id)
        if conversation is None:
            conversation_id = f"a:standin-{next(self._conversation_ids)}"
            conversation = self.add_conversation(
                conversation_id, (member.aad_object_id,), personal=True
            )
        return {"id": conversation.id, "serviceUrl": self.url}

    def _member_by_id(self, member_id: str) -> Member | None:
        """Teams takes a 29: id, the MRI 8:orgid:<object id>, or the object id itself."""
        for prefix in ("29:", "8:orgid:"):
            if member_id.startswith(prefix):
                member_id = member_id.removeprefix(prefix)
                break
        return self._members.get(member_id)

    def _member(self, conversation: Conversation, member_id: str) -> JsonDict:
        member = self._member_by_id(member_id)
        if member is None or member.aad_object_id not in conversation.members:
            raise _ApiError(404, "MemberNotFoundInConversation", "Member not found.")
        return member.json(conversation.tenant_id)

    def _protocol(self, problem: str) -> _ApiError:
        self.protocol_errors.append(problem)
        return _ApiError(400, "BadArgument", problem)

    def _checked(self, body: Any) -> JsonDict:
        errors = activity_errors(body)
        if errors:
            raise self._protocol("; ".join(errors))
        return body

    def _send(self, conversation: Conversation, body: Any, reply_to: str | None) -> JsonDict:
        activity = self._checked(body)
        # A reply may answer a person's message, which the stand-in never saw: not checked.
        sent = Sent(conversation.id, str(next(self._ids)), activity, reply_to=reply_to)
        self.activities.append(sent)
        if self.on_activity is not None:
            try:
                self.on_activity(sent)
            except Exception:
                logger.exception("on_activity hook failed")
        return {"id": sent.id}

    def _sent(self, conversation: Conversation, activity_id: str) -> Sent:
        sent = next((s for s in self.sent_in(conversation.id) if s.id == activity_id), None)
        if sent is None or sent.deleted:
            raise _ApiError(404, "ActivityNotFoundInConversation", "Activity not found.")
        return sent

    def _update(self, conversation: Conversation, activity_id: str, body: Any) -> JsonDict:
        sent = self._sent(conversation, activity_id)
        activity = self._checked(body)
        sent.edits.append(sent.activity)
        sent.activity = activity
        return {"id": activity_id}

    def _delete(self, conversation: Conversation, activity_id: str) -> JsonDict:
        self._sent(conversation, activity_id).deleted = True
        return {}


def _route(method: str, parts: list[str]) -> tuple[str, str | None, str | None, str | None]:
    """(route, conversation id, activity id, member id) of a /v3/… path."""
    if parts[:1] != ["conversations"]:
        return "other", None, None, None
    if len(parts) == 1:
        return ("create" if method == "POST" else "other"), None, None, None
    conversation_id = parts[1]
    rest = parts[2:]
    if rest == ["activities"] and method == "POST":
        return "send", conversation_id, None, None
    if len(rest) == 2 and rest[0] == "activities":
        route = {"POST": "reply", "PUT": "update", "DELETE": "delete"}.get(method, "other")
        return route, conversation_id, rest[1], None
    if len(rest) == 2 and rest[0] == "members" and method == "GET":
        return "member", conversation_id, None, rest[1]
    return "other", conversation_id, None, None


def _fault_name(fault: Fault) -> str:
    return str(fault.status) if fault.kind == "error" else fault.kind


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _error(status: int, code: str, *, retry_after: float = 1) -> web.Response:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if status == 429 else None
    return web.json_response(
        {"error": {"code": code, "message": code}}, status=status, headers=headers
    )


async def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer; the handler is cancelled when it is lost."""
    if request.transport is not None:
        request.transport.close()
    await asyncio.sleep(3600)  # cancelled by connection_lost (handler_cancellation)
    raise ConnectionResetError("connection dropped by the stand-in")
