"""Rule packs: the law as data (TOML), validated on load with line numbers for every error."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import EllipsisType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails

from bot.domain.calendar import SwedishCalendar
from bot.domain.legal_dates import DayCount, LastDay, explain_last_day
from bot.domain.meetings import next_meeting
from bot.domain.periods import Offset, Period, parse_length
from bot.domain.roles import ESCALATION_ROLES, DecisionLevel, Role
from bot.i18n import _

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "rules"
RULE_ID = r"^[a-z][a-z0-9-]{1,49}$"
EVENT_ID = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
NEXT_MEETING = "next-meeting"  # length: the last day is the nämnd's next meeting date
DEFAULT_WEIGHT = 1.0  # a rule without `weight`: one unit of work per open deadline


class RuleError(Exception):
    """A problem in a rule pack, pointing at a file and line (Swedish message)."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = str(self.path) if self.path else _("rule pack")
        if self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


# ---- immutable domain objects -------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One rung of a ladder: a reminder to the handläggare or an escalation to a role."""

    at: Offset
    to: Role
    escalation: bool
    repeat: Offset | None = None

    @property
    def key(self) -> str:
        kind = "esk" if self.escalation else "pam"
        return f"{kind}:{self.at}:{self.to.value}"


@dataclass(frozen=True)
class LegalReference:
    new: str
    old: str | None = None
    changed: date | None = None

    def for_trigger(self, trigger: date) -> str:
        """The reference in force on the trigger day (when the period is not known)."""
        return self.for_period(trigger, trigger)

    def for_period(self, trigger: date, last_day: date) -> str:
        """The reference governing a period from `trigger` to `last_day`.

        The transitional rules of SoL (2025:400) keep the old law only for appeals and
        återkrav: a period still running on the day the new law came into force is governed
        by the new law even when its trigger came earlier.
        """
        if self.old and self.changed and max(trigger, last_day) < self.changed:
            return self.old
        return self.new


@dataclass(frozen=True)
class Extension:
    reason: str
    level: DecisionLevel


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    triggers: tuple[str, ...]
    length: Period | None  # None: genast
    day_count: DayCount
    closes_on: tuple[str, ...]
    legal: LegalReference
    steps: tuple[Step, ...]
    cancelled_on: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    recurs: Period | None = None
    extension: Extension | None = None
    decision_level: DecisionLevel | None = None
    description: str = ""
    source: str = ""
    valid_from: date | None = None  # triggers before this day give no deadline
    only_after: tuple[str, ...] = ()  # applies only after one of these events (an earlier day)
    counted_from: tuple[str, ...] = ()  # the period runs from the latest of these events
    restart: bool = False  # a later trigger ends the running deadline and starts a new one
    quote: str = ""  # the paragraph's own words (verbatim)
    summary: str = ""  # a paraphrase of the paragraph, when no verbatim quote is kept
    until_next_meeting: bool = False  # length = "next-meeting"
    meetings: tuple[date, ...] = ()  # the nämnd's meeting dates (RulePack.with_meetings)
    weight: float = DEFAULT_WEIGHT  # how much work an open deadline of this rule is (workload)

    @property
    def length_text(self) -> str:
        if self.until_next_meeting:
            return _("next meeting of the nämnd")
        return "genast" if self.length is None else str(self.length)

    def has_limit(self, trigger: date) -> bool:
        """False when the law sets no time limit for a trigger on this day (`valid_from`),
        or, for a rule counted to the next meeting, when no later meeting date is known."""
        if self.valid_from is not None and trigger < self.valid_from:
            return False
        return not self.until_next_meeting or self.next_meeting(trigger) is not None

    def next_meeting(self, after: date) -> date | None:
        return next_meeting(self.meetings, after)

    def with_meetings(self, meetings: tuple[date, ...]) -> Rule:
        return replace(self, meetings=tuple(sorted(set(meetings))))

    def reference(self, trigger: date, last_day: date) -> str:
        """The legal reference governing the period from `trigger` to `last_day`."""
        return self.legal.for_period(trigger, last_day)

    @property
    def source_text(self) -> str:
        """The quote, or the summary marked as one ("" when the pack keeps neither)."""
        if self.quote:
            return f"”{self.quote}”"
        if self.summary:
            return _("Summary: {text}").format(text=self.summary)
        return ""

    def explain(
        self,
        trigger: date,
        calendar: SwedishCalendar,
        length: Period | EllipsisType | None = ...,
    ) -> LastDay:
        """Calendar and legal last day for a trigger date (optionally another length)."""
        if self.until_next_meeting and isinstance(length, EllipsisType):
            meeting = self.next_meeting(trigger)
            if meeting is None:
                raise ValueError(f"rule {self.id}: no meeting date after {trigger}")
            return LastDay(meeting, meeting, None)  # a meeting day is never moved
        used = self.length if isinstance(length, EllipsisType) else length
        return explain_last_day(trigger, used, self.day_count, calendar)

    def last_day(self, trigger: date, calendar: SwedishCalendar) -> date:
        return self.explain(trigger, calendar).legal_day

    def next_last_day(self, done_on: date, calendar: SwedishCalendar) -> LastDay:
        """Last day of the next occurrence of a recurring rule, counted from `done_on`."""
        if self.recurs is None:
            raise ValueError(f"rule {self.id} does not recur")
        return self.explain(done_on, calendar, length=self.recurs)


