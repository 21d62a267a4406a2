"""The scheme library (seeded when the tenant was made) plus one scheme of the tenant's own."""
from sqlalchemy import select

from saas.schemes import services
from saas.schemes.models import Requirement, Scheme, SchemeScope


def populate(session, base):
    key = base["key"].upper()
    hms = services.scheme_by_code(session, "hms")
    audit = services.scheme_by_code(session, "opplaering-8-1")
    own = Scheme(kind="audit", code=f"egen-{key.lower()}", name=f"Ordning {key} Hemmelig", active=True)
    session.add(own)
    session.flush()
    session.add(SchemeScope(scheme_id=own.id, code="X", name=f"Fagområde {key} Hemmelig"))
    own_version = services.publish_version(session, own, {"validity_months": 24}, note=f"Versjon {key} Hemmelig",
                                           requirements=[dict(clause="K1", title=f"Krav {key} Hemmelig")])
    audit_version = services.current_version(session, audit)
    return dict(hms_scheme=hms, hms_version=services.current_version(session, hms), audit_scheme=audit,
                audit_version=audit_version, own_scheme=own, own_version=own_version,
                requirement=session.scalar(select(Requirement).where(Requirement.version_id == audit_version.id)
                                           .order_by(Requirement.position).limit(1)),
                scope=services.scopes_of(session, audit.id)[0])
