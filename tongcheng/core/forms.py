"""Forms of the core pages. Field checks use the shared validators; rules live in the services."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tongcheng.kit.uploads import too_large_message

from . import limits
from .limits import TextRule
from .models import (
    AdjacentZone,
    Jurisdiction,
    MemberRole,
    MetroArea,
    Organisation,
    Role,
    RoleGrant,
    User,
    ZoneKind,
)
from .scope import STAFF_ROLES


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates can render fields as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class RuledCharField(forms.CharField):
    """A text field checked by the same limits.TextRule as its API schema field, so the page and the API
    refuse the same input with the same message. Django's own length and NUL checks are left out: the
    rule covers both, and two messages for one fault would only confuse."""

    def __init__(self, *, rule: TextRule, **kwargs):
        self.rule = rule
        kwargs.setdefault("required", not rule.blank)
        super().__init__(max_length=rule.maximum, **kwargs)
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, (MaxLengthValidator, ProhibitNullCharactersValidator))
        ]
        self.validators.append(rule)

    def to_python(self, value):
        value = super().to_python(value)
        # The rule counts a line break once; a browser posts a textarea's breaks as CRLF.
        return self.rule.normalise(value) if value else value


class ZoneForm(BootstrapMixin, forms.Form):
    name = RuledCharField(label=_("Name"), rule=TextRule(limits.ZONE_NAME_MAX))
    name_en = RuledCharField(label=_("English name"), rule=TextRule(limits.ZONE_NAME_EN_MAX, blank=True))
    code = forms.SlugField(
        label=_("Code"),
        max_length=limits.ZONE_CODE_MAX,
        required=False,
        help_text=_("Lower-case letters, digits and hyphens; derived from the English name when left empty."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ZoneKind.choices)
    established = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    planning_area_km2 = forms.DecimalField(
        label=_("Planning area (km²)"),
        max_digits=limits.AREA_MAX_DIGITS,
        decimal_places=limits.AREA_DECIMAL_PLACES,
        min_value=0.01,
        required=False,
    )
    description = RuledCharField(
        label=_("Description"),
        rule=TextRule(limits.ZONE_DESCRIPTION_MAX, multiline=True, blank=True),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MemberForm(BootstrapMixin, forms.Form):
    code = forms.RegexField(
        label=_("Member code"),
        regex=r"^\d{6}(\d{3})?$",
        error_messages={"invalid": _("Enter a 6-digit GB/T 2260 code or a 9-digit township code.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.PARTNER)


MemberFormSet = forms.formset_factory(
    MemberForm,
    extra=3,
    min_num=limits.ZONE_MEMBERS_MIN,
    validate_min=True,
    max_num=limits.ZONE_MEMBERS_MAX,
    validate_max=True,
)


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File (.csv or .xlsx, as exported)"))
    apply_good_rows = forms.BooleanField(
        label=_("Apply the rows without errors even if others have errors"), required=False
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.fields["file"].help_text = _("At most %(limit)s per file.") % {
            "limit": filesizeformat(max_bytes)
        }

    def clean_file(self):
        # The view has refused larger bodies already; this also holds for a file that came in whole.
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(too_large_message(self.max_bytes), code="too_large")
        return upload


class UnmaskForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


def _expiry_choices() -> list[tuple[int, str]]:
    return [
        (days, ngettext_lazy("%(days)s day", "%(days)s days", days) % {"days": days})
        for days in limits.TOKEN_EXPIRY_CHOICES_DAYS
    ]


class TokenForm(BootstrapMixin, forms.Form):
    name = RuledCharField(label=_("Token name"), rule=TextRule(limits.TOKEN_NAME_MAX))
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=_expiry_choices,
        coerce=int,
        initial=limits.TOKEN_EXPIRY_DAYS_DEFAULT,
    )


class ZoneDecisionForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    note = RuledCharField(
        label=_("Note (required to reject)"),
        rule=TextRule(limits.ZONE_DECISION_NOTE_MAX, multiline=True, blank=True),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- role grants -----------------------------------------------------------------------------------------

# How many people a display-name search names at most: enough to pick from, never a directory.
GRANT_CANDIDATES_MAX = 20
SCOPE_MODELS = {
    "metro": MetroArea,
    "zone": AdjacentZone,
    "jurisdiction": Jurisdiction,
    "organisation": Organisation,
}


def grant_candidates(actor, text: str) -> list[tuple[User, str]]:
    """The accounts an office may pick for a role, each with the name to show.

    Users are not otherwise visible to an office, and the list of every account is not its business: an
    exact username finds any active account (the office learns the username from the person, out of band,
    when it gives a first role), while part of a display name finds only people who already hold a role
    inside the office's own scope. An account found by its username alone shows only that username."""
    text = text.strip()
    if not text:
        return []
    holders = User.objects.filter(
        is_active=True, pk__in=RoleGrant.objects.visible_to(actor, "manage").active().values("user_id")
    )
    exact = User.objects.filter(is_active=True, username=text).first()
    if exact is not None:
        known = holders.filter(pk=exact.pk).exists()
        return [(exact, f"{exact.display_name} ({exact.username})" if known and exact.display_name else text)]
    found = holders.filter(display_name__icontains=text).order_by("display_name", "username")
    return [(u, f"{u.display_name} ({u.username})") for u in found[:GRANT_CANDIDATES_MAX]]


