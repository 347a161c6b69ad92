"""Forms of the core pages. Field checks use the shared validators; rules live in the services."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import MemberRole, ZoneKind
from .uploads import too_large_message


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


class ZoneForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=150, required=False)
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        required=False,
        help_text=_("Lower-case letters, digits and hyphens; derived from the English name when left empty."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ZoneKind.choices)
    established = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    planning_area_km2 = forms.DecimalField(
        label=_("Planning area (km²)"), max_digits=10, decimal_places=2, min_value=0.01, required=False
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class MemberForm(BootstrapMixin, forms.Form):
    code = forms.RegexField(
        label=_("Member code"),
        regex=r"^\d{6}(\d{3})?$",
        error_messages={"invalid": _("Enter a 6-digit GB/T 2260 code or a 9-digit township code.")},
    )
    side = forms.CharField(
        label=_("Side"), max_length=40, required=False, help_text=_("Defaults to the member's province.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.PARTNER)


MemberFormSet = forms.formset_factory(MemberForm, extra=3, min_num=2, validate_min=True, max_num=20)


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


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=80)
