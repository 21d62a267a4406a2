"""HMS work: mappings, risk assessments, action plans and the class rules of the HMS-sertifikat."""
from saas.schemes import impartiality as _impartiality


def _report_failed(app, **details) -> None:
    # Imported when a job fails, not at package import: the services import this package's models.
    from saas.hms.services.reports import record_report_failure

    record_report_failure(app, **details)


def _listen_for_failed_reports() -> None:
    from saas.jobs import job_failed

    job_failed.connect(_report_failed, weak=False)


_listen_for_failed_reports()


def derived_hms_ties(session, company_id, user_ids):
    """impartiality tie source: a consultant who did a company's HMS work is tied to it (saas.hms.ties)."""
    from saas.hms.ties import hms_ties

    return hms_ties(session, company_id, user_ids)


if not any(getattr(s, "__name__", "") == "derived_hms_ties" for s in _impartiality.TIE_SOURCES):
    _impartiality.TIE_SOURCES.append(derived_hms_ties)
