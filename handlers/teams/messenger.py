"""TeamsMessenger: the Messenger port on the Bot Framework connector's REST API (v3).

It speaks plain aiohttp to the connector rather than through the Agents SDK's ConnectorClient:
the SDK client fixes one bearer token and one service URL per aiohttp session (tokens expire
after an hour; every stored address carries its own service URL), hides Teams' error code in an
exception message, and logs conversation ids at INFO. Here each request takes a fresh token from
a token provider (production: the SDK's MSAL connection, `sdk_token_provider`; anonymous local
mode: none), goes to the address's service URL, and every failure becomes one of the port's
DeliveryError classes through the table `CLASSIFICATION`:

- 429 → RateLimited(Retry-After); 412 (PreconditionFailed), 500, 502, 503 → TransientFailure,
  not delivered; 504 → TransientFailure, maybe delivered for writes (the gateway gave up, the
  service may have posted);
- a timeout or a connection lost after the request went out → TransientFailure, maybe delivered
  for writes; nothing listening → TransientFailure, not delivered;
- 401, 403 (MessageWritesBlocked, BotNotInConversationRoster, …), 404 and other 4xx →
  PermanentFailure with Teams' error code in snake case (e.g. "message_writes_blocked").

A person is reached through the AddressBook (captured when the app was installed or first
spoken to): its service URL and tenant; the 1:1 conversation is created (Teams answers with the
existing one) once per person and process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
from yarl import URL

from bot.clock import Clock, SystemClock
from bot.domain import markup
from bot.domain.messages import Message
from bot.ports.addresses import AddressBook
from bot.ports.messenger import (
    DeliveryError,
    PermanentFailure,
    Problem,
    RateLimited,
    TransientFailure,
)
from handlers.http import retry_after
from handlers.teams.cards import message_activity

PLATFORM = "teams"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com"

TokenProvider = Callable[[], Awaitable[str | None]]
NameLookup = Callable[[list[str]], Awaitable[Mapping[str, str]]]
JsonDict = dict[str, Any]

# Operations whose request may have taken effect when the answer is lost.
WRITES = frozenset({"send", "update", "delete"})


async def no_token() -> str | None:
    """Anonymous local mode: send without a bearer token."""
    return None


def sdk_token_provider(provider: Any) -> TokenProvider:
    """A TokenProvider from the Agents SDK's AccessTokenProviderBase (e.g. MsalAuth, or what
    `connection_manager.get_token_provider(...)` returns); MSAL caches and renews the token."""

    async def token() -> str | None:
        return await provider.get_access_token(
            BOT_FRAMEWORK_SCOPE, [f"{BOT_FRAMEWORK_SCOPE}/.default"]
        )

    return token


def member_id(user_id: str) -> str:
    """The member id for creating a 1:1 chat: a Teams 29: id as it is, an Entra object id as
    the user's MRI (8:orgid:<object id>)."""
    return user_id if user_id.startswith(("29:", "8:")) else f"8:orgid:{user_id}"


# --- classification ----------------------------------------------------------------------------

Kind = Literal["answer", "timeout", "disconnected", "unreachable", "no_token"]


@dataclass(frozen=True)
class Failure:
    """One failed connector call, reduced to what the classification looks at."""

    operation: str  # "create" | "send" | "update" | "delete" | "member"
    kind: Kind
    status: int | None = None
    code: str | None = None  # Teams' error code from `{"error": {"code": ...}}`
    retry_after: float = 1.0

    @property
    def writes(self) -> bool:
        return self.operation in WRITES


@dataclass(frozen=True)
class Rule:
    name: str
    applies: Callable[[Failure], bool]
    outcome: Callable[[Failure], DeliveryError]


def _transient(f: Failure, reason: str, maybe_delivered: bool) -> TransientFailure:
    return TransientFailure(f"teams {f.operation}: {reason}", maybe_delivered=maybe_delivered)


