"""Survey pages.  Staff and client contacts work under /t/<slug>/surveys; respondents answer on the public
pages under /s/<token> (no login, no tenant in the session)."""
from flask import Blueprint

from saas.auth import require_roles, tenant_blueprint
from saas.tenants.models import Role

bp = tenant_blueprint("surveys", __name__, "/surveys")
answer_bp = Blueprint("survey_answer", __name__, url_prefix="/s")

BLUEPRINTS = (bp, answer_bp)

# Client contacts see and distribute their own companies' surveys (visibility is checked per survey).
member_required = require_roles(Role.ADMIN, Role.CONSULTANT, Role.REVIEWER, Role.CLIENT)

from saas.surveys.views import answer, manage, questionnaires, results  # noqa: E402,F401
