"""Answers as messages: short ones, and long ones in pages within the platform's `Limits`."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import markup
from bot.domain.messages import Action as Button
from bot.domain.messages import Message
from bot.i18n import _
from bot.ports.conversation import Answer
from bot.ports.messenger import Limits


def say(text: str, title: str = "") -> Message:
    """A short answer: the text is the whole message."""
    return Message(text=text if not title else f"{title}. {text}", title=title, body=(text,))


def short_answer(
    text: str, title: str = "", *, public: bool = False, refresh: tuple[str, ...] = ()
) -> Answer:
    """An answer of one short message."""
    return Answer(messages=(say(text, title),), public=public, refresh=refresh)


def clean(text: str | None) -> str:
    """Free text as it may be stored: without control characters or markup markers, trimmed."""
    kept = "".join(ch for ch in (text or "") if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return markup.strip(kept).strip()


def mention(chat_user_id: str | None) -> str:
    """A person in neutral markup, or “nobody”."""
    return markup.mention(chat_user_id) if chat_user_id else _("nobody")


@dataclass(frozen=True)
class Layout:
    """Lines grouped into paragraphs and pages as large as the platform allows."""

    limits: Limits

    def paragraphs(self, lines: Sequence[str]) -> list[str]:
        """Lines grouped into paragraphs that each fit one rendered text block."""
        most, per_paragraph = self.limits.paragraph_chars, self.limits.lines_per_paragraph
        result: list[str] = []
        current: list[str] = []
        size = 0
        for line in lines:
            line = line[:most]
            if current and (len(current) >= per_paragraph or size + len(line) > most):
                result.append("\n".join(current))
                current, size = [], 0
            current.append(line)
            size += len(line) + 1
        if current:
            result.append("\n".join(current))
        return result

    def pages(
        self,
        title: str,
        lines: Sequence[str],
        *,
        lead: Sequence[str] = (),
        fields: tuple[tuple[str, str], ...] = (),
        actions: tuple[Button, ...] = (),
        context: str | None = None,
    ) -> tuple[Message, ...]:
        """A long answer as at most `max_pages` messages; what does not fit is summarised."""
        limits = self.limits
        chunks: list[list[str]] = [[]]
        size = 0
        for part in [*lead, *self.paragraphs(lines)]:
            full = len(chunks[-1]) >= limits.paragraphs_per_page
            if chunks[-1] and (full or size + len(part) > limits.page_chars):
                chunks.append([])
                size = 0
            chunks[-1].append(part)
            size += len(part) + 1
        if len(chunks) > limits.max_pages:
            left = sum(p.count("\n") + 1 for chunk in chunks[limits.max_pages :] for p in chunk)
            chunks = chunks[: limits.max_pages]
            chunks[-1] = [
                *chunks[-1][:-1],
                _("… and {n} more lines. Narrow the question, e.g. `/frister 7`.").format(n=left),
            ]
        result = []
        for index, chunk in enumerate(chunks):
            heading = title
            if len(chunks) > 1:
                heading = f"{title} ({index + 1}/{len(chunks)})"
            last = index == len(chunks) - 1
            result.append(
                Message(
                    text="\n".join([heading, *chunk]),
                    title=heading,
                    fields=fields if index == 0 else (),
                    body=tuple(chunk),
                    actions=actions if last else (),
                    context=context if last else None,
                )
            )
        return tuple(result)
