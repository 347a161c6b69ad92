"""The files of jobs (uploads they read, results they write) in Django's storage, under unguessable keys.

The key is random and says nothing about the file: the name the user sees is kept on the job. Nothing here
builds a URL: files are served only by views that resolve the job through ``visible_to`` first, so the
storage may be a private directory or an S3-compatible bucket without public access
(``TONGCHENG_JOBS_STORAGE`` names the ``STORAGES`` alias, ``default`` unless set)."""

from __future__ import annotations

import secrets
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

__all__ = ["job_storage", "save_file", "open_file", "delete_file"]


def job_storage() -> Storage:
    return storages[getattr(settings, "TONGCHENG_JOBS_STORAGE", "default")]


def save_file(folder: str, content: bytes | IO[bytes] | File) -> str:
    """Store the content under ``jobs/<folder>/<random key>`` and return the key the storage chose."""
    if isinstance(content, bytes):
        wrapped: Any = ContentFile(content)
    elif isinstance(content, File):
        wrapped = content
    else:
        wrapped = File(content)
    # 32 random bytes: a key nobody can guess or enumerate, and no user-supplied text in the path.
    name = f"jobs/{folder}/{secrets.token_urlsafe(32)}"
    return job_storage().save(name, wrapped)


def open_file(key: str) -> File:
    return job_storage().open(key, "rb")


def delete_file(key: str) -> None:
    if key:
        job_storage().delete(key)
