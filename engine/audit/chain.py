"""The per-contract history hash chain, canonical format v1.

payload = compact UTF-8 JSON with sorted keys and every field present;
no floats; timestamps as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
hash = sha256(prev_hash || payload); a chain starts from 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

HASH_FORMAT = 1
HASH_ALGORITHM = "sha256"
GENESIS_HASH = "0" * 64

# The typed history columns that enter the payload; the order does not matter
# (keys are sorted), but the set is the format: changing it needs format 2.
PAYLOAD_FIELDS = (
    "contract_number", "seq", "kind", "actor", "os_login", "role", "on_behalf_of",
    "recorded_at", "effective_at", "trigger", "from_state", "to_state", "reason",
    "rule", "data_diff", "details", "process_id", "process_version",
    "hash_format", "hash_algorithm",
)


def format_timestamp(value: datetime) -> str:
    """Render a naive-UTC (or aware) datetime in the chain's fixed UTC form."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError("floats are not allowed in the history payload")
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value


def payload(fields: dict[str, Any]) -> bytes:
    missing = [name for name in PAYLOAD_FIELDS if name not in fields]
    if missing:
        raise KeyError(f"history payload is missing fields: {missing}")
    body = {name: _canonical(fields[name]) for name in PAYLOAD_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(prev_hash: str, fields: dict[str, Any], algorithm: str = HASH_ALGORITHM) -> str:
    if algorithm != HASH_ALGORITHM:
        raise ValueError(f"unsupported history hash algorithm: {algorithm}")
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(payload(fields))
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """First place where a contract's chain stops matching, with the reason."""

    contract_number: str
    seq: int
    problem: str


def verify_chain(
    contract_number: str,
    rows: list[dict[str, Any]],
    last_seq: int,
    last_hash: str,
) -> ChainBreak | None:
    """Walk one contract's rows in seq order; return the first break, or None."""
    prev = GENESIS_HASH
    expected_seq = 1
    for row in rows:
        if row["seq"] != expected_seq:
            return ChainBreak(contract_number, expected_seq, "missing")
        if row["prev_hash"] != prev:
            return ChainBreak(contract_number, row["seq"], "prev_hash")
        if row["hash_format"] != HASH_FORMAT or row["hash_algorithm"] != HASH_ALGORITHM:
            return ChainBreak(contract_number, row["seq"], "format")
        if compute_hash(prev, row) != row["hash"]:
            return ChainBreak(contract_number, row["seq"], "hash")
        prev = row["hash"]
        expected_seq += 1
    if expected_seq - 1 != last_seq:
        return ChainBreak(contract_number, expected_seq, "truncated")
    if prev != last_hash:
        return ChainBreak(contract_number, last_seq, "head")
    return None
