"""The signed-in user's own settings: language and personal API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongcheng.kit.services import ServiceError

from ..forms import (
    TokenForm,
)
from ..models import (
    ApiToken,
)
from ..services import accounts

# --- account ---------------------------------------------------------------------------------------------


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(translation.trans_real.settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        accounts.set_language(actor=request.user, language=language)
    translation.activate(language)

    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                accounts.revoke_api_token(actor=request.user, token_id=int(request.POST["revoke"]))
            except (ServiceError, ValueError) as exc:
                # Someone else's token and a missing one get the same answer: not found.
                raise Http404(_("No such token.")) from exc
            messages.success(request, _("Token revoked."))
            return redirect("tokens")
        if form.is_valid():
            try:
                _token, new_key = accounts.create_api_token(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                form = TokenForm()
    return render(
        request,
        "core/tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": ApiToken.objects.filter(user=request.user),
            "now": timezone.now(),
        },
    )
