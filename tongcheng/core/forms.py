"""Forms of the core pages. Field checks use the shared validators; rules live in the services."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tongcheng.kit.access import scope_of
from tongcheng.kit.uploads import too_large_message

from . import limits, pickers
from .limits import TextRule
from .models import (
    AdjacentZone,
    Jurisdiction,
    MemberRole,
    MetroArea,
    Organisation,
    OrganisationKind,
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


def area_field(label) -> forms.DecimalField:
    """An optional area in km², within the limits the model and the API share."""
    return forms.DecimalField(
        label=label,
        max_digits=limits.AREA_MAX_DIGITS,
        decimal_places=limits.AREA_DECIMAL_PLACES,
        min_value=0.01,
        required=False,
    )


def text_area_field(label, maximum: int) -> RuledCharField:
    """An optional multi-line text (descriptions) under the shared text rule."""
    return RuledCharField(
        label=label,
        rule=TextRule(maximum, multiline=True, blank=True),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
    established = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    planning_area_km2 = area_field(_("Planning area (km²)"))
    description = text_area_field(_("Description"), limits.ZONE_DESCRIPTION_MAX)


class PickedField(forms.CharField):
    """The visible half of a picker: the name the user types (or a script's suggestion fills in). Its
    hidden twin (``<name>_code``, or ``code`` in a member row) holds the code once one is chosen."""

    def __init__(self, *, kind: str, value_field: str = "code", **kwargs):
        kwargs.setdefault("max_length", 150)
        attrs = {"autocomplete": "off", "data-picker-text": kind, "spellcheck": "false"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)
        self.kind = kind
        self.value_field = value_field


class MemberForm(BootstrapMixin, forms.Form):
    """One member row: the jurisdiction picked by name (the code, hidden, once a suggestion is chosen; a
    name typed without the script is looked up when the form is sent), and its role."""

    member = PickedField(
        kind="jurisdiction",
        label=_("Member"),
        required=False,
        help_text=_("Type the name, its pinyin or initials (e.g. pk for 浦口区), and choose."),
    )
    code = forms.CharField(
        required=False, max_length=12, widget=forms.HiddenInput(attrs={"data-picker-value": ""})
    )
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.PARTNER)

    def __init__(self, *args, actor=None, within=None, known=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.within, self.known = actor, within, known or {}

    def clean(self):
        data = super().clean()
        text, code = data.get("member", "").strip(), data.get("code", "").strip()
        if code and code in self.known and (not text or text in self.known[code]):
            return data  # a member the zone has: kept as it is, even if its code has since been abolished
        value, error = pickers.resolve(self.actor, "jurisdiction", text, code, within=self.within)
        if error:
            self.add_error("member", error)
        data["code"] = value or ""
        return data


class BaseMemberFormSet(forms.BaseFormSet):
    def __init__(self, *args, actor=None, within=None, known=None, **kwargs):
        kwargs["form_kwargs"] = {"actor": actor, "within": within, "known": known}
        super().__init__(*args, **kwargs)

    def chosen(self) -> list[tuple[int, str, str]]:
        """(row index, code, role) of the rows that name a member and are not marked for removal."""
        out = []
        for index, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("code") and not data.get("DELETE"):
                out.append((index, data["code"], data["role"]))
        return out


MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=3,
    min_num=limits.ZONE_MEMBERS_MIN,
    validate_min=True,
    max_num=limits.ZONE_MEMBERS_MAX,
    validate_max=True,
)
# Editing: the zone's members, each removable, and two empty rows to add one (more rows: save, and two
# new empty rows come back). At least two sides is the service's rule, with its message.
MemberEditFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=2,
    can_delete=True,
    max_num=limits.ZONE_MEMBERS_MAX,
    validate_max=True,
)


class VersionField(forms.IntegerField):
    """The version of the record the form was opened on: sent back, so that a concurrent edit is refused."""

    def __init__(self, **kwargs):
        super().__init__(
            widget=forms.HiddenInput, min_value=1, max_value=limits.VERSION_MAX, required=False, **kwargs
        )


class ZoneEditForm(BootstrapMixin, forms.Form):
    name = RuledCharField(label=_("Name"), rule=TextRule(limits.ZONE_NAME_MAX))
    name_en = RuledCharField(label=_("English name"), rule=TextRule(limits.ZONE_NAME_EN_MAX, blank=True))
    kind = forms.ChoiceField(label=_("Kind"), choices=ZoneKind.choices)
    parent = forms.ModelChoiceField(label=_("Part of"), queryset=AdjacentZone.objects.none(), required=False)
    established = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    ended = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    planning_area_km2 = area_field(_("Planning area (km²)"))
    start_area_km2 = area_field(_("Start area (km²)"))
    description = text_area_field(_("Description"), limits.ZONE_DESCRIPTION_MAX)
    description_en = text_area_field(_("English description"), limits.ZONE_DESCRIPTION_MAX)
    version = VersionField()

    def __init__(self, *args, zone: AdjacentZone, actor, **kwargs):
        super().__init__(*args, **kwargs)
        within = {zone.pk}
        children = [zone.pk]
        while children:  # a zone cannot be part of one within it: those are not offered
            children = list(AdjacentZone.objects.filter(parent_id__in=children).values_list("pk", flat=True))
            within.update(children)
        choices = AdjacentZone.objects.visible_to(actor).filter(metro_id=zone.metro_id).exclude(pk__in=within)
        if zone.parent_id and not choices.filter(pk=zone.parent_id).exists():
            # The zone is part of one the user does not see (浦口—南谯 of 宁滁, for its own office): that
            # link is not the user's to show or to change, so the field is left out and the link kept.
            del self.fields["parent"]
            return
        self.fields["parent"].queryset = choices
        self.fields["parent"].label_from_instance = lambda z: z.display


class OrganisationFields(BootstrapMixin, forms.Form):
    """The fields an office writes when it creates an organisation and when it edits one."""

    name = RuledCharField(label=_("Name"), rule=TextRule(limits.ORGANISATION_NAME_MAX))
    name_en = RuledCharField(
        label=_("English name"), rule=TextRule(limits.ORGANISATION_NAME_EN_MAX, blank=True)
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    established = forms.DateField(
        label=_("Established"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    description = text_area_field(_("Description"), limits.ORGANISATION_DESCRIPTION_MAX)
    description_en = text_area_field(_("English description"), limits.ORGANISATION_DESCRIPTION_MAX)


class OrganisationForm(OrganisationFields):
    """A new organisation: its jurisdiction picked by name; its zone, among those the office runs."""

    field_order = [
        "key",
        "name",
        "name_en",
        "kind",
        "jurisdiction",
        "jurisdiction_code",
        "zone",
        "established",
        "description",
        "description_en",
    ]

    key = forms.SlugField(
        label=_("Key"),
        max_length=limits.ORGANISATION_KEY_MAX,
        help_text=_(
            "Lower-case letters, digits and hyphens; it names the organisation in addresses and imports."
        ),
    )
    jurisdiction = PickedField(
        kind="jurisdiction",
        value_field="jurisdiction_code",
        label=_("Jurisdiction"),
        help_text=_("Type the name, its pinyin or initials, and choose."),
    )
    jurisdiction_code = forms.CharField(
        required=False, max_length=12, widget=forms.HiddenInput(attrs={"data-picker-value": ""})
    )
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=AdjacentZone.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["zone"].queryset = AdjacentZone.objects.visible_to(actor, "change")
        self.fields["zone"].label_from_instance = lambda z: z.display

    def clean(self):
        data = super().clean()
        if "jurisdiction" in data:
            value, error = pickers.resolve(
                self.actor, "jurisdiction", data["jurisdiction"], data.get("jurisdiction_code", "")
            )
            if error:
                self.add_error("jurisdiction", error)
            else:
                data["jurisdiction_code"] = value or ""
        return data


class OrganisationEditForm(OrganisationFields):
    version = VersionField()


class PersonForm(BootstrapMixin, forms.Form):
    """A person of an organisation. Editing, the ID number is never sent to the page: the field shows the
    masked number as its hint, and left empty keeps the stored one."""

    name = RuledCharField(label=_("Name"), rule=TextRule(limits.PERSON_NAME_MAX))
    position = RuledCharField(label=_("Position"), rule=TextRule(limits.PERSON_POSITION_MAX, blank=True))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    version = VersionField()

    def __init__(self, *args, masked_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if masked_id:
            self.fields["id_number"].widget.attrs["placeholder"] = masked_id
            self.fields["id_number"].help_text = _(
                "Stored: %(masked)s. Leave empty to keep it; type a number to replace it."
            ) % {"masked": masked_id}


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
    scope_name = PickedField(
        kind="scope",
        value_field="scope_code",
        label=_("Scope"),
        required=False,
        help_text=_(
            "Type the name of the metropolitan area, zone, jurisdiction or organisation (pinyin and initials "
            "work too), and choose."
        ),
    )
    # Filled when a suggestion is chosen; a client without the page's script may also send the code or key.
    scope_code = forms.CharField(
        required=False, max_length=80, widget=forms.HiddenInput(attrs={"data-picker-value": ""})
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        help_text=_("Today when left empty."),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    valid_to = forms.DateField(
        label=_("Ends on"),
        required=False,
        help_text=_("The first day the role no longer applies; leave empty for no end."),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
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
        kind = data.get("scope_kind")
        code, text = (data.get("scope_code") or "").strip(), (data.get("scope_name") or "").strip()
        if kind and not (code or text):
            self.add_error("scope_name", forms.ValidationError(_("This field is required."), code="required"))
        elif kind and text:
            # Zones and metropolitan areas: those the office runs; jurisdictions: inside its territory.
            within = None if self.actor.is_superuser else scope_of(self.actor).office_territory()
            code, error = pickers.resolve(
                self.actor,
                kind,
                text,
                code,
                within=within if kind == "jurisdiction" else None,
                action="change" if kind in {"zone", "metro"} else "view",
            )
            if error:
                self.add_error("scope_name", error)
                return data
        if kind and code:
            model = SCOPE_MODELS[kind]
            qs = model.objects.visible_to(self.actor)
            if kind == "jurisdiction":
                qs = qs.current()
            scope = qs.filter(**{"key" if kind == "organisation" else "code": code}).first()
            if scope is None:
                # The same words for a record that does not exist and one the office may not see.
                self.add_error(
                    "scope_name",
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
