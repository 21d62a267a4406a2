from tests.conftest import login


def test_a_consultant_sees_their_tenants_companies(client, two_tenants):
    login(client, two_tenants["a"]["consultant"])
    response = client.get("/t/tenant-a/companies/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Kunde A Hemmelig AS" in body
    assert "Kunde B Hemmelig AS" not in body


def test_a_consultant_of_another_tenant_gets_404(client, two_tenants):
    login(client, two_tenants["a"]["consultant"])
    assert client.get("/t/tenant-b/companies/").status_code == 404
