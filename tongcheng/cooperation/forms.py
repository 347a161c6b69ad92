"""Forms of the cooperation pages. Fields check their own format with the shared rules (text rules, money,
division codes); where a record lies and whether the user may put it there is the services' to decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tongcheng.core import pickers
from tongcheng.core.forms import BootstrapMixin, PickedField, RuledCharField, VersionField, text_area_field
from tongcheng.core.limits import TextRule
from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation
from tongcheng.core.money import parse_money
from tongcheng.core.validators import check_uscc

from . import limits
from .industries import industry_choices
from .lists import SEPARATORS
from .models import ContributionKind, CooperationMode, DisbursementPurpose, Park

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class MoneyField(forms.CharField):
    """An amount typed as people write it (1,234.56 / 12.5万元 / 1.2亿元), in 元 by default: integer fen."""

    MAX_LENGTH = 40

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("maxlength", str(self.MAX_LENGTH))

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > self.MAX_LENGTH:
            raise forms.ValidationError(
                _("Enter at most %(maximum)s characters."), params={"maximum": self.MAX_LENGTH}
            )
        return parse_money(text, default_unit="yuan")


class CodesField(forms.CharField):
    """Administrative division codes separated by semicolons (320111;341103): the current jurisdictions."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault(
            "help_text", _("Administrative division codes separated by semicolons, e.g. 320111;341103.")
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[Jurisdiction]:
        text = super().to_python(value) or ""
        for separator in SEPARATORS[1:]:
            text = text.replace(separator, ";")
        wanted = [c.strip() for c in text.split(";") if c.strip()]
        found = {j.code: j for j in Jurisdiction.objects.current().filter(code__in=wanted)}
        unknown = [c for c in wanted if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("No current jurisdiction has the code %(codes)s."), params={"codes": ", ".join(unknown)}
            )
        return [found[c] for c in dict.fromkeys(wanted)]


def _name() -> RuledCharField:
    return RuledCharField(label=_("Name"), rule=TextRule(limits.NAME_MAX))


def _name_en() -> RuledCharField:
    return RuledCharField(label=_("English name"), rule=TextRule(limits.NAME_EN_MAX, blank=True))


def _note(label: Any = None) -> RuledCharField:
    return text_area_field(label or _("Note"), limits.NOTE_MAX)


