"""Services of the psychosocial survey, one module per concern:

questionnaires (built-in, tenant-made, imported, versioned) · surveys (create, edit, open, close, who
may see which) · distribution (shared link, QR code, personal invitations and reminders) · answering
(the public pages: resolving a link, checking a submit) · storing (one anonymous response: the claim
and the insert in one statement) · results (the k-suppressed report, its views, the aggregate export) ·
work (from a weak dimension to an action item and a hazard; the psychosocial mapping's basis) ·
retention (deleting raw answers, keeping the aggregates).
"""
from saas.i18n import today_in_oslo as oslo_today  # noqa: F401  (services and views call it from here)
