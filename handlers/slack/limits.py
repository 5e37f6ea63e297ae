"""Slack's limits, as the core needs them (bot.ports.messenger.Limits)."""

from __future__ import annotations

from datetime import timedelta

from bot.ports.messenger import Limits

SLACK_LIMITS = Limits(
    pace=1.05,  # Slack allows about one message per second to one channel
    max_pages=5,  # Slack accepts five answers per response_url
    page_chars=36_000,  # the plain-text fallback of a message holds at most 40,000
    paragraphs_per_page=40,  # Block Kit: 50 blocks a message, some for the header and buttons
    paragraph_chars=2800,  # Block Kit: 3,000 characters a section
    lines_per_paragraph=15,
    replay_memory=timedelta(minutes=10),  # longer than Slack's 5-minute replay window
)