class PickedJurisdiction(forms.Form):
    """A form with a jurisdiction picked by name (``<name>`` and its hidden ``<name>_code``)."""

    picked: tuple[str, ...] = ()

    def __init__(self, *args: Any, actor: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in self.picked:
            if name not in data:
                continue
            value, error = pickers.resolve(
                self.actor, "jurisdiction", data[name], data.get(f"{name}_code", "")
            )
            if error:
                self.add_error(name, error)
                continue
            place = Jurisdiction.objects.current().filter(code=value).first() if value else None
            if place is None and self.fields[name].required:
                self.add_error(name, _("Choose a jurisdiction."))
            data[f"{name}_place"] = place
        return data


def _picked(label: Any, value_field: str, required: bool = True) -> tuple[PickedField, forms.CharField]:
    return (
        PickedField(
            kind="jurisdiction",
            value_field=value_field,
            label=label,
            required=required,
            help_text=_("Type the name, its pinyin or initials, and choose."),
        ),
        forms.CharField(
            required=False, max_length=12, widget=forms.HiddenInput(attrs={"data-picker-value": ""})
        ),
    )


class ParkFields(BootstrapMixin, PickedJurisdiction):
    picked = ("host",)

    name = _name()
    name_en = _name_en()
    host, host_code = _picked(_("Host jurisdiction"), "host_code")
    partners = CodesField(label=_("Partner jurisdictions"))
    managing_organisation = forms.ModelChoiceField(
        label=_("Managing organisation"), queryset=Organisation.objects.none(), required=False
    )
    area_m2 = forms.IntegerField(
        label=_("Area (m²)"),
        min_value=0,
        max_value=limits.AREA_M2_MAX,
        required=False,
        help_text=_("Whole square metres (1 km² = 1,000,000 m²)."),
    )
    established = forms.DateField(label=_("Established"), required=False, widget=DATE)
    closed = forms.DateField(label=_("Closed"), required=False, widget=DATE)
    note = _note()
    note_en = _note(_("English note"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["managing_organisation"].queryset = Organisation.objects.visible_to(self.actor).order_by(
            "name_sort"
        )
        self.fields["managing_organisation"].label_from_instance = lambda o: o.display


class ParkForm(ParkFields):
    field_order = ["code", "name", "name_en", "zone"]

    code = forms.SlugField(
        label=_("Code"), max_length=limits.CODE_MAX, help_text=_("Lower-case letters, digits and hyphens.")
    )
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=AdjacentZone.objects.none())

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = AdjacentZone.objects.visible_to(self.actor, "change").order_by(
            "name_sort"
        )
        self.fields["zone"].label_from_instance = lambda z: z.display


class ParkEditForm(ParkFields):
    version = VersionField()


class EnterpriseFields(BootstrapMixin, forms.Form):
    name = _name()
    name_en = _name_en()
    industry = forms.ChoiceField(label=_("Industry (GB/T 4754)"), choices=industry_choices)
    note = _note()
    note_en = _note(_("English note"))


class EnterpriseForm(EnterpriseFields, PickedJurisdiction):
    field_order = ["credit_code", "name", "name_en", "industry", "jurisdiction", "jurisdiction_code", "zone"]
    picked = ("jurisdiction",)

    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        validators=[check_uscc],
        help_text=_("18 characters (GB 32100); the check character is verified."),
    )
    jurisdiction, jurisdiction_code = _picked(_("Registered jurisdiction"), "jurisdiction_code")
    zone = forms.ModelChoiceField(
        label=_("Kept by the zone"),
        queryset=AdjacentZone.objects.none(),
        required=False,
        help_text=_("Needed when the enterprise is registered outside the territory you run."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = AdjacentZone.objects.visible_to(self.actor, "change").order_by(
            "name_sort"
        )
        self.fields["zone"].label_from_instance = lambda z: z.display


class EnterpriseEditForm(EnterpriseFields):
    version = VersionField()


class ProjectFields(BootstrapMixin, forms.Form):
    name = _name()
    name_en = _name_en()
    park = forms.ModelChoiceField(label=_("Park"), queryset=Park.objects.none(), required=False)
    enterprise = forms.CharField(
        label=_("Enterprise"),
        required=False,
        max_length=30,
        help_text=_("Its unified social credit code; may be empty."),
    )
    mode = forms.ChoiceField(label=_("Cooperation mode"), choices=CooperationMode.choices)
    investment = MoneyField(
        label=_("Investment (yuan)"), required=False, help_text=_("1,234.56, 12.5万元 or 1.2亿元.")
    )
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DATE)
    attracted_by = CodesField(label=_("Attracted jointly by"))
    support_measures = _note(_("Support measures"))
    support_measures_en = _note(_("English support measures"))
    note = _note()
    note_en = _note(_("English note"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["park"].queryset = (
            Park.objects.visible_to(actor).select_related("zone").order_by("name_sort")
        )
        self.fields["park"].label_from_instance = lambda p: f"{p.display} · {p.zone.display}"

    def clean_enterprise(self) -> Any:
        from .models import Enterprise

        code = (self.cleaned_data.get("enterprise") or "").strip().upper()
        if not code:
            return None
        found = Enterprise.objects.visible_to(self.actor).filter(credit_code=code).first()
        if found is None:
            raise forms.ValidationError(_("No enterprise you may see has this credit code."))
        return found


class ProjectForm(ProjectFields):
    field_order = ["code", "name", "name_en", "zone"]

    code = forms.SlugField(
        label=_("Code"), max_length=limits.CODE_MAX, help_text=_("Lower-case letters, digits and hyphens.")
    )
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=AdjacentZone.objects.none())

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = AdjacentZone.objects.visible_to(self.actor, "change").order_by(
            "name_sort"
        )
        self.fields["zone"].label_from_instance = lambda z: z.display


class ProjectEditForm(ProjectFields):
    version = VersionField()


class StepForm(forms.Form):
    step = forms.CharField(max_length=40)
    version = forms.IntegerField(min_value=1)


# --- the fund ----------------------------------------------------------------------------------------------


class PartyFormMixin(BootstrapMixin, forms.Form):
    party = forms.ChoiceField(label=_("Party"))

    def __init__(self, *args: Any, parties: list[Jurisdiction], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.parties = {j.code: j for j in parties}
        self.fields["party"].choices = [(j.code, j.display_name("en" if _is_en() else "zh")) for j in parties]

    def clean_party(self) -> Jurisdiction:
        return self.parties[self.cleaned_data["party"]]


def _is_en() -> bool:
    from tongcheng.core.bilingual import is_english

    return is_english()


class CommitmentForm(PartyFormMixin):
    year = forms.IntegerField(label=_("Year"), min_value=limits.YEAR_MIN, max_value=limits.YEAR_MAX)
    amount = MoneyField(label=_("Amount (yuan)"), help_text=_("1,234.56, 12.5万元 or 1.2亿元."))
    reference = RuledCharField(label=_("Reference"), rule=TextRule(limits.REFERENCE_MAX, blank=True))
    note = _note()


class ContributionForm(PartyFormMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContributionKind.choices)
    amount = MoneyField(
        label=_("Amount or agreed value (yuan)"), help_text=_("1,234.56, 12.5万元 or 1.2亿元.")
    )
    date = forms.DateField(label=_("Date"), widget=DATE)
    reference = RuledCharField(label=_("Reference"), rule=TextRule(limits.REFERENCE_MAX))
    description = RuledCharField(label=_("Description"), rule=TextRule(limits.NAME_MAX, blank=True))
    note = _note()


class DisbursementForm(BootstrapMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=DisbursementPurpose.choices)
    name = RuledCharField(label=_("Project"), rule=TextRule(limits.NAME_MAX))
    name_en = RuledCharField(label=_("Project (English)"), rule=TextRule(limits.NAME_EN_MAX, blank=True))
    amount = MoneyField(label=_("Amount (yuan)"), help_text=_("1,234.56, 12.5万元 or 1.2亿元."))
    date = forms.DateField(label=_("Date"), widget=DATE)
    resolution = RuledCharField(label=_("Approving resolution"), rule=TextRule(limits.REFERENCE_MAX))
    note = _note()
