"""The scope version lives in the database, not in the cache: every process (web workers, job workers)
reads the same row, and a change to grants commits or rolls back together with its new token."""

from __future__ import annotations

from django.db import models

__all__ = ["DATA_VERSION_TABLE", "SCOPE_VERSION_TABLE", "DataVersion", "ScopeVersion"]

SCOPE_VERSION_TABLE = "kit_scope_version"


class ScopeVersion(models.Model):
    """A single row (id 1). ``token`` is random, not a counter, so a database that is flushed, restored or
    swapped under a long-lived shared cache never reuses a key that cached scopes of other data."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        db_table = SCOPE_VERSION_TABLE

    def __str__(self) -> str:
        return self.token


DATA_VERSION_TABLE = "kit_data_version"


class DataVersion(models.Model):
    """One row per table that has been written: a random token replaced by every write to that table (see
    ``tongcheng.kit.pagecache``). A cached page or API list holds the tokens of the tables it read; it is
    served again only while they are unchanged. No history and no audit: it holds no record of anyone's."""

    name = models.CharField(max_length=63, primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        db_table = DATA_VERSION_TABLE

    def __str__(self) -> str:
        return f"{self.name}:{self.token}"