@dataclass(frozen=True)
class WorkloadSettings:
    """The pack's `[workload]` table: how load is judged and what counts as progress."""

    factor: float = 1.5  # over the threshold: load above factor × the enhet's median
    thresholds: dict[str, float] = field(default_factory=dict)  # enhet name -> fixed threshold
    stale_weeks: int = 3  # at risk: no progress event for this many weeks …
    at_risk_rules: tuple[str, ...] = ("utredning",)  # … in an open deadline of these rules
    progress_events: tuple[str, ...] = ()  # events that count as progress in a case


@dataclass(frozen=True)
class RulePack:
    rules: dict[str, Rule]
    events: dict[str, str]
    sources: tuple[str, ...] = ()
    disabled: frozenset[str] = field(default_factory=frozenset)
    workload: WorkloadSettings = field(default_factory=WorkloadSettings)

    def weight(self, rule_id: str) -> float:
        rule = self.rules.get(rule_id)
        return rule.weight if rule else DEFAULT_WEIGHT

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def triggered_by(self, event: str) -> list[Rule]:
        return [rule for rule in self.rules.values() if event in rule.triggers]

    def event_name(self, event: str) -> str:
        return self.events.get(event, event)

    @property
    def needs_meetings(self) -> bool:
        return any(rule.until_next_meeting for rule in self.rules.values())

    def with_meetings(self, meetings: tuple[date, ...]) -> RulePack:
        """The pack with the nämnd's meeting dates given to the rules counted to them."""
        rules = {
            rule_id: rule.with_meetings(meetings) if rule.until_next_meeting else rule
            for rule_id, rule in self.rules.items()
        }
        return replace(self, rules=rules)


# ---- TOML schema ---------------------------------------------------------------------------


def _offset(text: str) -> str:
    try:
        Offset.parse(text)
    except ValueError:
        raise ValueError(_("not a valid step such as -7d, 0d or +1d")) from None
    return text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _StepIn(_Model):
    at: str
    to: Role
    repeat: str | None = None

    @field_validator("at")
    @classmethod
    def _check_at(cls, value: str) -> str:
        return _offset(value)

    @field_validator("repeat")
    @classmethod
    def _check_repeat(cls, value: str | None) -> str | None:
        if value is not None and Offset.parse(_offset(value)).days <= 0:
            raise ValueError(_("a repeat must be at least 1d"))
        return value

    @field_validator("to")
    @classmethod
    def _check_role(cls, value: Role) -> Role:
        if value not in ESCALATION_ROLES:
            raise ValueError(
                _("escalation goes to handlaggare, forste_socialsekreterare, chef or socialchef")
            )
        return value


class _LegalIn(_Model):
    new: str = Field(min_length=3)
    old: str | None = None


class _ExtensionIn(_Model):
    reason: str = Field(min_length=3)
    level: DecisionLevel


