"""Risk assessments: the tenant's versioned matrix, assessments that keep a snapshot of it, hazards scored
on that snapshot, measures turned into action items, and the heat map of a year.

The matrix rules themselves (levels, colours, the never-green worst consequence) live in the pure
``saas.hms.risk``; this module stores, versions and applies them.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cache

from flask_babel import lazy_gettext
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.services import NotFound
from saas.db import named_rows
from saas.hms import risk
from saas.hms.models import ActionItem, CertificationYear, Hazard, RiskAssessment, RiskMatrixVersion
from saas.hms.services.actions import create_action_item
from saas.schemas import FieldErrors
from saas.tenants.models import User

__all__ = ["NotFound", "current_matrix", "matrix_versions", "save_matrix", "create_assessment", "update_assessment",
           "get_assessment", "get_hazard", "add_hazard", "update_hazard", "delete_hazard", "hazard_to_action",
           "hazard_view", "assessment_view", "year_summary", "snapshot_matrix"]

ASSESSMENT_STATUSES = ("draft", "completed")
ASSESSMENT_STATUS_LABELS = {"draft": "Utkast", "completed": "Fullført"}
HAZARD_FIELDS = ("description", "location", "area", "probability", "consequence", "probability_after",
                 "consequence_after", "measures", "responsible")
ASSESSMENT_FIELDS = ("title", "assessed_on", "next_review_on", "responsible", "status", "no_significant_hazards",
                     "conclusion_note")
NO_CONCLUSION = ("En fullført risikovurdering må ha minst én vurdert fare, eller konklusjonen «ingen vesentlige "
                 "farer» med en begrunnelse.")


# -- the tenant's matrix ---------------------------------------------------------------------------------

def _latest_matrix(session: Session) -> RiskMatrixVersion | None:
    return session.scalar(select(RiskMatrixVersion).order_by(RiskMatrixVersion.version.desc()).limit(1))


def current_matrix(session: Session) -> RiskMatrixVersion:
    """The tenant's newest matrix version; the shipped 5×5 default becomes version 1 on first need.

    Idempotent and safe when two requests need it at once: the loser of the insert race (unique
    tenant + version) rolls back its savepoint and reads the winner's row.
    """
    latest = _latest_matrix(session)
    if latest is not None:
        return latest
    try:
        with session.begin_nested():
            latest = RiskMatrixVersion(version=1, data=risk.default_matrix().to_dict())
            session.add(latest)
    except IntegrityError:
        latest = _latest_matrix(session)
    return latest


def matrix_versions(session: Session) -> list[dict]:
    rows = session.execute(
        select(RiskMatrixVersion.id, RiskMatrixVersion.version, RiskMatrixVersion.data, RiskMatrixVersion.created_at,
               User.name.label("created_by"))
        .outerjoin(User, User.id == RiskMatrixVersion.created_by).order_by(RiskMatrixVersion.version.desc())
    ).all()
    return [dict(id=r.id, version=r.version, created_at=r.created_at, created_by=r.created_by or "",
                 size=f"{len(r.data['probability_labels'])}×{len(r.data['consequence_labels'])}") for r in rows]


def save_matrix(session: Session, actor: User, data: dict) -> RiskMatrixVersion | None:
    """Store ``data`` as the tenant's next matrix version; None when it equals the current one.

    Raises FieldErrors keyed by the matrix paths of ``saas.hms.risk.validate_matrix`` ("cells[4][4]",
    "probability_labels[0].nb"), e.g. when the highest consequence is coloured green.
    """
    try:
        matrix = risk.RiskMatrix.from_dict(data)
    except risk.MatrixError as error:
        messages: dict[str, list[str]] = defaultdict(list)
        for path, message in error.errors:
            messages[path or "_schema"].append(message)
        raise FieldErrors(dict(messages)) from None
    current = current_matrix(session)
    if risk.RiskMatrix.from_dict(current.data) == matrix:
        return None
    version = RiskMatrixVersion(version=current.version + 1, data=matrix.to_dict(), created_by=actor.id)
    session.add(version)
    session.flush()
    record(session, actor, "risk_matrix.changed", version, f"Risikomatrise versjon {version.version}",
           size=f"{matrix.n_probability}x{matrix.n_consequence}")
    return version


def snapshot_matrix(snapshot: dict) -> risk.RiskMatrix:
    return risk.RiskMatrix.from_dict(snapshot)


# -- assessments -------------------------------------------------------------------------------------------

def get_assessment(session: Session, assessment_id: int) -> RiskAssessment:
    assessment = session.get(RiskAssessment, assessment_id)
    if assessment is None:
        raise NotFound(assessment_id)
    return assessment


def get_hazard(session: Session, hazard_id: int) -> Hazard:
    hazard = session.get(Hazard, hazard_id)
    if hazard is None:
        raise NotFound(hazard_id)
    return hazard


def _check_assessment(data: dict) -> None:
    errors = {}
    if data.get("status") not in (None, *ASSESSMENT_STATUSES):
        errors["status"] = "Ugyldig status."
    if data.get("assessed_on") and data.get("next_review_on") and data["next_review_on"] < data["assessed_on"]:
        errors["next_review_on"] = "Neste gjennomgang kan ikke være før vurderingsdatoen."
    if errors:
        raise FieldErrors(errors)


def _check_conclusion(assessment: RiskAssessment, hazard_count: int) -> None:
    """A completed assessment says something (B3): at least one assessed hazard, or the explicit conclusion
    "no significant hazards" with a note.  Raises FieldErrors naming the field to fix."""
    if assessment.status != "completed" or hazard_count > 0:
        return
    if not assessment.no_significant_hazards:
        raise FieldErrors({"no_significant_hazards": lazy_gettext(NO_CONCLUSION)})
    if not (assessment.conclusion_note or "").strip():
        raise FieldErrors({"conclusion_note": lazy_gettext("Skriv hvorfor ingen vesentlige farer ble funnet.")})


def _hazard_count(session: Session, assessment_id: int | None) -> int:
    if assessment_id is None:
        return 0
    return session.scalar(select(func.count(Hazard.id)).where(Hazard.assessment_id == assessment_id)) or 0


def create_assessment(session: Session, actor: User, year: CertificationYear, data: dict) -> RiskAssessment:
    """A new assessment in ``year`` that keeps the tenant's current matrix as its snapshot.  Raises
    FieldErrors for a completed assessment without hazards or a "no significant hazards" conclusion."""
    _check_assessment(data)
    assessment = RiskAssessment(year_id=year.id, matrix_snapshot=current_matrix(session).data,
                                **{k: v for k, v in data.items() if k in ASSESSMENT_FIELDS and v is not None})
    _check_conclusion(assessment, 0)
    session.add(assessment)
    session.flush()
    record(session, actor, "risk_assessment.created", assessment, assessment.title)
    return assessment


def update_assessment(session: Session, actor: User, assessment: RiskAssessment, data: dict) -> RiskAssessment:
    _check_assessment(data)
    changed = sorted(k for k in ASSESSMENT_FIELDS if k in data and getattr(assessment, k) != data[k])
    for key in ASSESSMENT_FIELDS:
        if key in data and (data[key] is not None or key not in ("title", "status")):
            setattr(assessment, key, data[key])
    _check_conclusion(assessment, _hazard_count(session, assessment.id))
    session.flush()
    record(session, actor, "risk_assessment.updated", assessment, assessment.title, fields=changed)
    return assessment


# -- hazards -----------------------------------------------------------------------------------------------

def _check_levels(matrix: risk.RiskMatrix, data: dict) -> None:
    """Levels must exist in the assessment's own snapshot, not in whatever the tenant uses today."""
    errors = {}
    axes = (("probability", "Sannsynlighet", matrix.n_probability), ("consequence", "Konsekvens", matrix.n_consequence))
    for suffix, required in (("", True), ("_after", False)):
        for field, label, n in axes:
            value = data.get(field + suffix)
            if value is None and not required:
                continue
            if value is None or isinstance(value, bool) or not 1 <= value <= n:
                errors[field + suffix] = f"{label} må være fra 1 til {n} i matrisen denne risikovurderingen bruker."
    if "probability_after" not in errors and "consequence_after" not in errors:
        if (data.get("probability_after") is None) != (data.get("consequence_after") is None):
            missing = "probability_after" if data.get("probability_after") is None else "consequence_after"
            errors[missing] = "Fyll ut både sannsynlighet og konsekvens etter tiltak, eller ingen av dem."
    if errors:
        raise FieldErrors(errors)


