


def _report_failed(app, **details) -> None:
    # Imported when a job fails, not at package import: the services import this package's models.
    from saas.hms.services.reports import record_report_failure

    record_report_failure(app, **details)


def _listen_for_failed_reports() -> None:
    from saas.jobs import job_failed

    job_failed.connect(_report_failed, weak=False)


_listen_for_failed_reports()