class _RuleIn(_Model):
    id: str = Field(pattern=RULE_ID)
    name: str = Field(min_length=2)
    trigger: str | list[str]
    length: str
    day_count: DayCount = DayCount.LAG_1930_173
    closes_on: list[str] = Field(min_length=1)
    cancelled_on: list[str] = []
    requires: list[str] = []
    recurs: str | None = None
    extension: _ExtensionIn | None = None
    decision_level: DecisionLevel | None = None
    legal: _LegalIn
    remind: list[str] = []
    escalate: list[_StepIn] = []
    description: str = ""
    enabled: bool = True
    valid_from: date | None = None
    only_after: list[str] = []
    counted_from: list[str] = []
    restart: bool = False
    quote: str = ""
    summary: str = ""
    weight: float = Field(default=DEFAULT_WEIGHT, ge=0, le=100)

    @field_validator("length")
    @classmethod
    def _check_length(cls, value: str) -> str:
        if value == NEXT_MEETING:
            return value
        try:
            parse_length(value)
        except ValueError:
            raise ValueError(_("not a valid length such as genast, 14d, 1w, 4m or 2y")) from None
        return value

    @field_validator("recurs")
    @classmethod
    def _check_recurs(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            period = Period.parse(value)
        except ValueError:
            raise ValueError(_("not a valid length such as 14d, 1w, 4m or 2y")) from None
        if period.amount == 0:
            raise ValueError(_("a recurring period must be longer than zero"))
        return value

    @field_validator("remind")
    @classmethod
    def _check_remind(cls, value: list[str]) -> list[str]:
        return [_offset(item) for item in value]


class _DisabledRuleIn(_Model):
    """`[[rule]] id = "x" enabled = false`: switch off a rule of an earlier pack (other keys
    of a copied stanza are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(pattern=RULE_ID)
    enabled: Literal[False]


def _rule_kind(raw: Any) -> str:
    return "off" if isinstance(raw, dict) and raw.get("enabled") is False else "on"


class _WorkloadIn(_Model):
    factor: float = Field(default=1.5, gt=1, le=10)
    thresholds: dict[str, Annotated[float, Field(gt=0)]] = {}
    stale_weeks: int = Field(default=3, ge=1, le=52)
    at_risk_rules: list[str] = ["utredning"]
    progress_events: list[str] = []


class _PackIn(_Model):
    pack: str = Field(min_length=1)
    version: str = ""
    sol_2025_from: date | None = None
    event: dict[str, str] = {}
    rule: list[
        Annotated[
            Annotated[_RuleIn, Tag("on")] | Annotated[_DisabledRuleIn, Tag("off")],
            Discriminator(_rule_kind),
        ]
    ] = []
    workload: _WorkloadIn | None = None


# ---- loading -------------------------------------------------------------------------------


def _locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best line number (1-based) in `text` for a validation location like ('rule', 2, 'length')."""
    lines = text.splitlines()

    def key_line(start: int, stop: int, key: str) -> int | None:
        pattern = re.compile(rf"^\s*\"?{re.escape(str(key))}\"?\s*=")
        for number in range(start, stop):
            if pattern.match(lines[number]):
                return number + 1
        return None

    headers = [i for i, line in enumerate(lines) if line.lstrip().startswith("[")]
    if loc and loc[0] == "rule" and len(loc) >= 2 and isinstance(loc[1], int):
        rule_headers = [i for i in headers if lines[i].strip().startswith("[[rule]]")]
        if loc[1] >= len(rule_headers):
            return None
        start = rule_headers[loc[1]]
        stop = next((i for i in headers if i > start), len(lines))
        found = key_line(start + 1, stop, loc[2]) if len(loc) >= 3 else None
        return found or start + 1
    if loc and loc[0] == "event":
        event = next((i for i in headers if lines[i].strip() == "[event]"), None)
        if event is None:
            return None
        stop = next((i for i in headers if i > event), len(lines))
        return (key_line(event + 1, stop, loc[1]) if len(loc) >= 2 else None) or event + 1
    if loc:
        return key_line(0, headers[0] if headers else len(lines), loc[0])
    return None


_PYDANTIC_MESSAGES: dict[str, Callable[[ErrorDetails], str]] = {
    "missing": lambda error: _("required key is missing"),
    "extra_forbidden": lambda error: _("unknown key"),
    "string_pattern_mismatch": lambda error: _(
        "only lower-case letters, digits and hyphens (2-50 characters)"
    ),
    "string_too_short": lambda error: _("must not be empty"),
    "too_short": lambda error: _("needs at least one value"),
    "enum": lambda error: _("allowed values: {values}").format(
        values=error.get("ctx", {}).get("expected", "")
    ),
}


def _message(error: ErrorDetails) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error.get("msg", "")))
    if kind in _PYDANTIC_MESSAGES:
        return _PYDANTIC_MESSAGES[kind](error)
    return _("wrong type or value")


