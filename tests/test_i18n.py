"""The catalogs: every user-facing string extracted from the code has a Swedish translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import _, ngettext

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sr]|%s")


def _extracted() -> set[str]:
    found = set()
    for folder in ("bot", "handlers", "storage"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(language: str):
    with (ROOT / "bot" / "locale" / language / "LC_MESSAGES" / "frister.po").open("rb") as fh:
        return read_po(fh, locale=language)


def test_every_message_translated():
    catalog = _catalog("sv")
    missing = []
    for message_id in sorted(_extracted()):
        entry = catalog.get(message_id)
        strings = entry.string if entry is not None else None
        if isinstance(strings, tuple):
            strings = all(strings) and strings
        if not strings or (entry is not None and entry.fuzzy):
            missing.append(message_id)
    assert missing == [], "untranslated or stale in sv catalog (run `make catalog`)"


def test_placeholders_kept():
    for message in _catalog("sv"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, message.id


def test_known_message_translated():
    assert _("Nothing was imported.") == "Ingenting importerades."


def test_plural():
    assert ngettext("{n} row has errors.", "{n} rows have errors.", 1) == "{n} rad har fel."
    assert ngettext("{n} row has errors.", "{n} rows have errors.", 3) == "{n} rader har fel."


def test_english_catalog():
    i18n.activate("en")
    assert _("Nothing was imported.") == "Nothing was imported."


def test_unknown_language():
    with pytest.raises(LookupError):
        i18n.translations("fi")


@pytest.fixture
def catalog_folder(tmp_path, monkeypatch):
    """A copy of the sv catalog in its own locale folder, no compiled catalog kept yet."""
    folder = tmp_path / "sv" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    source = i18n.LOCALE_DIR / "sv" / "LC_MESSAGES" / "frister.po"
    (folder / "frister.po").write_bytes(source.read_bytes())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    yield folder
    i18n.translations.cache_clear()


def test_a_compiled_catalog_is_kept_and_follows_its_po(catalog_folder):
    assert i18n.translations("sv").gettext("Nothing was imported.") == "Ingenting importerades."
    first = [path.name for path in catalog_folder.glob("frister.*.mo")]
    assert len(first) == 1
    po = catalog_folder / "frister.po"
    po.write_bytes(
        po.read_bytes().replace(b'msgstr "Ingenting importerades."', b'msgstr "Inget importerat."')
    )
    i18n.translations.cache_clear()
    assert i18n.translations("sv").gettext("Nothing was imported.") == "Inget importerat."
    second = [path.name for path in catalog_folder.glob("frister.*.mo")]
    assert len(second) == 1 and second != first
    i18n.translations.cache_clear()  # the kept one is read back
    assert i18n.translations("sv").gettext("Nothing was imported.") == "Inget importerat."


def test_a_catalog_that_cannot_be_kept_is_compiled_each_time(catalog_folder, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(i18n.tempfile, "mkstemp", refuse)
    assert i18n.translations("sv").gettext("Nothing was imported.") == "Ingenting importerades."
    assert list(catalog_folder.glob("*.mo")) == []


def test_a_kept_catalog_that_is_not_one_is_compiled_again(catalog_folder):
    import hashlib

    po = (catalog_folder / "frister.po").read_bytes()
    kept = catalog_folder / f"frister.{hashlib.sha256(po).hexdigest()[:20]}.mo"
    kept.write_bytes(b"not a catalog")
    assert i18n.translations("sv").gettext("Nothing was imported.") == "Ingenting importerades."
    assert kept.read_bytes().startswith(b"\xde\x12\x04\x95")  # rewritten as a real .mo
