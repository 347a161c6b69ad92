"""The sign-in form: when the pair (username, address) is locked it says so, and for how long, in the same
words whether or not the username exists."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from .auth import LOCKED_MESSAGE, SHOWN_ATTR, lockout_minutes


class LoginForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "locked": LOCKED_MESSAGE}

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            # The lockout backend refused the pair (or this failure used up its last place): authenticate()
            # then returns None as for a wrong password, and axes has flagged the request.
            if not getattr(self.request, "axes_locked_out", False):
                raise
        setattr(self.request, SHOWN_ATTR, True)
        raise ValidationError(
            self.error_messages["locked"], code="locked", params={"minutes": lockout_minutes(self.request)}
        )