def _is_type_tag(part: Any) -> bool:
    """Pydantic's union-member tags in an error location (`str`, `list[str]`, ...)."""
    return part in ("str", "int", "bool") or str(part).startswith(("list[", "function-"))


def _name_of(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def parse_pack_text(text: str, path: Path | None = None) -> tuple[_PackIn | None, list[RuleError]]:
    """Syntax and schema check of one file; every problem with its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match[1]) if match else None
        return None, [RuleError(_("TOML syntax error: {error}").format(error=exc), path, line)]
    try:
        return _PackIn.model_validate(data), []
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            text_loc = tuple(p for p in loc if not _is_type_tag(p) and p not in ("on", "off"))
            errors.append(
                RuleError(f"{_name_of(text_loc)}: {_message(error)}", path, _locate(text, text_loc))
            )
        return None, errors


def _build_rule(raw: _RuleIn, changed: date | None, source: str) -> Rule:
    steps = [Step(Offset.parse(at), Role.HANDLAGGARE, escalation=False) for at in raw.remind]
    steps += [
        Step(
            Offset.parse(step.at),
            step.to,
            escalation=True,
            repeat=Offset.parse(step.repeat) if step.repeat else None,
        )
        for step in raw.escalate
    ]
    steps.sort(key=lambda s: (s.at.days, s.escalation, ESCALATION_ROLES.index(s.to)))
    triggers = (raw.trigger,) if isinstance(raw.trigger, str) else tuple(raw.trigger)
    return Rule(
        id=raw.id,
        name=raw.name,
        triggers=triggers,
        length=None if raw.length == NEXT_MEETING else parse_length(raw.length),
        until_next_meeting=raw.length == NEXT_MEETING,
        day_count=raw.day_count,
        closes_on=tuple(raw.closes_on),
        cancelled_on=tuple(raw.cancelled_on),
        requires=tuple(raw.requires),
        recurs=Period.parse(raw.recurs) if raw.recurs else None,
        extension=(Extension(raw.extension.reason, raw.extension.level) if raw.extension else None),
        decision_level=raw.decision_level,
        legal=LegalReference(raw.legal.new, raw.legal.old, changed),
        steps=tuple(steps),
        description=raw.description,
        source=source,
        valid_from=raw.valid_from,
        only_after=tuple(raw.only_after),
        counted_from=tuple(raw.counted_from),
        restart=raw.restart,
        quote=raw.quote.strip(),
        summary=raw.summary.strip(),
        weight=raw.weight,
    )


def _cross_check(
    pack: _PackIn, events: dict[str, str], text: str, path: Path | None
) -> list[RuleError]:
    errors: list[RuleError] = []
    if pack.workload is not None:
        for event in pack.workload.progress_events:
            if event not in events:
                message = _("progress_events: unknown event {event}").format(event=event)
                errors.append(
                    RuleError(message, path, _locate(text, ("workload", "progress_events")))
                )
    for name in pack.event:
        if not EVENT_ID.match(name):
            errors.append(
                RuleError(
                    _("event {event}: only lower-case letters, digits and _").format(event=name),
                    path,
                    _locate(text, ("event", name)),
                )
            )
    seen: set[str] = set()
    for index, rule in enumerate(pack.rule):
        if rule.id in seen:
            message = _("rule {rule} is defined twice in the same file").format(rule=rule.id)
            errors.append(RuleError(message, path, _locate(text, ("rule", index, "id"))))
        seen.add(rule.id)
        if isinstance(rule, _DisabledRuleIn):
            continue
        triggers = [rule.trigger] if isinstance(rule.trigger, str) else rule.trigger
        for key, names in (
            ("trigger", triggers),
            ("closes_on", rule.closes_on),
            ("cancelled_on", rule.cancelled_on),
            ("requires", rule.requires),
            ("only_after", rule.only_after),
            ("counted_from", rule.counted_from),
        ):
            for event in names:
                if event not in events:
                    message = _("{key}: unknown event {event}").format(key=key, event=event)
                    errors.append(RuleError(message, path, _locate(text, ("rule", index, key))))
        if rule.length == NEXT_MEETING:
            if rule.recurs:
                message = _("recurs cannot be combined with length = next-meeting")
                errors.append(RuleError(message, path, _locate(text, ("rule", index, "recurs"))))
        elif parse_length(rule.length) is None and rule.recurs:
            message = _("recurs cannot be combined with length = genast")
            errors.append(RuleError(message, path, _locate(text, ("rule", index, "recurs"))))
        if rule.quote.strip() and rule.summary.strip():
            message = _("give either quote or summary, not both")
            errors.append(RuleError(message, path, _locate(text, ("rule", index, "summary"))))
    return errors


def pack_files(local_dir: Path | None = None) -> list[Path]:
    """The built-in pack files, then the municipality's own (sorted by name)."""
    files = sorted(BUILTIN_DIR.glob("*.toml"))
    if local_dir is not None:
        if not local_dir.is_dir():
            raise RuleError(_("the rule directory does not exist"), local_dir)
        files += sorted(local_dir.glob("*.toml"))
    return files


def load_rule_pack(files: Iterable[Path] | None = None, local_dir: Path | None = None) -> RulePack:
    """Load and merge packs (later files override earlier rules with the same id).

    Raises RuleError (the first of possibly several) when anything is wrong.
    """
    files = list(files) if files is not None else pack_files(local_dir)
    errors = check_files(files)
    if errors:
        raise errors[0]
    rules: dict[str, Rule] = {}
    events: dict[str, str] = {}
    disabled: set[str] = set()
    changed: date | None = None  # the built-in pack's SoL 2025:400 date, unless a pack sets one
    workload = WorkloadSettings()
    for path in files:
        parsed, _errors = parse_pack_text(path.read_text(encoding="utf-8"), path)
        assert parsed is not None
        if parsed.workload is not None:
            workload = _merged_workload(workload, parsed.workload)
        events.update(parsed.event)
        changed = parsed.sol_2025_from or changed
        for raw in parsed.rule:
            if isinstance(raw, _DisabledRuleIn) or not raw.enabled:
                rules.pop(raw.id, None)
                disabled.add(raw.id)
                continue
            disabled.discard(raw.id)
            rules[raw.id] = _build_rule(raw, changed, path.name)
    return RulePack(rules, events, tuple(p.name for p in files), frozenset(disabled), workload)


def _merged_workload(base: WorkloadSettings, raw: _WorkloadIn) -> WorkloadSettings:
    """A later pack's `[workload]` keys replace the earlier ones it gives (thresholds merge)."""
    given = raw.model_fields_set
    return WorkloadSettings(
        factor=raw.factor if "factor" in given else base.factor,
        thresholds={**base.thresholds, **raw.thresholds},
        stale_weeks=raw.stale_weeks if "stale_weeks" in given else base.stale_weeks,
        at_risk_rules=(
            tuple(raw.at_risk_rules) if "at_risk_rules" in given else base.at_risk_rules
        ),
        progress_events=(
            tuple(raw.progress_events) if "progress_events" in given else base.progress_events
        ),
    )


def check_files(files: Iterable[Path]) -> list[RuleError]:
    """Every problem in a list of pack files, each checked against the events of all of them."""
    parsed: list[tuple[Path, str, _PackIn]] = []
    errors: list[RuleError] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(RuleError(_("cannot read the file: {error}").format(error=exc), path))
            continue
        pack, problems = parse_pack_text(text, path)
        errors += problems
        if pack is not None:
            parsed.append((path, text, pack))
    events: dict[str, str] = {}
    for _path, _text, pack in parsed:
        events.update(pack.event)
    for path, text, pack in parsed:
        errors += _cross_check(pack, events, text, path)
    order = {str(path): index for index, (path, _t, _p) in enumerate(parsed)}
    return sorted(errors, key=lambda e: (order.get(str(e.path), -1), e.line or 0))


def check_file(path: Path) -> list[RuleError]:
    """Validate one municipal pack file on top of the built-in packs."""
    builtin = [p for p in pack_files() if p.resolve() != path.resolve()]
    return check_files([*builtin, path])