def snake(code: str) -> str:
    """Teams' error code as a Frister error code: MessageWritesBlocked → message_writes_blocked."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", code).lower()


# What Teams' permanent errors mean (the core words them in Swedish): by error code first,
# else by HTTP status.
PROBLEMS = {
    "message_writes_blocked": Problem.BLOCKED,
    "bot_not_in_conversation_roster": Problem.BLOCKED,
    "conversation_blocked_by_user": Problem.BLOCKED,
    "conversation_not_found": Problem.PERSON_NOT_FOUND,
    "user_not_found": Problem.PERSON_NOT_FOUND,
    "bot_disabled_by_admin": Problem.NOT_ALLOWED,
    "message_size_too_big": Problem.REJECTED,
    "bad_argument": Problem.REJECTED,
    "no_conversation_reference": Problem.NO_ADDRESS,
    "teams_no_email_lookup": Problem.NO_ADDRESS,
}
STATUS_PROBLEMS = {
    401: Problem.NOT_ALLOWED,
    403: Problem.NOT_ALLOWED,
    404: Problem.PERSON_NOT_FOUND,
}


def _problem(code: str, status: int | None) -> Problem:
    return PROBLEMS.get(code) or STATUS_PROBLEMS.get(status or 0, Problem.UNKNOWN)


def _permanent(f: Failure) -> PermanentFailure:
    code = snake(f.code) if f.code else f"http_{f.status}"
    return PermanentFailure(code, _problem(code, f.status))


# First match wins.
CLASSIFICATION: tuple[Rule, ...] = (
    Rule("http_429", lambda f: f.status == 429, lambda f: RateLimited(f.retry_after)),
    Rule(
        "http_504",  # the gateway gave up waiting: the service may have done it
        lambda f: f.status == 504,
        lambda f: _transient(f, "HTTP 504", maybe_delivered=f.writes),
    ),
    Rule(
        "http_retry",  # 412 PreconditionFailed and 5xx: Teams says retry with backoff
        lambda f: f.status is not None and (f.status == 412 or f.status >= 500),
        lambda f: _transient(f, f"HTTP {f.status}", maybe_delivered=False),
    ),
    Rule(
        "timeout",
        lambda f: f.kind == "timeout",
        lambda f: _transient(f, "timeout", maybe_delivered=f.writes),
    ),
    Rule(
        "disconnected",  # the request was sent, the answer never came
        lambda f: f.kind == "disconnected",
        lambda f: _transient(f, "connection lost", maybe_delivered=f.writes),
    ),
    Rule(
        "unreachable",  # nothing was sent
        lambda f: f.kind in ("unreachable", "no_token"),
        lambda f: _transient(f, "cannot connect" if f.kind == "unreachable" else "no token", False),
    ),
    Rule(
        "unreadable",  # 2xx without a readable answer (a proxy's page, broken JSON)
        lambda f: f.status is not None and 200 <= f.status < 300,
        lambda f: _transient(f, "unreadable answer", maybe_delivered=f.writes),
    ),
    Rule("http_4xx", lambda f: True, _permanent),  # 400, 401, 403, 404, 413 …: a person must act
)


def rule_for(failure: Failure) -> Rule:
    return next(rule for rule in CLASSIFICATION if rule.applies(failure))


def classify(failure: Failure) -> DeliveryError:
    return rule_for(failure).outcome(failure)


def describe(operation: str, exc: BaseException) -> Failure | None:
    """The Failure behind an exception from aiohttp, or None if it is not a call failure."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
        return Failure(operation, "unreachable")
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError and aiohttp's ServerTimeoutError
        return Failure(operation, "timeout")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return Failure(operation, "disconnected")
    return None


