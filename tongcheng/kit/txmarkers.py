"""On-commit markers: a no-op callback registered with ``transaction.on_commit`` says "this transaction did
X" (bumped the scope version, gave a table a new data token). Django drops the callbacks of a savepoint that
rolls back, so the marker goes with the write it stands for. Used by kit.access and kit.pagecache."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

__all__ = ["marked"]


def marked(connection: Any, markers: Collection[Callable[[], None]]) -> bool:
    """Whether the connection's open transaction holds one of ``markers`` among its on-commit callbacks."""
    return bool(connection.in_atomic_block) and any(entry[1] in markers for entry in connection.run_on_commit)
