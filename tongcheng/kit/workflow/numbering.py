"""Gapless numbering: case and settlement numbers per zone per year, e.g. ``TB-PN-2026-000123``.

``next_number(key)`` runs inside the caller's transaction and locks the sequence's row until that
transaction ends. A number is therefore taken only by a transaction that commits: if the caller rolls back,
the increment rolls back with it and the next caller gets the same number again. So the numbers of committed
records are consecutive, with no gap and no duplicate, however many callers run at once (they wait for each
other on the row lock; keep the work between taking a number and committing short).

The first use of a key creates its row. Two first callers may both find no row: one insert wins (unique
key), the other's fails inside a savepoint and it locks the winner's row instead — on PostgreSQL its insert
waits until the winner commits or rolls back, so it never sees a half-made row."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import NumberSequence

__all__ = ["format_number", "next_number", "sequence_key"]

_ATTEMPTS = 3


def sequence_key(*parts: object) -> str:
    """``sequence_key("case", "pukou-nanqiao", 2026)`` -> ``"case:pukou-nanqiao:2026"``."""
    return ":".join(str(p) for p in parts)


def next_number(key: str) -> int:
    """The next number of the sequence ``key`` (1 for a new key), taken in the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that stores the number")
    for _attempt in range(_ATTEMPTS):
        sequence = NumberSequence.objects.select_for_update().filter(key=key).first()
        if sequence is None:
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(key=key, next_value=1)
            except IntegrityError:
                pass  # another transaction created it first: lock that row on the next pass
            continue
        NumberSequence.objects.filter(pk=sequence.pk).update(next_value=F("next_value") + 1)
        return sequence.next_value
    raise RuntimeError(f"could not take a number of sequence {key!r}")


def format_number(prefix: str, zone_code: str, year: int, n: int, *, width: int = 6) -> str:
    """``format_number("TB", "PN", 2026, 123)`` -> ``"TB-PN-2026-000123"`` (wider when n needs it)."""
    if n < 1:
        raise ValueError("a sequence number starts at 1")
    return f"{prefix.upper()}-{zone_code.upper()}-{year:04d}-{n:0{width}d}"