def add_hazard(session: Session, actor: User, assessment: RiskAssessment, data: dict) -> Hazard:
    """Add a hazard scored on the assessment's snapshot.  Raises FieldErrors naming the field."""
    _check_levels(snapshot_matrix(assessment.matrix_snapshot), data)
    hazard = Hazard(assessment_id=assessment.id, **{k: v for k, v in data.items() if k in HAZARD_FIELDS})
    session.add(hazard)
    session.flush()
    record(session, actor, "hazard.created", hazard, hazard.description[:200])
    return hazard


def update_hazard(session: Session, actor: User, hazard: Hazard, data: dict) -> Hazard:
    """``data`` holds every hazard field (a partial API update is merged with the current values first)."""
    _check_levels(snapshot_matrix(hazard.assessment.matrix_snapshot), data)
    changed = sorted(k for k in HAZARD_FIELDS if k in data and getattr(hazard, k) != data[k])
    for key in HAZARD_FIELDS:
        if key in data:
            setattr(hazard, key, data[key])
    session.flush()
    record(session, actor, "hazard.updated", hazard, hazard.description[:200], fields=changed)
    return hazard


def delete_hazard(session: Session, actor: User, hazard: Hazard) -> None:
    record(session, actor, "hazard.deleted", hazard, hazard.description[:200])
    session.delete(hazard)
    session.flush()


