"""Finding a company by what people type: Norwegian letters in any case (the embedded SQLite folded only ASCII
before), wildcards as plain text, and the organisation number only when the query is a number.  The same in
the client list, its JSON API and the search box; the suite runs it on SQLite and on PostgreSQL."""
from __future__ import annotations

import pytest

from saas.auth import create_api_token
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login

ORG = "974760673"


@pytest.fixture
def firms(db, two_tenants):
    a = two_tenants["a"]
    bind_tenant(db, a["tenant"].id)
    made = {name: factories.make_company(db, a["tenant"], name=name, city=city, consultant_id=a["consultant"].id, **extra)
            for name, city, extra in (
                ("Ærlig Østlandet Åsgård AS", "Ålesund", {}),
                ("Bedrift 01 AS", "Kongsberg", {}),
                ("Tallfirma AS", "Notodden", {"org_number": ORG}),
                ("Halv 50% Pris AS", "Moss", {}),
                ("Under_strek AS", "Moss", {}))}
    token = create_api_token(db, a["consultant"], "søk")[1]
    bind_tenant(db, None)
    db.commit()
    return dict(a=a, made=made, token=token)


def _listed(client, q: str) -> set[str]:
    page = client.get("/t/tenant-a/companies/", query_string={"q": q})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return {name for name in ("Ærlig Østlandet Åsgård AS", "Bedrift 01 AS", "Tallfirma AS", "Halv 50% Pris AS",
                              "Under_strek AS") if name in html}


@pytest.mark.parametrize("q", ["ærlig", "ÆRLIG", "østlandet", "ØSTLANDET", "åsgård", "ÅSGÅRD", "ålesund"])
def test_norwegian_letters_are_found_in_any_case(client, firms, q):
    login(client, firms["a"]["consultant"])
    assert _listed(client, q) == {"Ærlig Østlandet Åsgård AS"}
    found = client.get("/t/tenant-a/search/", query_string={"q": q}).get_data(as_text=True)
    if q != "ålesund":  # the search box matches companies by name and number
        assert "Ærlig Østlandet Åsgård AS" in found


def test_wildcards_are_searched_for_as_text(client, firms):
    login(client, firms["a"]["consultant"])
    assert _listed(client, "%") == {"Halv 50% Pris AS"}
    assert _listed(client, "_") == {"Under_strek AS"}
    assert _listed(client, "50%") == {"Halv 50% Pris AS"}


@pytest.mark.parametrize("q", [ORG, "974 760 673", "974.760.673", "NO 974 760 673 MVA", "760 67"])
def test_a_number_finds_the_company_by_its_organisation_number(client, firms, q):
    login(client, firms["a"]["consultant"])
    assert "Tallfirma AS" in _listed(client, q)


def test_a_name_with_digits_is_a_name_not_an_organisation_number(client, firms):
    login(client, firms["a"]["consultant"])
    # "01" is in many organisation numbers; "Bedrift 01" names one company.
    assert _listed(client, "Bedrift 01") == {"Bedrift 01 AS"}
    assert _listed(client, "bedrift 01") == {"Bedrift 01 AS"}


@pytest.mark.parametrize("q, found", [("NO 974 760 673 MVA", True), ("974.760", True), ("Bedrift 97476", False)])
def test_the_search_box_reads_a_number_the_same_way(client, firms, q, found):
    login(client, firms["a"]["consultant"])
    page = client.get("/t/tenant-a/search/", query_string={"q": q}).get_data(as_text=True)
    assert ("Tallfirma AS" in page) is found


def test_the_api_finds_the_same(client, firms):
    headers = {"Authorization": f"Bearer {firms['token']}"}
    for q, expected in (("ØSTLANDET", {"Ærlig Østlandet Åsgård AS"}), ("_", {"Under_strek AS"}),
                        ("974 760", {"Tallfirma AS"}), ("Bedrift 01", {"Bedrift 01 AS"})):
        response = client.get("/api/v1/t/tenant-a/companies", query_string={"q": q}, headers=headers)
        assert response.status_code == 200
        assert {row["name"] for row in response.get_json()["items"]} == expected, q


def test_another_tenants_company_is_not_found(client, firms, db, two_tenants):
    b = two_tenants["b"]
    bind_tenant(db, b["tenant"].id)
    factories.make_company(db, b["tenant"], name="Ærlig Annen Tilbyder AS", consultant_id=b["consultant"].id)
    bind_tenant(db, None)
    db.commit()
    login(client, firms["a"]["consultant"])
    html = client.get("/t/tenant-a/companies/", query_string={"q": "ærlig"}).get_data(as_text=True)
    assert "Ærlig Østlandet Åsgård AS" in html and "Annen Tilbyder" not in html
