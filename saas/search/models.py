"""The search's trigram indexes (PostgreSQL only), declared on the searched tables so the models say what the
migration (0008) makes.  Each serves ``lower(column) LIKE '%term%'`` in saas.search.services."""
from __future__ import annotations

from sqlalchemy import Index, func

from saas.certification.models import Certificate
from saas.clients.models import ClientCompany, ContactPerson
from saas.hms.models import ActionItem
from saas.tenants.models import User

SEARCH_COLUMNS = ((ClientCompany, "name"), (Certificate, "number"), (ActionItem, "title"), (User, "name"), (User, "email"),
                  (ContactPerson, "name"), (ContactPerson, "email"))

for _model, _column in SEARCH_COLUMNS:
    _table = _model.__table__
    Index(f"ix_search_{_table.name}_{_column}", func.lower(_table.c[_column]).label(f"lower_{_column}"),
          postgresql_using="gin", postgresql_ops={f"lower_{_column}": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
