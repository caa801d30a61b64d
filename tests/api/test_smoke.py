from tests.api.helpers import assert_error, file_ticket


def test_health_answers_ok_when_the_database_answers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_an_end_user_files_a_ticket_and_reads_it_back(client, make, desk):
    headers = make.auth(desk["requester"])
    created = file_ticket(client, headers, service_id=desk["service"].id).get_json()
    assert created["number"].startswith("KPK-")
    assert created["status"] == "new"
    assert created["priority"] == "P3"
    assert created["group_id"] == desk["group"].id
    resp = client.get(f"/api/v1/tickets/{created['id']}", headers=headers)
    assert resp.status_code == 200
    assert resp.headers["ETag"]


def test_api_without_a_token_is_401_in_the_envelope(client):
    assert_error(client.get("/api/v1/tickets"), 401, "unauthenticated")
