"""Gettext catalogs (Babel): every user-facing string goes through `_` or `ngettext`.

The `.po` files under `bot/locale/` are compiled when first used, so a fresh clone needs no
build step. The compiled `.mo` is kept beside its `.po`, named by a hash of the `.po`'s
content, so it is never stale (a changed `.po` has another name) and later runs skip the
compile; where the folder cannot be written the catalog is compiled in memory each run.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

DOMAIN = "frister"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "sv"

_active: list[tuple[str, NullTranslations]] = []


def _compile(po: bytes, language: str) -> bytes:
    from babel.messages.mofile import write_mo  # only when no compiled catalog is kept
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po), locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _keep(folder: Path, name: str, mo: bytes) -> None:
    """Write `mo` as `folder/name` atomically, dropping the catalogs of older `.po`s; any
    OSError (a read-only install) leaves nothing behind."""
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(mo)
            os.replace(temporary, folder / name)
        except OSError:
            os.unlink(temporary)
            raise
        for old in folder.glob(f"{DOMAIN}.*.mo"):
            if old.name != name:
                old.unlink(missing_ok=True)
    except OSError:
        pass


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog for a language (`sv`, `en`); English source strings for `en`."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        raise LookupError(f"no catalog for language {language!r} at {path}")
    po = path.read_bytes()
    kept = path.with_name(f"{DOMAIN}.{hashlib.sha256(po).hexdigest()[:20]}.mo")
    try:
        return Translations(io.BytesIO(kept.read_bytes()), domain=DOMAIN)
    except OSError:  # none kept yet, or not a catalog (gettext: "Bad magic number")
        pass
    mo = _compile(po, language)
    _keep(path.parent, kept.name, mo)
    return Translations(io.BytesIO(mo), domain=DOMAIN)


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
