"""Forms of the core pages. Field checks use the shared validators; rules live in the services."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tongcheng.kit.uploads import too_large_message

from . import limits
from .limits import TextRule
from .models import MemberRole, ZoneKind


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
    side = RuledCharField(
        label=_("Side"),
        rule=TextRule(limits.MEMBER_SIDE_MAX, blank=True),
        help_text=_("Defaults to the member's province."),
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
