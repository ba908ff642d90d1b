"""The deal-lock view for direct sales and vendor staff: search accounts, see who holds the lock
and whom to contact; the account page with the claim button. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm

from ..forms.disputes import DisputeRaiseForm
from ..selectors import lockview as selectors
from ..services.claims import account_claim


def _actor(request):
    actor = access.require_console(request, Perm.DEAL_LOCKS_VIEW)
    return actor


@login_required
@require_GET
def console_deal_locks(request):
    actor = _actor(request)
    query = request.GET.get("q", "").strip()[:200]
    results = selectors.lock_search_page(actor, query, request.GET.get("page", 1))
    context = {"q": query, "results": results, "accounts": results.accounts}
    if request.htmx:  # typing in the search box: only the results
        return render(request, "dealreg/lockview/_results.html", context)
    return render(request, "dealreg/lockview/search.html", context)


def account_page(request, actor, account, *, raise_form=None, status=200):
    context = {
        "account": account,
        "lock": account.current_locks[0] if account.current_locks else None,
        "can_claim": actor.has(Perm.ACCOUNTS_CLAIM),
        "can_raise": actor.has(Perm.DISPUTES_RAISE),
        "raise_form": raise_form or DisputeRaiseForm(),
        **selectors.account_detail(actor, account),
    }
    return render(request, "dealreg/lockview/account.html", context, status=status)


def get_account(actor, account_uuid):
    return get_object_or_404(selectors.accounts_for(actor), uuid=account_uuid)


@login_required
@require_GET
def console_account_detail(request, account_uuid):
    actor = _actor(request)
    return account_page(request, actor, get_account(actor, account_uuid))


@login_required
@require_POST
def console_account_claim(request, account_uuid):
    actor = _actor(request)
    account = get_account(actor, account_uuid)
    access.require(actor, Perm.ACCOUNTS_CLAIM)
    try:
        account_claim(actor=actor, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return account_page(request, actor, get_account(actor, account_uuid), status=409)
    messages.success(request, _("You now own %(account)s.") % {"account": account.name})
    return redirect("console_account_detail", account_uuid=account.uuid)
