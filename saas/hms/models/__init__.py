"""The HMS work of a certification year, one module per area."""
from saas.hms.models.years import CertificationYear  # noqa: F401
from saas.hms.models.checklists import ChecklistAnswer, ChecklistRun, ChecklistTemplate, ChecklistTemplateVersion  # noqa: F401
from saas.hms.models.mappings import PhysicalMapping, PsychosocialMapping, SafetyRound  # noqa: F401
from saas.hms.models.risks import Hazard, RiskAssessment, RiskMatrixVersion  # noqa: F401
from saas.hms.models.actions import ActionItem, ActionNote  # noqa: F401
from saas.hms.models.compliance import ComplianceCheck  # noqa: F401
from saas.hms.models.evidence import Evidence  # noqa: F401
from saas.hms.models.reminders import SentReminder  # noqa: F401
