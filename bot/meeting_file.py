"""Reading the nämnd's meeting dates (FRISTER_NAMND_MOTEN) for the composition root and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.config import Settings, SettingsError
from bot.domain.meetings import MeetingLineError, parse_meetings
from bot.i18n import _

SETTING = "FRISTER_NAMND_MOTEN"


def read_meeting_file(path: Path) -> tuple[tuple[date, ...], list[MeetingLineError]]:
    """The dates in a file and its bad lines; SettingsError when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(
            _("The setting {name} is invalid: {reason}.").format(
                name=SETTING, reason=_("cannot read the file: {error}").format(error=exc)
            )
        ) from None
    return parse_meetings(text)


def configured_meetings(settings: Settings) -> tuple[date, ...]:
    """The configured meeting dates (none when the setting is empty); a bad file is an error,
    never silently a shorter list."""
    if settings.namnd_moten is None:
        return ()
    dates, errors = read_meeting_file(settings.namnd_moten)
    if errors:
        first = errors[0]
        raise SettingsError(
            _("The setting {name} is invalid: {reason}.").format(
                name=SETTING, reason=f"{settings.namnd_moten}:{first.line}: {first.message}"
            )
        )
    return dates