def hazard_action_id(session: Session, hazard_id: int) -> int | None:
    return session.scalar(select(ActionItem.id).where(ActionItem.source_type == "hazard", ActionItem.source_id == hazard_id)
                          .order_by(ActionItem.id).limit(1))


def hazard_to_action(session: Session, actor: User, hazard: Hazard, deadline: date | None = None) -> ActionItem:
    """The hazard's measures as an item of the year's action plan, in the caller's transaction.

    Raises FieldErrors when the hazard has no measures or already has its action item.
    """
    if not hazard.measures.strip():
        raise FieldErrors({"measures": "Beskriv tiltakene før de legges i handlingsplanen."})
    if hazard_action_id(session, hazard.id) is not None:
        raise FieldErrors({"measures": "Tiltakene for denne faren ligger allerede i handlingsplanen."})
    assessment = hazard.assessment
    year = session.get(CertificationYear, assessment.year_id)
    first_line = hazard.measures.strip().splitlines()[0]
    title = first_line if len(first_line) <= 300 else first_line[:297] + "..."
    description = f"{hazard.measures.strip()}\n\nFare: {hazard.description}" + (f" ({hazard.location})" if hazard.location else "")
    return create_action_item(session, actor, year, title=title, description=description, area=hazard.area,
                              source_type="hazard", source_id=hazard.id, responsible_name=hazard.responsible,
                              deadline=deadline)


# -- reading ---------------------------------------------------------------------------------------------

def _labels(matrix: risk.RiskMatrix) -> dict:
    # English names fall back to bokmål where the tenant gave none; pages pick by the reader's language.
    return dict(probability_labels=[label.nb for label in matrix.probability_labels],
                consequence_labels=[label.nb for label in matrix.consequence_labels],
                probability_labels_en=[label.en or label.nb for label in matrix.probability_labels],
                consequence_labels_en=[label.en or label.nb for label in matrix.consequence_labels])


def _scored(matrix: risk.RiskMatrix, p: int | None, c: int | None) -> tuple[int | None, str | None]:
    if p is None or c is None:
        return None, None
    return matrix.score(p, c), matrix.colour(p, c)


def _hazard_row(matrix: risk.RiskMatrix, h: Hazard, action_item_id: int | None) -> dict:
    score, colour = _scored(matrix, h.probability, h.consequence)
    score_after, colour_after = _scored(matrix, h.probability_after, h.consequence_after)
    return dict(id=h.id, assessment_id=h.assessment_id, description=h.description, location=h.location, area=h.area,
                probability=h.probability, consequence=h.consequence, probability_after=h.probability_after,
                consequence_after=h.consequence_after, measures=h.measures, responsible=h.responsible, score=score,
                colour=colour, score_after=score_after, colour_after=colour_after, action_item_id=action_item_id)


def hazard_view(session: Session, hazard: Hazard) -> dict:
    """One hazard scored and coloured by its assessment's snapshot, as plain data."""
    return _hazard_row(snapshot_matrix(hazard.assessment.matrix_snapshot), hazard, hazard_action_id(session, hazard.id))


