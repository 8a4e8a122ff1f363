"""/api/schema/: the OpenAPI 3 description renders and lists the customer endpoints."""

import json


def test_rep_a_gets_the_openapi_schema_with_customer_paths(api, rep_a):
    response = api(rep_a).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/customers/", "/api/customers/{id}/", "/api/customers/{id}/claim/",
        "/api/customers/{id}/contacts/", "/api/contacts/{id}/",
    ):
        assert path in schema["paths"], path
    methods = set(schema["paths"]["/api/customers/{id}/"])
    assert {"get", "patch", "delete"} <= methods and "put" not in methods
    customer = schema["components"]["schemas"]["Customer"]
    assert customer["properties"]["credit_limit"]["type"] == "string"  # a decimal string, never a float
    for field in ("owner", "code", "stage"):
        assert customer["properties"][field].get("readOnly") is True, field
    list_params = {p["name"] for p in schema["paths"]["/api/customers/"]["get"]["parameters"]}
    assert {"q", "owner", "stage", "tag", "limit", "offset"} <= list_params


def test_anonymous_gets_401_for_the_schema(api, db):  # issue 14: 401, not 403
    assert api(None).get("/api/schema/").status_code == 401
