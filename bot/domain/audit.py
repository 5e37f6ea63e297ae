"""The audit trail's hash chain: hash = SHA-256(prev_hash || canonical row).

A row is canonical JSON (sorted keys, no spaces, UTC timestamp in ISO form), so any change to
a stored row, a deleted row or a reordering breaks the chain at a sequence number that
`verify` names. The head hash, kept outside the database, proves the chain was not rebuilt
or cut short: deleting the newest rows leaves a valid chain, but one that no longer reaches
the kept head (`KeptHead`, checked by `verify(records, kept=...)`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

GENESIS = "0" * 64
# One encoder for every row: `json.dumps` with options builds a new encoder on each call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_STRING = json.encoder.encode_basestring  # one str as _CANONICAL writes it (ensure_ascii off)
HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    arende_code: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@lru_cache(maxsize=16)
def _utc_text(at: datetime) -> str:
    """`at` as the chain writes it (rows written together share one time)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_detail(detail: dict[str, Any]) -> str:
    """`detail` as the chain encodes it (and as new rows store it)."""
    return _CANONICAL.encode(detail)


def canonical_row(
    seq: int, at: datetime, actor: str, action: str, code: str | None, detail_json: str
) -> bytes:
    """The canonical row around an already encoded detail: the same bytes as encoding the
    whole row (keys in sorted order, compact), without encoding the detail a second time."""
    return (
        f'{{"action":{_STRING(action)},"actor":{_STRING(actor)},'
        f'"arende_code":{"null" if code is None else _STRING(code)},'
        f'"at":{_STRING(_utc_text(at))},"detail":{detail_json},"seq":{int(seq)}}}'
    ).encode()


def canonical(
    seq: int, at: datetime, actor: str, action: str, code: str | None, detail: dict[str, Any]
) -> bytes:
    return canonical_row(seq, at, actor, action, code, _CANONICAL.encode(detail))


def chain_hash(prev_hash: str, row: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + row).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head: str
    first_broken: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class KeptHead:
    """A head recorded outside the database: a hash and, when known, its sequence number."""

    hash: str
    seq: int | None = None

    def matches(self, record: AuditRecord) -> bool:
        return record.hash == self.hash and self.seq in (None, record.seq)


def parse_head(text: str) -> KeptHead:
    """`HASH` or `SEQ HASH` as `frister audit head` prints it (anything before them, such as a
    date, is ignored); raises ValueError for anything else."""
    words = text.split()
    if not words or not HASH.fullmatch(words[-1].lower()):
        raise ValueError("not an audit head")
    seq = int(words[-2]) if len(words) > 1 and words[-2].isdigit() else None
    return KeptHead(words[-1].lower(), seq)


def verify(records: Iterable[AuditRecord], kept: Sequence[KeptHead] = ()) -> Verification:
    """Walk the chain in sequence order; stop at the first row that does not fit.

    Every `kept` head must be a row of the chain (the empty chain's GENESIS is always
    reached): if not, rows were deleted from the end or the chain was rebuilt (reason "head").
    """
    missing = [head for head in kept if head.hash != GENESIS]
    prev, expected_seq, checked = GENESIS, None, 0
    for record in records:
        if expected_seq is not None and record.seq != expected_seq:
            return Verification(False, checked, prev, expected_seq, "missing")
        if record.prev_hash != prev:
            return Verification(False, checked, prev, record.seq, "prev_hash")
        row = canonical(
            record.seq, record.at, record.actor, record.action, record.arende_code, record.detail
        )
        if chain_hash(prev, row) != record.hash:
            return Verification(False, checked, prev, record.seq, "hash")
        missing = [head for head in missing if not head.matches(record)]
        prev, expected_seq, checked = record.hash, record.seq + 1, checked + 1
    if missing:
        return Verification(False, checked, prev, missing[0].seq, "head")
    return Verification(True, checked, prev)
