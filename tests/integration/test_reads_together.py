"""saas.db.ReadsTogether: several small reads in one statement, each part as if read alone, each scoped to the
bound tenant."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, event, func, literal_column, select

from saas.clients.models import ClientCompany, SubUnit
from saas.db import ReadsTogether, columns_of


def _parts():
    return dict(
        companies=select(*columns_of(ClientCompany)),
        units=select(SubUnit.id, SubUnit.name, SubUnit.company_id, ClientCompany.name.label("company_name"))
        .join(ClientCompany, ClientCompany.id == SubUnit.company_id),
        counted=select(func.count(ClientCompany.id).label("n"), func.max(ClientCompany.created_at).label("newest")),
        nothing=select(ClientCompany.id).where(ClientCompany.id == bindparam("missing")),
        # Ordered and limited parts come back in their order, limited.
        newest_name=select(ClientCompany.id, ClientCompany.name).order_by(ClientCompany.name.desc(), ClientCompany.id).limit(1),
        by_name=select(ClientCompany.name, func.count().over().label("total")).order_by(ClientCompany.name),
    )


def test_each_part_reads_what_it_reads_alone_with_its_names_and_types_in_one_statement(app, db, a, two_tenants):
    parts, params = _parts(), {"missing": -1}
    statements = []
    engine = app.extensions["saas.db"].engine

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        read = ReadsTogether(parts).read(db, params)
    finally:
        event.remove(engine, "before_cursor_execute", before)

    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "enter_scope" not in s]
    assert len(reads) == 1 and "UNION ALL" in reads[0]  # besides the test's savepoint and the scope's seal
    for name, part in parts.items():
        alone = [tuple(row) for row in db.execute(part, params)]
        if name in ("newest_name", "by_name"):
            assert list(map(tuple, read[name])) == alone, name  # in the part's own order
        else:
            assert sorted(map(tuple, read[name]), key=repr) == sorted(alone, key=repr), name
    assert len(read["newest_name"]) == 1 and len(read["by_name"]) == read["by_name"][0].total >= 2
    assert read["by_name"][0]._fields == ("name", "total")  # the numbering column is not one of them
    company = read["companies"][0]
    assert company._fields == tuple(column.key for column in columns_of(ClientCompany))
    assert isinstance(company.works_off_premises, bool) and company.created_at.tzinfo is not None
    assert isinstance(read["counted"][0].newest, datetime) and read["counted"][0].newest.tzinfo is not None
    assert read["units"][0].company_name and read["nothing"] == []
    # Tenant A's rows only, in every part (on SQLite the tenant criterion alone keeps B out).
    names = {row.name for row in read["companies"]} | {row.company_name for row in read["units"]}
    assert a["company"].name in names and a["sub_unit"].name in {row.name for row in read["units"]}
    assert not any(" B " in name for name in names)
    assert read["counted"][0].n == len(read["companies"])
    assert {row.tenant_id for row in read["companies"]} == {a["tenant"].id}


def test_a_column_without_a_type_is_refused_when_built():
    with pytest.raises(TypeError, match="odd"):
        ReadsTogether(dict(odd=select(literal_column("1").label("one"))))
