"""Cooperation agreements (合作协议, S-B2..B4) and their versions.

An ``Agreement`` is the lasting record: the zone it belongs to, its parties (the jurisdictions whose treasuries
share, in the order every ratio vector follows) and its title. What it says is in its versions: each
``AgreementVersion`` holds one complete set of rules — the engine's agreement format
(docs/settlement-formats.md) without the id, name, parties and term dates, which come from the agreement and
from the version's effective months — and moves draft → approved → superseded through the kit's workflow
(sharing/services.py). Both keep their full change history.

The rules are stored as the engine's own JSON so that what the database holds and what ``tongcheng settle``
reads are one format: every save runs the engine's agreement reader on the document the version produces
(sharing/canonical.py)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.core.bilingual import Bilingual, text_for
from tongcheng.kit.models import TrackedModel
from tongcheng.kit.querysets import ScopedQuerySet

__all__ = ["Agreement", "AgreementVersion", "VersionStatus", "MONTH_PATTERN"]

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
month_validator = RegexValidator(MONTH_PATTERN, _("Enter a month as YYYY-MM."), code="invalid_month")

AGREEMENT_CODE_MAX = 60
AGREEMENT_TITLE_MAX = 200
AGREEMENT_NOTE_MAX = 5000
RESOLUTION_MAX = 200


class Agreement(Bilingual, TrackedModel):
    """A cooperation agreement of a zone between two or more parties (jurisdictions)."""

    zone = models.ForeignKey(
        "core.AdjacentZone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="agreements"
    )
    # The agreement's id in the engine's format and in addresses (e.g. "pn-park-2021").
    code = models.SlugField(_("code"), max_length=AGREEMENT_CODE_MAX, unique=True)
    title = models.CharField(_("title"), max_length=AGREEMENT_TITLE_MAX)
    title_en = models.CharField(_("English title"), max_length=AGREEMENT_TITLE_MAX, blank=True)
    # [{"jurisdiction": "341103", "role": "host"}, …]: every ratio vector lists one value per party, in this
    # order. Fixed once a version has been approved (a settled ratio must keep meaning the same party).
    parties = models.JSONField(_("parties"), default=list)
    note = models.TextField(_("note"), blank=True, max_length=AGREEMENT_NOTE_MAX)
    note_en = models.TextField(_("English note"), blank=True, max_length=AGREEMENT_NOTE_MAX)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["zone", "code"]
        verbose_name = _("cooperation agreement")
        verbose_name_plural = _("cooperation agreements")

    def __str__(self) -> str:
        return self.title

    @property
    def display(self) -> str:
        return text_for(self, "title")

    @property
    def party_codes(self) -> list[str]:
        return [str(p.get("jurisdiction", "")) for p in self.parties or []]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("agreement_detail", args=[self.code])


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class AgreementVersion(TrackedModel):
    """One complete set of an agreement's rules, in force over ``effective_from`` … ``effective_to`` (months,
    inclusive; an empty end is open) once approved by the resolution it names."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True
    )
    effective_from = models.CharField(_("in force from"), max_length=7, validators=[month_validator])
    effective_to = models.CharField(
        _("in force until"), max_length=7, blank=True, validators=[month_validator]
    )
    # The approving resolution (审议决定): the decision body's minutes or document number.
    resolution = models.CharField(_("approving resolution"), max_length=RESOLUTION_MAX, blank=True)
    # The engine's agreement format without id, name, parties and the term's start and end (see the module).
    rules = models.JSONField(_("rules"), default=dict)
    note = models.TextField(_("note"), blank=True, max_length=AGREEMENT_NOTE_MAX)
    note_en = models.TextField(_("English note"), blank=True, max_length=AGREEMENT_NOTE_MAX)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "number"]
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="coop_agreement_version_number_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · v{self.number}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("agreement_version_detail", args=[self.agreement.code, self.number])

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT
