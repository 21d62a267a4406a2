"""/api/v1/t/<slug>/person-submissions …: the basis for kompetansebevis travelling from a training company
to an independent register keeper (§ 8-2) and the keeper's answer back (see saas.persons.services.submissions)."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from saas.api.core import json_body, page_body, tenant_api
from saas.api.persons import TAG, _load
from saas.api.spec import documented
from saas.auth import staff_required
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons.schemas import (
    SubmissionCreateSchema, SubmissionDecisionSchema, SubmissionOutcomeSchema, SubmissionSchema,
)
from saas.persons.services import catalogue, submissions
from saas.schemas import FieldErrors
OBJECT_BODY = {"type": "object", "additionalProperties": True}


def _submission(submission_id: int):
    return _load(submissions.get_submission, submission_id)


def _submission_body(batch) -> dict:
    return SubmissionSchema().dump(batch)


def _json_object() -> dict:
    if not request.is_json:
        raise FieldErrors({"_body": ["Forventet Content-Type: application/json."]})
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise FieldErrors({"_body": ["Forventet et JSON-objekt."]})
    return payload


@tenant_api.get("/person-submissions")
@staff_required
@documented("/person-submissions", "get", "Submissions: a training company's outgoing batches, a register keeper's "
            "received queue", response=SubmissionSchema, many=True, tag=TAG)
def api_submissions():
    keeper = catalogue.register_settings(current_session()).mode == "register_keeper"
    rows = submissions.submissions(current_session(), submissions.INCOMING if keeper else submissions.OUTGOING)
    return page_body(SubmissionSchema(many=True).dump(rows), len(rows), 1, max(len(rows), 1))


@tenant_api.post("/person-submissions")
@staff_required
@documented("/person-submissions", "post", "A draft batch of register entries for the outside register keeper",
            request=SubmissionCreateSchema, response=SubmissionSchema, status=201, tag=TAG)
def api_submission_create():
    data = json_body(SubmissionCreateSchema())
    return _submission_body(submissions.create_batch(current_session(), current_user, data["holding_ids"])), 201


@tenant_api.post("/person-submissions/import")
@staff_required
@documented("/person-submissions/import", "post", "Register keeper: receive a training company's exported batch "
            "(its JSON file as the body) into the queue", request_body=OBJECT_BODY, response=SubmissionSchema,
            status=201, tag=TAG)
def api_submission_import():
    return _submission_body(submissions.import_batch(current_session(), current_user, _json_object())), 201


@tenant_api.get("/person-submissions/<int:submission_id>")
@staff_required
@documented("/person-submissions/{submission_id}", "get", "One submission with its entries and verdicts",
            response=SubmissionSchema, params=("submission_id",), tag=TAG)
def api_submission(submission_id: int):
    return _submission_body(_submission(submission_id))


@tenant_api.post("/person-submissions/<int:submission_id>/submit")
@staff_required
@documented("/person-submissions/{submission_id}/submit", "post", "Freeze the basis and mark the batch submitted",
            response=SubmissionSchema, params=("submission_id",), tag=TAG)
def api_submission_submit(submission_id: int):
    return _submission_body(submissions.submit(current_session(), current_user, _submission(submission_id)))


@tenant_api.get("/person-submissions/<int:submission_id>/file")
@staff_required
@documented("/person-submissions/{submission_id}/file", "get", "The file to send: a submitted batch (training "
            "company) or the keeper's response with every verdict (register keeper)", params=("submission_id",),
            tag=TAG, responses={422: "Not yet: a draft is submitted first, a received batch is assessed first"})
def api_submission_file(submission_id: int):
    batch = _submission(submission_id)
    if batch.direction == submissions.INCOMING:
        return submissions.response_document(batch)
    return submissions.export_document(batch)


@tenant_api.post("/person-submissions/<int:submission_id>/outcome")
@staff_required
@documented("/person-submissions/{submission_id}/outcome", "post", "Record the keeper's answer by hand: accepted, "
            "or rejected with the reason", request=SubmissionOutcomeSchema, response=SubmissionSchema,
            params=("submission_id",), tag=TAG)
def api_submission_outcome(submission_id: int):
    batch = _submission(submission_id)
    data = json_body(SubmissionOutcomeSchema())
    return _submission_body(submissions.record_outcome(current_session(), current_user, batch, data["state"],
                                                       data["reason"]))


@tenant_api.post("/person-submissions/<int:submission_id>/response")
@staff_required
@documented("/person-submissions/{submission_id}/response", "post", "Read the keeper's response file (the body) "
            "into the sent batch", request_body=OBJECT_BODY, response=SubmissionSchema, params=("submission_id",),
            tag=TAG)
def api_submission_response(submission_id: int):
    batch = _submission(submission_id)
    return _submission_body(submissions.import_response(current_session(), current_user, batch, _json_object()))


@tenant_api.post("/person-submissions/<int:submission_id>/decide")
@staff_required
@documented("/person-submissions/{submission_id}/decide", "post", "Register keeper: accept (register, optionally "
            "issue the card) or reject one entry with a reason", request=SubmissionDecisionSchema,
            response=SubmissionSchema, params=("submission_id",), tag=TAG)
def api_submission_decide(submission_id: int):
    batch = _submission(submission_id)
    data = json_body(SubmissionDecisionSchema())
    return _submission_body(submissions.decide_item(current_session(), current_user, batch, data["index"],
                                                    data["accept"], data["reason"], today_in_oslo(), issue=data["issue"]))
