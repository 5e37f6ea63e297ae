"""Case pseudonyms (`ärendekod`): keyed HMAC-SHA256 or random, Crockford base32, `XXXX-XXXX`.

The raw case reference is only ever held in memory long enough to hash it. Besides the
short code, a full-length keyed digest (`fingerprint`) is stored so that two references
that happen to share a short code are detected instead of silently merged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [high + low for high in CROCKFORD for low in CROCKFORD]  # ten bits -> two digits
_DECODE_MAP = str.maketrans({"I": "1", "L": "1", "O": "0"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_CODE_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]+$")
ALLOWED_LENGTHS = (8, 12, 16)


@dataclass(frozen=True)
class Pseudonym:
    """A case's code and the keyed fingerprint of its reference (never the reference)."""

    code: str
    fingerprint: str | None


def normalise_reference(reference: str) -> str:
    """Unicode NFKC, unified dashes, no white space, upper case: `ifo 2026-12` == `IFO2026‑12`."""
    if reference.isascii():  # NFKC and the dashes change nothing in ASCII
        return "".join(reference.split()).upper()
    text = unicodedata.normalize("NFKC", reference)
    text = _DASHES.sub("-", text)
    # NFKC again: upper() can decompose a few letters (Greek ΐ), which must not change the code.
    return unicodedata.normalize("NFKC", "".join(text.split()).upper())


def _encode(data: bytes, length: int) -> str:
    """The first `length` (even) five-bit groups of `data`, most significant first, in
    Crockford digits: two digits per table look-up."""
    if length % 2 or length * 5 > len(data) * 8:
        raise ValueError("a code is an even number of digits within the data's bits")
    size = (length * 5 + 7) // 8
    bits = int.from_bytes(data[:size], "big") >> (size * 8 - length * 5)
    return "".join([_PAIRS[(bits >> shift) & 1023] for shift in range(length * 5 - 10, -1, -10)])


def format_code(raw: str) -> str:
    """Group a code in fours: `K7QM3XTP` -> `K7QM-3XTP`."""
    return "-".join([raw[i : i + 4] for i in range(0, len(raw), 4)])


def parse_code(text: str) -> str | None:
    """A typed code in canonical form, or None when it cannot be one (forgiving: o->0, l/i->1)."""
    compact = _DASHES.sub("-", "".join(text.split())).replace("-", "").upper()
    compact = compact.translate(_DECODE_MAP)
    if len(compact) not in ALLOWED_LENGTHS or not _CODE_SHAPE.match(compact):
        return None
    return format_code(compact)


class Pseudonymiser:
    """Derives codes from references with a secret key."""

    def __init__(self, key: str, length: int = 8) -> None:
        if length not in ALLOWED_LENGTHS:
            raise ValueError(f"code length must be one of {ALLOWED_LENGTHS}")
        if len(key) < 32:
            raise ValueError("pseudonym key must be at least 32 characters")
        secret = key.encode("utf-8")
        self.length = length
        # Each purpose's HMAC with the key and its prefix already taken in: a copy per
        # reference skips the key set-up (a third less than `hmac.digest` each time).
        self._macs = {
            purpose: hmac.new(secret, purpose + b"\x00", hashlib.sha256)
            for purpose in (b"frister/code/v1", b"frister/fingerprint/v1")
        }

    def _mac(self, purpose: bytes, normalised: bytes) -> bytes:
        mac = self._macs[purpose].copy()
        mac.update(normalised)
        return mac.digest()

    def pseudonym(self, reference: str) -> Pseudonym:
        """Code and fingerprint for a case reference."""
        normalised = normalise_reference(reference).encode("utf-8")
        if not normalised:
            raise ValueError("empty case reference")
        code = format_code(_encode(self._mac(b"frister/code/v1", normalised), self.length))
        fingerprint = self._mac(b"frister/fingerprint/v1", normalised).hex()
        return Pseudonym(code=code, fingerprint=fingerprint)

    def code(self, reference: str) -> str:
        return self.pseudonym(reference).code


def random_code(length: int = 8) -> str:
    """A random code for a case created in chat (no reference exists)."""
    return format_code(_encode(secrets.token_bytes(10), length))
