"""Signal wiring of the core app: access rules are registered on import."""

from . import rules  # noqa: F401
