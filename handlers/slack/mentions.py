"""Mentions between Slack and the core's neutral markup (bot.domain.markup).

Inbound: Slack writes a mention in slash-command text as `<@U123|name>` and escapes what people
typed (`&amp;`, `&lt;`, `&gt;`); the core gets `markup.mention("U123")` and the text as typed.
Outbound: markup in escaped mrkdwn becomes `<@U123>`, `<#C123>` and `*bold*`.
"""

from __future__ import annotations

import re

from bot.domain import markup

# Only Slack's own mention syntax: a typed `<` arrives as `&lt;`, so this cannot be forged.
_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,30})(?:\|[^<>]*)?>")


def unescape(text: str) -> str:
    """Slack sends &, < and > of typed text as &amp;, &lt; and &gt;."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def from_slack(text: str) -> str:
    """Typed text as the core reads it: no marker characters of the person's own, Slack's
    mentions as neutral mentions, and Slack's escaping undone."""
    text = _SLACK_MENTION.sub(lambda m: markup.mention(m[1]), markup.strip(text))
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
