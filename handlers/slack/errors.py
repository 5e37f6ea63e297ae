"""Slack Web API failures, classified into the Messenger port's DeliveryError classes.

What slack_sdk 3.47 raises (with `retry_handlers=[]`, read in
slack_sdk/web/async_internal_utils.py and checked against the stand-in, bot/standin.py):

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.ports.messenger import (
    DeliveryError,
    PermanentFailure,
    Problem,
    RateLimited,
    TransientFailure,
)
from handlers.http import retry_after

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


# What each permanent Slack error means (the core words it in Swedish); others: UNKNOWN.
PROBLEMS = {
    "account_inactive": Problem.ACCOUNT_INACTIVE,
    "user_disabled": Problem.ACCOUNT_INACTIVE,
    "user_not_found": Problem.PERSON_NOT_FOUND,
    "users_not_found": Problem.PERSON_NOT_FOUND,
    "cannot_dm_bot": Problem.PERSON_NOT_FOUND,
    "channel_not_found": Problem.CHANNEL_NOT_FOUND,
    "not_in_channel": Problem.NOT_IN_CHANNEL,
    "is_archived": Problem.CHANNEL_ARCHIVED,
    "invalid_auth": Problem.NOT_ALLOWED,
    "not_authed": Problem.NOT_ALLOWED,
    "token_revoked": Problem.NOT_ALLOWED,
    "missing_scope": Problem.NOT_ALLOWED,
    "restricted_action": Problem.NOT_ALLOWED,
    "msg_too_long": Problem.REJECTED,
    "invalid_blocks": Problem.REJECTED,
    "no_text": Problem.REJECTED,
}


def _permanent(code: str) -> PermanentFailure:
    return PermanentFailure(code, PROBLEMS.get(code, Problem.UNKNOWN))


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
        lambda f: _permanent(str(f.error)),
    ),
    Rule(
        "error_transient",
        lambda f: f.error in TRANSIENT_ERRORS,
        lambda f: _transient(f"{f.method}: {f.error}", maybe_delivered=False),
    ),
    Rule(
        "error_unknown",  # an error code Frister does not know: a person must look
        lambda f: f.error is not None,
        lambda f: _permanent(str(f.error)),
    ),
    Rule(
        "unreadable",  # 2xx without a readable Slack answer (a proxy's page, broken JSON)
        lambda f: f.status is not None and 200 <= f.status < 300,
        lambda f: _transient(f"{f.method}: unreadable answer", maybe_delivered=f.writes),
    ),
    Rule(
        "http_other",  # e.g. 404 from a wrong SLACK_API_URL, 403 from a proxy
        lambda f: True,
        lambda f: _permanent(f"http_{f.status}"),
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
            retry_after=retry_after(headers.get("Retry-After")),
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