def error_code(body: str) -> str | None:
    """Teams' error code from an error body `{"error": {"code": ..., "message": ...}}`."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if isinstance(code, str) and code else None


# --- the adapter -------------------------------------------------------------------------------


def mentioned_ids(message: Message) -> list[str]:
    """The people and channels a message mentions (to look their names up)."""
    found: list[str] = []
    texts = [message.text, message.title, message.context or "", *message.body]
    texts += [part for pair in message.fields for part in pair]
    for text in texts:
        markup.render(
            text,
            person=lambda u: found.append(u) or "",
            room=lambda c: found.append(c) or "",
            strong=lambda t: t,
        )
    return list(dict.fromkeys(found))


class TeamsMessenger:
    """The Messenger port on Teams. Raises only DeliveryError subclasses for call failures.

    `bot_id` is the bot's id in Teams ("28:" + the app id); `names` (optional) gives display
    names for mentioned ids; `service_url` (optional) is where to send when a conversation has
    no stored address (a single-region installation)."""

    def __init__(
        self,
        addresses: AddressBook,
        *,
        bot_id: str,
        token: TokenProvider = no_token,
        timeout: float = 10.0,
        names: NameLookup | None = None,
        service_url: str | None = None,
        clock: Clock | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.addresses = addresses
        self.bot_id = bot_id
        self.token = token
        self.timeout = timeout
        self.names = names
        self.service_url = service_url
        self.clock = clock or SystemClock()
        self._session = session
        self._own_session = session is None
        self._direct: dict[str, str] = {}  # user id -> 1:1 conversation id
        self._routes: dict[str, str] = {}  # conversation id -> service URL

    async def aclose(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> TeamsMessenger:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                trust_env=True,  # HTTPS_PROXY / NO_PROXY, as municipal networks need
            )
        return self._session

    async def _call(
        self, operation: str, method: str, service_url: str, path: str, body: Any = None
    ) -> JsonDict:
        """One connector request; its JSON answer, or a DeliveryError."""
        try:
            token = await self.token()
        except Exception as exc:  # MSAL's errors have no common base class
            raise classify(Failure(operation, "no_token")) from exc
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = URL(service_url.rstrip("/") + "/" + path, encoded=True)
        try:
            async with self._client().request(method, url, json=body, headers=headers) as response:
                text = await response.text()
                if not 200 <= response.status < 300:
                    raise classify(
                        Failure(
                            operation,
                            "answer",
                            status=response.status,
                            code=error_code(text),
                            retry_after=retry_after(response.headers.get("Retry-After")),
                        )
                    )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            failure = describe(operation, exc)
            if failure is None:
                raise
            raise classify(failure) from exc
        if not text.strip():
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise classify(Failure(operation, "answer", status=response.status))
        return data

    async def _route(self, conversation_id: str) -> tuple[str, str]:
        """(service URL, conversation id) to send to for a conversation or channel id."""
        service_url = self._routes.get(conversation_id)
        if service_url is not None:
            return service_url, conversation_id
        address = await self.addresses.lookup(PLATFORM, conversation_id)
        if address is not None:
            self._routes[address.conversation_id] = address.service_url
            return address.service_url, address.conversation_id
        if self.service_url:
            return self.service_url, conversation_id
        raise PermanentFailure("no_conversation_reference", Problem.NO_ADDRESS)

    async def open_direct(self, user_id: str) -> str:
        conversation_id = self._direct.get(user_id)
        if conversation_id is not None:
            return conversation_id
        address = await self.addresses.lookup(PLATFORM, user_id)
        if address is None:
            raise PermanentFailure("no_conversation_reference", Problem.NO_ADDRESS)
        body: JsonDict = {
            "isGroup": False,
            "bot": {"id": self.bot_id},
            "members": [{"id": member_id(user_id)}],
        }
        if address.tenant_id:
            body |= {
                "tenantId": address.tenant_id,
                "channelData": {"tenant": {"id": address.tenant_id}},
            }
        answer = await self._call("create", "POST", address.service_url, "v3/conversations", body)
        conversation_id = str(answer.get("id") or "")
        if not conversation_id:
            raise TransientFailure("teams create: no conversation id", maybe_delivered=False)
        service_url = str(answer.get("serviceUrl") or address.service_url)
        if conversation_id != address.conversation_id or service_url != address.service_url:
            await self.addresses.remember(
                replace(
                    address,
                    conversation_id=conversation_id,
                    service_url=service_url,
                    updated_at=self.clock.now(),
                )
            )
        self._direct[user_id] = conversation_id
        self._routes[conversation_id] = service_url
        return conversation_id

    async def _activity(self, message: Message) -> JsonDict:
        names: Mapping[str, str] = {}
        ids = mentioned_ids(message)
        if ids and self.names is not None:
            names = await self.names(ids)
        return message_activity(message, names)

    async def post(self, channel: str, message: Message) -> str:
        service_url, conversation_id = await self._route(channel)
        activity = await self._activity(message)
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities"
        answer = await self._call("send", "POST", service_url, path, activity)
        activity_id = answer.get("id")
        if not activity_id:
            raise TransientFailure("teams send: no activity id", maybe_delivered=True)
        return str(activity_id)

    async def update(self, channel: str, message_id: str, message: Message) -> None:
        """Replace a message the bot posted (a card after its button was pressed, Home)."""
        service_url, conversation_id = await self._route(channel)
        activity = await self._activity(message) | {"id": message_id}
        path = (
            f"v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(message_id, safe='')}"
        )
        await self._call("update", "PUT", service_url, path, activity)

    async def delete(self, channel: str, message_id: str) -> None:
        service_url, conversation_id = await self._route(channel)
        path = (
            f"v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(message_id, safe='')}"
        )
        await self._call("delete", "DELETE", service_url, path)

    async def user_by_email(self, email: str) -> str:
        """The connector cannot look people up by e-mail (that takes Microsoft Graph); Teams
        users become known by their Entra object id when they install or write to Frister."""
        raise PermanentFailure("teams_no_email_lookup", Problem.NO_ADDRESS)