def _scope_kind_choices() -> list[tuple[str, str]]:
    return [(kind, capfirst(model._meta.verbose_name)) for kind, model in SCOPE_MODELS.items()]


def _staff_role_choices() -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if value in STAFF_ROLES]


class GrantForm(BootstrapMixin, forms.Form):
    user = forms.CharField(
        label=_("User"),
        max_length=150,
        help_text=_(
            "The exact username, or part of the display name of someone who already holds a role in your "
            "scope."
        ),
    )
    role = forms.ChoiceField(label=_("Role"), choices=_staff_role_choices)
    scope_kind = forms.ChoiceField(label=_("Scope"), choices=_scope_kind_choices)
    scope_code = forms.CharField(
        label=_("Code of the scope"),
        max_length=80,
        widget=forms.TextInput(attrs={"list": "scope-codes"}),
        help_text=_(
            "The code of the metropolitan area or zone, the 6- or 9-digit jurisdiction code, or the "
            "organisation's key."
        ),
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        help_text=_("Today when left empty."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    valid_to = forms.DateField(
        label=_("Ends on"),
        required=False,
        help_text=_("The first day the role no longer applies; leave empty for no end."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_user(self):
        text = self.cleaned_data["user"]
        found = grant_candidates(self.actor, text)
        if not found:
            raise forms.ValidationError(
                _("No user matches “%(text)s”. Give the exact username."),
                params={"text": text},
                code="unknown",
            )
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several users match “%(text)s”: %(names)s. Give the exact username."),
                params={"text": text, "names": "; ".join(label for _u, label in found)},
                code="ambiguous",
            )
        return found[0][0]

    def clean(self):
        data = super().clean()
        kind, code = data.get("scope_kind"), (data.get("scope_code") or "").strip()
        if kind and code:
            model = SCOPE_MODELS[kind]
            qs = model.objects.visible_to(self.actor)
            if kind == "jurisdiction":
                qs = qs.current()
            scope = qs.filter(**{"key" if kind == "organisation" else "code": code}).first()
            if scope is None:
                # The same words for a record that does not exist and one the office may not see.
                self.add_error(
                    "scope_code",
                    forms.ValidationError(
                        _("No %(kind)s has the code “%(code)s”."),
                        params={"kind": model._meta.verbose_name, "code": code},
                        code="unknown_scope",
                    ),
                )
            else:
                data["scope"] = {kind: scope}
        return data


class ConfirmForm(forms.Form):
    """The second step of an action that cannot be undone from the page (withdrawing a role)."""

    confirm = forms.BooleanField(required=True, widget=forms.HiddenInput)
