"""SlackMessenger: the Messenger port on the Slack Web API (slack_sdk's AsyncWebClient).

Every Web API call goes through `SlackMessenger._call`, which turns each failure into one of the
port's DeliveryError classes with the table `CLASSIFICATION`. What slack_sdk 3.47 raises (with
`retry_handlers=[]`, read in slack_sdk/web/async_internal_utils.py and checked against the
stand-in, bot/standin.py):

- any HTTP status other than 200, and 200 with `ok: false`: `SlackApiError`; `e.response` is an
  AsyncSlackResponse with `status_code`, `headers` (Retry-After) and `data` (the JSON body, or
  `{}` when the body is not JSON, e.g. a proxy's HTML page);
- 200 with a body that claims to be JSON but is not: `SlackApiError` whose `response` is the
  aiohttp ClientResponse (`status`, not `status_code`);
- 200 with a text/plain body: `AttributeError` from AsyncSlackResponse.validate();
- the client's timeout (aiohttp ClientTimeout(total=...)): the builtin `TimeoutError`;
- a connection reset: `aiohttp.ClientOSError` (errno 104); a connection closed without an
  answer: `aiohttp.ServerDisconnectedError`;
- nothing listening: `aiohttp.ClientConnectorError` (the request was never sent).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain import markup
from bot.domain.messages import Message
from bot.ports.messenger import DeliveryError, PermanentFailure, RateLimited, TransientFailure

METADATA_EVENT_TYPE = "frister_notification"

# Methods whose request may have taken effect when the answer is lost.
WRITE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
RATE_LIMIT_ERRORS = frozenset({"ratelimited", "rate_limited"})
# Slack's own "try again" errors. (Slack documents internal_error and fatal_error with "it's
# possible some aspect of the operation succeeded"; Frister treats them as not delivered.)
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

# Slack Web API errors that no retry will mend: a person must act.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "cannot_dm_bot",
        "user_disabled",
        "restricted_action",
        "msg_too_long",
        "invalid_blocks",
        "no_text",
    }
)


def make_client(token: str, base_url: str, timeout: float = 10.0) -> AsyncWebClient:
    """A Web API client without slack_sdk's retries: Frister's delivery service owns retries."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk says int; aiohttp takes a float
        retry_handlers=[],
    )


# --- classification ----------------------------------------------------------------------------

Kind = Literal["answer", "timeout", "disconnected", "unreachable"]


@dataclass(frozen=True)
class Failure:
    """One failed Web API call, reduced to what the classification looks at."""

    method: str
    kind: Kind  # "answer": an HTTP answer came back (status, maybe an error code)
    status: int | None = None
    error: str | None = None  # Slack's error code from `{"ok": false, "error": ...}`
    retry_after: float = 1.0

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS


@dataclass(frozen=True)
class Rule:
    name: str
    applies: Callable[[Failure], bool]
    outcome: Callable[[Failure], DeliveryError]


def _transient(reason: str, maybe_delivered: bool) -> TransientFailure:
    return TransientFailure(reason, maybe_delivered=maybe_delivered)


