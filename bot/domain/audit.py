"""The audit trail's hash chain: hash = SHA-256(prev_hash || canonical row).

A row is canonical JSON (sorted keys, no spaces, UTC timestamp in ISO form), so any change to
a stored row, a deleted row or a reordering breaks the chain at a sequence number that
`verify` names. The head hash, kept outside the database, proves the chain was not rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


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


def canonical(
    seq: int, at: datetime, actor: str, action: str, code: str | None, detail: dict[str, Any]
) -> bytes:
    row = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "arende_code": code,
        "detail": detail,
    }
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, row: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + row).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head: str
    first_broken: int | None = None
    reason: str | None = None


def verify(records: Iterable[AuditRecord]) -> Verification:
    """Walk the chain in sequence order; stop at the first row that does not fit."""
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
        prev, expected_seq, checked = record.hash, record.seq + 1, checked + 1
    return Verification(True, checked, prev)
