"""Read-only when the subscription has lapsed: the tenant's people keep reading and exporting their data,
but nothing changes until the subscription is paid again.

``refuse_writes_when_lapsed`` runs before the billing pages (a before_request of the billing blueprint);
the lead calls it from ``saas.auth.enter_tenant`` too, right after ``bind_tenant``, so it covers every
tenant page and the API.
"""
from __future__ import annotations

from flask import abort, jsonify, make_response, render_template, request

from saas.billing.services.subscriptions import is_lapsed
from saas.db import current_session

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a lapsed tenant may still do: pay again, keep its accounts safe (password, API tokens for exporting
# through the API), and leave.
ALLOWED_ENDPOINTS = frozenset({"billing.subscription", "billing.subscription_start", "billing.subscription_confirm",
                               "tenants.account", "tenants.create_token", "tenants.revoke_token",
                               "public.logout", "public.set_language"})


def write_refused() -> bool:
    """True when the current request would change data of a tenant whose subscription has lapsed."""
    if request.method not in WRITE_METHODS or request.endpoint in ALLOWED_ENDPOINTS:
        return False
    return is_lapsed(current_session())


def refuse_writes_when_lapsed() -> None:
    """Abort with 402 (a page saying why, or JSON for the API) when ``write_refused``."""
    if not write_refused():
        return
    message = "Abonnementet er ikke betalt. Dere kan lese og eksportere dataene, men ikke endre dem før abonnementet er fornyet."
    if request.path.startswith("/api/"):
        abort(make_response(jsonify(error="subscription_lapsed", message=message), 402))
    abort(make_response(render_template("billing/lapsed.html", message=message), 402))
