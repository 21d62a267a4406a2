"""Class verdicts, certification decisions and certificates (the HMS-sertifikat's and the audit-based
schemes')."""
from saas.audits import hooks as _audit_hooks


def issue_scheme_certificate(session, case, actor, today) -> None:
    """audits hook: an approved case gets its certificate (saas.certification.scheme_certificates)."""
    from saas.certification.scheme_certificates import issue_for_case

    issue_for_case(session, case, actor, today)


if not any(getattr(s, "__name__", "") == "issue_scheme_certificate" for s in _audit_hooks.CASE_APPROVED):
    _audit_hooks.CASE_APPROVED.append(issue_scheme_certificate)
