"""Schemas of the risk matrix, risk assessments and hazards: one rule for the web forms and the API.

Levels are checked here only as small positive integers; whether a level exists is decided by the
assessment's own matrix snapshot in the service.
"""
from marshmallow import fields, validate

from saas.hms.risk import COLOURS, MAX_LEVELS
from saas.schemas import BaseSchema, PastDate, length, one_of

LEVEL = validate.Range(min=1, max=MAX_LEVELS, error=f"Må være et nivå fra 1 til {MAX_LEVELS}.")


class RiskMatrixSchema(BaseSchema):
    """Only the shape is checked here; ``saas.hms.risk.validate_matrix`` judges the content, so every
    matrix error, from the API or the grid form, names its field the same way ("cells[4][4]")."""

    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    probability_labels = fields.List(fields.Dict(), required=True,
                                     metadata={"description": "3–7 levels, lowest first: {\"nb\": ..., \"en\": ...}"})
    consequence_labels = fields.List(fields.Dict(), required=True,
                                     metadata={"description": "3–7 levels, lowest first: {\"nb\": ..., \"en\": ...}"})
    cells = fields.List(fields.List(fields.String()), required=True,
                        metadata={"description": f"Colour per cell, cells[p-1][c-1]: one of {', '.join(COLOURS)}"})


class RiskAssessmentSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    year_id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=length(200, 1))
    assessed_on = PastDate(load_default=None, allow_none=True)
    next_review_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "Review date"})
    responsible = fields.String(load_default="", validate=length(200))
    status = fields.String(load_default="draft", validate=one_of(("draft", "completed")))
    no_significant_hazards = fields.Boolean(load_default=False, metadata={
        "description": "The assessment found no significant hazards (needs conclusion_note); without it, "
                       "completing needs at least one assessed hazard"})
    conclusion_note = fields.String(load_default="", validate=length(5000))
    matrix_snapshot = fields.Dict(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class HazardSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    assessment_id = fields.Integer(dump_only=True)
    description = fields.String(required=True, validate=length(5000, 1))
    location = fields.String(load_default="", validate=length(200), metadata={"description": "Location or activity"})
    area = fields.String(load_default="physical", validate=one_of(("physical", "psychosocial")))
    probability = fields.Integer(required=True, validate=LEVEL)
    consequence = fields.Integer(required=True, validate=LEVEL)
    probability_after = fields.Integer(load_default=None, allow_none=True, validate=LEVEL)
    consequence_after = fields.Integer(load_default=None, allow_none=True, validate=LEVEL)
    measures = fields.String(load_default="", validate=length(5000))
    responsible = fields.String(load_default="", validate=length(200))
    score = fields.Integer(dump_only=True, allow_none=True)
    colour = fields.String(dump_only=True, allow_none=True)
    score_after = fields.Integer(dump_only=True, allow_none=True)
    colour_after = fields.String(dump_only=True, allow_none=True)
    action_item_id = fields.Integer(dump_only=True, allow_none=True)


class RiskAssessmentDetailSchema(RiskAssessmentSchema):
    hazards = fields.List(fields.Nested(HazardSchema), dump_only=True)


class HazardActionSchema(BaseSchema):
    deadline = fields.Date(load_default=None, allow_none=True)


class RiskAssessmentSummarySchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    assessed_on = fields.Date(allow_none=True)
    status = fields.String()
    hazard_count = fields.Integer()
    red = fields.Integer()
    yellow = fields.Integer()
    green = fields.Integer()


class RiskYearSummarySchema(BaseSchema):
    assessments = fields.List(fields.Nested(RiskAssessmentSummarySchema))
    heatmap = fields.Dict(metadata={"description": "saas.hms.risk.heatmap() before measures, with 'after' and the level labels"})


def matrix_from_form(form) -> dict:
    """The matrix grid form as the dict ``saas.hms.risk.validate_matrix`` reads.

    Fields: ``n_probability``/``n_consequence``, ``probability_labels-{i}-nb``/``-en``,
    ``consequence_labels-{j}-nb``/``-en`` and ``cells-{i}-{j}``, all 0-based (i = probability − 1).
    A size outside 3–7 is passed on as it is, so the validator names it.
    """
    def size(name: str) -> int:
        raw = form.get(name, "")
        return min(int(raw), MAX_LEVELS + 1) if raw.isdigit() else 0

    def labels(axis: str, n: int) -> list[dict]:
        return [{"nb": form.get(f"{axis}-{i}-nb", "").strip(), "en": form.get(f"{axis}-{i}-en", "").strip()} for i in range(n)]

    n_p, n_c = size("n_probability"), size("n_consequence")
    return {"probability_labels": labels("probability_labels", n_p), "consequence_labels": labels("consequence_labels", n_c),
            "cells": [[form.get(f"cells-{i}-{j}", "") for j in range(n_c)] for i in range(n_p)]}
