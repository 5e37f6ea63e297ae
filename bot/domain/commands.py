"""The `/frister` command language: forgiving Swedish, parsed into command objects (pure).

Forgiving means: any case, å/ä/ö or a/a/o, short forms (`förs`, `stat`, `hj`), a bare case code
(`/frister K7QM-3XTP`), and for anything else the closest valid command as a suggestion. The
parser never raises; it returns `Unknown` or `Usage` (a known command with missing or bad
arguments) instead, and the chat service words the answer.

Free text (the skäl of an extension) is returned as typed; the service screens it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain import markup
from bot.domain.pseudonym import parse_code
from bot.domain.roles import Role
from bot.domain.staff import is_platform_user_id, normal_user_id

DEFAULT_DAYS = 14
MAX_DAYS = 366
MAX_INPUT = 2000  # characters; Slack sends at most about 4000


class Problem(StrEnum):
    """What was wrong with the arguments of a known command."""

    MISSING = "missing"
    BAD_CODE = "bad_code"
    BAD_DATE = "bad_date"
    BAD_DAYS = "bad_days"
    BAD_ORDER = "bad_order"
    BAD_ROLE = "bad_role"
    BAD_USER = "bad_user"
    EXTRA = "extra"  # words after a command that takes none (or not these)


# ---- command objects ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mine:
    days: int = DEFAULT_DAYS
    every: bool = False  # `alla`: every open deadline of mine, whatever the horizon


@dataclass(frozen=True)
class Overdue:
    pass


@dataclass(frozen=True)
class Team:
    show: bool = False
    enhet: str | None = None
    days: int | None = None  # the horizon of the listed deadlines (`team 90`)


@dataclass(frozen=True)
class ShowCase:
    code: str


@dataclass(frozen=True)
class Register:
    """`ny`: the modal to register a case event."""


@dataclass(frozen=True)
class MarkDone:
    code: str
    rule: str | None = None


@dataclass(frozen=True)
class Extend:
    """Every field may be missing: the service opens a modal for what is not given."""

    code: str | None = None
    rule: str | None = None
    until: date | None = None
    reason: str | None = None

    @property
    def complete(self) -> bool:
        return None not in (self.code, self.rule, self.until) and bool(self.reason)


@dataclass(frozen=True)
class Absence:
    start: date | None = None
    end: date | None = None
    substitute: str | None = None  # a chat user id
    clear: bool = False
    substitute_name: str | None = None  # typed as `@Bo`: resolved against the staff register


@dataclass(frozen=True)
class Reassign:
    """`omfördela CODE @person`: the person as a chat id or a typed name; neither: a form."""

    code: str
    user: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Statistics:
    enhet: str | None = None


@dataclass(frozen=True)
class Workload:
    """`belastning [ENHET]`: the workload per handläggare."""

    enhet: str | None = None


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class AdminOverview:
    pass


@dataclass(frozen=True)
class AdminLink:
    """Link the channel the command came from to an enhet (`enhet` None: unlink it)."""

    enhet: str | None


@dataclass(frozen=True)
class AdminEscalation:
    """Make the channel the command came from an enhet's escalation channel (None: remove)."""

    enhet: str
    off: bool = False


@dataclass(frozen=True)
class AdminRole:
    user: str
    role: Role
    enhet: str | None = None


@dataclass(frozen=True)
class Usage:
    """A known command with missing or bad arguments: answer with how to write it."""

    command: str  # canonical name, e.g. "klar"
    problem: Problem = Problem.MISSING
    word: str | None = None  # the word not understood (Problem.EXTRA)


@dataclass(frozen=True)
class Unknown:
    word: str
    suggestion: str | None  # canonical name of the closest command


Command = (
    Mine
    | Overdue
    | Team
    | ShowCase
    | Register
    | MarkDone
    | Extend
    | Absence
    | Reassign
    | Statistics
    | Workload
    | Help
    | AdminOverview
    | AdminLink
    | AdminEscalation
    | AdminRole
    | Usage
    | Unknown
)

# ---- words ---------------------------------------------------------------------------------

