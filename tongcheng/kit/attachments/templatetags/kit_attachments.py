"""``{% attachment_section owner "use.code" upload_url %}``: the attachments of a record on its page — a list
with download links for those who see the owner, and the upload form and remove buttons for those who may
change it. The page's view needs no change: the tag reads through the owner's access itself."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from tongcheng.kit.access import can

from ..selectors import attachments_of
from ..uses import get_use

register = template.Library()


@register.inclusion_tag("kit/attachments/_section.html", takes_context=True)
def attachment_section(
    context: template.Context, owner: models.Model, use_code: str, upload_url: str = ""
) -> dict[str, Any]:
    request = context["request"]
    use = get_use(use_code)
    return {
        "use": use,
        "attachments": list(attachments_of(request.user, owner, use)),
        "can_change": bool(upload_url) and can(request.user, use.change_action, owner),
        "upload_url": upload_url,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
