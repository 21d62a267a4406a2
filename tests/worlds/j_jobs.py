"""A failed background job with its error (the retry button must not reach another tenant's)."""
from saas.outbox import FAILED, OutboxJob


def populate(session, base):
    key = base["key"]
    job = OutboxJob(job_key=f"world-{key}-failed-job", name="saas.billing.jobs.invoice_certificate", args=[0],
                    status=FAILED, attempts=4, last_error=f"RuntimeError: {key.upper()} Hemmelig feil")
    session.add(job)
    session.flush()
    return dict(failed_job=job)
