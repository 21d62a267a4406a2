"""The Content-Security-Policy of the two pages that run Stripe.js (card payment, card registration): the
inline script carries a nonce, and only Stripe's script, frame and API origins are added to the defaults."""
from __future__ import annotations

import secrets

from flask import make_response, render_template

from saas.billing import gateway


def render_with_stripe(template: str, **context):
    nonce = secrets.token_urlsafe(16)
    js_origin, api_origin = gateway.stripe_origins()
    response = make_response(render_template(template, nonce=nonce, stripe_js=gateway.setting("STRIPE_JS_URL"), **context))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}' {js_origin}; frame-src {js_origin} https://hooks.stripe.com; "
        f"connect-src 'self' {api_origin}; img-src 'self' data: https://*.stripe.com; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
    return response