# First match wins.
CLASSIFICATION: tuple[Rule, ...] = (
    Rule("http_429", lambda f: f.status == 429, lambda f: RateLimited(f.retry_after)),
    Rule(
        "http_5xx",
        lambda f: f.status is not None and f.status >= 500,
        lambda f: _transient(f"{f.method}: HTTP {f.status}", maybe_delivered=False),
    ),
    Rule(
        "timeout",
        lambda f: f.kind == "timeout",
        lambda f: _transient(f"{f.method}: timeout", maybe_delivered=f.writes),
    ),
    Rule(
        "disconnected",  # the request was sent, the answer never came
        lambda f: f.kind == "disconnected",
        lambda f: _transient(f"{f.method}: connection lost", maybe_delivered=f.writes),
    ),
    Rule(
        "unreachable",  # nothing was sent
        lambda f: f.kind == "unreachable",
        lambda f: _transient(f"{f.method}: cannot connect", maybe_delivered=False),
    ),
    Rule(
        "error_ratelimited",
        lambda f: f.error in RATE_LIMIT_ERRORS,
        lambda f: RateLimited(f.retry_after),
    ),
    Rule(
        "error_permanent",
        lambda f: f.error in PERMANENT_ERRORS,
        lambda f: PermanentFailure(str(f.error)),
    ),
    Rule(
        "error_transient",
        lambda f: f.error in TRANSIENT_ERRORS,
        lambda f: _transient(f"{f.method}: {f.error}", maybe_delivered=False),
    ),
    Rule(
        "error_unknown",  # an error code Frister does not know: a person must look
        lambda f: f.error is not None,
        lambda f: PermanentFailure(str(f.error)),
    ),
    Rule(
        "unreadable",  # 2xx without a readable Slack answer (a proxy's page, broken JSON)
        lambda f: f.status is not None and 200 <= f.status < 300,
        lambda f: _transient(f"{f.method}: unreadable answer", maybe_delivered=f.writes),
    ),
    Rule(
        "http_other",  # e.g. 404 from a wrong SLACK_API_URL, 403 from a proxy
        lambda f: True,
        lambda f: PermanentFailure(f"http_{f.status}"),
    ),
)


def describe(method: str, exc: BaseException) -> Failure | None:
    """The Failure behind an exception from the client, or None if it is not a call failure."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", None)
        if status is None:
            status = getattr(response, "status", None)  # an aiohttp ClientResponse (broken JSON)
        data = getattr(response, "data", None)
        error = data.get("error") if isinstance(data, dict) and not data.get("ok") else None
        headers = getattr(response, "headers", None) or {}
        return Failure(
            method,
            "answer",
            status=status,
            error=str(error) if error else None,
            retry_after=_retry_after(headers.get("Retry-After")),
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
        return Failure(method, "unreachable")
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError and aiohttp's ServerTimeoutError
        return Failure(method, "timeout")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return Failure(method, "disconnected")
    if isinstance(exc, AttributeError):
        # slack_sdk's validate() on a 200 text/plain body: 'str' object has no attribute 'get'
        return Failure(method, "answer", status=200)
    return None


def rule_for(failure: Failure) -> Rule:
    return next(rule for rule in CLASSIFICATION if rule.applies(failure))


def classify(method: str, exc: BaseException) -> DeliveryError | None:
    """The DeliveryError for an exception from a Web API call (None: not a call failure)."""
    failure = describe(method, exc)
    return None if failure is None else rule_for(failure).outcome(failure)


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date); 1 when absent or invalid."""
    if not value:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 1.0
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds) or seconds < 0:
        return 1.0
    return int(seconds) if float(seconds).is_integer() else seconds


# --- the adapter -------------------------------------------------------------------------------


