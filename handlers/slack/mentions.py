"""Mentions between Slack and the core's neutral markup (bot.domain.markup).

Inbound: Slack writes a mention in slash-command text as `<@U123|name>` and escapes what people
typed (`&amp;`, `&lt;`, `&gt;`); the core gets `markup.mention("U123")` and the text as typed.
Outbound: markup in escaped mrkdwn becomes `<@U123>`, `<#C123>` and `*bold*`.
"""

from __future__ import annotations

import re

from bot.domain import commands as cmd
from bot.domain import markup

# Only Slack's own mention syntax: a typed `<` arrives as `&lt;`, so this cannot be forged.
_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,30})(?:\|[^<>]*)?>")
_PROBE = "U0PROBE01"


def unescape(text: str) -> str:
    """Slack sends &, < and > of typed text as &amp;, &lt; and &gt;."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def core_reads_markup() -> bool:
    """Whether the command parser takes a neutral mention for a person (until it does, the
    Slack syntax is passed on as before)."""
    return cmd.parse_user(markup.mention(_PROBE)) == _PROBE


def from_slack(text: str, *, neutral: bool | None = None) -> str:
    """Typed text as the core reads it: no marker characters of the person's own, Slack's
    mentions as neutral mentions (when `neutral`, by default when the core reads them), and
    Slack's escaping undone."""
    text = markup.strip(text)
    if core_reads_markup() if neutral is None else neutral:
        text = _SLACK_MENTION.sub(lambda m: markup.mention(m[1]), text)
    return unescape(text)


def to_slack(escaped: str) -> str:
    """Neutral markup in escaped mrkdwn as Slack shows it."""
    return markup.render(
        escaped,
        person=lambda user: f"<@{user}>",
        room=lambda channel: f"<#{channel}>",
        strong=lambda text: f"*{text}*",
    )


def to_plain(text: str) -> str:
    """Neutral markup in a plain_text element (which shows no mentions or bold)."""
    return markup.plain(text)
