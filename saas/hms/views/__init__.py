"""HMS work pages, one blueprint per area (each in its own module below)."""
from saas.auth import tenant_blueprint

years_bp = tenant_blueprint("years", __name__, "/years")            # years overview, mappings, safety rounds, compliance
checklists_bp = tenant_blueprint("checklists", __name__, "/checklists")  # tenant checklist templates (admin)
risks_bp = tenant_blueprint("risks", __name__, "/risks")            # risk matrix settings, assessments, hazards
actions_bp = tenant_blueprint("actions", __name__, "/actions")      # action plan items and notes
evidence_bp = tenant_blueprint("evidence", __name__, "/evidence")   # files: upload, download, verify, history
work_bp = tenant_blueprint("work", __name__, "/work")               # consultant home and client self-service

BLUEPRINTS = (years_bp, checklists_bp, risks_bp, actions_bp, evidence_bp, work_bp)

from saas.hms.views import years, checklists, risks, actions, evidence, work  # noqa: E402,F401
