"""The schedule form: the notice it follows, whether it is complete, and one row per day. Field checks
only; the rules (dates in the year, no duplicates, what a complete schedule needs) are in the service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BASIS_MAX, NOTE_MAX
from .services import MAX_DAYS

HOLIDAY, WORKDAY = "holiday", "workday"
EXTRA_ROWS = 10  # blank rows under the entered ones; saving brings ten more


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control form-control-sm")


class ScheduleForm(forms.Form):
    basis = forms.CharField(
        label=_("State Council notice"),
        max_length=BASIS_MAX,
        required=False,
        help_text=_("Its document number and title, as published."),
    )
    published_on = forms.DateField(
        label=_("Published on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    complete = forms.BooleanField(
        label=_("This is the complete schedule of the year"),
        required=False,
        help_text=_(
            "Only a complete schedule is used to compute deadlines; leave it unticked while entering."
        ),
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class DayForm(forms.Form):
    day = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(HOLIDAY, _("Holiday (day off)")), (WORKDAY, _("Adjusted working day"))],
        initial=HOLIDAY,
    )
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("note") and not data.get("day") and "day" not in self.errors:
            self.add_error("day", _("Enter the date of this row, or clear its note."))
        return data


DayFormSet = forms.formset_factory(
    DayForm, extra=EXTRA_ROWS, max_num=MAX_DAYS, validate_max=True, absolute_max=MAX_DAYS + EXTRA_ROWS
)
