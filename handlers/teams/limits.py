"""Teams' limits, as the core needs them (bot.ports.messenger.Limits).

Teams throttles a bot per conversation at 7 messages a second, 60 in 30 seconds and 1,800 an
hour (and about 50 a second per app and tenant). Sustained, the hourly limit binds: one message
every 2 seconds; a pace of 2.05 s keeps under all three (1,756 an hour) without a separate pacer.
A message is one Adaptive Card within Teams' 28 KB activity limit (see handlers/teams/cards.py).
"""

from __future__ import annotations

from datetime import timedelta

from bot.ports.messenger import Limits

TEAMS_LIMITS = Limits(
    pace=2.05,  # 1,800 an hour per conversation binds when sending steadily
    max_pages=5,  # no platform cap (no response_url); five cards keep a chat readable
    page_chars=9000,  # a card's text; Swedish and JSON overhead keep it well under 28 KB
    paragraphs_per_page=40,  # one TextBlock a paragraph, ~100 bytes of JSON each
    paragraph_chars=2000,
    lines_per_paragraph=15,
    replay_memory=timedelta(hours=1),  # the connector retries an activity within minutes
)
