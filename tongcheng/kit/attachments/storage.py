"""Where attachment bytes live: the storage alias "attachments" of settings.STORAGES.

Any Django storage backend serves, so S3-compatible object storage is a setting (docs/kit/attachments.md).
The default is a private folder outside MEDIA_ROOT that no URL serves. Keys are random and carry no name,
no extension and nothing of the content."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone

__all__ = ["ALIAS", "attachment_storage", "new_key", "stored_keys"]

ALIAS = "attachments"


def attachment_storage() -> Storage:
    if ALIAS in settings.STORAGES:
        return storages[ALIAS]
    # A settings module that replaces STORAGES without the alias still keeps attachments private.
    return FileSystemStorage(location=settings.TONGCHENG_ATTACHMENTS_ROOT)


def new_key() -> str:
    """A fresh storage key: year/month folders (so that no folder grows without bound) and 256 random bits."""
    return f"{timezone.now():%Y/%m}/{secrets.token_urlsafe(32)}"


def stored_keys(storage: Storage | None = None, folder: str = "") -> list[str]:
    """Every key in the storage (for checks and for finding files that no row references)."""
    storage = storage or attachment_storage()
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    keys = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        keys += stored_keys(storage, f"{folder}/{sub}" if folder else sub)
    return sorted(keys)
