"""Gettext catalogs (Babel): every user-facing string goes through `_` or `ngettext`.

The `.po` files under `bot/locale/` are compiled in memory when first used, so a
fresh clone needs no build step and a `.mo` can never be stale.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "frister"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "sv"

_active: list[tuple[str, NullTranslations]] = []


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog for a language (`sv`, `en`); English source strings for `en`."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        raise LookupError(f"no catalog for language {language!r} at {path}")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def language_of(locale: str) -> str:
    """`sv_SE` -> `sv`."""
    return locale.replace("-", "_").split("_")[0].lower()


def activate(locale: str) -> None:
    """Make `locale`'s catalog the one `_` uses in this process."""
    language = language_of(locale)
    _active[:] = [(language, translations(language))]


def active() -> NullTranslations:
    if not _active:
        activate(DEFAULT_LANGUAGE)
    return _active[0][1]


def current_language() -> str:
    if not _active:
        activate(DEFAULT_LANGUAGE)
    return _active[0][0]


def _(message: str) -> str:
    """Translate a message with the active catalog."""
    return active().gettext(message)


gettext = _


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a plural form."""
    return active().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message
