"""The registry of attachment uses: what a module attaches to which of its records, and within which limits.

A use is named "<module or model>.<purpose>" (``organisation.document``, ``meeting.minutes``,
``case.material``). Each app declares its uses in a module ``attachment_uses.py``, which the attachments app
imports at start-up (``apps.py``), so that a use is known wherever a service runs: pages, API, commands."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

from .filetypes import FILE_TYPES, FileType

__all__ = ["AttachmentUse", "find_use", "get_use", "register_use", "registered_uses"]


@dataclass(frozen=True)
class AttachmentUse:
    """One purpose of attachments.

    ``owner`` is the model whose records own them ("app_label.Model"). ``types`` are codes of
    ``filetypes.FILE_TYPES``; ``max_bytes`` and ``max_count`` (per owner record) bound what is stored.
    Who may see and add attachments follows the owner: ``view_action`` on the owner to see and download
    them, ``change_action`` to add and remove them (actions of the owner model's access rule)."""

    code: str
    label: Any
    owner: str
    types: tuple[str, ...]
    max_bytes: int
    max_count: int
    view_action: str = "view"
    change_action: str = "change"
    file_types: tuple[FileType, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = [t for t in self.types if t not in FILE_TYPES]
        if unknown:
            raise ValueError(f"attachment use {self.code!r}: unknown file types {unknown}")
        if self.max_bytes <= 0 or self.max_count <= 0:
            raise ValueError(f"attachment use {self.code!r}: limits must be positive")
        object.__setattr__(self, "file_types", tuple(FILE_TYPES[t] for t in self.types))

    @property
    def owner_model(self) -> type[models.Model]:
        return apps.get_model(self.owner)

    def accepts(self, code: str | None) -> bool:
        return code in self.types

    @property
    def types_label(self) -> str:
        return ", ".join(t.label for t in self.file_types)

    @property
    def accept_attribute(self) -> str:
        """The file input's ``accept`` list: a hint for the browser's picker, never a check."""
        return ",".join(ext for t in self.file_types for ext in t.extensions)


_USES: dict[str, AttachmentUse] = {}


def register_use(use: AttachmentUse) -> AttachmentUse:
    existing = _USES.get(use.code)
    if existing is not None and existing != use:
        raise ValueError(f"attachment use {use.code!r} is registered twice, differently")
    _USES[use.code] = use
    return use


def get_use(code: str) -> AttachmentUse:
    """The registered use; an unknown code is a programming error, not a user's."""
    try:
        return _USES[code]
    except KeyError:
        raise LookupError(f"attachment use {code!r} is not registered") from None


def find_use(code: str) -> AttachmentUse | None:
    """The registered use, or None (a row of a use no longer declared)."""
    return _USES.get(code)


def registered_uses() -> Iterable[AttachmentUse]:
    return tuple(_USES.values())