class SlackMessenger:
    """The Messenger port on Slack. Raises only DeliveryError subclasses for call failures."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._direct: dict[str, str] = {}

    async def _call(self, method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Call a Web API method ("chat.postMessage" -> client.chat_postMessage)."""
        function = getattr(self.client, method.replace(".", "_"))
        try:
            return await function(**kwargs)
        except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError, AttributeError) as exc:
            error = classify(method, exc)
            if error is None:
                raise
            raise error from exc

    async def open_direct(self, user_id: str) -> str:
        channel = self._direct.get(user_id)
        if channel is None:
            response = await self._call("conversations.open", users=user_id)
            channel = str(response["channel"]["id"])
            self._direct[user_id] = channel
        return channel

    async def post(self, channel: str, message: Message) -> str:
        kwargs: dict[str, Any] = {
            "channel": channel,
            "text": render_text(message),
            "blocks": render_blocks(message),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if message.metadata:
            kwargs["metadata"] = {
                "event_type": METADATA_EVENT_TYPE,
                "event_payload": dict(message.metadata),
            }
        response = await self._call("chat.postMessage", **kwargs)
        return str(response["ts"])

    async def user_by_email(self, email: str) -> str:
        response = await self._call("users.lookupByEmail", email=email)
        return str(response["user"]["id"])


# --- Block Kit ---------------------------------------------------------------------------------

MAX_BLOCKS = 50
MAX_TEXT = 40_000
MAX_HEADER = 150
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_SECTION = 3000
MAX_CONTEXT = 3000
MAX_BUTTONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Slack's escaping for mrkdwn: only &, < and >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_markup(escaped: str) -> str:
    """Neutral markup (bot.domain.markup) in escaped text as Slack mrkdwn: mentions, channels,
    bold. A marker pair is as long as the Slack syntax it becomes, so the limits still hold."""
    return markup.render(
        escaped,
        person=lambda u: f"<@{u}>",
        room=lambda c: f"<#{c}>",
        strong=lambda t: f"*{t}*",
    )


def _entity_safe(text: str, cut: int) -> int:
    """Move `cut` back so that it does not fall inside an entity such as &amp;."""
    amp = text.rfind("&", max(0, cut - 4), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        return amp
    return cut


def truncate(text: str, limit: int, *, escaped: bool = True) -> str:
    """`text` cut to at most `limit` characters, ending with … when cut."""
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    if escaped:
        cut = _entity_safe(text, cut)
    return text[:cut].rstrip() + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """Escaped `text` in pieces of at most `limit` characters, cut at a line break or space when
    there is one in the second half of a piece, never inside an entity; no empty pieces."""
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n"), window.rfind(" "))
        cut = cut + 1 if cut >= limit // 2 else _entity_safe(text, limit)
        piece = text[:cut].strip()
        if piece:
            pieces.append(piece)
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _field(label: str, value: str) -> dict[str, str] | None:
    label, value = escape(label.strip()), slack_markup(escape(value.strip()))
    text = f"*{label}*\n{value}" if label else value
    return _mrkdwn(truncate(text, MAX_FIELD)) if text.strip() else None


def _action_blocks(message: Message) -> list[dict[str, Any]]:
    """Buttons, 25 to an actions block; a repeated action_id starts a new block (Slack wants
    them unique within a block)."""
    blocks: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for action in message.actions:
        if len(current) == MAX_BUTTONS or any(b["action_id"] == action.id for b in current):
            blocks.append({"type": "actions", "elements": current})
            current = []
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action.id,
            "text": _plain(
                truncate(action.label.strip() or action.id, MAX_BUTTON_TEXT, escaped=False)
            ),
            "value": action.value[:MAX_BUTTON_VALUE],
        }
        if action.style in ("primary", "danger"):
            button["style"] = action.style
        current.append(button)
    if current:
        blocks.append({"type": "actions", "elements": current})
    return blocks


def render_blocks(message: Message) -> list[dict[str, Any]]:
    """Block Kit for a message within Slack's limits: header, fields, body, buttons, context.

    Content that does not fit in 50 blocks is cut, ending with a "…" section; the buttons and
    the context line are kept.
    """
    head: list[dict[str, Any]] = []
    title = " ".join(message.title.split())
    if title:
        head.append({"type": "header", "text": _plain(truncate(title, MAX_HEADER, escaped=False))})

    content: list[dict[str, Any]] = []
    fields = [f for f in (_field(label, value) for label, value in message.fields) if f]
    for start in range(0, len(fields), MAX_FIELDS):
        content.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    for paragraph in message.body:
        for piece in split(slack_markup(escape(paragraph)), MAX_SECTION):
            content.append({"type": "section", "text": _mrkdwn(piece)})

    tail = _action_blocks(message)
    if message.context and message.context.strip():
        context = truncate(slack_markup(escape(message.context.strip())), MAX_CONTEXT)
        tail.append({"type": "context", "elements": [_mrkdwn(context)]})
    if len(head) + len(tail) > MAX_BLOCKS:  # hundreds of buttons: keep the last ones
        tail = tail[len(head) + len(tail) - MAX_BLOCKS :]

    room = MAX_BLOCKS - len(head) - len(tail)
    if len(content) > room:
        cut = [{"type": "section", "text": _mrkdwn(ELLIPSIS)}] if room else []
        content = content[: max(0, room - 1)] + cut
    return head + content + tail


def render_text(message: Message) -> str:
    """The plain-text fallback (notifications, screen readers), escaped, ≤ 40 000 characters."""
    text = message.text.strip() or message.title.strip()
    return truncate(slack_markup(escape(text)), MAX_TEXT)
