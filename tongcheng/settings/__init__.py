"""Settings entry point: ``tongcheng.settings`` is the base (development and tests);
``tongcheng.settings.production`` hardens it for deployment."""

from .base import *  # noqa: F401,F403