def assessment_view(session: Session, assessment: RiskAssessment) -> dict:
    """The assessment with its hazards, scored and coloured by its snapshot, and heat maps before and
    after measures, as plain data (two queries)."""
    matrix = snapshot_matrix(assessment.matrix_snapshot)
    hazards = session.scalars(select(Hazard).where(Hazard.assessment_id == assessment.id).order_by(Hazard.id)).all()
    actions = dict(session.execute(select(ActionItem.source_id, ActionItem.id).where(
        ActionItem.source_type == "hazard", ActionItem.source_id.in_([h.id for h in hazards] or [-1]))
        .order_by(ActionItem.id.desc())).all())
    return dict(
        id=assessment.id, year_id=assessment.year_id, title=assessment.title, assessed_on=assessment.assessed_on,
        next_review_on=assessment.next_review_on, responsible=assessment.responsible, status=assessment.status,
        status_label=ASSESSMENT_STATUS_LABELS.get(assessment.status, assessment.status),
        no_significant_hazards=assessment.no_significant_hazards, conclusion_note=assessment.conclusion_note,
        created_at=assessment.created_at, matrix_snapshot=assessment.matrix_snapshot,
        hazards=[_hazard_row(matrix, h, actions.get(h.id)) for h in hazards],
        matrix=dict(n_probability=matrix.n_probability, n_consequence=matrix.n_consequence, **_labels(matrix)),
        heatmap=risk.heatmap([(h.probability, h.consequence) for h in hazards], matrix),
        heatmap_after=risk.heatmap([(h.probability_after, h.consequence_after) for h in hazards], matrix),
    )


def year_summary(session: Session, year_id: int) -> dict:
    """The year's assessments with hazard counts by colour, and the company's heat map before and after
    measures, as plain data.

    One query whatever the number of assessments and hazards (two when the year has none: the matrix the
    next one will use): the assessments, each with its hazards counted by cell. The heat map uses the
    newest assessment's matrix; hazards of an assessment whose snapshot has another size cannot be placed
    on it and are counted in ``heatmap["other_matrix"]``.
    """
    return summary_from(session, named_rows(session.execute(year_summary_part(), {"year_id": year_id})))


def summary_from(session: Session, rows) -> dict:
    """``year_summary`` from the rows of ``year_summary_part`` (the year page reads them with its other reads)."""
    rows = sorted(rows, key=lambda r: (r.assessed_on is None, -r.assessed_on.toordinal() if r.assessed_on else 0, -r.id))
    assessments = list({row.id: row for row in rows}.values())  # newest first, once each
    by_assessment = defaultdict(list)
    for row in rows:
        if row.hazards:
            by_assessment[row.id].append((row.probability, row.consequence, row.probability_after, row.consequence_after,
                                          row.hazards))
    matrices = {a.id: snapshot_matrix(a.matrix_snapshot) for a in assessments}
    if matrices:
        year_matrix = matrices[max(matrices)]
    else:  # nothing assessed yet: an empty map on the matrix the next assessment will use
        latest = _latest_matrix(session)
        year_matrix = snapshot_matrix(latest.data) if latest else risk.default_matrix()
    before, after, other = [], [], 0
    items = []
    for a in assessments:
        matrix = matrices[a.id]
        counts = dict.fromkeys(risk.COLOURS, 0)
        same_size = (matrix.n_probability, matrix.n_consequence) == (year_matrix.n_probability, year_matrix.n_consequence)
        for p, c, p_after, c_after, n in by_assessment[a.id]:
            counts[matrix.colour(p, c)] += n
            if same_size:
                before.append((p, c, n))
                after.append((p_after, c_after, n))
            else:
                other += n
        items.append(dict(id=a.id, title=a.title, assessed_on=a.assessed_on, next_review_on=a.next_review_on,
                          status=a.status, status_label=ASSESSMENT_STATUS_LABELS.get(a.status, a.status),
                          no_significant_hazards=a.no_significant_hazards, conclusion_note=a.conclusion_note,
                          hazard_count=sum(counts.values()), **counts))
    heatmap = risk.heatmap_of_counts(before, year_matrix)
    heatmap.update(after=risk.heatmap_of_counts(after, year_matrix), other_matrix=other, **_labels(year_matrix))
    return dict(assessments=items, heatmap=heatmap)


@cache
def year_summary_part() -> Select:
    # Built once, bound per call (the year page shows the summary on every visit); ``summary_from`` orders it.
    # One row per assessment and hazard cell; an assessment without hazards comes once, with a count of 0.
    return (select(RiskAssessment.id, RiskAssessment.title, RiskAssessment.assessed_on, RiskAssessment.next_review_on,
                   RiskAssessment.status, RiskAssessment.matrix_snapshot, RiskAssessment.no_significant_hazards,
                   RiskAssessment.conclusion_note, Hazard.probability, Hazard.consequence, Hazard.probability_after,
                   Hazard.consequence_after, func.count(Hazard.id).label("hazards"))
            .outerjoin(Hazard, Hazard.assessment_id == RiskAssessment.id)
            .where(RiskAssessment.year_id == bindparam("year_id"))
            # The assessment's other columns follow from its primary key.
            .group_by(RiskAssessment.id, Hazard.probability, Hazard.consequence, Hazard.probability_after,
                      Hazard.consequence_after))