# Canonical command names as a user sees them in `hjälp`, and the folded words that mean them.
CANONICAL = {
    "mina": "mina",
    "alla": "alla",
    "manad": "månad",
    "vecka": "vecka",
    "forsenade": "försenade",
    "team": "team",
    "arende": "ärende",
    "ny": "ny",
    "klar": "klar",
    "forlang": "förläng",
    "franvaro": "frånvaro",
    "omfordela": "omfördela",
    "statistik": "statistik",
    "belastning": "belastning",
    "hjalp": "hjälp",
    "admin": "admin",
}
# What an unknown word may be pointed to: only commands that read (never `klar`, `förläng`...).
SUGGESTIBLE = frozenset(
    {"mina", "alla", "vecka", "manad", "forsenade", "team", "arende", "statistik", "hjalp"}
)
ALIASES = {
    "mina": "mina",
    "alla": "alla",
    "vecka": "vecka",
    "veckan": "vecka",
    "v": "vecka",
    "manad": "manad",
    "forsenade": "forsenade",
    "forsenad": "forsenade",
    "sena": "forsenade",
    "team": "team",
    "teamet": "team",
    "enheten": "team",
    "arende": "arende",
    "arenden": "arende",
    "kod": "arende",
    "ny": "ny",
    "nytt": "ny",
    "registrera": "ny",
    "handelse": "ny",
    "klar": "klar",
    "klart": "klar",
    "forlang": "forlang",
    "forlangning": "forlang",
    "franvaro": "franvaro",
    "ledig": "franvaro",
    "semester": "franvaro",
    "omfordela": "omfordela",
    "omfordelning": "omfordela",
    "statistik": "statistik",
    "belastning": "belastning",
    "hjalp": "hjalp",
    "help": "hjalp",
    "?": "hjalp",
    "admin": "admin",
}
MIN_PREFIX = 2
OFF_WORDS = frozenset({"av", "slut", "ingen", "bort", "nej"})
SHOW_WORDS = frozenset({"visa", "alla", "kanal", "publikt"})
ROLE_WORDS = {
    "handlaggare": Role.HANDLAGGARE,
    "hl": Role.HANDLAGGARE,
    "socialsekreterare": Role.HANDLAGGARE,
    "forste": Role.FORSTE_SOCIALSEKRETERARE,
    "1:e": Role.FORSTE_SOCIALSEKRETERARE,
    "1e": Role.FORSTE_SOCIALSEKRETERARE,
    "forste_socialsekreterare": Role.FORSTE_SOCIALSEKRETERARE,
    "forstesocialsekreterare": Role.FORSTE_SOCIALSEKRETERARE,
    "chef": Role.CHEF,
    "enhetschef": Role.CHEF,
    "socialchef": Role.SOCIALCHEF,
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
}
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MENTIONED_ID = re.compile(r"^[\w:.-]{2,100}$")  # whatever id the adapter put in a mention
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})


