"""Canonical JSON and the arithmetic of hash chains, free of Django so that engines and outside verifiers can
recompute a chain from an export (tongcheng.kit.models.HashChainedModel stores the chains).

A record's canonical form is its JSON with sorted keys, no spaces, non-ASCII kept as UTF-8 (not \\u escapes).
Only values that read back identically from SQLite and PostgreSQL are admitted: objects with text keys,
arrays, text, integers, booleans and null. Floats and decimals are refused, so money is always integer fen
and a figure can never hash differently after a round trip through the database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

__all__ = [
    "CanonicalError",
    "ChainLink",
    "ChainVerifier",
    "GENESIS_PREFIX",
    "canonical_json",
    "chain_hash",
    "first_broken_link",
    "genesis_hash",
]

# The first record of a chain links to a hash derived from the chain's name, so every chain starts from its own
# value and "previous hash" is unique across chains (the column's unique index is what refuses a fork).
GENESIS_PREFIX = b"tongcheng-chain-genesis\x00"


class CanonicalError(ValueError):
    """The value cannot be written as canonical JSON; ``path`` locates the offending part ($.a[0].b)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        # PostgreSQL's jsonb cannot store U+0000: the record would not be the same on both databases.
        raise CanonicalError(path, "text contains the NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(path, "text is not valid Unicode (lone surrogate)") from exc


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        _check_text(value, path)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(path, f"object key {key!r} is not text")
            _check_text(key, f"{path}.{key}")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if isinstance(value, float):
        raise CanonicalError(path, "floating-point numbers are not allowed; write money as integer fen")
    raise CanonicalError(path, f"{type(value).__name__} is not a JSON value (use text or integer fen)")


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value``; raises CanonicalError for anything outside the admitted types."""
    _check(value, "$")
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def genesis_hash(chain: str) -> str:
    """The ``previous_hash`` of a chain's first record."""
    _check_text(chain, "chain")
    return hashlib.sha256(GENESIS_PREFIX + chain.encode("utf-8")).hexdigest()


def chain_hash(previous_hash: str, payload: bytes) -> str:
    """sha256(previous hash as 64 ASCII hex digits + canonical payload bytes), as hex."""
    return hashlib.sha256(previous_hash.encode("ascii") + payload).hexdigest()


class ChainLink(NamedTuple):
    """One record of a chain as bytes: what an export holds and what verification reads. ``payload`` is the
    canonical JSON, or None when the stored payload cannot even be written canonically (then it was altered)."""

    sequence: int
    previous_hash: str
    payload: bytes | None
    hash: str


class ChainVerifier:
    """Walks one chain from its first record: ``accept`` each record in sequence order; the first refused one
    is where the chain breaks (changed payload or hash, a record missing before it, a forged or moved one)."""

    def __init__(self, chain: str):
        self.expected_previous = genesis_hash(chain)
        self.expected_sequence = 1

    def accept(self, link: ChainLink) -> bool:
        if (
            link.sequence != self.expected_sequence
            or link.previous_hash != self.expected_previous
            or link.payload is None
            or chain_hash(link.previous_hash, link.payload) != link.hash
        ):
            return False
        self.expected_previous = link.hash
        self.expected_sequence += 1
        return True


def first_broken_link(chain: str, links: Iterable[ChainLink]) -> int | None:
    """The position (0-based) of the first link of ``chain`` that does not follow, or None if all do."""
    verifier = ChainVerifier(chain)
    for position, link in enumerate(links):
        if not verifier.accept(link):
            return position
    return None
