"""Person certification models (seed 002, seed 003 § 8-2)."""
from saas.persons.models.people import (  # noqa: F401
    Person, PersonDocument, PersonRegisterSettings, PersonSigningKey, RegisterMode,
)
from saas.persons.models.training import (  # noqa: F401
    PersonCompetence, CompetenceKind, Course, CourseParticipant, Enrolment, EnrolmentState, PracticeEntry, TestAttempt,
    TestKind,
)
from saas.persons.models.register import (  # noqa: F401
    Card, CardState, CaseState, Holding, PersonReminder, RevocationCase, Submission, SubmissionState,
    TrainingPlanItem, WithdrawalReason,
)