def fold(word: str) -> str:
    """`Förläng` -> `forlang`: NFKC, case-folded, without diacritics."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def parse_date(text: str) -> date | None:
    """`2026-06-26` (also `2026-6-5` and typographic dashes); None when it is not a date."""
    match = _DATE.match(text.strip().translate(_DASHES))
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_user(text: str) -> str | None:
    """A chat user id from a neutral mention (bot.domain.markup.mention; the adapter turns the
    platform's mentions into these) or a bare user id: a Slack id (`U0123ABCD`) or a Teams
    (Microsoft Entra) object id, a GUID. Platform syntax (`<@U123|anna>`) is not accepted."""
    text = text.strip()
    mentioned = markup.mentioned(text)
    if mentioned is not None:
        return mentioned if _MENTIONED_ID.match(mentioned) else None
    return normal_user_id(text) if is_platform_user_id(text) else None


def _keyword(word: str) -> str | None:
    folded = fold(word)
    if folded in ALIASES:
        return ALIASES[folded]
    if len(folded) >= MIN_PREFIX:
        found = {alias for name, alias in ALIASES.items() if name.startswith(folded)}
        if len(found) == 1:
            return found.pop()
    return None


def suggest(word: str) -> str | None:
    """The canonical name of the read-only command closest to `word`, if any is reasonably
    close: a typo is never pointed to a command that changes something."""
    folded = fold(word)[:40]
    words = [alias for alias, name in ALIASES.items() if name in SUGGESTIBLE]
    close = difflib.get_close_matches(folded, words, n=1, cutoff=0.5)
    if not close:
        return None
    return CANONICAL.get(ALIASES[close[0]], ALIASES[close[0]])


def _code(tokens: list[str]) -> tuple[str | None, int]:
    """A case code from the first one or two tokens (`K7QM-3XTP` or `K7QM 3XTP`)."""
    if not tokens:
        return None, 0
    code = parse_code(tokens[0])
    if code is not None:
        return code, 1
    if len(tokens) >= 2:
        code = parse_code(tokens[0] + tokens[1])
        if code is not None:
            return code, 2
    return None, 0


def parse(text: str) -> Command:
    """Parse what followed `/frister`. Never raises."""
    text = unicodedata.normalize("NFKC", text or "")[:MAX_INPUT]
    tokens = text.split()
    if not tokens:
        return Mine()
    head, rest = tokens[0], tokens[1:]
    if head.isdigit() and len(head) <= 4 and not rest:
        days = int(head)
        return Mine(days) if 1 <= days <= MAX_DAYS else Usage("dagar", Problem.BAD_DAYS)
    keyword = _keyword(head)
    if keyword is None:
        code, used = _code(tokens)
        typed = "".join(tokens[:used])
        if code is not None and any(c.isdigit() for c in typed) and used == len(tokens):
            return ShowCase(code)
        return Unknown(head[:40], suggest(head))
    return _PARSERS[keyword](rest, text)


def _rest_text(text: str, skip: int) -> str:
    """The original text after the first `skip` words, white space as typed."""
    remainder = text.strip()
    for _ in range(skip):
        parts = remainder.split(None, 1)
        remainder = parts[1] if len(parts) > 1 else ""
    return remainder.strip()


def _extra(command: str, rest: list[str]) -> Usage | None:
    """Words after a command that takes none are refused, not silently dropped."""
    return Usage(command, Problem.EXTRA, " ".join(rest)[:40]) if rest else None


def _days(word: str) -> int | None:
    """A horizon in days (`30`); None when `word` is not a number. Out of range: -1."""
    if not word.isdigit() or len(word) > 4:
        return None
    days = int(word)
    return days if 1 <= days <= MAX_DAYS else -1


def _mine(rest: list[str], _text: str) -> Command:
    if len(rest) == 1 and fold(rest[0]) == "alla":
        return Mine(every=True)
    if len(rest) == 1 and (days := _days(rest[0])) is not None:
        return Mine(days) if days > 0 else Usage("dagar", Problem.BAD_DAYS)
    return _extra("mina", rest) or Mine(DEFAULT_DAYS)


def _all(rest: list[str], _text: str) -> Command:
    return _extra("alla", rest) or Mine(every=True)


def _week(rest: list[str], _text: str) -> Command:
    return _extra("vecka", rest) or Mine(7)


def _month(rest: list[str], _text: str) -> Command:
    return _extra("manad", rest) or Mine(30)


def _overdue(rest: list[str], _text: str) -> Command:
    return _extra("forsenade", rest) or Overdue()


def _team(rest: list[str], text: str) -> Command:
    """`team [visa] [DAYS] [ENHET]` (the number may also come last): a number is a horizon."""
    show = bool(rest) and fold(rest[0]) in SHOW_WORDS
    words = _rest_text(text, 2 if show else 1).split()
    days = None
    for at in (0, -1):
        if words and (found := _days(words[at])) is not None:
            if found < 0:
                return Usage("team", Problem.BAD_DAYS)
            days = found
            del words[at]
            break
    name = " ".join(words)
    return Team(show=show, enhet=name or None, days=days)


def _case(rest: list[str], _text: str) -> Command:
    if not rest:
        return Usage("arende")
    code, used = _code(rest)
    if code is None or used != len(rest):
        return Usage("arende", Problem.BAD_CODE)
    return ShowCase(code)


def _register(rest: list[str], _text: str) -> Command:
    return _extra("ny", rest) or Register()


def _done(rest: list[str], _text: str) -> Command:
    if not rest:
        return Usage("klar")
    code, used = _code(rest)
    if code is None:
        return Usage("klar", Problem.BAD_CODE)
    rule = " ".join(rest[used:]).strip()
    return MarkDone(code, rule[:60] or None)


def _extend(rest: list[str], text: str) -> Command:
    if not rest:
        return Extend()
    code, used = _code(rest)
    if code is None:
        return Usage("forlang", Problem.BAD_CODE)
    rest = rest[used:]
    if not rest:
        return Extend(code)
    rule = rest[0][:60]
    if len(rest) < 2:
        return Extend(code, rule)
    until = parse_date(rest[1])
    if until is None:
        return Usage("forlang", Problem.BAD_DATE)
    reason = _rest_text(text, 2 + used + 1)[:500]
    return Extend(code, rule, until, reason or None)


def _absence(rest: list[str], _text: str) -> Command:
    if not rest:
        return Absence()
    if fold(rest[0]) in OFF_WORDS:
        return Absence(clear=True)
    start = parse_date(rest[0])
    end = parse_date(rest[1]) if len(rest) >= 2 else None
    if start is None or (len(rest) >= 2 and end is None):
        return Usage("franvaro", Problem.BAD_DATE)
    end = end or start
    if end < start:
        return Usage("franvaro", Problem.BAD_ORDER)
    substitute = name = None
    if len(rest) >= 3:
        substitute, name = parse_person(rest[2])
        if (substitute is None and name is None) or len(rest) > 3:
            return Usage("franvaro", Problem.BAD_USER)
    return Absence(start, end, substitute, substitute_name=name)


def _statistics(rest: list[str], text: str) -> Command:
    return Statistics(_rest_text(text, 1) or None)


def _workload(rest: list[str], text: str) -> Command:
    return Workload(_rest_text(text, 1)[:120] or None)


def _help(rest: list[str], _text: str) -> Command:
    return _extra("hjalp", rest) or Help()


def parse_person(text: str) -> tuple[str | None, str | None]:
    """(chat id, None) for a mention or an id; (None, name) for a typed `@Bo`; (None, None)
    for anything else."""
    user = parse_user(text)
    if user is not None:
        return user, None
    name = text.strip()
    if (
        name.startswith("@")
        and 1 < len(name) <= 60
        and all(c.isalnum() or c in ".-_'" for c in name[1:])
    ):
        return None, name[1:]
    return None, None


def _reassign(rest: list[str], _text: str) -> Command:
    if not rest:
        return Usage("omfordela")
    code, used = _code(rest)
    if code is None:
        return Usage("omfordela", Problem.BAD_CODE)
    rest = rest[used:]
    if not rest:
        return Reassign(code)
    user, name = parse_person(rest[0])
    if (user is None and name is None) or len(rest) > 1:
        return Usage("omfordela", Problem.BAD_USER)
    return Reassign(code, user, name)


def _admin(rest: list[str], text: str) -> Command:
    if not rest:
        return AdminOverview()
    word = fold(rest[0])
    if word in ("koppla", "lank", "lanka", "kanal"):
        name = _rest_text(text, 2)
        if not name:
            return Usage("admin")
        return AdminLink(None if fold(name) in OFF_WORDS else name[:120])
    if word in ("eskalering", "eskaleringskanal", "eskalera"):
        name = _rest_text(text, 2)
        off = False
        if name and fold(name.split()[-1]) in OFF_WORDS:
            off, name = True, " ".join(name.split()[:-1])
        if not name:
            return Usage("admin")
        return AdminEscalation(name[:120], off)
    if word in ("roll", "roller", "behorighet"):
        if len(rest) < 3:
            return Usage("admin")
        user = parse_user(rest[1])
        if user is None:
            return Usage("admin", Problem.BAD_USER)
        role = ROLE_WORDS.get(fold(rest[2]))
        if role is None:
            return Usage("admin", Problem.BAD_ROLE)
        return AdminRole(user, role, _rest_text(text, 4)[:120] or None)
    if word in ("oversikt", "enheter", "visa", "status"):
        return AdminOverview()
    return Usage("admin")


_PARSERS = {
    "mina": _mine,
    "alla": _all,
    "vecka": _week,
    "manad": _month,
    "forsenade": _overdue,
    "team": _team,
    "arende": _case,
    "ny": _register,
    "klar": _done,
    "forlang": _extend,
    "franvaro": _absence,
    "omfordela": _reassign,
    "statistik": _statistics,
    "belastning": _workload,
    "hjalp": _help,
    "admin": _admin,
}
