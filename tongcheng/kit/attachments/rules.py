"""Who reaches an attachment: whoever reaches its owner, for the action its use names.

An attachment has no rule of its own to forget or to get wrong: for each registered use, the rows are those
whose owner is among the owner model's rows for the use's view (or change) action, by the owner model's
own rule. The audit anchors of an attachment are those copied from its owner at upload."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.access import NONE, register_rule, rule_q
from tongcheng.kit.auditing import Anchors, register_action, register_anchors

from .models import Attachment
from .uses import registered_uses

# Attachment action -> which of the use's owner actions it needs.
ACTIONS = {
    "view": "view_action",
    "download": "view_action",
    "change": "change_action",
    "remove": "change_action",
}


register_action("attachment.add", _("Attachment added"))
register_action("attachment.remove", _("Attachment removed"))


@register_rule(Attachment, actions=tuple(ACTIONS))
def attachment_rule(scope: Any, action: str) -> Q:
    attribute = ACTIONS.get(action)
    if attribute is None:
        return NONE
    q: Q | None = None
    for use in registered_uses():
        model = use.owner_model
        owner_q = rule_q(model, scope, getattr(use, attribute))
        if owner_q is NONE:
            continue
        owners = model._default_manager.filter(owner_q).values("pk")
        part = Q(use=use.code, content_type=ContentType.objects.get_for_model(model), object_id__in=owners)
        q = part if q is None else q | part
    return NONE if q is None else q


@register_anchors(Attachment)
def attachment_anchors(obj: Attachment) -> Anchors:
    return {
        "metro_id": obj.metro_id,
        "zone_id": obj.zone_id,
        "jurisdiction_id": obj.jurisdiction_id,
        "organisation_id": obj.organisation_id,
    }
